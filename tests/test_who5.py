"""WHO-5 means by wave with 95 % t intervals, and the score distribution with the risk zones,
on a toy survey computed by hand (the intervals independently with scipy.stats.t.interval).

Persons u1-u5 in udbredelse, p1 in pilot. WHO-5 items (0-5; score = 4 x sum):

    foer   u1 5,5,5,5,5 -> 100   u2 3,3,3,3,3 -> 60   u3 1,2,3,4,0 -> 40
           u4 2,2,2,2,- -> no score (four items)   u5 4,4,4,4,4 -> 80 but PARTIAL return
           p1 0,0,0,0,0 -> 0 (pilot)
    efter  u1 1,1,1,1,1 -> 20    u2 2,2,2,2,2 -> 40
    3mdr   u1 0,0,0,0,0 -> 0     (one score: no interval)
"""

from __future__ import annotations

import csv
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from helpers import write_survey_wave
from scipy import stats

from tpj_helpers.analysis.who5 import waves as who5
from tpj_helpers.data.survey import WHO5_ITEMS, load_codebook, load_surveys, who5_zone
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS, suppress_small

matplotlib.use("Agg")

CODEBOOK = load_codebook()
ANSWERS = {  # wave: [(person, complete, five items; None = not answered)]
    "foer": [
        ("u1", 1, [5, 5, 5, 5, 5]),
        ("u2", 1, [3, 3, 3, 3, 3]),
        ("u3", 1, [1, 2, 3, 4, 0]),
        ("u4", 1, [2, 2, 2, 2, None]),
        ("u5", 0, [4, 4, 4, 4, 4]),
        ("p1", 1, [0, 0, 0, 0, 0]),
    ],
    "efter": [("u1", 1, [1] * 5), ("u2", 1, [2] * 5)],
    "3mdr": [("u1", 1, [0] * 5)],
}


def who5_rows(rows) -> list[dict]:
    """(person, complete, five WHO-5 answers or None) -> rows for `write_survey_wave`."""
    return [
        {
            "person_id": pid,
            "complete": complete,
            **{k: "" if v is None else v for k, v in zip(WHO5_ITEMS, items, strict=True)},
        }
        for pid, complete, items in rows
    ]


def write_wave(folder: Path, wave: str, rows) -> None:
    write_survey_wave(folder, wave, who5_rows(rows), CODEBOOK)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("who5")
    with (folder / "survey_dispatch.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["person_id", "wave", "sent_date"])
        for wave, rows in ANSWERS.items():
            w.writerows([(pid, wave, "2024-08-04") for pid, _, _ in rows])
    for wave, rows in ANSWERS.items():
        write_wave(folder, wave, rows)
    persons = pd.DataFrame(
        {"person_id": ["u1", "u2", "u3", "u4", "u5", "p1"], "phase": ["udbredelse"] * 5 + ["pilot"]}
    )
    return SimpleNamespace(persons=persons, surveys=load_surveys(folder, CODEBOOK))


def scipy_interval(values):
    values = np.asarray(values, dtype=float)
    return stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))


# --------------------------------------------------------------------------- means


def test_wave_means_by_hand(data):
    table, _ = who5.wave_means(data, "udbredelse")
    assert list(table.columns) == [
        "Måling",
        "Besvarelser med WHO-5-score",
        "Gennemsnit",
        "95 %-KI, nedre",
        "95 %-KI, øvre",
        "Standardafvigelse",
        "Skemaer uden alle fem svar",
    ]
    assert table["Besvarelser med WHO-5-score"].tolist() == [3, 2, 1]
    assert table["Skemaer uden alle fem svar"].tolist() == [1, 0, 0]  # u4 (u5 is partial)
    assert table["Gennemsnit"].tolist() == pytest.approx([200 / 3, 30.0, 0.0])
    low, high = scipy_interval([100, 60, 40])
    assert table.loc[0, "95 %-KI, nedre"] == pytest.approx(low)
    assert table.loc[0, "95 %-KI, øvre"] == pytest.approx(high)
    low, high = scipy_interval([20, 40])
    assert (table.loc[1, "95 %-KI, nedre"], table.loc[1, "95 %-KI, øvre"]) == pytest.approx(
        (low, high)
    )
    assert table.loc[0, "Standardafvigelse"] == pytest.approx(np.std([100, 60, 40], ddof=1))
    assert np.isnan(table.loc[2, "95 %-KI, nedre"])  # one score: no interval


