"""Data quality: Tabel 4 (enrolment by phase), participants per municipality, the ledger in
Danish and the summary box, on a tiny folder whose every count is worked out by hand below.

Holds: P1 (pilot, held), P2 (pilot, cancelled), U1 and U2 (udbredelse, held).

    person  enrolments                       counted on    kommune   registration
    a1      P1 completed                     P1 (pilot)    Aalborg   yes, register consent
    a2      P1 withdrawn, U1 completed       U1            Aalborg   yes, consent
    a3      P1 withdrawn, U2 withdrawn       U2 (latest)   Odense    yes, NO consent (in DREAM)
    a4      U1 completed                     U1            Aalborg   yes, consent
    a5      U1 withdrawn                     U1            Aarhus    none
    a6      U2 completed                     U2            Aalborg   yes, consent, NOT in DREAM
    a7      U2 completed                     U2            Aalborg   none
    a8      P1 completed                     P1            Odense    none
    r10     never enrolled                   -             -         yes (orphan registration)
    x9      in the DREAM extract only

Enrolment level: pilot 4 enrolments (2 completed, 2 withdrawn), udbredelse 6 (4 / 2), total 10
(6 / 4). Person level: pilot a1, a8 (2 completed); udbredelse a2-a7 (4 completed, 2 withdrawn);
re-enrolled a2, a3 (both counted in udbredelse). Municipalities: Aalborg 5, Odense 2, Aarhus 1.
Register analysis: a1, a2, a4 (consent, in the extract, data from week 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tpj_helpers.analysis.data_quality import enrolment as quality
from tpj_helpers.data.study import load_data

HOLDS = """\
hold_id,phase,start_date,n_weeks,status,time_slot
P1,pilot,2024-03-04,8,afholdt,11:00
P2,pilot,2024-04-08,8,aflyst,14:00
U1,udbredelse,2024-08-05,7,afholdt,11:00
U2,udbredelse,2024-09-02,7,afholdt,14:00
"""

ENROLMENTS = """\
person_id,hold_id,kommune,enrolled_date,status,withdrawn_date,withdrawal_reason
a1,P1,Aalborg,2024-02-19,gennemført,,
a2,P1,Aalborg,2024-02-19,afmeldt,2024-03-11,sygdom
a2,U1,Aalborg,2024-07-01,gennemført,,
a3,P1,Odense,2024-02-20,afmeldt,2024-03-18,job
a3,U2,Odense,2024-08-01,afmeldt,2024-09-09,sygdom
a4,U1,Aalborg,2024-07-02,gennemført,,
a5,U1,Aarhus,2024-07-03,afmeldt,2024-08-12,andet
a6,U2,Aalborg,2024-08-02,gennemført,,
a7,U2,Aalborg,2024-08-03,gennemført,,
a8,P1,Odense,2024-02-21,gennemført,,
"""

REGISTRATIONS = """\
person_id,kommune,visitation,gender,birth_year,consent_register,consent_survey,registered_date
a1,Aalborg,akt_kontanthjaelp,kvinde,1990,ja,ja,2024-02-19
a2,Aalborg,ressourceforloeb,mand,1985,ja,ja,2024-02-19
a3,Odense,andet,kvinde,1995,nej,ja,2024-02-20
a4,Aalborg,akt_kontanthjaelp,kvinde,1970,ja,nej,2024-07-02
a6,Aalborg,akt_uddannelseshjaelp,mand,2001,ja,ja,2024-08-02
r10,Aarhus,andet,mand,1980,ja,ja,2024-06-01
"""


def dream_csv() -> str:
    """Weeks 2024-W08..W40 (all Thursdays in Feb-Oct 2024), one benefit code throughout."""
    weeks = [f"y_24{w:02d}" for w in range(8, 41)]
    months = [f"grad_2024_{m:02d}" for m in range(2, 11)]
    header = ["person_id", *weeks, *months]
    rows = [
        [pid, *(["130"] * len(weeks)), *([""] * len(months))]
        for pid in ("a1", "a2", "a3", "a4", "x9")
    ]
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def write_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "holds": HOLDS,
        "enrolments": ENROLMENTS,
        "registrations": REGISTRATIONS,
        "dream": dream_csv(),
        "survey_dispatch": "person_id,wave,sent_date\n",
    }
    for stem, text in files.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_data(write_folder(tmp_path_factory.mktemp("quality")), cache=False)


def value(table: pd.DataFrame, row: str, column: str):
    return table.loc[table[quality.ROW_COLUMN] == row, column].item()


# --------------------------------------------------------------------------- Tabel 4


def test_enrolment_by_phase_counts_by_hand(data):
    t = quality.enrolment_by_phase(data)
    assert list(t.columns) == [
        "Opgørelse",
        "Pilot, antal",
        "Pilot, pct.",
        "Udbredelse, antal",
        "Udbredelse, pct.",
        "I alt, antal",
        "I alt, pct.",
    ]
    expected = {  # row: (pilot, udbredelse, total)
        quality.ROW_HOLDS: (1, 2, 3),
        quality.ROW_ENROLMENTS: (4, 6, 10),
        quality.ROW_ENROL_DONE: (2, 4, 6),
        quality.ROW_ENROL_DROP: (2, 2, 4),
        quality.ROW_PERSONS: (2, 6, 8),
        quality.ROW_PERSON_DONE: (2, 4, 6),
        quality.ROW_PERSON_DROP: (0, 2, 2),
        quality.ROW_REENROLLED: (0, 2, 2),
    }
    assert t[quality.ROW_COLUMN].tolist() == list(expected)
    for row, counts in expected.items():
        got = tuple(value(t, row, f"{p}, antal") for p in ("Pilot", "Udbredelse", "I alt"))
        assert got == counts, row


def test_enrolment_by_phase_percentages(data):
    t = quality.enrolment_by_phase(data)
    assert value(t, quality.ROW_ENROLMENTS, "I alt, pct.") == 100
    assert value(t, quality.ROW_ENROL_DONE, "Pilot, pct.") == pytest.approx(50)
    assert value(t, quality.ROW_ENROL_DONE, "Udbredelse, pct.") == pytest.approx(400 / 6)
    assert value(t, quality.ROW_ENROL_DROP, "I alt, pct.") == pytest.approx(40)
    assert value(t, quality.ROW_PERSON_DONE, "I alt, pct.") == pytest.approx(75)
    assert value(t, quality.ROW_REENROLLED, "Udbredelse, pct.") == pytest.approx(100 / 3)
    assert np.isnan(value(t, quality.ROW_HOLDS, "Pilot, pct."))
    assert quality.count_columns(t) == ["Pilot, antal", "Udbredelse, antal", "I alt, antal"]
    assert quality.linked_columns(t)["I alt, pct."] == "I alt, antal"


def test_enrolment_note_names_the_cancelled_holds(data):
    assert quality.enrolment_note(data).endswith(
        "Derudover blev 1 planlagte hold aflyst (1 i pilot); de indgår ikke."
    )
    assert quality.enrolment_note(data, ["udbredelse"]).endswith("Ingen hold blev aflyst.")


def test_enrolment_by_phase_for_one_phase(data):
    t = quality.enrolment_by_phase(data, phases=["udbredelse"])
    assert [c for c in t.columns if c.endswith("antal")] == ["Udbredelse, antal", "I alt, antal"]
    assert (t["Udbredelse, antal"] == t["I alt, antal"]).all()
    assert value(t, quality.ROW_ENROLMENTS, "I alt, antal") == 6


# --------------------------------------------------------------------------- municipalities


def test_participants_by_municipality_sorted(data):
    t = quality.participants_by_municipality(data)
    assert list(t.columns) == ["Kommune", "Kursister"]
    assert list(zip(t["Kommune"], t["Kursister"], strict=True)) == [
        ("Aalborg", 5),
        ("Odense", 2),
        ("Aarhus", 1),
    ]
    assert t["Kursister"].sum() == len(data.persons)


def test_small_municipalities_go_last_alphabetically(data):
    t = quality.participants_by_municipality(data, min_cell=3)
    assert t["Kommune"].tolist() == ["Aalborg", "Aarhus", "Odense"]
    t = quality.participants_by_municipality(data, min_cell=5)
    assert t["Kommune"].tolist() == ["Aalborg", "Aarhus", "Odense"]  # 5 itself is shown


# --------------------------------------------------------------------------- ledger and summary


def test_every_ledger_reason_has_a_danish_label(data):
    ledger = data.exclusions.frame()
    assert set(ledger["reason"]) <= set(quality.REASON_LABELS)
    assert set(ledger["source"]) <= set(quality.SOURCE_LABELS)
    assert set(ledger["unit"]) <= set(quality.UNIT_LABELS)


def test_exclusions_table_in_danish_with_hand_counts(data):
    t = quality.exclusions_table(data)
    assert list(t.columns) == ["Kilde", "Årsag", "Enhed", "Antal", "Detaljer"]
    n = dict(zip(t["Årsag"], t["Antal"], strict=True))
    assert n["Ingen registrering: ingen baggrundsoplysninger og intet registersamtykke"] == 3
    assert n["Registrering uden nogen tilmelding"] == 1  # r10
    assert n["I DREAM-udtrækket, men aldrig tilmeldt"] == 1  # x9
    assert n["I DREAM-udtrækket uden registersamtykke"] == 1  # a3
    assert n["Registersamtykke, men ikke i DREAM-udtrækket"] == 1  # a6
    assert len(t) == len(data.exclusions.frame())  # zero counts stay listed


def test_quality_summary_counts(data):
    text = quality.quality_summary(data, min_cell=1)
    assert text.startswith('::: {.callout-note title="Datagrundlag"}')
    assert text.rstrip().endswith(":::")
    assert "**8 personer** med 10 tilmeldinger; 2 personer er tilmeldt mere end én gang" in text
    assert "**5** personer" in text and "4 har givet samtykke" in text
    assert "**3** personer indgår i registeranalysen" in text
    lines = [ln.strip() for ln in text.splitlines() if ln.startswith("    - ")]
    assert lines[0] == (
        "- Ingen registrering: ingen baggrundsoplysninger og intet registersamtykke: 3"
    )
    assert len(lines) == 3  # the three largest person exclusions


def test_quality_summary_hides_small_counts(data):
    text = quality.quality_summary(data, min_cell=5)
    assert "**8 personer**" in text  # 8 >= min_cell is shown
    assert "færre end 5 personer er tilmeldt mere end én gang" in text
    assert "**færre end 5** personer indgår i registeranalysen" in text
    assert ": 3" not in text and ": færre end 5" in text


def test_enrolment_table_survives_disclosure_control(data):
    from tpj_helpers.publish.publisher import suppress_small

    t = quality.enrolment_by_phase(data)
    safe, mask = suppress_small(t, quality.count_columns(t), 5, quality.linked_columns(t))
    assert mask.loc[t[quality.ROW_COLUMN] == quality.ROW_ENROL_DONE, "Pilot, pct."].item()
    assert value(safe, quality.ROW_ENROLMENTS, "I alt, antal") == 10


# --------------------------------------------------------------------------- sources and figure


def test_source_lines_carry_n(data):
    t = quality.enrolment_by_phase(data)
    assert quality.enrolment_source(t).endswith("N = 10 tilmeldinger, 8 personer")
    m = quality.participants_by_municipality(data, 5)
    assert quality.municipality_source(m, 5).endswith("N = 8 personer i 3 kommuner")
    assert quality.municipality_source(m, 10).endswith("N = færre end 10 personer i 3 kommuner")
    ex = quality.exclusions_table(data)
    assert quality.exclusions_source(ex).endswith(f"N = {len(ex)} kontroller")
    assert quality.count_text(4, 5) == "færre end 5" and quality.count_text(0, 5) == "0"
    assert quality.count_text(1234, 5) == "1.234"


def test_municipality_figure_marks_suppressed_bars(data):
    import matplotlib

    from tpj_helpers.publish.publisher import suppress_small

    matplotlib.use("Agg")
    m = quality.participants_by_municipality(data, 5)
    safe, _ = suppress_small(m, [quality.PARTICIPANTS_COLUMN], 5)
    fig = quality.municipality_figure(safe, 5)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Aalborg", "Aarhus", "Odense"]
    # a hidden count is marked «skjult» (a primary and a secondary cell look alike), never «<5»
    assert [t.get_text() for t in ax.texts] == ["5", " skjult", " skjult"]
    bars = [p for p in ax.patches if not p.get_hatch()]
    marks = [p for p in ax.patches if p.get_hatch()]
    assert [p.get_width() for p in bars] == [5, 0, 0]
    # two hatched markers of the fixed length (2.5 % of the axis, 0..5 * 1.1), rows 2 and 3
    assert [round(p.get_width(), 6) for p in marks] == [round(5 * 1.1 * 0.025, 6)] * 2
    assert [round(p.get_y() + p.get_height() / 2, 6) for p in marks] == [1, 2]
