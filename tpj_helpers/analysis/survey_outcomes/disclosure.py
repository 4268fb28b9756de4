"""Relations of the survey answer distributions, for the disclosure model.

In a long distribution (`tables.item_distribution`: one row per item, wave and answer code) the
counts `n` of an item and wave add up to `n_answered` (all rows) and, over the scale codes (not
`special`), to `n_scale`; both repeat on every row of the item and wave. Complementary cells are
chosen among the `n` column and then `n_answered` (`HIDE_COLS`; a repeated total is hidden in
every copy). `n_answered` rather than `n_scale`: a special code is `n_answered - n_scale`, and the
shares of the answers on the scale (drawn in the figures) rest on `n_scale`, so hiding `n_scale`
would take the shares with it (`tables.share_base_hidden`), hiding `n_answered` only the special
codes' shares.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.publish.disclosure import Relation, group_totals

HIDE_COLS = ["n", "n_answered"]


def distribution_relations(dist: pd.DataFrame) -> list[Relation]:
    if dist.empty:
        return []
    by = ["item", "wave"]
    scale = ~dist["special"].astype(bool)
    return group_totals(dist, by, "n", "n_answered", note="answers") + group_totals(
        dist, by, "n", "n_scale", parts=scale, note="scale answers"
    )


ITEMS_FILE = "tables/survey-items.csv"
SHARE = "Andel (%)"


def indicator_relations(
    shares: pd.DataFrame, indicators: list[dict], items: pd.DataFrame, share_rows=None
) -> list[Relation]:
    """The indicator table (rows as `indicator_shares`, published after the item distributions
    `items`, `tables/survey-items.csv`): an indicator's `Antal` is the sum of its answer codes'
    counts `n` in the item's distribution, its `N` that distribution's `n_scale`. Indicators of
    items the distribution does not hold (several answers possible) are left out. In every row
    the share beside its base is the count: `Andel (%)` x `N` / 100 = `Antal` (a hidden `N` comes
    back from the two shown); `share_rows`: only in these rows (default all; see
    `indicator_protection`)."""
    from tpj_helpers.publish.disclosure import Cell, Term, equal, total_of

    codes_of = {ind["id"]: {int(c) for c in ind["codes"]} for ind in indicators}
    rows_of: dict = {}
    for i, (item, wave, code, special) in enumerate(
        zip(items["item"], items["wave"], items["code"], items["special"], strict=True)
    ):
        if not bool(special):
            rows_of.setdefault((item, wave), []).append((i, int(code)))
    rels = [
        Relation(
            [Term(1.0, Cell("", r, "Antal")), Term(-0.01, Cell("", r, "N"), Cell("", r, SHARE))],
            note=f"indicator {ind} {wave}: share x N = count",
        )
        for r, (ind, wave) in enumerate(zip(shares["id"], shares["wave"], strict=True))
        if share_rows is None or r in share_rows
    ]
    for r, (ind, item, wave) in enumerate(
        zip(shares["id"], shares["item"], shares["wave"], strict=True)
    ):
        rows = rows_of.get((item, wave))
        if not rows:
            continue
        parts = [Cell(ITEMS_FILE, i, "n") for i, code in rows if code in codes_of[ind]]
        rels.append(total_of(Cell("", r, "Antal"), parts, note=f"indicator {ind} {wave}: codes"))
        rels.append(
            equal(
                Cell("", r, "N"), Cell(ITEMS_FILE, rows[0][0], "n_scale"), note=f"{ind} {wave}: N"
            )
        )
    return rels


INDICATOR_FILE = "tables/survey-indicators.csv"


def indicator_protection(
    pub, table: pd.DataFrame, shares, indicators, items, count_cols, linked
) -> tuple[list[Relation], dict, list[Relation]]:
    """(relations, hidden, share relations) for publishing the indicator table after survey-items.

    relations: the codes and N relations and survey-items' own (from its sidecar), for
    `pub.table(relations=...)`. A row whose N is hidden (a copy of a hidden `n_scale`) beside a
    shown count would give N back as count / share, so its count is hidden too (`hidden`, for
    `pub.table(hidden=...)`; the share goes with it, `linked`): found by protecting once without
    it (deterministic, nothing written). The share relations (share x N = count, every row) are
    not given to the Publisher, whose model does not know that a share is hidden with its count
    (it would hide N for nothing); `add_share_relations` writes them into the sidecar after
    publishing, so that the audit checks them against what was really published."""
    from tpj_helpers.publish.disclosure import SECONDARY, Cell, Infeasible
    from tpj_helpers.publish.publisher import CannotPublish
    from tpj_helpers.publish.sidecars import declared

    rels = indicator_relations(shares, indicators, items, share_rows=set()) + declared(
        pub.output_dir, ITEMS_FILE
    )
    try:
        protected = pub.protect(table, INDICATOR_FILE, count_cols, linked, relations=rels)
    except (CannotPublish, Infeasible):  # a small population: `pub.table` withholds the table
        return rels, {}, []
    first = protected[0]
    # a zero count tells nothing about its N (0 x N = 0) and a secondary cell is >= min_cell:
    # zeros stay shown
    hidden = {
        Cell(INDICATOR_FILE, i, "Antal"): SECONDARY
        for i in range(len(first))
        if pd.isna(first["N"].iloc[i])
        and pd.notna(first["Antal"].iloc[i])
        and float(first["Antal"].iloc[i]) > 0  # a zero is shown (hidden, it reads as >= 5)
    }
    share = [
        r
        for r in indicator_relations(shares, indicators, items)
        if r.note.endswith("share x N = count")
    ]
    return rels, hidden, share


def add_share_relations(run_dir, relations: list[Relation]) -> None:
    """Append the share relations (cells of file "") to the indicator table's sidecar."""
    from tpj_helpers.publish.sidecars import add_relations

    add_relations(run_dir, INDICATOR_FILE, relations)
