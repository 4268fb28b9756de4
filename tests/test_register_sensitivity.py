"""Sensitivity analyses of the register models and the behaviour of the clustered intervals.

The Monte Carlo test is the reason the models cluster by person: with several weeks per person the
weeks of one person are correlated, and intervals that treat every person-week as independent
cover the true change far less often than 95 %. The clustered standard errors are CR1
(G/(G-1) * (N-1)/(N-K), as statsmodels applies it) with t(G-1) intervals.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from test_register import make_study

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.register_regressions import sensitivity
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS

# p1, p2, p3 have a score at all four timepoints (-26, -1, after = week 7, 26); p4 has none at
# -26 (not covered), p5 no score at 26 (a row without score): neither is in the balanced panel.
FULL = {
    "p1": {-26: 2, -1: 2, 7: 3, 26: 7},
    "p2": {-26: 3, -1: 1, 7: 2, 26: 2},
    "p3": {-26: 1, -1: 2, 7: 2, 26: 10},
}
PEOPLE = [{"pid": pid, "first": -30, "last": 30, "scores": s} for pid, s in FULL.items()] + [
    {"pid": "p4", "first": -20, "last": 30, "scores": {-1: 5, 7: 5, 26: 5}},
    {"pid": "p5", "first": -30, "last": 30, "scores": {-26: 9, -1: 9, 7: 9, 26: None}},
]


def test_balanced_panel_keeps_persons_with_a_score_at_all_four_timepoints():
    study = make_study(PEOPLE)
    assert sensitivity.balanced_persons(study)["person_id"].tolist() == ["p1", "p2", "p3"]
    est = sensitivity.balanced_models(study)
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert est["model"].unique().tolist() == [m + "_balanced" for m in register.MODELS]
    assert (est["subgroup"] == "all").all() and (est["n_persons"] == 3).all()
    # The main ids (outputs.md) never appear among the balanced rows: no collision with `all`.
    assert not set(est["model"]) & set(register.MODELS)
    post = est[(est["model"] == "two_point_post_balanced") & (est["term"] == "change")].iloc[0]
    before = np.array([FULL[p][-1] for p in FULL], dtype=float)
    after = np.array([FULL[p][26] for p in FULL], dtype=float)
    assert post["estimate"] == pytest.approx((after - before).mean())
    table = register.model_table(est)
    assert table["Model"].str.endswith("balanceret panel").all()


def test_naive_and_clustered_table():
    study = make_study(PEOPLE)
    comp = sensitivity.se_comparison(study)
    assert comp["model"].unique().tolist() == list(register.MODELS)
    main = register.register_models(study)
    assert comp["estimate"].to_numpy() == pytest.approx(main["estimate"].to_numpy())
    assert comp["se_clustered"].to_numpy() == pytest.approx(main["std_error"].to_numpy())
    # Naive: sigma^2 (X'X)^-1 with sigma^2 = RSS / (N - K), computed here by hand.
    long, X = register.model_design(study, register.analysis_persons(study), "two_point_post")
    y = long["score"].to_numpy()
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    sigma2 = ((y - X @ beta) ** 2).sum() / (len(y) - X.shape[1])
    naive = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    got = comp[comp["model"] == "two_point_post"]
    assert got["se_naive"].to_numpy() == pytest.approx(naive)
    assert got["ratio"].to_numpy() == pytest.approx(got["se_clustered"] / got["se_naive"])
    table = sensitivity.se_table(comp)
    assert list(table.columns) == [
        "Model",
        "Led",
        "Estimat",
        "Standardfejl, klynget",
        "Standardfejl, naiv",
        "Forhold (klynget/naiv)",
    ]
    assert table["Led"].notna().all()
    text = sensitivity.se_reading(comp)
    assert "klyngning" in text and "." not in text.split(" gange")[0].split("mellem ")[1]


def simulated_long(rng: np.random.Generator, n_persons: int, weeks: int, change: float):
    """Persons seen `weeks` weeks before and `weeks` weeks from course start: (y, X, person).

    score = 2 + a_i + post * (change + b_i) + e_it with a random person intercept a_i (sd 0.5),
    a random person change b_i (sd 1.2: persons gain differently) and week noise e_it (sd 1).
    The person effects make the weeks of one person correlated. X = [1, post]: the post change
    as in the two-point models, here averaged over several weeks per period.
    """
    person = np.repeat(np.arange(n_persons), 2 * weeks)
    post = np.tile(np.repeat([0.0, 1.0], weeks), n_persons)
    a = rng.normal(0, 0.5, n_persons)[person]
    b = rng.normal(0, 1.2, n_persons)[person]
    y = 2 + a + post * (change + b) + rng.normal(0, 1, len(person))
    return y, np.column_stack([np.ones(len(y)), post]), person


def test_monte_carlo_clustered_intervals_cover_and_naive_do_not():
    """1,000 simulated datasets (seed 2025, 25 persons x 12 weeks), fitted with `ols_cluster` (the
    fit behind every register model): the clustered 95 % intervals (CR1, t with G-1 df) of the
    post change cover the true value in 930-970 of 1,000 datasets (this seed: 947; a 90 %
    procedure reaches 930 with probability about 0.001, binomial mean 900 and sd 9.5), naive OLS
    intervals (iid errors, t with N-K df) in clearly fewer (this seed: 762)."""
    rng = np.random.default_rng(2025)
    true, n_sim, n_persons = 1.5, 1000, 25
    cover_clustered = cover_naive = 0
    for _ in range(n_sim):
        y, X, person = simulated_long(rng, n_persons, 6, true)
        clustered = register.ols_cluster(y, X, person)
        naive = sm.OLS(y, X).fit()
        lo, hi = np.asarray(clustered.conf_int(0.05))[1]
        cover_clustered += lo <= true <= hi
        lo, hi = np.asarray(naive.conf_int(0.05))[1]
        cover_naive += lo <= true <= hi
        half = stats.t.ppf(0.975, n_persons - 1) * clustered.bse[1]
        assert clustered.conf_int(0.05)[1, 0] == pytest.approx(clustered.params[1] - half)
    assert 930 <= cover_clustered <= 970
    assert cover_naive / n_sim < 0.85
    assert cover_naive < cover_clustered - 100


def test_balanced_reading_uses_the_numbers():
    study = make_study(PEOPLE)
    main = register.register_models(study)
    bal = sensitivity.balanced_models(study)
    text = sensitivity.balanced_reading(main, bal, 5)
    assert text.startswith("Det balancerede panel består af de 3 af 5 kursister")
