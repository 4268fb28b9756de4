"""Tests of Tabel 3 and the nonresponse table computed on what the tables publish (issue 12).

A test statistic, its p-value and the smallest expected count are functions of the 2 x k table of
counts. Printed beside a table that hides some of those counts, they give the hidden counts back:
an attacker tries every fill of the hidden cells that keeps the shown margins and keeps the fills
that reproduce the printed numbers (`benchmarks/output_checker.py`, `test_statistics`; on the demo
it recovered 25 hidden cells of Tabel 3 and the nonresponse table, e.g. 3 persons over 55 among
the non-respondents before the course, from the smallest expected count and Pearson's chi²).

So where a variable's block of the published table hides a count, its test is computed on the
table as published: the categories with a hidden count (in either column) are merged into one,
whose count per column is the column's known total ('I alt' less 'Uoplyst') less the shown
categories, a number the table's margins already give. Every number the test then uses is
published, so the test adds nothing an attacker could not compute. Where the margins themselves
are hidden the variable is not tested. Blocks without hidden cells keep the test on the data.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from tpj_helpers.analysis.data_quality import representativeness as rep

MERGED_NOTE = (
    "Hvor tabellen skjuler små antal, er testen beregnet på tabellen, som den er vist: "
    "kategorierne med skjulte antal er slået sammen til én, så testen ikke afslører dem."
)


def _block_table(
    block: pd.DataFrame, total: pd.Series, cols: tuple[str, str], subset: bool
) -> np.ndarray | None:
    """The 2 x k counts of a variable's block with the hidden categories merged; None when a
    margin the merge needs is hidden."""
    unknown = block[block[rep.CATEGORY_COLUMN] == rep.UNKNOWN_LABEL]
    known = block[block[rep.CATEGORY_COLUMN] != rep.UNKNOWN_LABEL]
    if total[list(cols)].isna().any() or unknown[list(cols)].isna().to_numpy().any():
        return None
    hidden = known[list(cols)].isna().any(axis=1)
    rows = []
    for col in cols:
        known_total = float(total[col]) - float(unknown[col].sum())
        shown = known.loc[~hidden, col].astype(float).to_list()
        merged = known_total - float(known.loc[~hidden, col].sum())
        rows.append([*shown, merged] if hidden.any() else shown)
    table = np.array(rows, dtype=float)
    if subset:  # the subset against the rest of its whole
        table[1] = table[1] - table[0]
    return np.rint(table).astype(np.int64)


def tests_on_published(
    tests: pd.DataFrame,
    published: pd.DataFrame,
    cols: tuple[str, str],
    subset: bool,
    n_resamples: int = rep.N_RESAMPLES,
    seed: int = rep.SEED,
) -> tuple[pd.DataFrame, bool]:
    """`tests` (one row per variable, and per wave when `published` has a 'Måling' column) with
    the rows of variables whose block in `published` (the table `Publisher.table` returned, hidden
    cells empty) hides a count recomputed on the merged table. Returns the tests and whether any
    row was recomputed."""
    out = tests.copy()
    changed = False
    wave = rep.WAVE_COLUMN if rep.WAVE_COLUMN in published.columns else None
    for i, row in tests.iterrows():
        label = rep.VARIABLE_LABELS.get(row["variable"])
        sel = published[rep.VARIABLE_COLUMN] == label
        tot = published[rep.VARIABLE_COLUMN] == rep.TOTAL_VARIABLE
        if wave:
            sel &= published[wave] == row[wave]
            tot &= published[wave] == row[wave]
        block = published[sel]
        if block.empty or tot.sum() != 1 or not block[list(cols)].isna().to_numpy().any():
            continue
        table = _block_table(block, published[tot].iloc[0], cols, subset)
        res = (
            rep.test_table(table, n_resamples, seed)
            if table is not None and (table >= 0).all()
            else rep.TestResult("none", np.nan, np.nan, np.nan, np.nan)
        )
        for k, v in res.__dict__.items():
            out.at[i, k] = v
        changed = True
    return out, changed


def tabel3_on_published(
    t3: rep.Comparison, published: pd.DataFrame, alpha: float = rep.ALPHA
) -> rep.Comparison:
    """Tabel 3's tests and verdict on the published Tabel 3 (sample within all registered)."""
    cols = (f"{rep.SAMPLE_LABEL}, antal", f"{rep.REGISTERED_LABEL}, antal")
    tests, changed = tests_on_published(t3.tests, published, cols, subset=True)
    if not changed:
        return t3
    text = rep.verdict(tests, "Registerudsnittet", "de øvrige registrerede kursister", alpha)
    return replace(t3, tests=tests, verdict=text)


def nonresponse_on_published(
    nr: rep.Nonresponse, published: pd.DataFrame, alpha: float = rep.ALPHA
) -> rep.Nonresponse:
    """The nonresponse tests and verdicts on the published nonresponse table."""
    cols = (f"{rep.RESPONDENT_LABEL}, antal", f"{rep.NONRESPONDENT_LABEL}, antal")
    tests, changed = tests_on_published(nr.tests, published, cols, subset=False)
    if not changed:
        return nr
    verdicts = {
        label: rep.verdict(
            tests[tests[rep.WAVE_COLUMN] == label],
            f"{label}: De, der svarede,",
            "dem, der ikke svarede,",
            alpha,
        )
        for label in nr.verdicts
    }
    return replace(nr, tests=tests, verdicts=verdicts)


def note(*changed: bool) -> str:
    """The note under a tests table: said only when a test was computed on a merged table."""
    return MERGED_NOTE if any(changed) else ""
