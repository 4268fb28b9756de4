"""The register analysis on small hand-made panels, checked against numbers worked out by hand.

The panels are built directly (a `DreamPanel` and a person table), not through the loaders, so that
every person-week is visible in the test. Standard errors are checked against a cluster sandwich
computed here with numpy (CR1: G/(G-1) * (N-1)/(N-K), as statsmodels applies it).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.data.dream import DreamPanel
from tpj_helpers.publish.present import signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS

matplotlib.use("Agg")

NA = None  # a panel row without a score (covered, coded out / unknown code)


def make_study(people: list[dict]) -> SimpleNamespace:
    """A StudyData-like object from person specs.

    Each spec: pid, status, n_weeks, first, last (coverage in relative weeks; None = not in the
    panel, e.g. no register consent), scores {week_rel: score or NA (a row without score)},
    and optional gender, age_group, visitation, phase, kommune.
    """
    persons, panel_persons, weeks = [], [], []
    for p in people:
        persons.append(
            {
                "person_id": p["pid"],
                "hold_id": p.get("hold", "U1"),
                "kommune": p.get("kommune", "Aalborg"),
                "status": p.get("status", "gennemført"),
                "phase": p.get("phase", "udbredelse"),
                "n_weeks": p.get("n_weeks", 7),
                "start_date": pd.Timestamp("2024-01-01"),
                "gender": p.get("gender", "kvinde"),
                "age_group": p.get("age_group", "25-35"),
                "visitation": p.get("visitation", "akt_kontanthjaelp"),
            }
        )
        if p.get("first") is None:
            continue
        panel_persons.append(
            {
                "person_id": p["pid"],
                "hold_id": p.get("hold", "U1"),
                "start_date": pd.Timestamp("2024-01-01"),
                "n_weeks": p.get("n_weeks", 7),
                "first_week_rel": p["first"],
                "last_week_rel": p["last"],
            }
        )
        for week, score in p.get("scores", {}).items():
            assert p["first"] <= week <= p["last"], "a panel row outside the extract"
            weeks.append(
                {
                    "person_id": p["pid"],
                    "week_rel": week,
                    "score": np.nan if score is None else float(score),
                }
            )
    weeks = pd.DataFrame(weeks, columns=["person_id", "week_rel", "score"])
    panel_persons = pd.DataFrame(panel_persons)
    weeks = weeks.assign(
        person_id=pd.Categorical(weeks["person_id"], categories=panel_persons["person_id"]),
        week_rel=weeks["week_rel"].astype(np.int16),
        score=weeks["score"].astype(np.float32),
    )
    panel = DreamPanel(
        weeks=weeks,
        persons=panel_persons,
        unknown_codes=pd.DataFrame(),
        first_week="2022-W10",
        last_week="2025-W14",
    )
    return SimpleNamespace(persons=pd.DataFrame(persons), panel=panel)


# Tabel 6 hand case. Timepoints -26, -1, after (week n_weeks), 26.
#   a  covered -30..30, 7 weeks:  -26: 2   -1: 2   7: 7   26: 7
#   b  covered -30..30, 8 weeks:  -26: 1   -1: no row (covered, no score -> NA)
#      week 7: 9 (a course week for an 8-week hold: must NOT count as "after")  8: 2
#      26: a row without score (coded out) -> NA
#   c  covered -30..10, 7 weeks:  -26: 10  -1: 1   7: 3   26: not covered (not in N)
#   d  covered -20..30, 7 weeks:  -26: not covered   -1: 2   7: 2   26: 9
#   e  withdrawn, covered, -26: 5 (not a completer: in no completer count)
#   f  completer without register consent: not in the panel at all
HAND = [
    {"pid": "a", "first": -30, "last": 30, "scores": {-26: 2, -1: 2, 7: 7, 26: 7}},
    {
        "pid": "b",
        "first": -30,
        "last": 30,
        "n_weeks": 8,
        "phase": "pilot",
        "scores": {-26: 1, 7: 9, 8: 2, 26: NA},
    },
    {"pid": "c", "first": -30, "last": 10, "scores": {-26: 10, -1: 1, 7: 3}},
    {"pid": "d", "first": -20, "last": 30, "scores": {-1: 2, 7: 2, 26: 9}},
    {"pid": "e", "status": "afmeldt", "first": -30, "last": 30, "scores": {-26: 5, -1: 5}},
    {"pid": "f", "first": None},
]


@pytest.fixture
def hand():
    return make_study(HAND)


# --------------------------------------------------------------------------- persons


def test_analysis_persons_completers_by_default_and_withdrawn_on_request(hand):
    assert register.analysis_persons(hand)["person_id"].tolist() == ["a", "b", "c", "d"]
    assert register.analysis_persons(hand, "status:afmeldt")["person_id"].tolist() == ["e"]
    assert register.analysis_persons(hand, "afmeldt")["person_id"].tolist() == ["e"]
    assert len(register.analysis_persons(hand, None)) == 5  # f has no panel data
    p = register.analysis_persons(hand)
    assert {"phase", "gender", "age_group", "visitation", "kommune", "first_week_rel"} <= set(
        p.columns
    )
    assert p.set_index("person_id").loc["b", "phase"] == "pilot"
    with pytest.raises(ValueError, match="status"):
        register.analysis_persons(hand, "færdig")


def test_scores_at_after_uses_each_persons_course_length(hand):
    at = register.scores_at(hand, register.analysis_persons(hand), register.AFTER).set_index(
        "person_id"
    )
    assert at["week_rel"].to_dict() == {"a": 7, "b": 8, "c": 7, "d": 7}
    assert at["score"].to_dict() == {"a": 7.0, "b": 2.0, "c": 3.0, "d": 2.0}


# --------------------------------------------------------------------------- Tabel 6


def test_tabel6_counts_na_and_not_covered(hand):
    t = register.tabel6(hand)
    assert t.n.to_dict() == {"-26": 3, "-1": 4, "after": 4, "26": 3}
    assert t.n_scored.to_dict() == {"-26": 3, "-1": 3, "after": 4, "26": 2}
    assert t.counts.loc["NA"].to_dict() == {"-26": 0, "-1": 1, "after": 0, "26": 1}
    nonzero = {k: {s: int(v) for s, v in t.counts[k].items() if v and s != "NA"} for k in t.counts}
    assert nonzero == {
        "-26": {10: 1, 2: 1, 1: 1},  # a, b, c; d not covered, e withdrawn
        "-1": {2: 2, 1: 1},  # a, d and c; b covered without a score
        "after": {7: 1, 3: 1, 2: 2},  # a (wk 7), c (wk 7), b (wk 8), d (wk 7); b's wk 7 not used
        "26": {9: 1, 7: 1},  # d, a; b NA; c not covered
    }
    # N = scored + NA in every column (the published counting rule).
    assert (t.counts.sum() == t.n).all()
    assert t.mean.to_dict() == pytest.approx(
        {"-26": 13 / 3, "-1": 5 / 3, "after": 14 / 4, "26": 8.0}
    )


def test_tabel6_tables_for_display(hand):
    t = register.tabel6(hand)
    table = register.tabel6_table(t)
    assert len(table) == 13  # scores 10..0, NA, N
    assert table.iloc[0, 0].startswith("10 ") and table.iloc[-1, 0] == register.N_LABEL
    assert table.columns[1:].tolist() == [label for _, label in register.TIMEPOINTS.values()]
    assert table.iloc[-1, 1:].tolist() == [3, 4, 4, 3]
    means = register.tabel6_means_table(t)
    assert means["Kursister med data"].tolist() == [3, 4, 4, 3]
    assert means["Gennemsnitlig score"].tolist() == pytest.approx([13 / 3, 5 / 3, 3.5, 8.0])


def test_weekly_means_counts_covered_and_scored(hand):
    w = register.weekly_means(hand, weeks=[-26, -1, 26]).set_index("week_rel")
    assert w["n_covered"].to_dict() == {-26: 3, -1: 4, 26: 3}
    assert w["n"].to_dict() == {-26: 3, -1: 3, 26: 2}
    assert w.loc[26, "mean"] == pytest.approx(8.0)
    by = register.weekly_means(hand, weeks=[-1], by="phase").set_index("phase")
    assert by.loc["pilot", "n_covered"] == 1 and by.loc["pilot", "n"] == 0
    assert math.isnan(by.loc["pilot", "mean"])
    assert by.loc["udbredelse", "mean"] == pytest.approx(5 / 3)


# --------------------------------------------------------------------------- sandwich by hand


def cluster_se(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS and the CR1 cluster-robust standard errors, by hand."""
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    u = y - X @ beta
    meat = np.zeros((X.shape[1], X.shape[1]))
    for g in np.unique(groups):
        s = X[groups == g].T @ u[groups == g]
        meat += np.outer(s, s)
    G, N, K = len(np.unique(groups)), len(y), X.shape[1]
    c = G / (G - 1) * (N - 1) / (N - K)
    return beta, np.sqrt(np.diag(c * XtX_inv @ meat @ XtX_inv))


