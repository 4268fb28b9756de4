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


# --------------------------------------------------------------------------- Bilag 1 and Tabel 4

ENROLMENT_FILE = "tables/enrolment.csv"
BILAG1_FILE = "tables/bilag1_per_hold.csv"
# Bilag 1 column -> the enrolment table's row that counts the same enrolments per phase
BILAG1_ENROLMENT_ROWS = {
    "Tilmeldte": "Tilmeldinger",
    "Gennemført": "- heraf gennemført",
    "Afmeldt": "- heraf afmeldt",
}


def bilag1_relations(bilag1: pd.DataFrame, enrolment: pd.DataFrame) -> list[Relation]:
    """Bilag 1 against the enrolment table (Tabel 4, published before it): per phase the holds'
    enrolments, completed and withdrawn add up to the phase's count in Tabel 4, and the 'I alt'
    row repeats Tabel 4's total column."""
    from tpj_helpers.publish.disclosure import equal

    labels = enrolment.iloc[:, 0].astype(str).tolist()
    rels = []
    for col, row_label in BILAG1_ENROLMENT_ROWS.items():
        if col not in bilag1.columns or row_label not in labels:
            continue
        r = labels.index(row_label)
        for phase, g in bilag1.groupby("Fase", sort=False):
            target = f"{phase}, antal"
            if target not in enrolment.columns:
                continue
            pos = [bilag1.index.get_loc(i) for i in g.index]
            cell = Cell(ENROLMENT_FILE, r, target)
            if phase == TOTAL:
                rels += [
                    equal(Cell("", p, col), cell, note=f"Bilag 1 {col} = Tabel 4") for p in pos
                ]
            else:
                rels.append(
                    total_of(
                        cell,
                        [Cell("", p, col) for p in pos],
                        note=f"Bilag 1 {phase}: holds' {col} add up to Tabel 4",
                    )
                )
    return rels


def coverage_relations(coverage: pd.DataFrame, bilag1: pd.DataFrame) -> list[Relation]:
    """The register coverage table (published after Bilag 1): a hold's persons in the register
    analysis are Bilag 1's count of that hold."""
    from tpj_helpers.publish.disclosure import equal

    row_of = {str(h): i for i, h in enumerate(bilag1["Hold"])}
    rels = []
    for r, hold in enumerate(coverage["Hold"].astype(str)):
        if hold in row_of:
            rels.append(
                equal(
                    Cell("", r, "Personer i registeranalysen"),
                    Cell(BILAG1_FILE, row_of[hold], "I registeranalysen"),
                    note=f"hold {hold}: register persons as in Bilag 1",
                )
            )
    return rels


def tabel3_bilag1_relations(table: pd.DataFrame, bilag1: pd.DataFrame) -> list[Relation]:
    """Tabel 3's register sample (its 'I alt' row) is Bilag 1's total in the register analysis."""
    from tpj_helpers.publish.disclosure import equal

    total = [i for i, v in enumerate(table["Variabel"]) if v == TOTAL]
    b = [i for i, v in enumerate(bilag1["Fase"]) if v == TOTAL]
    if len(total) != 1 or len(b) != 1 or SUBSET[0] not in table.columns:
        return []
    return [
        equal(
            Cell("", total[0], SUBSET[0]),
            Cell(BILAG1_FILE, b[0], "I registeranalysen"),
            note="Tabel 3 register sample = Bilag 1 total",
        )
    ]


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
