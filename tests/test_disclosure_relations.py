"""Relations between published files that an output checker uses (issue 12, part A).

Each family: the files published the way the suite published them before the relation was
declared (no relation: the sidecars let the audit pass), the same files with the relation added to
the attacker's model (the hidden cell comes back: a breach), and the files published with the
relation declared (the Publisher protects it: the audit passes). Values are small hand cases.
"""

from __future__ import annotations

import json

import pandas as pd

from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run, load_model
from tpj_helpers.publish.publisher import Publisher, _local


def _attack(run_dir, file: str, relations: list[dc.Relation]) -> list[tuple]:
    """Breaches once `relations` (cells of file "" are `file`'s) are added to the run's model."""
    model = load_model(run_dir)
    model.relations += [_local(r, file) for r in relations]
    return dc.breaches(model)


# --------------------------------------------------------------------------- WHO-5 zones vs bins


def _who5_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One wave of 208 scores: bins 2, 31, 41 (high risk: 74), 54 (risk), 33, 24, 20, 3 (none: 80)."""
    zones_of_bins = ["Høj risiko"] * 3 + ["Risiko"] + ["Ingen forhøjet risiko"] * 4
    n = [2, 31, 41, 54, 33, 24, 20, 3]
    dist = pd.DataFrame(
        {
            "wave": "efter",
            "wave_label": "Lige efter kurset",
            "bin": [f"b{i}" for i in range(8)],
            "zone": zones_of_bins,
            "n": n,
            "n_wave": 208,
            "share": [k / 208 for k in n],
        }
    )
    zones = pd.DataFrame(
        {
            "Måling": ["Lige efter kurset"],
            "N": [208],
            "Høj risiko (0-35), antal": [74],
            "Høj risiko (0-35), %": [100 * 74 / 208],
            "Risiko (36-50), antal": [54],
            "Risiko (36-50), %": [100 * 54 / 208],
            "Ingen forhøjet risiko (over 50), antal": [80],
            "Ingen forhøjet risiko (over 50), %": [100 * 80 / 208],
        }
    )
    return dist, zones


def _publish_who5(run_dir, declare: bool) -> None:
    from tpj_helpers.analysis.who5 import disclosure as who5_dc
    from tpj_helpers.analysis.who5.waves import DIST_COUNTS, DIST_LINKED, ZONE_COUNTS, ZONE_LINKED

    dist, zones = _who5_frames()
    pub = Publisher(run_dir, "t", 5)
    pub.protect(
        dist,
        who5_dc.DISTRIBUTION_FIGURE,
        DIST_COUNTS,
        DIST_LINKED,
        relations=who5_dc.distribution_relations(dist),
        hide_cols=who5_dc.HIDE_COLS,
        write=True,
    )
    pub.protect(
        zones,
        "tables/who5-zones.csv",
        ZONE_COUNTS,
        ZONE_LINKED,
        relations=who5_dc.zone_relations(zones, dist) if declare else (),
        write=True,
    )[0].to_csv(run_dir / "tables" / "who5-zones.csv", index=False)


def _write_dist(run_dir) -> None:
    """The distribution CSV as the Publisher hides it (the sidecar says which cells)."""
    import json

    from tpj_helpers.analysis.who5 import disclosure as who5_dc

    dist, _ = _who5_frames()
    side = json.loads(
        (run_dir / dc.SIDECAR_DIR / "figures__who5-distribution.json").read_text(encoding="utf-8")
    )
    out = dist.astype(object)
    for h in side["hidden"]:
        out.iat[h["row"], out.columns.get_loc(h["column"])] = None
        if h["column"] == "n":
            out.iat[h["row"], out.columns.get_loc("share")] = None
    out.to_csv(run_dir / who5_dc.DISTRIBUTION_FIGURE, index=False)


def test_who5_zones_give_back_a_hidden_bin_unless_declared(tmp_path):
    from tpj_helpers.analysis.who5 import disclosure as who5_dc

    before = tmp_path / "before"
    _publish_who5(before, declare=False)
    _write_dist(before)
    assert audit_run(before, write=False).breaches.empty  # what the sidecars declare passes
    # ... but 74 - 31 - 41 = 2 (first bin) and 80 - 33 - 24 - 20 = 3 (last bin)
    dist, zones = _who5_frames()
    found = _attack(before, "tables/who5-zones.csv", who5_dc.zone_relations(zones, dist))
    assert sorted(found) == [
        (who5_dc.DISTRIBUTION_FIGURE, 0, "n"),
        (who5_dc.DISTRIBUTION_FIGURE, 7, "n"),
    ]

    after = tmp_path / "after"
    _publish_who5(after, declare=True)
    _write_dist(after)
    result = audit_run(after, write=False)
    assert result.breaches.empty
    shown = pd.read_csv(after / "tables" / "who5-zones.csv")
    # both leaking zones hidden, and a third zone count so that N = sum of zones pins neither
    hidden = [c for c in shown.columns if c.endswith("antal") and shown[c].isna().all()]
    assert len(hidden) >= 2
    assert shown["N"].iloc[0] == 208


# --------------------------------------------------------------------------- subgroup forest


def _subgroup_frames():
    """32 completers: groups A 15, B 14, Andet 3 (no model); in the two-point model 30 persons:
    A 14, B 14, Andet 2. The interaction test compares A and B: 28 persons."""
    from types import SimpleNamespace

    two_point = pd.DataFrame(
        {
            "Dimension": ["Visitationskategori"] * 3,
            "Gruppe": ["A", "B", "Andet"],
            "Kursister": [15, 14, 3],
        }
    )
    forest = pd.DataFrame(
        {
            "dimension": [
                "all",
                "Visitationskategori",
                "Visitationskategori",
                "Visitationskategori",
            ],
            "group": ["Alle, der har gennemført", "A", "B", "Andet"],
            "subgroup": ["all", "visitation:A", "visitation:B", "visitation:Andet"],
            "estimate": [1.5, 1.2, 1.8, None],
            "n_persons": [30, 14, 14, 2],
        }
    )
    interaction = pd.DataFrame(
        {"Dimension": ["Visitationskategori"], "Kursister": [28], "Frihedsgrader": ["1 og 27"]}
    )
    tests = {"visitation": SimpleNamespace(test={"groups": ["A", "B"]})}
    return two_point, forest, interaction, tests


def _publish_subgroups(run_dir, declare: bool) -> None:
    from tpj_helpers.analysis.subgroup_models import disclosure as sub_dc

    two_point, forest, interaction, tests = _subgroup_frames()
    pub = Publisher(run_dir, "t", 5)
    for frame, file, kw in (
        (
            two_point,
            sub_dc.TWO_POINT_FILE,
            {"relations": sub_dc.subgroup_table_relations(two_point, 32)},
        ),
        (
            forest,
            sub_dc.FOREST_FILE,
            {"relations": sub_dc.forest_relations(forest, two_point, 32) if declare else ()},
        ),
        (
            interaction,
            "tables/register_subgroup_interaction.csv",
            {
                "relations": sub_dc.interaction_relations(interaction, tests, forest, two_point, 32)
                if declare
                else (),
                "linked": {"Frihedsgrader": "Kursister"},
            },
        ),
    ):
        count = ["n_persons"] if "n_persons" in frame else ["Kursister"]
        safe = pub.protect(frame, file, count, write=True, **kw)[0]
        safe.to_csv(run_dir / file, index=False)


def test_subgroup_groups_without_a_model_come_back_unless_declared(tmp_path):
    from tpj_helpers.analysis.subgroup_models import disclosure as sub_dc

    before = tmp_path / "before"
    _publish_subgroups(before, declare=False)
    assert audit_run(before, write=False).breaches.empty
    two_point, forest, interaction, tests = _subgroup_frames()
    rels = sub_dc.interaction_relations(interaction, tests, forest, two_point, 32)
    model = load_model(before)
    model.relations += [_local(r, "tables/register_subgroup_interaction.csv") for r in rels]
    # 30 - 14 - 14 = 2 persons of Andet in the model; and then the two-point table's Andet
    # (A_t + B_t = 32 - 15 = 17, B_t >= 14 in the forest, A_t >= 2) is 2 or 3
    assert sorted(dc.breaches(model)) == [
        (sub_dc.FOREST_FILE, 3, "n_persons"),
        (sub_dc.TWO_POINT_FILE, 2, "Kursister"),
    ]

    after = tmp_path / "after"
    _publish_subgroups(after, declare=True)
    result = audit_run(after, write=False)
    assert result.breaches.empty
    f = pd.read_csv(after / sub_dc.FOREST_FILE)
    # Andet (<5), A (..: else 30 - 14 - 14) and B (..: B_t >= 14 with A_t + B_t = 17 would leave
    # the two-point table's Andet at most 3)
    assert f["n_persons"].isna().tolist() == [False, True, True, True]
    i = pd.read_csv(after / "tables/register_subgroup_interaction.csv")
    # 28 = A + B would give the hidden one back; the df (persons less one) goes with it
    assert i["Kursister"].isna().all() and i["Frihedsgrader"].isna().all()


# --------------------------------------------------------------------------- Bilag 1 vs Tabel 4


def _bilag1_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enrolled = completed + withdrawn: pilot P1 12 = 9 + 3, P2 15 = 10 + 5, P3 14 = 8 + 6;
    udbredelse U1 20 = 18 + 2, U2 25 = 18 + 7, U3 16 = 10 + 6. Tabel 4 per phase: pilot 41 = 27 +
    14, udbredelse 61 = 46 + 15 (enrolments = persons here)."""
    bilag1 = pd.DataFrame(
        {
            "Fase": ["Pilot"] * 3 + ["Udbredelse"] * 3 + ["I alt"],
            "Hold": ["P1", "P2", "P3", "U1", "U2", "U3", ""],
            "Tilmeldte": [12, 15, 14, 20, 25, 16, 102],
            "Gennemført": [9, 10, 8, 18, 18, 10, 73],
            "Afmeldt": [3, 5, 6, 2, 7, 6, 29],
        }
    )
    enrolment = pd.DataFrame(
        {
            "Opgørelse": [
                "Tilmeldinger",
                "- heraf gennemført",
                "- heraf afmeldt",
                "Personer (den tællende tilmelding)",
                "- heraf personer, der gennemførte",
                "- heraf personer, der blev afmeldt",
            ],
            "Pilot, antal": [41, 27, 14, 41, 27, 14],
            "Udbredelse, antal": [61, 46, 15, 61, 46, 15],
            "I alt, antal": [102, 73, 29, 102, 73, 29],
        }
    )
    return bilag1, enrolment