def test_two_point_unbalanced_is_the_difference_of_means_with_a_hand_sandwich(hand):
    persons = register.analysis_persons(hand)
    est = register.two_point(hand, persons, "two_point_pre")
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert est["term"].tolist() == ["intercept", "change"]
    e = est.set_index("term")
    # Week -26: a 2, b 1, c 10 (mean 13/3). Week -1: a 2, c 1, d 2 (mean 5/3; b has no score).
    assert e.loc["intercept", "estimate"] == pytest.approx(13 / 3)
    assert e.loc["change", "estimate"] == pytest.approx(5 / 3 - 13 / 3)
    assert (e["n_persons"] == 4).all() and (e["n_obs"] == 6).all()
    X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]])
    y = np.array([2, 1, 10, 2, 1, 2], dtype=float)
    groups = np.array(["a", "b", "c", "a", "c", "d"])
    beta, se = cluster_se(X, y, groups)
    assert e["estimate"].to_numpy() == pytest.approx(beta)
    assert e["std_error"].to_numpy() == pytest.approx(se)
    # t inference with G - 1 = 3 degrees of freedom.
    t = beta / se
    assert e["p_value"].to_numpy() == pytest.approx(2 * stats.t.sf(np.abs(t), 3))
    half = stats.t.ppf(0.975, 3) * se
    assert e["conf_low"].to_numpy() == pytest.approx(beta - half)
    assert e["conf_high"].to_numpy() == pytest.approx(beta + half)
    assert e["analysis"].eq("register").all() and e["subgroup"].eq("all").all()


