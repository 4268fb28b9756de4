"""Relations of the subgroup outputs, for the disclosure model.

- Subgroup table: within a dimension of the completers (gender, age group, referral, phase) the
  groups' `Kursister` add up to all completers in the register analysis, a number the report
  publishes (its source lines); the withdrawn are a dimension of their own and are left out.
- Weekly figure by a dimension: the groups too small for a line (`min_group_size`) are still
  persons of the total line (`figures/register_weekly_score.csv`, notebook 30). Their rows are
  kept in the figure's data (counts only, no mean), so that the disclosure model sees them: per
  week the groups' `n` add up to the total line's, and mean x n of the groups adds up to the
  total's (a group too small for a line has no mean: that relation then names an unknown and
  tells nothing). The plot draws the kept groups only. Like the total line, the group lines
  publish no `n_covered` (`register_regressions.disclosure.figure_frame`).
- Weekly figure by status: its completers' line is the total line again (the same persons), its
  counts and means the same cells; declared equal, so that both hide the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.subgroup_models.models import _dimension_groups, weekly_by
from tpj_helpers.publish.disclosure import Cell, Relation, Term, equal, total_of

TOTAL_FIGURE = "figures/register_weekly_score.csv"
COMPLETER_DIMENSIONS = ("Køn", "Aldersgruppe", "Visitationskategori", "Projektfase")


def subgroup_table_relations(table: pd.DataFrame, n_completers: int) -> list[Relation]:
    pos = {idx: i for i, idx in enumerate(table.index)}
    rels = []
    for dim, g in table.groupby("Dimension", sort=False):
        if dim in COMPLETER_DIMENSIONS:
            rels.append(
                Relation(
                    [Term(1.0, Cell("", pos[i], "Kursister")) for i in g.index],
                    lo=float(n_completers),
                    hi=float(n_completers),
                    note=f"{dim}: groups add up to all completers",
                )
            )
    return rels


def weekly_with_small_groups(data, variable: str, min_group_size: int) -> tuple[pd.DataFrame, list]:
    """(`weekly_by` plus rows for the groups too small for a line, mean left empty; the kept
    values). Same columns and order as `weekly_by`, the small groups last."""
    kept_frame = weekly_by(data, variable, min_group_size)
    persons, col, kept = _dimension_groups(data, variable, min_group_size)
    small = [v for v in register._ordered_values(persons[col]) if v not in kept]
    if not small:
        return kept_frame, kept
    rest = register.weekly_means(data, persons=persons[persons[col].isin(small)], by=col)
    rest = rest[rest[col].isin(small)].assign(mean=np.nan)
    return pd.concat([kept_frame, rest], ignore_index=True), kept


def weekly_relations(
    frame: pd.DataFrame, variable: str, total: pd.DataFrame
) -> tuple[list[Relation], dict]:
    """Per week: the groups' counts add up to the total line's; mean x n likewise."""
    row_of_week = {int(w): i for i, w in enumerate(total["week_rel"])}
    pos = {idx: i for i, idx in enumerate(frame.index)}
    rels, known = [], {}
    for week, g in frame.groupby("week_rel", sort=False):
        t = row_of_week.get(int(week))
        if t is None:
            continue
        for col in ("n", "mean"):
            known[Cell(TOTAL_FIGURE, t, col)] = float(total.iloc[t][col])
        rels.append(
            total_of(
                Cell(TOTAL_FIGURE, t, "n"),
                [Cell("", pos[i], "n") for i in g.index],
                note=f"{variable} week {week}: groups add up to the total line (n)",
            )
        )
        rels.append(
            Relation(
                [
                    Term(1.0, Cell(TOTAL_FIGURE, t, "n"), factor=Cell(TOTAL_FIGURE, t, "mean")),
                    *(
                        Term(-1.0, Cell("", pos[i], "n"), factor=Cell("", pos[i], "mean"))
                        for i in g.index
                    ),
                ],
                note=f"{variable} week {week}: score sums add up to the total line's",
            )
        )
    return rels, known


def status_relations(
    frame: pd.DataFrame, total: pd.DataFrame, completed: str = "gennemført"
) -> tuple[list[Relation], dict]:
    """The completers' line of the weekly figure by status is the total line (notebook 30's
    `TOTAL_FIGURE`, the same persons): per week its `n` is the total line's `n`, and its score
    sum (mean x n) the total line's."""
    row_of_week = {int(w): i for i, w in enumerate(total["week_rel"])}
    rels, known = [], {}
    for pos, (status, week) in enumerate(zip(frame["status"], frame["week_rel"], strict=True)):
        t = row_of_week.get(int(week))
        if status != completed or t is None:
            continue
        for col in ("n", "mean"):
            known[Cell(TOTAL_FIGURE, t, col)] = float(total.iloc[t][col])
        note = f"status week {week}: the completers' line is the total line"
        rels.append(equal(Cell("", pos, "n"), Cell(TOTAL_FIGURE, t, "n"), note=f"{note} (n)"))
        rels.append(
            Relation(
                [
                    Term(1.0, Cell(TOTAL_FIGURE, t, "n"), factor=Cell(TOTAL_FIGURE, t, "mean")),
                    Term(-1.0, Cell("", pos, "n"), factor=Cell("", pos, "mean")),
                ],
                note=f"{note} (score sum)",
            )
        )
    return rels, known


# --------------------------------------------------------------------------- forest and interaction

