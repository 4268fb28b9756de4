"""Items whose counts another chapter publishes, left out of the all-items table (issue 12).

`tables/survey-items.csv` (notebook 10) held every coded item, the five WHO-5 statements too,
whose answer counts notebook 20 publishes in `figures/who5-items.csv` under the same keys (item,
wave, answer). The two notebooks run in parallel and protect their files each against its own
relations, so they hid different cells of the same counts: on the demo a WHO-5 answer hidden in
one file (8 persons, «..») was shown in the other, and the item's N then gave a hidden 2 back
(found by `benchmarks/output_checker.py`, `same_count_keyed`). A relation between the two files
cannot be declared (neither notebook sees the other's result), so the WHO-5 statements are
published once, by their own chapter.
"""

from __future__ import annotations

import pandas as pd

# codebook item types whose distributions another notebook publishes
REPEATED_TYPES = ("who5",)
NOTE = "WHO-5-udsagnenes svarfordeling står i WHO-5-kapitlets tal (figures/who5-items.csv)."


def without_repeated(all_items: pd.DataFrame) -> pd.DataFrame:
    """`all_items_distribution` without the items of `REPEATED_TYPES` (rows renumbered)."""
    keep = ~all_items["type"].isin(REPEATED_TYPES)
    return all_items[keep].reset_index(drop=True)


def note(all_items: pd.DataFrame) -> str:
    """The note under the all-items table when items were left out."""
    return NOTE if all_items["type"].isin(REPEATED_TYPES).any() else ""