def _publish_bilag1(run_dir, declare: bool) -> None:
    from tpj_helpers.analysis.data_quality import disclosure as dq_dc
    from tpj_helpers.analysis.data_quality.coverage import bilag1_sums
    from tpj_helpers.analysis.data_quality.enrolment import enrolment_sums
    from tpj_helpers.publish.sidecars import declared

    bilag1, enrolment = _bilag1_frames()
    pub = Publisher(run_dir, "t", 5)
    counts = ["Pilot, antal", "Udbredelse, antal", "I alt, antal"]
    pub.protect(enrolment, dq_dc.ENROLMENT_FILE, counts, write=True, **enrolment_sums(enrolment))[
        0
    ].to_csv(run_dir / dq_dc.ENROLMENT_FILE, index=False)
    rels = (
        dq_dc.bilag1_relations(bilag1, enrolment) + declared(run_dir, dq_dc.ENROLMENT_FILE)
        if declare
        else []
    )
    pub.protect(
        bilag1,
        dq_dc.BILAG1_FILE,
        ["Tilmeldte", "Gennemført", "Afmeldt"],
        relations=rels,
        write=True,
        **bilag1_sums(bilag1),
    )[0].to_csv(run_dir / dq_dc.BILAG1_FILE, index=False)


def test_bilag1_phases_against_tabel4_unless_declared(tmp_path):
    from tpj_helpers.analysis.data_quality import disclosure as dq_dc

    before = tmp_path / "before"
    _publish_bilag1(before, declare=False)
    assert audit_run(before, write=False).breaches.empty
    bilag1, enrolment = _bilag1_frames()
    found = _attack(before, dq_dc.BILAG1_FILE, dq_dc.bilag1_relations(bilag1, enrolment))
    # Tabel 4's udbredelse: 46 - 18 - 10 = 18 completed on U1, so 20 - 18 = 2 withdrawn
    assert found == [(dq_dc.BILAG1_FILE, 3, "Afmeldt")]

    after = tmp_path / "after"
    _publish_bilag1(after, declare=True)
    assert audit_run(after, write=False).breaches.empty
    shown = pd.read_csv(after / dq_dc.BILAG1_FILE)
    assert shown["Gennemført"].iloc[:6].isna().all()  # no hold's completed left to subtract
    assert shown["Tilmeldte"].tolist() == [12, 15, 14, 20, 25, 16, 102]


