"""The loaders of holds, enrolments and registrations, and the person table built from them.

Every test starts from the tiny hand-made folder in `helpers.py` and breaks one thing at a time.
Row numbers are spreadsheet numbers: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import (
    ENROLMENTS,
    FILES,
    HOLDS,
    REGISTRATIONS,
    add_row,
    drop_column,
    edit,
    fingerprint,
    write_folder,
)

from tpj_helpers.data import cohort, dream, sources
from tpj_helpers.data.contract import ContractError, Problem, read_table
from tpj_helpers.data.exclusions import Exclusions


def load_all(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    holds = sources.load_holds(folder)
    return holds, sources.load_enrolments(folder, holds), sources.load_registrations(folder)


def contract_error(folder: Path, stem: str) -> ContractError:
    """The ContractError raised when loading `stem` from `folder` (fails if none is raised)."""
    with pytest.raises(ContractError) as info:
        if stem == "holds":
            sources.load_holds(folder)
        elif stem == "enrolments":
            sources.load_enrolments(folder, sources.load_holds(folder))
        else:
            sources.load_registrations(folder)
    return info.value


def the_problem(err: ContractError, column: str) -> Problem:
    found = [p for p in err.problems if p.column == column]
    assert len(found) == 1, f"expected one problem in column {column!r}:\n{err}"
    return found[0]


def assert_reported(
    err: ContractError, file: str, column: str, rows: list[int], expected: str, found: str = ""
) -> None:
    """The message names the file, the column, the rows and what was expected."""
    assert err.path.name == file
    problem = the_problem(err, column)
    assert problem.rows == rows
    assert expected in problem.expected
    message = str(err)
    assert file in message
    assert f"column '{column}'" in message
    if rows:
        assert f"rows {', '.join(map(str, rows))}" in message
    assert expected in message
    if found:
        assert repr(found) in message


# --------------------------------------------------------------------------- the valid folder


def test_valid_folder_loads_with_types_and_values(tmp_path):
    holds, enrol, reg = load_all(write_folder(tmp_path))

    assert list(holds.columns) == [
        "hold_id",
        "phase",
        "start_date",
        "n_weeks",
        "status",
        "time_slot",
    ]
    assert isinstance(holds["hold_id"].dtype, pd.StringDtype)
    assert list(holds["phase"].cat.categories) == ["pilot", "udbredelse"]
    assert pd.api.types.is_datetime64_dtype(holds["start_date"])
    assert holds["n_weeks"].dtype == np.int64
    assert holds["hold_id"].tolist() == ["P1", "P2", "U1", "U2", "U3"]
    assert holds["n_weeks"].tolist() == [8, 8, 7, 7, 7]
    assert holds["status"].tolist() == ["afholdt", "aflyst", "afholdt", "afholdt", "afholdt"]
    assert holds.set_index("hold_id")["start_date"].to_dict() == {
        "P1": pd.Timestamp("2024-03-04"),
        "P2": pd.Timestamp("2024-04-08"),
        "U1": pd.Timestamp("2024-08-05"),
        "U2": pd.Timestamp("2025-01-06"),
        "U3": pd.Timestamp("2024-08-12"),
    }

    assert len(enrol) == 10
    assert pd.api.types.is_datetime64_dtype(enrol["enrolled_date"])
    assert pd.api.types.is_datetime64_dtype(enrol["withdrawn_date"])
    p07 = enrol[enrol["person_id"] == "p07"]
    assert p07["withdrawn_date"].tolist() == [
        pd.Timestamp("2024-03-04"),
        pd.Timestamp("2024-08-19"),
    ]
    assert enrol["withdrawn_date"].isna().sum() == 6  # the completed enrolments
    assert enrol.loc[enrol["person_id"] == "p06", "kommune"].item() == "Næstved"
    assert enrol["withdrawal_reason"].isna().sum() == 6

    assert pd.api.types.is_bool_dtype(reg["consent_register"])
    assert pd.api.types.is_bool_dtype(reg["consent_survey"])
    assert reg["birth_year"].dtype == "Int64"
    assert pd.api.types.is_datetime64_dtype(reg["registered_date"])
    by_id = reg.set_index("person_id")
    assert by_id["consent_register"].to_dict() == {
        "p01": True,
        "p02": True,
        "p03": True,
        "p04": False,
        "p06": True,
        "p07": True,
        "p08": True,
        "p10": True,
    }
    assert by_id["consent_survey"].tolist() == [True, False, True, True, True, False, True, True]
    assert by_id.loc["p01", "birth_year"] == 2000
    assert pd.isna(by_id.loc["p08", "birth_year"])
    assert pd.isna(by_id.loc["p06", "visitation"]) and pd.isna(by_id.loc["p06", "gender"])
    assert by_id.loc["p02", "registered_date"] == pd.Timestamp("2024-02-19")


# --------------------------------------------------------------------------- each class of bad input


def test_missing_column(tmp_path):
    err = contract_error(write_folder(tmp_path, holds=drop_column(HOLDS, "status")), "holds")
    assert_reported(err, "holds.csv", "status", [], "the column to be present")


def test_wrong_type(tmp_path):
    err = contract_error(write_folder(tmp_path, holds=edit(HOLDS, 3, "n_weeks", "syv")), "holds")
    assert_reported(err, "holds.csv", "n_weeks", [3], "a whole number of weeks", found="syv")
    assert len(err.problems) == 1


def test_unknown_category_enrolment_status(tmp_path):
    folder = write_folder(tmp_path, enrolments=edit(ENROLMENTS, 4, "status", "færdig"))
    err = contract_error(folder, "enrolments")
    assert_reported(err, "enrolments.csv", "status", [4], "'gennemført', 'afmeldt'", found="færdig")


def test_unknown_category_visitation(tmp_path):
    folder = write_folder(tmp_path, registrations=edit(REGISTRATIONS, 5, "visitation", "kontant"))
    err = contract_error(folder, "registrations")
    assert_reported(
        err, "registrations.csv", "visitation", [5], "'akt_kontanthjaelp'", found="kontant"
    )


@pytest.mark.parametrize("bad", ["2024-02-30", "04-03-2024"])
def test_unparseable_date(tmp_path, bad):
    folder = write_folder(tmp_path, enrolments=edit(ENROLMENTS, 3, "enrolled_date", bad))
    err = contract_error(folder, "enrolments")
    assert_reported(
        err, "enrolments.csv", "enrolled_date", [3], "an ISO date YYYY-MM-DD", found=bad
    )


@pytest.mark.parametrize("bad", ["2024-02-30", "04-03-2024"])
def test_unparseable_start_date_is_one_problem(tmp_path, bad):
    # Only the bad row is reported, and only as a bad date: the Monday rule judges real dates only
    # (it used to flag every other row too when the first value was not ISO, see sources.py).
    err = contract_error(write_folder(tmp_path, holds=edit(HOLDS, 2, "start_date", bad)), "holds")
    assert_reported(err, "holds.csv", "start_date", [2], "an ISO date YYYY-MM-DD", found=bad)
    assert len(err.problems) == 1


def test_start_date_not_a_monday(tmp_path):
    err = contract_error(
        write_folder(tmp_path, holds=edit(HOLDS, 4, "start_date", "2024-08-06")), "holds"
    )
    assert_reported(err, "holds.csv", "start_date", [4], "the Monday", found="2024-08-06")


def test_duplicate_hold_id(tmp_path):
    folder = write_folder(
        tmp_path, holds=add_row(HOLDS, "U1,udbredelse,2024-09-02,7,afholdt,11:00")
    )
    err = contract_error(folder, "holds")
    assert_reported(err, "holds.csv", "hold_id", [7], "unique", found="U1")


def test_duplicate_person_in_registrations(tmp_path):
    extra = "p03,Odense,andet,kvinde,1989,ja,ja,2024-02-20"
    err = contract_error(
        write_folder(tmp_path, registrations=add_row(REGISTRATIONS, extra)), "registrations"
    )
    assert_reported(err, "registrations.csv", "person_id", [10], "unique", found="p03")


def test_duplicate_enrolment_of_a_person_on_one_hold(tmp_path):
    extra = "p01,U1,Aalborg,2024-07-09,afmeldt,2024-07-10,andet"
    err = contract_error(
        write_folder(tmp_path, enrolments=add_row(ENROLMENTS, extra)), "enrolments"
    )
    assert [p.rows for p in err.problems] == [[12]] * len(err.problems)
    assert {p.column for p in err.problems} <= {"person_id", "hold_id"}
    assert "unique" in str(err)


def test_enrolment_on_unknown_hold(tmp_path):
    err = contract_error(
        write_folder(tmp_path, enrolments=edit(ENROLMENTS, 2, "hold_id", "X9")), "enrolments"
    )
    assert_reported(err, "enrolments.csv", "hold_id", [2], "exists in holds.csv", found="X9")


def test_enrolment_on_cancelled_hold(tmp_path):
    err = contract_error(
        write_folder(tmp_path, enrolments=edit(ENROLMENTS, 11, "hold_id", "P2")), "enrolments"
    )
    assert_reported(err, "enrolments.csv", "hold_id", [11], "not a cancelled one", found="P2")


def test_withdrawn_without_date(tmp_path):
    folder = write_folder(tmp_path, enrolments=edit(ENROLMENTS, 8, "withdrawn_date", ""))
    err = contract_error(folder, "enrolments")
    assert_reported(err, "enrolments.csv", "withdrawn_date", [8], "a date when status is 'afmeldt'")


def test_cross_file_problems_reported_together(tmp_path):
    text = edit(edit(ENROLMENTS, 2, "hold_id", "X9"), 3, "withdrawn_date", "")
    err = contract_error(write_folder(tmp_path, enrolments=text), "enrolments")
    assert_reported(err, "enrolments.csv", "hold_id", [2], "exists in holds.csv")
    assert_reported(err, "enrolments.csv", "withdrawn_date", [3], "a date when status is 'afmeldt'")


def test_empty_required_cell(tmp_path):
    err = contract_error(
        write_folder(tmp_path, enrolments=edit(ENROLMENTS, 6, "kommune", "")), "enrolments"
    )
    assert_reported(err, "enrolments.csv", "kommune", [6], "a value in every row")


def test_windows_1252_file_reads_like_utf8(tmp_path):
    # The contract admits Windows-1252 (Danish Excel); 'æ' is byte 0xe6 there.
    folder = write_folder(tmp_path)
    expected = sources.load_registrations(folder)
    (folder / "registrations.csv").write_bytes(REGISTRATIONS.encode("cp1252"))
    pd.testing.assert_frame_equal(sources.load_registrations(folder), expected)


def test_undecodable_file(tmp_path):
    # 0x81 is neither valid UTF-8 (a lone continuation byte) nor defined in Windows-1252.
    folder = write_folder(tmp_path)
    (folder / "registrations.csv").write_bytes(
        REGISTRATIONS.encode("cp1252").replace("Næstved".encode("cp1252"), b"N\x81stved")
    )
    err = contract_error(folder, "registrations")
    assert err.path.name == "registrations.csv"
    problem = err.problems[0]
    assert problem.rows == [6]  # the first line with the bad byte: p06,N?stved
    assert "UTF-8 or Windows-1252" in problem.expected
    assert "0x81" in str(err)
    assert "registrations.csv" in str(err) and "rows 6" in str(err)


def test_all_failures_of_a_file_at_once(tmp_path):
    text = edit(edit(REGISTRATIONS, 2, "gender", "k"), 4, "consent_register", "yes")
    text = edit(text, 7, "birth_year", "88")
    err = contract_error(
        write_folder(tmp_path, registrations=drop_column(text, "kommune")), "registrations"
    )
    assert_reported(err, "registrations.csv", "gender", [2], "'kvinde', 'mand'", found="k")
    assert_reported(err, "registrations.csv", "consent_register", [4], "'ja', 'nej'", found="yes")
    assert_reported(
        err, "registrations.csv", "birth_year", [7], "a four-digit birth year", found="88"
    )
    assert_reported(err, "registrations.csv", "kommune", [], "the column to be present")
    assert len(err.problems) == 4


def test_many_bad_rows_are_summarised(tmp_path):
    text = ENROLMENTS.replace(",gennemført,", ",done,")
    err = contract_error(write_folder(tmp_path, enrolments=text), "enrolments")
    problem = the_problem(err, "status")
    assert problem.rows == [2, 4, 5, 6, 7]
    assert problem.n_rows == 6
    assert "first 5 of 6" in str(err)


# --------------------------------------------------------------------------- other formats


def typed_frame(stem: str) -> pd.DataFrame:
    """The CSV as a spreadsheet user would have it: real dates and numbers, not text."""
    df = pd.read_csv(io.StringIO(FILES[stem]), dtype=str, keep_default_na=False, na_values=[""])
    for col in df.columns:
        if col.endswith("_date"):
            df[col] = pd.to_datetime(df[col])
    for col in ("n_weeks", "birth_year"):
        if col in df.columns:
            df[col] = pd.to_numeric(df[col]).astype("Int64")
    return df


def text_frame(stem: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(FILES[stem]), dtype=str, keep_default_na=False, na_values=[""])


def convert(folder: Path, stems: tuple[str, ...], suffix: str, typed: bool) -> Path:
    for stem in stems:
        df = typed_frame(stem) if typed else text_frame(stem)
        (folder / f"{stem}.csv").unlink()
        if suffix == ".parquet":
            df.to_parquet(folder / f"{stem}.parquet", index=False)
        else:
            df.to_excel(folder / f"{stem}.xlsx", index=False)
    return folder


@pytest.mark.parametrize("typed", [False, True], ids=["text", "typed"])
@pytest.mark.parametrize(
    ("suffix", "stems"),
    [
        (".parquet", ("holds", "enrolments", "registrations")),
        (".xlsx", ("enrolments", "registrations")),
    ],
    ids=["parquet", "xlsx"],
)
def test_parquet_and_xlsx_load_like_csv(tmp_path, suffix, stems, typed):
    expected = load_all(write_folder(tmp_path / "csv"))
    other = convert(write_folder(tmp_path / "other"), stems, suffix, typed)
    for stem in stems:
        assert (other / f"{stem}{suffix}").is_file()
    for got, want in zip(load_all(other), expected, strict=True):
        pd.testing.assert_frame_equal(got, want)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_errors_in_parquet_and_xlsx_name_the_same_rows(tmp_path, suffix):
    folder = write_folder(tmp_path)
    df = text_frame("registrations")
    df.loc[3, "visitation"] = "kontant"  # data row 4 = spreadsheet row 5
    (folder / "registrations.csv").unlink()
    target = folder / f"registrations{suffix}"
    if suffix == ".parquet":
        df.to_parquet(target, index=False)
    else:
        df.to_excel(target, index=False)
    err = contract_error(folder, "registrations")
    assert_reported(
        err, f"registrations{suffix}", "visitation", [5], "'akt_kontanthjaelp'", found="kontant"
    )


def test_two_versions_of_one_file_are_refused(tmp_path):
    folder = write_folder(tmp_path)
    text_frame("holds").to_parquet(folder / "holds.parquet", index=False)
    with pytest.raises(
        ContractError, match=r"exactly one file for the source holds.*holds.csv, holds.parquet"
    ):
        sources.load_holds(folder)


def test_parquet_timestamps_keep_their_time(tmp_path):
    # Dates stay plain dates; a timestamp column (e.g. survey submitted_at) keeps the time of day.
    df = pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-03-04", None]),
            "at": pd.to_datetime(["2024-03-04 10:15:00", "2024-03-05 00:00:00"]),
        }
    )
    df.to_parquet(tmp_path / "t.parquet")
    got = read_table(tmp_path / "t.parquet")
    assert got["day"].tolist()[0] == "2024-03-04" and pd.isna(got["day"].tolist()[1])
    assert got["at"].tolist() == ["2024-03-04 10:15:00", "2024-03-05 00:00:00"]


# --------------------------------------------------------------------------- raw files are read-only


def test_raw_files_are_never_written(tmp_path):
    folders = [
        write_folder(tmp_path / "csv"),
        convert(write_folder(tmp_path / "parquet"), tuple(FILES), ".parquet", typed=False),
        convert(
            write_folder(tmp_path / "xlsx"), ("enrolments", "registrations"), ".xlsx", typed=True
        ),
    ]
    for folder in folders:
        before = fingerprint(folder)
        holds, enrol, reg = load_all(folder)
        persons = cohort.build_persons(holds, enrol, reg)
        dream.build_panel(dream.read_dream(folder), persons)
        assert fingerprint(folder) == before  # same files, same bytes, same mtimes, nothing new


# --------------------------------------------------------------------------- counted enrolments


def test_counted_enrolments(tmp_path):
    holds, enrol, _ = load_all(write_folder(tmp_path))
    counted = cohort.counted_enrolments(enrol, holds).set_index("person_id")
    assert counted.index.tolist() == ["p01", "p02", "p03", "p04", "p06", "p07", "p08", "p09"]
    # p02: withdrawn on P1, then completed on U1 -> U1. p07: withdrawn twice -> the latest, U3.
    assert counted["hold_id"].to_dict() == {
        "p01": "U1",
        "p02": "U1",
        "p03": "P1",
        "p04": "U1",
        "p06": "U2",
        "p07": "U3",
        "p08": "U1",
        "p09": "U1",
    }
    assert counted.loc["p02", "status"] == "gennemført"
    assert counted.loc["p07", "status"] == "afmeldt"
    assert counted.loc["p07", "withdrawn_date"] == pd.Timestamp("2024-08-19")
    assert counted["n_enrolments"].to_dict() == {
        "p01": 1,
        "p02": 2,
        "p03": 1,
        "p04": 1,
        "p06": 1,
        "p07": 2,
        "p08": 1,
        "p09": 1,
    }
    assert counted.loc["p07", "start_date"] == pd.Timestamp("2024-08-12")


def test_completed_enrolment_counts_even_when_a_later_one_was_withdrawn(tmp_path):
    # Completed on P1, later enrolled again on U1 and withdrawn: the completed one counts.
    text = add_row(ENROLMENTS, "p03,U1,Odense,2024-07-10,afmeldt,2024-08-06,andet")
    holds, enrol, _ = load_all(write_folder(tmp_path, enrolments=text))
    counted = cohort.counted_enrolments(enrol, holds).set_index("person_id")
    assert counted.loc["p03", "hold_id"] == "P1"
    assert counted.loc["p03", "n_enrolments"] == 2


def test_person_table(tmp_path):
    holds, enrol, reg = load_all(write_folder(tmp_path))
    ledger = Exclusions()
    persons = cohort.build_persons(holds, enrol, reg, ledger).set_index("person_id")
    assert len(persons) == 8
    assert persons["registered"].sum() == 7  # p09 has no registration
    assert not persons.loc["p09", "consent_register"] and not persons.loc["p09", "consent_survey"]
    assert ledger.count("registrations", "registration without any enrolment") == 1  # p10
    assert (
        ledger.count("enrolments", "no registration: no background data and no register consent")
        == 1
    )
    assert (
        ledger.count(
            "registrations", "registered without register consent: not in the register analysis"
        )
        == 1
    )  # p04
    assert persons["age"].to_dict() == {
        "p01": 24,
        "p02": 55,
        "p03": 35,
        "p04": 56,
        "p06": 25,
        "p07": 36,
        "p08": None,
        "p09": None,
    }
    groups = persons["age_group"].astype(object).where(persons["age_group"].notna(), None)
    assert groups.to_dict() == {
        "p01": "Under 25",
        "p02": "46-55",
        "p03": "25-35",
        "p04": "Over 55",
        "p06": "25-35",
        "p07": "36-45",
        "p08": None,
        "p09": None,
    }


# --------------------------------------------------------------------------- age groups


def test_every_age_has_exactly_one_group():
    ages = pd.Series(range(18, 81))
    groups = cohort.age_group(ages)
    assert groups.notna().all()
    assert list(groups.cat.categories) == list(cohort.AGE_GROUPS)
    # One group per age, and the groups follow each other without gaps or overlaps.
    codes = groups.cat.codes.to_numpy()
    assert (np.diff(codes) >= 0).all() and set(codes) == {0, 1, 2, 3, 4}
    first_age = {g: int(ages[groups == g].min()) for g in cohort.AGE_GROUPS}
    last_age = {g: int(ages[groups == g].max()) for g in cohort.AGE_GROUPS}
    assert first_age == {"Under 25": 18, "25-35": 25, "36-45": 36, "46-55": 46, "Over 55": 56}
    assert last_age == {"Under 25": 24, "25-35": 35, "36-45": 45, "46-55": 55, "Over 55": 80}


@pytest.mark.parametrize(
    ("age", "group"),
    [
        (24, "Under 25"),
        (25, "25-35"),
        (35, "25-35"),
        (36, "36-45"),
        (45, "36-45"),
        (46, "46-55"),
        (55, "46-55"),
        (56, "Over 55"),
        (17, "Under 25"),
        (90, "Over 55"),
    ],
)
def test_age_group_boundaries(age, group):
    assert cohort.age_group(pd.Series([age], dtype="Int64")).item() == group


def test_age_group_of_missing_age_is_missing():
    assert cohort.age_group(pd.Series([pd.NA], dtype="Int64")).isna().all()


def test_age_is_taken_at_the_holds_start_year(tmp_path):
    # p06 (born 2000) registered and enrolled in 2024 (age 24 then) on hold U2, which starts on
    # 2025-01-06: the age is 2025 - 2000 = 25, group "25-35". Move U2 back into 2024: "Under 25".
    holds, enrol, reg = load_all(write_folder(tmp_path / "a"))
    p06 = cohort.build_persons(holds, enrol, reg).set_index("person_id").loc["p06"]
    assert (p06["age"], p06["age_group"]) == (25, "25-35")

    moved = write_folder(tmp_path / "b", holds=edit(HOLDS, 5, "start_date", "2024-12-30"))
    holds, enrol, reg = load_all(moved)
    p06 = cohort.build_persons(holds, enrol, reg).set_index("person_id").loc["p06"]
    assert (p06["age"], p06["age_group"]) == (24, "Under 25")
