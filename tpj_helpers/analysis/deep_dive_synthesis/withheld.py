"""Indicator values that another chapter of the same run hides.

The triangulation table and the recommendations table repeat indicator values (a survey share and
its N, the persons behind an interaction test) that the survey and register chapters publish under
disclosure control. Repeating a number there that the source table hides would give the hidden cell
back (the interaction test's 264 persons beside all 266 completers leaves 2 in the group left out).
So each indicator names where its source chapter publishes it (`where`: file, the row's key
columns and values, the columns that carry the number), and the deep-dive chapter, which runs
after the analysis notebooks (a final notebook), withholds every value whose source cell is hidden
there. A source file the run did not publish hides nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tpj_helpers.publish.hidden_marks import UNPUBLISHED_MARK

WITHHELD = ".."  # as the disclosure marker of a secondary cell: hidden to protect another cell
SURVEY_INDICATORS = "tables/survey-indicators.csv"
INTERACTION = "tables/register_subgroup_interaction.csv"
WHO5_MEANS = "tables/who5-means.csv"


def where(
    file: str,
    key: dict[str, str],
    columns: list[str],
    value_too: bool = True,
    n_columns: list[str] = (),
) -> dict:
    """Where the source chapter publishes an indicator; `value_too=False` when only its N is at
    stake (a p-value the source table shows beside a hidden count of persons). `n_columns`:
    columns that carry only its N (and count): hidden there, the N is withheld and the value
    kept (a survey share shown rounded beside a hidden N)."""
    out = {"file": file, "key": dict(key), "columns": list(columns), "value_too": value_too}
    if n_columns:
        out["n_columns"] = list(n_columns)
    return out


def withheld_ids(run_dir: Path | str, values: pd.DataFrame) -> dict[str, bool]:
    """{id: value_too} for the indicators of `values` (from `indicator_values`) whose source row,
    in the run's published file, has one of its number columns empty (hidden)."""
    out: dict[str, bool] = {}
    tables: dict[str, pd.DataFrame | None] = {}
    for row in values.itertuples(index=False):
        loc = getattr(row, "where", None)
        if not isinstance(loc, dict):
            continue
        if loc["file"] not in tables:
            path = Path(run_dir) / loc["file"]
            tables[loc["file"]] = (
                pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None
            )
        df = tables[loc["file"]]
        n_cols = list(loc.get("n_columns", []))
        if df is None or any(c not in df.columns for c in [*loc["key"], *loc["columns"], *n_cols]):
            continue
        match = pd.Series(True, index=df.index)
        for col, value in loc["key"].items():
            match &= df[col] == str(value)
        if df.loc[match, loc["columns"]].map(_hidden).to_numpy().any():
            out[str(row.id)] = bool(loc.get("value_too", True))
        elif n_cols and df.loc[match, n_cols].map(_hidden).to_numpy().any():
            out[str(row.id)] = False
    return out


def _hidden(v: str) -> bool:
    """An empty cell (hidden) or one left unpublished on purpose («i.o.»)."""
    return v.strip() in ("", UNPUBLISHED_MARK)


def mask(values: pd.DataFrame, ids: dict[str, bool]) -> pd.DataFrame:
    """`values` with `n_withheld` set for the withheld indicators and, where the value goes too,
    their text replaced by WITHHELD: the tables that repeat them show no N (and no value);
    verdicts still use the value."""
    out = values.copy()
    key = out["id"].astype(str)
    out["n_withheld"] = key.isin(list(ids))
    out.loc[key.isin([i for i, v in ids.items() if v]), "text"] = WITHHELD
    return out