# --------------------------------------------------------------------------- survey indicators


def _survey_frames():
    """One item, one wave: codes 5..1 answered 3, 20, 30, 25, 22 times (100); the indicator counts
    codes 5 and 3: 33."""
    n = [3, 20, 30, 25, 22]
    items = pd.DataFrame(
        {
            "item": "x",
            "wave": "efter",
            "code": [5, 4, 3, 2, 1],
            "special": False,
            "n": n,
            "n_scale": 100,
            "n_answered": 100,
            "share": [k / 100 for k in n],
        }
    )
    shares = pd.DataFrame({"id": ["x_top"], "item": ["x"], "wave": ["efter"]})
    indicators = [{"id": "x_top", "codes": [5, 3]}]
    table = pd.DataFrame(
        {
            "Indikator": ["x"],
            "Måling": ["Lige efter"],
            "Andel (%)": [33.0],
            "Antal": [33],
            "N": [100],
        }
    )
    return items, shares, indicators, table


def _publish_survey(run_dir, declare: bool) -> None:
    from tpj_helpers.analysis.survey_outcomes import disclosure as survey_dc

    items, shares, indicators, table = _survey_frames()
    pub = Publisher(run_dir, "t", 5)
    pub.protect(
        items,
        survey_dc.ITEMS_FILE,
        ["n", "n_scale", "n_answered"],
        {"share": "n"},
        relations=survey_dc.distribution_relations(items),
        hide_cols=survey_dc.HIDE_COLS,
        write=True,
    )[0].to_csv(run_dir / survey_dc.ITEMS_FILE, index=False)
    file = survey_dc.INDICATOR_FILE
    counts, linked = ["Antal", "N"], {"Andel (%)": "Antal"}
    if declare:
        rels, hidden, share = survey_dc.indicator_protection(
            pub, table, shares, indicators, items, counts, linked
        )
    else:
        rels, hidden, share = [], {}, []
    pub.protect(table, file, counts, linked, relations=rels, hidden=hidden, write=True)[0].to_csv(
        run_dir / file, index=False
    )
    if declare:
        survey_dc.add_share_relations(run_dir, share)


