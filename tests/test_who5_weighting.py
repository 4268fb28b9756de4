"""Nonresponse-weighted WHO-5 mean at 3 months, checked by hand.

Toy case with a saturated model (gender only): kvinde 4 invited, 2 answer (scores 40, 60), mand
4 invited, 1 answers (score 80). The fitted response probabilities are the cell response rates,
0.5 and 0.25, so the weights 1/p are 2, 2 and 4 and the weighted mean is
(2 x 40 + 2 x 60 + 4 x 80) / 8 = 65 (unweighted 60). Stabilising with the response rate 3/8
scales every weight alike and leaves the mean unchanged.
"""

from __future__ import annotations

import csv
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import write_survey_wave
from test_who5 import who5_rows

from tpj_helpers.analysis.who5 import weighting as ww
from tpj_helpers.data.survey import load_codebook, load_surveys
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS


def toy_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [f"k{i}" for i in range(4)] + [f"m{i}" for i in range(4)],
            "gender": ["kvinde"] * 4 + ["mand"] * 4,
            "responded": [True, True, False, False, True, False, False, False],
            "score": [40.0, 60.0, np.nan, np.nan, 80.0, np.nan, np.nan, np.nan],
        }
    )


def test_weights_from_known_probabilities():
    p = np.array([0.5, 0.5, 0.5, 0.25, 0.25])
    responded = np.array([True, True, False, True, False])
    w = ww.ipw_weights(p, responded, trim=None)
    assert w == pytest.approx(np.array([2, 2, 0, 4, 0]) * 0.6)  # stabilised by 3/5
    assert ww.weighted_mean([40, 60, np.nan, 80, np.nan], w) == pytest.approx(65.0)
    capped = ww.ipw_weights(p, responded, trim=0.5)  # cap at the median respondent weight
    assert capped == pytest.approx(np.array([1.2, 1.2, 0, 1.2, 0]))


def test_saturated_model_reproduces_cell_rates():
    frame = toy_frame()
    X, notes = ww.design_matrix(frame, ("gender",), min_level=1)
    assert list(X.columns) == ["const", "gender[mand]"] and notes == []
    p = ww.fit_probabilities(frame["responded"].to_numpy(), X)
    assert p == pytest.approx([0.5] * 4 + [0.25] * 4, abs=1e-6)


def test_weighted_mean_by_hand():
    r = ww.ipw_mean(toy_frame(), ("gender",), n_boot=200, trim=None, min_level=1, min_group=1)
    assert r.fitted and r.reason == ""
    assert r.unweighted[0] == pytest.approx(60.0)
    assert r.weighted[0] == pytest.approx(65.0, abs=1e-5)
    assert (r.n_invited, r.n_responded) == (8, 3)
    table = ww.ipw_table(r)
    assert table["Gennemsnit"].tolist() == pytest.approx([60.0, 65.0], abs=1e-5)
    est = ww.ipw_estimates(r)
    assert list(est.columns) == ESTIMATE_COLUMNS
    row = est.iloc[0]
    assert (row["analysis"], row["model"], row["subgroup"], row["term"]) == (
        "who5",
        "ipw_mean",
        "wave:3mdr",
        "mean",
    )
    assert row["estimate"] == pytest.approx(65.0, abs=1e-5)
    assert (row["n_persons"], row["n_obs"]) == (3, 8)
    note = ww.ipw_note(r, 1)
    assert "logistisk regression" in note and "køn" in note and "ikke trunkeret" in note


def test_bootstrap_is_reproducible():
    frame = pd.concat([toy_frame()] * 5, ignore_index=True)
    a = ww.ipw_mean(frame, ("gender",), n_boot=100, seed=7, min_level=1, min_group=1)
    b = ww.ipw_mean(frame, ("gender",), n_boot=100, seed=7, min_level=1, min_group=1)
    assert a.weighted == b.weighted and a.n_boot_ok > 50
    assert a.weighted[2] < a.weighted[0] < a.weighted[3]


