"""Sensitivity analyses of the register models: the balanced panel and naive vs clustered SEs.

Balanced panel: the completers with a score at all four timepoints of Tabel 6 (week -26, week -1,
right after the course and week 26). The same five models are fitted on them; their rows in
`estimates.csv` carry the model id with the suffix `_balanced` (`two_point_pre_balanced`,
`two_point_post_balanced`, `weekly_pre_balanced`, `weekly_post_balanced`, `segmented_balanced`),
so they never collide with the main rows (`subgroup` `all`, the ids of outputs.md).

Naive vs clustered: every model's terms with the person-clustered standard error (CR1, as in the
main models) beside the naive OLS standard error (independent errors), and their ratio. Several
weeks of the same person are strongly correlated, so the naive errors are too small; the ratio
shows by how much.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.publish.present import num, signed

SUFFIX = register.BALANCED


def balanced_persons(data, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """The persons (completers by default) with a score at all four Tabel 6 timepoints."""
    persons = register.analysis_persons(data) if persons is None else persons
    keep = pd.Series(True, index=persons.index)
    for week, _ in register.TIMEPOINTS.values():
        at = register.scores_at(data, persons, week)
        keep &= (at["covered"] & at["score"].notna()).to_numpy()
    return persons[keep.to_numpy()].reset_index(drop=True)


def balanced_models(data, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """All register models on the balanced panel; model ids end in `_balanced`."""
    return register.register_models(data, balanced_persons(data, persons), "all", SUFFIX)


def se_comparison(data, persons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per model and term: estimate, se_clustered, se_naive, ratio, n_persons, n_obs."""
    persons = register.analysis_persons(data) if persons is None else persons
    return pd.concat(
        [register.naive_and_clustered(data, persons, m) for m in register.MODELS], ignore_index=True
    )


def se_table(comp: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a Danish table: model, term, estimate, both SEs and their ratio."""
    return pd.DataFrame(
        {
            "Model": comp["model"].map(register.model_label).to_numpy(),
            "Led": comp["term"].map(register.TERM_LABELS).to_numpy(),
            "Estimat": comp["estimate"].to_numpy(),
            "Standardfejl, klynget": comp["se_clustered"].to_numpy(),
            "Standardfejl, naiv": comp["se_naive"].to_numpy(),
            "Forhold (klynget/naiv)": comp["ratio"].to_numpy(),
        }
    )


SE_NOTE = (
    "Klynget: standardfejl, der tager højde for, at den samme kursist indgår med flere uger "
    "(som i hovedmodellerne). Naiv: almindelig OLS-standardfejl, der behandler hver kursist-uge "
    "som en uafhængig observation."
)


def se_reading(comp: pd.DataFrame) -> str:
    """Danish text on the ratio of clustered to naive SEs, from the numbers."""
    weekly = comp[comp["model"].isin([*register.WEEKLY, "segmented"])]
    two = comp[comp["model"].isin(list(register.TWO_POINT))]
    post = comp[(comp["model"] == "two_point_post") & (comp["term"] == "change")].iloc[0]
    return (
        f"De klyngede standardfejl er i ugemodellerne mellem {num(weekly['ratio'].min(), 1)} og "
        f"{num(weekly['ratio'].max(), 1)} gange så store som de naive, i topunktsmodellerne mellem "
        f"{num(two['ratio'].min(), 1)} og {num(two['ratio'].max(), 1)} gange. For ændringen fra "
        f"ugen før kurset til 26 uger efter er standardfejlen {num(post['se_clustered'], 3)} med "
        f"klyngning og {num(post['se_naive'], 3)} uden. I topunktsmodellerne indgår hver kursist "
        "højst to gange, så klyngningen betyder mindre her. Ugemodellerne bruger op til 27 uger pr. "
        "kursist, og ugerne for den samme kursist ligner hinanden: uden klyngning ville "
        "modellerne regne med langt flere uafhængige observationer, end der er, og "
        "konfidensintervallerne ville blive for smalle."
    )


def balanced_reading(main: pd.DataFrame, balanced: pd.DataFrame, n_main: int) -> str:
    """Danish text comparing the main and the balanced-panel two-point changes."""

    def change(est: pd.DataFrame, model: str) -> pd.Series:
        return est[(est["model"] == model) & (est["term"] == "change")].iloc[0]

    pre, post = change(main, "two_point_pre"), change(main, "two_point_post")
    bpre, bpost = (
        change(balanced, "two_point_pre" + SUFFIX),
        change(balanced, "two_point_post" + SUFFIX),
    )
    n_bal = int(bpost["n_persons"])
    return (
        f"Det balancerede panel består af de {num(n_bal)} af {num(n_main)} kursister, der har en "
        "score på alle fire tidspunkter (26 uger før, ugen før, lige efter kurset og 26 uger "
        "efter kursusstart). Her er ændringen fra ugen før kurset til 26 uger efter "
        f"{signed(bpost['estimate'])} point (95 %-konfidensinterval "
        f"{register.ci_text(bpost['conf_low'], bpost['conf_high'])}) mod "
        f"{signed(post['estimate'])} i hovedanalysen, og ændringen i halvåret før kurset "
        f"{signed(bpre['estimate'])} mod {signed(pre['estimate'])}. "
        + (
            "Resultatet afhænger altså ikke af, at de seneste hold mangler data 26 uger efter."
            if np.sign(bpost["estimate"]) == np.sign(post["estimate"])
            and bpost["p_value"] < 0.05
            and post["p_value"] < 0.05
            else "Konklusionen er derfor følsom over for, hvilke kursister der indgår."
        )
    )
