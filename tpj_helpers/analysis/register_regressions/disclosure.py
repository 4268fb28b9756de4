"""What Tabel 6 and its means reveal together: the relations the disclosure model protects.

Per timepoint (column j of Tabel 6, row j of the means table):
- the score rows add up to "Heraf med en score", and with the NA row to N = "Kursister med data";
- the mean score times "Heraf med en score" is the sum of score x count over the score rows.
The means table is published after Tabel 6, so its values are passed as known.

The weekly figures publish, per week, the persons with a score (`n`, the base of the mean) and
not the persons the extract covers (`n_covered`): the two side by side give the persons without a
score that week (coded out of DREAM: abroad, maternity benefit), often 1-4 persons, as a
difference that no cell of the figure would hold (`figure_frame`). Tabel 6 keeps its N and NA
rows at the four timepoints, where the model protects them.

Every count of Tabel 6 is at most the cohort (the completers with register consent), printed in
every source line ("N = 268 kursister"): declared (`cohort_relations`). Where nearly the whole
cohort has a score (the week before the course: 265 of 268), the persons without one are the
cohort minus that count, 3 at most, whatever Tabel 6 hides: its NA and N cells of that timepoint
(and the means table's "Kursister med data") are then left unpublished («i.o.», `left_out`), so that
nothing says whether anybody at all was coded out of DREAM that week.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.register_regressions.models import (
    N_LABEL,
    NA_LABEL,
    SCORES,
    TABEL6_SUMS,
    TIMEPOINTS,
)
from tpj_helpers.publish.disclosure import (
    SECONDARY,
    UNPUBLISHED,
    Cell,
    Relation,
    Term,
    equal,
    total_of,
)

MEANS_FILE = "tables/register_tabel6_means.csv"


WEEKLY_FILES = ("figures/register_weekly_score.csv", "figures/register_weekly_score_course.csv")
# Published after Tabel 6 in notebook 30, each with the column that rests on a count (its
# `linked`): Tabel 6's protection may hide a count there, and the mean then goes with it.
HIDE_LATER = {
    MEANS_FILE: {"Gennemsnitlig score": "Heraf med en score"},
    **{f: {"mean": "n"} for f in WEEKLY_FILES},
}


def figure_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A weekly frame (`models.weekly_means`) as a figure publishes it: without `n_covered`."""
    return frame.drop(columns=["n_covered"], errors="ignore")


def tabel6_relations(
    table: pd.DataFrame,
    means: pd.DataFrame,
    weekly: tuple[pd.DataFrame, ...] = (),
    cohort: int | None = None,
) -> tuple[list[Relation], dict[Cell, float]]:
    """(relations, known values) for publishing `tabel6_table` beside `tabel6_means_table` and the
    weekly figures' data (`weekly`: the frames of `WEEKLY_FILES`, in that order): at a timepoint
    that is a fixed week (-26, -1, 26) Tabel 6's "Heraf med en score" is the figure's `n`, the
    same count shown twice (the figures do not publish `n_covered`, `figure_frame`). With `cohort`
    (the completers with register consent, printed in the source lines) each N is at most it."""
    labels = table.iloc[:, 0].astype(str).tolist()
    score_rows = list(range(len(SCORES)))
    n_row = labels.index(N_LABEL)
    labels.index(NA_LABEL)  # the table's layout: score rows, NA row, N row
    rels, known = [], {}
    for j, col in enumerate(table.columns[1:]):
        n_cov = Cell(MEANS_FILE, j, "Kursister med data")
        n_scored = Cell(MEANS_FILE, j, "Heraf med en score")
        mean = Cell(MEANS_FILE, j, "Gennemsnitlig score")
        for cell, c in (
            (n_cov, "Kursister med data"),
            (n_scored, "Heraf med en score"),
            (mean, "Gennemsnitlig score"),
        ):
            known[cell] = float(means.iloc[j][c])
        parts = [Cell("", i, col) for i in score_rows]
        rels.append(
            total_of(n_scored, parts, note=f"Tabel 6 '{col}': score rows = Heraf med en score")
        )
        rels.append(
            equal(Cell("", n_row, col), n_cov, note=f"Tabel 6 '{col}': N = Kursister med data")
        )
        rels.append(
            Relation(
                [
                    *(Term(float(SCORES[i]), Cell("", i, col)) for i in score_rows),
                    Term(-1.0, n_scored, factor=mean),
                ],
                note=f"Tabel 6 '{col}': mean score x Heraf med en score = score sum",
            )
        )
    for file, frame in zip(WEEKLY_FILES, weekly, strict=False):
        row_of_week = {int(w): i for i, w in enumerate(frame["week_rel"])}
        for j, (key, col) in enumerate(zip(TIMEPOINTS, table.columns[1:], strict=True)):
            week = TIMEPOINTS[key][0]
            if not isinstance(week, int) or week not in row_of_week:
                continue
            r = row_of_week[week]
            fig = Cell(file, r, "n")
            known[fig] = float(frame.iloc[r]["n"])
            rels.append(
                equal(
                    Cell(MEANS_FILE, j, "Heraf med en score"),
                    fig,
                    note=f"Tabel 6 '{col}' = {file} week {week} (n)",
                )
            )
    if cohort is not None:
        rels += cohort_relations(table, cohort)
    return rels, known


