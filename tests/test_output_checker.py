"""The independent output checker (`benchmarks/output_checker.py`, issue 12 part B) and the leaks
it found, each closed in the suite.

The checker is tested on hand-made run folders whose hidden cells can be worked out on paper;
the leak tests publish a small table through the suite's own code and attack the written files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from tpj_helpers.publish.audit import audit_run
from tpj_helpers.publish.publisher import Publisher

_SPEC = importlib.util.spec_from_file_location(
    "output_checker", Path(__file__).resolve().parents[1] / "benchmarks" / "output_checker.py"
)
oc = importlib.util.module_from_spec(_SPEC)
sys.modules["output_checker"] = oc
_SPEC.loader.exec_module(oc)


def _run(tmp_path: Path, files: dict[str, str], report: str = "") -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (tmp_path / "tables").mkdir(exist_ok=True)
    (tmp_path / "figures").mkdir(exist_ok=True)
    if report:
        (tmp_path / "_report_src").mkdir(exist_ok=True)
        (tmp_path / "_report_src" / "index.md").write_text(report, encoding="utf-8")
    return tmp_path


def _found(run: Path, min_cell: int = 5) -> dict[tuple, dict]:
    findings, _ = oc.check(run, min_cell)
    return {(f["file"], f["row"], f["column"]): f for f in findings}


# --------------------------------------------------------------------------- the checker itself


def test_a_total_row_gives_back_the_one_hidden_part(tmp_path):
    # Kvinder 40 + Mænd hidden = I alt 43 -> 3; in column b two hidden cells under 9: not exact
    # (1..7 each), but both narrower than 1..4? no: 8 = b1 + b2 with each >= 1 -> 1..7, not narrowed
    run = _run(tmp_path, {"tables/t.csv": "Køn,a,b\nKvinder,40,\nMænd,,\nI alt,43,8\n"})
    got = _found(run)
    assert got[("tables/t.csv", 1, "a")]["value"] == 3
    assert got[("tables/t.csv", 1, "a")]["kind"] == "exact"
    assert ("tables/t.csv", 0, "b") not in got


def test_two_hidden_cells_summing_to_two_are_both_one(tmp_path):
    # zeros are shown, so hidden cells are >= 1: x + y = 2 gives x = y = 1
    run = _run(tmp_path, {"tables/t.csv": "Gruppe,n\nA,10\nB,\nC,\nI alt,12\n"})
    got = _found(run)
    assert got[("tables/t.csv", 1, "n")]["value"] == 1
    assert got[("tables/t.csv", 2, "n")]["value"] == 1


def test_heraf_rows_and_a_total_column(tmp_path):
    run = _run(
        tmp_path,
        {
            "tables/e.csv": (
                'Opgørelse,"Pilot, antal","Udbredelse, antal","I alt, antal"\n'
                "Tilmeldinger,20,50,70\n- heraf gennemført,,47,64\n- heraf afmeldt,,3,6\n"
            )
        },
    )
    got = _found(run)
    # pilot completed = 64 - 47 (total column); pilot withdrawn = 20 - 17 (heraf rows)
    assert got[("tables/e.csv", 1, "Pilot, antal")]["value"] == 17
    assert got[("tables/e.csv", 2, "Pilot, antal")]["value"] == 3


def test_share_times_base_and_the_base_columns(tmp_path):
    # n_scale hidden, but 20 / 0.0952... = 210 from the shown share (written in full: a share with
    # few decimals is read as rounded); n_answered 213 - 210 = the special 3
    rows = [
        ("q", "a", "False", 20, "", 213, 20 / 210),
        ("q", "b", "False", 100, "", 213, 100 / 210),
        ("q", "c", "False", "", "", 213, ""),
        ("q", "d", "False", 88, "", 213, 88 / 210),
        ("q", "x", "True", "", "", 213, ""),
    ]
    text = "item,answer,special,n,n_scale,n_answered,share\n" + "".join(
        ",".join(map(str, r)) + "\n" for r in rows
    )
    got = _found(_run(tmp_path, {"figures/f.csv": text}))
    assert got[("figures/f.csv", 0, "n_scale")]["value"] == 210
    assert got[("figures/f.csv", 2, "n")]["value"] == 2  # 210 - 20 - 100 - 88
    assert got[("figures/f.csv", 4, "n")]["value"] == 3


def test_groups_by_week_against_the_whole_week_counts_and_means(tmp_path):
    # week 1: groups a (10, mean 2) + b (hidden n, hidden mean) = whole 13 -> b has 3;
    # week 2: a 10 with mean 2, b 3 shown but mean hidden; the whole mean 26/13 -> b's score sum 6
    split = "group,week_rel,n,mean\na,1,10,2.0\nb,1,,\na,2,10,2.0\nb,2,3,\n"
    whole = "week_rel,n,mean\n1,13,2.0\n2,13,2.0\n"
    got = _found(_run(tmp_path, {"figures/by_group.csv": split, "figures/whole.csv": whole}))
    assert got[("figures/by_group.csv", 1, "n")]["value"] == 3


def test_the_same_count_in_two_files(tmp_path):
    run = _run(
        tmp_path,
        {
            "tables/a.csv": "Kommune,Deltagere\nAalborg,100\nStevns,44\nViborg,\n",
            "figures/b.csv": "Kommune,Kursister\nAalborg,100\nStevns,44\nViborg,3\n",
        },
    )
    got = _found(run)
    assert got[("tables/a.csv", 2, "Deltagere")]["value"] == 3


def test_a_sister_dimension_gives_the_total_of_a_block_without_one(tmp_path):
    text = (
        "Dimension,Gruppe,Kursister\nKøn,Kvinder,190\nKøn,Mænd,78\n"
        "Visitation,A,133\nVisitation,B,132\nVisitation,Andet,\n"
    )
    got = _found(_run(tmp_path, {"tables/s.csv": text}))
    assert got[("tables/s.csv", 4, "Kursister")]["value"] == 3  # 268 - 265


def test_small_counts_printed_in_the_text_and_in_estimates(tmp_path):
    run = _run(
        tmp_path,
        {
            "results/estimates.csv": "analysis,model,subgroup,term,n_persons,n_obs\nr,m,g:x,t,3,9\nr,m,all,t,40,80\n",
        },
        report="Temaet fylder mest hos ledere (2 af 4 interviews).\n\nI alt 40 kursister.\n",
    )
    found, _ = oc.check(run, 5)
    printed = [(f["file"], f["value"]) for f in found if f["kind"] == "printed"]
    assert ("results/estimates.csv", 3.0) in printed
    assert ("report text", 4.0) in printed
    assert all(v != 40 for _, v in printed)


def test_the_truth_run_labels_findings(tmp_path):
    run = _run(tmp_path / "run", {"tables/t.csv": "Køn,a\nKvinder,40\nMænd,\nI alt,43\n"})
    truth = _run(tmp_path / "truth", {"tables/t.csv": "Køn,a\nKvinder,40\nMænd,3\nI alt,43\n"})
    wrong = _run(tmp_path / "wrong", {"tables/t.csv": "Køn,a\nKvinder,40\nMænd,4\nI alt,43\n"})
    f1, _ = oc.check(run, 5)
    oc.judge(f1, truth)
    assert [f["verdict"] for f in f1] == ["real"]
    f2, _ = oc.check(run, 5)
    oc.judge(f2, wrong)
    assert [f["verdict"] for f in f2] == ["false"]


# --------------------------------------------------------------------------- leaks, closed


def _likert_dist() -> pd.DataFrame:
    """One item, one wave, as `item_distribution` gives it: 4 + 7 + 20 + 101 + 86 = 218 on the
    scale, 2 'Ikke relevant' (special), 220 answers."""
    answers = ["Meget uenig", "Uenig", "Hverken enig eller uenig", "Enig", "Meget enig"]
    n = [4, 7, 20, 101, 86]
    rows = [
        ("tech", "Nemt", "efter", "Lige efter kurset", 5 - i, a, i + 1, False, k, 218, 220, k / 218)
        for i, (a, k) in enumerate(zip(answers, n, strict=True))
    ]
    rows.append(
        (
            "tech",
            "Nemt",
            "efter",
            "Lige efter kurset",
            98,
            "Ikke relevant",
            None,
            True,
            2,
            218,
            220,
            2 / 220,
        )
    )
    from tpj_helpers.analysis.survey_outcomes.tables import DIST_COLUMNS

    return pd.DataFrame(rows, columns=DIST_COLUMNS)


def test_a_likert_figure_does_not_give_back_its_special_code_by_share_and_base(tmp_path):
    """Found on the demo run (likert-teknik, likert-tilfredshed): n_scale was hidden to protect the
    special code (n_answered - n_scale), but the shown shares gave n_scale back as n / share."""
    from tpj_helpers.analysis.survey_outcomes import disclosure
    from tpj_helpers.analysis.survey_outcomes import tables as st

    dist = _likert_dist()
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.figure(
        dist,
        "likert-x",
        source="x",
        plot=lambda d: plt.figure(),
        count_cols=st.DIST_COUNTS,
        linked=st.DIST_LINKED,
        relations=disclosure.distribution_relations(dist),
        hide_cols=disclosure.HIDE_COLS,
    )
    got = _found(tmp_path)
    recovered = {k: f for k, f in got.items() if f["kind"] in ("exact", "narrowed") and k[2] == "n"}
    assert recovered == {}, recovered
    assert audit_run(tmp_path).summary()["breaches"] == 0
    shown = pd.read_csv(tmp_path / "figures" / "likert-x.csv")
    # what stays shown: the middle answers' counts and shares, and a base beside them
    assert shown["n"].tolist()[2:5] == [20, 101, 86]
    assert shown["share"].notna().sum() >= 3


def test_blank_cells_of_a_sum_do_not_switch_the_sum_off(tmp_path):
    """Found on the demo run (Bilag 1): the pilot holds' survey cells are blank (no survey in the
    pilot), and a sum with a blank part was dropped from the model altogether, so the one hidden
    hold of the survey phase was 'I alt' minus the shown holds (U3: 220 - 217 = 3)."""
    t = pd.DataFrame(
        {
            "Fase": ["Pilot", "Pilot", "Udbredelse", "Udbredelse", "Udbredelse", "I alt"],
            "Hold": ["P1", "P2", "U1", "U2", "U3", ""],
            "Svar": pd.array([None, None, 3, 100, 117, 220], dtype="Int64"),
        }
    )
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.table(t, "bilag", "x", count_cols=["Svar"], row_sums=[("I alt", None)], label_col="Fase")
    shown = pd.read_csv(tmp_path / "tables" / "bilag.csv")
    assert shown["Svar"].isna().tolist() == [True, True, True, True, False, False]
    assert audit_run(tmp_path).summary()["breaches"] == 0
    # the attacker reads the blanks of the pilot as 'none' (the report shows no marker there)
    blank = {("tables/bilag.csv", 0, "Svar"), ("tables/bilag.csv", 1, "Svar")}
    findings, _ = oc.check(tmp_path, 5, not_applicable=blank)
    assert [f for f in findings if f["kind"] in ("exact", "narrowed")] == []


def test_who5_zones_add_up_to_n(tmp_path):
    """Found on the kommune variant (Aalborg, Frederikshavn, Stevns): 3 months after, N = 21 with
    11 and 6 in two zones and the third zone hidden: 21 - 11 - 6 = 4; the table declared no sum."""
    from tpj_helpers.analysis.who5 import waves as who5

    cols = who5.ZONE_COUNTS
    counts = [[65, 44, 11, 10], [63, 22, 17, 24], [21, 11, 6, 4]]
    zones = pd.DataFrame(counts, columns=cols)
    zones.insert(0, "Måling", ["Før kurset", "Lige efter kurset", "3 måneder efter kurset"])
    for dep, base in who5.ZONE_LINKED.items():
        zones[dep] = zones[base] / zones["N"] * 100
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.table(
        zones,
        "who5-zones",
        "x",
        count_cols=who5.ZONE_COUNTS,
        linked=who5.ZONE_LINKED,
        **getattr(who5, "ZONE_SUMS", {}),
    )
    found = _found(tmp_path)
    assert [f for f in found.values() if f["kind"] in ("exact", "narrowed")] == []
    assert audit_run(tmp_path).summary()["breaches"] == 0


def _subgroups_seed7() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Demo seed 7 in small: referral groups 129 + 44 + 3 + 92 = 268 completers; the forest shows
    the groups with a model (n_persons of the after model, here all of each group)."""
    table = pd.DataFrame(
        {
            "Dimension": ["Køn", "Køn"] + ["Visitationskategori"] * 4,
            "Gruppe": ["Kvinder", "Mænd", "Kontanthjælp", "Uddannelseshjælp", "Andet", "Ressource"],
            "Kursister": [185, 83, 129, 44, 3, 92],
        }
    )
    forest = pd.DataFrame(
        {
            "dimension": [
                "all",
                "Køn",
                "Køn",
                "Visitationskategori",
                "Visitationskategori",
                "Visitationskategori",
            ],
            "group": ["Alle", "Kvinder", "Mænd", "Kontanthjælp", "Uddannelseshjælp", "Ressource"],
            "subgroup": ["all", "g:k", "g:m", "v:k", "v:u", "v:r"],
            "estimate": [1.8, 1.7, 2.0, 1.5, 2.2, 1.9],
            "n_persons": [268, 185, 83, 129, 44, 92],
        }
    )
    return table, forest


