"""Issue 12, Deliver 4 for the qualitative chapter: no count or share of fewer than `min_cell`
interviews of a role or a deep-dive municipality is published (`small_groups`).

Hand case (13 interviews; roles: kursist k1-k5, koordinator c1-c5, leder l1-l2, fokusgruppe f1):
    sizes 5, 5, 2, 1 -> leder + fokusgruppe have 3 < 5 together, so the smallest large role
    joins them (koordinator: equal to kursist, the later one): columns Kursister (5) and
    "Øvrige: koordinatorer, kommunale ledere og fokusgrupper" (8).
    theme a: every interview            -> 5, 8 | 13  (nothing small)
    theme b: k1-k5, c1                  -> 5, 1 | 6   the 1 is pinned whatever else is hidden
                                           (hiding the 5, known >= 5, leaves 6 - 5 = 1): the
                                           row shows its total only (blank role cells)
    theme c: k1-k3, c1-c5, l1           -> 3, 6 | 9   the 3 hidden «<5», the 6 with it «..»
                                           (9 - x with x >= 5 leaves 1..4 for the 3)
The end-to-end part runs notebook 50 on the synthetic material (instructors, municipal leaders
and focus groups 4 interviews each, 2 per deep-dive municipality) with min_cell 5 and reads
every file and text it publishes.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from helpers import run_notebooks_on

from tpj_helpers.analysis.deep_dive_synthesis import small_groups as G
from tpj_helpers.analysis.deep_dive_synthesis import synthesis as S

MIN_CELL = 5
OTHERS = "Øvrige: koordinatorer, kommunale ledere og fokusgrupper"


@pytest.fixture
def hand():
    roles = (
        [(f"k{i}", "kursist") for i in range(1, 6)]
        + [(f"c{i}", "koordinator") for i in range(1, 6)]
        + [("l1", "leder"), ("l2", "leder"), ("f1", "fokusgruppe")]
    )
    iv = pd.DataFrame(roles, columns=["interview_id", "role"]).assign(
        kommune="Aalborg", deep_dive=False, date=pd.Timestamp("2025-03-01"), text="", path=""
    )
    b = {"k1", "k2", "k3", "k4", "k5", "c1"}
    c = {"k1", "k2", "k3", "c1", "c2", "c3", "c4", "c5", "l1"}
    seg = pd.DataFrame(
        [
            (i, "s1", "Et uddrag.", ["a"] + (["b"] if i in b else []) + (["c"] if i in c else []))
            for i, _ in roles
        ],
        columns=["interview_id", "segment_id", "text", "codes"],
    )
    cb = pd.DataFrame(
        [("a", "", "Tema A"), ("b", "", "Tema B"), ("c", "", "Tema C")],
        columns=["code", "parent", "label"],
    ).assign(definition="")
    return SimpleNamespace(interviews=iv, codebook=cb, segments=seg, source="markdown")


def test_merge_groups_by_hand():
    assert G.merge_groups({"a": 10, "b": 10, "c": 4, "d": 4, "e": 4}, 5) == (
        ["a", "b"],
        ["c", "d", "e"],
    )
    # the small ones have 2 together: the smallest large group joins them
    assert G.merge_groups({"a": 10, "b": 6, "c": 2}, 5) == (["a"], ["b", "c"])
    assert G.merge_groups({"a": 10, "b": 6}, 5) == (["a", "b"], [])
    assert G.merge_groups({"a": 3, "b": 1, "z": 0}, 5) == ([], ["a", "b"])  # no breakdown
    assert G.merge_groups({"a": 7, "z": 0}, 5) == (["a"], [])  # no interviews: left out


@pytest.mark.parametrize(
    ("values", "total", "ok"),
    [
        ((5, 8), 13, True),  # nothing small
        ((10, 0, 4), 14, True),  # hide the 10: 14 - x, x >= 5, leaves 1..4 for the 4
        ((4, 0, 3), 7, False),  # 4 + 3 = 7 with both in 1..4: each is 3 or 4
        ((5, 1), 6, False),  # 6 - x with x >= 5: the 1 is pinned
        ((1, 10, 7), 18, True),
    ],
)
def test_row_protectable_by_hand(values, total, ok):
    assert G.row_protectable(values, total, MIN_CELL) is ok


def test_row_protectable_knows_the_column_sizes():
    # 10 of the kursister's 10, 0, 4: the 10 hidden is at most 10, so the 4 is at least 4
    assert G.row_protectable((10, 0, 4), 14, MIN_CELL, sizes=(10, 10, 12)) is False
    assert G.row_protectable((10, 0, 4), 14, MIN_CELL, sizes=(20, 10, 12)) is True
    # 3 of 5, 6 of 8 (9): the 6 hidden is 5..8, so the 3 is 1..4
    assert G.row_protectable((3, 6), 9, MIN_CELL, sizes=(5, 8)) is True


def test_role_matrix_merges_small_roles_and_blanks_a_pinned_row(hand):
    bd = G.role_matrix(hand, MIN_CELL)
    t = bd.table.set_index(S.THEME_COLUMN)
    assert t.columns.tolist() == ["Kursister", OTHERS, S.TOTAL]
    assert t.loc["Tema A"].tolist() == [5, 8, 13]
    assert t.loc["Tema B"].isna().tolist() == [True, True, False] and t.loc["Tema B", "I alt"] == 6
    assert t.loc["Tema C"].tolist() == [3, 6, 9]
    assert t.loc[S.INTERVIEWS_ROW].tolist() == [5, 8, 13]
    assert bd.count_cols == ["Kursister", OTHERS]
    # a, c: the sum and each cell at most its column's interviews; the interviews row: its sum;
    # nothing for the blanked b
    assert len(bd.relations) == 2 * 3 + 1
    assert "slået sammen" in bd.note and "Tomme felter" in bd.note


def test_role_matrix_through_the_publisher(hand, tmp_path):
    from tpj_helpers.publish.publisher import Publisher

    bd = G.role_matrix(hand, MIN_CELL)
    pub = Publisher(tmp_path, "50_test", MIN_CELL)
    safe = pub.table(
        bd.table, "qual_theme_role", "kilde", count_cols=bd.count_cols, relations=bd.relations
    ).set_index(S.THEME_COLUMN)
    assert safe.loc["Tema A", ["Kursister", OTHERS]].tolist() == [5, 8]
    assert safe.loc["Tema C", ["Kursister", OTHERS]].isna().all()  # «<5» and «..»
    csv = pd.read_csv(tmp_path / "tables" / "qual_theme_role.csv")
    body = csv[["Kursister", OTHERS]].to_numpy().ravel()
    assert not ((body > 0) & (body < MIN_CELL)).any()
    from tpj_helpers.publish.audit import audit_run

    audit = audit_run(tmp_path, write=False)
    assert len(audit.cells) == 2 and len(audit.breaches) == 0  # Tema C's two cells


def test_no_breakdown_when_no_role_has_min_cell_interviews(hand):
    bd = G.role_matrix(hand, min_cell=14)  # 13 interviews in all
    assert bd.table.columns.tolist() == [S.THEME_COLUMN, S.TOTAL] and bd.count_cols == []
    assert "fordeles ikke på rolle" in bd.note
    fig = S.plot_heatmap(bd.table, xlabel="Rolle")  # the figure cell still shows an image
    assert "interviews nok" in fig.axes[0].texts[0].get_text()


def test_contrast_only_from_fully_shown_rows():
    table = pd.DataFrame(
        {
            S.THEME_COLUMN: ["X", "Y", S.INTERVIEWS_ROW],
            "Kursister": [10, None, 10],
            OTHERS: [0, 6, 12],
            S.TOTAL: [10, 9, 22],
        }
    )
    assert G.contrast(table, "X") == (
        "Temaet fylder mest hos kursister (10 af 10 interviews) og mindst hos de øvrige roller "
        "(koordinatorer, kommunale ledere og fokusgrupper) (0 af 12)."
    )
    assert G.contrast(table, "Y") == ""  # a hidden cell in the row: nothing said
    kommuner = pd.DataFrame(
        {S.THEME_COLUMN: ["X", S.INTERVIEWS_ROW], "Aalborg": [6, 6], "Stevns": [0, 5]}
    )
    assert G.contrast(kommuner, "X", municipal=True) == (
        "Blandt deep dive-kommunerne fylder temaet mest i Aalborg (6 af 6 interviews) og mindst "
        "i Stevns (0 af 5)."
    )


def test_role_names_without_counts():
    sizes = {"kursist": 10, "koordinator": 10, "leder": 4, "fokusgruppe": 4}
    assert G.role_names_text({"kursist": 7, "leder": 1}, sizes) == "kursister, øvrige roller"
    assert G.role_names_text({"koordinator": 3}, sizes) == "koordinatorer"
    assert G.role_names_text({"kursist": 2}, {"kursist": 2, "leder": 1}) == ""


def test_role_names_do_not_bound_a_role_below_the_rule():
    # a theme in 7 interviews, named for two role groups: each is 1..6, which holds 1..4 (min_cell
    # 5) but not 1..9 (min_cell 10, where the names are left out); a theme in 3 interviews named
    # for two groups makes each 1..2: left out at min_cell 5 too
    sizes = {"kursist": 10, "koordinator": 10, "leder": 4, "fokusgruppe": 4, "instruktør": 4}
    roles = {"kursist": 4, "fokusgruppe": 3}
    assert G.role_names_text(roles, sizes, 5, total=7) == "kursister, øvrige roller"
    big = {"kursist": 10, "koordinator": 10, "leder": 12}
    assert G.role_names_text({"kursist": 4, "leder": 3}, big, 10, total=7) == ""
    assert G.role_names_text({"kursist": 2, "koordinator": 1}, sizes, 5, total=3) == ""
    # one group named is the whole total: 3 of 3 is a count of 3; 7 of 7 may be shown
    assert G.role_names_text({"kursist": 3}, sizes, 5, total=3) == ""
    assert G.role_names_text({"kursist": 7}, sizes, 5, total=7) == "kursister"


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Notebook 50 on the hand-made study folder plus the synthetic `qual/`, min_cell 5."""
    from test_coverage import write_study

    from tpj_helpers.synthetic.qual import make_qual

    tmp = tmp_path_factory.mktemp("qsg")
    data = write_study(tmp / "data")
    make_qual(data, seed=7)
    result = run_notebooks_on(
        data, tmp, ["50_deep_dive_synthesis"], min_cell=MIN_CELL, quotes_require_approval=False
    )
    assert result.ok, result.notebooks[0].error
    return result.run_dir


