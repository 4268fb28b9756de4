"""Subgroup two-point models: ids as in outputs.md, the group-size rule, no-model rows."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.analysis.subgroup_models import models as subgroups
from tpj_helpers.data.dream import DreamPanel
from tpj_helpers.publish.present import signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS


def study(groups: dict[tuple, int], withdrawn: int = 0, missing_gender: int = 0) -> SimpleNamespace:
    """Completers per (gender, age_group, visitation, phase) cell, all seen at weeks -26, -1, 26.

    Person k of a cell scores (k % 3) + 1 at -26, (k % 2) + 1 at -1 and (k % 4) + 2 at 26.
    """
    people = []
    for (gender, age, visitation, phase), n in groups.items():
        people += [
            dict(
                gender=gender,
                age_group=age,
                visitation=visitation,
                phase=phase,
                status="gennemført",
            )
            for _ in range(n)
        ]
    people += [
        dict(
            gender="kvinde",
            age_group="36-45",
            visitation="andet",
            phase="udbredelse",
            status="afmeldt",
        )
        for _ in range(withdrawn)
    ]
    people += [
        dict(
            gender=None,
            age_group="36-45",
            visitation="andet",
            phase="udbredelse",
            status="gennemført",
        )
        for _ in range(missing_gender)
    ]
    persons, weeks = [], []
    for k, p in enumerate(people):
        pid = f"q{k:03d}"
        persons.append(
            {
                "person_id": pid,
                "hold_id": "U1",
                "kommune": "Viborg",
                "n_weeks": 7,
                "start_date": pd.Timestamp("2024-01-01"),
                **p,
            }
        )
        for week, score in ((-26, k % 3 + 1), (-1, k % 2 + 1), (26, k % 4 + 2)):
            weeks.append({"person_id": pid, "week_rel": week, "score": float(score)})
    persons = pd.DataFrame(persons)
    persons["age_group"] = pd.Categorical(
        persons["age_group"], categories=["Under 25", "25-35", "36-45", "46-55", "Over 55"]
    )
    panel_persons = persons[["person_id", "hold_id", "start_date", "n_weeks"]].assign(
        first_week_rel=-30, last_week_rel=30
    )
    weeks = pd.DataFrame(weeks)
    weeks = weeks.assign(
        person_id=pd.Categorical(weeks["person_id"], categories=persons["person_id"]),
        week_rel=weeks["week_rel"].astype(np.int16),
        score=weeks["score"].astype(np.float32),
    )
    panel = DreamPanel(
        weeks=weeks,
        persons=panel_persons,
        unknown_codes=pd.DataFrame(),
        first_week="2022-W10",
        last_week="2025-W14",
    )
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
        "gender:kvinde": 12,
        "gender:mand": 10,
    }

    age = subgroups.subgroup_two_point(data, "age_group", min_group_size=10)
    assert age["subgroup"].unique().tolist() == [
        "age_group:25-35",
        "age_group:46-55",
        "age_group:Over 55",
    ]  # category order
    small = age[age["subgroup"] != "age_group:25-35"]
    assert small["term"].isna().all() and small["estimate"].isna().all()
    assert small["reason"].str.contains("under 10 kursister").all()
    assert set(small["model"]) == {"two_point_pre", "two_point_post"}  # one row per model
    assert not small["reason"].str.contains("9").any()  # the small count is not in the text

    visitation = subgroups.subgroup_two_point(data, "visitation", 10)
    assert set(visitation["subgroup"]) == {
        "visitation:akt_kontanthjaelp",
        "visitation:andet",
        "visitation:ressourceforloeb",
    }
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
    assert set(est["subgroup"]) == {
        "gender:kvinde",
        "gender:mand",
        "age_group:25-35",
        "visitation:akt_kontanthjaelp",
        "phase:udbredelse",
    }
    table = subgroups.subgroup_table(rows)
    assert list(table.columns) == [
        "Dimension",
        "Gruppe",
        "Kursister",
        subgroups.PRE_COLUMN,
        subgroups.POST_COLUMN,
        subgroups.POST_CI_COLUMN,
        "Bemærkning",
    ]
    # One row per group; the change as Danish text with its stars, from the estimate rows.
    women = table[table["Gruppe"] == "Kvinder"].iloc[0]
    post = est[
        (est["subgroup"] == "gender:kvinde")
        & (est["model"] == "two_point_post")
        & (est["term"] == "change")
    ].iloc[0]
    assert women[subgroups.POST_COLUMN] == signed(post["estimate"], 2) + (post["stars"] or "")
    assert "," in women[subgroups.POST_COLUMN] and (table["Gruppe"] == "Kvinder").sum() == 1
    assert (
        table.loc[table["Gruppe"] == "Over 55 år", "Bemærkning"].str.startswith("Ingen model").all()
    )
    assert table.loc[table["Gruppe"] == "Kvinder", "Bemærkning"].eq("").all()
    assert (table["Gruppe"] == "Ukendt").sum() == 1
    with pytest.raises(ValueError, match="variable"):
        subgroups.subgroup_two_point(data, "kommune", 10)


# --------------------------------------------------------------------------- all models per group


def test_subgroup_models_fit_every_register_model():
    data = study(CELLS, withdrawn=11)
    rows = subgroups.subgroup_models(data, "gender", 10)
    est = rows[rows["term"].notna()]
    # The panel has weeks -26, -1 and 26 only: one week from course start cannot carry a line.
    assert set(est["model"]) == {"two_point_pre", "two_point_post", "weekly_pre"}
    assert set(est["subgroup"]) == {"gender:kvinde", "gender:mand"}
    none = rows[rows["term"].isna()]
    assert set(none["model"]) == {"weekly_post", "segmented"}
    assert none["reason"].str.startswith("Ingen model: ").all()
    weekly = register.weekly_means(
        data, persons=register.analysis_persons(data).query("gender == 'kvinde'"), weeks=[-26, -1]
    )
    pre = est[(est["subgroup"] == "gender:kvinde") & (est["model"] == "weekly_pre")].set_index(
        "term"
    )
    slope = (weekly["mean"].iloc[1] - weekly["mean"].iloc[0]) / 25
    assert pre.loc["slope", "estimate"] == pytest.approx(slope)
    # The display table keeps to the two-point models.
    table = subgroups.subgroup_table(rows)
    assert len(table) == 2


# --------------------------------------------------------------------------- interaction test


def two_group_study(change_women: float, change_men: float, n: int = 12) -> SimpleNamespace:
    """n women and n men seen at weeks -1 and 26; person k scores 2 + (k % 3) at -1 and that plus
    the group's change plus a small person wobble ((k % 2) * 0.5) at 26 (the same for both)."""
    data = study(
        {("kvinde", "25-35", "andet", "udbredelse"): n, ("mand", "25-35", "andet", "udbredelse"): n}
    )
    weeks = data.panel.weeks.copy()
    persons = data.persons.set_index("person_id")
    k = weeks["person_id"].astype(str).str[1:].astype(int) % n
    gender = persons.loc[weeks["person_id"].astype(str), "gender"].to_numpy()
    change = np.where(gender == "kvinde", change_women, change_men)
    base = 2 + (k % 3)
    score = np.where(weeks["week_rel"] == 26, base + change + (k % 2) * 0.5, base)
    weeks["score"] = score.astype(np.float32)
    weeks = weeks[weeks["week_rel"] != -26]
    data.panel = type(data.panel)(
        weeks=weeks,
        persons=data.panel.persons,
        unknown_codes=data.panel.unknown_codes,
        first_week=data.panel.first_week,
        last_week=data.panel.last_week,
    )
    return data


