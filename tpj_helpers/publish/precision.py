"""How many digits a published value keeps (issue 12): a value printed in full gives its counts back.

A mean, share or model estimate is a ratio p / q of integers, q the persons it rests on. Printed
with 16 significant digits it tells q (continued fractions: `Fraction(x).limit_denominator`),
and a q that is hidden elsewhere (a group's persons in a weekly figure, the base of a share in
another table) comes back; with a relation, so do the small counts beside it. Rounded to d
decimals a value fits every q >= 10^d (an interval of width q x 10^-d holds an integer), so it
tells nothing about such a q, and little about smaller ones.

`significant(x, digits)` rounds to significant digits (a slope of 0.0084 keeps its digits, a
mean of 2.14 two decimals); `round_columns` applies it to columns of a frame.
`results/estimates.csv` keeps ESTIMATE_DIGITS significant digits of its estimates, standard
errors and confidence limits (`Publisher.estimates`); p-values are kept as computed (they are
no ratios of counts, and the Holm adjustment and the stars rest on them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

# Significant digits of estimate, std_error, conf_low, conf_high in results/estimates.csv: a
# score mean of 2-4 points keeps two decimals (the report prints two), which leaves every group
# of 100 persons or more open and gave none of the hidden counts of the Frederikshavn run back
# (`benchmarks/output_checker.py`, rational reconstruction).
ESTIMATE_DIGITS = 3
ESTIMATE_VALUES = ("estimate", "std_error", "conf_low", "conf_high")


def significant(x, digits: int = ESTIMATE_DIGITS):
    """x rounded to `digits` significant digits (NaN, None, 0 and infinities as they are)."""
    if x is None or isinstance(x, bool):
        return x
    try:
        v = float(x)
    except (TypeError, ValueError):
        return x
    if not math.isfinite(v) or v == 0.0:
        return v
    return round(v, digits - 1 - math.floor(math.log10(abs(v))))


def round_columns(
    df: pd.DataFrame, columns: Iterable[str], digits: int = ESTIMATE_DIGITS
) -> pd.DataFrame:
    """A copy of `df` with the numeric `columns` (those present) rounded to significant digits."""
    out = df.copy()
    for c in columns:
        if c in out.columns:
            num = pd.to_numeric(out[c], errors="coerce")
            out[c] = num.map(lambda v: significant(v, digits)).where(num.notna(), out[c])
    return out