def test_survey_indicator_gives_back_an_answer_count_unless_declared(tmp_path):
    from tpj_helpers.analysis.survey_outcomes import disclosure as survey_dc

    before = tmp_path / "before"
    _publish_survey(before, declare=False)
    assert audit_run(before, write=False).breaches.empty
    shown = pd.read_csv(before / survey_dc.ITEMS_FILE)
    assert shown["n"].isna().tolist() == [True, True, False, False, False]  # 3 (<5), 20 (..)
    items, shares, indicators, _ = _survey_frames()
    rels = survey_dc.indicator_relations(shares, indicators, items)
    # 33 - 30 = 3 answers of code 5
    assert _attack(before, "tables/survey-indicators.csv", rels) == [(survey_dc.ITEMS_FILE, 0, "n")]

    after = tmp_path / "after"
    _publish_survey(after, declare=True)
    assert audit_run(after, write=False).breaches.empty
    ind = pd.read_csv(after / "tables/survey-indicators.csv")
    assert ind["Antal"].isna().all() and ind["Andel (%)"].isna().all()
    assert ind["N"].tolist() == [100]  # shown in survey-items anyway
    side = json.loads((after / dc.SIDECAR_DIR / "tables__survey-indicators.json").read_text())
    assert any(r["note"].endswith("share x N = count") for r in side["relations"])