def test_interaction_test_detects_a_strong_difference():
    data = two_group_study(3.0, 0.0)
    t = subgroups.interaction_test(data, "gender", 10)
    assert t.test["groups"] == ["kvinde", "mand"] and t.test["reference"] == "kvinde"
    assert t.test["df_num"] == 1 and t.test["df_denom"] == 23  # G - 1 = 24 - 1
    assert t.test["p_value"] < 0.001 and t.test["p_chi2"] < 0.001
    assert t.test["chi2"] == pytest.approx(t.test["F"])  # one restriction: chi2 = F
    row = t.estimates.iloc[0]
    assert list(t.estimates.columns) == ESTIMATE_COLUMNS
    assert row["subgroup"] == "gender:mand" and row["term"] == subgroups.INTERACTION_TERM
    assert row["model"] == subgroups.INTERACTION_MODEL
    # The interaction equals the difference between the groups' own two-point changes.
    rows = subgroups.subgroup_two_point(data, "gender", 10)
    change = rows[(rows["model"] == "two_point_post") & (rows["term"] == "change")].set_index(
        "subgroup"
    )["estimate"]
    assert row["estimate"] == pytest.approx(change["gender:mand"] - change["gender:kvinde"])
    assert row["estimate"] == pytest.approx(-3.0)
    # F with one restriction is the squared clustered t statistic of the interaction.
    assert t.test["F"] == pytest.approx((row["estimate"] / row["std_error"]) ** 2)


def test_interaction_test_identical_groups_give_zero():
    t = subgroups.interaction_test(two_group_study(1.0, 1.0), "gender", 10)
    assert t.estimates["estimate"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert t.test["F"] == pytest.approx(0.0, abs=1e-9) and t.test["p_value"] == pytest.approx(1.0)


def test_interaction_tests_table_and_reading():
    data = study(CELLS, withdrawn=11)
    tests = subgroups.interaction_tests(data, 10)
    # age: one group of at least 10 (25-35) -> no test; status: completers vs withdrawn.
    assert isinstance(tests["age_group"], str) and isinstance(tests["phase"], str)
    st = tests["status"]
    assert st.test["groups"] == ["gennemført", "afmeldt"]
    assert st.estimates["subgroup"].tolist() == ["status:afmeldt"]
    table = subgroups.interaction_table(tests)
    assert len(table) == len(subgroups.FIGURE_VARIABLES)
    assert (
        table.loc[table["Dimension"] == "Aldersgruppe", "Bemærkning"]
        .str.startswith("Ingen test")
        .all()
    )
    text = subgroups.interaction_reading(tests)
    assert "aldersgruppe" in text and "p-værdier" in text


# --------------------------------------------------------------------------- figures


def test_weekly_by_and_forest():
    data = study(CELLS, withdrawn=11)
    w = subgroups.weekly_by(data, "age_group", 10)
    assert w["age_group"].unique().tolist() == ["25-35"]  # 46-55 and Over 55 below 10
    st = subgroups.weekly_by(data, "status", 10)
    assert st["status"].unique().tolist() == ["gennemført", "afmeldt"]
    fig = subgroups.plot_weekly_dimension(st, "status", 7, 7)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[-2:] == ["Gennemført", "Afmeldt undervejs"]
    rows = subgroups.all_subgroups(data, 10)
    overall = register.two_point(data, register.analysis_persons(data), "two_point_post")
    fd = subgroups.forest_data(rows, overall)
    assert fd["subgroup"].iloc[0] == "all"
    est = rows[(rows["model"] == "two_point_post") & (rows["term"] == "change")]
    assert fd["subgroup"].iloc[1:].tolist() == est["subgroup"].tolist()
    fig = subgroups.plot_forest(fd)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Køn" in labels and "Kvinder" in labels
    assert len(fig.axes[0].lines) == 2 * (len(fd) - 1) + 2  # CI + point per group, two vlines
