"""The effect design (issue 14 B): matching, event study, CS, participants alone, validation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tpj_helpers.analysis.effect import chapter, design, inputs, participants, simulate

CATS = ("beskaeftigelse", "kontanthjaelp", "dagpenge")
KH, DP = 1, 2  # category indices of kontanthjaelp (qualifying) and dagpenge (not)
PARAMS = {
    **design.DEFAULTS,
    "qualifying_categories": ["kontanthjaelp"],
    "event_window": [-3, 2],
    "history_weeks": [-1],
    "max_controls": 10,
}


def cohort(scores, cats, gender, start=None, birth=1980.0, region="Sjælland"):
    scores = np.asarray(scores, dtype=np.float32)
    n, w = scores.shape
    return design.Cohort(
        person_id=np.array([f"P{i}" for i in range(n)])
        if start is not None
        else np.array([f"C{i}" for i in range(n)]),
        score=scores,
        category=np.asarray(cats, dtype=np.int8),
        gender=np.asarray(gender),
        birth_year=np.full(n, birth),
        region=np.full(n, region),
        start=None if start is None else np.asarray(start),
        categories=CATS,
        week_year=np.full(w, 2024),
    )


def test_cem_weights_risk_set_and_counts():
    """One hold starting at week 4 of 8: two women and a man on kontanthjælp in week 3, one
    woman on dagpenge (not qualifying). Pool: four women and one man on kontanthjælp, one
    woman on dagpenge (not in the risk set). The women's stratum: 2 participants, 4 controls ->
    weight 2/4 each; the man's: 1 and 1 -> weight 1."""
    w = 8
    kh = np.full(w, KH)
    dp = np.full(w, DP)
    part = cohort(
        np.full((4, w), 2.0),
        [kh, kh, kh, dp],
        ["kvinde", "kvinde", "mand", "kvinde"],
        start=[4, 4, 4, 4],
    )
    pool = cohort(
        np.full((6, w), 2.0), [kh, kh, kh, kh, kh, dp], ["kvinde"] * 4 + ["mand", "kvinde"]
    )
    m = design.match(part, pool, PARAMS)
    assert m.counts["not_qualifying"] == 1
    assert m.counts["matched"] == 3 and m.counts["unmatched"] == 0
    (s,) = m.stacks
    assert s.treated.tolist() == [0, 1, 2]
    assert s.controls.tolist() == [0, 1, 2, 3, 4]  # the dagpenge pool member is not at risk
    assert s.weight.tolist() == [0.5, 0.5, 0.5, 0.5, 1.0]
    assert len(s.risk_set) == 5


def test_unmatched_participant_is_counted_not_dropped_silently():
    """A participant whose stratum (region) has no pool member is counted as unmatched."""
    w = 8
    kh = np.full(w, KH)
    part = cohort(np.full((2, w), 2.0), [kh, kh], ["kvinde", "kvinde"], start=[4, 4])
    part.region = np.array(["Sjælland", "Nordjylland"])
    pool = cohort(np.full((3, w), 2.0), [kh, kh, kh], ["kvinde"] * 3)
    m = design.match(part, pool, PARAMS)
    assert (m.counts["matched"], m.counts["unmatched"]) == (1, 1)


def test_late_hold_outside_the_data_is_counted():
    w = 8
    kh = np.full(w, KH)
    part = cohort(np.full((1, w), 2.0), [kh], ["kvinde"], start=[6])  # week 6+2 = 8 > last (7)
    pool = cohort(np.full((2, w), 2.0), [kh, kh], ["kvinde"] * 2)
    m = design.match(part, pool, PARAMS)
    assert m.counts["week_26_outside"] == 1 and not m.stacks


def _random_pair(seed, n_t=40, n_c=120, w=10, effect=0.7):
    rng = np.random.default_rng(seed)
    kh = np.full((n_t, w), KH)
    base_t = rng.normal(2, 1, (n_t, 1)) + rng.normal(0, 1, (n_t, w))
    base_t[:, 5:] += effect  # course start at week 5, event window -3..2 reaches week 7
    base_c = rng.normal(2, 1, (n_c, 1)) + rng.normal(0, 1, (n_c, w))
    genders = np.array(["kvinde", "mand"])
    part = cohort(base_t, kh, genders[rng.integers(0, 2, n_t)], start=np.full(n_t, 5))
    pool = cohort(base_c, np.full((n_c, w), KH), genders[rng.integers(0, 2, n_c)])
    return part, pool


