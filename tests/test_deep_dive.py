"""Deep-dive municipalities: counts per municipality by hand, and the qualitative status box."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest
from helpers import run_notebooks_on

from tpj_helpers.analysis.deep_dive_synthesis import context as deep_dive

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
    ov = deep_dive.municipality_overview(data, ["Aalborg", "Frederikshavn", "Stevns"]).set_index(
        "kommune"
    )
    assert ov.index.tolist() == [
        "Aalborg",
        "Frederikshavn",
        "Stevns",
        deep_dive.OTHERS,
        deep_dive.TOTAL,
    ]
    assert ov["participants"].tolist() == [3, 0, 1, 3, 7]
    assert ov["completed"].tolist() == [2, 0, 1, 2, 5]
    assert ov["in_register"].tolist() == [2, 0, 1, 1, 4]
    assert ov.loc["Aalborg", "completion_rate"] == pytest.approx(2 / 3)
    assert math.isnan(ov.loc["Frederikshavn", "completion_rate"])  # no participants
    assert ov.loc[deep_dive.TOTAL, "completion_rate"] == pytest.approx(5 / 7)
    assert ov["deep_dive"].tolist() == [True, True, True, False, False]
    table = deep_dive.overview_table(ov.reset_index())
    assert table.columns.tolist() == [
        "Kommune",
        "Deltagere",
        "Gennemført",
        "Gennemført, %",
        "I registeranalysen",
    ]
    assert table["Gennemført, %"].iloc[0] == pytest.approx(200 / 3)
    assert deep_dive.source_line(data).endswith("N = 7 kursister")


def test_plot_overview_draws_three_bars_per_row(data):
    ov = deep_dive.municipality_overview(data, ["Aalborg", "Stevns"])
    ov = ov[ov["kommune"] != deep_dive.TOTAL].astype({"in_register": object})
    ov.loc[1, "in_register"] = None  # a suppressed count: the hatched marker, «skjult»
    fig = deep_dive.plot_overview(ov)
    patches = fig.axes[0].patches
    assert len([p for p in patches if not p.get_hatch()]) == 3 * 3
    marks = [p for p in patches if p.get_hatch()]
    assert len(marks) == 1
    # row 2 (Stevns), third bar (in the register analysis): y = 1 + 0.26, the bar's height 0.26
    assert marks[0].get_y() + marks[0].get_height() / 2 == pytest.approx(1.26)
    assert " skjult" in [t.get_text() for t in fig.axes[0].texts]


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
        "---\ninterview_id: i1\nrole: kursist\nkommune: Viborg\ndeep_dive: true\n---\nI: Hej\n",
        "utf-8",
    )
    (interviews / "i2.md").write_text(
        "---\ninterview_id: i2\nrole: koordinator\nkommune:\ndeep_dive: false\n---\nI: Hej\n",
        "utf-8",
    )
    (tmp_path / "qual" / "codebook.yaml").write_text("themes: []\n", "utf-8")
    status = deep_dive.qual_status(tmp_path)
    assert status.present and status.interviews == 2 and status.deep_dive_interviews == 1
    assert status.codebook and not status.segments and status.qdpx == 0
    text = deep_dive.qual_status_text(status, ["Viborg"])
    assert "2 interviewudskrifter (heraf 1 fra deep dives)" in text
    assert "Kodningen mangler" in text


# --------------------------------------------------------------------------- the notebook


@pytest.fixture(scope="module")
def no_qual_run(tmp_path_factory):
    """The synthesis notebook end to end on the hand-made study folder, which has no `qual/`."""
    from test_coverage import write_study

    tmp = tmp_path_factory.mktemp("dd")
    data = write_study(tmp / "data")
    assert not (data / "qual").exists()
    result = run_notebooks_on(data, tmp, ["50_deep_dive_synthesis"], min_cell=1)
    assert result.ok, result.notebooks[0].error
    return result.run_dir


def _cell_markdown(nb: dict, label: str) -> str:
    for cell in nb["cells"]:
        if f"#| label: {label}" in "".join(cell["source"]):
            return "\n".join(
                "".join(o.get("data", {}).get("text/markdown", "")) for o in cell.get("outputs", [])
            )
    raise KeyError(label)


def test_notebook_without_qual_folder_says_so(no_qual_run):
    import json

    nb = json.loads((no_qual_run / "notebooks" / "50_deep_dive_synthesis.ipynb").read_text("utf-8"))
    assert "Det kvalitative materiale er ikke i datamappen" in _cell_markdown(nb, "txt-qual-status")
    assert "Det kvalitative materiale er ikke i datamappen" in _cell_markdown(
        nb, "txt-qual-synthesis"
    )
    assert "ikke i datamappen" in _cell_markdown(nb, "tbl-qual-theme-role")
    # every figure cell still shows an image (the renderer requires one) and the recommendations
    # are listed from params/recommendations.yaml
    for name in ("qual_theme_role", "qual_cooccurrence", "qual_personas"):
        assert (no_qual_run / "figures" / f"{name}.png").is_file()
    assert _cell_markdown(nb, "txt-qual-recommendations").startswith("1. **")
    assert (no_qual_run / "tables" / "deep_dive_municipalities.csv").is_file()


def test_stored_notebook_has_no_outputs_and_ids():
    import json

    from tpj_helpers.paths import REPO_ROOT

    nb = json.loads((REPO_ROOT / "notebooks" / "50_deep_dive_synthesis.ipynb").read_text("utf-8"))
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids) and ids[:7] == [f"50-0{i}" for i in range(7)]
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )


@pytest.fixture(scope="module")
def qual_run(tmp_path_factory):
    """The synthesis notebook end to end on the hand-made study folder plus synthetic `qual/`."""
    from test_coverage import write_study

    from tpj_helpers.synthetic.qual import make_qual

    tmp = tmp_path_factory.mktemp("ddq")
    data = write_study(tmp / "data")
    make_qual(data, seed=7)
    # the hand-made folder is not flagged synthetic: quotes would await an evaluator's approval
    result = run_notebooks_on(
        data, tmp, ["50_deep_dive_synthesis"], min_cell=1, quotes_require_approval=False
    )
    assert result.ok, result.notebooks[0].error
    return result.run_dir, data


def test_notebook_with_qual_folder_publishes_the_synthesis(qual_run):
    import json

    from tpj_helpers.synthetic.qual import FIRST_NAMES, STREETS

    run_dir, data = qual_run
    n_interviews = len(list((data / "qual" / "interviews").glob("*.md")))
    role = pd.read_csv(run_dir / "tables" / "qual_theme_role.csv").set_index("Tema")
    assert role.loc["Interviews i alt", "I alt"] == n_interviews
    assert (role.drop(index="Interviews i alt")["I alt"] <= n_interviews).all()
    quotes = pd.read_csv(run_dir / "tables" / "qual_quotes.csv")
    assert len(quotes) and not quotes["Citat"].str.contains("|".join(FIRST_NAMES + STREETS)).any()
    assert set(quotes["Rolle"]) <= {
        "Kursist",
        "Koordinator",
        "Instruktør",
        "Sagsbehandler",
        "Kommunal leder",
        "Fokusgruppe",
    }
    recs = pd.read_csv(run_dir / "tables" / "qual_recommendations.csv")
    assert len(recs) == 9 and (recs["Interviews"] > 0).all()
    assert len(pd.read_csv(run_dir / "figures" / "qual_personas.csv")) == 9
    tri = pd.read_csv(run_dir / "tables" / "qual_triangulation.csv")
    assert tri["Værdi"].notna().all()
    nb = json.loads((run_dir / "notebooks" / "50_deep_dive_synthesis.ipynb").read_text("utf-8"))
    assert _cell_markdown(nb, "txt-qual-personas").startswith("**Koordinatoren (")
    themes = _cell_markdown(nb, "txt-qual-themes")
    assert themes.startswith("**") and "af " in themes and "interviews)." in themes
    recs_text = _cell_markdown(nb, "txt-qual-recommendations")
    assert recs_text.startswith("Evalueringens data") and recs_text.count("*Vurdering: ") == 9
    assert "Vurdering" in recs.columns and set(recs["Vurdering"]) <= {
        "understøttet",
        "delvist understøttet",
        "modsagt af data",
    }
    assert "Syntesen nedenfor" in _cell_markdown(nb, "txt-qual-status")