TABEL6_FILE = "tables/register_tabel6.csv"


def published_cohort(persons: pd.DataFrame, min_cell: int) -> int | None:
    """The cohort as the source lines print it: its size, or None where they print «færre end
    <min_cell>» (`small.count_text`); nothing can then be bounded by it."""
    return len(persons) if len(persons) >= min_cell else None


def cohort_relations(table: pd.DataFrame, cohort: int) -> list[Relation]:
    """Each timepoint's N ("Kursister med data") is at most the cohort the source lines print."""
    n_row = table.iloc[:, 0].astype(str).tolist().index(N_LABEL)
    return [
        Relation(
            [Term(1.0, Cell("", n_row, col))],
            lo=0.0,
            hi=float(cohort),
            note=f"Tabel 6 '{col}': N at most the cohort",
        )
        for col in table.columns[1:]
    ]


def left_out(
    table: pd.DataFrame, means: pd.DataFrame, cohort: int | None, min_cell: int
) -> dict[Cell, str]:
    """The cells left unpublished: at a timepoint where the cohort less the persons with a score
    is 1..min_cell-1, Tabel 6's NA and N and the means table's "Kursister med data" (kind
    UNPUBLISHED). The rule reads published counts only, so it says nothing about the NA count.
    None: a cohort the source lines do not print (`published_cohort`)."""
    if cohort is None:
        return {}
    labels = table.iloc[:, 0].astype(str).tolist()
    na_row, n_row = labels.index(NA_LABEL), labels.index(N_LABEL)
    out: dict[Cell, str] = {}
    for j, col in enumerate(table.columns[1:]):
        scored = int(means.iloc[j]["Heraf med en score"])
        if 0 < cohort - scored < min_cell:
            out[Cell(TABEL6_FILE, na_row, col)] = UNPUBLISHED
            out[Cell(TABEL6_FILE, n_row, col)] = UNPUBLISHED
            out[Cell(MEANS_FILE, j, "Kursister med data")] = UNPUBLISHED
    return out


def tabel6_view(
    data, persons, min_cell: int
) -> tuple[list[Relation], dict[Cell, str], dict[Cell, float]]:
    """Tabel 6 as notebook 30 publishes it, for another notebook whose outputs relate to the same
    counts (the weekly figures by group add up to the total line, which repeats Tabel 6's N and
    "Heraf med en score"): (its relations, its hidden cells and those it hid in the means table
    and the weekly figures, the values of the rest). Recomputed here with the same deterministic
    protection, since the notebooks run in parallel."""
    import json
    import tempfile
    from pathlib import Path

    from tpj_helpers.analysis.register_regressions import models as register
    from tpj_helpers.publish.disclosure import SIDECAR_DIR, Infeasible
    from tpj_helpers.publish.publisher import CannotPublish, Publisher

    t6 = register.tabel6(data, persons)
    table = register.tabel6_table(t6)
    weekly = (
        register.weekly_means(data, persons=persons),
        register.weekly_means(data, weeks=range(-1, 9), persons=persons),
    )
    means = register.tabel6_means_table(t6)
    cohort = published_cohort(persons, min_cell)
    rels, known = tabel6_relations(table, means, weekly, cohort=cohort)
    unpublished = left_out(table, means, cohort, min_cell)
    file = TABEL6_FILE
    with tempfile.TemporaryDirectory() as tmp:
        pub = Publisher(tmp, "tabel6_view", min_cell)
        try:
            pub.protect(
                table,
                file,
                count_cols=table.columns[1:],
                relations=rels,
                known=known,
                hide_later=HIDE_LATER,
                hidden=unpublished,
                write=True,
                **TABEL6_SUMS,
            )
        except (CannotPublish, Infeasible):
            # notebook 30 withholds Tabel 6 (publish.withhold): nothing of it to protect here
            return [], {}, {}
        side = json.loads(
            (Path(tmp) / SIDECAR_DIR / "tables__register_tabel6.json").read_text(encoding="utf-8")
        )
        hidden = {Cell(file, h["row"], h["column"]): h["kind"] for h in side["hidden"]}
        hidden.update({Cell(*k): kind for k, kind in pub._pending.items()})
        hidden.update({c: kind for c, kind in unpublished.items() if c.file != file})
        # a mean whose count the protection hid in a later file is not published either
        for (f, row, col), _kind in pub._pending.items():
            for dep, base in HIDE_LATER.get(f, {}).items():
                if base == col:
                    hidden.setdefault(Cell(f, row, dep), SECONDARY)
        relations = [Relation.from_json(r) for r in side["relations"]]
    for i in range(len(table)):
        for col in table.columns[1:]:
            cell = Cell(file, i, col)
            if cell not in hidden:
                known[cell] = float(table.iloc[i][col])
    return relations, hidden, known
