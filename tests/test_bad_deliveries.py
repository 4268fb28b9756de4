"""Broken deliveries shaped like real exports (issue 12, engineer D): a battery on top of
`test_adversarial.py` (whose small demo folder and mutation helpers it reuses) and
`test_loaders.py`, without repeating their cases.

Each case mutates a copy of the small demo folder and runs the validation stage of `tpj run`:
either the folder is read correctly (the contract allows it; the value is checked) or the run
stops with a ContractError that names the file, the column and what was expected. A few cases
go through the command line end to end: exit code 2, the message once, no traceback, and the
data folder byte for byte as before.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.test_adversarial import (  # noqa: F401 (tiny_demo is a fixture)
    Err,
    Ok,
    add_pool,
    delete,
    edit,
    read,
    set_cell,
    tiny_demo,
    write,
)
from tpj_helpers.data.contract import ContractError
from tpj_helpers.data.identifiers import cpr_shaped, refuse_cpr
from tpj_helpers.data.study import check_all
from tpj_helpers.run import cli

ID_FILES = (
    "enrolments.csv",
    "registrations.csv",
    "dream.csv",
    "survey_dispatch.csv",
    "survey_foer.csv",
    "survey_efter.csv",
    "survey_3mdr.csv",
)


def cpr_ids(dashed: bool):
    """Every person id replaced by a CPR-shaped number (consistently across the files)."""

    def mutate(folder: Path) -> None:
        rnd, ids = random.Random(7), {}
        for name in ID_FILES:
            df = read(folder, name)
            for pid in df["person_id"].unique():
                if pid not in ids:
                    d, m, y, n = (
                        rnd.randint(1, 28),
                        rnd.randint(1, 12),
                        rnd.randint(50, 99),
                        rnd.randint(1000, 9999),
                    )
                    ids[pid] = f"{d:02d}{m:02d}{y:02d}{'-' if dashed else ''}{n}"
            write(folder, name, df.assign(person_id=df["person_id"].map(ids)))

    return mutate


def one_cpr_id(folder: Path) -> None:
    """One dashed CPR number among pseudonyms (a typing slip in the registration tool)."""
    set_cell("registrations.csv", 3, "person_id", "010190-1234")(folder)


def xlsx_with_title(folder: Path) -> None:
    df = read(folder, "holds.csv")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Holdoversigt, Tættere På Job, udtræk 10.01.2025"])
    ws.append([])
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    wb.save(folder / "holds.xlsx")
    (folder / "holds.csv").unlink()


def cp1252_semicolon_danish(folder: Path) -> None:
    df = read(folder, "enrolments.csv")
    i = df.index[df["status"] == "afmeldt"][0]
    df.loc[i, "withdrawal_reason"] = "Fik arbejde på plejehjem i Ærøskøbing"
    (folder / "enrolments.csv").write_bytes(df.to_csv(index=False, sep=";").encode("cp1252"))


def danish_letters_read(study, folder):
    reasons = set(study.enrolments["withdrawal_reason"].dropna())
    assert "Fik arbejde på plejehjem i Ærøskøbing" in reasons


def id_with_spaces(folder: Path) -> None:
    df = read(folder, "registrations.csv")
    df.loc[0, "person_id"] = f"  {df.loc[0, 'person_id']} "
    write(folder, "registrations.csv", df)


def spaced_id_matched(study, folder):
    pid = read(folder, "registrations.csv").loc[0, "person_id"].strip()
    assert pid in set(study.registrations["person_id"])


def rename(name: str, old: str, new: str):
    return edit(name, lambda df: df.rename(columns={old: new}))


def empty_file(name: str):
    return lambda folder: (folder / name).write_bytes(b"")


def first_grad(fn):
    """Apply `fn(df, column, row)` to the first non-empty cell of the first grad_ column."""

    def mutate(folder: Path) -> None:
        df = read(folder, "dream.csv")
        col = next(c for c in df.columns if c.startswith("grad_") and df[c].notna().any())
        fn(df, col, df[col].first_valid_index())
        write(folder, "dream.csv", df)

    return mutate


def pool_background(column: str, value):
    def mutate(folder: Path) -> None:
        add_pool(folder)
        bg = read(folder, "comparison/background.csv")
        if value is None:
            bg = bg.drop(columns=[column])
        else:
            bg.loc[0, column] = value
        write(folder, "comparison/background.csv", bg)

    return mutate


def pool_dream_without_ids(folder: Path) -> None:
    add_pool(folder)
    write(
        folder,
        "comparison/dream.csv",
        read(folder, "comparison/dream.csv").drop(columns="person_id"),
    )


def pool_cpr(folder: Path) -> None:
    pool_background("person_id", "241178-4411")(folder)


def interview_without_front_matter(folder: Path) -> None:
    path = sorted((folder / "qual" / "interviews").glob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8").split("---", 2)[2], encoding="utf-8")


def broken_codebook_yaml(folder: Path) -> None:
    (folder / "qual" / "codebook.yaml").write_text(
        "codes:\n  - code: a\n   label: [ikke lukket\n", encoding="utf-8"
    )


CASES = [
    # files missing or empty
    ("missing_holds", delete("holds.csv"), Err("holds.csv", ("a file holds.csv",))),
    ("missing_enrolments", delete("enrolments.csv"), Err("enrolments.csv", ("a file",))),
    ("missing_registrations", delete("registrations.csv"), Err("registrations.csv", ("a file",))),
    ("missing_dream", delete("dream.csv"), Err("dream.csv", ("a file dream.csv",))),
    ("missing_dispatch", delete("survey_dispatch.csv"), Err("survey_dispatch.csv", ("a file",))),
    ("empty_registrations", empty_file("registrations.csv"), Err("registrations.csv", ("empty",))),
    # columns misspelled: the message points at the column that was meant
    (
        "misspelled_person_id",
        rename("registrations.csv", "person_id", "personid"),
        Err("registrations.csv", ("'person_id'", "is 'personid' meant")),
    ),
    (
        "person_id_in_capitals",
        rename("enrolments.csv", "person_id", "Person_ID"),
        Err("enrolments.csv", ("'person_id'", "is 'Person_ID' meant")),
    ),
    (
        "misspelled_birth_year",
        rename("registrations.csv", "birth_year", "birthyear"),
        Err("registrations.csv", ("'birth_year'", "is 'birthyear' meant")),
    ),
    # wrong types and values as spreadsheets write them
    (
        "n_weeks_in_words",
        set_cell("holds.csv", 0, "n_weeks", "syv"),
        Err("holds.csv", ("n_weeks", "'syv'")),
    ),
    (
        "n_weeks_negative",
        set_cell("holds.csv", 0, "n_weeks", "-7"),
        Err("holds.csv", ("n_weeks", "'-7'", "rows 2")),
    ),
    (
        "n_weeks_zero",
        set_cell("holds.csv", 0, "n_weeks", "0"),
        Err("holds.csv", ("n_weeks", "'0'")),
    ),
    (
        "date_danish_dots",
        set_cell("enrolments.csv", 0, "enrolled_date", "04.03.2024"),
        Err("enrolments.csv", ("enrolled_date", "ISO date", "'04.03.2024'", "rows 2")),
    ),
    (
        "date_with_slashes",
        set_cell("enrolments.csv", 1, "enrolled_date", "2024/03/04"),
        Err("enrolments.csv", ("enrolled_date", "rows 3", "'2024/03/04'")),
    ),
    (
        "timestamp_danish_order",
        set_cell("survey_foer.csv", 0, "submitted_at", "04-03-2024 10:15"),
        Err("survey_foer.csv", ("submitted_at", "'04-03-2024 10:15'")),
    ),
    (
        "time_slot_in_words",
        set_cell("holds.csv", 0, "time_slot", "kl. 10"),
        Err("holds.csv", ("time_slot", "HH:MM")),
    ),
    (
        "birth_year_as_excel_float",
        set_cell("registrations.csv", 0, "birth_year", "1980.0"),
        Err("registrations.csv", ("birth_year", "'1980.0'")),
    ),
    (
        "consent_capitalised",
        set_cell("registrations.csv", 0, "consent_register", "Ja"),
        Err("registrations.csv", ("consent_register", "'ja', 'nej'", "'Ja'")),
    ),
    (
        "who5_code_7",
        set_cell("survey_foer.csv", 0, "who5_1", "7"),
        Err("survey_foer.csv", ("who5_1", "0..5", "'7'")),
    ),
    (
        "who5_code_negative",
        set_cell("survey_efter.csv", 0, "who5_2", "-1"),
        Err("survey_efter.csv", ("who5_2", "'-1'")),
    ),
    (
        "likert_code_0",
        set_cell("survey_foer.csv", 0, "job_manage", "0"),
        Err("survey_foer.csv", ("job_manage", "1..5")),
    ),
    (
        "complete_as_ja",
        set_cell("survey_foer.csv", 0, "complete", "ja"),
        Err("survey_foer.csv", ("complete", "'ja'")),
    ),
    (
        "grad_above_one",
        first_grad(lambda df, c, i: df.__setitem__(c, df[c].where(df.index != i, "1.5"))),
        Err("dream.csv", ("grad_", "between 0 and 1", "'1.5'")),
    ),
    (
        "dream_person_twice",
        edit("dream.csv", lambda df: pd.concat([df, df.iloc[[0]]], ignore_index=True)),
        Err("dream.csv", ("person_id", "one row per person")),
    ),
    (
        "dream_week_column_misnamed",
        edit(
            "dream.csv",
            lambda df: df.rename(columns={[c for c in df if c.startswith("y_")][3]: "y_22W10"}),
        ),
        Err("dream.csv", ("y_22W10", "y_YYWW")),
    ),
    # identifiers that are CPR numbers: refused, and never repeated in the message
    ("cpr_ids_with_dash", cpr_ids(True), Err("enrolments.csv", ("person_id", "CPR", "rows 2"))),
    ("cpr_ids_without_dash", cpr_ids(False), Err("enrolments.csv", ("person_id", "CPR"))),
    (
        "one_cpr_among_pseudonyms",
        one_cpr_id,
        Err("registrations.csv", ("person_id", "CPR", "rows 5")),
    ),
    # formats real exports come in
    ("xlsx_title_above_header", xlsx_with_title, Err("holds.xlsx", ("row 3", "below a title"))),
    ("cp1252_semicolon_danish_letters", cp1252_semicolon_danish, Ok(danish_letters_read)),
    ("ids_with_surrounding_spaces", id_with_spaces, Ok(spaced_id_matched)),
    # the comparison pool
    (
        "pool_background_without_gender",
        pool_background("gender", None),
        Err("background.csv", ("gender", "missing")),
    ),
    (
        "pool_background_empty_gender",
        pool_background("gender", ""),
        Err("background.csv", ("gender", "rows 2")),
    ),
    (
        "pool_background_empty_birth_year",
        pool_background("birth_year", ""),
        Err("background.csv", ("birth_year", "rows 2")),
    ),
    (
        "pool_birth_year_in_words",
        pool_background("birth_year", "halvfems"),
        Err("background.csv", ("birth_year", "'halvfems'")),
    ),
    (
        "pool_unknown_kommune_without_region",
        pool_background("kommune", "Gotham"),
        Err("background.csv", ("kommune", "98 municipalities", "'Gotham'", "rows 2")),
    ),
    (
        "pool_region_misspelled",
        pool_background("region", "Nord"),
        Err("background.csv", ("region", "'Nord'")),
    ),
    (
        "pool_dream_without_person_id",
        pool_dream_without_ids,
        Err("comparison/dream.csv", ("person_id", "missing")),
    ),
    ("pool_cpr_id", pool_cpr, Err("background.csv", ("person_id", "CPR"))),
    # the qualitative folder
    (
        "interview_without_front_matter",
        interview_without_front_matter,
        Err(".md", ("front matter",)),
    ),
    ("codebook_not_yaml", broken_codebook_yaml, Err("codebook.yaml", ("YAML",))),
]


def test_at_least_25_new_cases():
    from tests.test_adversarial import CASES as EARLIER

    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)
    assert not {c[0] for c in CASES} & {c[0] for c in EARLIER}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_delivery(case, tiny_demo, tmp_path):  # noqa: F811
    _name, mutate, expected = case
    folder = tmp_path / "case"
    shutil.copytree(tiny_demo, folder)
    mutate(folder)
    if isinstance(expected, Err):
        with pytest.raises(ContractError) as info:
            check_all(folder, cache=False)
        msg = str(info.value)
        assert expected.file in msg and "Traceback" not in msg
        for word in expected.words:
            assert word in msg, f"{word!r} not in:\n{msg}"
    else:
        study = check_all(folder, cache=False)
        assert expected.check(study, folder) is not False


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "name", ["cpr_ids_with_dash", "xlsx_title_above_header", "pool_unknown_kommune_without_region"]
)
def test_cli_stops_with_exit_2_and_leaves_the_folder(name, tiny_demo, tmp_path, capsys):  # noqa: F811
    _, mutate, expected = next(c for c in CASES if c[0] == name)
    folder = tmp_path / "bad"
    shutil.copytree(tiny_demo, folder)
    mutate(folder)
    before = _digest(folder)
    code = cli.main(
        ["run", "--data-dir", str(folder), "--out", str(tmp_path / "out"), "--no-render"]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("run failed") == 1 and expected.file in err
    assert "Traceback" not in out + err
    assert _digest(folder) == before


def test_cpr_rule_by_hand():
    rnd = random.Random(3)
    pseudonyms = pd.Series([str(rnd.randrange(10**9, 10**10)) for _ in range(1000)])
    # random ten-digit pseudonyms: about 3.7 % start with a valid day and month, none refused
    assert not cpr_shaped(pseudonyms).any()
    cprs = pd.Series(["0101901234", "3112995678", "1505001111", "TPJ000001"])
    assert cpr_shaped(cprs).tolist() == [True, True, True, False]
    assert cpr_shaped(pd.Series(["TPJ1", "010190-1234", "320190-1234"])).tolist() == [
        False,
        True,
        False,  # day 32 is no date
    ]
    with pytest.raises(ContractError) as info:
        refuse_cpr(pd.DataFrame({"person_id": ["TPJ1", "010190-1234"]}), "x.csv")
    assert "rows 3" in str(info.value) and "010190" not in str(info.value)