def _small(values) -> list:
    v = pd.to_numeric(pd.Series(values), errors="coerce")
    return v[(v > 0) & (v < MIN_CELL)].tolist()


@pytest.mark.parametrize(
    "file",
    ["tables/qual_theme_role.csv", "figures/qual_theme_role.csv"],
)
def test_role_breakdown_has_no_small_group_and_no_small_count(run_dir, file):
    df = pd.read_csv(run_dir / file).set_index(S.THEME_COLUMN)
    groups = df.drop(columns=[S.TOTAL])
    assert len(groups.columns) >= 1
    assert (groups.loc[S.INTERVIEWS_ROW] >= MIN_CELL).all()  # every column >= min_cell
    assert _small(groups.to_numpy().ravel()) == []
    # the synthetic material has 4 instructors, 4 municipal leaders and 4 focus groups
    assert any(c.startswith("Øvrige: ") for c in groups.columns)
    assert not {"Instruktører", "Kommunale ledere", "Fokusgrupper"} & set(groups.columns)


def test_table_and_figure_hide_the_same_cells(run_dir):
    t = pd.read_csv(run_dir / "tables" / "qual_theme_role.csv")
    f = pd.read_csv(run_dir / "figures" / "qual_theme_role.csv")
    pd.testing.assert_frame_equal(t, f)


