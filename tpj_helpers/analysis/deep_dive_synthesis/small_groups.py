"""The qualitative chapter's breakdowns without groups of fewer than `min_cell` interviews.

The rule (README, "Disclosure control and its audit"): no count or share of fewer than
`min_cell` interviews of a role or a municipality is published. Interview counts over *all*
interviews (a theme's total, the co-occurrence of two themes) describe no group and are shown.

- `merge_groups`: the columns of a breakdown. A group (role or deep-dive municipality) with at
  least `min_cell` interviews keeps its own column; the smaller ones are merged into one column
  ("Øvrige: ..."). When they have fewer than `min_cell` interviews together, the smallest of the
  large groups joins them (leaving them out would not do: the total minus the columns shown
  would give their count back). When no group reaches `min_cell`, there is no breakdown.
- `role_matrix` / `municipality_matrix`: the theme matrices of `synthesis.theme_matrix` on those
  columns, with what `Publisher.table` needs: the count columns (each cell a count of
  interviews of a group of at least `min_cell` interviews, so 1..min_cell-1 is hidden «<5»
  and protected) and the relations (a theme's interviews add up over the columns to `I alt`).
- `role_names_text`: "kursister, koordinatorer, øvrige roller" for the recommendations table,
  small roles merged the same way, without counts.
- `contrast`: the role (or municipality) contrast of the theme texts, read from the published
  table: only groups of at least `min_cell` interviews, only rows without hidden cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tpj_helpers.analysis.deep_dive_synthesis import synthesis as S
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.present import num

OTHERS = "Øvrige"
ALL_DEEP_DIVES = "Deep dive-kommunerne samlet"


def rule_note(min_cell: int = 5) -> str:
    """The rule under a breakdown (Danish)."""
    return (
        f"Hver kolonne har mindst {num(min_cell)} interviews; et antal under {num(min_cell)} "
        f"interviews skjules («<{num(min_cell)}»)."
    )


@dataclass
class Breakdown:
    """A theme matrix ready for `Publisher.table`: `table`, its `count_cols` and `relations`,
    and the Danish `note` that says what was merged or left out (empty when nothing was)."""

    table: pd.DataFrame
    count_cols: list[str]
    relations: list[dc.Relation] = field(default_factory=list)
    note: str = ""


def merge_groups(sizes: Mapping[str, int], min_cell: int) -> tuple[list[str], list[str]]:
    """(groups shown on their own, groups merged into one column), both in the order of
    `sizes`; groups without interviews are left out (they add nothing). The merged list is
    empty when every group has at least `min_cell` interviews, and holds every group when none
    can be shown on its own (then no breakdown is possible: the caller shows the total only)."""
    present = [g for g, n in sizes.items() if n > 0]
    large = [g for g in present if sizes[g] >= min_cell]
    small = [g for g in present if sizes[g] < min_cell]
    if not small:
        return large, []
    if sum(sizes[g] for g in small) < min_cell and large:
        # the smallest large group joins (the last of the smallest, deterministically)
        smallest = min(reversed(large), key=lambda g: sizes[g])
        large = [g for g in large if g != smallest]
        small = [g for g in present if g in small or g == smallest]
    if not large:
        return [], present
    return large, small


def _others_label(members: Sequence[str], names: Mapping[str, str]) -> str:
    return f"{OTHERS}: " + S._join([names.get(m, m) for m in members])


def _regroup(matrix: pd.DataFrame, columns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """The matrix with its group columns replaced by `columns` ({new label: old labels summed})."""
    out = matrix[[S.THEME_COLUMN]].copy()
    for label, old in columns.items():
        out[label] = matrix[list(old)].sum(axis=1).astype(int)
    out[S.TOTAL] = matrix[S.TOTAL].astype(int)
    return out


def _row_relations(
    table: pd.DataFrame, parts: Sequence[str], rows: Sequence[int] | None = None
) -> list[dc.Relation]:
    """Per theme row in `rows` (default all): `I alt` = the sum of the group columns, and each
    group cell at most its column's interviews (row `Interviews i alt`): a reader knows both.
    Cells of this table (file "")."""
    rows = range(len(table)) if rows is None else rows
    size_row = int(np.flatnonzero(table[S.THEME_COLUMN].to_numpy() == S.INTERVIEWS_ROW)[0])
    out = []
    for i in rows:
        out.append(
            dc.total_of(
                dc.Cell("", i, S.TOTAL),
                [dc.Cell("", i, c) for c in parts],
                note="a theme's interviews over the groups",
            )
        )
        if i == size_row:
            continue
        out += [
            dc.Relation(
                [dc.Term(1.0, dc.Cell("", size_row, c)), dc.Term(-1.0, dc.Cell("", i, c))],
                lo=0.0,
                hi=1e12,
                note="at most the group's interviews",
            )
            for c in parts
        ]
    return out


def row_protectable(
    values: Sequence[float],
    total: float,
    min_cell: int = 5,
    sizes: Sequence[float] | None = None,
) -> bool:
    """Can one row of group counts (`values`, adding up to the shown `total`) hide its counts
    of 1..min_cell-1 so that each still allows 1..min_cell-1, by hiding other non-zero counts
    of the row («..», known to be at least `min_cell`, and at most its group's interviews
    `sizes` when given)? The disclosure model's own search (`disclosure.protect`) on the row
    alone; no when it would have to hide a zero or cannot. E.g. 4, 0, 3 of 7: the two small
    counts add up to 7, so each is 3 or 4 whatever is hidden; 10 of 10, 0, 4 of 14: hiding the
    10 leaves it at most 10, so the 4 is at least 4."""
    cells = [("row", 0, str(j)) for j in range(len(values))]
    model = dc.Model(min_cell)
    model.shown[("row", 0, "total")] = float(total)
    for k, v in zip(cells, values, strict=True):
        if 0 < v < min_cell:
            model.hidden[k] = dc.PRIMARY
        else:
            model.shown[k] = float(v)
    model.relations = [
        dc.total_of(dc.Cell("row", 0, "total"), [dc.Cell(*k) for k in cells], note="row")
    ]
    for k, size in zip(cells, sizes if sizes is not None else [], strict=False):
        model.relations.append(dc.Relation([dc.Term(-1.0, dc.Cell(*k))], lo=-float(size), hi=0.0))
    try:
        dc.protect(model, [k for k in cells if k in model.shown])
    except ValueError:
        return False
    return not dc.breaches(model)


def _blank_unprotectable(table: pd.DataFrame, parts: Sequence[str], min_cell: int) -> list[int]:
    """Blank (NA) the group cells of every theme row that `row_protectable` refuses; returns
    their positions. Such a row shows only its total."""
    blanked = []
    sizes = table.loc[table[S.THEME_COLUMN] == S.INTERVIEWS_ROW, list(parts)].iloc[0]
    sizes = [float(v) for v in sizes]
    for i in range(len(table)):
        values = [float(table.iloc[i][c]) for c in parts]
        if not row_protectable(values, float(table.iloc[i][S.TOTAL]), min_cell, sizes):
            blanked.append(i)
    for c in parts:
        table[c] = table[c].astype(object)
        for i in blanked:
            table.iat[i, table.columns.get_loc(c)] = None
    return blanked


BLANK_NOTE = (
    "Tomme felter: temaets fordeling på {what} kan ikke vises uden at afsløre antal under "
    "{min_cell} interviews; kun i alt vises."
)


def role_matrix(qual, min_cell: int = 5) -> Breakdown:
    """Interviews mentioning each theme by role, roles of fewer than `min_cell` interviews merged
    (`merge_groups`). `I alt` (all interviews) is shown, not a count column: a theme's total
    is public (co-occurrence diagonal, the theme texts); the role columns are counted and
    declared to add up to it, so a hidden role cell is protected against the total."""
    full = S.theme_matrix(qual)
    roles = S._roles_present(qual)
    names = {r: S.ROLE_PLURAL.get(r, r) for r in roles}
    sizes = full.loc[full[S.THEME_COLUMN] == S.INTERVIEWS_ROW].iloc[0]
    sizes = {r: int(sizes[names[r]]) for r in roles}
    large, merged = merge_groups(sizes, min_cell)
    columns = {names[r]: [names[r]] for r in large}
    note = ""
    if merged and large:
        label = _others_label(merged, S.ROLE_PLURAL_LOWER)
        columns[label] = [names[r] for r in merged]
        note = (
            f"Roller med færre end {num(min_cell)} interviews er slået sammen i kolonnen "
            f"»{OTHERS}«."
        )
    elif merged:
        note = (
            f"Ingen rolle har mindst {num(min_cell)} interviews, så temaerne fordeles ikke på "
            "rolle; tabellen viser kun alle interviews."
        )
    table = _regroup(full, columns)
    parts = list(columns)
    note = f"{rule_note(min_cell)} {note}".strip()
    if not parts:
        return Breakdown(table, [], [], note)
    blanked = _blank_unprotectable(table, parts, min_cell)
    if blanked:
        note = (note + " " + BLANK_NOTE.format(what="roller", min_cell=num(min_cell))).strip()
    kept = [i for i in range(len(table)) if i not in blanked]
    return Breakdown(table, parts, _row_relations(table, parts, kept), note)


def municipality_matrix(qual, municipalities: Sequence[str], min_cell: int = 5) -> Breakdown:
    """Deep-dive interviews mentioning each theme by municipality, only municipalities with at
    least `min_cell` deep-dive interviews on their own (`merge_groups`); `I alt` is all
    deep-dive interviews, a count column too (a group of interviews), declared as the sum of
    the municipality columns. When no municipality has `min_cell` interviews the table holds
    the deep-dive interviews together only."""
    full = S.theme_matrix(qual, by="kommune", columns=municipalities, deep_dive_only=True)
    sizes = full.loc[full[S.THEME_COLUMN] == S.INTERVIEWS_ROW].iloc[0]
    sizes = {k: int(sizes[k]) for k in municipalities}
    large, merged = merge_groups(sizes, min_cell)
    columns = {k: [k] for k in large}
    note = ""
    if merged and large:
        columns[_others_label(merged, {})] = list(merged)
        note = (
            f"Deep dive-kommuner med færre end {num(min_cell)} interviews er slået sammen i "
            f"kolonnen »{OTHERS}«."
        )
    elif merged:
        note = (
            f"Ingen deep dive-kommune har mindst {num(min_cell)} interviews, så temaerne "
            "fordeles ikke på kommune; tabellen viser deep dive-interviewene samlet."
        )
    table = _regroup(full, columns)
    note = f"{rule_note(min_cell)} {note}".strip()
    if not columns:
        table = table.rename(columns={S.TOTAL: ALL_DEEP_DIVES})
        return Breakdown(table, [ALL_DEEP_DIVES], [], note)
    parts = list(columns)
    return Breakdown(table, [*parts, S.TOTAL], _row_relations(table, parts), note)


def contrast(table: pd.DataFrame, label: str, gap: float = 0.5, municipal: bool = False) -> str:
    """'Temaet fylder mest hos kursister (10 af 10 interviews) og mindst hos koordinatorer
    (0 af 10).' from a *published* breakdown (`Publisher.table`'s result): only when the theme's
    row shows every group's count (a sentence about a row with hidden cells would bound them)
    and two groups' shares differ by at least `gap`; '' otherwise. The groups are the table's
    columns between `Tema` and `I alt`, each of at least `min_cell` interviews. `municipal`:
    the groups are deep-dive municipalities ("Blandt deep dive-kommunerne fylder temaet mest i
    Aalborg ...")."""
    groups = [c for c in table.columns if c not in (S.THEME_COLUMN, S.TOTAL)]
    rows = table.set_index(S.THEME_COLUMN)
    if len(groups) < 2 or label not in rows.index or S.INTERVIEWS_ROW not in rows.index:
        return ""
    hits = pd.to_numeric(rows.loc[label, groups], errors="coerce")
    sizes = pd.to_numeric(rows.loc[S.INTERVIEWS_ROW, groups], errors="coerce")
    if hits.isna().any() or sizes.isna().any() or (sizes <= 0).any():
        return ""
    share = (hits / sizes).sort_values(kind="stable")
    lo, hi = share.index[0], share.index[-1]
    if share[hi] - share[lo] < gap:
        return ""

    others = "de øvrige deep dive-kommuner" if municipal else "de øvrige roller"

    def name(g: str) -> str:
        if g.startswith(f"{OTHERS}: "):
            return f"{others} ({g[len(OTHERS) + 2 :]})"
        return g if municipal else S._lower(g)

    lead, at = (
        ("Blandt deep dive-kommunerne fylder temaet mest i", "i")
        if municipal
        else (
            "Temaet fylder mest hos",
            "hos",
        )
    )
    return (
        f"{lead} {name(hi)} ({num(int(hits[hi]))} af {num(int(sizes[hi]))} "
        f"interviews) og mindst {at} {name(lo)} ({num(int(hits[lo]))} af {num(int(sizes[lo]))})."
    )


def role_names_text(
    roles: Mapping[str, int],
    role_sizes: Mapping[str, int],
    min_cell: int = 5,
    total: int | None = None,
) -> str:
    """'kursister, koordinatorer, øvrige roller': the role groups (as in `role_matrix`, roles of
    fewer than `min_cell` interviews merged) with at least one interview among `roles`
    ({role: interviews}), in role order and without counts: a group's count for a set of codes
    bounds its hidden cells in the role table (e.g. a sub-code in 12 of the kursister's
    interviews says the theme is in at least 12), so no count is given here. '' when no role
    group has `min_cell` interviews. With `total` (the interviews of the themes, shown beside
    it): '' also where the names would bound a group's count below min_cell - 1 (k groups named
    out of a total T: each is 1..T-(k-1); e.g. two of 7 interviews at min_cell 10 are 1..6)."""
    large, merged = merge_groups({r: int(n) for r, n in role_sizes.items()}, min_cell)
    names = [S.ROLE_PLURAL_LOWER.get(r, r) for r in large if roles.get(r, 0) > 0]
    if large and merged and any(roles.get(r, 0) > 0 for r in merged):
        names.append(f"{OTHERS.lower()} roller")
    if total is not None and names and total - (len(names) - 1) < min_cell - 1:
        return ""
    return ", ".join(names)
