"""DREAM scoring on a small hand-made extract, checked against hand-computed scores and weeks.

The main extract is `helpers.DREAM`: weeks 2024-W28 .. 2024-W33 (Mondays 8, 15, 22, 29 July,
5 and 12 August 2024), grad for July and August 2024. Score map: the shipped (illustrative) one.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import DREAM, edit, rows_of, to_text, write_folder

from tpj_helpers.data import cohort, dream, sources
from tpj_helpers.data.contract import ContractError
from tpj_helpers.data.exclusions import Exclusions

SHIPPED_MAP = dream.DEFAULT_SCORE_MAP
NA = math.nan

# Every row of the panel, computed by hand:
# (person, ISO week, week_rel, code, score, employed, score_source)
#
# p01 on U1 (start 2024-08-05 = W32, so W28 is week -4). grad July empty, August 0.5.
#   W30 has code 710 (barselsdagpenge, coded out). W31 and W32 have no code: W31's Monday is in
#   July but its Thursday (1 August) is in August, so August's grad counts -> score 10.
# p02 on U1 (withdrawn on P1 first). grad July 0.3, August 0. 999 is not in the map.
#   W30 (July, grad 0.3 > 0, no code) -> 10. W31 (Thursday in August, grad 0) -> no row.
#   W32 code 720 (not resident, coded out).
# p03 on P1 (start 2024-03-04): W28 is week 18 (126 days later). No grad: W30 has no row.
# p07 on U3 (start 2024-08-12 = W33, the last week of the extract): weeks -1 and 0.
EXPECTED_WEEKS = [
    ("p01", "2024-W28", -4, "130", 2, False, "code"),
    ("p01", "2024-W29", -3, "130", 2, False, "code"),
    ("p01", "2024-W30", -2, "710", NA, False, "coded_out"),
    ("p01", "2024-W31", -1, None, 10, True, "employment"),
    ("p01", "2024-W32", 0, None, 10, True, "employment"),
    ("p01", "2024-W33", 1, "210", 8, True, "code"),
    ("p02", "2024-W28", -4, "999", NA, True, "unknown_code"),
    ("p02", "2024-W29", -3, "999", NA, True, "unknown_code"),
    ("p02", "2024-W30", -2, None, 10, True, "employment"),
    ("p02", "2024-W32", 0, "720", NA, False, "coded_out"),
    ("p02", "2024-W33", 1, "111", 5, False, "code"),
    ("p03", "2024-W28", 18, "135", 3, False, "code"),
    ("p03", "2024-W29", 19, "140", 1, False, "code"),
    ("p03", "2024-W31", 21, "510", 0, False, "code"),
    ("p03", "2024-W32", 22, "610", 10, False, "code"),
    ("p03", "2024-W33", 23, "320", 6, False, "code"),
    ("p07", "2024-W32", -1, "130", 2, False, "code"),
    ("p07", "2024-W33", 0, "220", 7, False, "code"),
]
COLUMNS = ["person_id", "iso_week", "week_rel", "code", "score", "employed", "score_source"]


def expected_frame() -> pd.DataFrame:
    return pd.DataFrame(EXPECTED_WEEKS, columns=COLUMNS)


def as_plain(weeks: pd.DataFrame) -> pd.DataFrame:
    """The panel with plain Python values, comparable with `expected_frame()`."""
    out = pd.DataFrame(
        {
            "person_id": weeks["person_id"].astype(str).tolist(),
            "iso_week": weeks["iso_week"].astype(str).tolist(),
            "week_rel": weeks["week_rel"].astype(int).tolist(),
            "code": [None if pd.isna(c) else str(c) for c in weeks["code"]],
            "score": weeks["score"].astype(float).tolist(),
            "employed": weeks["employed"].astype(bool).tolist(),
            "score_source": weeks["score_source"].astype(str).tolist(),
        }
    )
    return out


def run_pipeline(folder: Path, score_map: pd.DataFrame | None = None):
    ledger = Exclusions()
    holds = sources.load_holds(folder)
    persons = cohort.build_persons(
        holds, sources.load_enrolments(folder, holds), sources.load_registrations(folder), ledger
    )
    extract = dream.read_dream(folder)
    panel = dream.build_panel(extract, persons, score_map, exclusions=ledger)
    return extract, panel, ledger


@pytest.fixture
def pipeline(tmp_path):
    return run_pipeline(write_folder(tmp_path))


def dream_only(folder: Path, text: str, name: str = "dream.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def persons_on(start: str, ids: list[str], consent: bool = True) -> pd.DataFrame:
    """A minimal person table (the columns build_panel uses): everyone on one hold."""
    return pd.DataFrame(
        {
            "person_id": ids,
            "hold_id": "H",
            "start_date": pd.Timestamp(start),
            "n_weeks": 7,
            "consent_register": consent,
        }
    )


def read_error(folder: Path) -> ContractError:
    with pytest.raises(ContractError) as info:
        dream.read_dream(folder)
    return info.value


# --------------------------------------------------------------------------- the extract


def test_extract_arrays(pipeline):
    extract, _, _ = pipeline
    assert extract.person_id.tolist() == ["p01", "p02", "p03", "p04", "p05", "p06", "p07"]
    assert extract.week_monday.astype(str).tolist() == [
        "2024-07-08",
        "2024-07-15",
        "2024-07-22",
        "2024-07-29",
        "2024-08-05",
        "2024-08-12",
    ]
    assert extract.iso_weeks.tolist() == [f"2024-W{w}" for w in range(28, 34)]
    assert extract.grad_month.astype(str).tolist() == ["2024-07", "2024-08"]
    assert extract.codes[0].tolist() == [130, 130, 710, -1, -1, 210]
    assert extract.codes[6].tolist() == [-1, -1, -1, -1, 130, 220]
    np.testing.assert_array_equal(
        extract.grad[:2], np.array([[NA, 0.5], [0.3, 0.0]], dtype=np.float32)
    )
    assert np.isnan(extract.grad[2:]).all()


def test_columns_in_any_order(tmp_path):
    rows = rows_of(DREAM)
    order = [0, 8, 6, 3, 1, 7, 5, 2, 4]  # grad and week columns shuffled
    shuffled = to_text([[r[i] for i in order] for r in rows])
    a = dream.read_dream(dream_only(tmp_path / "a", DREAM))
    b = dream.read_dream(dream_only(tmp_path / "b", shuffled))
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.grad, b.grad)
    np.testing.assert_array_equal(a.week_monday, b.week_monday)


# --------------------------------------------------------------------------- the panel


def test_panel_rows_scores_and_relative_weeks(pipeline):
    _, panel, _ = pipeline
    pd.testing.assert_frame_equal(as_plain(panel.weeks), expected_frame())
    assert list(panel.weeks.columns) == COLUMNS
    assert panel.first_week == "2024-W28" and panel.last_week == "2024-W33"


def test_thursday_rule(pipeline):
    # 2024-W31: Monday 29 July, Thursday 1 August -> the week belongs to August.
    w = as_plain(pipeline[1].weeks)
    w31 = w[w["iso_week"] == "2024-W31"].set_index("person_id")
    # p01: no grad in July, 0.5 in August -> employed, score 10.
    assert (w31.loc["p01", "score"], w31.loc["p01", "employed"]) == (10, True)
    # p02: grad 0.3 in July, 0 in August -> no row (it would score 10 by the Monday's month).
    assert "p02" not in w31.index
    # p03 has a code that week (510, førtidspension): the code decides, not grad.
    assert w31.loc["p03", "score"] == 0


def test_panel_dtypes(pipeline):
    w = pipeline[1].weeks
    for col in ("person_id", "iso_week", "code", "score_source"):
        assert isinstance(w[col].dtype, pd.CategoricalDtype), col
    assert list(w["score_source"].cat.categories) == list(dream.SCORE_SOURCES)
    assert list(w["iso_week"].cat.categories) == [f"2024-W{n}" for n in range(28, 34)]
    # The code categories are the codes present in the panel: 888 and 777 belong to excluded
    # persons and do not appear.
    assert list(w["code"].cat.categories) == [
        "111",
        "130",
        "135",
        "140",
        "210",
        "220",
        "320",
        "510",
        "610",
        "710",
        "720",
        "999",
    ]
    assert pd.api.types.is_integer_dtype(w["week_rel"])
    assert pd.api.types.is_float_dtype(w["score"])
    assert w["employed"].dtype == bool


def test_panel_persons_and_coverage(pipeline):
    _, panel, _ = pipeline
    p = panel.persons
    assert p["person_id"].tolist() == ["p01", "p02", "p03", "p07"]
    assert p["hold_id"].tolist() == ["U1", "U1", "P1", "U3"]
    assert p["first_week_rel"].tolist() == [-4, -4, 18, -5]
    assert p["last_week_rel"].tolist() == [1, 1, 23, 0]


def test_exclusions_ledger(pipeline):
    _, panel, ledger = pipeline
    n = ledger.count
    assert n("dream", "person in the extract but not enrolled") == 1  # p05
    assert n("dream", "person in the extract without register consent") == 1  # p04
    assert n("dream", "register consent but not in the extract") == 1  # p08
    assert n("dream", "hold without data from course start (week 0)") == 1  # p06 on U2
    assert n("dream", "weeks with a coded-out benefit code (no score)") == 2  # 710, 720
    assert n("dream", "weeks with a code missing from the mapping table (no score)") == 2  # 999 x2
    frame = ledger.frame().set_index("reason")
    assert frame.loc["hold without data from course start (week 0)", "detail"] == "U2"
    assert (
        frame.loc["weeks with a code missing from the mapping table (no score)", "detail"] == "999"
    )
    assert frame.loc["weeks with a coded-out benefit code (no score)", "unit"] == "person-weeks"
    # Codes of excluded persons (888 for p04, 777 for p06) are neither scored nor counted.
    assert panel.unknown_codes.to_dict("list") == {"code": ["999"], "person_weeks": [2]}


@pytest.mark.parametrize(
    ("week_rel", "covered", "score"),
    [
        # persons p01, p02, p03, p07
        (-5, [False, False, False, True], [NA, NA, NA, NA]),  # p07 has no row that week
        (-4, [True, True, False, True], [2, NA, NA, NA]),  # p02: unknown code 999
        (-1, [True, True, False, True], [10, NA, NA, 2]),  # p02: W31, no grad in August
        (0, [True, True, False, True], [10, NA, NA, 7]),  # p02: coded out (720)
        (1, [True, True, False, False], [8, 5, NA, NA]),
        (18, [False, False, True, False], [NA, NA, 3, NA]),
        (20, [False, False, True, False], [NA, NA, NA, NA]),  # p03: W30, no code, no grad
        (24, [False, False, False, False], [NA, NA, NA, NA]),
    ],
)
def test_score_at(pipeline, week_rel, covered, score):
    at = dream.score_at(pipeline[1], week_rel)
    assert at["person_id"].tolist() == ["p01", "p02", "p03", "p07"]
    assert at["covered"].tolist() == covered
    np.testing.assert_array_equal(at["score"].to_numpy(dtype=float), np.array(score, dtype=float))


def test_parquet_extract_identical_to_csv(tmp_path):
    csv_extract, csv_panel, csv_ledger = run_pipeline(write_folder(tmp_path / "csv"))
    folder = write_folder(tmp_path / "parquet")
    (folder / "dream.csv").unlink()
    text = pd.read_csv(
        folder.parent / "csv" / "dream.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    text.to_parquet(folder / "dream.parquet", index=False)
    pq_extract, pq_panel, pq_ledger = run_pipeline(folder)
    assert pq_extract.path.name == "dream.parquet"
    for field in ("person_id", "week_monday", "codes", "grad_month", "grad"):
        np.testing.assert_array_equal(getattr(pq_extract, field), getattr(csv_extract, field))
    pd.testing.assert_frame_equal(pq_panel.weeks, csv_panel.weeks)
    pd.testing.assert_frame_equal(pq_panel.persons, csv_panel.persons)
    pd.testing.assert_frame_equal(pq_ledger.frame(), csv_ledger.frame())


def test_typed_parquet_grad_is_read_like_text(tmp_path):
    # grad as a float column (as a statistics agency might deliver it): the same extract.
    df = pd.read_csv(
        dream_only(tmp_path / "a", DREAM) / "dream.csv",
        dtype=str,
        keep_default_na=False,
        na_values=[""],
    )
    df = df.astype({"grad_2024_07": float, "grad_2024_08": float})
    (tmp_path / "b").mkdir()
    df.to_parquet(tmp_path / "b" / "dream.parquet", index=False)
    a, b = dream.read_dream(tmp_path / "a"), dream.read_dream(tmp_path / "b")
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.grad, b.grad)


def test_replacing_the_score_map_changes_the_scores(tmp_path):
    # The map is a parameter: give 999 a score and make 710 count as 4 (revalidering).
    shipped = dream.load_score_map()
    custom = pd.concat(
        [
            shipped,
            pd.DataFrame({"code": ["999"], "label": ["Test"], "score": [4], "category": ["x"]}),
        ],
        ignore_index=True,
    ).astype({"score": "Int64"})
    custom.loc[custom["code"] == "710", "score"] = 4
    _, panel, ledger = run_pipeline(write_folder(tmp_path), custom)
    w = as_plain(panel.weeks)
    assert w.loc[w["code"] == "999", "score"].tolist() == [4, 4]
    assert w.loc[w["code"] == "710", "score"].tolist() == [4]
    assert w.loc[w["code"] == "720", "score_source"].tolist() == ["coded_out"]
    assert ledger.count("dream", "weeks with a coded-out benefit code (no score)") == 1
    assert ledger.count("dream", "weeks with a code missing from the mapping table (no score)") == 0
    assert panel.unknown_codes.empty


# --------------------------------------------------------------------------- ISO weeks and months


@pytest.mark.parametrize(
    ("columns", "mondays", "labels"),
    [
        (
            ["y_2052", "y_2053", "y_2101"],
            ["2020-12-21", "2020-12-28", "2021-01-04"],
            ["2020-W52", "2020-W53", "2021-W01"],
        ),
        (
            ["y_2652", "y_2653", "y_2701"],
            ["2026-12-21", "2026-12-28", "2027-01-04"],
            ["2026-W52", "2026-W53", "2027-W01"],
        ),
    ],
)
def test_week_53(tmp_path, columns, mondays, labels):
    y = columns[0][2:4]
    header = ["person_id", *columns, f"grad_20{y}_12", f"grad_20{int(y) + 1}_01"]
    extract = dream.read_dream(
        dream_only(tmp_path, to_text([header, ["a", "130", "", "", "", ""]]))
    )
    assert extract.week_monday.astype(str).tolist() == mondays
    assert extract.iso_weeks.tolist() == labels


def test_week_53_panel_and_year_end_thursday_rule(tmp_path):
    # 2020-W51 .. 2021-W02; hold starts 2021-01-04 (2021-W01). 2020-W53: Monday 28 December,
    # Thursday 31 December -> December. q1 works in December only, q2 in January only.
    text = (
        "person_id,y_2051,y_2052,y_2053,y_2101,y_2102,grad_2020_12,grad_2021_01\n"
        "q1,130,130,,,,1,0\n"
        "q2,,,,,,,0.2\n"
    )
    extract = dream.read_dream(dream_only(tmp_path, text))
    panel = dream.build_panel(extract, persons_on("2021-01-04", ["q1", "q2"]))
    expected = [
        ("q1", "2020-W51", -3, "130", 2.0, True, "code"),
        ("q1", "2020-W52", -2, "130", 2.0, True, "code"),
        ("q1", "2020-W53", -1, None, 10.0, True, "employment"),
        ("q2", "2021-W01", 0, None, 10.0, True, "employment"),
        ("q2", "2021-W02", 1, None, 10.0, True, "employment"),
    ]
    pd.testing.assert_frame_equal(as_plain(panel.weeks), pd.DataFrame(expected, columns=COLUMNS))


def test_week_of_new_year_belongs_to_the_month_of_its_thursday(tmp_path):
    # 2025-W01 starts on Monday 30 December 2024; its Thursday is 2 January 2025.
    text = "person_id,y_2452,y_2501,grad_2024_12,grad_2025_01\nr1,,,0.5,0\nr2,,,0,0.5\n"
    extract = dream.read_dream(dream_only(tmp_path, text))
    panel = dream.build_panel(extract, persons_on("2024-12-23", ["r1", "r2"]))
    assert as_plain(panel.weeks)[
        ["person_id", "iso_week", "week_rel", "score"]
    ].values.tolist() == [
        ["r1", "2024-W52", 0, 10.0],
        ["r2", "2025-W01", 1, 10.0],
    ]


def test_week_53_in_a_year_without_one_is_rejected(tmp_path):
    text = "person_id,y_2252,y_2253,y_2301,grad_2022_12,grad_2023_01\na,130,130,130,,\n"
    err = read_error(dream_only(tmp_path, text))
    assert err.path.name == "dream.csv"
    assert err.problems[0].column == "y_2253"
    assert "week 53 only in years that have one" in str(err)


def test_non_contiguous_weeks_are_rejected(tmp_path):
    rows = rows_of(DREAM)
    drop = rows[0].index("y_2430")
    err = read_error(dream_only(tmp_path, to_text([r[:drop] + r[drop + 1 :] for r in rows])))
    assert "a contiguous range of ISO weeks" in str(err)
    assert "gap after 2024-W29" in str(err)


def test_missing_grad_month_is_rejected(tmp_path):
    rows = rows_of(DREAM)
    drop = rows[0].index("grad_2024_08")
    err = read_error(dream_only(tmp_path, to_text([r[:drop] + r[drop + 1 :] for r in rows])))
    assert err.problems[0].column == "grad_2024_08"
    assert "a grad_YYYY_MM column for every month" in str(err)


def test_impossible_grad_month_is_rejected(tmp_path):
    text = "person_id,y_2428,grad_2024_07,grad_2024_13\na,130,,\n"
    err = read_error(dream_only(tmp_path, text))
    assert "grad_2024_13" in str(err)


# --------------------------------------------------------------------------- bad cells


@pytest.mark.parametrize("bad", ["13A", "13", "1300", "+13", "-13", " 13", "13.0"])
def test_bad_code_is_rejected_with_column_and_row(tmp_path, bad):
    err = read_error(dream_only(tmp_path, edit(DREAM, 3, "y_2429", bad)))
    assert err.path.name == "dream.csv"
    [problem] = err.problems
    assert (problem.column, problem.rows) == ("y_2429", [3])
    assert "a 3-digit benefit code" in problem.expected
    assert "column 'y_2429'" in str(err) and "rows 3" in str(err)


def test_codes_with_leading_zeros_are_valid(tmp_path):
    extract = dream.read_dream(dream_only(tmp_path, edit(DREAM, 2, "y_2428", "007")))
    assert extract.codes[0, 0] == 7


@pytest.mark.parametrize("bad", ["1.7", "-0.1", "0,5", "ja", "nan"])
def test_bad_grad_is_rejected_with_column_and_row(tmp_path, bad):
    err = read_error(dream_only(tmp_path, edit(DREAM, 2, "grad_2024_08", bad)))
    [problem] = err.problems
    assert (problem.column, problem.rows) == ("grad_2024_08", [2])
    assert "between 0 and 1" in problem.expected
    assert "column 'grad_2024_08'" in str(err) and "rows 2" in str(err)


def test_all_bad_cells_reported_together(tmp_path):
    text = edit(edit(edit(DREAM, 3, "y_2429", "13A"), 2, "grad_2024_08", "1.7"), 7, "y_2433", "1")
    err = read_error(dream_only(tmp_path, add_duplicate(text)))
    by_column = {p.column: p.rows for p in err.problems}
    assert by_column == {"person_id": [9], "y_2429": [3], "y_2433": [7], "grad_2024_08": [2]}


def add_duplicate(text: str) -> str:
    return text + "p01,,,,,,,,\n"


def test_missing_person_id_is_rejected(tmp_path):
    err = read_error(dream_only(tmp_path, edit(DREAM, 4, "person_id", "")))
    [problem] = err.problems
    assert (problem.column, problem.rows) == ("person_id", [4])


def test_unknown_column_is_rejected(tmp_path):
    rows = rows_of(DREAM)
    err = read_error(
        dream_only(tmp_path, to_text([[*r, "x"] for r in rows[:1]] + [[*r, ""] for r in rows[1:]]))
    )
    assert "only person_id, y_YYWW and grad_YYYY_MM columns" in str(err)


# --------------------------------------------------------------------------- edge cases


def test_no_unknown_codes_and_nobody_left(tmp_path):
    # A clean extract (every code in the map) and an extract where nobody consents both work.
    clean = DREAM.replace("999", "130").replace("888", "130").replace("777", "130")
    _, panel, ledger = run_pipeline(write_folder(tmp_path, dream=clean))
    assert panel.unknown_codes.empty and list(panel.unknown_codes.columns) == [
        "code",
        "person_weeks",
    ]
    assert ledger.count("dream", "weeks with a code missing from the mapping table (no score)") == 0
    extract = dream.read_dream(tmp_path)
    empty = dream.build_panel(extract, persons_on("2024-08-05", ["p01"], consent=False))
    assert empty.weeks.empty and list(empty.weeks.columns) == COLUMNS
    assert empty.persons.empty


# --------------------------------------------------------------------------- the score map


def test_shipped_score_map_is_illustrative_and_complete():
    text = SHIPPED_MAP.read_text(encoding="utf-8")
    assert "ILLUSTRATIVE" in text.splitlines()[0]
    m = dream.load_score_map().set_index("code")
    assert m["score"].dtype == "Int64"
    assert m.loc["130", "score"] == 2 and m.loc["610", "score"] == 10 and m.loc["510", "score"] == 0
    assert pd.isna(m.loc["710", "score"]) and pd.isna(m.loc["720", "score"])
    assert set(m["score"].dropna()) == set(range(11))


def write_map(tmp_path: Path, *extra: str, replace: tuple[str, str] | None = None) -> Path:
    body = "code,label,score,category\n130,Kontanthjælp,2,kontanthjaelp\n710,Barsel,,kodet_ud\n"
    if replace:
        body = body.replace(*replace)
    path = tmp_path / "map.csv"
    path.write_text(body + "".join(f"{line}\n" for line in extra), encoding="utf-8")
    return path


def test_score_map_with_non_integer_score_is_rejected(tmp_path):
    with pytest.raises(ContractError) as info:
        dream.load_score_map(write_map(tmp_path, "140,Ressourceforløb,1.5,ressourceforloeb"))
    [problem] = info.value.problems
    assert (problem.column, problem.rows, problem.found) == ("score", [4], ["1.5"])
    assert "a whole number 0-10" in problem.expected
    assert "map.csv" in str(info.value)


@pytest.mark.parametrize("bad", ["11", "-1", "to", "2.0x"])
def test_score_map_score_out_of_range_is_rejected(tmp_path, bad):
    with pytest.raises(ContractError, match="a whole number 0-10"):
        dream.load_score_map(write_map(tmp_path, replace=(",2,", f",{bad},")))


def test_score_map_with_duplicate_code_is_rejected(tmp_path):
    with pytest.raises(ContractError) as info:
        dream.load_score_map(write_map(tmp_path, "130,Kontanthjælp igen,3,kontanthjaelp"))
    [problem] = info.value.problems
    assert (problem.column, problem.rows, problem.found) == ("code", [4], ["130"])
    assert "each code once" in problem.expected


def test_score_map_with_bad_code_or_missing_column_is_rejected(tmp_path):
    with pytest.raises(ContractError, match="a 3-digit code"):
        dream.load_score_map(write_map(tmp_path, "14,Kort,1,x"))
    with pytest.raises(ContractError, match="column 'category'"):
        dream.load_score_map(write_map(tmp_path, replace=(",category", ",kategori")))