# Six persons seen at weeks -1 and 26 (balanced), scores chosen by hand.
BALANCED_SCORES = {
    "p1": (2, 7),
    "p2": (1, 1),
    "p3": (2, 3),
    "p4": (2, 10),
    "p5": (1, 2),
    "p6": (3, 2),
}


def test_two_point_balanced_change_is_the_mean_within_person_change():
    study = make_study(
        [
            {"pid": pid, "first": -30, "last": 30, "scores": {-1: a, 26: b}}
            for pid, (a, b) in BALANCED_SCORES.items()
        ]
    )
    est = register.two_point(study, register.analysis_persons(study), "two_point_post").set_index(
        "term"
    )
    before = np.array([a for a, _ in BALANCED_SCORES.values()], dtype=float)
    after = np.array([b for _, b in BALANCED_SCORES.values()], dtype=float)
    assert est.loc["intercept", "estimate"] == pytest.approx(before.mean())  # 11/6
    assert est.loc["change", "estimate"] == pytest.approx((after - before).mean())  # 14/6
    assert est.loc["change", "estimate"] == pytest.approx(after.mean() - before.mean())
    X = np.column_stack([np.ones(12), np.repeat([0, 1], 6)])
    y = np.concatenate([before, after])
    groups = np.tile(list(BALANCED_SCORES), 2)
    _, se = cluster_se(X, y, groups)
    assert est["std_error"].to_numpy() == pytest.approx(se)
    # Balanced, two weeks per person: the change's score per person is (d_g - mean d)/G with
    # d = after - before, so its CR1 SE is the paired-t SE times sqrt((N-1)/(N-K)) with N = 2G.
    d, G = after - before, len(before)
    paired = d.std(ddof=1) / np.sqrt(G)
    assert est.loc["change", "std_error"] == pytest.approx(
        paired * np.sqrt((2 * G - 1) / (2 * G - 2))
    )


