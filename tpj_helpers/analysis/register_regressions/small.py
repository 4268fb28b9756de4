"""The register chapter on a small population (issue 12, part 4: a report, not a failure).

A register model is published only when it can be estimated and rests on at least `min_cell`
persons: an intercept is a mean score, and no mean of fewer than `min_cell` persons is published.
Otherwise the chapter says so in Danish (the rule, never the count) in place of the models'
tables and text; Tabel 6 and the weekly figures are still published, protected as always.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.register_regressions import sensitivity
from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS
from tpj_helpers.publish.present import num


def too_few_text(min_cell: int, what: str = "registermodellerne") -> str:
    """The Danish note shown in place of models that are not published."""
    return (
        f"For få personer til at estimere {what}: en model vises kun, når den kan estimeres og "
        f"bygger på mindst {min_cell} kursister med en score (ingen gennemsnit af færre end "
        f"{min_cell} personer offentliggøres)."
    )


def empty_estimates() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ESTIMATE_COLUMNS})


def models(
    data, persons: pd.DataFrame, min_cell: int, suffix: str = ""
) -> tuple[pd.DataFrame, bool]:
    """(all register models of `persons`, True) when every model can be estimated on at least
    `min_cell` persons; else (no rows, False): the models are published together or not at all
    (the chapter's text and figure read them together)."""
    if len(persons) < min_cell:
        return empty_estimates(), False
    try:
        est = register.register_models(data, persons, "all", suffix)
    except register.ModelNotEstimable:
        return empty_estimates(), False
    if est.empty or int(est["n_persons"].min()) < min_cell:
        return empty_estimates(), False
    return est, True


def balanced(data, persons: pd.DataFrame, min_cell: int) -> tuple[pd.DataFrame, bool]:
    """The balanced-panel models (`sensitivity.balanced_models`) under the same rule."""
    return models(data, sensitivity.balanced_persons(data, persons), min_cell, sensitivity.SUFFIX)


def se_comparison(data, persons: pd.DataFrame, ok: bool) -> pd.DataFrame | None:
    """`sensitivity.se_comparison` when the models are published, else None."""
    return sensitivity.se_comparison(data, persons) if ok else None


def weekly_with_lines(data, persons: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """The weekly means of Figur 1 with the fitted lines of the weekly models; without models
    (too few persons) the means alone (the plot then draws no trend lines)."""
    weekly = register.weekly_means(data, persons=persons)
    if estimates.empty:
        return weekly
    return weekly.merge(register.fitted_lines(estimates), on="week_rel")


def count_text(n: int, min_cell: int) -> str:
    """A count of persons for a sentence: the number, or «færre end <min_cell>» below the rule."""
    return num(n) if not 0 < n < min_cell else f"færre end {num(min_cell)}"


def source_line(
    data, persons: pd.DataFrame, min_cell: int, who: str = "kursister, der har gennemført kurset"
) -> str:
    """`register.source_line` without a count below `min_cell` (e.g. a one-person delivery)."""
    return (
        f"DREAM-registeret ({data.panel.first_week} til {data.panel.last_week}), {who}, "
        f"med registersamtykke. N = {count_text(len(persons), min_cell)} kursister"
    )


def reading(estimates: pd.DataFrame, t6, ok: bool, min_cell: int, shown=None) -> str:
    """`register.register_reading`, or the Danish note when the models are not published.

    The reading names the persons at week -1 and week 26 (Tabel 6's N); where either is below
    `min_cell` (hidden in Tabel 6), the sentences with these counts are left out; `shown`: the
    published means table of Tabel 6, whose hidden counts the reading does not print either."""
    if not ok:
        return too_few_text(min_cell)
    text = register.register_reading(estimates, t6, shown=shown)
    if not any(0 < int(t6.n[k]) < min_cell for k in ("-1", "26")):
        return text
    keep = [
        s
        for s in text.split(". ")
        if not s.startswith("Analysen omfatter") and "registerudtrækket rækker kun" not in s
    ]
    return ". ".join(keep)
