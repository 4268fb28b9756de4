"""The effect design against simulated data with a known effect (issue 14 follow-up).

The full measurement (hundreds of data sets per scenario) is `benchmarks/effect_validation.py`;
these are the fast checks: a known effect recovered on a small data set, the null case not called
an effect, the scenarios' truths, the summaries by hand, and (on the demo) the oracle that shows
where the demo's week-26 bias comes from.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tpj_helpers.analysis.effect import chapter, demo_sim, design, simulate

SMALL = {"n_persons": 6000, "per_hold": 8}  # 240 participants over 30 holds, 0.3 s a data set


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_known_effect_recovered_on_a_small_simulation():
    """Effect 2.0: the interval covers it, p < 0.001, while before/after is off by far more. The
    same data without the effect (same seed: the course is assigned before the effect is added)
    give estimates lower by exactly 2.0 at every post week: the estimator is linear in the
    participants' post-period scores and carries the effect one for one."""
    with_effect = simulate.replicate(11, with_cs=False, effect=2.0, **SMALL)
    without = simulate.replicate(11, with_cs=False, effect=0.0, **SMALL)
    assert with_effect["att_low"] <= 2.0 <= with_effect["att_high"]
    assert with_effect["att_avg_low"] <= 2.0 <= with_effect["att_avg_high"]
    assert with_effect["att_p"] < 0.001 and with_effect["att_avg_p"] < 0.001
    assert with_effect["att"] - without["att"] == pytest.approx(2.0, abs=1e-6)
    assert with_effect["att_avg"] - without["att_avg"] == pytest.approx(2.0, abs=1e-6)
    assert with_effect["att_se"] == pytest.approx(without["att_se"], rel=1e-6)
    assert with_effect["before_after"] - 2.0 > 0.3


def test_growing_effect_shifts_each_week_by_its_truth():
    """An effect growing in over 26 weeks to 1.0: week t carries (t + 1) / 26, capped at 1; the
    ATT at week 26 moves by 1.0 and the average over weeks 0..26 by the mean of the ramp."""
    grow = {**SMALL, "effect": 1.0, "effect_ramp": 26}
    a = simulate.replicate(12, with_cs=False, **grow)
    b = simulate.replicate(12, with_cs=False, **{**grow, "effect": 0.0})
    ramp = np.minimum(1.0, (np.arange(27) + 1) / 26)
    assert a["truth"] == pytest.approx(1.0) and a["truth_avg"] == pytest.approx(ramp.mean())
    assert a["att"] - b["att"] == pytest.approx(1.0, abs=1e-6)
    assert a["att_avg"] - b["att_avg"] == pytest.approx(ramp.mean(), abs=1e-6)


def test_null_effect_not_claimed_on_a_fixed_seed():
    """True effect 0: neither ATT is significant, and the resumé's headline says so."""
    part, pool, _ = simulate.simulate(11, effect=0.0, **SMALL)
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN}
    res = design.estimate(part, pool, params)
    att = res.att.set_index("term")
    assert att.loc["att_26", "p_value"] > 0.05 and att.loc["att_0_26", "p_value"] > 0.05
    assert att.loc["att_26", "conf_low"] < 0 < att.loc["att_26", "conf_high"]
    headline = chapter.headline_from_estimates(chapter.estimate_rows(res))
    assert "ændrede ikke målbart" in headline


def test_subgroup_truth_is_the_participants_mean_effect():
    """Effect 1.0 for women and 0 for men: the truth over a set of participants is their share
    of women (counted here from the cohort, not from the simulator's truth arrays)."""
    part, _, truth = simulate.simulate(13, effect=1.0, effect_men=0.0, **SMALL)
    rows = np.arange(0, len(part), 2)
    women = float(np.mean(part.gender[rows] == "kvinde"))
    path = simulate.true_path(truth, rows)
    assert path[26] == pytest.approx(women) and path.mean() == pytest.approx(women)


def test_selection_on_history_picks_long_benefit_spells():
    """`selection_benefit` favours persons long on benefit: with it, the participants' weeks on
    benefit in the year before the course exceed those of the default selection."""

    def weeks(**kw):
        part, _, _ = simulate.simulate(14, **SMALL, **kw)
        on = part.category != design.NO_CATEGORY
        return np.mean([on[i, s - 52 : s].sum() for i, s in enumerate(part.start)])

    assert weeks(selection_benefit=6.0) > weeks() + 2


def test_summaries_by_hand():
    reps = pd.DataFrame(
        {
            "truth": [0.5] * 4,
            "att": [0.4, 0.7, 0.5, 1.4],
            "att_se": [0.1, 0.1, 0.2, 0.2],
            "att_low": [0.3, 0.55, 0.1, 1.0],
            "att_high": [0.6, 0.85, 0.9, 1.8],
            "att_p": [0.001, 0.001, 0.2, 0.0],
        }
    )
    s = simulate.summarise_estimand(reps, "att", "truth")
    assert s["mean_estimate"] == pytest.approx(0.75)
    assert s["bias"] == pytest.approx(0.25)
    assert s["covered"] == 2 and s["coverage_95"] == pytest.approx(0.5)  # rows 1 and 3
    assert s["rejection_rate"] == pytest.approx(0.75)
    assert s["mean_se"] == pytest.approx(0.15)


def test_current_spell_by_hand():
    """Runs of weeks with a benefit code ending at week -1; censored when it reaches week 0."""
    cats = np.array(
        [
            [1, 1, 1, 1, 1, 1],  # coded from the extract's first week: censored, 5 weeks seen
            [-1, -1, 1, 1, 1, 1],  # a run of 3
            [1, 1, 1, 1, -1, 1],  # week -1 not coded: 0
        ],
        dtype=np.int8,
    )
    c = design.Cohort(
        person_id=np.array(["a", "b", "c"]),
        score=np.zeros((3, 6), dtype=np.float32),
        category=cats,
        gender=np.array(["kvinde"] * 3),
        birth_year=np.full(3, 1980.0),
        region=np.array(["Sjælland"] * 3),
    )
    length, censored = design.current_spell(c, np.arange(3), 5)
    assert length.tolist() == [5, 3, 0] and censored.tolist() == [True, False, False]
    length, censored = design.current_spell(c, np.arange(3), 5, cap=2)
    assert length.tolist() == [2, 2, 0] and censored.tolist() == [False, False, False]


@pytest.mark.slow
def test_demo_bias_comes_from_twins_of_other_holds():
    """The demo pool (seed 2025): the design's matched controls are mostly twins of other holds
    (whose future is not the participants' counterfactual); cut down to each hold's own twins
    (`demo_sim.oracle_match`, using the would-be start the data do not show) the same design's
    week-26 estimate is close to the truth of 0.5 and its interval covers it."""
    design_run = demo_sim.replicate(2025, with_cs=False)
    oracle = demo_sim.replicate(2025, with_cs=False, oracle=True)
    assert design_run["weight_other_twins"] > 0.5
    assert oracle["weight_own_twins"] == pytest.approx(1.0)
    assert oracle["att_low"] <= 0.5 <= oracle["att_high"]
    assert abs(oracle["att"] - 0.5) < abs(design_run["att"] - 0.5)