def test_two_point_stars_and_errors():
    study = make_study(
        [
            {"pid": "x", "first": -30, "last": 30, "scores": {-26: 2}},
            {"pid": "y", "first": -30, "last": 30, "scores": {-26: 3}},
        ]
    )
    with pytest.raises(register.ModelNotEstimable):
        register.two_point(study, register.analysis_persons(study), "two_point_pre")
    with pytest.raises(ValueError, match="model"):
        register.two_point(study, register.analysis_persons(study), "two_point_mid")


# --------------------------------------------------------------------------- weekly models


def weekly_study() -> SimpleNamespace:
    """Four persons with a score every week -26..26 (except some gaps), noisy lines by hand."""
    rng = np.random.default_rng(3)
    people = []
    for i in range(4):
        scores = {}
        for w in range(-26, 27):
            if (w + i) % 9 == 0:
                continue  # a covered week without a row: no score
            base = 3 - 0.02 * w if w < 0 else 2.5 + 0.06 * w
            scores[w] = float(np.clip(np.round(base + i * 0.5 + rng.normal(0, 1)), 0, 10))
        people.append({"pid": f"w{i}", "first": -40, "last": 40, "scores": scores})
    return make_study(people)


def test_weekly_trend_matches_pooled_ols_and_hand_sandwich():
    study = weekly_study()
    persons = register.analysis_persons(study)
    for model, lo, hi in (("weekly_pre", -26, -1), ("weekly_post", 0, 26)):
        est = register.weekly_trend(study, persons, model).set_index("term")
        long = study.panel.weeks[study.panel.weeks["week_rel"].between(lo, hi)]
        x = long["week_rel"].to_numpy(float)
        y = long["score"].to_numpy(float)
        X = np.column_stack([np.ones(len(x)), x])
        beta, se = cluster_se(X, y, long["person_id"].astype(str).to_numpy())
        assert est.index.tolist() == ["intercept", "slope"]
        assert est["estimate"].to_numpy() == pytest.approx(beta)  # intercept is at week 0
        assert est["std_error"].to_numpy() == pytest.approx(se)
        assert (est["n_obs"] == len(long)).all() and (est["n_persons"] == 4).all()


def test_segmented_equals_the_two_weekly_lines():
    study = weekly_study()
    persons = register.analysis_persons(study)
    pre = register.weekly_trend(study, persons, "weekly_pre").set_index("term")["estimate"]
    post = register.weekly_trend(study, persons, "weekly_post").set_index("term")["estimate"]
    seg = register.segmented(study, persons).set_index("term")["estimate"]
    assert seg["slope"] == pytest.approx(pre["slope"])
    assert seg["intercept"] == pytest.approx(pre["intercept"])
    assert seg["level_change"] == pytest.approx(post["intercept"] - pre["intercept"])
    assert seg["slope_change"] == pytest.approx(post["slope"] - pre["slope"])
    everything = register.register_models(study, persons)
    assert everything.groupby("model").size().to_dict() == {
        "two_point_pre": 2,
        "two_point_post": 2,
        "weekly_pre": 2,
        "weekly_post": 2,
        "segmented": 4,
    }


def test_fitted_lines_and_reading_text():
    study = weekly_study()
    persons = register.analysis_persons(study)
    est = register.register_models(study, persons)
    lines = register.fitted_lines(est, range(-2, 2)).set_index("week_rel")
    pre = est[(est["model"] == "weekly_pre")].set_index("term")["estimate"]
    assert lines.loc[-2, "fitted_pre"] == pytest.approx(pre["intercept"] - 2 * pre["slope"])
    assert math.isnan(lines.loc[0, "fitted_pre"]) and math.isnan(lines.loc[-1, "fitted_post"])
    text = register.register_reading(est, register.tabel6(study, persons))
    post_change = est[(est["model"] == "two_point_post") & (est["term"] == "change")].iloc[0]
    assert signed(post_change["estimate"]) in text  # the numbers come from the estimates
    assert "." not in signed(post_change["estimate"])  # decimal comma
    assert text.startswith("Analysen omfatter 4 kursister")


