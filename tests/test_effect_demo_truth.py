"""The effect design on the demo's comparison pool recovers the generator's known truth (issue 14).

The demo pool (`tpj_helpers.synthetic.comparison`) writes its true effect into the SYNTHETIC
marker: `true_att_26` (the week-26 effect) and `true_att_0_26` (the average over weeks 0..26 of the
ramping effect). The matched design, run exactly as notebook 35 runs it, must give 95 % intervals
that cover both, while the participants' own before/after change is off by more than 0.3 (the dip
they enrol in).
"""

from __future__ import annotations

import pytest

from tpj_helpers.analysis.effect import design, inputs
from tpj_helpers.data.dream import load_score_map
from tpj_helpers.data.study import load_data
from tpj_helpers.synthetic.generate import generate_demo_data
from tpj_helpers.synthetic.marker import marker_info


@pytest.fixture(scope="module")
def demo_effect(tmp_path_factory):
    folder = generate_demo_data(tmp_path_factory.mktemp("truth") / "demo", seed=2025)
    data = load_data(folder, cache=False)
    score_map, regions = load_score_map(), inputs.kommune_regions()
    cohort = inputs.participants_cohort(data, score_map, regions)
    labels = data.panel.weeks["iso_week"].cat.categories.to_numpy()
    pool = inputs.pool_cohort(folder, score_map, cohort, labels, regions)
    result = design.estimate(cohort, pool, design.design_params())
    return result, marker_info(folder)["comparison"]


@pytest.mark.parametrize("model", ["att", "att_cs"])
def test_intervals_cover_the_true_effects(demo_effect, model):
    result, truth = demo_effect
    att = getattr(result, model).set_index("term")
    for term, key in (("att_26", "true_att_26"), ("att_0_26", "true_att_0_26")):
        row = att.loc[term]
        assert row["conf_low"] <= truth[key] <= row["conf_high"], (
            model,
            term,
            row.to_dict(),
            truth[key],
        )


def test_before_after_is_off_by_more_than_0_3(demo_effect):
    result, truth = demo_effect
    assert abs(result.before_after["estimate"] - truth["true_att_26"]) > 0.3
    assert result.n_persons >= 100 and result.counts["controls"] > 10 * result.counts["stacks"]


def test_cohort_from_scores_maps_sentinels_categories_and_regions():
    import numpy as np
    import pandas as pd

    from tpj_helpers.data.comparison import ScoreMatrix

    monday = np.array(
        ["2024-12-30", "2025-01-06"], dtype="datetime64[D]"
    )  # ISO weeks 2025-W01, W02
    m = ScoreMatrix(
        np.array(["K1", "K2"]),
        monday,
        np.array([[-1, 3], [-2, 10]], dtype=np.int8),
        np.array([[-1, 1], [0, -1]], dtype=np.int8),
        ("b", "a"),
    )
    bg = pd.DataFrame(
        {
            "gender": ["kvinde", None],
            "birth_year": [1990, None],
            "kommune": ["Aalborg", "Odense"],
            "region": [pd.NA, "Syddanmark"],
        }
    )
    c = inputs.cohort_from_scores(m, bg, ("a", "b", "c"), {"Aalborg": "Nordjylland"})
    assert (
        np.isnan(c.score[0, 0])
        and np.isnan(c.score[1, 0])
        and c.score[0, 1] == 3
        and c.score[1, 1] == 10
    )
    # matrix category 1 is "a" (index 0 of the target), 0 is "b" (index 1), -1 stays -1
    assert c.category.tolist() == [[-1, 0], [1, -1]]
    assert c.region.tolist() == ["Nordjylland", "Syddanmark"]
    assert c.gender.tolist() == ["kvinde", ""] and np.isnan(c.birth_year[1])
    assert c.week_year.tolist() == [2025, 2025]  # the ISO year of each week (its Thursday)
    bad = bg.assign(region=pd.NA, kommune=["Aalborg", "Atlantis"])
    with pytest.raises(Exception, match="Atlantis"):
        inputs.cohort_from_scores(m, bad, ("a", "b"), {"Aalborg": "Nordjylland"})
