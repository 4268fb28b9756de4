"""Relations of the subgroup outputs, for the disclosure model.

- Subgroup table: within a dimension of the completers (gender, age group, referral, phase) the
  groups' `Kursister` add up to all completers in the register analysis, a number the report
  publishes (its source lines); the withdrawn are a dimension of their own and are left out.
- Weekly figure by a dimension: the groups too small for a line (`min_group_size`) are still
  persons of the total line (`figures/register_weekly_score.csv`, notebook 30). Their rows are
  kept in the figure's data (counts only, no mean), so that the disclosure model sees them: per
  week the groups' `n_covered` and `n` add up to the total line's, and mean x n of the groups adds
  up to the total's (a group too small for a line has no mean: that relation then names an
  unknown and tells nothing). The plot draws the kept groups only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.subgroup_models.models import _dimension_groups, weekly_by
from tpj_helpers.publish.disclosure import BIG, Cell, Relation, Term, total_of

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
        for col in ("n_covered", "n", "mean"):
            known[Cell(TOTAL_FIGURE, t, col)] = float(total.iloc[t][col])
        for col in ("n_covered", "n"):
            rels.append(
                total_of(
                    Cell(TOTAL_FIGURE, t, col),
                    [Cell("", pos[i], col) for i in g.index],
                    note=f"{variable} week {week}: groups add up to the total line ({col})",
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


TABLE = "tables/register_subgroup_two_point.csv"


def forest_relations(
    forest: pd.DataFrame, table: pd.DataFrame, n_completers: int
) -> list[Relation]:
    """The forest's `n_persons` of a group (persons of its after model) are never more than the
    group's `Kursister` in the subgroup table (published before, `TABLE`): where the table hides a
    group's size, a forest count next to it bounds it from below (with the groups' sum, that
    bounds the other hidden groups from above; demo seed 7 gave 'Andet' back exactly). The
    table's own sums come along, named by its file, so that the forest is protected against both."""
    row_of = {
        (d, g): i for i, (d, g) in enumerate(zip(table["Dimension"], table["Gruppe"], strict=True))
    }
    rels = [
        Relation(
            [Term(t.coef, Cell(TABLE, t.cell.row, t.cell.column)) for t in rel.terms],
            rel.lo,
            rel.hi,
            rel.note,
        )
        for rel in subgroup_table_relations(table, n_completers)
    ]
    for i, (d, g) in enumerate(zip(forest["dimension"], forest["group"], strict=True)):
        r = row_of.get((d, g))
        if r is None:
            continue
        rels.append(
            Relation(
                [Term(1.0, Cell("", i, "n_persons")), Term(-1.0, Cell(TABLE, r, "Kursister"))],
                lo=-BIG,
                hi=0.0,
                note=f"forest {d} / {g}: at most the group's persons in the subgroup table",
            )
        )
    return rels