def test_event_study_equals_weighted_did_of_means():
    """One stack, a balanced panel: the pyfixest coefficient of week k is the difference between
    the participants' mean change from week -1 to week k and the controls' weighted mean change
    (computed here with numpy), and the clustered CI has the t(G-1) half-width."""
    part, pool = _random_pair(7)
    params = {**PARAMS, "score_bins": [0, 100]}  # history coarsened into one bin
    m = design.match(part, pool, params)
    df = design.stacked_panel(part, pool, m, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es, vcov, g = design.event_study(df, params)
    (s,) = m.stacks
    yt = part.score[s.treated].astype(float)
    yc = pool.score[s.controls].astype(float)
    for k in (-3, -2, 0, 1, 2):
        t_change = (yt[:, 5 + k] - yt[:, 4]).mean()
        c_change = np.average(yc[:, 5 + k] - yc[:, 4], weights=s.weight)
        got = es.set_index("week").loc[k, "estimate"]
        assert got == pytest.approx(t_change - c_change, abs=1e-8)
    assert -1 not in es["week"].tolist()
    att = design.att_terms(es, vcov, g, 2).set_index("term")
    post = es[es["week"] >= 0]
    assert att.loc["att_0_2", "estimate"] == pytest.approx(post["estimate"].mean())
    from scipy import stats

    half = stats.t.ppf(0.975, g - 1) * att.loc["att_2", "std_error"]
    assert att.loc["att_2", "conf_high"] - att.loc["att_2", "estimate"] == pytest.approx(half)
    assert g == len(s.treated) + len(s.controls)


def test_callaway_santanna_equals_event_study_in_one_stack():
    """With one stack and no missing weeks the group-time ATT is the same weighted DiD."""
    part, pool = _random_pair(11)
    params = {**PARAMS, "score_bins": [0, 100]}
    m = design.match(part, pool, params)
    df = design.stacked_panel(part, pool, m, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es, _, g = design.event_study(df, params)
    cs = design.att_cs_terms(df, g, 2).set_index("term")
    assert cs.loc["att_2", "estimate"] == pytest.approx(
        es.set_index("week").loc[2, "estimate"], abs=1e-8
    )
    assert cs.loc["att_0_2", "estimate"] == pytest.approx(
        es[es["week"] >= 0]["estimate"].mean(), abs=1e-8
    )
    assert cs.loc["att_2", "std_error"] > 0


def test_placebo_and_sensitivity_by_hand():
    es = pd.DataFrame({"week": [-3, -2, 0, 1], "estimate": [0.1, -0.2, 0.5, 0.6]})
    vcov = np.diag([0.01, 0.04, 0.01, 0.01])
    plac = design.placebo(es, vcov, 101)
    # Wald = 0.1^2/0.01 + 0.2^2/0.04 = 2, F = 1 on (2, 100) df
    assert plac["F"] == pytest.approx(1.0)
    from scipy import stats

    assert plac["p_value"] == pytest.approx(stats.f.sf(1.0, 2, 100))
    assert plac["max_abs_pre"] == pytest.approx(0.2)
    att = pd.DataFrame(
        {"term": ["att_1"], "estimate": [0.6], "conf_low": [0.4], "conf_high": [0.8]}
    )
    sens = design.sensitivity(att, plac, "att_1", 1.0)
    assert (sens["conf_low"], sens["conf_high"]) == pytest.approx((0.2, 1.0))
    assert sens["breakdown_m"] == pytest.approx(2.0)  # 0.4 / 0.2


def test_balance_smd_before_and_after():
    """Participants all women; the risk set half women: SMD before = (1 - 0.5) / sqrt((0 +
    0.25) / 2); after matching on gender it is 0."""
    w = 8
    kh = np.full(w, KH)
    part = cohort(np.full((2, w), 2.0), [kh, kh], ["kvinde", "kvinde"], start=[4, 4])
    pool = cohort(np.full((4, w), 2.0), [kh] * 4, ["kvinde", "kvinde", "mand", "mand"])
    m = design.match(part, pool, PARAMS)
    b = design.balance(m).set_index("covariate")
    assert b.loc["kvinde", "smd_before"] == pytest.approx(0.5 / np.sqrt(0.125))
    assert b.loc["kvinde", "smd_after"] == pytest.approx(0.0)


def test_estimate_rows_follow_outputs_md():
    part, pool = _random_pair(3)
    params = {**PARAMS, "score_bins": [0, 100]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = design.estimate(part, pool, params)
    rows = chapter.estimate_rows(res)
    assert set(rows["model"]) == {"event_study", "att", "att_cs", "balance"}
    assert set(rows.loc[rows["model"] == "att", "term"]) == {"att_2", "att_0_2"}
    assert "week:-1" not in set(rows["term"]) and "week:-3" in set(rows["term"])
    assert rows.loc[rows["model"] == "balance", "std_error"].isna().all()
    assert rows.loc[rows["model"] == "att", "n_obs"].tolist() == [res.n_obs] * 2
    assert ".0" not in rows.loc[rows["model"] == "att", ["n_persons", "n_obs"]].to_csv(index=False)
    assert (rows["analysis"] == "effect").all()
    text = chapter.reading(res)
    a = res.att.set_index("term").loc["att_2"]
    from tpj_helpers.publish.present import signed

    assert signed(a["estimate"], 2) in text


def test_participants_development_by_hand():
    """Two participants starting at week 26 of 60: scores at -26, -1, 26 are (10, 2, 7) and
    (4, 2, 10): mean 7, 2, 8.5; dip -5; change from -1 +6.5, from -26 +1.5; score-10 counts
    1, 0, 1; score >= 7 counts 1, 0, 2."""
    w = 60
    s = np.full((2, w), np.nan)
    s[0, [0, 25, 52]] = [10, 2, 7]
    s[1, [0, 25, 52]] = [4, 2, 10]
    part = cohort(s, np.full((2, w), KH), ["kvinde", "mand"], start=[26, 26])
    dev = participants.development(part).set_index("measure")
    assert dev.loc["mean", ["w_m26", "w_m1", "w_26"]].tolist() == [7, 2, 8.5]
    assert dev.loc["mean", "dip"] == -5
    assert dev.loc["mean", "change_from_m1"] == 6.5 and dev.loc["mean", "change_from_m26"] == 1.5
    counts = participants.development_counts(part)
    assert counts["n_work"].tolist() == [1, 0, 1] and counts["n_active"].tolist() == [1, 0, 2]
    assert "vises ikke" in participants.shares_sentence(counts, min_cell=5)
    assert "+6,50" in participants.dip_sentence(dev.reset_index())


def test_who5_mean_reversion():
    # (1 - 0.8) * (68 - 34) = 6.8
    assert participants.who5_reversion(34, np.nan, 68, 0.8) == pytest.approx(6.8)
    text = participants.who5_sentence(34, 68, 8.9, 0.8)
    assert "+6,8" in text and "+2,1" in text and "0,80" in text


def test_kommune_table_has_98_municipalities_in_5_regions():
    table = inputs.kommune_regions()
    assert len(table) == 98
    counts = pd.Series(table).value_counts().to_dict()
    assert counts == {
        "Hovedstaden": 29,
        "Syddanmark": 22,
        "Midtjylland": 19,
        "Sjælland": 17,
        "Nordjylland": 11,
    }
    assert table["Aalborg"] == "Nordjylland" and table["Stevns"] == "Sjælland"


def test_design_params_reject_unknown_method():
    with pytest.raises(ValueError, match="matching_method"):
        design.design_params(matching_method="psm")


def test_simulation_fast_version():
    """A few replications of the validation (the full run: benchmarks/effect_validation.py):
    wide bounds on the ATT's bias, a before/after change biased upwards by the dip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary, _ = simulate.run(8, first_seed=500)
    assert abs(summary["mean_bias"]) < 0.5
    assert summary["covered"] >= 5
    assert summary["before_after_bias"] > 0.3


def test_holm_within_families_only():
    """Three subgroup changes of one register model (p 0.01, 0.04, 0.03): Holm gives 0.03,
    0.06, 0.06 (3 x 0.01; then max(0.03, 2 x 0.03); then max(0.06, 1 x 0.04)). The `all` row
    and an effect row are in no family (empty); two survey items of one comparison form their
    own family (p 0.2, 0.01 -> 0.2, 0.02)."""
    from tpj_helpers.publish.multiple import family, holm_column

    def row(analysis, model, subgroup, term, p):
        return {
            "analysis": analysis,
            "model": model,
            "subgroup": subgroup,
            "term": term,
            "p_value": p,
        }

    rows = [
        row("register", "two_point_post", "all", "change", "0.001"),
        row("register", "two_point_post", "gender:kvinde", "change", "0.01"),
        row("register", "two_point_post", "gender:mand", "change", "0.04"),
        row("register", "two_point_post", "age_group:25-35", "change", "0.03"),
        row("survey", "paired_wilcoxon", "wave:foer-efter", "job_knowhow", "0.2"),
        row("survey", "paired_wilcoxon", "wave:foer-efter", "health_work", "0.01"),
        row("effect", "att", "all", "att_26", "0.02"),
        row("register", "two_point_post", "gender:kvinde", "intercept", ""),
    ]
    got = holm_column(rows)
    assert got[0] == "" and got[6] == "" and got[7] == ""
    assert [float(x) for x in got[1:4]] == pytest.approx([0.03, 0.06, 0.06])
    assert [float(x) for x in got[4:6]] == pytest.approx([0.2, 0.02])
    assert family(rows[1]) == family(rows[3]) != family(rows[4])


def test_headline_from_estimates_reads_the_att_row():
    est = pd.DataFrame(
        [
            {
                "analysis": "effect",
                "model": "att",
                "subgroup": "all",
                "term": "att_26",
                "estimate": 0.6,
                "conf_low": 0.2,
                "conf_high": 1.0,
                "p_value": 0.004,
                "n_persons": 180,
            },
            {
                "analysis": "effect",
                "model": "att",
                "subgroup": "all",
                "term": "att_0_26",
                "estimate": 0.4,
                "conf_low": 0.1,
                "conf_high": 0.7,
                "p_value": 0.01,
                "n_persons": 180,
            },
        ]
    )
    text = chapter.headline_from_estimates(est)
    assert (
        "hævede" in text
        and "+0,60 point" in text
        and "0,20 til 1,00" in text
        and "180 kursister" in text
    )
    est.loc[0, "p_value"] = 0.3
    assert "ændrede ikke målbart" in chapter.headline_from_estimates(est)
    assert chapter.headline_from_estimates(est[est["analysis"] == "none"]) == ""


def _write_pool(folder, ids, kommune="Aalborg"):
    (folder / "comparison").mkdir(parents=True, exist_ok=True)
    weeks = ["y_2410", "y_2411", "y_2412"]
    dream = pd.DataFrame(
        {
            "person_id": ids,
            **{w: ["130"] * len(ids) for w in weeks},
            "grad_2024_03": [""] * len(ids),
        }
    )
    dream.to_csv(folder / "comparison" / "dream.csv", index=False)
    pd.DataFrame(
        {
            "person_id": ids,
            "gender": ["kvinde"] * len(ids),
            "birth_year": [1990] * len(ids),
            "kommune": [kommune] * len(ids),
        }
    ).to_csv(folder / "comparison" / "background.csv", index=False)


def _participants_on(labels):
    from tpj_helpers.data.dream import load_score_map

    names = tuple(sorted(load_score_map()["category"].unique()))
    part = cohort(
        np.full((1, 3), 2.0), np.full((1, 3), names.index("kontanthjaelp")), ["mand"], start=[2]
    )
    part.person_id = np.array(["TPJ1"])
    part.categories = names
    return part, load_score_map()


def test_pool_reader_scores_and_regions(tmp_path):
    _write_pool(tmp_path, ["C1", "C2"])
    part, score_map = _participants_on(None)
    assert inputs.has_pool(tmp_path)
    pool = inputs.pool_cohort(
        tmp_path, score_map, part, np.array(["2024-W10", "2024-W11", "2024-W12"])
    )
    assert pool.score.tolist() == [[2.0] * 3] * 2  # code 130 = kontanthjælp, score 2
    assert pool.region.tolist() == ["Nordjylland"] * 2
    assert pool.categories[pool.category[0, 0]] == "kontanthjaelp"


def test_pool_reader_rejects_participant_ids_and_unknown_kommune(tmp_path):
    from tpj_helpers.data.contract import ContractError

    part, score_map = _participants_on(None)
    labels = np.array(["2024-W10", "2024-W11", "2024-W12"])
    _write_pool(tmp_path / "a", ["C1", "TPJ1"])
    with pytest.raises(ContractError, match="TPJ1"):
        inputs.pool_cohort(tmp_path / "a", score_map, part, labels)
    _write_pool(tmp_path / "b", ["C1"], kommune="Atlantis")
    with pytest.raises(ContractError, match="Atlantis"):
        inputs.pool_cohort(tmp_path / "b", score_map, part, labels)
    _write_pool(tmp_path / "c", ["C1"])
    with pytest.raises(ContractError, match="same ISO weeks"):
        inputs.pool_cohort(
            tmp_path / "c", score_map, part, np.array(["2024-W09", "2024-W10", "2024-W11"])
        )
    assert not inputs.has_pool(tmp_path / "missing")


def test_balance_before_matching_samples_a_large_risk_set(monkeypatch):
    """The risk set kept for the balance table is capped per stack; the matching itself (and so
    the estimate) does not change."""
    part, pool, _ = simulate.simulate(3)
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN}
    full = design.match(part, pool, params)
    monkeypatch.setattr(design, "RISK_SAMPLE", 300)
    capped = design.match(part, pool, params)
    assert capped.risk_c.groupby("stack").size().max() == 300
    assert full.risk_c.groupby("stack").size().max() > 300
    for a, b in zip(full.stacks, capped.stacks, strict=True):
        assert a.controls.tolist() == b.controls.tolist() and a.weight.tolist() == b.weight.tolist()


def test_holm_agrees_with_statsmodels_on_random_families():
    """Our step-down Holm against statsmodels' implementation (an independent route), ties and
    p-values near 1 included."""
    from statsmodels.stats.multitest import multipletests

    from tpj_helpers.publish.multiple import holm

    rng = np.random.default_rng(7)
    for m in (1, 2, 5, 17, 40):
        p = rng.uniform(0, 1, m) ** 3
        if m > 2:
            p[1] = p[0]  # a tie
        expected = multipletests(p, method="holm")[1]
        assert holm(list(p)) == pytest.approx(list(expected), abs=1e-12)


def test_pool_background_names_each_bad_column_with_its_rows(tmp_path):
    """A pool background with a duplicated id, a gender outside the contract and an unknown
    municipality: one ContractError naming each column, its spreadsheet rows and the values."""
    from tpj_helpers.data.contract import ContractError

    (tmp_path / "background.csv").write_text(
        "person_id,gender,birth_year,kommune\n"
        "K1,kvinde,1980,Aalborg\n"
        "K1,mand,1981,Aalborg\n"
        "K3,ukendt,1982,Atlantis\n",
        encoding="utf-8",
    )
    with pytest.raises(ContractError) as info:
        inputs.read_background(tmp_path, inputs.kommune_regions())
    by_col = {p.column: p for p in info.value.problems}
    assert by_col["person_id"].rows == [3] and by_col["person_id"].found == ["K1"]
    assert by_col["gender"].rows == [4] and by_col["gender"].found == ["ukendt"]
    assert by_col["kommune"].rows == [4] and by_col["kommune"].found == ["Atlantis"]
