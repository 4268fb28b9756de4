"""Tests for the survey concern: codebook, schemas, loading, tidy answers, WHO-5, synthetic data.

Expected values are worked out by hand in the comments next to each assertion.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tpj_helpers.data.contract import ContractError, validate
from tpj_helpers.data.survey import (
    DEFAULT_CODEBOOK,
    CodebookError,
    load_codebook,
    load_surveys,
    parse_codebook,
    survey_schema,
    tidy_responses,
    who5_scores,
    who5_zone,
)
from tpj_helpers.synthetic.survey import generate_surveys, survey_consent

# Item ids typed from docs/data-contract.md, section 5.
CONTRACT_ALL_WAVES = [
    "job_manage",
    "job_competences",
    "job_prospects",
    "job_knowhow",
    "right_direction",
    "health_work",
    "energy_job",
    "self_rated_health",
    "who5_1",
    "who5_2",
    "who5_3",
    "who5_4",
    "who5_5",
]
CONTRACT_EFTER_ONLY = [
    "reason",
    "reason_text",
    "born_dk",
    "born_text",
    "birth_year",
    "gender",
    "gain_decisions",
    "gain_goals",
    "gain_problem_solving",
    "gain_thinking_techniques",
    "gain_triggers",
    "gain_move_more",
    "gain_symptoms",
    "gain_comm_family",
    "gain_comm_caseworker",
    "gain_network",
    "gain_activity_rest",
    "gain_qualifications",
    "sat_trust",
    "sat_pedagogic",
    "sat_worth",
    "sat_instructor_experience",
    "sat_relevant",
    "sat_recommend",
    "sat_overall",
    "sat_webinar",
    "sat_preparation",
    "digital_peers",
    "tech_login_platform",
    "tech_find_preparation",
    "tech_login_webinar",
    "device",
    "device_text",
    "absence_any",
    "absence_count",
    "absence_reason_illness",
    "absence_reason_mental",
    "absence_reason_private",
    "absence_reason_jobcenter",
    "absence_reason_technical",
    "absence_reason_tired",
    "absence_reason_expectations",
    "absence_reason_forgot",
    "absence_reason_dontknow",
    "absence_reason_other",
    "absence_reason_text",
    "prep_count",
    "prep_reason_time_private",
    "prep_reason_time_jobcenter",
    "prep_reason_technical",
    "prep_reason_tired",
    "prep_reason_not_relevant",
    "prep_reason_forgot",
    "prep_reason_dontknow",
    "prep_reason_other",
    "prep_reason_text",
]
WHO5 = ["who5_1", "who5_2", "who5_3", "who5_4", "who5_5"]


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


# --------------------------------------------------------------------------- codebook


def test_codebook_covers_every_contract_item(codebook):
    ids = set(codebook.item_ids())
    assert len(CONTRACT_ALL_WAVES) == 13 and len(CONTRACT_EFTER_ONLY) == 56
    assert ids == set(CONTRACT_ALL_WAVES) | set(CONTRACT_EFTER_ONLY)
    for item_id in CONTRACT_ALL_WAVES:
        assert codebook.item(item_id).waves == ("foer", "efter", "3mdr")
    for item_id in CONTRACT_EFTER_ONLY:
        assert codebook.item(item_id).waves == ("efter",)
    assert len(codebook.items_for_wave("foer")) == 13
    assert len(codebook.items_for_wave("efter")) == 69
    assert dict(codebook.special_codes) == {
        97: "Ved ikke",
        98: "Ikke relevant",
        99: "Ønsker ikke at svare",
    }


def test_every_item_has_answers_type_order_and_wording(codebook):
    raw = yaml.safe_load(DEFAULT_CODEBOOK.read_text(encoding="utf-8"))
    for entry in raw["items"]:
        assert {"answers", "type", "order", "question", "short_label", "group"} <= set(entry)
    for it in codebook.items:
        assert it.question and it.short_label
        if it.type in ("text", "numeric"):
            assert it.answers == () and it.order == "none"
        else:
            assert len(it.answers) >= 2 and len(it.codes) == len(it.answers)


def test_codebook_answer_lists_from_the_questionnaire(codebook):
    # Bilag 15: five answers, the typo 'Flere gangen om måneden' fixed.
    assert codebook.item("right_direction").answers[2] == "Flere gange om måneden"
    # Bilag 16: the agree scales allow "Ikke relevant" (98), the satisfaction scales "Ved ikke" (97).
    assert codebook.item("gain_goals").allowed_codes == (1, 2, 3, 4, 5, 98)
    assert codebook.item("sat_webinar").allowed_codes == (1, 2, 3, 4, 5, 97)
    assert codebook.item("gender").allowed_codes == (1, 2, 3, 99)
    assert codebook.item("absence_count").allowed_codes == (1, 2, 3, 4, 5, 6, 7, 97)
    prep = codebook.item("prep_count")
    assert prep.codes == (0, 1, 2, 3, 4, 5, 6, 7)
    assert prep.label(0) == "Jeg har slet ikke gennemgået forberedelsen"
    assert prep.label(7) == "Alle 7 gange"
    who = codebook.item("who5_1")
    assert who.label(5) == "Hele tiden" and who.label(0) == "På intet tidspunkt"
    assert codebook.item("absence_reason_illness").parent == "absence_any"
    assert codebook.item("prep_reason_tired").parent_codes == (0, 1, 2, 3, 4, 5, 6)


def test_broken_codebook_fails_clearly():
    raw = yaml.safe_load(DEFAULT_CODEBOOK.read_text(encoding="utf-8"))
    del raw["items"][0]["order"]
    with pytest.raises(CodebookError, match="item 'job_manage': missing field 'order'"):
        parse_codebook(raw)
    raw = yaml.safe_load(DEFAULT_CODEBOOK.read_text(encoding="utf-8"))
    raw["items"][0]["group"] = "nonexistent"
    with pytest.raises(CodebookError, match="group 'nonexistent'"):
        parse_codebook(raw)


# --------------------------------------------------------------------------- orientation


def test_positions_run_from_negative_to_positive(codebook):
    srh = codebook.item("self_rated_health")  # positive_first: "Fremragende" listed first
    assert srh.order == "positive_first"
    assert srh.position(1) == 5 and srh.label(1) == "Fremragende"
    assert srh.position(5) == 1 and srh.label(5) == "Dårligt"
    prep = codebook.item("prep_count")  # negative_first: "slet ikke" (0) listed first, 8 answers
    assert prep.order == "negative_first"
    assert prep.position(0) == 1 and prep.position(7) == 8
    absence = codebook.item("absence_count")  # 1 gang (least absence) listed first of 7
    assert absence.position(1) == 7 and absence.position(7) == 1
    who = codebook.item("who5_1")  # codes 5..0 listed first to last, 6 answers
    assert who.position(5) == 6 and who.position(0) == 1
    # special codes and unordered items get no position
    assert codebook.item("gain_goals").position(98) is None
    assert codebook.item("gain_goals").label(98) == "Ikke relevant"
    assert codebook.item("device").position(3) is None
    assert codebook.item("absence_reason_illness").position(1) is None


# --------------------------------------------------------------------------- hand-made data folder


def _write(path: Path, rows: list[dict], columns: list[str]) -> None:
    pd.DataFrame(rows, columns=columns, dtype=object).to_csv(path, index=False)


def _wave_columns(codebook, wave: str) -> list[str]:
    return ["person_id", "submitted_at", "complete"] + [
        it.id for it in codebook.items_for_wave(wave)
    ]


@pytest.fixture
def small_folder(tmp_path, codebook):
    """Dispatch + foer + efter (no 3mdr file): 3 persons, one partial return, empty cells."""
    _write(
        tmp_path / "survey_dispatch.csv",
        [
            {"person_id": "A", "wave": "foer", "sent_date": "2024-03-03"},
            {"person_id": "B", "wave": "foer", "sent_date": "2024-03-03"},
            {"person_id": "C", "wave": "foer", "sent_date": "2024-03-03"},
            {"person_id": "A", "wave": "efter", "sent_date": "2024-04-19"},
            {"person_id": "C", "wave": "efter", "sent_date": "2024-04-19"},
            {"person_id": "A", "wave": "3mdr", "sent_date": "2024-07-19"},
        ],
        ["person_id", "wave", "sent_date"],
    )
    foer_a = {
        "job_manage": 1, "job_competences": 2, "job_prospects": 3, "job_knowhow": 4,
        "right_direction": 5, "health_work": 1, "energy_job": 2, "self_rated_health": 5,
        "who5_1": 3, "who5_2": 3, "who5_3": 2, "who5_4": 2, "who5_5": 1,
    }  # fmt: skip
    _write(
        tmp_path / "survey_foer.csv",
        [
            {"person_id": "A", "submitted_at": "2024-03-03 10:00:00", "complete": 1, **foer_a},
            # partial: two answers, the rest empty
            {"person_id": "B", "submitted_at": "2024-03-04 09:30:00", "complete": 0,
             "job_manage": 4, "self_rated_health": 1},
        ],
        _wave_columns(codebook, "foer"),
    )  # fmt: skip
    _write(
        tmp_path / "survey_efter.csv",
        [
            {"person_id": "A", "submitted_at": "2024-04-19 12:00:00", "complete": 1,
             "gain_goals": 98, "sat_overall": 1, "reason": 2, "reason_text": "Smerter",
             "birth_year": 1980, "prep_count": 0, "prep_reason_tired": 1, "prep_reason_forgot": 0,
             "self_rated_health": 3, "who5_1": 3},
            {"person_id": "C", "submitted_at": "2024-04-20 08:00:00", "complete": 1,
             "job_manage": 2, "absence_any": 1, "absence_count": 97},
        ],
        _wave_columns(codebook, "efter"),
    )  # fmt: skip
    return tmp_path


def test_load_surveys_types_and_missing_wave(small_folder, codebook):
    data = load_surveys(small_folder, codebook)
    assert data.missing_files == ("3mdr",)
    assert set(data.responses) == {"foer", "efter"}
    foer = data.responses["foer"]
    assert foer["complete"].tolist() == [True, False]
    assert str(foer["job_manage"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(foer["submitted_at"])
    assert foer["who5_1"].tolist()[0] == 3 and pd.isna(foer["who5_1"].tolist()[1])
    assert data.dispatch["wave"].value_counts().to_dict() == {"foer": 3, "efter": 2, "3mdr": 1}
    assert data.responses["efter"]["reason_text"].tolist()[0] == "Smerter"


def test_tidy_responses_rows_and_labels(small_folder, codebook):
    tidy = tidy_responses(load_surveys(small_folder, codebook), codebook)
    # foer: A 13 items + B 2 items; efter: A 9 coded cells (reason_text is free text, left out),
    # C 3 cells. 13 + 2 + 9 + 3 = 27.
    assert len(tidy) == 27
    assert list(tidy.columns) == [
        "person_id",
        "wave",
        "item",
        "code",
        "label",
        "position",
        "complete",
    ]
    assert tidy.groupby(["wave", "person_id"]).size().to_dict() == {
        ("efter", "A"): 9,
        ("efter", "C"): 3,
        ("foer", "A"): 13,
        ("foer", "B"): 2,
    }

    def row(person, wave, item):
        hit = tidy[(tidy.person_id == person) & (tidy.wave == wave) & (tidy.item == item)]
        assert len(hit) == 1
        return hit.iloc[0]

    r = row("A", "foer", "self_rated_health")
    assert (r.code, r.label, r.position) == (5, "Dårligt", 1)
    r = row("B", "foer", "self_rated_health")
    assert (r.code, r.label, r.position, r.complete) == (1, "Fremragende", 5, False)
    r = row("A", "foer", "who5_1")
    assert (r.label, r.position) == ("Lidt mere end halvdelen af tiden", 4)
    r = row("A", "efter", "gain_goals")
    assert r.label == "Ikke relevant" and pd.isna(r.position)
    r = row("A", "efter", "sat_overall")
    assert (r.label, r.position) == ("Meget enig", 5)
    r = row("A", "efter", "prep_count")
    assert (r.code, r.label, r.position) == (0, "Jeg har slet ikke gennemgået forberedelsen", 1)
    r = row("A", "efter", "prep_reason_forgot")
    assert (r.code, r.label) == (0, "Ikke valgt") and pd.isna(r.position)
    r = row("A", "efter", "reason")
    assert r.label == "Andet" and pd.isna(r.position)
    r = row("A", "efter", "birth_year")
    assert r.code == 1980 and pd.isna(r.label)
    r = row("C", "efter", "absence_count")
    assert r.label == "Ved ikke" and pd.isna(r.position)
    assert not (tidy.item == "reason_text").any()


# --------------------------------------------------------------------------- WHO-5


def _who5_folder(tmp_path: Path, codebook, answers: dict[str, list]) -> Path:
    people = list(answers)
    _write(
        tmp_path / "survey_dispatch.csv",
        [{"person_id": p, "wave": "foer", "sent_date": "2024-03-03"} for p in people],
        ["person_id", "wave", "sent_date"],
    )
    rows = [
        {
            "person_id": p,
            "submitted_at": "2024-03-03 10:00",
            "complete": 1,
            **dict(zip(WHO5, a, strict=True)),
        }
        for p, a in answers.items()
    ]
    _write(tmp_path / "survey_foer.csv", rows, _wave_columns(codebook, "foer"))
    return tmp_path


def test_who5_scores_hand_cases(tmp_path, codebook):
    folder = _who5_folder(
        tmp_path,
        codebook,
        {
            "all5": [5, 5, 5, 5, 5],  # 4 x 25 = 100
            "all0": [0, 0, 0, 0, 0],  # 0
            "mixed": [3, 3, 2, 2, 1],  # 4 x 11 = 44
            "one_missing": [5, 5, 5, 5, None],  # 4 answered -> no score
        },
    )
    scores = who5_scores(load_surveys(folder, codebook)).set_index("person_id")
    assert scores.loc["all5", "who5_score"] == 100
    assert scores.loc["all0", "who5_score"] == 0
    assert scores.loc["mixed", "who5_score"] == 44
    assert pd.isna(scores.loc["one_missing", "who5_score"])
    assert scores["n_items_answered"].to_dict() == {
        "all5": 5,
        "all0": 5,
        "mixed": 5,
        "one_missing": 4,
    }
    assert scores.loc["all5", "who5_zone"] == "Ingen forhøjet risiko"
    assert scores.loc["all0", "who5_zone"] == "Høj risiko"
    assert scores.loc["mixed", "who5_zone"] == "Risiko"  # 36-50
    assert pd.isna(scores.loc["one_missing", "who5_zone"])
    assert scores["wave"].unique().tolist() == ["foer"]


def test_who5_zone_boundaries():
    zones = who5_zone(pd.Series([0, 35, 36, 50, 52, 100], dtype="Int64"))
    assert zones.astype(str).tolist() == [
        "Høj risiko", "Høj risiko", "Risiko", "Risiko", "Ingen forhøjet risiko", "Ingen forhøjet risiko",
    ]  # fmt: skip


def test_who5_special_code_is_read_but_never_scored(tmp_path, codebook):
    # The contract admits 97/98/99 on every item, WHO-5 included: read, never substantive.
    folder = _who5_folder(tmp_path, codebook, {"A": [3, 3, 3, 3, 3], "B": [97, 3, 3, 3, 3]})
    scores = who5_scores(load_surveys(folder, codebook)).set_index("person_id")
    assert scores.loc["A", "who5_score"] == 4 * 15
    assert pd.isna(scores.loc["B", "who5_score"]) and scores.loc["B", "n_items_answered"] == 4


# --------------------------------------------------------------------------- schema rejections


def _foer_frame(codebook, rows: list[dict]) -> pd.DataFrame:
    base = {"submitted_at": "2024-03-03 10:00:00", "complete": "1"}
    base |= {it.id: "3" for it in codebook.items_for_wave("foer")}
    return pd.DataFrame([base | r for r in rows]).astype("string")


def test_schema_rejects_unknown_code_naming_file_column_row(tmp_path, codebook):
    folder = _who5_folder(tmp_path, codebook, {"A": [1, 1, 1, 1, 1], "B": [1, 1, 1, 1, 1]})
    df = pd.read_csv(folder / "survey_foer.csv", dtype=str)
    df.loc[1, "job_manage"] = "6"  # second data row = spreadsheet row 3
    df.to_csv(folder / "survey_foer.csv", index=False)
    with pytest.raises(ContractError) as err:
        load_surveys(folder, codebook)
    msg = str(err.value)
    assert "survey_foer.csv" in msg
    assert (
        "column 'job_manage': expected one of 1..5, 97..99 (codes of 'job_manage'); rows 3; found '6'"
        in msg
    )


def test_schema_rejects_missing_column_and_duplicate_person(codebook):
    df = _foer_frame(codebook, [{"person_id": "A"}, {"person_id": "A"}]).drop(columns=["who5_3"])
    with pytest.raises(ContractError) as err:
        validate(df, survey_schema(codebook, "foer"), Path("survey_foer.csv"))
    msg = str(err.value)
    assert "column 'who5_3': expected the column to be present" in msg
    assert "column 'person_id': expected unique values (no duplicates); rows 3; found 'A'" in msg


def test_schema_checks_timestamp_complete_and_birth_year(codebook):
    df = _foer_frame(codebook, [{"person_id": "A", "submitted_at": "not a time", "complete": "2"}])
    with pytest.raises(ContractError) as err:
        validate(df, survey_schema(codebook, "foer"), Path("survey_foer.csv"))
    assert "'submitted_at'" in str(err.value) and "'complete'" in str(err.value)
    efter = pd.DataFrame(
        {"person_id": ["A", "B"], "submitted_at": ["2024-04-19 10:00"] * 2, "complete": ["1", "1"]}
        | {it.id: [pd.NA, pd.NA] for it in codebook.items_for_wave("efter")}
    ).astype("string")
    efter.loc[1, "birth_year"] = "85"
    with pytest.raises(ContractError, match=r"'birth_year'.*rows 3"):
        validate(efter, survey_schema(codebook, "efter"), Path("survey_efter.csv"))


def test_returns_must_be_invited_and_dispatch_required(small_folder, codebook):
    df = pd.read_csv(small_folder / "survey_efter.csv", dtype=str)
    df.loc[1, "person_id"] = "Z"
    df.to_csv(small_folder / "survey_efter.csv", index=False)
    with pytest.raises(ContractError, match="invited to wave 'efter'"):
        load_surveys(small_folder, codebook)
    (small_folder / "survey_dispatch.csv").unlink()
    with pytest.raises(ContractError, match="survey_dispatch"):
        load_surveys(small_folder, codebook)


def test_dispatch_rejects_unknown_wave_and_duplicates(tmp_path, codebook):
    _write(
        tmp_path / "survey_dispatch.csv",
        [
            {"person_id": "A", "wave": "foer", "sent_date": "2024-03-03"},
            {"person_id": "A", "wave": "foer", "sent_date": "2024-03-03"},
            {"person_id": "B", "wave": "4mdr", "sent_date": "03-03-2024"},
        ],
        ["person_id", "wave", "sent_date"],
    )
    with pytest.raises(ContractError) as err:
        load_surveys(tmp_path, codebook)
    msg = str(err.value)
    assert "column 'wave': expected one of foer, efter, 3mdr; rows 4" in msg
    assert "column 'sent_date': expected an ISO date" in msg
    assert "unique values (no duplicates); rows 3" in msg


# --------------------------------------------------------------------------- synthetic surveys


def _persons() -> pd.DataFrame:
    """393 udbredelse persons (329 completers, 5 of them 'nej' to surveys) + 40 pilot persons."""
    n_udb, n_done, n_pilot = 393, 329, 40
    n = n_udb + n_pilot
    hold = np.arange(n) % 24
    starts = pd.date_range("2023-01-02", periods=24, freq="14D")  # Mondays
    consent = np.array(["ja"] * n, dtype=object)
    consent[:5] = "nej"  # five completers say no
    consent[100:160] = None  # unregistered
    consent[340:345] = "nej"  # withdrawn persons saying no change nothing
    return pd.DataFrame(
        {
            "person_id": [f"P{i:04d}" for i in range(n)],
            "phase": ["udbredelse"] * n_udb + ["pilot"] * n_pilot,
            "status": ["gennemført"] * n_done
            + ["afmeldt"] * (n_udb - n_done)
            + ["gennemført"] * n_pilot,
            "hold_id": [f"H{h:02d}" for h in hold],
            "start_date": starts[hold],
            "n_weeks": 7,
            "consent_survey": pd.array(consent, dtype="string"),
            "gender": pd.array(np.where(np.arange(n) % 3 == 0, "mand", "kvinde"), dtype="string"),
            "birth_year": pd.array(
                [None if i % 4 == 0 else 1960 + i % 40 for i in range(n)], dtype="Int64"
            ),
            "visitation": "akt_kontanthjaelp",
        }
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, codebook):
    frames = generate_surveys(_persons(), np.random.default_rng(2025), codebook)
    folder = tmp_path_factory.mktemp("synthetic_surveys")
    for name, df in frames.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    return frames, load_surveys(folder, codebook)


def test_synthetic_counts_match_tabel_2(synthetic):
    frames, data = synthetic
    assert set(frames) == {"survey_dispatch", "survey_foer", "survey_efter", "survey_3mdr"}
    sent = frames["survey_dispatch"]["wave"].value_counts().to_dict()
    assert sent == {"foer": 393, "efter": 324, "3mdr": 315}
    complete = {w: int(df["complete"].sum()) for w, df in data.responses.items()}
    assert complete == {"foer": 218, "efter": 220, "3mdr": 65}
    # partial returns: round(0.05 x sent) = 20 / 16 / 16
    partial = {w: int((~df["complete"]).sum()) for w, df in data.responses.items()}
    assert partial == {"foer": 20, "efter": 16, "3mdr": 16}
    assert data.missing_files == ()


def test_synthetic_dispatch_rules(synthetic):
    frames, data = synthetic
    persons = _persons().set_index("person_id")
    d = data.dispatch.join(persons, on="person_id")
    assert (d["phase"] == "udbredelse").all()
    efter = d[d.wave == "efter"]
    assert (efter["status"] == "gennemført").all() and not (efter["consent_survey"] == "nej").any()
    assert set(d.loc[d.wave == "3mdr", "person_id"]) < set(efter["person_id"])
    foer = d[d.wave == "foer"]
    assert (foer["sent_date"] == foer["start_date"] - pd.Timedelta(days=1)).all()
    # last course week's Friday: start + 6 weeks + 4 days for a 7-week course
    assert (efter["sent_date"] == efter["start_date"] + pd.Timedelta(days=46)).all()
    assert (efter["sent_date"].dt.day_of_week == 4).all()
    three = d[d.wave == "3mdr"].merge(efter[["person_id", "sent_date"]], on="person_id")
    assert ((three["sent_date_x"] - three["sent_date_y"]).dt.days == 91).all()
    assert all(df.dtypes.eq("string").all() for df in frames.values())


def test_synthetic_who5_means_near_published(synthetic):
    _, data = synthetic
    s = who5_scores(data)
    means = s[s["complete"]].groupby("wave")["who5_score"].mean()
    for wave, published in {"foer": 33.36, "efter": 42.27, "3mdr": 40.31}.items():
        assert abs(means[wave] - published) <= 2.5, (wave, means[wave])


def _pct(series: pd.Series, codes: list[int]) -> float:
    answered = series.dropna()
    return 100 * answered.isin(codes).sum() / len(answered)


def test_synthetic_item_percentages_near_published(synthetic):
    _, data = synthetic
    foer = data.responses["foer"][data.responses["foer"]["complete"]]
    efter = data.responses["efter"][data.responses["efter"]["complete"]]
    # tech_login_webinar: 88% agree or strongly agree (codes 1, 2)
    assert abs(_pct(efter["tech_login_webinar"], [1, 2]) - 88) <= 5
    # self_rated_health before the course: 29% "Dårligt" (code 5)
    assert abs(_pct(foer["self_rated_health"], [5]) - 29) <= 5
    # sat_overall: 67% agree; device: 69% computer (code 3); prep all 7 times: 59%
    assert abs(_pct(efter["sat_overall"], [1, 2]) - 67) <= 5
    assert abs(_pct(efter["device"], [3]) - 69) <= 5
    assert abs(_pct(efter["prep_count"], [7]) - 59) <= 5


def test_synthetic_conditional_items_follow_their_parent(synthetic):
    _, data = synthetic
    e = data.responses["efter"]
    absent = e["absence_any"] == 1
    assert e.loc[~absent.fillna(False), "absence_count"].isna().all()
    assert e.loc[~absent.fillna(False), "absence_reason_illness"].isna().all()
    assert e.loc[absent.fillna(False) & e["complete"], "absence_reason_illness"].notna().all()
    all_prepared = (e["prep_count"] == 7).fillna(False)
    assert e.loc[all_prepared, "prep_reason_tired"].isna().all()
    assert e.loc[(e["absence_reason_other"] != 1).fillna(True), "absence_reason_text"].isna().all()
    specials = e[[c for c in e.columns if c.startswith(("gain_", "sat_", "tech_"))]].isin(
        [97, 98, 99]
    )
    assert 0 < specials.to_numpy().sum() < 0.05 * specials.notna().to_numpy().sum()
    # free text mostly empty
    assert e["reason_text"].notna().mean() < 0.2


def test_synthetic_answers_correlate_within_person(synthetic):
    _, data = synthetic
    s = who5_scores(data).pivot(index="person_id", columns="wave", values="who5_score")
    paired = s[["foer", "efter"]].dropna().astype(float)
    assert len(paired) > 50
    assert paired["foer"].corr(paired["efter"], method="spearman") > 0.2


def test_synthetic_is_deterministic(codebook):
    a = generate_surveys(_persons(), np.random.default_rng(7), codebook)
    b = generate_surveys(_persons(), np.random.default_rng(7), codebook)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_survey_consent_accepts_text_or_booleans_with_registered():
    text = pd.DataFrame({"consent_survey": pd.array(["ja", "nej", None], dtype="string")})
    assert survey_consent(text).tolist() == ["ja", "nej", pd.NA]
    flags = pd.DataFrame(
        {"consent_survey": [True, False, False], "registered": [True, True, False]}
    )
    # registered + consent -> ja; registered without -> nej; unregistered -> NA
    assert survey_consent(flags).tolist() == ["ja", "nej", pd.NA]
    with pytest.raises(ValueError, match="'registered' column"):
        survey_consent(flags.drop(columns="registered"))
    with pytest.raises(ValueError, match="found \\['yes'\\]"):
        survey_consent(pd.DataFrame({"consent_survey": ["ja", "yes"]}))
