"""Standard errors of the Callaway-Sant'Anna rows (issue 14cs): the influence function of the
aggregate over stacks, by hand and against the exact variance of a known design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tpj_helpers.analysis.effect import design


def _panel(rows):
    """rows: (stack, person, treat, weight, y at week -1, y at week 0) -> the stacked long panel."""
    out = []
    for unit, (stack, person, treat, weight, y0, y1) in enumerate(rows):
        for rel, y in ((-1, y0), (0, y1)):
            out.append(
                {
                    "y": float(y),
                    "rel": rel,
                    "treat": treat,
                    "weight": float(weight),
                    "unit": unit,
                    "stack": stack,
                    "person": person,
                }
            )
    return pd.DataFrame(out)


def test_cs_influence_function_by_hand():
    """Two stacks. Stack 10: participants 0 and 1 (change 3 and 1), controls 100 and 101 (weights
    1 and 1, change 0 and 2: mean 1). Stack 20: participant 2 (change 4), controls 100 (again)
    and 102 (weights 1 and 3, change 2 and -2: mean -1). ATT_10 = 2 - 1 = 1, ATT_20 = 4 + 1 = 5,
    aggregate (2/3) 1 + (1/3) 5 = 7/3.
    Participants: (dy - mc_g - 7/3) / 3 = -1/9, -7/9, 8/9. Controls: -pi_g w (dy - mc_g) / sum w:
    100: -(2/3)(0 - 1)/2 - (1/3)(2 + 1)/4 = 1/3 - 1/4 = 1/12; 101: -1/3; 102: -(1/3) 3 (-1)/4 = 1/4.
    Six persons: SE^2 = 6/5 (1 + 49 + 64)/81 + 6/5 (1/144 + 1/9 + 1/16)."""
    df = _panel(
        [
            (10, 0, 1, 1.0, 5, 8),
            (10, 1, 1, 1.0, 2, 3),
            (10, 100, 0, 1.0, 4, 4),
            (10, 101, 0, 1.0, 1, 3),
            (20, 2, 1, 1.0, 0, 4),
            (20, 100, 0, 1.0, 4, 6),
            (20, 102, 0, 3.0, 7, 5),
        ]
    )
    est, se, psi = design.callaway_santanna(df, [0], g_persons=6)[0]
    assert est == pytest.approx(7 / 3)
    expected = {0: -1 / 9, 1: -7 / 9, 2: 8 / 9, 100: 1 / 12, 101: -1 / 3, 102: 1 / 4}
    assert psi.to_dict() == pytest.approx(expected)
    var = 6 / 5 * ((1 + 49 + 64) / 81 + 1 / 144 + 1 / 9 + 1 / 16)
    assert se == pytest.approx(np.sqrt(var))  # 1.3805
    assert se == pytest.approx(1.38049, abs=1e-4)


def test_cs_one_participant_per_stack_still_has_variance():
    """Three stacks with one participant each and controls that all change alike: the variance
    is that of the participants' differences dy - mc = 1, 1, 4 around their mean 2 (the
    controls add none). Centring each participant on their own stack gave SE = 0."""
    df = _panel(
        [
            (1, 0, 1, 1.0, 0, 1),
            (1, 10, 0, 1.0, 3, 3),
            (1, 11, 0, 1.0, 5, 5),
            (2, 1, 1, 1.0, 0, 2),
            (2, 12, 0, 1.0, 0, 1),
            (2, 13, 0, 1.0, 2, 3),
            (3, 2, 1, 1.0, 1, 7),
            (3, 14, 0, 1.0, 0, 2),
            (3, 15, 0, 1.0, 1, 3),
        ]
    )
    est, se, _ = design.callaway_santanna(df, [0], g_persons=9)[0]
    assert est == pytest.approx(2.0)
    x = np.array([1.0, 1.0, 4.0])
    # the standard error of a mean (ddof 1) times the CRV1 factor over the persons of the panel
    assert se == pytest.approx(stats.sem(x) * np.sqrt(9 / 8 * 2 / 3))
    assert se == pytest.approx(np.sqrt(9 / 8 * 6) / 3)


def test_cs_se_matches_exact_variance_with_small_stacks():
    """Twenty stacks of 1-2 participants and 10 controls each (weight 1), all changes N(0, 1)
    independent: Var(ATT) = 1/N + sum_g pi_g^2 / 10 exactly. The mean of SE^2 over 300 data
    sets lies within 10 % of it (centring on each stack's own mean gave about 0.6 of it)."""
    rng = np.random.default_rng(14)
    n_t = np.where(np.arange(20) % 2 == 0, 1, 2)
    n = n_t.sum()
    truth = 1 / n + ((n_t / n) ** 2).sum() / 10
    se2, est = [], []
    for _ in range(300):
        rows, person = [], 0
        for g, k in enumerate(n_t):
            for treat, count in ((1, k), (0, 10)):
                for _ in range(count):
                    y0 = rng.normal()
                    rows.append((g, person, treat, 1.0, y0, y0 + rng.normal()))
                    person += 1
        e, se, _ = design.callaway_santanna(_panel(rows), [0], g_persons=person)[0]
        se2.append(se**2)
        est.append(e)
    assert np.mean(se2) / truth == pytest.approx(1.0, abs=0.10)
    # and the estimates scatter as the exact variance says (Monte Carlo check of `truth`)
    assert np.var(est) / truth == pytest.approx(1.0, abs=0.25)
