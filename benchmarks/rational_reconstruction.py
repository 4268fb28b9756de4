"""Rational reconstruction of published values: an attack of the output checker (issue 12, B).

A mean, share or model estimate is a ratio p / q of integers, q the count it rests on. Printed
with enough digits, the value gives q back: for q <= Q (the largest count the run publishes) the
integers p with |x - p/q| within the printed precision exist only for q a multiple of the value's
smallest denominator q0 (continued fractions, here by trying every q). A value printed in full
(16 significant digits) pins q0 for any Q a run can have; a value rounded to d decimals leaves
every q >= 10^d open (an interval of width q x 10^-d always holds an integer), so it pins
nothing once the run's counts reach 10^d.

The attack: for every shown non-integer number of `tables/*.csv`, `figures/*.csv` and
`results/estimates.csv` whose fitting denominators are the multiples of one q0 >= 2, and which
no shown count of its own row explains (a multiple of q0), each hidden count cell it may rest on
(in its own row, or in a row of another file labelled with one of its row's labels) that has
exactly one multiple of q0 in its interval (the checker's bounds and the report's markers; a
cell already known exactly is left out) gets that multiple as a *candidate* value. It is a guess
(the checker does not know which count a value rests on); the truth run tells real from false.

A value with fewer than FULL_DIGITS significant digits is read as rounded to its last decimal,
also in a file that prints other values in full (`survey-items.csv` rounds some shares only):
an exact terminating value (81.25 = 13/16) is then not used, the price of not reading a rounded
share as exact.

Used by `benchmarks/output_checker.py` (`check`); kept apart so that it can be read and tested
alone. Tables are the checker's `Table` objects (duck-typed here).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

# A value printed with at least this many significant digits is printed in full.
FULL_DIGITS = 12
# Relative tolerance of a value printed in full: above the floating-point error of a mean, share,
# difference of means or least-squares estimate (1e-16 to 1e-14), and small enough that a
# number that is no ratio of counts fits some q <= Q only by chance (about tol x Q^2).
FULL_TOLERANCE = 1e-12
TOTAL_LABEL_RE = re.compile(r"^(i alt|total|alle\b|samlet|all$)", re.IGNORECASE)


def significant_digits(text: str) -> int:
    """Significant digits as printed: '2.1358490566037736' -> 17, '27.0' -> 3, '0.05' -> 1."""
    s = str(text).strip().lower().lstrip("+-\u2212")
    mantissa = s.split("e", 1)[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits)


def _decimals(text: str) -> int:
    s = str(text).strip().lower()
    if "e" in s:
        mant, exp = s.split("e", 1)
        dec = len(mant.split(".", 1)[1]) if "." in mant else 0
        return max(0, dec - int(exp))
    return len(s.split(".", 1)[1]) if "." in s else 0


def column_tolerances(texts: Iterable[str], values: Iterable[float]) -> list[float]:
    """Each value's half-width of what it may stand for: FULL_TOLERANCE (relative) for a value
    printed in full, else half a unit of its last printed decimal. A short value is read as
    rounded even in a column that prints others in full (survey-items.csv rounds the shares of
    some item-waves only): 0.25 may be an exact quarter, but it may as well be rounded."""
    return [
        FULL_TOLERANCE * max(abs(v), 1.0)
        if significant_digits(t) >= FULL_DIGITS
        else 0.5 * 10.0 ** -_decimals(t)
        for t, v in zip(texts, values, strict=True)
    ]


def fitting_denominators(x: float, tol: float, qmax: int) -> np.ndarray:
    """Every q in 1..qmax for which some integer p has |x - p/q| <= tol."""
    q = np.arange(1, qmax + 1, dtype=float)
    xq = x * q
    return np.flatnonzero(np.abs(xq - np.rint(xq)) <= tol * q + 1e-12) + 1


def pinned_denominators(x: float, tol: float, qmax: int) -> np.ndarray | None:
    """The fitting denominators when they are exactly the multiples of one q0 >= 2 (the value
    says its count is a multiple of q0, and nothing less specific), else None."""
    fits = fitting_denominators(x, tol, qmax)
    if len(fits) == 0 or fits[0] < 2 or (fits % fits[0]).any():
        return None
    return fits


def _row_tokens(t, row: int) -> set[str]:
    """The labels of a row: its text cells, and the part after ':' ('gender:kvinde')."""
    out = set()
    for c in t.text_cols:
        s = str(t.text.at[row, c]).strip().lower()
        if not s or TOTAL_LABEL_RE.match(s):
            continue
        out.add(s)
        if ":" in s:
            out.add(s.split(":", 1)[1].strip())
    return out


def largest_count(tables: list) -> int:
    """The largest count shown in a count column of the tables (the plausible maximum q)."""
    best = 0
    for t in tables:
        for c in t.count_cols:
            shown = t.num[c][~t.hidden[c]].dropna()
            if len(shown):
                best = max(best, int(shown.max()))
    return best


def attack(
    tables: list,
    interval: Callable[[tuple], tuple[float, float]],
    min_cell: int,
    qmax: int | None = None,
) -> list[dict]:
    """Candidate values of hidden count cells from the denominators of shown values.
    `interval((file, row, column))` gives a hidden cell's bounds as the checker knows them."""
    qmax = qmax or largest_count([t for t in tables if t.file.startswith(("tables", "figures"))])
    if qmax < 2:
        return []
    # hidden count cells by row label, for the targets in other files
    by_label: dict[str, list[tuple]] = {}
    for t in tables:
        lab = _label_of(t)
        if lab is None:
            continue
        for c in t.count_cols:
            for r in t.text.index[t.hidden[c]]:
                key = str(t.text.at[r, lab]).strip().lower()
                if key and not TOTAL_LABEL_RE.match(key):
                    by_label.setdefault(key, []).append((t, int(r), c))
    found: dict[tuple, dict] = {}
    for t in tables:
        values = [
            c
            for c in t.columns
            if c not in t.count_cols and c not in t.text_cols and c in t.num.columns
        ]
        for c in values:
            shown = t.num[c].notna() & ~t.hidden[c]
            rows = list(t.text.index[shown])
            if not rows:
                continue
            tols = column_tolerances(t.text.loc[rows, c], t.num.loc[rows, c])
            for r, tol in zip(rows, tols, strict=True):
                x = float(t.num.at[r, c])
                if x == round(x):
                    continue
                qs = pinned_denominators(x, tol, qmax)
                if qs is None:
                    continue  # no ratio of counts, or not one that the printed digits pin
                q0 = int(qs[0])
                own = [
                    float(t.num.at[r, n])
                    for n in t.count_cols
                    if not t.hidden.at[r, n] and not pd.isna(t.num.at[r, n])
                ]
                if any(v > 0 and v % q0 == 0 for v in own):
                    continue  # the row's own count explains it
                targets = [(t, int(r), n) for n in t.count_cols if t.hidden.at[r, n]]
                for tok in _row_tokens(t, r):
                    targets += [g for g in by_label.get(tok, []) if g[0] is not t]
                for tt, rr, cc in targets:
                    lo, hi = interval((tt.file, rr, cc))
                    if hi - lo < 0.5:
                        continue  # known already
                    fit = qs[(qs >= lo - 1e-9) & (qs <= hi + 1e-9)]
                    if len(fit) != 1:
                        continue
                    key = (tt.file, rr, cc, float(fit[0]))
                    if key in found:
                        continue
                    found[key] = {
                        "file": tt.file,
                        "row": rr,
                        "column": cc,
                        "label": tt.label(rr),
                        "kind": "candidate",
                        "value": float(fit[0]),
                        "lo": float(fit[0]),
                        "hi": float(fit[0]),
                        "equation": (
                            f"{t.file} row {r} '{t.label(r)[:50]}' [{c}] = {t.text.at[r, c]}: its "
                            f"denominators <= {qmax} are the multiples of {q0}; one lies in the cell's "
                            f"interval [{lo:g}, {hi:g}]"
                        ),
                    }
    return list(found.values())


def _label_of(t) -> str | None:
    """The text column naming the rows (the last text column before the first count column)."""
    if not t.text_cols or not t.count_cols:
        return None
    first = t.columns.index(t.count_cols[0])
    before = [c for c in t.text_cols if t.columns.index(c) < first]
    return before[-1] if before else t.text_cols[0]


def checker_interval(sys_, markers: dict, min_cell: int) -> Callable[[tuple], tuple[float, float]]:
    """A hidden cell's interval from the checker's system (bounds after propagation and linear
    programming) and the report's markers («<5»: 1..min_cell-1, «..»: at least min_cell)."""

    def interval(cell: tuple) -> tuple[float, float]:
        lo, hi = (sys_.lo[cell], sys_.hi[cell]) if cell in sys_.lo else (1.0, math.inf)
        kind = markers.get(cell)
        if kind == "primary":
            hi = min(hi, min_cell - 1)
        elif kind == "secondary":
            lo = max(lo, min_cell)
        return lo, hi

    return interval
