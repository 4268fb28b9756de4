"""The qualitative synthesis on a hand-made set of six interviews (every number counted by hand).

Interviews (role, kommune, deep dive) and the themes of their segments:
    i1 koordinator Aalborg  yes  s1 format/online | s2 koordinator + opfoelgning | s3 persona 5/4/4
    i2 koordinator Stevns   yes  s1 koordinator | s2 persona 3/4/2
    i3 leder       Aalborg  yes  s1 opfoelgning + redskaber/handleplan | s2 persona 2/3/3
    i4 kursist     ""       no   s1 format/chat + redskaber | s2 format/online | s3 persona 4/5/5
    i5 kursist     Viborg   yes  s1 redskaber/handleplan | s2 persona 2/3/4
    i6 sagsbehandler Stevns yes  s1 opfoelgning
(persona a/b/c = naerhed/relevans/udbytte)

Interviews per theme and role:
    format       koordinator 1 (i1), kursist 1 (i4)                       -> 2
    redskaber    leder 1 (i3), kursist 2 (i4, i5)                         -> 3
    opfoelgning  koordinator 1 (i1), leder 1 (i3), sagsbehandler 1 (i6)  -> 3
    koordinator  koordinator 2 (i1, i2)                                   -> 2
Interviews per role: kursist 2, koordinator 2, sagsbehandler 1, leder 1 (6).
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from tpj_helpers.analysis.deep_dive_synthesis import synthesis as qa

matplotlib.use("Agg")

INTERVIEWS = [
    ("i1", "koordinator", "Aalborg", True),
    ("i2", "koordinator", "Stevns", True),
    ("i3", "leder", "Aalborg", True),
    ("i4", "kursist", "", False),
    ("i5", "kursist", "Viborg", True),
    ("i6", "sagsbehandler", "Stevns", True),
]
CODEBOOK = [
    ("format", "", "Onlineformatet"),
    ("format/online", "format", "Deltagelse hjemmefra"),
    ("format/chat", "format", "Chatten"),
    ("redskaber", "", "Redskaber og handleplaner"),
    ("redskaber/handleplan", "redskaber", "Handleplaner"),
    ("opfoelgning", "", "Opfølgning efter kurset"),
    ("koordinator", "", "Koordinatorrollen"),
    ("persona", "", "Personavurderinger"),
]


def persona(a, b, c):
    return [f"persona/naerhed/{a}", f"persona/relevans/{b}", f"persona/udbytte/{c}"]


SEGMENTS = [
    (
        "i1",
        "s1",
        "Det er nemt at komme i gang, når man bare logger på hjemmefra uden kamera.",
        ["format/online"],
    ),
    (
        "i1",
        "s2",
        "Jeg minder kollegerne om kurset på hvert eneste teammøde, og så følger vi op bagefter.",
        ["koordinator", "opfoelgning"],
    ),
    ("i1", "s3", "Vurdering.", persona(5, 4, 4)),
    (
        "i2",
        "s1",
        "Det kræver, at nogen holder fast i tilbuddet og bliver ved med at fortælle om det.",
        ["koordinator"],
    ),
    ("i2", "s2", "Vurdering.", persona(3, 4, 2)),
    (
        "i3",
        "s1",
        "Handleplanerne kunne vi godt bruge i de samtaler, vi har med borgerne efter kurset.",
        ["opfoelgning", "redskaber/handleplan"],
    ),
    ("i3", "s2", "Vurdering.", persona(2, 3, 3)),
    (
        "i4",
        "s1",
        "Chatten gik lidt langsomt, men øvelserne til hver uge var gode at have.",
        ["format/chat", "redskaber"],
    ),
    (
        "i4",
        "s2",
        "Jeg kunne sidde i mit eget køkken og være med, det betød alt for mig.",
        ["format/online"],
    ),
    ("i4", "s3", "Vurdering.", persona(4, 5, 5)),
    (
        "i5",
        "s1",
        "Mette fra Aalborg Kommune sagde, at jeg skulle lave en plan for hver uge, og det hjalp.",
        ["redskaber/handleplan"],
    ),
    ("i5", "s2", "Vurdering.", persona(2, 3, 4)),
    (
        "i6",
        "s1",
        "Vi mangler et fast forløb for, hvad der skal ske med borgeren, når kurset er slut.",
        ["opfoelgning"],
    ),
]


@pytest.fixture
def qual():
    iv = pd.DataFrame(INTERVIEWS, columns=["interview_id", "role", "kommune", "deep_dive"])
    iv = iv.assign(date=pd.Timestamp("2025-03-01"), text="", path="")
    cb = pd.DataFrame(CODEBOOK, columns=["code", "parent", "label"]).assign(definition="")
    seg = pd.DataFrame(SEGMENTS, columns=["interview_id", "segment_id", "text", "codes"])
    return SimpleNamespace(interviews=iv, codebook=cb, segments=seg, source="markdown")


def test_themes_are_top_level_codes_without_persona(qual):
    th = qa.themes(qual)
    assert th["theme"].tolist() == ["format", "redskaber", "opfoelgning", "koordinator"]
    assert qa.theme_of("format/online") == "format" and qa.theme_of("persona/naerhed/3") is None


def test_theme_role_matrix_by_hand(qual):
    m = qa.theme_matrix(qual).set_index(qa.THEME_COLUMN)
    assert m.columns.tolist() == [
        "Kursister",
        "Koordinatorer",
        "Sagsbehandlere",
        "Kommunale ledere",
        qa.TOTAL,
    ]
    assert m.loc["Onlineformatet"].tolist() == [1, 1, 0, 0, 2]
    assert m.loc["Redskaber og handleplaner"].tolist() == [2, 0, 0, 1, 3]
    assert m.loc["Opfølgning efter kurset"].tolist() == [0, 1, 1, 1, 3]
    assert m.loc["Koordinatorrollen"].tolist() == [0, 2, 0, 0, 2]
    assert m.loc[qa.INTERVIEWS_ROW].tolist() == [2, 2, 1, 1, 6]


def test_theme_municipality_matrix_by_hand(qual):
    m = qa.theme_matrix(
        qual,
        by="kommune",
        columns=["Aalborg", "Frederikshavn", "Stevns", "Viborg"],
        deep_dive_only=True,
    ).set_index(qa.THEME_COLUMN)
    assert m.loc["Onlineformatet"].tolist() == [1, 0, 0, 0, 1]  # i4 is no deep dive
    assert m.loc["Redskaber og handleplaner"].tolist() == [1, 0, 0, 1, 2]
    assert m.loc["Opfølgning efter kurset"].tolist() == [2, 0, 1, 0, 3]
    assert m.loc["Koordinatorrollen"].tolist() == [1, 0, 1, 0, 2]
    assert m.loc[qa.INTERVIEWS_ROW].tolist() == [2, 0, 2, 1, 5]


def test_cooccurrence_by_hand(qual):
    iv = qa.cooccurrence(qual).set_index(qa.THEME_COLUMN)
    f, r, o, k = (
        "Onlineformatet",
        "Redskaber og handleplaner",
        "Opfølgning efter kurset",
        "Koordinatorrollen",
    )
    assert [iv.loc[f, f], iv.loc[r, r], iv.loc[o, o], iv.loc[k, k]] == [2, 3, 3, 2]
    assert iv.loc[f, r] == 1 and iv.loc[f, o] == 1 and iv.loc[f, k] == 1  # i4; i1; i1
    assert iv.loc[r, o] == 1 and iv.loc[r, k] == 0 and iv.loc[o, k] == 1  # i3; -; i1
    assert (iv.to_numpy() == iv.to_numpy().T).all()
    seg = qa.cooccurrence(qual, level="segment").set_index(qa.THEME_COLUMN)
    assert seg.loc[f, f] == 3 and seg.loc[r, r] == 3  # i1s1, i4s1, i4s2; i3s1, i4s1, i5s1
    assert seg.loc[f, r] == 1 and seg.loc[f, o] == 0 and seg.loc[o, k] == 1 and seg.loc[r, o] == 1


def test_heatmaps_draw(qual):
    fig = qa.plot_heatmap(qa.theme_matrix(qual), xlabel="Rolle")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "Kursister\n(N = 2)" and len(labels) == 4  # no "I alt" column
    fig = qa.plot_heatmap(qa.cooccurrence(qual), share_of_column=False, triangle=True)
    assert len(fig.axes[0].get_yticklabels()) == 4


def test_persona_means_by_hand(qual):
    m = qa.persona_means(qual).set_index(["role", "axis"])
    assert m.loc[("koordinator", "naerhed"), "mean"] == pytest.approx(4.0)  # (5 + 3) / 2
    assert m.loc[("koordinator", "relevans"), "mean"] == pytest.approx(4.0)
    assert m.loc[("koordinator", "udbytte"), "mean"] == pytest.approx(3.0)  # (4 + 2) / 2
    assert m.loc[("leder", "naerhed"), "mean"] == pytest.approx(2.0)
    assert m.loc[("kursist", "naerhed"), "mean"] == pytest.approx(3.0)  # (4 + 2) / 2
    assert m.loc[("kursist", "udbytte"), "mean"] == pytest.approx(4.5)  # (5 + 4) / 2
    assert m.loc[("kursist", "udbytte"), "n"] == 2 and m.loc[("leder", "udbytte"), "n"] == 1
    fig = qa.plot_personas(qa.persona_means(qual))
    assert len(fig.axes) == 3 and sum(len(ax.patches) for ax in fig.axes) == 9
    table = qa.persona_table(qa.persona_means(qual))
    assert table["Persona"].tolist() == ["Koordinatoren", "Den kommunale leder", "Kursisten"]
    assert table["Interviews"].tolist() == [2, 1, 2]


def test_persona_without_ratings_is_nan(qual):
    qual.segments = qual.segments[
        ~((qual.segments["interview_id"] == "i3") & (qual.segments["segment_id"] == "s2"))
    ]
    m = qa.persona_means(qual).set_index(["role", "axis"])
    assert np.isnan(m.loc[("leder", "naerhed"), "mean"]) and m.loc[("leder", "naerhed"), "n"] == 0


def test_persona_text_from_the_data(qual):
    bank = qa.quotes(qual)
    text = qa.persona_text(qual, qa.persona_means(qual), bank)
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("**Koordinatoren** (2 interviews)")
    assert "nærhed til projektet 4,0" in paragraphs[0]
    assert "koordinatorrollen (2 af 2)" in paragraphs[0]
    assert "– Koordinator" in paragraphs[0]
    kursist = paragraphs[2]
    assert "redskaber og handleplaner (2 af 2)" in kursist and "– Kursist" in kursist
    assert "Mette" not in text and "Aalborg" not in text


def test_quote_bank_ranks_and_pseudonymises(qual):
    bank = qa.quotes(qual, per_theme=2)
    red = bank[bank["theme"] == "redskaber"]
    # candidates: i5s1 (kursist, 1 theme), i3s1 (leder, 2 themes, 83 characters), i4s1 (kursist,
    # 2 themes, 71): the single-themed first; then a role not yet quoted (leder) before the shorter
    assert red["interview_id"].tolist() == ["i5", "i3"]
    assert red["quote"].iloc[0].startswith("[navn] fra [kommune] sagde")
    assert set(bank["label"]) <= {"Koordinator", "Kursist", "Kommunal leder", "Sagsbehandler"}
    assert not bank["quote"].str.contains("Vurdering").any()  # too short
    assert qa.quote_table(bank).columns.tolist() == [qa.THEME_COLUMN, "Citat", "Rolle"]


LINKS = [
    {"id": "l_format", "themes": ["format"], "indicator": "completion_rate", "label": "Gennemført"},
    {
        "id": "l_tools",
        "themes": ["redskaber", "opfoelgning"],
        "indicator": "completion_rate",
        "label": "Mål",
    },
]
VALUES = pd.DataFrame(
    [
        {
            "id": "l_format",
            "label": "Gennemført",
            "value": 0.8,
            "n": 50,
            "text": "80 %",
            "source": "A",
        },
        {"id": "l_tools", "label": "Mål", "value": 0.5, "n": 3, "text": "50 %", "source": "B"},
    ]
)


def test_triangulation_table_by_hand(qual):
    t = qa.triangulation_table(qual, LINKS, VALUES, min_cell=5)
    assert t.columns.tolist() == [qa.THEME_COLUMN, "Interviews", "Indikator", "Værdi", "N", "Kilde"]
    assert t[qa.THEME_COLUMN].tolist() == [
        "Onlineformatet",
        "Redskaber og handleplaner; Opfølgning efter kurset",
    ]
    assert t["Interviews"].tolist() == [2, 5]  # i1, i4; i3, i4, i5 or i1, i3, i6
    assert t["Værdi"].tolist() == ["80 %", "<5"]  # resting on 3 persons: hidden


def test_recommendation_evidence_by_hand(qual):
    recs = [
        {
            "id": "a",
            "title": "A",
            "text": "",
            "themes": ["format", "redskaber"],
            "indicators": ["l_format"],
        },
        {"id": "b", "title": "B", "text": "", "themes": ["opfoelgning"], "indicators": []},
    ]
    ev = qa.recommendation_evidence(qual, recs).set_index("id")
    assert ev.loc["a", "per_theme"] == {"format": 2, "redskaber": 3}
    assert ev.loc["a", "interviews"] == 4  # i1, i4 | i3, i4, i5
    assert ev.loc["a", "roles"] == {"kursist": 2, "koordinator": 1, "leder": 1}
    assert ev.loc["b", "interviews"] == 3
    assert ev.loc["b", "roles"] == {"koordinator": 1, "sagsbehandler": 1, "leder": 1}
    codes = [
        {"id": "c", "title": "C", "text": "", "themes": ["redskaber/handleplan", "format/online"]}
    ]
    ev = qa.recommendation_evidence(qual, codes).iloc[0]
    assert ev["per_theme"] == {"redskaber/handleplan": 2, "format/online": 2}  # i3, i5; i1, i4
    assert ev["interviews"] == 4 and ev["roles"] == {"kursist": 2, "koordinator": 1, "leder": 1}
    assert (
        qa.recommendation_table(qual, codes).loc[0, "Temaer (interviews)"]
        == "Handleplaner (2); Deltagelse hjemmefra (2)"
    )
    t = qa.recommendation_table(qual, recs, VALUES)
    assert t.loc[0, "Temaer (interviews)"] == "Onlineformatet (2); Redskaber og handleplaner (3)"
    # no role has min_cell (5) interviews: no breakdown by role (small_groups.role_names_text)
    assert t.loc[0, "Roller"] == ""
    t1 = qa.recommendation_table(qual, recs, VALUES, min_cell=1)
    assert t1.loc[0, "Roller"] == "kursister, koordinatorer, kommunale ledere"  # no counts
    # min_cell 2: sagsbehandler (1) and leder (1) merged; b: koordinator i1 and i6, i3 merged
    t2 = qa.recommendation_table(qual, recs, VALUES, min_cell=2)
    assert t2["Roller"].tolist() == [
        "kursister, koordinatorer, øvrige roller",  # a: i4, i5 | i1 | i3 (leder)
        "koordinatorer, øvrige roller",  # b: i1 | i3, i6
    ]
    assert t.loc[0, "Indikatorer"] == "Gennemført: 80 %"
    assert t["Interviews"].tolist() == [4, 3]


def test_shipped_yaml_files_agree():
    links = qa.load_links()
    recs = qa.load_recommendations(links=links)
    assert 8 <= len(recs) <= 10
    assert all(r["themes"] for r in recs)
    assert len({link["id"] for link in links}) == len(links)


def test_unknown_indicator_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("links:\n  - {id: x, themes: [a], indicator: nope, label: X}\n", "utf-8")
    with pytest.raises(ValueError, match="unknown indicator"):
        qa.load_links(path)


def test_load_without_qual_folder_is_none(tmp_path):
    assert qa.load(tmp_path) is None


def test_synthesis_text(qual):
    text = qa.synthesis_text(qual)
    assert text.startswith("Materialet rummer 6 interviews og 4 temaer.")
    assert "redskaber og handleplaner (3 af 6)" in text
    assert "Det tema, hver rolle" not in text  # only from the published role table
    shown = qa.theme_matrix(qual)  # every count shown
    text = qa.synthesis_text(qual, role_table=shown)
    assert "koordinatorer: koordinatorrollen" in text and "kursister: redskaber" in text
    shown.loc[0, "Koordinatorer"] = None  # a hidden cell: the column ranks nothing
    text = qa.synthesis_text(qual, role_table=shown)
    assert "koordinatorer:" not in text and "kursister: redskaber" in text


def test_indicator_values_by_hand():
    persons = pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "kommune": ["Aalborg", "Aalborg", "Aalborg", "Stevns", "Viborg"],
            "status": ["gennemført", "afmeldt", "gennemført", "gennemført", "afmeldt"],
        }
    )
    data = SimpleNamespace(persons=persons)
    links = [
        {"id": "c", "themes": ["format"], "indicator": "completion_rate", "label": "G"},
        {"id": "k", "themes": ["koordinator"], "indicator": "persons_per_kommune", "label": "K"},
        {
            "id": "s",
            "themes": ["x"],
            "indicator": "survey_share",
            "survey_indicator": "nope",
            "label": "S",
        },
    ]
    v = qa.indicator_values(data, links).set_index("id")
    assert v.loc["c", "value"] == pytest.approx(3 / 5) and v.loc["c", "n"] == 5
    assert v.loc["c", "text"] == "60\u00a0%"
    assert v.loc["k", "value"] == 1.0  # persons per kommune 3, 1, 1: median 1
    assert v.loc["k", "text"] == "median 1 pr. kommune (3 kommuner)"
    assert v.loc["s", "text"].startswith("kan ikke beregnes")  # no surveys: reported, not raised