def test_model_table_and_plots():
    study = weekly_study()
    persons = register.analysis_persons(study)
    est = register.register_models(study, persons)
    table = register.model_table(est)
    assert len(table) == len(est) and table["Led"].notna().all()
    assert table["95 %-konfidensinterval"].str.contains(" til ").all()
    assert register.p_text(0.0004) == "<0,001" and register.p_text(0.0346) == "0,035"
    assert register.ci_text(-0.0004, 1.234) == "0,00 til 1,23"
    w = register.weekly_means(study, persons=persons).merge(
        register.fitted_lines(est), on="week_rel"
    )
    fig = register.plot_weekly_score(w, 7, 8)
    assert len(fig.axes[0].lines) == 3
    by = register.weekly_means(study, persons=persons, by="gender")
    fig2 = register.plot_weekly_by(by, "gender", {"kvinde": "Kvinder"}, 7, 7)
    assert [t.get_text() for t in fig2.axes[0].get_legend().get_texts()][-1] == "Kvinder"


# --------------------------------------------------------------------------- noiseless segmented


def test_segmented_recovers_known_terms_from_a_noiseless_panel():
    """score = 2 - 0.03 w before week 0 and (2 + 0.4) + (-0.03 + 0.08) w from week 0, exactly,
    for three persons with different gaps: the four terms come back exactly, SEs zero."""
    a, b, jump, kink = 2.0, -0.03, 0.4, 0.08
    people = []
    for i in range(3):
        scores = {
            w: (a + b * w if w < 0 else a + jump + (b + kink) * w)
            for w in range(-26, 27)
            if (w + i) % 5
        }
        people.append({"pid": f"n{i}", "first": -30, "last": 30, "scores": scores})
    study = make_study(people)
    seg = register.segmented(study, register.analysis_persons(study)).set_index("term")
    assert seg["estimate"].to_dict() == pytest.approx(
        {"intercept": a, "slope": b, "level_change": jump, "slope_change": kink}, abs=1e-5
    )
    assert (seg["std_error"] < 1e-5).all()


def test_model_design_and_fit_model_labels():
    study = weekly_study()
    persons = register.analysis_persons(study)
    for model in register.MODELS:
        long, X = register.model_design(study, persons, model)
        assert X.shape == (len(long), len(register.MODEL_TERMS[model]))
    est = register.fit_model(study, persons, "weekly_post", "all", "weekly_post_balanced")
    assert est["model"].eq("weekly_post_balanced").all()
    assert register.model_label("weekly_post_balanced").endswith(", balanceret panel")
    with pytest.raises(ValueError, match="model"):
        register.model_design(study, persons, "quadratic")


def test_figure_2_axis_spans_the_weeks_around_the_course():
    study = weekly_study()
    persons = register.analysis_persons(study)
    w = register.weekly_means(study, range(-1, 9), persons)
    fig = register.plot_weekly_score(w, 7, 8)
    ax = fig.axes[0]
    assert [int(t) for t in ax.get_xticks()] == list(range(-1, 9))
    assert ax.get_xlim() == (-2, 9)


def test_score_scale_table_lists_every_score_with_example_codes():
    score_map = pd.DataFrame(
        {
            "code": ["130", "131", "133", "610", "710"],
            "label": [
                "Kontanthjælp",
                "Kontanthjælp, aktivitetsparat",
                "Integrationsydelse",
                "SU",
                "Barsel",
            ],
            "score": pd.array([2, 2, 2, 10, None], dtype="Int64"),
            "category": ["k", "k", "k", "u", "ud"],
        }
    )
    table = register.score_scale_table(score_map, examples=2)
    assert table["Score"].tolist() == [str(s) for s in range(10, -1, -1)] + ["–"]
    row2 = table[table["Score"] == "2"].iloc[0]
    assert row2["Koder i kortet"] == 3
    assert row2["Eksempler på koder"] == "130 Kontanthjælp, 131 Kontanthjælp, aktivitetsparat"
    assert row2["Betydning"] == register.SCORE_LABELS[2]
    assert table[table["Score"] == "5"].iloc[0]["Eksempler på koder"] == "–"
    assert table.iloc[-1]["Betydning"] == register.CODED_OUT_LABEL
    assert table.iloc[-1]["Koder i kortet"] == 1
