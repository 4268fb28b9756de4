"""Subgroup two-point models: ids as in outputs.md, the group-size rule, no-model rows."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tpj_helpers import register, subgroups
from tpj_helpers.dream import DreamPanel
from tpj_helpers.present import signed
from tpj_helpers.publish import ESTIMATE_COLUMNS


def study(groups: dict[tuple, int], withdrawn: int = 0, missing_gender: int = 0) -> SimpleNamespace:
    """Completers per (gender, age_group, visitation, phase) cell, all seen at weeks -26, -1, 26.

    Person k of a cell scores (k % 3) + 1 at -26, (k % 2) + 1 at -1 and (k % 4) + 2 at 26.
    """
    people = []
    for (gender, age, visitation, phase), n in groups.items():
        people += [dict(gender=gender, age_group=age, visitation=visitation, phase=phase,
                        status="gennemført") for _ in range(n)]
    people += [dict(gender="kvinde", age_group="36-45", visitation="andet", phase="udbredelse",
                    status="afmeldt") for _ in range(withdrawn)]
    people += [dict(gender=None, age_group="36-45", visitation="andet", phase="udbredelse",
                    status="gennemført") for _ in range(missing_gender)]
    persons, weeks = [], []
    for k, p in enumerate(people):
        pid = f"q{k:03d}"
        persons.append({"person_id": pid, "hold_id": "U1", "kommune": "Viborg", "n_weeks": 7,
                        "start_date": pd.Timestamp("2024-01-01"), **p})
        for week, score in ((-26, k % 3 + 1), (-1, k % 2 + 1), (26, k % 4 + 2)):
            weeks.append({"person_id": pid, "week_rel": week, "score": float(score)})
    persons = pd.DataFrame(persons)
    persons["age_group"] = pd.Categorical(persons["age_group"],
                                          categories=["Under 25", "25-35", "36-45", "46-55", "Over 55"])
    panel_persons = persons[["person_id", "hold_id", "start_date", "n_weeks"]].assign(
        first_week_rel=-30, last_week_rel=30)
    weeks = pd.DataFrame(weeks)
    weeks = weeks.assign(person_id=pd.Categorical(weeks["person_id"], categories=persons["person_id"]),
                         week_rel=weeks["week_rel"].astype(np.int16),
                         score=weeks["score"].astype(np.float32))
    panel = DreamPanel(weeks=weeks, persons=panel_persons, unknown_codes=pd.DataFrame(),
                       first_week="2022-W10", last_week="2025-W14")
    return SimpleNamespace(persons=persons, panel=panel)


CELLS = {
    ("kvinde", "25-35", "akt_kontanthjaelp", "udbredelse"): 12,
    ("mand", "Over 55", "ressourceforloeb", "pilot"): 9,
    ("mand", "46-55", "andet", "udbredelse"): 1,
}


def test_ids_follow_outputs_md_and_groups_below_the_size_get_no_model():
    data = study(CELLS, withdrawn=11)
    gender = subgroups.subgroup_two_point(data, "gender", min_group_size=10)
    assert list(gender.columns[: len(ESTIMATE_COLUMNS)]) == ESTIMATE_COLUMNS
    assert gender["subgroup"].unique().tolist() == ["gender:kvinde", "gender:mand"]  # 12, 10
    assert gender["term"].notna().all() and (gender["reason"] == "").all()
    assert gender.groupby("subgroup")["group_size"].first().to_dict() == {
        "gender:kvinde": 12, "gender:mand": 10}

    age = subgroups.subgroup_two_point(data, "age_group", min_group_size=10)
    assert age["subgroup"].unique().tolist() == [
        "age_group:25-35", "age_group:46-55", "age_group:Over 55"]  # category order
    small = age[age["subgroup"] != "age_group:25-35"]
    assert small["term"].isna().all() and small["estimate"].isna().all()
    assert small["reason"].str.contains("under 10 kursister").all()
    assert set(small["model"]) == {"two_point_pre", "two_point_post"}  # one row per model
    assert not small["reason"].str.contains("9").any()  # the small count is not in the text

    visitation = subgroups.subgroup_two_point(data, "visitation", 10)
    assert set(visitation["subgroup"]) == {"visitation:akt_kontanthjaelp", "visitation:andet",
                                           "visitation:ressourceforloeb"}
    phase = subgroups.subgroup_two_point(data, "phase", 10)
    assert set(phase["subgroup"]) == {"phase:pilot", "phase:udbredelse"}
    assert phase.loc[phase["subgroup"] == "phase:pilot", "term"].isna().all()  # 9 < 10

    status = subgroups.subgroup_two_point(data, "status", 10)
    assert status["subgroup"].unique().tolist() == ["status:afmeldt"]
    assert status["term"].notna().all() and (status["n_persons"] == 11).all()


def test_size_rule_is_fewer_than_min_group_size():
    data = study(CELLS)
    age = subgroups.subgroup_two_point(data, "age_group", min_group_size=9)
    over55 = age[age["subgroup"] == "age_group:Over 55"]
    assert over55["term"].notna().all()  # exactly 9 persons: a model at min_group_size 9
    age = subgroups.subgroup_two_point(data, "age_group", min_group_size=13)
    assert age["term"].isna().all()  # 12 < 13: nothing estimated


def test_estimates_equal_the_overall_model_on_the_group():
    data = study(CELLS)
    rows = subgroups.subgroup_two_point(data, "gender", 10)
    women = register.analysis_persons(data).query("gender == 'kvinde'")
    direct = register.two_point(data, women, "two_point_post", "gender:kvinde")
    got = rows[(rows["subgroup"] == "gender:kvinde") & (rows["model"] == "two_point_post")]
    assert got["estimate"].to_numpy() == pytest.approx(direct["estimate"].to_numpy())
    # Persons k = 0..11 score (k%2)+1 at -1 and (k%4)+2 at 26: means 1.5 and 3.5.
    assert direct.set_index("term").loc["change", "estimate"] == pytest.approx(2.0)


def test_missing_values_get_a_row_and_estimates_and_table():
    data = study(CELLS, missing_gender=2)
    rows = subgroups.all_subgroups(data, 10)
    unknown = rows[rows["subgroup"] == "gender:ukendt"]
    assert len(unknown) == 1 and unknown["group_size"].iloc[0] == 2 and unknown["term"].isna().all()
    est = subgroups.estimate_rows(rows)
    assert list(est.columns) == ESTIMATE_COLUMNS and est["term"].notna().all()
    # 36-45 and andet hold only the 2 (+1) persons without gender: no model there.
    assert set(est["subgroup"]) == {"gender:kvinde", "gender:mand", "age_group:25-35",
                                    "visitation:akt_kontanthjaelp", "phase:udbredelse"}
    table = subgroups.subgroup_table(rows)
    assert list(table.columns) == ["Dimension", "Gruppe", "Kursister", subgroups.PRE_COLUMN,
                                   subgroups.POST_COLUMN, subgroups.POST_CI_COLUMN, "Bemærkning"]
    # One row per group; the change as Danish text with its stars, from the estimate rows.
    women = table[table["Gruppe"] == "Kvinder"].iloc[0]
    post = est[(est["subgroup"] == "gender:kvinde") & (est["model"] == "two_point_post")
               & (est["term"] == "change")].iloc[0]
    assert women[subgroups.POST_COLUMN] == signed(post["estimate"], 2) + (post["stars"] or "")
    assert "," in women[subgroups.POST_COLUMN] and (table["Gruppe"] == "Kvinder").sum() == 1
    assert table.loc[table["Gruppe"] == "Over 55 år", "Bemærkning"].str.startswith("Ingen model").all()
    assert table.loc[table["Gruppe"] == "Kvinder", "Bemærkning"].eq("").all()
    assert (table["Gruppe"] == "Ukendt").sum() == 1
    with pytest.raises(ValueError, match="variable"):
        subgroups.subgroup_two_point(data, "kommune", 10)
