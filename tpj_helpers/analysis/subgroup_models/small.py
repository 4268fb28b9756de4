"""The subgroup chapter on a small population (issue 12, part 4): its source lines name no count
below `min_cell` (a delivery with one withdrawn person printed "og 1 afmeldte")."""

from __future__ import annotations

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.register_regressions.small import count_text


def source_line(data, min_cell: int) -> str:
    """`subgroup_models.models.source_line` with counts below `min_cell` as «færre end ...»."""
    n_done = len(register.analysis_persons(data))
    n_out = len(register.analysis_persons(data, register.WITHDRAWN))
    return (
        f"DREAM-registeret ({data.panel.first_week} til {data.panel.last_week}), kursister med "
        f"registersamtykke. N = {count_text(n_done, min_cell)} kursister, der har gennemført, og "
        f"{count_text(n_out, min_cell)} afmeldte"
    )


def overall(data, persons, min_cell: int, min_group_size: int):
    """The overall two-point model the forest is drawn against (`register.two_point`, model
    `two_point_post`), or None when the chapter has too few persons: fewer completers than a
    subgroup needs for a model (`min_group_size`, at least `min_cell`), or the model cannot be
    estimated (e.g. no one with data 26 weeks after)."""
    if len(persons) < max(min_cell, min_group_size):
        return None
    try:
        est = register.two_point(data, persons, "two_point_post")
    except register.ModelNotEstimable:
        return None
    return None if int(est["n_persons"].min()) < min_cell else est


def too_few_text(min_cell: int, min_group_size: int) -> str:
    """The Danish note shown in place of each output of the chapter."""
    need = max(min_cell, min_group_size)
    return (
        f"For få personer til at opdele på undergrupper: en undergruppe får kun en model, når "
        f"den har mindst {need} kursister i registeranalysen (parameteren min_group_size), og "
        "der er ikke kursister nok til, at en opdeling kan vises."
    )
