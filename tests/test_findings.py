"""The findings that open the report's sections and the resumé of conclusions
(`tpj_helpers.analysis.summary.findings`): every number they state is a number of the run."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.test_summary import ESTIMATES, TABLES, est_row, make_run_folder, numbers_in
from tpj_helpers.analysis.summary import findings as F

NBSP = "\u00a0"
AFTER = "Lige efter kurset"


def survey_table(shares: dict[str, tuple[float, int]]) -> pd.DataFrame:
    labels = F.indicator_labels()
    return pd.DataFrame(
        [
            {
                "Gruppe": "x",
                "Indikator": labels[i],
                "Måling": AFTER,
                "Andel (%)": 100 * share,
                "Antal": round(share * n),
                "N": n,
            }
            for i, (share, n) in shares.items()
        ]
    )


SHARES = {
    "overall_satisfied_agree": (0.6697, 218),
    "recommend_agree": (0.7018, 218),
    "instructor_own_experience_advantage_agree": (0.9312, 218),
    "trust_information_agree": (0.8303, 218),
    "relevant_for_situation_agree": (0.5936, 219),
    "login_webinar_easy_agree": (0.8807, 218),
    "login_platform_easy_agree": (0.8578, 218),
    "preparation_all_7": (0.5955, 220),
    "absence_any": (0.40, 220),
    "absence_reason_illness_pain": (0.4659, 88),
    "absence_reason_private": (0.2614, 88),
}

EXTRA_TABLES = {
    "survey-indicators": survey_table(SHARES),
    "enrolment": pd.DataFrame(
        {
            "Opgørelse": [
                "Antal hold (afholdt)",
                "Tilmeldinger",
                "- heraf gennemført",
                "Personer (den tællende tilmelding)",
                "- heraf personer, der gennemførte",
                "Personer tilmeldt mere end én gang",
            ],
            "I alt, antal": [33, 524, 433, 517, 433, 7],
            "I alt, pct.": [math.nan, 100.0, 82.6, 100.0, 83.75, 1.35],
        }
    ),
    "register_subgroup_two_point": pd.DataFrame(
        {
            "Dimension": ["Køn", "Køn", "Aldersgruppe", "Aldersgruppe", "Afmeldte kursister"],
            "Gruppe": ["Kvinder", "Mænd", "36-45 år", "Over 55 år", "Afmeldt undervejs"],
            "Kursister": [190, 78, 86, 4, 35],
            "Ændring før (uge −26 til −1)": ["−0,80***", "−0,37", "−0,42", "", "−0,28"],
            "Ændring efter (uge −1 til 26)": ["+1,45***", "+1,51***", "+1,07**", "", "+0,64"],
            "95 %-KI, efter": ["", "", "", "", ""],
            "Bemærkning": ["", "", "", "Ingen model: under 10 kursister", ""],
        }
    ),
    "qual_theme_role": pd.DataFrame(
        {
            "Tema": [
                "Kursets format",
                "Instruktørerne",
                "Visitation og forventninger",
                "Interviews i alt",
            ],
            "Kursister": [10, 10, 1, 10],
            "Koordinatorer": [8, 0, 10, 10],
            "Kommunale ledere": [4, 0, 0, 4],
            "Fokusgrupper": [0, 0, 4, 4],
            "I alt": [26, 14, 18, 32],
        }
    ),
    "qual_recommendations": pd.DataFrame(
        {
            "Nr.": [1, 2, 3],
            "Anbefaling": ["Lyd", "Forsamtaler", "Hold efter udgangspunkt"],
            "Vurdering": ["understøttet", "delvist understøttet", "modsagt af data"],
        }
    ),
}


@pytest.fixture
def built(tmp_path):
    return F.build(make_run_folder(tmp_path / "run", tables=TABLES | EXTRA_TABLES))


def test_resultatmaal_1_states_satisfaction_instructor_and_trust(built):
    text, v = built.sections["satisfaction"], built.values
    # 146/218 = 67 %, 93 %, 83 %: the shares of the table, rounded as the table shows them
    for shown in (
        f"67{NBSP}% af de 218",
        f"70{NBSP}% vil anbefale",
        f"93{NBSP}% fandt det en fordel",
        f"83{NBSP}% havde tillid",
        f"Kun 59{NBSP}% fandt kurset relevant",
    ):
        assert shown in text, shown
    assert v["share_overall_satisfied_agree"] == pytest.approx(0.6697)
    assert "de fleste kursister" in text  # 67 % reads "de fleste", not "næsten alle"


def test_technique_and_absence(built):
    assert built.sections["technique"].startswith(
        f"Teknikken var for de fleste ingen hindring: 88{NBSP}% fandt det nemt"
    )
    # the most frequent reason is illness (47 % of those absent), not private appointments (26 %)
    assert (
        f"oftest på grund af sygdom eller smerter (47{NBSP}% af dem med fravær)"
        in built.sections["absence"]
    )


def test_who5_finding_reads_the_weighted_mean(built):
    text = built.sections["who5"]
    # paired change +12,34 for 151 persons, p = 0,0002 -> a certain rise
    assert "Blandt de 151 kursister" in text and "steg trivslen" in text and "12,3 point" in text
    assert "udviklingen er statistisk sikker" in text
    # weighted 43,21 (CI 36,54-49,87) above the unweighted 39,05, which lies inside the CI
    assert (
        "39,0 blandt dem, der svarede, og 43,2" in text
        or "39,1 blandt dem, der svarede, og 43,2" in text
    )
    assert "snarere undervurderer" in text and "inden for usikkerheden" in text


def test_register_finding_is_a_development_not_an_effect(built):
    text = built.sections["register"]
    assert "steg beskæftigelsesscoren med 1,23 point" in text and "(statistisk sikker)" in text
    assert "faldt med 0,81 point" in text
    assert "udvikling" in text and "effekt" not in text.replace("sig selv har gjort", "")
    assert "effect" not in built.sections


def test_subgroup_finding_names_the_range_and_the_groups_without_model(built):
    text = built.sections["subgroups"]
    # withdrawn are not a subgroup of completers: +0,64 is not the minimum
    assert "fra +1,07 (36-45 år, 86 kursister) til +1,51 (mænd, 78 kursister)" in text
    # the interaction tests of TABLES: køn p = 0,012 and projektfase p < 0,001 differ
    assert "statistisk sikre efter køn og projektfase" in text
    assert "»Over 55 år« (aldersgruppe) har for få kursister" in text


def test_qual_and_recommendation_findings(built):
    q = built.sections["qual_themes"]
    assert "kursets format (26 interviews) og visitation og forventninger (18 interviews)" in q
    assert "i alt" not in q.lower().replace("interviews)", "")
    assert "Kursisterne taler oftest om kursets format og instruktørerne (10 interviews hver)" in q
    # coordinators + leaders + focus groups: visitation 14, format 12
    assert (
        "kommunernes folk (koordinatorer, ledere og fokusgrupper) taler oftest om visitation" in q
    )
    r = built.sections["recommendations"]
    assert r.startswith(
        "Evalueringens data understøtter 1 af de 3 anbefalinger, understøtter 1 delvist og modsiger 1."
    )
    assert "Den modsagte anbefaling er »Hold efter udgangspunkt«: den bør genovervejes" in r


def test_resume_explains_persons_and_enrolments_once(built):
    text = built.resume_markdown
    assert "afholdt på 33 hold med 524 tilmeldinger" in text
    assert "7 borgere blev tilmeldt mere end én gang" in text and "517 personer" in text
    assert f"433 af de 517 personer (84{NBSP}%)" in text  # 433/517 = 83,75 %
    assert text.count("tilmeldinger") == 2  # said once (and "tilmeldingerne svarer til")
    # no intervals, p-values or stars in the resumé
    assert "KI" not in text and "p <" not in text and "p =" not in text and "\\*" not in text
    assert list(built.resume) == ["participation", "goal1", "goal2", "qual", "recommendations"]
    # every number of the resumé is a number of the inputs
    known = list(built.values.values()) + [100 * x for x in built.values.values()]
    fixed = {0, 100, 5, 26, 1, 10}
    for x in numbers_in(text.replace("WHO-5", "WHO").replace("36-45 år", "")):
        assert abs(x) in fixed or any(
            math.isclose(abs(x), abs(k), rel_tol=0.01, abs_tol=0.006) for k in known
        ), x


def test_the_effect_leads_when_a_comparison_group_exists(tmp_path):
    est = [*ESTIMATES, est_row("effect", "att", "all", "att_26", 0.42, 0.1, 0.74, p=0.01, n=250)]
    f = F.build(make_run_folder(tmp_path / "run", estimates=est, tables=TABLES | EXTRA_TABLES))
    assert next(iter(f.resume)) == "effect"
    assert "0,42 point højere" in f.resume["effect"] and "statistisk sikker" in f.resume["effect"]
    assert "effektafsnittet" in f.sections["register"]


def test_missing_inputs_leave_findings_out(tmp_path):
    f = F.build(make_run_folder(tmp_path / "run", estimates=ESTIMATES[:1], tables={}))
    assert f.sections == {} and f.resume == {} and f.section("who5") == ""


@pytest.mark.parametrize(
    "share,words",
    [
        (0.95, "næsten alle"),
        (0.67, "de fleste"),
        (0.5, "omkring halvdelen"),
        (0.25, "en mindre del"),
        (0.1, "få"),
    ],
)
def test_share_words(share, words):
    assert F.share_words(share) == words


def test_certainty():
    assert F.certainty(0.049) == "statistisk sikker"
    assert F.certainty(0.05) == "ikke statistisk sikker"
    assert F.certainty(math.nan) == ""
