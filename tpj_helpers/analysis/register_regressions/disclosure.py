"""What Tabel 6 and its means reveal together: the relations the disclosure model protects.

Per timepoint (column j of Tabel 6, row j of the means table):
- the score rows add up to "Heraf med en score", and with the NA row to N = "Kursister med data";
- the mean score times "Heraf med en score" is the sum of score x count over the score rows.
The means table is published after Tabel 6, so its values are passed as known.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.register_regressions.models import N_LABEL, NA_LABEL, SCORES
from tpj_helpers.publish.disclosure import Cell, Relation, Term, equal, total_of

MEANS_FILE = "tables/register_tabel6_means.csv"


def tabel6_relations(table: pd.DataFrame, means: pd.DataFrame) -> tuple[list[Relation], dict[Cell, float]]:
    """(relations, known values) for publishing `tabel6_table` beside `tabel6_means_table`."""
    labels = table.iloc[:, 0].astype(str).tolist()
    score_rows = list(range(len(SCORES)))
    n_row = labels.index(N_LABEL)
    labels.index(NA_LABEL)  # the table's layout: score rows, NA row, N row
    rels, known = [], {}
    for j, col in enumerate(table.columns[1:]):
        n_cov = Cell(MEANS_FILE, j, "Kursister med data")
        n_scored = Cell(MEANS_FILE, j, "Heraf med en score")
        mean = Cell(MEANS_FILE, j, "Gennemsnitlig score")
        for cell, c in ((n_cov, "Kursister med data"), (n_scored, "Heraf med en score"),
                        (mean, "Gennemsnitlig score")):
            known[cell] = float(means.iloc[j][c])
        parts = [Cell("", i, col) for i in score_rows]
        rels.append(total_of(n_scored, parts, note=f"Tabel 6 '{col}': score rows = Heraf med en score"))
        rels.append(equal(Cell("", n_row, col), n_cov, note=f"Tabel 6 '{col}': N = Kursister med data"))
        rels.append(Relation([*(Term(float(SCORES[i]), Cell("", i, col)) for i in score_rows),
                              Term(-1.0, n_scored, factor=mean)],
                             note=f"Tabel 6 '{col}': mean score x Heraf med en score = score sum"))
    return rels, known