FOREST_FILE = "figures/register_subgroup_forest.csv"
TWO_POINT_FILE = "tables/register_subgroup_two_point.csv"
FOREST_MODEL = "two_point_post"


def forest_with_left_out(data, rows: pd.DataFrame, overall: pd.DataFrame) -> pd.DataFrame:
    """`forest_data` plus one row per completer group without a model (too small, not estimable,
    unknown value): its persons in the model's data (`n_persons`, estimate and interval empty).
    The groups of a dimension then add up to the first row (all completers) in the data the
    disclosure model sees, instead of leaving the difference to be worked out. The plot draws
    the rows with an estimate only."""
    from tpj_helpers.analysis.subgroup_models import models as subgroups

    est = subgroups.forest_data(rows, overall, FOREST_MODEL)
    completers = register.analysis_persons(data)
    none = rows[
        rows["reason"].notna() & (rows["reason"].astype(str) != "") & (rows["variable"] != "status")
    ].drop_duplicates(["variable", "value"])
    extra = []
    for variable, value in none[["variable", "value"]].itertuples(index=False):
        if value == "ukendt":
            persons = completers[completers[variable].isna()]
            label = "Ukendt"
        else:
            persons = completers[completers[variable] == value]
            label = subgroups.value_label(variable, value)
        long = register.two_point_data(data, persons, FOREST_MODEL)
        extra.append(
            {
                "dimension": subgroups.register_label(variable),
                "group": label,
                "subgroup": subgroups.subgroup_id(variable, value),
                "estimate": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
                "n_persons": int(long["person_id"].nunique()),
            }
        )
    if not extra:
        return est
    out = pd.concat([est, pd.DataFrame(extra)], ignore_index=True)
    # keep each dimension's rows together
    order = {d: i for i, d in enumerate(dict.fromkeys(out["dimension"]))}
    out = out.iloc[np.argsort([order[d] for d in out["dimension"]], kind="stable")]
    return out.reset_index(drop=True)


def located(relations: list[Relation], file: str) -> list[Relation]:
    """The relations with the cells of their own table (file "") named by `file`: an earlier
    file's relations, passed again with a later file so that its protection sees them too (the
    Publisher's model of one file holds that file's relations only)."""
    fix = lambda c: c if c is None or c.file else Cell(file, c.row, c.column)  # noqa: E731
    return [
        Relation([Term(t.coef, fix(t.cell), fix(t.factor)) for t in r.terms], r.lo, r.hi, r.note)
        for r in relations
    ]


def forest_relations(
    forest: pd.DataFrame, two_point: pd.DataFrame | None = None, n_completers: int | None = None
) -> list[Relation]:
    """In every completer dimension the groups' `n_persons` add up to the first row's (all
    completers in the model). With `two_point` (the subgroup table, published before): a group's
    persons in the model are at most its completers (`Kursister`), and (with `n_completers`) the
    subgroup table's own sums, so that the forest's protection sees them."""
    rels = []
    if two_point is not None and n_completers is not None:
        rels += located(subgroup_table_relations(two_point, n_completers), TWO_POINT_FILE)
    total = Cell("", 0, "n_persons")
    for dim, g in forest.groupby("dimension", sort=False):
        if dim not in COMPLETER_DIMENSIONS:
            continue
        rels.append(
            total_of(
                total,
                [Cell("", i, "n_persons") for i in g.index],
                note=f"forest {dim}: groups add up to all completers",
            )
        )
    if two_point is not None:
        row_of = {
            (d, g): i
            for i, (d, g) in enumerate(
                zip(two_point["Dimension"], two_point["Gruppe"], strict=True)
            )
        }
        for i, (d, g) in enumerate(zip(forest["dimension"], forest["group"], strict=True)):
            j = row_of.get((d, g))
            if j is None:
                continue
            rels.append(
                Relation(
                    [
                        Term(1.0, Cell(TWO_POINT_FILE, j, "Kursister")),
                        Term(-1.0, Cell("", i, "n_persons")),
                    ],
                    lo=0.0,
                    hi=1e12,
                    note=f"forest {d} {g}: persons in the model within the group's completers",
                )
            )
    return rels


def interaction_relations(
    table: pd.DataFrame,
    tests: dict,
    forest: pd.DataFrame,
    two_point: pd.DataFrame | None = None,
    n_completers: int | None = None,
) -> list[Relation]:
    """The interaction table's `Kursister` (persons in the test's data) against the forest's data
    (published before): a dimension's count is the sum of its tested groups' `n_persons`;
    completed vs withdrawn is all completers plus the withdrawn. The forest's relations (and
    through them the subgroup table's) are passed along."""
    from tpj_helpers.analysis.subgroup_models import models as subgroups

    row_of = {s: i for i, s in enumerate(forest["subgroup"])}
    rels = located(forest_relations(forest, two_point, n_completers), FOREST_FILE)
    for r, (variable, t) in enumerate(tests.items()):
        if isinstance(t, str) or pd.isna(table["Kursister"].iloc[r]):
            continue
        if variable == "status":
            parts = [
                row_of.get("all"),
                row_of.get(subgroups.subgroup_id("status", register.WITHDRAWN)),
            ]
        else:
            parts = [row_of.get(subgroups.subgroup_id(variable, v)) for v in t.test["groups"]]
        if any(p is None for p in parts):
            continue
        rels.append(
            total_of(
                Cell("", r, "Kursister"),
                [Cell(FOREST_FILE, p, "n_persons") for p in parts],
                note=f"interaction {variable}: persons = the tested groups' persons in the forest",
            )
        )
    return rels