def test_the_forest_does_not_show_a_group_size_the_subgroup_table_hides(tmp_path):
    """Found on demo seed 7: the subgroup table hid 'Andet' (3) and, to protect it,
    'Aktivitetsparat uddannelseshjælp' (44); the forest figure showed that group's 44 persons
    (its after model, never more than the group), so Andet = 268 - 129 - 44 - 92 = 3."""
    from tpj_helpers.analysis.subgroup_models import disclosure as sd

    table, forest = _subgroups_seed7()
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.table(
        table,
        "register_subgroup_two_point",
        "x",
        count_cols=["Kursister"],
        relations=sd.subgroup_table_relations(table, 268),
    )
    relations = getattr(sd, "forest_relations", lambda f, t, n: [])(forest, table, 268)
    pub.figure(
        forest,
        "register_subgroup_forest",
        "x",
        plot=lambda d: plt.figure(),
        count_cols=["n_persons"],
        relations=relations,
    )
    shown = pd.read_csv(tmp_path / "tables" / "register_subgroup_two_point.csv")
    assert shown["Kursister"].isna().tolist() == [False, False, False, True, True, False]
    found = _found(tmp_path)
    assert [f for f in found.values() if f["kind"] in ("exact", "narrowed")] == []
    assert audit_run(tmp_path).summary()["breaches"] == 0


