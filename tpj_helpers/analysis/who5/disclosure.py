"""Relations of the WHO-5 distributions, for the disclosure model.

Score distribution (`score_distribution`): per wave the bins' `n` add up to `n_wave`. Item
distribution (`item_distribution`): per item and wave the answers' `n` add up to `n_item`. The
percent table of the items (`item_table`) is built from the protected item data, so that a share
is hidden exactly when the count under it is (primary or secondary); `item_table_relations`
declares each shown share as its count (share x N / 100) so the audit checks that too.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.publish.disclosure import Cell, Relation, Term, equal, group_totals, total_of

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


DISTRIBUTION_FIGURE = "figures/who5-distribution.csv"


def zone_relations(zones: pd.DataFrame, dist: pd.DataFrame) -> list[Relation]:
    """The zone table (`zone_table`) against the score distribution (`score_distribution`, published
    before it): a zone's count is the sum of its bins' `n` (every bin lies in one zone), N is the
    wave's `n_wave`, and the zones add up to N. Matched on the wave label."""
    from tpj_helpers.analysis.who5.waves import ZONE_RANGES

    rels = []
    for r, label in enumerate(zones["Måling"]):
        rows = [i for i, w in enumerate(dist["wave_label"]) if w == label]
        if not rows:
            continue
        n_cell = Cell("", r, "N")
        rels.append(
            equal(n_cell, Cell(DISTRIBUTION_FIGURE, rows[0], "n_wave"), note=f"{label}: N = n_wave")
        )
        parts = []
        for zone, rng in ZONE_RANGES.items():
            col = f"{zone} ({rng}), antal"
            parts.append(Cell("", r, col))
            bins = [i for i in rows if dist["zone"].iloc[i] == zone]
            rels.append(
                total_of(
                    Cell("", r, col),
                    [Cell(DISTRIBUTION_FIGURE, i, "n") for i in bins],
                    note=f"{label}: {zone} = its score bins",
                )
            )
        rels.append(total_of(n_cell, parts, note=f"{label}: zones add up to N"))
    return rels