def test_wave_means_estimates_rows(data):
    _, est = who5.wave_means(data, "udbredelse")
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert est["subgroup"].tolist() == ["wave:foer", "wave:efter", "wave:3mdr"]
    assert (est["analysis"] == "who5").all() and (est["model"] == "wave_mean").all()
    assert (est["term"] == "mean").all()
    assert est["p_value"].isna().all() and (est["stars"] == "").all()
    assert est["n_persons"].tolist() == [3, 2, 1] and est["n_obs"].tolist() == [3, 2, 1]
    assert est.loc[0, "std_error"] == pytest.approx(stats.sem([100, 60, 40]))
    low, high = scipy_interval([100, 60, 40])
    assert (est.loc[0, "conf_low"], est.loc[0, "conf_high"]) == pytest.approx((low, high))


def test_small_waves_get_no_estimate(data):
    _, est = who5.wave_means(data, "udbredelse", min_n=2)
    assert est.loc[2, ["estimate", "std_error", "conf_low", "conf_high"]].isna().all()
    assert pd.isna(est.loc[2, "n_persons"]) and est.loc[1, "n_persons"] == 2


def test_partial_returns_and_phase(data):
    table, _ = who5.wave_means(data, "udbredelse", include_partial=True)
    assert table.loc[0, "Gennemsnit"] == pytest.approx(70.0)  # 100, 60, 40 and u5's 80
    table, _ = who5.wave_means(data, None)
    assert table.loc[0, "Gennemsnit"] == pytest.approx(50.0)  # 100, 60, 40 and p1's 0


# --------------------------------------------------------------------------- distribution


def test_bins_follow_the_zone_borders():
    assert who5.bin_labels() == [
        "0-8",
        "12-20",
        "24-32",
        "36-48",
        "52-60",
        "64-72",
        "76-84",
        "88-100",
    ]
    for low, high in pairwise(who5.BIN_EDGES):
        zones = set(who5_zone(pd.Series(range(low, min(high, 101), 4))).astype(str))
        assert len(zones) == 1, (low, high)  # every possible score of a bin in one zone


def test_score_distribution_by_hand(data):
    d = who5.score_distribution(data, "udbredelse")
    assert len(d) == 3 * 8
    foer = d[d["wave"] == "foer"].set_index("bin")
    assert foer["n"].to_dict() == {
        "0-8": 0,
        "12-20": 0,
        "24-32": 0,
        "36-48": 1,
        "52-60": 1,
        "64-72": 0,
        "76-84": 0,
        "88-100": 1,
    }
    assert (foer["n_wave"] == 3).all()
    assert foer.loc["88-100", "share"] == pytest.approx(1 / 3)
    assert foer.loc["24-32", "zone"] == "Høj risiko"
    assert foer.loc["36-48", "zone"] == "Risiko"
    assert foer.loc["52-60", "zone"] == "Ingen forhøjet risiko"
    efter = d[d["wave"] == "efter"].set_index("bin")["n"]
    assert efter["12-20"] == 1 and efter["36-48"] == 1  # 20 and 40
    assert d.loc[d["wave"] == "3mdr", "n"].tolist()[0] == 1  # 0 in the first bin


def test_who5_figure_has_reference_lines(data):
    d = who5.score_distribution(data, "udbredelse")
    _, est = who5.wave_means(data, "udbredelse")
    means = who5.wave_mean_lookup(est)
    assert means == pytest.approx({"foer": 200 / 3, "efter": 30.0, "3mdr": 0.0})
    safe, _ = suppress_small(d, who5.DIST_COUNTS, 2, who5.DIST_LINKED)
    fig = who5.who5_figure(safe, means=means, min_cell=2)
    assert len(fig.axes) == 3
    xs = {round(float(line.get_xdata()[0]), 3) for line in fig.axes[0].lines}
    assert {36.0, 52.0, 68.0, round(200 / 3, 3)} <= xs  # zone borders, population, wave mean
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    # the single scores are suppressed: each hidden bin is a hatched marker with «skjult»
    hidden = safe[safe["share"].isna()]
    assert texts.count("skjult") == len(hidden) > 0
    marks = [p for ax in fig.axes for p in ax.patches if p.get_hatch()]
    assert sorted((round(p.get_x()), round(p.get_width())) for p in marks) == sorted(
        (int(r.bin_low), int(min(r.bin_high, 100) - r.bin_low)) for r in hidden.itertuples()
    )
    assert any("Befolkningens gennemsnit (68)" in t for t in texts)
    assert "Gennemsnit 66,7" in texts


