"""Recommendations judged against the run's data (`deep_dive_synthesis.verdicts`) and the
compact consistency-check view (`data_quality.checks_view`)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from tpj_helpers.analysis.data_quality.checks_view import compact_table, live_refs
from tpj_helpers.analysis.data_quality.consistency import CheckResult
from tpj_helpers.analysis.deep_dive_synthesis import synthesis
from tpj_helpers.analysis.deep_dive_synthesis import verdicts as V
from tpj_helpers.paths import REPO_ROOT


def test_meets():
    assert V.meets(0.75, {"below": 0.85}) is True
    assert V.meets(0.88, {"below": 0.85}) is False
    assert V.meets(0.5, {"above": 0.1, "below": 0.9}) is True
    assert V.meets(-1.9, {"below": 0}) is True
    assert V.meets(math.nan, {"below": 0}) is None
    assert V.meets(0.3, {}) is None


@pytest.mark.parametrize(
    "interviews,checks,expected",
    [
        (17, [True, True], V.SUPPORTED),
        (4, [True], V.PARTLY),  # too few interviews
        (17, [True, False], V.PARTLY),  # one indicator against
        (17, [False], V.CONTRADICTED),
        (17, [False, None], V.CONTRADICTED),
        (17, [None], V.PARTLY),  # nothing to evaluate
        (17, [], V.PARTLY),
    ],
)
def test_verdict(interviews, checks, expected):
    assert V.verdict(interviews, checks) == expected


def test_expected_text():
    assert V.expected_text({"below": 0.85}, "survey_share") == "under 85\u00a0%"
    assert V.expected_text({"below": 0.05}, "subgroup_interaction") == "p under 0,05"
    assert V.expected_text({"below": 0}, "who5_difference") == "under 0 point"


def test_every_recommendation_has_an_evaluable_expectation():
    links = synthesis.load_links(REPO_ROOT / "params" / "triangulation.yaml")
    recs = synthesis.load_recommendations(REPO_ROOT / "params" / "recommendations.yaml", links)
    kinds = {link["id"]: link["indicator"] for link in links}
    for rec in recs:
        assert rec.get("expected"), rec["id"]
        assert set(rec["expected"]) <= set(rec["indicators"]), rec["id"]
        for lid, exp in rec["expected"].items():
            assert set(exp) <= {"above", "below"} and kinds[lid] in synthesis.INDICATORS


def test_judge_marks_contrary_data(monkeypatch):
    recs = [
        {
            "id": "a",
            "title": "A",
            "themes": ["x"],
            "indicators": ["i1", "i2"],
            "expected": {"i1": {"below": 0.5}, "i2": {"above": 0}},
        },
        {
            "id": "b",
            "title": "B",
            "themes": ["x"],
            "indicators": ["i1"],
            "expected": {"i1": {"above": 0.5}},
        },
    ]
    links = [
        {"id": "i1", "indicator": "survey_share"},
        {"id": "i2", "indicator": "register_change"},
    ]
    values = pd.DataFrame(
        {
            "id": ["i1", "i2"],
            "label": ["L1", "L2"],
            "value": [0.3, 1.46],
            "n": [200, 250],
            "text": ["30 %", "+1,46"],
            "source": ["", ""],
        }
    )
    monkeypatch.setattr(
        synthesis,
        "recommendation_evidence",
        lambda qual, r: pd.DataFrame({"id": ["a", "b"], "interviews": [12, 9]}),
    )
    j = V.judge(None, recs, links, values)
    # a: 0,3 < 0,5 and 1,46 > 0 -> supported; b: 0,3 is not above 0,5 -> contradicted
    assert j["verdict"].tolist() == [V.SUPPORTED, V.CONTRADICTED]
    assert (
        V.summary_sentence(j)
        == "Evalueringens data understøtter 1 af de 2 anbefalinger og modsiger 1."
    )
    text = V.verdict_text([{**r, "text": "Gør det."} for r in recs], j)
    assert "*Vurdering: modsagt af data* (9 interviews)" in text
    with pytest.raises(ValueError, match="does not cite"):
        V.judge(None, [{**recs[0], "expected": {"i9": {"below": 1}}}], links, values)


def test_checks_view_failures_first_and_passed_in_one_line():
    results = [
        CheckResult(
            "T4-a",
            "sum",
            "Tabel 4 (hold, tilmeldinger og gennemførsel), kolonne 'Pilot': x",
            True,
            "",
        ),
        CheckResult(
            "T6-b",
            "sum",
            "Tabel 6 (beskæftigelsesscore), kolonne 'uge 26': y",
            False,
            "Tabel 6 siger 3, ikke 4",
        ),
        CheckResult("T2-c", "sum", "Tabel 2 (svar på spørgeskema), række 'Før': z", True, ""),
        CheckResult("AG", "age", "Aldersgrupper: hver alder", True, ""),
    ]
    t = compact_table(results)
    assert t["Kontrol"].tolist() == ["T6-b", "3 kontroller"]
    assert t.loc[0, "Beskrivelse"] == "@tbl-tabel6, kolonne 'uge 26': y"
    assert t.loc[0, "Resultat"] == "Fejl: @tbl-tabel6 siger 3, ikke 4"
    assert t.loc[1, "Resultat"] == "Alle bestået"
    assert (
        "1 om @tbl-enrolment" in t.loc[1, "Beskrivelse"]
        and "1 om @tbl-response" in t.loc[1, "Beskrivelse"]
    )
    assert live_refs("Tabel 9 (andet)") == "Tabel 9 (andet)"


def test_params_parse():
    raw = yaml.safe_load(
        (REPO_ROOT / "params" / "recommendations.yaml").read_text(encoding="utf-8")
    )
    assert len(raw["recommendations"]) == 9
