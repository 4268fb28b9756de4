"""Further indicators for the triangulation links (`params/triangulation.yaml`), chosen for
what a recommendation bears on. Each takes (data, link, ctx) and returns value, n, text, source
like the indicators of `synthesis.py`, which lists them in its `INDICATORS`.

- `registration_share`: share of the persons with a registration (registration form received).
- `who5_difference`: mean WHO-5 at `wave` minus the mean at `from_wave` (all respondents of each
  wave, as Tabel "WHO-5 gennemsnit"); negative when the well-being falls back.
- `subgroup_interaction`: p-value of the test that the register change after course start is the
  same in every group of `variable` (as the report's interaction table).
"""

from __future__ import annotations

import numpy as np

from tpj_helpers.analysis.deep_dive_synthesis import withheld
from tpj_helpers.publish.present import num, pct, signed


def registration_share(data, link, ctx):
    persons = data.persons
    if not len(persons):
        return {"value": np.nan, "n": 0, "text": "", "source": "Registreringer"}
    share = float(persons["registered"].astype(bool).mean())
    return {
        "value": share,
        "n": len(persons),
        "text": pct(share),
        "source": "Kursusudbyderens tilmeldinger og registreringer (personer)",
    }


def who5_difference(data, link, ctx):
    from tpj_helpers.analysis.who5 import waves as who5

    _table, est = who5.wave_means(data, ctx.get("phase"))
    means = {
        str(r["subgroup"]).removeprefix("wave:"): (float(r["estimate"]), r["n_persons"])
        for _, r in est.iterrows()
    }
    first, second = link.get("from_wave", "efter"), link["wave"]
    if (
        first not in means
        or second not in means
        or np.isnan(means[first][0])
        or np.isnan(means[second][0])
    ):
        return {"value": np.nan, "n": 0, "text": "", "source": "WHO-5"}
    diff = means[second][0] - means[first][0]
    labels = dict(data.surveys.codebook.waves)
    return {
        "value": diff,
        "n": int(means[second][1]),
        "text": f"{signed(diff, 1)} point ({num(means[first][0], 1)} → {num(means[second][0], 1)})",
        "source": "Kursistspørgeskema, WHO-5",
        "where": withheld.where(
            withheld.WHO5_MEANS,
            {"Måling": labels.get(second, second)},
            ["Besvarelser med WHO-5-score", "Gennemsnit"],
        ),
    }


def subgroup_interaction(data, link, ctx):
    from tpj_helpers.analysis.register_regressions import models as register
    from tpj_helpers.analysis.subgroup_models import models as subgroup_models

    try:
        test = subgroup_models.interaction_test(
            data, link["variable"], ctx.get("min_group_size", 10)
        ).test
    except register.ModelNotEstimable as exc:
        return {"value": np.nan, "n": 0, "text": f"kan ikke estimeres ({exc})", "source": "DREAM"}
    p = float(test["p_value"])
    return {
        "value": p,
        "n": int(test["n_persons"]),
        "text": f"p = {num(p, 3)}" if p >= 0.001 else "p < 0,001",
        "source": "DREAM-registeret, kursister der har gennemført",
        # the persons in the test: the interaction table hides them when a group is left out small
        "where": withheld.where(
            withheld.INTERACTION,
            {"Dimension": subgroup_models.register_label(link["variable"])},
            ["Kursister"],
            value_too=False,
        ),
    }


INDICATORS = {
    "registration_share": registration_share,
    "who5_difference": who5_difference,
    "subgroup_interaction": subgroup_interaction,
}
