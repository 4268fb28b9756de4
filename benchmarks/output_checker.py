"""An independent output checker (issue 12, part B): attack a run's published files by arithmetic.

It plays the output checker of a secure research environment: it reads only what a run publishes
(`tables/*.csv`, `figures/*.csv`, `results/estimates.csv`, the report's text) and never the
disclosure sidecars or the declared relations. Every empty cell (or «<5» / «..») in a count
column is an unknown count; zeros are shown by the suite's rule, so an unknown count is at least 1.
Generic equations are guessed from the files:

- (a) totals within a table: rows labelled "I alt", "Total", "Alle", "Samlet", "N (personer)"
  against the other rows of their block; a row followed by "heraf ..." rows; columns named
  "I alt" / "Total" against their sibling columns;
- (b) across files: the same labelled count in two files (the shown values of both agree on at
  least two labels), the same keyed rows (`week_rel`) split by a group in one file and whole in
  another (counts and means times counts), and a block without a total against the total of a
  fully shown sister block of the same table (another dimension of the same population);
- (c) share x base and mean x count: a percentage/share column with its count and base, found
  by checking the shown rows;
- (e) the wave's questionnaires (Tabel 2: a `Måling` row with `Fuldt besvaret`): every fully
  submitted questionnaire answers every item asked of everybody, so in a long item table
  (`item`, `wave_label`, `n`) an item-wave's answers add up to that count (guessed unless a shown
  `n_answered` says otherwise): a special answer is the wave's questionnaires minus the scale N;
- a share shown with few decimals is taken as rounded: count within (share -+ half a unit of its
  last decimal) x base, two inequalities (with slack variables), not an equation;
- (d) integers in `results/estimates.csv` (n columns) and in the report's text matched against the
  totals of blocks with exactly one hidden cell, and small counts printed there directly.

Bounds propagate through the equations (an unknown count is an integer >= 1); a cell whose bounds
close to one value is an *exact* recovery, one left narrower than 1..min_cell-1 a *narrowed* one;
(d) gives *candidates* (one integer fits, the equation is a guess). With `--truth RUN_DIR` (the
same run with `min_cell: 1`, nothing hidden) every finding is compared with the true value:
`real` when it equals it (or the true value lies in the narrowed interval), `false` otherwise.

    .venv/bin/python benchmarks/output_checker.py output/latest [--truth OTHER_RUN] [--min-cell 5]
        [--csv findings.csv] [--json summary.json]

Exit status 0 always (it is a report, not a gate); the summary line counts the findings.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

HIDDEN_MARKERS = {"", "..", "«..»"}
# A value left unpublished on purpose ("ikke offentliggjort: for få skemaer"): unknown, from 0
# (zeros are left out too), unlike an empty or «<5» / «..» cell (at least 1).
UNPUBLISHED_MARKERS = {"i.o.", "«i.o.»"}
TOTAL_RE = re.compile(
    r"^(i alt|total|alle\b|samlet|n \(personer\)|n$|all$|.*\(n\)$)", re.IGNORECASE
)  # "... (N)": the persons of the rows above (Tabel 6)
HERAF_RE = re.compile(r"^\W*heraf\b", re.IGNORECASE)
PCT_RE = re.compile(r"(pct|%|procent|share|andel|rate)", re.IGNORECASE)
MEAN_RE = re.compile(r"(gns|gennemsnit|mean)", re.IGNORECASE)
# Columns that hold integers but are not counts of persons.
NOT_COUNT_RE = re.compile(
    r"(^code$|^kode$|position|order|week|^uge$|\(uge|bin_|score$|^nr\.?$|frihedsgrader|startuge|"
    r"kursusuger|data ift|teststørrelse|^år$|year|^estimat|p-værdi|^r$|median)",
    re.IGNORECASE,
)
COUNT_NAME_RE = re.compile(r"(^n$|^n_|^N$|antal|kursister|personer|deltagere)", re.IGNORECASE)
KEY_COLUMNS = ("week_rel",)
EPS = 1e-6


def _marker(s: str) -> bool:
    s = s.strip()
    return s in HIDDEN_MARKERS or s in UNPUBLISHED_MARKERS or bool(re.fullmatch(r"«?<\d+»?", s))


def _number(s: str) -> float | None:
    s = s.strip().replace("\u2212", "-")
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass
class Table:
    file: str
    columns: list[str]
    text: pd.DataFrame  # the raw strings
    num: pd.DataFrame  # floats, NaN where not a number
    hidden: pd.DataFrame  # bool: a marker or empty
    count_cols: list[str] = field(default_factory=list)
    text_cols: list[str] = field(default_factory=list)
    na: set = field(default_factory=set)  # (row, column) blank for 'not applicable', no marker
    free: set = field(default_factory=set)  # (row, column) marked unpublished: unknown, from 0

    def label(self, row: int) -> str:
        return " / ".join(str(self.text.at[row, c]) for c in self.text_cols if self.text.at[row, c])


def read_table(path: Path, run_dir: Path, not_applicable: set | None = None) -> Table:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    num = raw.apply(lambda s: s.map(_number)).astype(float)
    hidden = raw.apply(lambda s: s.map(_marker))
    t = Table(str(path.relative_to(run_dir)), list(raw.columns), raw, num, hidden)
    for c in raw.columns:
        t.free |= {(int(r), c) for r in raw.index[raw[c].str.strip().isin(UNPUBLISHED_MARKERS)]}
    for c in raw.columns:
        shown = num[c][~hidden[c]]
        if len(shown) == 0:  # every cell hidden: a count when its name says so
            if COUNT_NAME_RE.search(c):
                t.count_cols.append(c)
            continue
        is_numeric = shown.notna().all()
        if not is_numeric:
            if not hidden[c].all():
                t.text_cols.append(c)
            continue
        integer = (shown.dropna() == shown.dropna().round()).all() and (shown.dropna() >= 0).all()
        if (
            integer
            and (not NOT_COUNT_RE.search(c) or HERAF_RE.search(c))  # "Heraf med en score"
            and not PCT_RE.search(c)
            and not MEAN_RE.search(c)
        ):
            t.count_cols.append(c)
    for file, row, col in not_applicable or ():  # after the columns are told apart
        if file == t.file and col in hidden.columns:
            hidden.at[row, col] = False
            t.na.add((row, col))
    return t


def read_run(run_dir: Path, not_applicable: set | None = None) -> list[Table]:
    files = sorted((run_dir / "tables").glob("*.csv")) + sorted((run_dir / "figures").glob("*.csv"))
    return [read_table(p, run_dir, not_applicable) for p in files]


def blanks_of(run_dir: Path, truth_dir: Path) -> set:
    """Cells blank in the run and in the truth run: blanks for 'not applicable', which the report
    shows without a marker (hidden cells read «<5» / «..» there; the CSV files leave both empty)."""
    out = set()
    for t in read_run(run_dir):
        p = truth_dir / t.file
        if not p.exists():
            continue
        raw = pd.read_csv(p, dtype=str, keep_default_na=False)
        if list(raw.columns) != t.columns or len(raw) != len(t.text):
            continue
        for c in t.columns:
            for r in t.text.index[t.hidden[c]]:
                if raw.at[r, c].strip() == "":
                    out.add((t.file, int(r), c))
    return out


# ---------------------------------------------------------------------------------------------
# The equation system
# ---------------------------------------------------------------------------------------------


Var = tuple[str, int, str]  # (file, row, column) of a count cell, or a derived ("sum", ...)


@dataclass
class Equation:
    terms: dict  # Var -> coefficient
    const: float  # sum(coef * var) == const
    how: str


class System:
    def __init__(self, min_cell: int):
        self.min_cell = min_cell
        self.lo: dict = {}
        self.hi: dict = {}
        self.integer: dict = {}
        self.eqs: list[Equation] = []
        self.why: dict = {}
        self.seen: set = set()

    def var(self, v, lo=1.0, hi=math.inf, integer=True):
        if v not in self.lo:
            self.lo[v], self.hi[v], self.integer[v] = lo, hi, integer
        return v

    def add(self, terms: dict, const: float, how: str):
        terms = {v: a for v, a in terms.items() if abs(a) > EPS}
        if not terms:
            return
        key = (tuple(sorted((str(v), round(a, 9)) for v, a in terms.items())), round(const, 6))
        if key in self.seen:
            return
        self.seen.add(key)
        self.eqs.append(Equation(terms, const, how))

    def propagate(self, rounds: int = 50):
        for _ in range(rounds):
            changed = False
            for eq in self.eqs:
                for v, a in eq.terms.items():
                    rest_lo = rest_hi = 0.0
                    for w, b in eq.terms.items():
                        if w == v:
                            continue
                        lo, hi = (
                            (b * self.lo[w], b * self.hi[w])
                            if b > 0
                            else (b * self.hi[w], b * self.lo[w])
                        )
                        rest_lo += lo
                        rest_hi += hi
                    r_lo, r_hi = eq.const - rest_hi, eq.const - rest_lo  # a*v in [r_lo, r_hi]
                    lo, hi = (r_lo / a, r_hi / a) if a > 0 else (r_hi / a, r_lo / a)
                    if self.integer[v]:
                        lo = math.ceil(lo - 1e-6) if math.isfinite(lo) else lo
                        hi = math.floor(hi + 1e-6) if math.isfinite(hi) else hi
                    new_lo, new_hi = max(self.lo[v], lo), min(self.hi[v], hi)
                    if new_lo > new_hi + 1e-6:
                        continue  # a guessed equation that does not hold: ignore it here
                    if new_lo > self.lo[v] + 1e-6 or new_hi < self.hi[v] - 1e-6:
                        self.lo[v], self.hi[v] = new_lo, new_hi
                        self.why[v] = eq.how
                        changed = True
            if not changed:
                return

    def tighten_lp(self, max_vars: int = 400):
        """Bounds by linear programming per connected set of equations (HiGHS): what propagation
        misses when a sum of unknowns, not one unknown, is pinned down. A set whose guessed
        equations contradict each other keeps its propagated bounds (`self.infeasible`)."""
        import numpy as np
        from scipy.optimize import linprog

        parent = {v: v for v in self.lo}

        def find(v):
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for eq in self.eqs:
            vs = list(eq.terms)
            for w in vs[1:]:
                parent[find(w)] = find(vs[0])
        comps: dict = {}
        for v in self.lo:
            comps.setdefault(find(v), []).append(v)
        self.infeasible = []
        for members in comps.values():
            if len(members) < 2 or len(members) > max_vars:
                continue
            idx = {v: i for i, v in enumerate(members)}
            eqs = [e for e in self.eqs if next(iter(e.terms)) in idx]
            a = np.zeros((len(eqs), len(members)))
            b = np.array([e.const for e in eqs])
            for k, e in enumerate(eqs):
                for v, c in e.terms.items():
                    a[k, idx[v]] += c
            bounds = [(self.lo[v], None if math.isinf(self.hi[v]) else self.hi[v]) for v in members]
            for i, v in enumerate(members):
                c = np.zeros(len(members))
                c[i] = 1.0
                res_lo = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
                if res_lo.status == 2:
                    self.infeasible.append(sorted({e.how for e in eqs}))
                    break
                res_hi = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
                lo = res_lo.fun if res_lo.status == 0 else self.lo[v]
                hi = -res_hi.fun if res_hi.status == 0 else self.hi[v]
                if self.integer[v]:
                    lo, hi = (
                        math.ceil(lo - 1e-6),
                        math.floor(hi + 1e-6) if math.isfinite(hi) else hi,
                    )
                if lo > self.lo[v] + 1e-6 or hi < self.hi[v] - 1e-6:
                    self.lo[v], self.hi[v] = max(lo, self.lo[v]), min(hi, self.hi[v])
                    self.why[v] = "linear programme over: " + " | ".join(
                        sorted({e.how for e in eqs})[:4]
                    )


# ---------------------------------------------------------------------------------------------
# Equation generators
# ---------------------------------------------------------------------------------------------


def _term(sys_: System, t: Table, row: int, col: str):
    """A count cell as (var, None) when hidden, (None, value) when shown, (None, None) if n/a."""
    if t.hidden.at[row, col]:
        return sys_.var((t.file, row, col)), None
    if (row, col) in t.na:
        return None, 0.0
    v = t.num.at[row, col]
    return (None, None) if pd.isna(v) else (None, float(v))


def _sum_equation(sys_: System, total: tuple, parts: list[tuple], how: str):
    """total = sum(parts); each a (var, value) pair."""
    terms: dict = {}
    const = 0.0
    for (v, val), sign in [(total, -1.0)] + [(p, 1.0) for p in parts]:
        if v is None and val is None:
            return
        if v is None:
            const -= sign * val
        else:
            terms[v] = terms.get(v, 0.0) + sign
    if terms:
        sys_.add(terms, const, how)


def _blocks(t: Table, label_col: str) -> dict:
    keys = _keys(t, label_col)
    if not keys:
        return {(): list(t.text.index)}
    return {
        k if isinstance(k, tuple) else (k,): list(g.index)
        for k, g in t.text.groupby(keys, sort=False)
    }


def _keys(t: Table, label_col: str) -> list[str]:
    """The text columns before the label column: what a block of rows shares (text columns after
    it are values, e.g. '−0,80***')."""
    return [c for c in t.text_cols if t.columns.index(c) < t.columns.index(label_col)]


def _label_col(t: Table) -> str | None:
    """The text column naming the rows (the last text column before the first count column)."""
    if not t.text_cols or not t.count_cols:
        return None
    first = t.columns.index(t.count_cols[0])
    before = [c for c in t.text_cols if t.columns.index(c) < first]
    return before[-1] if before else t.text_cols[0]


def totals_within(sys_: System, t: Table):
    lab = _label_col(t)
    if lab is None:
        return
    keys = _keys(t, lab)
    is_total = t.text[lab].str.strip().str.match(TOTAL_RE)
    # a total row named in a key column with its own label empty ("I alt" under Fase, no Hold)
    whole = pd.Series(False, index=t.text.index)
    for k in keys:
        whole |= t.text[k].str.strip().str.match(TOTAL_RE) & (t.text[lab].str.strip() == "")
    is_total = is_total | whole
    for c in t.count_cols:
        # a total row and the other rows of its block; a block whose keys are themselves a total
        # label ("I alt") covers every block sharing its remaining keys.
        for r in t.text.index[is_total]:
            scope = {
                k: t.text.at[r, k] for k in keys if not TOTAL_RE.match(t.text.at[r, k].strip())
            }
            inside = t.text.index.to_series()
            for k, v in scope.items():
                inside = inside[t.text.loc[inside, k] == v]
            own = [k for k in keys if k not in scope]
            groups = (
                {(): list(inside)}
                if not own or whole[r]
                else {
                    g if isinstance(g, tuple) else (g,): list(ix.index)
                    for g, ix in t.text.loc[inside].groupby(own, sort=False)
                }
            )
            for _g, rows in groups.items():
                parts = [
                    i
                    for i in rows
                    if i != r and not is_total[i] and not HERAF_RE.match(t.text.at[i, lab])
                ]
                if len(parts) < 2:
                    continue
                _sum_equation(
                    sys_,
                    _term(sys_, t, r, c),
                    [_term(sys_, t, i, c) for i in parts],
                    f"{t.file}[{c}]: '{t.label(r)}' = sum of rows {' + '.join(t.text.at[i, lab] for i in parts)}",
                )
        # "heraf" rows after a parent row
        rows = list(t.text.index)
        i = 0
        while i < len(rows):
            j = i + 1
            while j < len(rows) and HERAF_RE.match(t.text.at[rows[j], lab]):
                j += 1
            if j - i - 1 >= 2:
                _sum_equation(
                    sys_,
                    _term(sys_, t, rows[i], c),
                    [_term(sys_, t, rows[k], c) for k in range(i + 1, j)],
                    f"{t.file}[{c}]: '{t.label(rows[i])}' = sum of its 'heraf' rows",
                )
            i = j
    # total columns against their siblings with the same suffix
    for c in t.count_cols:
        m = re.match(r"^(i alt|total|alle|samlet)(.*)$", c, re.IGNORECASE)
        if not m:
            continue
        sibs = [
            d for d in t.count_cols if d != c and d.endswith(m.group(2)) and not TOTAL_RE.match(d)
        ]
        if len(sibs) < 2:
            continue
        for r in t.text.index:
            _sum_equation(
                sys_,
                _term(sys_, t, r, c),
                [_term(sys_, t, r, d) for d in sibs],
                f"{t.file} row '{t.label(r)}': '{c}' = {' + '.join(sibs)}",
            )


# Shares whose base the column names tell (the survey distributions): of n_scale for answers on
# the scale, of n_answered for the special codes; used when no shown row confirms a base.
NAMED_SHARES = {("share", "n", "n_scale"): "False", ("share", "n", "n_answered"): "True"}


def share_times_base(sys_: System, t: Table):
    """count = share * base for (share column, count column, base) triples the shown rows confirm
    (or the names tell), separately for the rows flagged special and the others."""
    pct_cols = [
        c for c in t.columns if PCT_RE.search(c) and c not in t.count_cols and c not in t.text_cols
    ]
    if not pct_cols:
        return
    if "special" in t.columns:
        flag = t.text["special"].str.strip().str.capitalize()
        parts = {k: list(g.index) for k, g in t.text.groupby(flag, sort=False)}
    else:
        parts = {"": list(t.text.index)}
    for flag_value, rows in parts.items():
        for p in pct_cols:
            for a in t.count_cols:
                for base in [b for b in t.count_cols if b != a]:
                    for scale in (1.0, 100.0):
                        ok = 0
                        bad = False
                        for r in rows:
                            pv, av, bv = t.num.at[r, p], t.num.at[r, a], t.num.at[r, base]
                            if t.hidden.at[r, p] or t.hidden.at[r, a] or t.hidden.at[r, base]:
                                continue
                            if pd.isna(pv) or pd.isna(av) or pd.isna(bv):
                                continue
                            if abs(pv * bv / scale - av) > 0.01:
                                bad = True
                                break
                            if av > 0:
                                ok += 1
                        named = NAMED_SHARES.get((p, a, base)) == flag_value and scale == 1.0
                        if bad or (ok < 2 and not named):
                            continue
                        if not named and _other_base_fits(t, rows, p, a, base, scale):
                            continue  # the shown rows cannot tell two bases apart
                        for r in rows:
                            pv = t.num.at[r, p]
                            if t.hidden.at[r, p] or pd.isna(pv):
                                continue
                            if (r, a) in t.na or (r, base) in t.na:
                                continue
                            ta, tb = _term(sys_, t, r, a), _term(sys_, t, r, base)
                            if ta == (None, None) or tb == (None, None):
                                continue
                            how = f"{t.file} row '{t.label(r)}': '{a}' = '{p}' x '{base}'" + (
                                " / 100" if scale == 100 else ""
                            )
                            half = rounding_half(t.text.at[r, p])
                            if half is not None:  # a rounded share: two inequalities
                                rounded_share(sys_, ta, tb, pv / scale, half / scale, how)
                                continue
                            terms: dict = {}
                            const = 0.0
                            # a - (p/scale) * base = 0
                            for (v, val), coef in [(ta, 1.0), (tb, -pv / scale)]:
                                if v is None:
                                    const -= coef * val
                                else:
                                    terms[v] = terms.get(v, 0.0) + coef
                            sys_.add(terms, const, how)


ROUNDED_DECIMALS = 4  # a share written with at most this many decimals is taken as rounded


def rounding_half(text: str) -> float | None:
    """Half a unit of a shown share's last decimal (trailing zeros dropped: "67.0" is a whole
    percent, "0.67" two decimals) when it has at most ROUNDED_DECIMALS decimals; None for a
    value written in full (an exact share)."""
    s = str(text).strip()
    if "e" in s.lower():
        return None
    frac = s.split(".", 1)[1].rstrip("0") if "." in s else ""
    if len(frac) > ROUNDED_DECIMALS:
        return None
    return 0.5 * 10.0 ** -len(frac)


def rounded_share(sys_: System, count, base, share: float, half: float, how: str) -> None:
    """(share - half) x base <= count <= (share + half) x base for (var, value) pairs, as two
    equations with non-negative slack variables (file 'slack', not reported)."""
    for sign, k in ((1.0, -1.0), (-1.0, 1.0)):
        # low: count - (share - half) base - s = 0; high: count - (share + half) base + s = 0
        terms: dict = {}
        const = 0.0
        for (v, val), coef in [(count, 1.0), (base, -(share + k * half))]:
            if v is None:
                const -= coef * val
            else:
                terms[v] = terms.get(v, 0.0) + coef
        if not terms:
            continue
        slack = sys_.var(("slack", len(sys_.lo), how[:40]), lo=0.0, integer=False)
        terms[slack] = -sign
        sys_.add(terms, const, how + (" (rounded, low)" if sign > 0 else " (rounded, high)"))


def wave_questionnaires(sys_: System, tables: list[Table]) -> None:
    """(e) An item-wave's answers in a long item table add up to the wave's fully submitted
    questionnaires of Tabel 2 (`Måling`, `Fuldt besvaret`), and so does its `n_answered`; left
    out where a shown n_answered differs (an item asked of some only)."""
    totals: dict = {}
    for t in tables:
        if "Måling" in t.columns and "Fuldt besvaret" in t.columns:
            for r in t.text.index:
                totals.setdefault(str(t.text.at[r, "Måling"]).strip().lower(), (t, r))
    if not totals:
        return
    for t in tables:
        if not {"item", "wave_label", "n"} <= set(t.columns) or "n" not in t.count_cols:
            continue
        for (item, label), ix in t.text.groupby(["item", "wave_label"], sort=False).groups.items():
            src = totals.get(str(label).strip().lower())
            if src is None:
                continue
            total = _term(sys_, src[0], src[1], "Fuldt besvaret")
            if total == (None, None):
                continue
            rows = list(ix)
            how = f"{t.file}: answers to '{item}' = '{label}' fully submitted in {src[0].file}"
            if "n_answered" in t.count_cols:
                shown = [
                    t.num.at[r, "n_answered"]
                    for r in rows
                    if not t.hidden.at[r, "n_answered"] and not pd.isna(t.num.at[r, "n_answered"])
                ]
                if shown and total[1] is not None and abs(shown[0] - total[1]) > EPS:
                    continue  # asked of some only
                for r in rows:
                    _sum_equation(sys_, total, [_term(sys_, t, r, "n_answered")], how)
            _sum_equation(sys_, total, [_term(sys_, t, r, "n") for r in rows], how)


def _other_base_fits(t: Table, rows: list, p: str, a: str, base: str, scale: float) -> bool:
    """Another count column equal to `base` on every row that confirmed it (n_scale = n_answered
    where nobody chose a special code)."""
    for other in t.count_cols:
        if other in (a, base):
            continue
        same = True
        for r in rows:
            if t.hidden.at[r, p] or t.hidden.at[r, a] or t.hidden.at[r, base]:
                continue
            if pd.isna(t.num.at[r, p]) or pd.isna(t.num.at[r, base]):
                continue
            if t.hidden.at[r, other] or abs(t.num.at[r, other] - t.num.at[r, base]) > EPS:
                same = False
                break
        if same:
            return True
    return False


def wide_percentages(sys_: System, t: Table):
    """A row of percentages over categories beside its N (who5-items): count = pct x N / 100 and
    the counts sum to N."""
    if "N" not in t.count_cols:
        return
    first = t.columns.index("N")
    cats = [c for c in t.columns[first + 1 :] if c not in t.text_cols and c not in t.count_cols]
    if len(cats) < 2:
        return
    full = [r for r in t.text.index if not t.hidden.loc[r, cats].any()]
    if not full or any(abs(t.num.loc[r, cats].sum() - 100) > 0.5 for r in full):
        return
    for r in t.text.index:
        n = t.num.at[r, "N"]
        if t.hidden.at[r, "N"] or pd.isna(n):
            continue
        parts = []
        for c in cats:
            v = (t.file, r, f"{c} (antal)")
            if t.hidden.at[r, c]:
                parts.append((sys_.var(v), None))
            else:
                parts.append((None, round(t.num.at[r, c] * n / 100, 6)))
        _sum_equation(
            sys_,
            (None, float(n)),
            parts,
            f"{t.file} row '{t.label(r)}': the percentages sum to 100 % of N={int(n)}",
        )


# shown label pairs before two maps are taken as a count and a subset of it: with 3, a theme x
# theme co-occurrence column and a role column of the qualitative tables (unrelated counts of
# interviews) passed as nested by chance
SUBSET_MIN_PAIRS = 4


def _stem(file: str) -> str:
    return Path(file).stem


def _matrix(t: Table) -> bool:
    """A square matrix of counts (theme x theme co-occurrence): its rows are its columns."""
    labels = {str(v).strip() for c in t.text_cols for v in t.text[c]}
    return len(set(t.count_cols) & labels) >= 2


def _may_nest(t1: Table, c1: str, t2: Table, c2: str) -> bool:
    """Whether two count columns could be a count and a subset of it: not two different columns
    of the same data (a table and its figure's data), and not a co-occurrence matrix, whose
    columns are ordered against anything by chance."""
    if _stem(t1.file) == _stem(t2.file) and c1 != c2:
        return False
    return not (_matrix(t1) or _matrix(t2))


def same_count_across(sys_: System, tables: list[Table]):
    """The same labelled count in two files: maps label -> value per (file, count column, label
    column); two maps that agree on >= 2 non-zero shown labels are taken as the same counts. Maps
    whose shown values are never smaller on one side (>= 3 labels, not all equal) are taken as a
    count and a subset of it (a model's persons within a group): a <= b."""
    maps = []
    for t in tables:
        for lab in t.text_cols:
            labels = t.text[lab].str.strip().str.lower()
            if labels.duplicated().any() or len(labels) < 2:
                continue
            for c in t.count_cols:
                maps.append((t, c, lab, dict(zip(labels, t.text.index, strict=False))))
    for i, (t1, c1, _l1, m1) in enumerate(maps):
        for t2, c2, _l2, m2 in maps[i + 1 :]:
            if t1.file == t2.file:
                continue  # two columns of one file (n_scale, n_answered) are not the same count
            common = [k for k in m1 if k in m2]
            if len(common) < 2:
                continue
            pairs = []
            for k in common:
                a, b = _term(sys_, t1, m1[k], c1), _term(sys_, t2, m2[k], c2)
                if a[0] is None and b[0] is None and a[1] is not None and b[1] is not None:
                    pairs.append((a[1], b[1]))
            hidden_any = any(t1.hidden.at[m1[k], c1] != t2.hidden.at[m2[k], c2] for k in common)
            if not hidden_any or not pairs:
                continue
            if all(abs(a - b) < EPS for a, b in pairs) and sum(a > 0 for a, _ in pairs) >= 2:
                for k in common:
                    _sum_equation(
                        sys_,
                        _term(sys_, t1, m1[k], c1),
                        [_term(sys_, t2, m2[k], c2)],
                        f"the same count for '{k}': {t1.file}[{c1}] = {t2.file}[{c2}]",
                    )
                continue
            if len(pairs) < SUBSET_MIN_PAIRS or not _may_nest(t1, c1, t2, c2):
                continue
            if all(a <= b for a, b in pairs):
                small, big = (t1, c1, m1), (t2, c2, m2)
            elif all(a >= b for a, b in pairs):
                small, big = (t2, c2, m2), (t1, c1, m1)
            else:
                continue
            for k in common:
                ts, cs, ms = small
                tb, cb, mb = big
                slack = sys_.var(("slack", len(sys_.lo), ""), lo=0.0, integer=False)
                _sum_equation(
                    sys_,
                    _term(sys_, tb, mb[k], cb),
                    [_term(sys_, ts, ms[k], cs), (slack, None)],
                    f"a subset's count for '{k}': {ts.file}[{cs}] <= {tb.file}[{cb}]",
                )


def keyed_groups(sys_: System, tables: list[Table]):
    """A file keyed by week (one row per week) against a file split by a group with the same key:
    counts sum over the groups; mean x n sums too (a score sum per week)."""
    for key in KEY_COLUMNS:
        whole = [
            t for t in tables if key in t.columns and not t.text_cols and t.text[key].is_unique
        ]
        split = [t for t in tables if key in t.columns and len(t.text_cols) == 1]
        for w in whole:
            wrow = {s: i for i, s in enumerate(w.text[key])}
            for s in split:
                g = s.text_cols[0]
                groups = s.text.groupby(key, sort=False).groups
                shared = [
                    c
                    for c in s.count_cols
                    if c in w.count_cols and _partition_holds(s, w, c, key, groups, wrow)
                ]
                if not shared:
                    continue
                for k, rows in groups.items():
                    if k not in wrow:
                        continue
                    r0 = wrow[k]
                    for c in shared:
                        _sum_equation(
                            sys_,
                            _term(sys_, w, r0, c),
                            [_term(sys_, s, i, c) for i in rows],
                            f"{s.file}[{c}] summed over '{g}' = {w.file}[{c}] in {key} {k}",
                        )
                    if "mean" in s.columns and "mean" in w.columns and "n" in shared:
                        # sum_g mean_g * n_g = mean * n; S_g a score-sum variable when mean hidden
                        terms: dict = {}
                        const = 0.0
                        wm, (wv, wn) = w.num.at[r0, "mean"], _term(sys_, w, r0, "n")
                        if w.hidden.at[r0, "mean"] or wv is not None or pd.isna(wm):
                            continue
                        const += wm * wn
                        usable = True
                        for i in rows:
                            v, n = _term(sys_, s, i, "n")
                            m = s.num.at[i, "mean"]
                            if not s.hidden.at[i, "mean"] and not pd.isna(m):
                                if v is None:
                                    const -= m * n
                                else:
                                    terms[v] = terms.get(v, 0.0) + m
                            else:
                                sv = sys_.var((s.file, i, "mean x n"), lo=0.0, integer=True)
                                terms[sv] = 1.0
                                if v is None and n is None:
                                    usable = False
                        if usable and terms:
                            sys_.add(
                                terms,
                                const,
                                f"{s.file} mean x n summed over '{g}' = {w.file} mean x n in {key} {k}",
                            )


def _partition_holds(s: Table, w: Table, c: str, key: str, groups, wrow) -> bool:
    """The groups' counts add up to the whole in every key where all of them are shown."""
    checked = 0
    for k, rows in groups.items():
        if k not in wrow or s.hidden.loc[list(rows), c].any() or w.hidden.at[wrow[k], c]:
            continue
        if abs(float(s.num.loc[list(rows), c].sum()) - float(w.num.at[wrow[k], c])) > EPS:
            return False
        checked += 1
    return checked > 0


# What a base column's name says it counts: True = the answers on the scale (special codes left
# out), False = every answer of the block.
BASE_NAMES = {
    "n_scale": True,
    "n_answered": False,
    "n_respondents": False,
    "n_wave": False,
    "n_item": False,
}


def base_columns(sys_: System, t: Table):
    """A base column constant within a block (n_scale, n_answered, n_wave, N) equals the sum of
    the block's counts, or of those not flagged special; the form is kept when every fully shown
    block of the file confirms it."""
    if "n" not in t.count_cols:
        return
    lab = _label_col(t)
    keys = [c for c in t.text_cols if c not in (lab, "answer", "option", "bin", "zone", "special")]
    keys = [
        c for c in keys if c in ("item", "wave", "question", "wave_label", "item_label")
    ] or keys
    if not keys:
        return
    blocks = {
        g: list(ix)
        for g, ix in t.text.groupby(keys if len(keys) > 1 else keys[0], sort=False).groups.items()
    }
    special = (
        t.text["special"].str.lower() == "true"
        if "special" in t.columns
        else pd.Series(False, index=t.text.index)
    )
    for b in [c for c in t.count_cols if c != "n"]:
        for only_scale in (False, True):
            if b in BASE_NAMES and BASE_NAMES[b] != only_scale:
                continue  # the name tells which rows it counts
            ok = 0
            bad = False
            for rows in blocks.values():
                part = [r for r in rows if not (only_scale and special[r])]
                cells = t.num.loc[rows, b]
                if t.hidden.loc[rows, b].all() or t.hidden.loc[part, "n"].any():
                    continue
                shown_b = cells[~t.hidden.loc[rows, b]]
                if shown_b.nunique() != 1:
                    bad = True
                    break
                if abs(float(t.num.loc[part, "n"].sum()) - float(shown_b.iloc[0])) > EPS:
                    bad = True
                    break
                ok += 1
            named = BASE_NAMES.get(b)
            if bad or (ok < 1 and named != only_scale):
                continue
            for rows in blocks.values():
                part = [r for r in rows if not (only_scale and special[r])]
                for r in rows:  # the base repeated on every row of the block
                    _sum_equation(
                        sys_,
                        _term(sys_, t, r, b),
                        [_term(sys_, t, i, "n") for i in part],
                        f"{t.file}: '{b}' = sum of 'n' over the block {t.label(rows[0])[:60]}"
                        + (" (answers on the scale)" if only_scale else ""),
                    )
            break


def sister_blocks(sys_: System, t: Table) -> None:
    """Blocks of a table (one per dimension) without a total row: every block of the same outer
    keys covers the same population, so a fully shown block gives the total of the others."""
    lab = _label_col(t)
    if lab is None:
        return
    keys = _keys(t, lab)
    if not keys:
        return
    dim = keys[-1]
    outer = keys[:-1]
    groups = {(): t.text} if not outer else dict(list(t.text.groupby(outer, sort=False)))
    for _, sub in groups.items():
        blocks = dict(list(sub.groupby(dim, sort=False)))
        if len(blocks) < 2 or any(TOTAL_RE.match(str(k).strip()) for k in blocks):
            continue
        for c in t.count_cols:
            totals = {}
            for name, b in blocks.items():
                idx = list(b.index)
                if (
                    len(idx) >= 2
                    and not t.hidden.loc[idx, c].any()
                    and t.num.loc[idx, c].notna().all()
                ):
                    totals[name] = float(t.num.loc[idx, c].sum())
            values = set(totals.values())
            if len(values) != 1:
                continue  # no shown block, or shown blocks disagree: not the same population
            total = values.pop()
            for name, b in blocks.items():
                idx = list(b.index)
                if name in totals or len(idx) < 2:
                    continue
                _sum_equation(
                    sys_,
                    (None, total),
                    [_term(sys_, t, i, c) for i in idx],
                    f"{t.file}[{c}]: block '{name}' sums to {int(total)} like its fully shown sister block(s) {', '.join(map(str, totals))}",
                )


# ---------------------------------------------------------------------------------------------
# (d) integers printed elsewhere
# ---------------------------------------------------------------------------------------------


PERSON_WORDS = r"(personer|kursister|deltagere|borgere|interviews?|respondenter|svar|besvarelser|ledere|koordinatorer|instruktører)"


def printed_integers(run_dir: Path) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    est = run_dir / "results" / "estimates.csv"
    if est.exists():
        e = pd.read_csv(est, dtype=str, keep_default_na=False)
        for col in [c for c in e.columns if c.startswith("n_")]:
            for i, s in e[col].items():
                v = _number(s)
                if v is not None and v == int(v):
                    found.setdefault(int(v), []).append(
                        f"estimates.csv row {i} {col} ({e.at[i, 'analysis']}/{e.at[i, 'subgroup']}/{e.at[i, 'term']})"
                    )
    for text_file in [run_dir / "_report_src" / "index.md"]:
        if not text_file.exists():
            continue
        text = text_file.read_text(encoding="utf-8")
        text = re.sub(r"\|[^\n]*\|", " ", text)  # tables are checked as CSV files
        text = re.sub(r"(Tabel|Figur|Bilag|Kapitel|afsnit)\s+\d+", " ", text)  # cross-references
        for m in re.finditer(r"(?<![\d,.\-−])(\d{1,3}(?:\.\d{3})*)(?![\d,]|\.\d)", text):
            v = int(m.group(1).replace(".", ""))
            ctx = text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
            found.setdefault(v, []).append(f"report text: …{ctx}…")
    return found


def printed_small_counts(run_dir: Path, min_cell: int) -> list[dict]:
    """Counts under min_cell printed as such: estimates' n columns and prose '3 kursister'."""
    out = []
    est = run_dir / "results" / "estimates.csv"
    if est.exists():
        e = pd.read_csv(est, dtype=str, keep_default_na=False)
        for col in [c for c in e.columns if c.startswith("n_")]:
            for i, s in e[col].items():
                v = _number(s)
                if v is not None and 0 < v < min_cell:
                    out.append(
                        {
                            "file": "results/estimates.csv",
                            "row": i,
                            "column": col,
                            "label": f"{e.at[i, 'analysis']}/{e.at[i, 'subgroup']}/{e.at[i, 'term']}",
                            "kind": "printed",
                            "value": v,
                            "lo": v,
                            "hi": v,
                            "equation": "a count under min_cell printed in estimates.csv",
                        }
                    )
    md = run_dir / "_report_src" / "index.md"
    if md.exists():
        text = md.read_text(encoding="utf-8")
        for m in re.finditer(r"(?<![\d,.])(\d{1,2})\s+" + PERSON_WORDS, text):
            v = int(m.group(1))
            if 0 < v < min_cell:
                ctx = text[max(0, m.start() - 60) : m.end() + 40].replace("\n", " ")
                out.append(
                    {
                        "file": "report text",
                        "row": m.start(),
                        "column": "",
                        "label": ctx,
                        "kind": "printed",
                        "value": v,
                        "lo": v,
                        "hi": v,
                        "equation": "a count under min_cell printed in the report's text",
                    }
                )
    return out


def integer_candidates(
    sys_: System, tables: list[Table], printed: dict[int, list[str]]
) -> list[dict]:
    """Blocks with exactly one unknown count: an integer printed elsewhere that leaves it in
    1..min_cell-1 is a candidate total."""
    out = []
    for t in tables:
        lab = _label_col(t)
        if lab is None:
            continue
        for _, rows in _blocks(t, lab).items():
            if len(rows) < 2:
                continue
            for c in t.count_cols:
                hid = [r for r in rows if t.hidden.at[r, c]]
                if len(hid) != 1:
                    continue
                shown = t.num.loc[[r for r in rows if r not in hid], c]
                if shown.isna().any():
                    continue
                s = float(shown.sum())
                fits = [d for d in range(1, sys_.min_cell) if int(s) + d in printed]
                if len(fits) != 1:
                    continue  # none, or several printed integers fit: nothing singled out
                for d in fits:
                    if int(s) + d in printed:
                        r = hid[0]
                        out.append(
                            {
                                "file": t.file,
                                "row": r,
                                "column": c,
                                "label": t.label(r),
                                "kind": "candidate",
                                "value": float(d),
                                "lo": float(d),
                                "hi": float(d),
                                "equation": f"{int(s) + d} printed ({printed[int(s) + d][0][:120]}) - {int(s)} shown in the block",
                            }
                        )
    return out


# ---------------------------------------------------------------------------------------------
# (e) test statistics beside a table with hidden cells (issue 12, engineer C)
# ---------------------------------------------------------------------------------------------

# A tests table names the variable it tests; its statistic, p-value and smallest expected count
# are functions of the 2 x k table of counts that a companion table shows (with hidden cells).
TEST_VARIABLE = "Variabel"
TEST_STATISTIC = "Teststørrelse"
TEST_P = "p-værdi"
TEST_MIN_EXPECTED = "Mindste forventede antal"
TEST_NAME = "Test"
CATEGORY = "Kategori"
UNKNOWN_RE = re.compile(r"^(uoplyst|ukendt|mangler)", re.IGNORECASE)
MAX_FILLS = 400_000


def _tolerance(raw: str) -> float:
    """Half a unit of the last digit shown (at least a relative 1e-9 for floating point)."""
    s = raw.strip()
    dec = len(s.split(".", 1)[1]) if "." in s and "e" not in s.lower() else 0
    v = abs(_number(s) or 0.0)
    return max(0.5 * 10.0**-dec if dec else 0.5, 1e-9 * v, 1e-12)


def _companion(t: Table, tables: list[Table]) -> Table | None:
    """The counts table a tests table belongs to: same key columns, the tested variables among
    its rows, and (several fitting) the same file-name prefix."""
    keys = [c for c in t.text_cols if c in ("Måling", TEST_VARIABLE)]
    fits = []
    for c in tables:
        if c is t or CATEGORY not in c.columns or TEST_VARIABLE not in c.columns:
            continue
        if [k for k in c.text_cols if k in ("Måling", TEST_VARIABLE)] != keys:
            continue
        if len([x for x in c.count_cols if x.endswith("antal")]) < 2:
            continue
        if not set(t.text[TEST_VARIABLE]) & set(c.text[TEST_VARIABLE]):
            continue
        fits.append(c)
    prefix = Path(t.file).stem.split("_")[0]
    same = [c for c in fits if Path(c.file).stem.split("_")[0] == prefix]
    return (same or fits or [None])[0]


def _compositions(total: int, k: int) -> list[tuple]:
    """Every way to write `total` as k integers >= 1 (hidden counts; zeros are shown)."""
    import itertools

    if k == 0:
        return [()] if total == 0 else []
    if total < k or math.comb(total - 1, k - 1) > MAX_FILLS:
        return []  # none, or too many to try (the block is skipped)
    return [
        tuple(b - a for a, b in zip((0, *cut), (*cut, total), strict=True))
        for cut in itertools.combinations(range(1, total), k - 1)
    ]


def _stats_of(tab, kind: str):
    """(statistic, p-value, smallest expected count) of 2 x k tables (array n x 2 x k), as the
    suite computes them: Pearson's chi² without correction (Monte Carlo: its statistic, no exact
    p), Fisher's odds ratio for 2 x 2."""
    import numpy as np
    from scipy import stats

    tab = np.asarray(tab, dtype=float)
    rows = tab.sum(axis=2, keepdims=True)
    cols = tab.sum(axis=1, keepdims=True)
    n = tab.sum(axis=(1, 2), keepdims=True)
    exp = rows * cols / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = np.where(exp > 0, (tab - exp) ** 2 / exp, 0.0).sum(axis=(1, 2))
        if kind == "fisher":
            stat = tab[:, 0, 0] * tab[:, 1, 1] / (tab[:, 0, 1] * tab[:, 1, 0])
        else:
            stat = chi
    dof = tab.shape[2] - 1
    p = stats.chi2.sf(chi, dof) if kind == "chi2" else np.full(len(tab), np.nan)
    return stat, p, exp.min(axis=(1, 2))


def test_statistics(tables: list[Table], min_cell: int, markers: dict | None = None) -> list[dict]:
    """A statistic, p-value or smallest expected count printed for a 2 x k table whose counts are
    shown elsewhere with hidden cells: every integer fill of the hidden cells that keeps the
    shown margins is tried, and the fills that give the printed values (within half a unit of
    their last digit) are kept. Both readings of the two count columns are tried: two groups,
    and a subset beside its whole (the test compares the subset with the rest)."""
    import itertools

    import numpy as np

    out = []
    for t in tables:
        if TEST_VARIABLE not in t.columns or not (
            TEST_STATISTIC in t.columns or TEST_MIN_EXPECTED in t.columns
        ):
            continue
        c = _companion(t, tables)
        if c is None:
            continue
        cols = [x for x in c.count_cols if x.endswith("antal")][:2]
        wave = "Måling" if "Måling" in t.columns and "Måling" in c.columns else None
        for r in t.text.index:
            name = t.text.at[r, TEST_NAME].lower() if TEST_NAME in t.columns else ""
            kind = "fisher" if "fisher" in name else "chi2" if "pearson" in name else "mc"
            if "welch" in name or "ingen" in name:
                continue
            shown = {
                k: (t.num.at[r, k], _tolerance(t.text.at[r, k]))
                for k in (TEST_STATISTIC, TEST_P, TEST_MIN_EXPECTED)
                if k in t.columns and not t.hidden.at[r, k] and not pd.isna(t.num.at[r, k])
            }
            if kind != "chi2":
                shown.pop(TEST_P, None)  # an exact / Monte Carlo p: not recomputed here
            if not shown:
                continue
            sel = c.text[TEST_VARIABLE] == t.text.at[r, TEST_VARIABLE]
            if wave:
                sel &= c.text[wave] == t.text.at[r, wave]
            block = [i for i in c.text.index[sel] if not UNKNOWN_RE.match(c.text.at[i, CATEGORY])]
            unknown = [i for i in c.text.index[sel] if UNKNOWN_RE.match(c.text.at[i, CATEGORY])]
            tot = c.text[TEST_VARIABLE].str.strip().str.match(TOTAL_RE)
            if wave:
                tot &= c.text[wave] == t.text.at[r, wave]
            if len(block) < 2 or tot.sum() != 1:
                continue
            ti = c.text.index[tot][0]
            totals, fills, hidden_cells = [], [], []
            ok = True
            for col in cols:
                known_total = c.num.at[ti, col] - sum(
                    c.num.at[i, col] if not c.hidden.at[i, col] else np.nan for i in unknown
                )
                if c.hidden.at[ti, col] or pd.isna(known_total):
                    ok = False
                    break
                hid = [i for i in block if c.hidden.at[i, col]]
                rest = round(
                    float(known_total - c.num.loc[[i for i in block if i not in hid], col].sum())
                )
                fills.append(_compositions(rest, len(hid)))
                hidden_cells.append(hid)
                totals.append(known_total)
            if not ok or not any(hidden_cells) or not all(fills):
                continue
            if math.prod(len(f) for f in fills) > MAX_FILLS:
                continue
            combos = list(itertools.product(*fills))
            base = np.array(
                [
                    [c.num.at[i, col] if not c.hidden.at[i, col] else 0 for i in block]
                    for col in cols
                ]
            )
            tabs = np.repeat(base[None, :, :], len(combos), axis=0)
            for k, combo in enumerate(combos):
                for j, (hid, vals) in enumerate(zip(hidden_cells, combo, strict=True)):
                    for i, v in zip(hid, vals, strict=True):
                        tabs[k, j, block.index(i)] = v
            keep = np.zeros(len(combos), dtype=bool)
            for subset in (False, True):
                tt = tabs.copy()
                if subset:
                    tt[:, 1, :] = tabs[:, 1, :] - tabs[:, 0, :]
                    if (tt[:, 1, :] < 0).all(axis=1).all():
                        continue
                # categories nobody has are left out of the test; the fills keep the zeros shown
                nz = tt.sum(axis=1).min(axis=0) > 0
                tt = tt[:, :, nz] if nz.sum() >= 2 else tt
                stat, p, me = _stats_of(tt, kind)
                good = np.ones(len(combos), dtype=bool)
                if subset:
                    good &= (tt >= 0).all(axis=(1, 2))
                for k, (v, tol) in shown.items():
                    got = {TEST_STATISTIC: stat, TEST_P: p, TEST_MIN_EXPECTED: me}[k]
                    good &= np.abs(got - v) <= tol + 1e-9
                keep |= good
            if not keep.any() or keep.all():
                continue
            for j, (hid, col) in enumerate(zip(hidden_cells, cols, strict=True)):
                for i in hid:
                    vals = sorted(set(tabs[keep, j, block.index(i)].tolist()))
                    small = [v for v in vals if v < min_cell]
                    mark = (markers or {}).get((c.file, int(i), col))
                    # a cell shown as «<5» in the report is one of the values under min_cell, one
                    # shown as «..» one of the others (without the report's markers: read as «<5»
                    # where both kinds of value fit)
                    marker = ""
                    if mark == "secondary":
                        vals = [v for v in vals if v >= min_cell] or vals
                        marker = " (read with its «..» marker)"
                    elif small and len(small) < len(vals):
                        vals = small
                        marker = " (read with its «<5» marker)"
                    lo, hi = float(min(vals)), float(max(vals))
                    if lo == hi:
                        kind_f = "exact"
                    elif hi < min_cell - 1 or (lo > 1 and hi < min_cell):
                        kind_f = "narrowed"
                    else:
                        continue
                    out.append(
                        {
                            "file": c.file,
                            "row": int(i),
                            "column": col,
                            "label": c.label(i),
                            "kind": kind_f,
                            "value": lo if kind_f == "exact" else None,
                            "lo": lo,
                            "hi": hi,
                            "equation": f"{t.file} row '{t.label(r)}': {', '.join(shown)} as printed "
                            f"fit {int(keep.sum())} of {len(combos)} fills of the hidden cells"
                            + marker,
                        }
                    )
    return out


# ---------------------------------------------------------------------------------------------
# (f) the report's markers: «<5» is 1..min_cell-1, «..» at least min_cell (issue 12, engineer C)
# ---------------------------------------------------------------------------------------------

PUBLISHED_KEY = "tpj_published"  # the output metadata naming the CSV a displayed table shows


def displayed_outputs(run_dir: Path):
    """(published file, Markdown text) of every displayed output of the executed notebooks."""
    for nb in sorted((run_dir / "notebooks").glob("*.ipynb")):
        try:
            doc = json.loads(nb.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in doc.get("cells", []):
            for o in cell.get("outputs", []):
                md = (o.get("data") or {}).get("text/markdown", "")
                yield (
                    (o.get("metadata") or {}).get(PUBLISHED_KEY, ""),
                    "".join(md) if isinstance(md, list) else md,
                )


def _pipe_rows(md: str) -> tuple[list[str], list[list[str]]]:
    """Header and body of the first pipe table in a Markdown text."""
    lines = [ln.strip() for ln in md.splitlines()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("|")), None)
    if start is None:
        return [], []
    block = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        block.append([c.strip() for c in ln.strip("|").split("|")])
    if len(block) < 2:
        return [], []
    return block[0], block[2:]


def report_markers(run_dir: Path) -> dict[tuple, str]:
    """{(file, row, column): 'primary' | 'secondary'} from the tables as the report shows them
    (each executed notebook's displayed table names its CSV): «<5» marks a count under min_cell,
    «..» one hidden to protect another. A table whose shown counts are all «..» (the whole table
    hidden, zeros too) gives no secondary bound."""
    out: dict[tuple, str] = {}
    for file, md in displayed_outputs(run_dir):
        if not file.endswith(".csv") or not md or not (run_dir / file).exists():
            continue
        header, rows = _pipe_rows(md)
        csv = pd.read_csv(run_dir / file, dtype=str, keep_default_na=False)
        if header != list(csv.columns) or len(rows) != len(csv):
            continue  # shown turned or reshaped: not matched cell by cell
        found = {}
        for r, row in enumerate(rows):
            for col, v in zip(header, row, strict=False):
                if re.fullmatch(r"«?<\s?\d+»?", v):
                    found[(file, r, col)] = "primary"
                elif v in ("..", "«..»"):
                    found[(file, r, col)] = "secondary"
        shown_numbers = any(re.fullmatch(r"[\d.,\u2212+-]+", v) for row in rows for v in row[1:])
        if not shown_numbers:
            found = {k: v for k, v in found.items() if v == "primary"}
        out.update(found)
    return out


def apply_markers(sys_: System, markers: dict[tuple, str]) -> int:
    """Bounds from the markers on the unknown counts of the equations; returns how many."""
    n = 0
    for v in list(sys_.lo):
        kind = markers.get(v)
        if kind == "primary":
            sys_.hi[v] = min(sys_.hi[v], sys_.min_cell - 1)
            n += 1
        elif kind == "secondary":
            sys_.lo[v] = max(sys_.lo[v], sys_.min_cell)
            n += 1
    return n


def rounded_shares(sys_: System, t: Table) -> None:
    """A share printed rounded (the last shown digit) beside its count and base: the count lies
    within base x (share -+ half a unit) / scale, two linear inequalities in count and base. The
    (share, count, base) triples are those the shown rows confirm within the rounding (>= 2 rows,
    no shown row against it); used where the exact `share_times_base` finds no triple."""
    pct_cols = [
        c for c in t.columns if PCT_RE.search(c) and c not in t.count_cols and c not in t.text_cols
    ]
    for p in pct_cols:
        for a in t.count_cols:
            for base in [b for b in t.count_cols if b != a]:
                for scale in (1.0, 100.0):
                    ok, bad = 0, False
                    for r in t.text.index:
                        if t.hidden.at[r, p] or t.hidden.at[r, a] or t.hidden.at[r, base]:
                            continue
                        pv, av, bv = t.num.at[r, p], t.num.at[r, a], t.num.at[r, base]
                        if pd.isna(pv) or pd.isna(av) or pd.isna(bv):
                            continue
                        half = _tolerance(t.text.at[r, p])
                        if (
                            not (pv - half) * bv / scale - 1e-9
                            <= av
                            <= (pv + half) * bv / scale + 1e-9
                        ):
                            bad = True
                            break
                        ok += av > 0
                    if bad or ok < 2 or _other_base_fits(t, list(t.text.index), p, a, base, scale):
                        continue
                    for r in t.text.index:
                        if t.hidden.at[r, p] or pd.isna(t.num.at[r, p]):
                            continue
                        if _tolerance(t.text.at[r, p]) < 1e-6 * max(abs(t.num.at[r, p]), 1.0):
                            continue  # printed in full: `share_times_base` has it exactly
                        ta, tb = _term(sys_, t, r, a), _term(sys_, t, r, base)
                        if ta[0] is None and tb[0] is None:
                            continue  # nothing unknown
                        if ta == (None, None) or tb == (None, None):
                            continue
                        half = _tolerance(t.text.at[r, p])
                        for coef, sign in (
                            ((t.num.at[r, p] - half) / scale, 1.0),
                            ((t.num.at[r, p] + half) / scale, -1.0),
                        ):
                            # sign * (a - coef * base) >= 0, with a slack >= 0
                            terms: dict = {}
                            const = 0.0
                            for (v, val), k in ((ta, sign), (tb, -sign * coef)):
                                if v is None:
                                    const -= k * val
                                else:
                                    terms[v] = terms.get(v, 0.0) + k
                            slack = sys_.var(("slack", len(sys_.lo), ""), lo=0.0, integer=False)
                            terms[slack] = -1.0
                            sys_.add(
                                terms,
                                const,
                                f"{t.file} row '{t.label(r)}': '{a}' within '{p}' (rounded) x '{base}'",
                            )


def means_within(sys_: System, t: Table) -> None:
    """Means beside counts with a total row: the groups' means x counts add up to the total's
    mean x count (a score sum), within the rounding of the printed means. A hidden group count
    with its mean shown enters with the mean as coefficient; a group whose mean is hidden makes
    the equation useless (its score sum is unknown) and is skipped."""
    lab = _label_col(t)
    if lab is None:
        return
    means = [
        c for c in t.columns if MEAN_RE.search(c) and c not in t.count_cols and c not in t.text_cols
    ]
    is_total = t.text[lab].str.strip().str.match(TOTAL_RE)
    if not means or is_total.sum() != 1:
        return
    r0 = t.text.index[is_total][0]
    parts = [r for r in t.text.index if r != r0 and not HERAF_RE.match(t.text.at[r, lab])]
    for m in means:
        # the mean's count: the count column named like it ("X, gns." beside "X, antal") or the
        # only count column
        stem = re.sub(r"\W*(gns\.?|gennemsnit|mean)\W*$", "", m, flags=re.IGNORECASE)
        cands = [c for c in t.count_cols if c.startswith(stem)] if stem else []
        n = cands[0] if len(cands) == 1 else (t.count_cols[0] if len(t.count_cols) == 1 else None)
        if (
            n is None
            or t.hidden.at[r0, m]
            or t.hidden.at[r0, n]
            or any(t.hidden.at[r, m] for r in parts)
        ):
            continue
        if any(
            pd.isna(t.num.at[r, m]) and not t.hidden.at[r, n] and t.num.at[r, n] > 0 for r in parts
        ):
            continue
        terms: dict = {}
        const = t.num.at[r0, m] * t.num.at[r0, n]
        err = _tolerance(t.text.at[r0, m]) * t.num.at[r0, n]
        for r in parts:
            v, val = _term(sys_, t, r, n)
            mv = t.num.at[r, m]
            if pd.isna(mv):
                continue
            err += _tolerance(t.text.at[r, m]) * t.num.at[r0, n]
            if v is None:
                const -= mv * (val or 0.0)
            else:
                terms[v] = terms.get(v, 0.0) + mv
        if not terms:
            continue
        slack = sys_.var(("slack", len(sys_.lo), ""), lo=-err, hi=err, integer=False)
        terms[slack] = 1.0
        sys_.add(terms, const, f"{t.file}: '{m}' x '{n}' over the rows = the total row's")


WAVE_LABEL_RE = re.compile(r"(måling|wave|runde|sammenligning|uge|week)", re.IGNORECASE)
NUMBER_N_RE = re.compile(r"\bN\s*=\s*(\d{1,3}(?:\.\d{3})*|\d+)(?![\d,])")


def printed_totals(sys_: System, tables: list[Table], run_dir: Path) -> None:
    """'N = 89 ...' printed under a figure (its source line, in the executed notebook's displayed
    output that names the file): for a figure's data of one block without a total row, the bars'
    `n` (shown values under N, some hidden) is taken to add up to N. Not for tables, whose rows
    mix units (holds, enrolments, persons: a guess that gave false findings at min_cell 10)."""
    by_file = {t.file: t for t in tables}
    for file, md in displayed_outputs(run_dir):
        t = by_file.get(file)
        m = NUMBER_N_RE.search(md or "")
        if t is None or m is None or not file.startswith("figures/"):
            continue  # a figure's data: one row per bar (a table's rows mix units)
        total = float(m.group(1).replace(".", ""))
        lab = _label_col(t)
        if lab is None or t.text[lab].str.strip().str.match(TOTAL_RE).any():
            continue
        if WAVE_LABEL_RE.search(lab) or not t.text[lab].is_unique:
            continue  # rows of different populations (waves, comparisons)
        if len(_blocks(t, lab)) != 1:
            continue
        for c in [c for c in t.count_cols if c == "n"]:
            col = t.num[c]
            hid = t.hidden[c]
            if not hid.any() or hid.all() or (col[~hid] == total).any():
                continue  # nothing hidden, or a base column repeating N
            if float(col[~hid].sum()) + hid.sum() > total:
                continue  # the rows do not add up to N (several answers a person)
            _sum_equation(
                sys_,
                (None, total),
                [_term(sys_, t, r, c) for r in t.text.index],
                f"{t.file}[{c}]: the rows add up to 'N = {m.group(1)}' printed under it",
            )


def _at_most(sys_: System, cell, bound, how: str) -> None:
    """cell <= bound for (var, value) pairs, as an equation with a non-negative slack."""
    (v, val), (bv, bval) = cell, bound
    if v is None and bv is None:
        return
    terms: dict = {}
    const = 0.0
    for (x, xv), coef in (((v, val), 1.0), ((bv, bval), -1.0)):
        if x is None:
            const -= coef * xv
        else:
            terms[x] = terms.get(x, 0.0) + coef
    slack = sys_.var(("slack", len(sys_.lo), how[:40]), lo=0.0, integer=False)
    terms[slack] = 1.0
    sys_.add(terms, const, how)


def population_bounds(sys_: System, tables: list[Table], run_dir: Path) -> None:
    """'N = 268 kursister' printed under a table or figure (its source line): every count of
    persons in it is at most N (a part of that population). A column with a shown value above N
    counts something else (observations, person-weeks) and is left alone."""
    by_file = {t.file: t for t in tables}
    for file, md in displayed_outputs(run_dir):
        t = by_file.get(file)
        m = NUMBER_N_RE.search(md or "")
        if t is None or m is None:
            continue
        total = float(m.group(1).replace(".", ""))
        for c in t.count_cols:
            shown = t.num[c][~t.hidden[c]].dropna()
            if not t.hidden[c].any() or (shown > total).any():
                continue
            for r in t.text.index[t.hidden[c]]:
                _at_most(
                    sys_,
                    _term(sys_, t, r, c),
                    (None, total),
                    f"{t.file}[{c}]: at most 'N = {m.group(1)}' printed under it",
                )


NOT_SCORED_RE = re.compile(r"(\(na\)|^ingen\b)", re.IGNORECASE)
WITH_DATA_RE = re.compile(r"(med data|^n$|\(n\)$|i alt)", re.IGNORECASE)


def companion_columns(sys_: System, tables: list[Table]) -> None:
    """A table whose rows are another table's columns (Tabel 6's means beside Tabel 6: one row
    per timepoint). A count column named for the persons with data is the other table's total
    row ("... (N)") in that column; a 'Heraf ...' column (the persons with a score) is the sum of
    its rows but the total and the ones without a score ("Ingen score (NA)")."""
    for a in tables:
        lab_a = _label_col(a)
        if lab_a is None:
            continue
        labels = a.text[lab_a].str.strip()
        total = labels.index[labels.str.match(TOTAL_RE)]
        if len(total) != 1:
            continue
        scored = [i for i in labels.index if i not in total and not NOT_SCORED_RE.search(labels[i])]
        for b in tables:
            lab_b = _label_col(b) if b is not a else None
            if lab_b is None:
                continue
            rows = {i: v.strip() for i, v in b.text[lab_b].items() if v.strip() in a.count_cols}
            if len(rows) < 2 or len(rows) != len(b.text) or len(set(rows.values())) != len(rows):
                continue  # every row one of the other table's columns, each once
            for c in b.count_cols:
                if HERAF_RE.search(c):
                    parts = scored
                elif WITH_DATA_RE.search(c):
                    parts = list(total)
                else:
                    continue

                def shown_sum(col, parts=parts, a=a):
                    vals = [_term(sys_, a, r, col)[1] for r in parts if not a.hidden.at[r, col]]
                    return sum(v for v in vals if v is not None)

                if any(  # the shown parts exceed the count: not this relation
                    not b.hidden.at[i, c] and shown_sum(col) > b.num.at[i, c] + EPS
                    for i, col in rows.items()
                ):
                    continue
                for i, col in rows.items():
                    terms = [_term(sys_, a, r, col) for r in parts]
                    _sum_equation(
                        sys_,
                        _term(sys_, b, i, c),
                        terms,
                        f"{b.file} '{b.text.at[i, lab_b]}' [{c}] = {a.file} column '{col}'",
                    )


NESTED_MIN_ROWS = 3  # rows with both counts shown before a column is taken as a part of another
NESTED_MIN_SHARE = 0.6  # and the part is most of the whole (the median row)
# and the part's name says it is a part (a reader's reading of the labels): columns that only
# happen to be ordered (two timepoints of Tabel 6, pilot and roll-out) are not nested
PART_NAME_RE = re.compile(
    r"(^\W*heraf\b|med en score|besvaret|i registeranalysen|registerudsnit|gennemført)",
    re.IGNORECASE,
)


def nested_columns(sys_: System, t: Table) -> None:
    """Two count columns of a table where every row showing both has the first at least the
    second (and some row more): the second counts a part of the first's persons (persons with a
    score among those with data, respondents among the enrolled). In a row where either is
    hidden, the part is still at most the whole."""
    cols = list(t.count_cols)
    for a in cols:
        for b in cols:
            if a == b or not PART_NAME_RE.search(b):
                continue
            both = ~t.hidden[a] & ~t.hidden[b] & t.num[a].notna() & t.num[b].notna()
            if both.sum() < NESTED_MIN_ROWS:
                continue
            d = t.num[a][both] - t.num[b][both]
            if (d < 0).any() or not (d > 0).any():
                continue
            whole = t.num[a][both]
            if (t.num[b][both][whole > 0] / whole[whole > 0]).median() < NESTED_MIN_SHARE:
                continue  # two groups side by side (pilot and roll-out), not a part and its whole
            for r in t.text.index[(t.hidden[a] | t.hidden[b]) & ~both]:
                whole, part = _term(sys_, t, r, a), _term(sys_, t, r, b)
                if (whole[0] is None and whole[1] is None) or (part[0] is None and part[1] is None):
                    continue
                _at_most(sys_, part, whole, f"{t.file}: '{b}' is a part of '{a}' (nested counts)")


def same_count_keyed(sys_: System, tables: list[Table]) -> None:
    """The same count under the same row keys in two files: rows keyed by the text columns (before
    the first count) the two files share by name, at least two (e.g. Måling / Variabel /
    Kategori, or item / wave / answer), unique in both. Taken as the same count when the shown
    values agree on at least two non-zero keys and disagree on none (`same_count_across` needs
    one unique label column)."""
    info = []
    for t in tables:
        if not t.count_cols:
            continue
        first = t.columns.index(t.count_cols[0])
        info.append((t, [c for c in t.text_cols if t.columns.index(c) < first]))
    for i, (t1, k1) in enumerate(info):
        for t2, k2 in info[i + 1 :]:
            keys = [c for c in k1 if c in k2]
            if t1.file == t2.file or len(keys) < 2:
                continue

            def keyed(t: Table, keys: list[str] = keys) -> dict | None:
                k = t.text[keys].apply(lambda r: tuple(v.strip().lower() for v in r), axis=1)
                return None if k.duplicated().any() else dict(zip(k, t.text.index, strict=True))

            m1, m2 = keyed(t1), keyed(t2)
            if m1 is None or m2 is None:
                continue
            common = [k for k in m1 if k in m2]
            for c1 in t1.count_cols:
                for c2 in [c for c in t2.count_cols if c == c1] or t2.count_cols[:0]:
                    pairs, hidden_any = [], False
                    for k in common:
                        a, b = _term(sys_, t1, m1[k], c1), _term(sys_, t2, m2[k], c2)
                        if a[0] is None and b[0] is None and a[1] is not None and b[1] is not None:
                            pairs.append((a[1], b[1]))
                        hidden_any |= (a[0] is None) != (b[0] is None)
                    if not hidden_any or sum(a > 0 for a, _ in pairs) < 2:
                        continue
                    if any(abs(a - b) > EPS for a, b in pairs):
                        continue
                    for k in common:
                        _sum_equation(
                            sys_,
                            _term(sys_, t1, m1[k], c1),
                            [_term(sys_, t2, m2[k], c2)],
                            f"the same count for {' / '.join(k)}: {t1.file}[{c1}] = {t2.file}[{c2}]",
                        )


READERS_TABLES = "tables/report_tables.xlsx"


def _xlsx_value(v) -> tuple[str, float | None]:
    """A readers' table cell as (kind, value): 'hidden' for «<5» / «..», 'number', or 'text'."""
    if v is None:
        return "blank", None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return "number", float(v)
    s = str(v).strip()
    if _marker(s) and s:
        return "hidden", None
    return "text", None


def readers_tables(run_dir: Path, tables: list[Table]) -> tuple[dict, list[dict]]:
    """`tables/report_tables.xlsx` (one sheet per report table, as shown) against the CSVs: a
    sheet matched to a CSV by its header and number of rows gives the report's markers, and a
    count a sheet shows where the CSV hides it (or the other way round) is a finding."""
    path = run_dir / READERS_TABLES
    if not path.exists():
        return {}, []
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    markers: dict = {}
    out: list[dict] = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if len(rows) < 3:
            continue
        header = [str(h).strip() if h is not None else "" for h in rows[1]]
        body = []
        for r in rows[2:]:
            if all(v is None for v in r):
                break
            body.append(r)
        for t in tables:
            if t.columns != header[: len(t.columns)] or len(t.text) != len(body):
                continue
            for i, r in enumerate(body):
                for j, col in enumerate(t.columns):
                    kind, v = _xlsx_value(r[j] if j < len(r) else None)
                    s = str(r[j]).strip() if kind == "hidden" else ""
                    if kind == "hidden" and s.strip("«»") not in UNPUBLISHED_MARKERS:
                        # «i.o.» (unpublished) says nothing about the size: no marker bound
                        markers[(t.file, i, col)] = "secondary" if ".." in s else "primary"
                    if col in t.count_cols and kind == "number" and t.hidden.at[i, col]:
                        if (i, col) in t.na:
                            continue
                        out.append(
                            {
                                "file": t.file,
                                "row": i,
                                "column": col,
                                "label": t.label(i),
                                "kind": "exact",
                                "value": v,
                                "lo": v,
                                "hi": v,
                                "equation": f"{READERS_TABLES} sheet '{ws.title}' shows it",
                            }
                        )
            break
    return markers, out


def sharpened(sys_: System, tables: list[Table], run_dir: Path) -> dict[tuple, str]:
    """The attacks added by the delivery-shaped sweep (issue 12, engineer C); returns the
    report's markers (also used by `test_statistics`)."""
    for t in tables:
        rounded_shares(sys_, t)
        means_within(sys_, t)
    printed_totals(sys_, tables, run_dir)
    population_bounds(sys_, tables, run_dir)
    companion_columns(sys_, tables)
    for t in tables:
        nested_columns(sys_, t)
    same_count_keyed(sys_, tables)
    markers = report_markers(run_dir)
    sheet_markers, _ = readers_tables(run_dir, tables)
    markers = {**sheet_markers, **markers}
    apply_markers(sys_, markers)
    return markers


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def check(
    run_dir: Path, min_cell: int, not_applicable: set | None = None
) -> tuple[list[dict], System]:
    """`not_applicable`: (file, row, column) of blank cells that carry no marker in the report."""
    tables = read_run(run_dir, not_applicable)
    sys_ = System(min_cell)
    for t in tables:
        totals_within(sys_, t)
        share_times_base(sys_, t)
        wide_percentages(sys_, t)
        base_columns(sys_, t)
        sister_blocks(sys_, t)
    wave_questionnaires(sys_, tables)
    same_count_across(sys_, tables)
    keyed_groups(sys_, tables)
    markers = sharpened(sys_, tables, run_dir)
    from_zero(sys_, tables)
    sys_.propagate()
    sys_.tighten_lp()
    by_file = {t.file: t for t in tables}
    findings = []
    for v in sys_.lo:
        lo, hi = sys_.lo[v], sys_.hi[v]
        file, row, col = v
        if file == "slack" or col.endswith("mean x n"):
            continue
        free = (row, col) in by_file[file].free if file in by_file else False
        if abs(hi - lo) < EPS:
            kind = "exact"
            if free and lo < EPS:
                continue  # an unpublished count that can only be 0: a zero, which is shown anyway
        elif free:
            # unpublished («i.o.»): any value from 0 by its marker; a finding only when it is
            # certainly a small count (at least 1 and under min_cell)
            if not (lo > 1 - EPS and hi < min_cell - EPS):
                continue
            kind = "narrowed"
        elif (math.isfinite(hi) and hi < min_cell - 1 - EPS) or (
            lo > 1 + EPS and hi < min_cell - EPS
        ):
            kind = "narrowed"
        else:
            continue
        findings.append(
            {
                "file": file,
                "row": row,
                "column": col,
                "label": by_file[file].label(row),
                "kind": kind,
                "value": lo if kind == "exact" else None,
                "lo": lo,
                "hi": hi,
                "equation": sys_.why.get(v, ""),
            }
        )
    findings += integer_candidates(sys_, tables, printed_integers(run_dir))
    findings += printed_small_counts(run_dir, min_cell)
    findings += test_statistics(tables, min_cell, markers)
    findings += readers_tables(run_dir, tables)[1]
    findings += rational_findings(run_dir, tables, sys_, markers, min_cell)
    return findings, sys_


def from_zero(sys_: System, tables: list[Table]) -> int:
    """An unknown marked unpublished («i.o.») may be 0: its lower bound goes from 1 to 0 (and
    no marker bound applies). Returns how many unknowns it concerns."""
    n = 0
    for t in tables:
        for row, col in t.free:
            v = (t.file, row, col)
            if v in sys_.lo:
                sys_.lo[v] = 0.0
                n += 1
    return n


def rational_findings(
    run_dir: Path, tables: list[Table], sys_: System, markers: dict, min_cell: int
) -> list[dict]:
    """(g) The denominators of shown means, shares and estimates as candidate values of hidden
    counts (`benchmarks/rational_reconstruction.py`, issue 12, engineer B)."""
    import importlib.util

    path = Path(__file__).with_name("rational_reconstruction.py")
    spec = importlib.util.spec_from_file_location("rational_reconstruction", path)
    rr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rr)
    extra = []
    est = run_dir / "results" / "estimates.csv"
    if est.exists():
        e = read_table(est, run_dir)
        e.hidden.loc[:, :] = False  # estimates.csv leaves cells blank, it hides none
        extra.append(e)
    found = rr.attack(tables + extra, rr.checker_interval(sys_, markers, min_cell), min_cell)
    return found + _what_follows(sys_, found, {t.file: t for t in tables})


def _what_follows(sys_: System, candidates: list[dict], by_file: dict) -> list[dict]:
    """Each candidate taken as true and propagated through the equations: the hidden cells it
    pins down exactly that were not known before (candidates too: they rest on the guess)."""
    import copy

    out, seen = [], set()
    for f in candidates:
        cell = (f["file"], f["row"], f["column"])
        if cell not in sys_.lo:
            continue
        trial = copy.copy(sys_)
        trial.lo, trial.hi, trial.why = dict(sys_.lo), dict(sys_.hi), {}
        trial.lo[cell] = trial.hi[cell] = f["value"]
        trial.propagate()
        for v in trial.lo:
            file, row, col = v
            if v == cell or file == "slack" or col.endswith("mean x n") or v in seen:
                continue
            if abs(trial.hi[v] - trial.lo[v]) < EPS and abs(sys_.hi[v] - sys_.lo[v]) > EPS:
                seen.add(v)
                out.append(
                    {
                        "kind": "candidate",
                        "file": file,
                        "row": row,
                        "column": col,
                        "label": by_file[file].label(row) if file in by_file else "",
                        "value": trial.lo[v],
                        "lo": trial.lo[v],
                        "hi": trial.lo[v],
                        "equation": f"if {cell} = {f['value']:g} (denominators): "
                        + trial.why.get(v, ""),
                    }
                )
    return out


def truth_value(truth_dir: Path, f: dict) -> float | None:
    if f["kind"] == "printed":
        return f["value"]  # printed as such
    p = truth_dir / f["file"]
    if not p.exists():
        return None
    t = read_table(p, truth_dir)
    col = f["column"]
    derived = col.endswith(" (antal)")
    base_col = col[: -len(" (antal)")] if derived else col
    if f["row"] >= len(t.text) or base_col not in t.columns or t.label(f["row"]) != f["label"]:
        return None
    v = t.num.at[f["row"], base_col]
    if pd.isna(v):
        return None
    if derived:
        v = v * t.num.at[f["row"], "N"] / 100
    return float(v)


def judge(findings: list[dict], truth_dir: Path | None) -> None:
    for f in findings:
        f["truth"] = None
        f["verdict"] = "unverified"
        if truth_dir is None:
            continue
        tv = truth_value(truth_dir, f)
        f["truth"] = tv
        if tv is None:
            continue
        ok = (
            abs(tv - f["value"]) < 0.51
            if f["value"] is not None
            else f["lo"] - 0.01 <= tv <= f["hi"] + 0.01
        )
        f["verdict"] = ("printed" if f["kind"] == "printed" else "real") if ok else "false"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--truth", type=Path, help="the same run with min_cell: 1 (nothing hidden)")
    ap.add_argument("--min-cell", type=int, default=5)
    ap.add_argument("--csv", type=Path, help="write the findings here")
    ap.add_argument("--json", type=Path, help="write a summary here")
    ap.add_argument("--all", action="store_true", help="print false findings too")
    a = ap.parse_args(argv)
    blanks = blanks_of(a.run_dir, a.truth) if a.truth else None
    findings, sys_ = check(a.run_dir, a.min_cell, blanks)
    judge(findings, a.truth)
    df = pd.DataFrame(
        findings,
        columns=[
            "file",
            "row",
            "column",
            "label",
            "kind",
            "value",
            "lo",
            "hi",
            "truth",
            "verdict",
            "equation",
        ],
    )
    if a.csv:
        df.to_csv(a.csv, index=False)
    counts = df.groupby(["kind", "verdict"]).size().to_dict() if len(df) else {}
    summary = {
        "run": str(a.run_dir),
        "min_cell": a.min_cell,
        "equations": len(sys_.eqs),
        "unknown_cells": len(sys_.lo),
        "findings": {f"{k}/{v}": int(n) for (k, v), n in sorted(counts.items())},
    }
    show = df if a.all else df[df["verdict"] != "false"]
    with pd.option_context(
        "display.max_rows", 500, "display.max_colwidth", 160, "display.width", 250
    ):
        for _, f in show.iterrows():
            val = (
                f"{f['value']:g}"
                if f["value"] is not None and not pd.isna(f["value"])
                else f"[{f['lo']:g}, {f['hi']:g}]"
            )
            print(
                f"{f['kind']:9} {f['verdict']:10} {f['file']} row {f['row']} '{f['label'][:60]}' [{f['column']}] = {val}"
                f" (truth {f['truth']})\n          via {f['equation'][:220]}"
            )
    print(json.dumps(summary, ensure_ascii=False))
    if a.json:
        a.json.write_text(
            json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