def test_survey_indicator_share_beside_its_base_gives_back_a_hidden_base():
    """A hidden N (hidden as survey-items hides the same n_scale) comes back as count / share:
    187 / 85.78 % = 218, and from it a hidden answer count of the item: 218 - 187 - 28 = 3."""
    from tpj_helpers.analysis.survey_outcomes import disclosure as survey_dc

    f, items = "tables/survey-indicators.csv", survey_dc.ITEMS_FILE
    m = dc.Model(5)
    m.shown = {
        (f, 0, "Antal"): 187.0,
        (f, 0, survey_dc.SHARE): 100 * 187 / 218,
        (items, 2, "n"): 187.0,
        (items, 3, "n"): 28.0,
    }
    m.hidden = {
        (f, 0, "N"): dc.SECONDARY,
        (items, 1, "n_scale"): dc.SECONDARY,
        (items, 1, "n"): dc.PRIMARY,
    }
    shares = pd.DataFrame({"id": ["i"], "item": ["x"], "wave": ["efter"]})
    dist = pd.DataFrame(
        {"item": "x", "wave": "efter", "code": [9, 1, 2, 3], "special": [True, False, False, False]}
    )
    rels = survey_dc.indicator_relations(shares, [{"id": "i", "codes": [2]}], dist)
    m.relations = [_local(r, f) for r in rels]
    m.relations.append(
        dc.total_of(dc.Cell(items, 1, "n_scale"), [dc.Cell(items, i, "n") for i in (1, 2, 3)])
    )
    found = dc.intervals(m)
    assert found[(f, 0, "N")] == (218.0, 218.0)
    assert found[(items, 1, "n")] == (3.0, 3.0)
    # without the share relation N is only known to be >= 215 and the count keeps 1..4
    m.relations = [r for r in m.relations if "share" not in r.note]
    assert dc.intervals(m)[(items, 1, "n")] == (1.0, 4.0)


def test_forest_keeps_the_groups_without_a_model_so_each_dimension_adds_up():
    from tests.test_subgroups import CELLS, study
    from tpj_helpers.analysis.register_regressions import models as register
    from tpj_helpers.analysis.subgroup_models import disclosure as sub_dc
    from tpj_helpers.analysis.subgroup_models import models as subgroups

    # 24 completers (12 + 9 + 1 and 2 without a gender, aged 36-45, visitation 'andet'), all seen
    # at weeks -1 and 26; groups under 10 get no model
    data = study(CELLS, withdrawn=11, missing_gender=2)
    rows = subgroups.all_subgroups(data, 10)
    overall = register.two_point(data, register.analysis_persons(data), "two_point_post")
    f = sub_dc.forest_with_left_out(data, rows, overall)
    assert f["n_persons"].iloc[0] == 24
    extra = f[f["estimate"].isna()]
    assert sorted(zip(extra["dimension"], extra["n_persons"], strict=True)) == sorted(
        [
            ("Køn", 2),  # unknown gender
            ("Aldersgruppe", 2),  # 36-45
            ("Aldersgruppe", 1),  # 46-55
            ("Aldersgruppe", 9),  # over 55
            ("Visitationskategori", 9),  # ressourceforløb
            ("Visitationskategori", 3),  # andet: 1 + 2
            ("Projektfase", 9),  # pilot
        ]
    )
    for dim in sub_dc.COMPLETER_DIMENSIONS:
        assert f.loc[f["dimension"] == dim, "n_persons"].sum() == 24
    assert f.loc[f["dimension"] == "Afmeldte kursister", "n_persons"].tolist() == [11]
    # each dimension's rows stay together (the added rows after its estimated groups)
    for _, g in f.groupby("dimension", sort=False):
        assert list(g.index) == list(range(g.index[0], g.index[-1] + 1))
    rels = sub_dc.forest_relations(f)
    assert len(rels) == len(sub_dc.COMPLETER_DIMENSIONS)