def test_municipality_breakdown_has_no_small_group(run_dir):
    df = pd.read_csv(run_dir / "tables" / "qual_theme_municipality.csv").set_index(S.THEME_COLUMN)
    assert (df.loc[S.INTERVIEWS_ROW] >= MIN_CELL).all()  # 2 per municipality: none alone
    assert _small(df.to_numpy().ravel()) == []
    assert not {"Aalborg", "Frederikshavn", "Stevns", "Viborg"} & set(df.columns)


def test_personas_publish_no_rating_or_n_of_few_interviews(run_dir):
    p = pd.read_csv(run_dir / "figures" / "qual_personas.csv")
    assert _small(p["n"]) == []
    assert p.loc[p["n"].isna(), "mean"].isna().all()
    assert p.loc[p["role"] == "leder", "n"].isna().all()  # 4 municipal leaders


def test_recommendations_name_role_groups_without_counts(run_dir):
    recs = pd.read_csv(run_dir / "tables" / "qual_recommendations.csv")
    roles = recs["Roller"].fillna("")
    assert not roles.str.contains(r"\d").any()
    assert not roles.str.contains("kommunale ledere|fokusgrupper|instruktører").any()


def _chapter_text(run_dir) -> str:
    nb = json.loads((run_dir / "notebooks" / "50_deep_dive_synthesis.ipynb").read_text("utf-8"))
    out = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            out.append("".join(o.get("data", {}).get("text/markdown", "")))
            out.append("".join(o.get("text", "")))
    return "\n".join(out)


