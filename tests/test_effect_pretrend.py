"""The effect chapter's placebo test on matched sets (`effect.pretrend`, issue 12e).

Hand cases of the statistic and its p-value (one block by hand; several blocks against
Hotelling's T^2 from numpy's sample covariance), the block layout, the matched-set differences
on a cohort written out week by week, and on simulated data: a pre-trend the matching does not
remove is found, the weekly Wald test's near-singular covariance is not used.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from tpj_helpers.analysis.effect import chapter, design, pretrend, simulate


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_blocks_count_back_from_week_minus_2():
    b = pretrend.blocks(-52, 13)
    weeks = np.arange(-52, -1)
    assert b[weeks == -2][0] == 0 and b[weeks == -14][0] == 0 and b[weeks == -15][0] == 1
    assert b[weeks == -52][0] == 3
    assert np.bincount(b).tolist() == [13, 13, 13, 12]


def test_one_block_by_hand():
    """Set A: participant d = 1.0, controls 0.0 and 0.5 (mean 0.25, gap 0.75); set B:
    participant -0.5, control -0.25 (gap -0.25); a third set C: participant 2.0, control 1.25
    (gap 0.75). theta = 1.25 / 3. Each set is its own cluster with psi = (gap - theta) / 3;
    V = 3/2 * sum psi^2, F = theta^2 / V (Hotelling's form with K = 1: (C - 1) / (C - 1) = 1)
    on (1, 2) df."""
    d = np.array([[1.0], [0.0], [0.5], [-0.5], [-0.25], [2.0], [1.25]])
    person = np.array([0, 10, 11, 1, 12, 2, 13])
    sets = np.array([0, 0, 0, 1, 1, 2, 2])
    treated = np.array([True, False, False, True, False, True, False])
    r = pretrend.block_test(d, person, sets, treated)
    theta = (0.75 - 0.25 + 0.75) / 3
    v = 3 / 2 * sum(((g - theta) / 3) ** 2 for g in (0.75, -0.25, 0.75))
    assert r["differences"][0] == pytest.approx(theta)
    assert r["std_errors"][0] == pytest.approx(np.sqrt(v))
    assert r["F"] == pytest.approx(theta**2 / v)
    assert (r["df_num"], r["df_den"], r["clusters"]) == (1, 2, 3)
    assert r["p_value"] == pytest.approx(stats.f.sf(theta**2 / v, 1, 2))


def test_sets_sharing_a_control_are_one_cluster():
    """Pool member 10 controls set A and set B: the two sets are one cluster, their
    participants' terms add before squaring. A: participant 1.0, controls 10 (0.0) and 11 (1.0):
    gap 0.5; B: participant 0.0, controls 10 (0.5) and 12 (-0.5): gap 0.0; C: participant 2.0,
    control 13 (1.25): gap 0.75. theta = 1.25 / 3; clusters {A, B} and {C}:
    psi = (0.5 + 0.0 - 2 theta) / 3 and (0.75 - theta) / 3, V = 2/1 * sum psi^2."""
    d = np.array([[1.0], [0.0], [1.0], [0.0], [0.5], [-0.5], [2.0], [1.25]])
    person = np.array([0, 10, 11, 1, 10, 12, 2, 13])
    sets = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    treated = np.array([True, False, False, True, False, False, True, False])
    comp = pretrend.components(person, sets)
    assert len(set(comp[:6])) == 1 and comp[6] != comp[0]
    r = pretrend.block_test(d, person, sets, treated)
    theta = 1.25 / 3
    v = 2 * (((0.5 - 2 * theta) / 3) ** 2 + ((0.75 - theta) / 3) ** 2)
    assert r["clusters"] == 2
    assert r["F"] == pytest.approx(theta**2 / v)
    assert r["p_value"] == pytest.approx(stats.f.sf(theta**2 / v, 1, 1))


def test_pairs_equal_hotelling_t2():
    """Sets of one participant and one control each (distinct persons): each pair is a cluster
    with psi = (pair difference - mean) / n, so V = S / n (S numpy's sample covariance, ddof 1)
    and the test is Hotelling's T^2 = n mean' S^-1 mean: F = T^2 (n - k) / (k (n - 1)) on
    (k, n - k) df."""
    rng = np.random.default_rng(5)
    n, k = 40, 4
    t = rng.normal(size=(n, k)) + 0.2
    c = rng.normal(size=(n, k))
    d = np.concatenate([t, c])
    person = np.arange(2 * n)
    sets = np.concatenate([np.arange(n), np.arange(n)])
    treated = np.arange(2 * n) < n
    r = pretrend.block_test(d, person, sets, treated)
    delta = t - c
    mean = delta.mean(axis=0)
    t2 = n * mean @ np.linalg.inv(np.cov(delta, rowvar=False)) @ mean
    f = t2 * (n - k) / (k * (n - 1))
    assert r["differences"] == pytest.approx(mean)
    assert r["F"] == pytest.approx(f)
    assert r["p_value"] == pytest.approx(stats.f.sf(f, k, n - k))


def _cohort(scores, start=None):
    scores = np.asarray(scores, dtype=np.float32)
    n, w = scores.shape
    return design.Cohort(
        person_id=np.array([f"P{i}" for i in range(n)]),
        score=scores,
        category=np.zeros((n, w), dtype=np.int8),
        gender=np.array(["kvinde"] * n),
        birth_year=np.full(n, 1980.0),
        region=np.array(["Hovedstaden"] * n),
        start=start,
        categories=("kontanthjaelp",),
    )


def test_set_differences_from_the_weeks():
    """Course start at calendar week 4, window from week -3: pre weeks -3 and -2, one week a
    block (block 0 = week -2). Participant: weeks 1..3 (rel -3..-1) = 2, 4, 5 -> d = (4 - 5,
    2 - 5) = (-1, -3). Controls of its set: 1, 1, 2 -> (-1, -1) and 3, 3, 3 -> (0, 0): mean
    (-0.5, -0.5). A control of another stratum (no participant) is left out. Differences
    (-0.5, -2.5)."""
    part = _cohort([[9, 2, 4, 5, 9]], start=np.array([4]))
    pool = _cohort([[9, 1, 1, 2, 9], [9, 3, 3, 3, 9], [9, 0, 0, 9, 9]])
    stack = design.Stack(
        week=4,
        treated=np.array([0]),
        controls=np.array([0, 1, 2]),
        weight=np.ones(3),
        strata_t=np.array([0]),
        risk_set=np.arange(3),
        strata_c=np.array([0, 0, 1]),
    )
    m = SimpleNamespace(stacks=[stack])
    parts = pretrend.set_differences(part, pool, m, lo=-3, bin_weeks=1)
    assert parts["d"][0].tolist() == [-1.0, -3.0]  # block 0 is week -2, block 1 week -3
    r = pretrend.block_test(parts["d"], parts["person"], parts["set"], parts["treated"])
    assert r["differences"] == pytest.approx([-0.5, -2.5])
    assert r["clusters"] == 1 and np.isnan(r["p_value"])  # one set: no test


SMALL = {"n_persons": 6000, "per_hold": 8}


def test_unmatched_dip_is_found_and_the_text_says_so():
    """Selection after a fall in the score from week -26 to -1, matched on week -1 only: in the
    half year before the course the participants' scores lie above their controls' (a real
    pre-trend), and the test rejects; the
    chapter's sentence then says the groups developed differently before the course."""
    part, pool, _ = simulate.simulate(3, effect=0.0, selection=1.0, **SMALL)
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN, "history_weeks": [-1]}
    m = design.match(part, pool, params)
    r = pretrend.placebo_test(part, pool, m, params)
    assert r["n_blocks"] == 4 and r["bin_weeks"] == 13
    assert np.all(r["differences"][:2] > 0.2)  # weeks -27..-2: above their controls
    assert r["p_value"] < 0.001
    text = chapter.placebo_sentence(r)
    assert "udviklede sig forskelligt allerede før kurset" in text
    assert "4 perioder på op til 13 uger mellem uge −52 og uge −2" in text


def test_matched_design_on_a_null_seed():
    """True effect 0 and the default matching (on the history the selection works through): the
    published test does not reject on this seed, while the weekly Wald test of the same data
    does (seed 1 of the null scenario: one of the 22.5 % of data sets it rejected)."""
    part, pool, _ = simulate.simulate(1, effect=0.0)
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN}
    res = design.estimate(part, pool, params, with_cs=False)
    assert res.placebo["p_value"] > 0.05
    assert res.placebo["weekly_p_value"] < 0.01
    assert res.placebo["max_abs_pre"] == pytest.approx(
        res.event_study.loc[res.event_study["week"] < -1, "estimate"].abs().max()
    )
    assert "ikke større, end tilfældigheder kan forklare" in chapter.placebo_sentence(res.placebo)


def test_sentence_without_a_test():
    """Too few matched sets for the test: the text says it could not be computed."""
    text = chapter.placebo_sentence({"n_blocks": 1, "p_value": float("nan"), "bin_weeks": 13})
    assert "kunne ikke beregnes" in text and "p =" not in text