def test_fallback_on_separation():
    frame = toy_frame().assign(who5_foer=[80.0, 70.0, 10.0, 20.0, 90.0, 30.0, 0.0, 5.0])
    r = ww.ipw_mean(frame, ("who5_foer",), min_group=1)
    assert not r.fitted and ("adskillelse" in r.reason or "estimeres" in r.reason)
    assert len(ww.ipw_table(r)) == 1
    assert "Der er ikke vægtet for bortfald" in ww.ipw_note(r, 1)
    assert pd.isna(ww.ipw_estimates(r).loc[0, "estimate"])


def test_fallback_on_tiny_data():
    r = ww.ipw_mean(toy_frame(), ("gender",))  # 3 respondents < MIN_GROUP
    assert not r.fitted and "for få" in r.reason
    assert r.unweighted[0] == pytest.approx(60.0)


def test_rare_and_separating_levels_are_merged():
    frame = toy_frame().assign(age_group=["a"] * 3 + ["b"] * 4 + ["c"])  # c: one, nonrespondent
    X, notes = ww.design_matrix(
        frame, ("age_group",), min_level=2, responded=frame["responded"].to_numpy()
    )
    assert (
        list(X.columns) == ["const", "age_group[a]"] and "c år lagt sammen med «b år»" in notes[0]
    )
    frame["x"] = [1.0, np.nan, 2.0, 3.0, np.nan, 4.0, 5.0, 6.0]
    X, _ = ww.design_matrix(frame, ("x",))
    assert list(X.columns) == ["const", "x", "x_missing"] and X["x"].iloc[1] == 0.0
    frame["copy"] = frame["x"].isna().astype(float)
    X, notes = ww.design_matrix(frame, ("x", "copy"))
    assert "copy" not in X.columns and "udeladt" in notes[-1]


def test_response_frame(tmp_path):
    codebook = load_codebook()
    invited = {"foer": ["a", "b", "c"], "efter": ["a", "b", "c"], "3mdr": ["a", "b", "c", "d"]}
    answers = {
        "foer": [("a", 1, [2] * 5), ("b", 1, [1, 1, 1, 1, None])],
        "efter": [("a", 1, [3] * 5)],
        "3mdr": [("a", 1, [4] * 5), ("c", 0, [5] * 5)],
    }
    with (tmp_path / "survey_dispatch.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["person_id", "wave", "sent_date"])
        w.writerows((p, wave, "2024-08-04") for wave, ps in invited.items() for p in ps)
    for wave, rows in answers.items():
        write_survey_wave(tmp_path, wave, who5_rows(rows), codebook)
    persons = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "phase": ["udbredelse"] * 4 + ["pilot"],
            "gender": pd.array(["kvinde", "mand", None, "kvinde", "mand"], dtype="string"),
            "age_group": pd.Categorical(["25-35", "36-45", None, "25-35", "25-35"]),
            "visitation": pd.array(["andet", None, None, "andet", "andet"], dtype="string"),
        }
    )
    data = SimpleNamespace(persons=persons, surveys=load_surveys(tmp_path, codebook))
    f = ww.response_frame(data, "udbredelse").set_index("person_id")
    assert list(f.index) == ["a", "b", "c", "d"]
    assert f["responded"].tolist() == [True, False, False, False]  # c is partial
    assert f.loc["a", "score"] == 80.0 and np.isnan(f.loc["c", "score"])
    assert f["answered_foer"].tolist() == [1, 1, 0, 0] and f["answered_efter"].tolist() == [
        1,
        0,
        0,
        0,
    ]
    assert f.loc["a", "who5_foer"] == 40.0 and np.isnan(f.loc["b", "who5_foer"])  # b lacks one
    assert f.loc["c", "gender"] == "ukendt" and f.loc["c", "age_group"] == "ukendt"
    assert f.loc["b", "visitation"] == "ukendt" and f.loc["a", "visitation"] == "andet"