def test_source_lines_carry_n(data):
    table, _ = who5.wave_means(data, "udbredelse")
    assert who5.means_source(table, 1).endswith(
        "N = 3 før kurset; 2 lige efter kurset; 1 3 måneder efter kurset"
    )
    d = who5.score_distribution(data, "udbredelse")
    assert who5.distribution_source(d, 3).endswith(
        "N = 3 før kurset; færre end 3 lige efter kurset; færre end 3 3 måneder efter kurset"
    )


# --------------------------------------------------------------------------- scoring and zones


def test_scoring_rule_on_hand_cases():
    """All items 5 -> 100; one item missing -> no score; 97 is no answer, so no score."""
    from tpj_helpers.data.survey import SurveyData, who5_scores

    items = pd.DataFrame({k: [5, 5, 5, 1] for k in WHO5_ITEMS}).astype("Int64")
    items.loc[1, "who5_5"] = pd.NA
    items.loc[2, "who5_3"] = 97
    df = pd.DataFrame({"person_id": ["a", "b", "c", "d"], "complete": True}).join(items)
    scores = who5_scores(SurveyData(pd.DataFrame(), {"foer": df}, CODEBOOK))
    assert scores["who5_score"].tolist()[0] == 100
    assert scores["who5_score"].isna().tolist() == [False, True, True, False]
    assert scores["who5_score"].tolist()[3] == 20
    assert scores["n_items_answered"].tolist() == [5, 4, 4, 5]


def test_who5_special_codes_are_read_but_give_no_score(tmp_path):
    # The contract admits 97/98/99 on every item (issue 13); on WHO-5 they are no answer 0-5.
    with (tmp_path / "survey_dispatch.csv").open("w", encoding="utf-8") as fh:
        fh.write("person_id,wave,sent_date\nu1,foer,2024-08-04\n")
    write_wave(tmp_path, "foer", [("u1", 1, [5, 5, 97, 5, 5])])
    from tpj_helpers.data.survey import who5_scores

    scores = who5_scores(load_surveys(tmp_path, CODEBOOK))
    assert scores["n_items_answered"].tolist() == [4] and scores["who5_score"].isna().all()


def test_zone_borders():
    zones = who5_zone(pd.Series([0, 32, 35, 36, 48, 50, 52, 100])).astype(str).tolist()
    assert zones == ["Høj risiko"] * 3 + ["Risiko"] * 3 + ["Ingen forhøjet risiko"] * 2


def test_rule_text_counts_incomplete_item_sets(data):
    table, _ = who5.wave_means(data, "udbredelse")
    text = who5.rule_text(table, 1)
    assert "4 gange summen af de fem udsagn" in text
    assert "1 af 4 før kurset; 0 af 2 lige efter kurset; 0 af 1 3 måneder" in text  # u4
    assert "færre end 5 af færre end 5 før kurset" in who5.rule_text(table, 5)


def test_zone_table_by_hand(data):
    z = who5.zone_table(data, "udbredelse")
    assert z["N"].tolist() == [3, 2, 1]
    assert z["Høj risiko (0-35), antal"].tolist() == [0, 1, 1]  # efter 20, 3mdr 0
    assert z["Risiko (36-50), antal"].tolist() == [1, 1, 0]  # foer 40, efter 40
    assert z["Ingen forhøjet risiko (over 50), antal"].tolist() == [2, 0, 0]  # 100, 60
    assert z.loc[0, "Ingen forhøjet risiko (over 50), %"] == pytest.approx(200 / 3)
    assert set(who5.ZONE_COUNTS) | set(who5.ZONE_LINKED) <= set(z.columns)
    assert "36" in who5.ZONE_NOTE and "52" in who5.ZONE_NOTE and "multiplum af 4" in who5.ZONE_NOTE


# --------------------------------------------------------------------------- item distributions


