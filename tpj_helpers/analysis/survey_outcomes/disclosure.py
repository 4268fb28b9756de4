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
