"""Consistency checks: each check fires on the seed report's own slips and stays quiet on sound
input and on the demo data; the survey side of the exclusions ledger, counted by hand.

The seed report's figures (report-figures.yaml, seed text lines ~885-950 and ~1300-1335):

- Tabel 5 prints 'Under 25 år 33 0,3 %'; Tabel 3 prints 33 of 353 = 9,3 %.
- Persons with a registration: Tabel 3 N = 353, Tabel 5 'i alt' = 358, Tabel 4 524 - 159 = 365.
- Tabel 2, after the course: sent 324, fully submitted 220 (68 %), missing printed 173 (32 %);
  324 - 220 = 104 (and 104 / 324 = 32 %). Three months: 315 sent, 65 returned, missing printed
  251 where 250 follows (251 / 315 = 79,7 %, printed 79 %).
- Age groups 'Under 25' and '26-35' leave 25 out; Tabel 3 ends 'Over 56', Tabel 5 'Over 55'.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from tpj_helpers.analysis.data_quality import consistency as c
from tpj_helpers.analysis.data_quality import enrolment as quality
from tpj_helpers.data import cohort
from tpj_helpers.data.exclusions import Exclusions
from tpj_helpers.data.study import load_data
from tpj_helpers.data.survey import NO_WHO5_REASON, PARTIAL_REASON, load_codebook, load_surveys
from tpj_helpers.publish.publisher import Publisher

AGES_T5 = ["Under 25 år", "26-35 år", "36-45 år", "46-55 år", "Over 55 år"]
AGES_T3 = ["Under 25 år", "26-35 år", "36-45 år", "46-55 år", "Over 56 år"]
AGE_COUNTS = dict(zip(AGES_T5, [33, 152, 112, 45, 11], strict=True))  # sums to 353


# --------------------------------------------------------------------------- percentages


def test_printed_share_slip_0_3_for_9_3_is_caught():
    printed = dict(zip(AGES_T5, [0.3, 43.1, 31.7, 12.7, 3.1], strict=True))
    r = c.check_pct_match("t5", "Tabel 5", "Pct.", AGE_COUNTS, printed, 353, decimals=1)
    assert not r.passed
    assert r.message == (
        "Tabel 5, kolonne 'Pct.': række 'Under 25 år': trykt 0,3\u00a0%, men 33 "
        "af 353 giver 9,3\u00a0%."
    )
    sound = printed | {"Under 25 år": 9.3}
    assert c.check_pct_match("t5", "Tabel 5", "Pct.", AGE_COUNTS, sound, 353, decimals=1).passed


def test_shares_that_do_not_sum_to_100_are_caught():
    printed = dict(zip(AGES_T5, [0.3, 43.1, 31.7, 12.7, 3.1], strict=True))  # 90,9
    r = c.check_pct_sum("t5", "Tabel 5", "aldersgrupper", printed, decimals=1)
    assert not r.passed
    assert "summerer til 90,9\u00a0%, ikke 100\u00a0%" in r.message
    # 9,3 + 43,1 + 31,7 + 12,7 + 3,1 = 99,9: within 5 x 0,05 of 100.
    sound = printed | {"Under 25 år": 9.3}
    assert c.check_pct_sum("t5", "Tabel 5", "aldersgrupper", sound, decimals=1).passed
    # 99,7 is not (tolerance 0,25).
    assert not c.check_pct_sum("t5", "T", "x", sound | {"Over 55 år": 2.9}, decimals=1).passed


def test_shares_against_the_printed_n_358_flag_every_row_that_does_not_fit():
    """Tabel 5 prints N = 358 but its shares are of 353: 152/358 = 42,5 (printed 43,1),
    112/358 = 31,3 (31,7), 45/358 = 12,6 (12,7), 33/358 = 9,2 (0,3); 11/358 = 3,07 fits 3,1."""
    printed = dict(zip(AGES_T5, [0.3, 43.1, 31.7, 12.7, 3.1], strict=True))
    r = c.check_pct_match("t5", "Tabel 5", "Pct.", AGE_COUNTS, printed, 358, decimals=1)
    assert not r.passed
    bad = [row for row in AGES_T5 if f"'{row}'" in r.message]
    assert bad == AGES_T5[:4]
    assert "152 af 358 giver 42,5\u00a0%" in r.message


# --------------------------------------------------------------------------- counts


def test_registered_total_353_358_365_is_caught():
    places = {"Tabel 3, N": 353, "Tabel 5, i alt": 358, "Tabel 4 minus uden registrering": 365}
    r = c.check_same("reg", "Antal kursister med registrering", places)
    assert not r.passed
    assert r.message == (
        "Antal kursister med registrering er ikke det samme tal overalt: "
        "Tabel 3, N: 353; Tabel 5, i alt: 358; Tabel 4 minus uden registrering: "
        "365."
    )
    assert c.check_same("reg", "Antal", dict.fromkeys(places, 353)).passed
    # Tabel 5's own groups add up to 353, not to its printed 358.
    r = c.check_sum("t5", "Tabel 5", "aldersgrupper", AGE_COUNTS, "i alt", 358)
    assert not r.passed and "giver 353, men i alt er 358" in r.message
    assert c.check_sum("t5", "Tabel 5", "aldersgrupper", AGE_COUNTS, "i alt", 353).passed
    # With and without registration against the enrolled: 353 + 159 = 512, not 524.
    r = c.check_sum(
        "p",
        "Tabel 4",
        "i alt",
        {"med registrering": 353, "uden registrering": 159},
        "tilmeldte",
        524,
    )
    assert not r.passed and "giver 512, men tilmeldte er 524" in r.message
    assert c.check_sum("p", "Tabel 4", "i alt", {"med": 365, "uden": 159}, "tilmeldte", 524).passed


def test_tabel2_missing_173_for_104_is_caught():
    parts = {"fuldendt": 220, "manglende": 173}
    r = c.check_sum("t2", "Tabel 2", "række 'Efter kurset'", parts, "udsendt", 324)
    assert not r.passed
    assert r.message == (
        "Tabel 2, række 'Efter kurset': fuldendt (220) + manglende (173) giver "
        "393, men udsendt er 324."
    )
    assert c.check_sum("t2", "Tabel 2", "r", parts | {"manglende": 104}, "udsendt", 324).passed
    # The printed 32 % fits 104 of 324 (32,1 %), not 173 (53,4 %).
    counts, shares = {"fuldendt": 220, "manglende": 173}, {"fuldendt": 68, "manglende": 32}
    r = c.check_pct_match("t2", "Tabel 2", "Pct.", counts, shares, 324, decimals=0)
    assert not r.passed
    assert "række 'manglende': trykt 32\u00a0%, men 173 af 324 giver 53,4\u00a0%" in r.message
    assert "fuldendt" not in r.message  # 220 / 324 = 67,9 % fits 68 %
    counts["manglende"] = 104
    assert c.check_pct_match("t2", "Tabel 2", "Pct.", counts, shares, 324, decimals=0).passed


def test_tabel2_before_wave_is_sound_and_three_months_is_off_by_one():
    # Before: 218 + 175 = 393; 55 % and 45 % fit (55,5 and 44,5).
    assert c.check_sum("f", "Tabel 2", "r", {"a": 218, "b": 175}, "udsendt", 393).passed
    assert c.check_pct_match(
        "f", "Tabel 2", "Pct.", {"a": 218, "b": 175}, {"a": 55, "b": 45}, 393, decimals=0
    ).passed
    # Three months: 65 + 251 = 316, not 315; 251 / 315 = 79,7 % does not round to 79 %.
    assert not c.check_sum("m", "Tabel 2", "r", {"a": 65, "b": 251}, "udsendt", 315).passed
    r = c.check_pct_match(
        "m", "Tabel 2", "Pct.", {"a": 65, "b": 251}, {"a": 21, "b": 79}, 315, decimals=0
    )
    assert not r.passed and "251 af 315 giver 79,7\u00a0%" in r.message
    # Per-row bases.
    assert c.check_pct_match(
        "x", "T", "Pct.", {"a": 218, "b": 220}, {"a": 55, "b": 68}, {"a": 393, "b": 324}, decimals=0
    ).passed


def test_small_counts_are_not_shown_in_messages():
    r = c.check_sum("s", "T", "r", {"a": 3, "b": 10}, "i alt", 14, min_cell=5)
    assert r.message == "T, r: a (færre end 5) + b (10) giver 13, men i alt er 14."


# --------------------------------------------------------------------------- age groups


def test_parse_age_label():
    assert c.parse_age_label("Under 25 år") == (0, 24)
    assert c.parse_age_label("25-35") == (25, 35)
    assert c.parse_age_label("26\u201335 år") == (26, 35)
    assert c.parse_age_label("Over 55") == (56, 120)
    assert c.parse_age_label("56+") == (56, 120)
    assert c.parse_age_label("Ukendt") is None


def test_age_bins_gap_at_25_and_over_55_vs_over_56():
    r = c.check_age_bins("a", AGES_T5, "Tabel 5")
    assert not r.passed
    assert r.message == (
        "Tabel 5: alder 25 ligger ikke i nogen gruppe (mellem 'Under 25 år' og '26-35 år')."
    )
    r = c.check_age_bins("a", AGES_T3, "Tabel 3")
    assert not r.passed
    assert "alder 25 ligger ikke i nogen gruppe" in r.message
    assert "alder 56 ligger ikke i nogen gruppe (mellem '46-55 år' og 'Over 56 år')" in r.message
    r = c.check_age_bins("a", ["Under 25", "25-35", "36-45", "46-55", "Over 55", "Over 56"])
    assert not r.passed
    assert r.message == ("Aldersgrupper: alder 57-120 ligger i 2 grupper ('Over 55' og 'Over 56').")
    assert c.check_age_bins("a", list(cohort.AGE_GROUPS)).passed
    r = c.check_age_bins("a", ["Under 25", "Ukendt", "25-120"])
    assert not r.passed and "'Ukendt' kan ikke læses" in r.message


def test_age_assignment_code_agrees_with_the_labels():
    labels = list(cohort.AGE_GROUPS)
    assert c.check_age_assignment("k", cohort.age_group, labels).passed

    def shifted(ages):  # edges 25/35/...: 25 lands in 'Under 25'
        edges = (float("-inf"), 25, 35, 45, 55, float("inf"))
        return pd.cut(ages.astype("Float64"), bins=edges, labels=labels, right=True)

    r = c.check_age_assignment("k", shifted, labels)
    assert not r.passed
    assert "alder 25 placeres i 'Under 25', som efter navnet dækker 0-24" in r.message

    def gap(ages):
        return cohort.age_group(ages).astype(object).where(ages != 25)

    r = c.check_age_assignment("k", gap, labels)
    assert not r.passed and r.message == "Aldersgrupper: alder 25 får ingen gruppe."


# --------------------------------------------------------------------------- box and table


def _results():
    return [
        c.check_sum("OK-1", "T", "r", {"a": 1, "b": 2}, "i alt", 3),
        c.check_sum("FEJL-1", "Tabel 2", "r", {"a": 220, "b": 173}, "udsendt", 324),
        c.check_age_bins("FEJL-2", AGES_T5, "Tabel 5"),
    ]


def test_warning_box_lists_the_failed_checks():
    box = c.warning_box(_results())
    assert box.startswith('::: {.callout-warning title="Datakvalitet: advarsler"}\n')
    assert "2 af 3 kontroller fejlede" in box
    assert "- **FEJL-1**: Tabel 2, r: a (220) + b (173) giver 393, men udsendt er 324." in box
    assert "- **FEJL-2**: Tabel 5: alder 25" in box
    assert "OK-1" not in box
    assert box.rstrip().endswith(":::")
    ok = c.warning_box(_results()[:1])
    assert ok.startswith('::: {.callout-note title="Datakvalitet: kontroller"}')
    assert "Alle 1 kontroller bestået" in ok


def test_checks_table_failed_first_and_publishable(tmp_path):
    t = c.checks_table(_results())
    assert list(t.columns) == ["Kontrol", "Beskrivelse", "Resultat"]
    assert t["Kontrol"].tolist() == ["FEJL-1", "FEJL-2", "OK-1"]
    assert t["Resultat"].iloc[2] == "Bestået"
    assert t["Resultat"].iloc[0].startswith("Fejl: Tabel 2, r:")
    pub = Publisher(tmp_path, "test")
    pub.table(t, "checks", source=c.checks_source(_results()))
    written = pd.read_csv(tmp_path / "tables" / "checks.csv")
    assert written["Kontrol"].tolist() == ["FEJL-1", "FEJL-2", "OK-1"]
    assert c.checks_source(_results()).endswith("N = 3 kontroller, 2 fejlede")


# --------------------------------------------------------------------------- demo data


@pytest.fixture(scope="module")
def demo():
    return load_data("demo")


def test_demo_data_passes_every_check(demo):
    results = c.run_checks(demo, ["pilot", "udbredelse"], "udbredelse", min_cell=5)
    assert [r.message for r in results if not r.passed] == []
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids))
    # Tabel 4: 3 columns x 6 + 3 phase sums + 3 source N; persons 5; Tabel 2 3 waves x 4 +
    # WHO-5 3; Tabel 6 4 timepoints.
    assert len(results) == 24 + 5 + 15 + 4
    assert "Alle 48 kontroller bestået" in c.warning_box(results)


def test_run_checks_fires_when_a_source_disagrees(demo):
    """A registration lost from the source while the person table keeps it: the registered
    count differs between the person table and the registration tool by one."""
    enrolled = demo.registrations["person_id"].isin(demo.persons["person_id"])
    first = demo.registrations.index[enrolled][0]
    broken = replace(demo, registrations=demo.registrations.drop(index=first))
    results = {r.id: r for r in c.run_checks(broken, register=False)}
    assert not results["REG-samme"].passed
    n = int(demo.persons["registered"].sum())
    assert f"persontabellen: {n}; registreringsværktøjet: {n - 1}" in results["REG-samme"].message
    assert sum(not r.passed for r in results.values()) == 1


# --------------------------------------------------------------------------- survey ledger

WHO5 = ["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"]


def _write(path, rows, columns):
    pd.DataFrame(rows, columns=columns, dtype=object).to_csv(path, index=False)


def survey_folder(folder, codebook):
    """foer: A complete with all five WHO-5 items (score); B complete, who5_5 empty (no score);
    C partial with all five; D partial with none. efter: A complete, all five; B complete, two
    WHO-5 items empty (no score); E partial. No 3mdr file.
    Hand counts: foer 2 partial, 1 fully submitted without score; efter 1 partial, 1 without."""
    dispatch = [{"person_id": p, "wave": "foer", "sent_date": "2024-03-03"} for p in "ABCD"]
    dispatch += [{"person_id": p, "wave": "efter", "sent_date": "2024-04-19"} for p in "ABE"]
    _write(folder / "survey_dispatch.csv", dispatch, ["person_id", "wave", "sent_date"])

    def cols(wave):
        return ["person_id", "submitted_at", "complete"] + [
            it.id for it in codebook.items_for_wave(wave)
        ]

    def row(p, complete, who5):
        return {
            "person_id": p,
            "submitted_at": "2024-03-03 10:00",
            "complete": complete,
            **{k: v for k, v in zip(WHO5, who5, strict=True) if v is not None},
        }

    _write(
        folder / "survey_foer.csv",
        [
            row("A", 1, [3, 3, 3, 3, 3]),
            row("B", 1, [3, 3, 3, 3, None]),
            row("C", 0, [1, 2, 3, 4, 5]),
            row("D", 0, [None] * 5),
        ],
        cols("foer"),
    )
    _write(
        folder / "survey_efter.csv",
        [
            {**r, "submitted_at": "2024-04-19 10:00"}  # on the dispatch day (issue 13's window)
            for r in (
                row("A", 1, [5, 4, 3, 2, 1]),
                row("B", 1, [None, 2, 2, None, 2]),
                row("E", 0, [None] * 5),
            )
        ],
        cols("efter"),
    )
    return folder


def test_survey_exclusions_counted_by_hand(tmp_path):
    codebook = load_codebook()
    ex = Exclusions()
    load_surveys(survey_folder(tmp_path, codebook), codebook, ex)
    ledger = ex.frame()
    assert ledger[["source", "reason", "unit", "n", "detail"]].values.tolist() == [
        ["survey", PARTIAL_REASON, "questionnaires", 2, "Før kurset"],
        ["survey", NO_WHO5_REASON, "questionnaires", 1, "Før kurset"],
        ["survey", PARTIAL_REASON, "questionnaires", 1, "Lige efter kurset"],
        ["survey", NO_WHO5_REASON, "questionnaires", 1, "Lige efter kurset"],
    ]
    assert ex.count("survey", PARTIAL_REASON) == 3
    assert {PARTIAL_REASON, NO_WHO5_REASON} <= set(quality.REASON_LABELS)
    assert quality.UNIT_LABELS["questionnaires"] == "spørgeskemaer"
    # Without a ledger nothing is recorded (and loading works as before).
    assert load_surveys(tmp_path, codebook).responses["foer"]["complete"].sum() == 2


def test_survey_exclusions_reach_the_study_ledger(tmp_path):
    from test_quality import write_folder

    folder = write_folder(tmp_path / "data")
    survey_folder(folder, load_codebook())
    data = load_data(folder, cache=False)
    t = quality.exclusions_table(data)
    survey = t[t["Kilde"] == "Spørgeskema"]
    assert survey["Antal"].tolist() == [2, 1, 1, 1]
    assert survey["Enhed"].unique().tolist() == ["spørgeskemaer"]
    assert survey["Årsag"].iloc[0] == quality.REASON_LABELS[PARTIAL_REASON]