def test_texts_print_no_share_of_few_interviews(run_dir):
    text = _chapter_text(run_dir)
    # no "x af y" with y under min_cell, and no count under min_cell beside a role group
    for x, y in re.findall(r"(\d+) af (\d+)", text):
        assert int(y) >= MIN_CELL, f"{x} af {y}"
    for m in re.finditer(r"(?:hos|i) [^()]*\((\d+) af (\d+)", text):
        assert not 0 < int(m.group(1)) < MIN_CELL, m.group(0)
    # the output checker's pattern for a small count printed in prose, for the role words (a
    # count of interviews over all interviews, e.g. a recommendation's, describes no group)
    small = re.findall(
        r"(?<![\d,.])([1-4])\s+(?:ledere|koordinatorer|instruktører|kursister|fokusgrupper)", text
    )
    assert small == []
    # a persona (a role) is given its number of interviews only from min_cell on
    for m in re.finditer(r"\*\*[^*]+\((\d+) interviews\)", text):
        assert int(m.group(1)) >= MIN_CELL, m.group(0)
    assert "(4 af 4" not in text and "Kommunale ledere 4" not in text


def test_audit_of_the_chapter_passes(run_dir):
    from tpj_helpers.publish.audit import audit_run

    audit = audit_run(run_dir, write=False)
    assert len(audit.breaches) == 0
    assert (audit.cells["table"] == "tables/qual_theme_role.csv").any()  # declared and hidden


def test_summary_ranks_only_fully_shown_role_columns():
    """The resumé (notebook 90) reads the role table: a column with a hidden cell, or a group
    whose roles were merged, gets no "taler oftest om" (it would bound the hidden cells)."""
    from tpj_helpers.analysis.summary import findings

    def run(table):
        return SimpleNamespace(table=lambda name: table if name == "qual_theme_role" else None)

    merged = pd.DataFrame(
        {
            "Tema": ["Kursets format", "Instruktørerne", "Interviews i alt"],
            "Kursister": [10, None, 10],  # hidden («..»)
            "Koordinatorer": [8, 0, 10],
            OTHERS: [8, None, 12],
            "I alt": [26, 14, 32],
        }
    )
    text = findings.qual_themes(run(merged), {})
    assert text == (
        "De temaer, der går igen i flest interviews, er kursets format (26 interviews) og "
        "instruktørerne (14 interviews)."
    )
    shown = merged.assign(Kursister=[10, 9, 10])
    text = findings.qual_themes(run(shown), {})
    assert "Kursisterne taler oftest om kursets format (10 interviews)" in text
    assert "kommunernes folk" not in text  # leaders and focus groups are merged


def test_role_contrasts_only_for_rows_the_table_shows_in_full(run_dir):
    role = pd.read_csv(run_dir / "tables" / "qual_theme_role.csv").set_index(S.THEME_COLUMN)
    text = _chapter_text(run_dir)
    said = [p.split("**")[1] for p in text.split("\n\n") if "Temaet fylder mest hos" in p]
    assert said  # the synthetic material has one (seed 7)
    for label in said:
        assert role.loc[label].notna().all(), label


def test_municipality_matrix_merges_small_municipalities(hand, tmp_path):
    """Deep dives: Aalborg k1-k5 (5), Stevns c1-c5 (5), Viborg l1, l2, f1 (3). Viborg alone is
    too small, so Stevns (equal to Aalborg, the later one) joins it: Aalborg | Øvrige: Stevns og
    Viborg (8) | I alt (13). Theme C (k1-k3, c1-c5, l1): 3 | 6 | 9, the 3 hidden and protected."""
    from tpj_helpers.publish.audit import audit_run
    from tpj_helpers.publish.publisher import Publisher

    kommune = {**dict.fromkeys(["k1", "k2", "k3", "k4", "k5"], "Aalborg")}
    kommune |= dict.fromkeys(["c1", "c2", "c3", "c4", "c5"], "Stevns")
    kommune |= dict.fromkeys(["l1", "l2", "f1"], "Viborg")
    hand.interviews["kommune"] = hand.interviews["interview_id"].map(kommune)
    hand.interviews["deep_dive"] = True
    bd = G.municipality_matrix(hand, ["Aalborg", "Frederikshavn", "Stevns", "Viborg"], MIN_CELL)
    t = bd.table.set_index(S.THEME_COLUMN)
    others = "Øvrige: Stevns og Viborg"
    assert t.columns.tolist() == ["Aalborg", others, S.TOTAL]
    assert t.loc["Tema A"].tolist() == [5, 8, 13]
    assert t.loc["Tema C"].tolist() == [3, 6, 9]
    assert bd.count_cols == ["Aalborg", others, S.TOTAL] and "slået sammen" in bd.note
    pub = Publisher(tmp_path, "50_test", MIN_CELL)
    safe = pub.table(
        bd.table, "qual_theme_municipality", "k", count_cols=bd.count_cols, relations=bd.relations
    ).set_index(S.THEME_COLUMN)
    assert pd.isna(safe.loc["Tema C", "Aalborg"])
    assert safe.loc["Tema A"].tolist() == [5, 8, 13]
    assert len(audit_run(tmp_path, write=False).breaches) == 0
