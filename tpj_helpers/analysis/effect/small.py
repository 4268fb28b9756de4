"""The effect chapter on a small population (issue 12, part 4): guards at the entry.

The effect design is estimated only when at least `min_cell` participants are matched to the
comparison group: an effect is a difference of means, and no mean of fewer than `min_cell`
persons is published (with one or two participants the design cannot be fitted at all). The
participants' own development (`participants.development`) is a mean too: its sentences and its
table are shown only when at least `min_cell` persons have a score in all three weeks. Otherwise
the chapter says so in Danish, naming the rule and never the count.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.effect import chapter, design
from tpj_helpers.analysis.effect.participants import dip_sentence, shares_sentence


def matched_participants(cohort, pool, params: dict) -> int:
    """How many participants the design's matching finds controls for."""
    m = design.match(cohort, pool, {**design.DEFAULTS, **params})
    return int(sum(len(s.treated) for s in m.stacks))


def estimate(cohort, pool, params: dict, min_cell: int):
    """(`design.estimate(...)`, False), or (None, True) when fewer than `min_cell` participants
    are in the cohort or matched (no model is fitted then)."""
    if len(cohort) < min_cell or matched_participants(cohort, pool, params) < min_cell:
        return None, True
    return design.estimate(cohort, pool, params), False


def development_ok(dev: pd.DataFrame, min_cell: int) -> bool:
    """True when the participants' own development rests on at least `min_cell` persons."""
    return int(dev.set_index("measure").loc["mean", "n"]) >= min_cell


def too_few_effect_text(min_cell: int) -> str:
    return (
        f"For få personer til at måle kursets effekt: effektmålingen kræver mindst {min_cell} "
        "kursister, der kan matches med personer i sammenligningsgruppen, og det har disse data "
        "ikke. Kapitlet viser derfor ingen effekt."
    )


def too_few_development_text(min_cell: int) -> str:
    return (
        f"For få personer til at vise kursisternes egen udvikling: den vises kun, når mindst "
        f"{min_cell} kursister har en score i alle tre uger (uge −26, uge −1 og uge 26)."
    )


def development_text(dev: pd.DataFrame, min_cell: int) -> str:
    """`participants.dip_sentence`, or the Danish note when it rests on too few persons."""
    return (
        dip_sentence(dev) if development_ok(dev, min_cell) else too_few_development_text(min_cell)
    )


def status_text(
    result, dev: pd.DataFrame, pool_size, min_pool: int, too_few: bool, min_cell: int
) -> str:
    """The chapter's opening: the design, or why there is no effect estimate (no pool, too small
    a pool, too few participants), then the participants' own development where it may be shown."""
    if result is not None:
        return chapter.design_summary(result)
    if too_few:
        return too_few_effect_text(min_cell) + "\n\n" + development_text(dev, min_cell)
    text = chapter.no_pool_text(dev, pool_size, min_pool)
    if development_ok(dev, min_cell):
        return text
    return text.removesuffix(dip_sentence(dev)) + too_few_development_text(min_cell)


def reading(result, dev: pd.DataFrame, too_few: bool, min_cell: int) -> str:
    """`chapter.reading` with an estimate (counts under `min_cell` written «færre end»); without one the
    headline on the participants' own development (no pool) or the note on too few persons."""
    if result is not None:
        return chapter.reading(result, min_cell=min_cell)
    if too_few or not development_ok(dev, min_cell):
        return development_text(dev, min_cell) if too_few else too_few_development_text(min_cell)
    return chapter.headline(None, dev)


def shares_text(counts: pd.DataFrame, min_cell: int) -> str:
    """`participants.shares_sentence`, or the Danish note when a week's share would rest on
    fewer than `min_cell` persons (no share of fewer than `min_cell` persons is published)."""
    if (counts["n"] < min_cell).any():
        return (
            f"Andelene i beskæftigelse vises ikke: de ville hvile på færre end {min_cell} personer."
        )
    return shares_sentence(counts, min_cell)
