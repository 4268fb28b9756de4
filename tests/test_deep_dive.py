"""Deep-dive municipalities: counts per municipality by hand, and the qualitative status box."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from tpj_helpers import deep_dive

matplotlib.use("Agg")

# person, kommune, status, in the DREAM panel
PERSONS = [
    ("a1", "Aalborg", "gennemført", True),
    ("a2", "Aalborg", "gennemført", False),
    ("a3", "Aalborg", "afmeldt", True),
    ("s1", "Stevns", "gennemført", True),
    ("o1", "Odense", "gennemført", True),
    ("o2", "Odense", "afmeldt", False),
    ("k1", "København", "gennemført", False),
]


@pytest.fixture
def data():
    persons = pd.DataFrame(PERSONS, columns=["person_id", "kommune", "status", "in_panel"])
    panel = SimpleNamespace(persons=persons.loc[persons["in_panel"], ["person_id"]])
    return SimpleNamespace(persons=persons.drop(columns="in_panel"), panel=panel)


def test_overview_counts_by_hand(data):
    ov = deep_dive.municipality_overview(data, ["Aalborg", "Frederikshavn", "Stevns"]).set_index("kommune")
    assert ov.index.tolist() == ["Aalborg", "Frederikshavn", "Stevns", deep_dive.OTHERS, deep_dive.TOTAL]
    assert ov["participants"].tolist() == [3, 0, 1, 3, 7]
    assert ov["completed"].tolist() == [2, 0, 1, 2, 5]
    assert ov["in_register"].tolist() == [2, 0, 1, 1, 4]
    assert ov.loc["Aalborg", "completion_rate"] == pytest.approx(2 / 3)
    assert math.isnan(ov.loc["Frederikshavn", "completion_rate"])  # no participants
    assert ov.loc[deep_dive.TOTAL, "completion_rate"] == pytest.approx(5 / 7)
    assert ov["deep_dive"].tolist() == [True, True, True, False, False]
    table = deep_dive.overview_table(ov.reset_index())
    assert table.columns.tolist() == ["Kommune", "Deltagere", "Gennemført", "Gennemført, %",
                                      "I registeranalysen"]
    assert table["Gennemført, %"].iloc[0] == pytest.approx(200 / 3)
    assert deep_dive.source_line(data).endswith("N = 7 kursister")


def test_plot_overview_draws_three_bars_per_row(data):
    ov = deep_dive.municipality_overview(data, ["Aalborg", "Stevns"])
    ov = ov[ov["kommune"] != deep_dive.TOTAL].astype({"in_register": object})
    ov.loc[1, "in_register"] = None  # a suppressed count is not drawn
    fig = deep_dive.plot_overview(ov)
    assert len(fig.axes[0].patches) == 3 * 3
    assert "skjult" in [t.get_text() for t in fig.axes[0].texts]


def test_qual_status_missing_folder(tmp_path):
    status = deep_dive.qual_status(tmp_path)
    assert not status.present and status.interviews == 0
    text = deep_dive.qual_status_text(status, ["Aalborg", "Frederikshavn", "Stevns", "Viborg"])
    assert text.startswith("> **Det kvalitative materiale er ikke i datamappen.**")
    assert "Aalborg, Frederikshavn, Stevns og Viborg" in text
    assert all(line.startswith("> ") for line in text.splitlines())


def test_qual_status_counts_what_is_there(tmp_path):
    interviews = tmp_path / "qual" / "interviews"
    interviews.mkdir(parents=True)
    (interviews / "i1.md").write_text(
        "---\ninterview_id: i1\nrole: kursist\nkommune: Viborg\ndeep_dive: true\n---\nI: Hej\n", "utf-8")
    (interviews / "i2.md").write_text(
        "---\ninterview_id: i2\nrole: koordinator\nkommune:\ndeep_dive: false\n---\nI: Hej\n", "utf-8")
    (tmp_path / "qual" / "codebook.yaml").write_text("themes: []\n", "utf-8")
    status = deep_dive.qual_status(tmp_path)
    assert status.present and status.interviews == 2 and status.deep_dive_interviews == 1
    assert status.codebook and not status.segments and status.qdpx == 0
    text = deep_dive.qual_status_text(status, ["Viborg"])
    assert "2 interviewudskrifter (heraf 1 fra deep dives)" in text
    assert "Kodningen mangler" in text