def test_the_municipalities_add_up_to_the_persons_of_the_enrolment_table(tmp_path):
    """Found on the min_cell 3 variant: one municipality hidden (Mariagerfjord, 2), the others
    shown; every person has a municipality (contract), so it was 517 persons (the enrolment
    table, the text) minus the 515 shown."""
    from tpj_helpers.analysis.data_quality import disclosure as dq
    from tpj_helpers.analysis.data_quality import enrolment as en

    enrolment = pd.DataFrame({en.ROW_COLUMN: [en.ROW_PERSONS], f"{en.TOTAL_LABEL}, antal": [517]})
    kommuner = pd.DataFrame(
        {
            en.MUNICIPALITY_COLUMN: ["Aalborg", "Viborg", "Mariagerfjord"],
            en.PARTICIPANTS_COLUMN: [300, 215, 2],
        }
    )
    pub = Publisher(tmp_path, "t", min_cell=3)
    pub.table(enrolment, "enrolment", "x", count_cols=en.count_columns(enrolment))
    relations = getattr(dq, "municipality_relations", lambda m, e: [])(kommuner, enrolment)
    pub.figure(
        kommuner,
        "municipalities",
        "x",
        plot=lambda d: plt.figure(),
        count_cols=[en.PARTICIPANTS_COLUMN],
        relations=relations,
    )
    (tmp_path / "_report_src").mkdir()
    (tmp_path / "_report_src" / "index.md").write_text("Det svarer til 517 personer.\n")
    found = _found(tmp_path, min_cell=3)
    assert [f for f in found.values() if f["file"] == "figures/municipalities.csv"] == []
    assert audit_run(tmp_path).summary()["breaches"] == 0


def test_a_subset_count_in_another_file_narrows_a_hidden_group(tmp_path):
    # table: 190 + 78 = 268; referral 133 + x + y + 87 = 268 (x + y = 48); the forest shows each
    # group's model persons, never more than the group (188 <= 190, 78 <= 78, 133, 87) and 46 for
    # x: so x >= 46 and y = 48 - x <= 2 -> y in [1, 2]
    table = (
        "Dimension,Gruppe,Kursister\nKøn,Kvinder,190\nKøn,Mænd,78\n"
        "Visitation,A,133\nVisitation,B,\nVisitation,Andet,\nVisitation,C,87\n"
    )
    forest = "dimension,group,n_persons\nKøn,Kvinder,188\nKøn,Mænd,78\nVisitation,A,133\nVisitation,B,46\nVisitation,C,87\n"
    got = _found(_run(tmp_path, {"tables/t.csv": table, "figures/f.csv": forest}))
    andet = got[("tables/t.csv", 4, "Kursister")]
    assert (andet["kind"], andet["lo"], andet["hi"]) == ("narrowed", 1, 2)
