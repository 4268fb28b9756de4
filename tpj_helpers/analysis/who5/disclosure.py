"""Relations of the WHO-5 distributions, for the disclosure model.

Score distribution (`score_distribution`): per wave the bins' `n` add up to `n_wave`. Item
distribution (`item_distribution`): per item and wave the answers' `n` add up to `n_item`. The
percent table of the items (`item_table`) is built from the protected item data, so that a share
is hidden exactly when the count under it is (primary or secondary); `item_table_relations`
declares each shown share as its count (share x N / 100) so the audit checks that too.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.publish.disclosure import Cell, Relation, Term, group_totals

HIDE_COLS = ["n"]
ITEMS_FIGURE = "figures/who5-items.csv"


def distribution_relations(dist: pd.DataFrame) -> list[Relation]:
    return group_totals(dist, ["wave"], "n", "n_wave", note="WHO-5 scores") if len(dist) else []


def item_relations(items: pd.DataFrame) -> list[Relation]:
    return (
        group_totals(items, ["item", "wave"], "n", "n_item", note="WHO-5 answers")
        if len(items)
        else []
    )


def item_table_relations(items: pd.DataFrame, table: pd.DataFrame) -> list[Relation]:
    """Each share cell of the wide table times its N / 100 is the count in the item figure's data."""
    pos = {
        k: i for i, k in enumerate(zip(items["item"], items["wave"], items["code"], strict=True))
    }
    firsts = items.drop_duplicates(["item", "wave"])
    codes = list(dict.fromkeys(items["code"]))
    rels = []
    for r, (item, wave) in enumerate(zip(firsts["item"], firsts["wave"], strict=True)):
        for k, col in zip(codes, table.columns[3:], strict=True):
            fig = Cell(ITEMS_FIGURE, pos[(item, wave, k)], "n")
            rels.append(
                Relation(
                    [Term(1.0, fig), Term(-0.01, Cell("", r, "N"), factor=Cell("", r, col))],
                    note=f"WHO-5 items: share x N = count ({item}, {wave}, {k})",
                )
            )
    return rels
