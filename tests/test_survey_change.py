"""All items by wave, headline indicators and paired change, on a tiny survey worked out by hand.

Persons p1-p6 in udbredelse, q1 in pilot.

self_rated_health (Fremragende=1 ... Dårligt=5, positive first: code 5 -> position 1):
    foer   p1 5, p2 4, p3 3, p4 2, p5 5, p6 1 (partial), q1 5
    efter  p1 3, p2 4, p3 5, p4 1, p5 -, p6 2
    3mdr   p1 2, p2 4, p3 1 (partial)
    positions foer p1 1, p2 2, p3 3, p4 4; efter p1 3, p2 2, p3 1, p4 5
    -> pairs foer-efter p1..p4, differences +2, 0, -2, +1; foer-3mdr p1 +3, p2 0.
efter only:
    sat_webinar (satisfied scale, 97 "Ved ikke"): p1 97, p2 1, p3 2, p4 5
    prep_count: p1 7, p2 5, p3 0, p4 7, p6 3; reasons asked p2, p3, p6:
    prep_reason_tired p2 1, p3 1, p6 0; prep_reason_forgot p2 0, p3 1, p6 1
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from helpers import write_survey_dispatch, write_survey_wave

from tpj_helpers.analysis.survey_outcomes import change as sc
from tpj_helpers.data.survey import load_codebook, load_surveys
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS

matplotlib.use("Agg")

CODEBOOK = load_codebook()
PERSONS = ("p1", "p2", "p3", "p4", "p5", "p6")
DISPATCH = [
    *[(p, "foer", "2024-08-04") for p in (*PERSONS, "q1")],
    *[(p, "efter", "2024-09-20") for p in PERSONS],
    *[(p, "3mdr", "2024-12-20") for p in ("p1", "p2", "p3")],
]
FOER = [
    {"person_id": "p1", "complete": 1, "self_rated_health": 5},
    {"person_id": "p2", "complete": 1, "self_rated_health": 4},
    {"person_id": "p3", "complete": 1, "self_rated_health": 3},
    {"person_id": "p4", "complete": 1, "self_rated_health": 2},
    {"person_id": "p5", "complete": 1, "self_rated_health": 5},
    {"person_id": "p6", "complete": 0, "self_rated_health": 1},
    {"person_id": "q1", "complete": 1, "self_rated_health": 5},
]
EFTER = [
    {"person_id": "p1", "complete": 1, "self_rated_health": 3, "sat_webinar": 97, "prep_count": 7},
    {
        "person_id": "p2",
        "complete": 1,
        "self_rated_health": 4,
        "sat_webinar": 1,
        "prep_count": 5,
        "prep_reason_tired": 1,
        "prep_reason_forgot": 0,
    },
    {
        "person_id": "p3",
        "complete": 1,
        "self_rated_health": 5,
        "sat_webinar": 2,
        "prep_count": 0,
        "prep_reason_tired": 1,
        "prep_reason_forgot": 1,
    },
    {"person_id": "p4", "complete": 1, "self_rated_health": 1, "sat_webinar": 5, "prep_count": 7},
    {"person_id": "p5", "complete": 1},
    {
        "person_id": "p6",
        "complete": 1,
        "self_rated_health": 2,
        "prep_count": 3,
        "prep_reason_tired": 0,
        "prep_reason_forgot": 1,
    },
]
TMDR = [
    {"person_id": "p1", "complete": 1, "self_rated_health": 2},
    {"person_id": "p2", "complete": 1, "self_rated_health": 4},
    {"person_id": "p3", "complete": 0, "self_rated_health": 1},
]


def write_wave(folder: Path, wave: str, rows: list[dict]) -> None:
    write_survey_wave(folder, wave, rows, CODEBOOK)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey_change")
    write_survey_dispatch(folder, DISPATCH)
    write_wave(folder, "foer", FOER)
    write_wave(folder, "efter", EFTER)
    write_wave(folder, "3mdr", TMDR)
    persons = pd.DataFrame({"person_id": [*PERSONS, "q1"], "phase": ["udbredelse"] * 6 + ["pilot"]})
    return SimpleNamespace(persons=persons, surveys=load_surveys(folder, CODEBOOK))


@pytest.fixture(scope="module")
def answers(data):
    return sc.survey_answers(data, "udbredelse")


def rows(dist, item, wave):
    return dist[(dist["item"] == item) & (dist["wave"] == wave)]


# --------------------------------------------------------------------------- all items


def test_all_items_cover_every_coded_item_in_each_of_its_waves(data):
    dist = sc.all_items_distribution(data, "udbredelse")
    coded = [it for it in CODEBOOK.items if it.type not in ("text", "numeric")]
    got = set(zip(dist["item"], dist["wave"], strict=True))
    assert got == {(it.id, w) for it in coded for w in it.waves}
    assert "birth_year" not in set(dist["item"]) and "reason_text" not in set(dist["item"])


def test_scale_direction_comes_from_the_codebook(data):
    dist = sc.all_items_distribution(data, "udbredelse")
    # positive_first: the first listed answer (Fremragende, code 1) is the most positive
    srh = rows(dist, "self_rated_health", "foer")
    assert srh["answer"].tolist() == [
        "Dårligt",
        "Mindre godt",
        "Godt",
        "Vældig godt",
        "Fremragende",
    ]
    assert srh["position"].tolist() == [1, 2, 3, 4, 5]
    # foer complete, udbredelse: p1 5, p2 4, p3 3, p4 2, p5 5 (p6 partial, q1 pilot)
    assert srh["n"].tolist() == [2, 1, 1, 1, 0]
    assert srh["n_scale"].unique().tolist() == [5]
    np.testing.assert_allclose(srh["share"], [0.4, 0.2, 0.2, 0.2, 0.0])
    # negative_first: the first listed answer (not prepared at all, code 0) is the most negative
    prep = rows(dist, "prep_count", "efter")
    assert prep["code"].tolist() == list(range(8))
    assert prep["position"].tolist() == list(range(1, 9))
    # 3mdr: p1 2 (Vældig godt), p2 4 (Mindre godt); p3 partial
    assert rows(dist, "self_rated_health", "3mdr")["n_scale"].iloc[0] == 2


def test_ved_ikke_is_kept_out_of_the_scale_shares(data):
    dist = sc.all_items_distribution(data, "udbredelse")
    web = rows(dist, "sat_webinar", "efter")
    scale = web[~web["special"]]
    assert scale["n_scale"].iloc[0] == 3 and scale["n_answered"].iloc[0] == 4
    assert scale["share"].sum() == pytest.approx(1.0)
    special = web[web["special"]]
    assert special["answer"].tolist() == ["Ved ikke"]
    assert special["position"].isna().all()
    assert special["share"].iloc[0] == pytest.approx(1 / 4)


def test_progression_items_are_the_ordinal_items_of_all_waves():
    items = sc.progression_items(CODEBOOK)
    assert "self_rated_health" in items and "job_prospects" in items
    assert "who5_1" not in items and "sat_overall" not in items
    assert all(CODEBOOK.item(i).type == "ordinal" for i in items)


# --------------------------------------------------------------------------- figures


def test_likert_items_figure_draws_specials_apart(data):
    dist = sc.item_distribution(data, ["sat_webinar"], phase="udbredelse")
    fig = sc.likert_items_figure(dist)
    main, side = fig.axes[0], fig.axes[1]
    widths = [p.get_width() for p in main.patches]
    assert sum(widths) == pytest.approx(1.0)  # scale shares only: the 97 is not on the scale
    assert [p.get_width() for p in side.patches] == [pytest.approx(0.25)]
    assert "Ved ikke" in side.get_title(loc="left")
    matplotlib.pyplot.close(fig)


def test_share_bars_keep_questionnaire_order(data):
    dist = sc.item_distribution(data, ["prep_count"], phase="udbredelse")
    fig = sc.share_bars_figure(dist)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("Jeg har slet ikke") and labels[-1] == "Alle 7 gange"
    # p1 7, p2 5, p3 0, p4 7, p6 3 -> 'Alle 7 gange' 2/5
    assert ax.patches[-1].get_width() == pytest.approx(0.4)
    matplotlib.pyplot.close(fig)


def test_multi_shares_are_shares_of_respondents(data):
    shares = sc.multi_shares(data, ["prep_reason_tired", "prep_reason_forgot"], "udbredelse")
    assert shares["n_respondents"].tolist() == [3, 3]  # p2, p3, p6 were asked
    assert shares["n"].tolist() == [2, 2]
    np.testing.assert_allclose(shares["share"], [2 / 3, 2 / 3])
    fig = sc.multi_figure(shares, "Årsager")
    assert "N = 3" in fig.axes[0].get_title(loc="left")
    matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------- indicators


def test_indicators_file_matches_the_codebook():
    groups, indicators = sc.load_indicators(CODEBOOK)
    assert {i["group"] for i in indicators} == set(groups)
    assert len({i["id"] for i in indicators}) == len(indicators)
    for ind in indicators:
        assert all(0 <= v <= 100 for v in ind["published"].values())


def test_indicator_shares_by_hand(data, tmp_path):
    path = tmp_path / "ind.yaml"
    path.write_text(
        "groups: {a: 'Gruppe A'}\n"
        "indicators:\n"
        "  - {id: web, group: a, item: sat_webinar, codes: [1, 2], label: 'Tilfreds'}\n"
        "  - {id: tired, group: a, item: prep_reason_tired, codes: [1], label: 'Træt'}\n"
        "  - {id: poor, group: a, item: self_rated_health, codes: [5], label: 'Dårligt',\n"
        "     waves: [foer], published: {foer: 29}}\n",
        encoding="utf-8",
    )
    groups, indicators = sc.load_indicators(CODEBOOK, path)
    shares = sc.indicator_shares(data, groups, indicators, "udbredelse")
    got = {(r.id, r.wave): (r.n, r.n_scale, r.share) for r in shares.itertuples()}
    assert got[("web", "efter")] == (2, 3, pytest.approx(2 / 3))  # 97 left out of N
    assert got[("tired", "efter")] == (2, 3, pytest.approx(2 / 3))
    assert got[("poor", "foer")] == (2, 5, pytest.approx(0.4))
    assert len(shares) == 3
    assert shares.loc[shares["id"] == "poor", "published"].iloc[0] == 29
    table = sc.indicator_table(shares)
    assert list(table.columns) == ["Gruppe", "Indikator", "Måling", "Andel (%)", "Antal", "N"]
    assert table["Andel (%)"].iloc[2] == pytest.approx(40.0)


def test_indicator_codes_must_be_substantive(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "groups: {a: A}\nindicators:\n"
        "  - {id: x, group: a, item: sat_overall, codes: [98], label: X}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="substantive"):
        sc.load_indicators(CODEBOOK, path)


# --------------------------------------------------------------------------- paired change


def test_paired_selection_needs_both_waves(answers):
    pairs = sc.paired_positions(answers, "self_rated_health", "foer", "efter")
    # p5 has no efter answer, p6's foer is partial, q1 is pilot
    assert pairs["person_id"].tolist() == ["p1", "p2", "p3", "p4"]
    assert pairs["before"].tolist() == [1, 2, 3, 4]
    assert pairs["diff"].tolist() == [2, 0, -2, 1]
    later = sc.paired_positions(answers, "self_rated_health", "foer", "3mdr")
    assert later["person_id"].tolist() == ["p1", "p2"]  # p3's 3mdr is partial
    assert later["diff"].tolist() == [3, 0]


def test_rank_biserial_and_wilcoxon_by_hand():
    d = np.array([2, 0, -2, 1])
    # non-zero |d| 2, 2, 1 -> ranks 2.5, 2.5, 1: R+ = 3.5, R- = 2.5, r = 1/6
    assert sc.rank_biserial(d) == pytest.approx(1 / 6)
    # Pratt: ranks with the zero 1, 2, 3.5, 3.5; drop the zero: T+ = 5.5, T- = 3.5, T = 3.5.
    # mean = 4*5/4 - 1*2/4 = 4.5; var = (4*5*9 - 1*2*3 - 0.5*(2**3 - 2)) / 24 = 7.125
    stat, p = sc.wilcoxon_test(d)
    z = (3.5 - 4.5) / math.sqrt(7.125)
    assert stat == pytest.approx(3.5)
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert sc.rank_biserial(np.array([1, 2, 3])) == 1.0
    assert sc.rank_biserial(np.array([-1, -1])) == -1.0
    assert np.isnan(sc.rank_biserial(np.array([0, 0])))
    assert np.isnan(sc.wilcoxon_test(np.array([0, 0]))[1])


def test_rank_biserial_rows_match_one_by_one():
    rng = np.random.default_rng(1)
    draws = rng.integers(-3, 4, size=(20, 9))
    np.testing.assert_allclose(sc.rank_biserial(draws), [sc.rank_biserial(row) for row in draws])


def test_bootstrap_ci_is_reproducible_and_brackets_r():
    d = np.array([2, 0, -2, 1, 1, 3, 0, 1, -1, 2])
    lo, hi = sc.bootstrap_ci(d, n_boot=500, seed=7)
    assert (lo, hi) == sc.bootstrap_ci(d, n_boot=500, seed=7)
    assert -1 <= lo <= sc.rank_biserial(d) <= hi <= 1
    assert sc.bootstrap_ci(np.array([1, 2, 1]), n_boot=200) == (1.0, 1.0)


def test_paired_change_and_estimates(answers):
    change = sc.paired_change(answers, CODEBOOK, ["self_rated_health"], n_boot=200)
    first = change.iloc[0]
    assert first["subgroup"] == "wave:foer-efter"
    assert (first["n_pairs"], first["n_improved"], first["n_unchanged"], first["n_worse"]) == (
        4,
        2,
        1,
        1,
    )
    assert first["share_improved"] == 0.5 and first["median_change"] == 0.5
    assert first["rank_biserial"] == pytest.approx(1 / 6)
    # top 2 (positions 4, 5): foer all p1..p5 positions 1,2,3,4,1 -> 1/5; pairs 1/4
    assert first["top_from_all"] == pytest.approx(0.2)
    assert first["top_from_pairs"] == pytest.approx(0.25)
    second = change.iloc[1]
    assert second["subgroup"] == "wave:foer-3mdr" and second["n_pairs"] == 2
    est = sc.paired_estimates(change)
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert est["analysis"].unique().tolist() == ["survey"]
    assert est["model"].unique().tolist() == ["paired_wilcoxon"]
    assert est["term"].tolist() == ["self_rated_health"] * 2
    assert est["n_obs"].tolist() == [8, 4] and est["n_persons"].tolist() == [4, 2]
    assert est["std_error"].isna().all()
    table = sc.paired_table(change, min_cell=5)
    # fewer than 5 pairs: the shares and the test are not shown
    assert table["Bedre"].tolist() == ["", ""] and table["p"].tolist() == ["", ""]
    shown = sc.paired_table(change, min_cell=2)
    assert shown["Bedre"].iloc[0] == "50\u00a0%"
    assert "færre end 5" in sc.paired_source(change, 5)


def test_indicator_source_lists_waves_in_order(data):
    groups, indicators = sc.load_indicators(CODEBOOK)
    mine = [i for i in indicators if i["item"] in ("sat_webinar", "self_rated_health")]
    shares = sc.indicator_shares(data, groups, mine, "udbredelse")
    source = sc.indicator_source(shares, 5)
    assert source.index("før kurset") < source.index("lige efter") < source.index("3 måneder")
    assert "færre end 5 3 måneder" in source  # 3mdr N = 2


def test_hidden_shares_are_marked_not_left_out(data):
    # A hidden option (NA after disclosure control) is a hatched marker of the fixed length with
    # «skjult», in its own row; the visible options keep their bars. N hidden: «N skjult».
    shares = sc.multi_shares(data, ["prep_reason_tired", "prep_reason_forgot"], "udbredelse")
    shares = shares.astype({"share": "Float64", "n_respondents": "Float64"})
    shares.loc[1, "share"] = pd.NA
    shares["n_respondents"] = pd.NA
    fig = sc.multi_figure(shares, "Årsager")
    ax = fig.axes[0]
    marks = [p for p in ax.patches if p.get_hatch()]
    bars = [p for p in ax.patches if not p.get_hatch()]
    assert [round(p.get_width(), 6) for p in marks] == [0.025]
    assert marks[0].get_y() + marks[0].get_height() / 2 == pytest.approx(1)  # second row
    assert [round(p.get_width(), 6) for p in bars] == [round(2 / 3, 6), 0.0]
    assert " skjult" in [t.get_text() for t in ax.texts]
    assert "N skjult" in ax.get_title(loc="left")
    assert ax.get_legend() is not None  # the marker is explained
    matplotlib.pyplot.close(fig)


def test_items_figure_marks_a_hidden_special_share_in_the_side_panel(data):
    # the special codes' share hidden: the side panel shows the marker (10 % of its 0..0.2 axis)
    dist = sc.item_distribution(data, ["sat_webinar"], phase="udbredelse")
    dist = dist.astype({"share": "Float64"})
    dist.loc[dist["special"], "share"] = pd.NA
    fig = sc.likert_items_figure(dist)
    marks = [p for p in fig.axes[1].patches if p.get_hatch()]
    assert len(marks) == 1 and marks[0].get_width() == pytest.approx(0.02)
    assert " skjult" in [t.get_text() for t in fig.axes[1].texts]
    matplotlib.pyplot.close(fig)
