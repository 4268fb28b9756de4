"""Tabel 1 (register coverage per hold) and Bilag 1 (per hold) on a tiny folder counted by hand.

Holds (Mondays): P1 pilot 2024-W10 (8 weeks); U1 2024-W32, U2 2024-W36, U3 2024-W42 (7 weeks);
U4 cancelled. The DREAM extract covers 2024-W08 .. 2024-W40, so the latest week with data is
40 - 10 = 30 (P1), 8 (U1), 4 (U2) and -2 (U3: the extract ends before the course starts); the
first is 8 - 10 = -2, -24, -28 and -34.

    person  enrolments                counted on  registration                    in DREAM
    a1      P1 completed              P1          consent, kvinde 1990, kont.     130
    a2      P1 withdrawn              P1          consent, mand 1985, ress.       140
    a3      P1 completed              P1          none                            -
    b4      P1 withdrawn, U1 completed U1         consent, kvinde 1995, ress.     220
    b1      U1 completed              U1          consent, kvinde 2000, udd.      135
    b2      U1 completed              U1          consent, mand 1970, kont.       130
    b3      U1 withdrawn              U1          NO consent, kvinde 1980, andet  -
    c1      U2 completed              U2          NO consent, mand 1960, kont.    -
    c2      U2 withdrawn              U2          none                            -
    d1      U3 completed              U3          consent, kvinde 1999, kont.     130 (no week 0)
    d2      U3 completed              U3          NO consent, kvinde 1990, no visitation

Register analysis: a1, a2 (P1), b1, b2, b4 (U1) = 5; d1 is left out by the loader (hold U3 has
no data from week 0). Enrolments per hold: P1 4 (2 completed, 2 withdrawn), U1 4 (3 / 1),
U2 2 (1 / 1), U3 2 (2 / 0): 12 (8 / 4).

Surveys (udbredelse): invited before the course b1 b2 b3 b4 c1 c2 d1 d2 (and a1, a pilot person
whose return must not count); complete returns b1 b2 b4 c1 d1 (b3 partial) -> U1 3, U2 1, U3 1.
After the course: invited b1 b2 b4 c1 d1 d2; complete b1 b4 d2 (c1 partial) -> U1 2, U2 0, U3 1.
Three months: invited b1 b2, no wave file -> 0.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tpj_helpers.analysis.data_quality import coverage
from tpj_helpers.data.study import load_data
from tpj_helpers.data.survey import load_codebook

HOLDS = """\
hold_id,phase,start_date,n_weeks,status,time_slot
P1,pilot,2024-03-04,8,afholdt,11:00
U1,udbredelse,2024-08-05,7,afholdt,11:00
U2,udbredelse,2024-09-02,7,afholdt,14:00
U4,udbredelse,2024-09-23,7,aflyst,14:00
U3,udbredelse,2024-10-14,7,afholdt,11:00
"""

ENROLMENTS = """\
person_id,hold_id,kommune,enrolled_date,status,withdrawn_date,withdrawal_reason
a1,P1,Aalborg,2024-02-19,gennemført,,
a2,P1,Aalborg,2024-02-19,afmeldt,2024-03-11,sygdom
a3,P1,Odense,2024-02-20,gennemført,,
b4,P1,Odense,2024-02-20,afmeldt,2024-03-18,job
b4,U1,Odense,2024-07-01,gennemført,,
b1,U1,Aalborg,2024-07-01,gennemført,,
b2,U1,Aarhus,2024-07-02,gennemført,,
b3,U1,Aarhus,2024-07-02,afmeldt,2024-08-12,andet
c1,U2,Aalborg,2024-08-01,gennemført,,
c2,U2,Aalborg,2024-08-01,afmeldt,2024-09-09,andet
d1,U3,Odense,2024-09-20,gennemført,,
d2,U3,Odense,2024-09-20,gennemført,,
"""

REGISTRATIONS = """\
person_id,kommune,visitation,gender,birth_year,consent_register,consent_survey,registered_date
a1,Aalborg,akt_kontanthjaelp,kvinde,1990,ja,ja,2024-02-19
a2,Aalborg,ressourceforloeb,mand,1985,ja,ja,2024-02-19
b4,Odense,ressourceforloeb,kvinde,1995,ja,ja,2024-02-20
b1,Aalborg,akt_uddannelseshjaelp,kvinde,2000,ja,ja,2024-07-01
b2,Aarhus,akt_kontanthjaelp,mand,1970,ja,ja,2024-07-02
b3,Aarhus,andet,kvinde,1980,nej,ja,2024-07-02
c1,Aalborg,akt_kontanthjaelp,mand,1960,nej,ja,2024-08-01
d1,Odense,akt_kontanthjaelp,kvinde,1999,ja,ja,2024-09-20
d2,Odense,,kvinde,1990,nej,ja,2024-09-20
"""

CODES = {"a1": "130", "a2": "140", "b4": "220", "b1": "135", "b2": "130", "d1": "130"}

DISPATCH = [
    *[(p, "foer", "2024-07-20") for p in ("a1", "b1", "b2", "b3", "b4", "c1", "c2", "d1", "d2")],
    *[(p, "efter", "2024-10-01") for p in ("b1", "b2", "b4", "c1", "d1", "d2")],
    *[(p, "3mdr", "2024-12-20") for p in ("b1", "b2")],
]
RETURNS = {
    "foer": [("a1", 1), ("b1", 1), ("b2", 1), ("b3", 0), ("b4", 1), ("c1", 1), ("d1", 1)],
    "efter": [("b1", 1), ("b4", 1), ("d2", 1), ("c1", 0)],
}


def dream_csv() -> str:
    """Weeks 2024-W08..W40 (Thursdays Feb-Oct 2024), one benefit code per person throughout."""
    weeks = [f"y_24{w:02d}" for w in range(8, 41)]
    months = [f"grad_2024_{m:02d}" for m in range(2, 11)]
    rows = [["person_id", *weeks, *months]]
    rows += [[pid, *([code] * len(weeks)), *([""] * len(months))] for pid, code in CODES.items()]
    return "\n".join(",".join(r) for r in rows) + "\n"


def write_study(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in {
        "holds": HOLDS,
        "enrolments": ENROLMENTS,
        "registrations": REGISTRATIONS,
        "dream": dream_csv(),
    }.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    with (folder / "survey_dispatch.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("person_id", "wave", "sent_date"), *DISPATCH])
    codebook = load_codebook()
    for wave, rows in RETURNS.items():
        header = [
            "person_id",
            "submitted_at",
            "complete",
            *(it.id for it in codebook.items_for_wave(wave)),
        ]
        with (folder / f"survey_{wave}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, restval="")
            writer.writeheader()
            for pid, complete in rows:
                sent = {(p, w): d for p, w, d in DISPATCH}[(pid, wave)]  # on the invitation's day
                writer.writerow(
                    {"person_id": pid, "submitted_at": f"{sent} 10:00:00", "complete": complete}
                )
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_data(write_study(tmp_path_factory.mktemp("coverage")), cache=False)


def test_the_loader_excludes_the_hold_without_week_0(data):
    assert sorted(data.panel.persons["person_id"]) == ["a1", "a2", "b1", "b2", "b4"]
    ledger = data.exclusions.frame().set_index("reason")
    row = ledger.loc["hold without data from course start (week 0)"]
    assert (row["n"], row["detail"]) == (1, "U3")


def test_tabel_1_by_hand(data):
    t = coverage.register_coverage(data)
    assert list(t.columns) == [
        "Fase",
        "Hold",
        "Startuge (ISO)",
        "Kursusuger",
        "Første uge med data ift. kursusstart",
        "Seneste uge med data ift. kursusstart",
        "Personer i registeranalysen",
        "Indgår i registeranalysen",
        "Begrundelse",
    ]
    expected = [  # hold, phase, start week, weeks, first, latest, persons, included, reason
        ("P1", "Pilot", "2024-W10", 8, -2, 30, 2, "Ja", "Følges hele perioden (til uge 26)"),
        ("U1", "Udbredelse", "2024-W32", 7, -24, 8, 3, "Delvist", "Indgår til og med uge 8"),
        (
            "U2",
            "Udbredelse",
            "2024-W36",
            7,
            -28,
            4,
            0,
            "Nej",
            "Ingen personer med registersamtykke i DREAM-udtrækket",
        ),
        (
            "U3",
            "Udbredelse",
            "2024-W42",
            7,
            -34,
            -2,
            0,
            "Nej",
            "Ingen registerdata efter kursusstart",
        ),
    ]
    got = [
        (r[1], r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in t.itertuples(index=False)
    ]
    assert got == expected
    assert coverage.incomplete_coverage(t)["Hold"].tolist() == ["U1", "U2", "U3"]
    assert t["Personer i registeranalysen"].dtype == "int64"
    assert "2024-W40" in coverage.coverage_note(data)


def test_bilag_1_by_hand(data):
    b = coverage.persons_per_hold(data)
    waves = ["Før kurset", "Lige efter kurset", "3 måneder efter kurset"]
    survey_cols = [f"Fuldt besvaret spørgeskema, {w}" for w in waves]
    assert list(b.columns) == [
        "Fase",
        "Hold",
        "Tilmeldte",
        "Gennemført",
        "Afmeldt",
        "I registeranalysen",
        *survey_cols,
    ]
    assert b["Hold"].tolist() == ["P1", "U1", "U2", "U3", ""]
    assert b["Fase"].tolist()[-1] == "I alt"
    counts = b[["Tilmeldte", "Gennemført", "Afmeldt", "I registeranalysen"]].to_numpy().tolist()
    assert counts == [[4, 2, 2, 2], [4, 3, 1, 3], [2, 1, 1, 0], [2, 2, 0, 0], [12, 8, 4, 5]]
    surveys = b[survey_cols]
    assert surveys.iloc[0].isna().all()  # the pilot hold: not the survey phase
    assert surveys.iloc[1:].astype(int).to_numpy().tolist() == [
        [3, 2, 0],
        [1, 0, 0],
        [1, 1, 0],
        [5, 3, 0],
    ]
    assert coverage.bilag1_count_columns(b) == [
        "Tilmeldte",
        "Gennemført",
        "Afmeldt",
        "I registeranalysen",
        *survey_cols,
    ]
    assert all(pd.api.types.is_integer_dtype(b[c]) for c in coverage.bilag1_count_columns(b))
    assert "12 tilmeldinger på 4 hold" in coverage.bilag1_source(b)


def test_bilag_1_all_phases_counts_pilot_returns(data):
    b = coverage.persons_per_hold(data, survey_phase=None)
    # a1 (pilot, P1) returned the questionnaire before the course.
    assert b.loc[b["Hold"] == "P1", "Fuldt besvaret spørgeskema, Før kurset"].item() == 1
    assert b["Fuldt besvaret spørgeskema, Før kurset"].iloc[-1] == 6
