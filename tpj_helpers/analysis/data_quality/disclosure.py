"""Relations of the comparison tables (Tabel 3, nonresponse background), for the disclosure model.

Within a table (and within each `Måling` when there is one) every variable's categories, 'Uoplyst'
included, add up to the 'I alt' row, in each count column. Tabel 3's register sample is a subset
of all registered persons, so in every row the sample's count is at most the other.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.data_quality.representativeness import count_columns
from tpj_helpers.publish.disclosure import Cell, Relation, Term, total_of

TOTAL = "I alt"
SUBSET = ("Registerudsnit, antal", "Alle registrerede, antal")


def comparison_relations(table: pd.DataFrame) -> list[Relation]:
    counts = count_columns(table)
    pos = {idx: i for i, idx in enumerate(table.index)}
    blocks = (
        [g for _, g in table.groupby("Måling", sort=False)]
        if "Måling" in table.columns
        else [table]
    )
    rels = []
    for block in blocks:
        totals = block.index[block["Variabel"] == TOTAL]
        if len(totals) != 1:
            continue
        for var, g in block[block["Variabel"] != TOTAL].groupby("Variabel", sort=False):
            for col in counts:
                rels.append(
                    total_of(
                        Cell("", pos[totals[0]], col),
                        [Cell("", pos[i], col) for i in g.index],
                        note=f"{var}: categories add up to {TOTAL} ({col})",
                    )
                )
    if all(c in table.columns for c in SUBSET):
        for idx in table.index:
            rels.append(
                Relation(
                    [
                        Term(1.0, Cell("", pos[idx], SUBSET[1])),
                        Term(-1.0, Cell("", pos[idx], SUBSET[0])),
                    ],
                    lo=0.0,
                    hi=1e12,
                    note="register sample within all registered",
                )
            )
    return rels


ENROLMENT = "tables/enrolment.csv"


def municipality_relations(municipalities: pd.DataFrame, enrolment: pd.DataFrame) -> list[Relation]:
    """The municipalities' persons add up to the persons of the enrolment table (its total
    column, published before as `ENROLMENT`): every enrolment names its municipality (data
    contract), so with one municipality hidden it was that total minus the others."""
    from tpj_helpers.analysis.data_quality import enrolment as en

    counts = en.count_columns(enrolment)
    total = f"{en.TOTAL_LABEL}, antal"
    col = total if total in counts else (counts[0] if len(counts) == 1 else None)
    rows = [i for i, v in enumerate(enrolment[en.ROW_COLUMN]) if v == en.ROW_PERSONS]
    if col is None or len(rows) != 1 or municipalities.empty:
        return []
    return [
        total_of(
            Cell(ENROLMENT, rows[0], col),
            [Cell("", i, en.PARTICIPANTS_COLUMN) for i in range(len(municipalities))],
            note="municipalities add up to the persons of the enrolment table",
        )
    ]
