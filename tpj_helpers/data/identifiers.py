"""Person ids that are CPR numbers: refused before anything is read further.

The data contract (section 0) says person ids are pseudonymous strings. A delivery whose ids are
CPR numbers (the Danish personal identity number: DDMMYY, optionally a dash, then four digits)
must not enter a run: the ids would reach caches and, through an error message, logs. The rule:

- any id of the dashed form `DDMMYY-NNNN` whose first six digits are a valid day and month is
  CPR-shaped, and one such id stops the run;
- ten-digit ids without a dash are pseudonyms in some registers: they stop the run only when at
  least half of all ids of the column are ten digits starting with a valid day and month (for
  random ten-digit pseudonyms about 3.7 % are; for CPR numbers all are).

The message names the file, the column and the first rows, and never the ids themselves (their
shape only), so that the refusal does not copy a CPR number into a log.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tpj_helpers.data.contract import MAX_ROWS_SHOWN, ContractError, Problem

_DATE = r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}"
DASHED = rf"^{_DATE}-\d{{4}}$"
PLAIN = rf"^{_DATE}\d{{4}}$"
PLAIN_SHARE = 0.5


def cpr_shaped(ids: pd.Series) -> pd.Series:
    """True for the ids that count as CPR numbers under the module's rule."""
    s = ids.astype("string").str.strip()
    dashed = s.str.fullmatch(DASHED).fillna(False).astype(bool)
    plain = s.str.fullmatch(PLAIN).fillna(False).astype(bool)
    n = int(s.notna().sum())
    if n and plain.sum() / n >= PLAIN_SHARE:
        return dashed | plain
    return dashed


def refuse_cpr(df: pd.DataFrame, path: Path | str, column: str = "person_id") -> None:
    """Raise ContractError when `df[column]` holds CPR-shaped ids (rows as in a spreadsheet)."""
    if df is None or column not in df.columns or df.empty:
        return
    bad = cpr_shaped(df[column]).to_numpy()
    if not bad.any():
        return
    positions = bad.nonzero()[0]
    raise ContractError(
        path,
        [
            Problem(
                column,
                rows=[int(p) + 2 for p in positions[:MAX_ROWS_SHOWN]],
                expected="pseudonymous person ids; these look like CPR numbers (a valid date "
                "of birth DDMMYY followed by four digits), which must not be delivered: ask the "
                "data provider for the pseudonymised key (the ids are not repeated here)",
                found=[f"{int(bad.sum())} CPR-shaped ids of {len(bad)}"],
                n_rows=len(positions),
            )
        ],
    )