def test_item_distribution_by_hand(data):
    d = who5.item_distribution(data, "udbredelse")
    assert len(d) == 5 * 3 * 6
    first = d[(d["item"] == "who5_1") & (d["wave"] == "foer")].set_index("code")
    # u1 5, u2 3, u3 1, u4 2 (u4 lacks item 5 only; u5 is partial, p1 is pilot)
    assert first["n"].to_dict() == {5: 1, 4: 0, 3: 1, 2: 1, 1: 1, 0: 0}
    assert (first["n_item"] == 4).all()
    assert first.loc[3, "share"] == pytest.approx(0.25)
    assert first.loc[5, "answer"] == "Hele tiden" and first.loc[0, "answer"] == "På intet tidspunkt"
    fifth = d[(d["item"] == "who5_5") & (d["wave"] == "foer")].set_index("code")
    assert fifth["n"].to_dict() == {5: 1, 4: 0, 3: 1, 2: 0, 1: 0, 0: 1}  # u4 has no answer
    assert (fifth["n_item"] == 3).all()


def test_item_table_and_figure(data):
    d = who5.item_distribution(data, "udbredelse")
    t = who5.item_table(d, 1)
    assert len(t) == 15 and list(t.columns[:3]) == ["Udsagn", "Måling", "N"]
    assert t.loc[0, "Hele tiden (5)"] == pytest.approx(25.0)
    assert t.loc[0, "Det meste af tiden (4)"] == pytest.approx(0.0)
    hidden = who5.item_table(d, 2)
    assert pd.isna(hidden.loc[0, "Hele tiden (5)"])  # one answer: hidden
    assert hidden.loc[0, "Det meste af tiden (4)"] == pytest.approx(0.0)  # zero is shown
    assert hidden.loc[0, "N"] == 4 and pd.isna(hidden.loc[2, "N"])  # 3mdr: one answer
    safe, _ = suppress_small(d, who5.ITEM_COUNTS, 2, who5.ITEM_LINKED)
    fig = who5.item_figure(safe, min_cell=2)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 15 and labels[0].startswith("Glad og i godt humør: før kurset (N = 4)")


# --------------------------------------------------------------------------- paired change


def test_paired_summary_by_hand():
    pairs = pd.DataFrame({"score_1": [20.0, 32.0, 40.0, 60.0], "score_2": [36.0, 28.0, 20.0, 64.0]})
    pairs["zone_1"] = who5_zone(pairs["score_1"]).astype(str)
    pairs["zone_2"] = who5_zone(pairs["score_2"]).astype(str)
    s = who5.paired_summary(pairs)
    assert s["n_pairs"] == 4 and s["mean_difference"] == pytest.approx(-1.0)  # 16 -4 -20 4
    res = stats.ttest_rel(pairs["score_2"], pairs["score_1"])
    low, high = scipy_interval([16, -4, -20, 4])
    assert (s["conf_low"], s["conf_high"]) == pytest.approx((low, high))
    assert s["p_value"] == pytest.approx(res.pvalue)
    assert (s["n_high_before"], s["n_left"], s["share_left"]) == (2, 1, 0.5)  # 20 -> 36 left
    assert (s["n_not_high_before"], s["n_entered"], s["share_entered"]) == (2, 1, 0.5)  # 40->20


def test_paired_change_on_the_survey(data):
    table, est = who5.paired_change(data, "udbredelse")
    assert table["Personer med begge målinger"].tolist() == [2, 1]  # u1, u2 | u1
    assert table.loc[0, "Forskel"] == pytest.approx(-50.0)  # 100->20, 60->40
    assert table.loc[0, "Kom i høj risiko"] == 1 and table.loc[0, "I høj risiko ved første"] == 0
    assert list(est.columns) == ESTIMATE_COLUMNS
    assert (est["model"] == "paired_change").all() and (est["analysis"] == "who5").all()
    assert est["subgroup"].tolist() == ["wave:foer-efter"] * 3 + ["wave:foer-3mdr"] * 3
    assert est["term"].tolist()[:3] == [
        "mean_difference",
        "share_left_high_risk",
        "share_entered_high_risk",
    ]
    entered = est[
        (est["subgroup"] == "wave:foer-efter") & (est["term"] == "share_entered_high_risk")
    ].iloc[0]
    assert entered["estimate"] == pytest.approx(0.5) and entered["n_persons"] == 2
    _, hidden = who5.paired_change(data, "udbredelse", min_n=3)
    assert hidden["estimate"].isna().all()
    assert hidden["n_persons"].fillna(0).tolist() == [0] * 6  # zero persons are not hidden
    text = who5.change_text(table, 1)
    assert "−50,0 point" in text and "for få" in text  # one pair before -> 3 months
