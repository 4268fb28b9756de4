"""The adversarial set: mutations of a small demo folder, each with its expected outcome.

Every case copies one session-wide small demo folder, mutates it and runs the validation stage
of `tpj run` (`study.check_all`, no cache, no notebooks). An expected outcome is either an error
(`Err`: the file named and the message's key words) or correct handling (`Ok`: a check on the
loaded bundle, e.g. a ledger row with its count, computed by hand from the mutation). The
parameter cases call `runner.read_params`; two cases go through the command line end to end.
The table `CASES` is the list the issue asks for; its ids say what each case does.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tpj_helpers.analysis.data_quality import special_codes
from tpj_helpers.data import plausibility
from tpj_helpers.data.contract import ContractError, read_table
from tpj_helpers.data.formats import sniff_csv
from tpj_helpers.data.study import check_all
from tpj_helpers.data.survey import MISSING_WAVE_REASON, CodebookError, load_codebook
from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run import cli, runner
from tpj_helpers.run.errors import ParameterError
from tpj_helpers.synthetic.export_formats import convert_folder, write_table
from tpj_helpers.synthetic.generate import generate_demo_data

CODEBOOK = load_codebook()
_UNMUTATED: list = []


def unmutated():
    """The bundle of the unmutated small demo folder (loaded once)."""
    return _UNMUTATED[0]


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory) -> Path:
    """A small demo folder (seed 13, scale 0.2), shared read-only by every case."""
    folder = generate_demo_data(tmp_path_factory.mktemp("adv") / "demo", seed=13, scale=0.2)
    _UNMUTATED[:] = [check_all(folder, cache=False)]
    return folder


# --------------------------------------------------------------------------- mutation helpers


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, na_values=[""])


def write(folder: Path, name: str, df: pd.DataFrame) -> None:
    df.to_csv(folder / name, index=False)


def edit(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]):
    def mutate(folder: Path) -> None:
        write(folder, name, fn(read(folder, name).copy()))

    return mutate


def set_cell(name: str, row: int, column: str, value):
    """Set one cell (row = 0-based data row)."""

    def fn(df):
        df.loc[row, column] = value
        return df

    return edit(name, fn)


def header_only(name: str):
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")

    return mutate


def rewrite(name: str, kind: str):
    """Write one CSV file again in another format (the .csv removed)."""

    def mutate(folder: Path) -> None:
        path = folder / name
        write_table(read(folder, name), path, kind, path.stem, CODEBOOK)
        if kind not in ("semicolon", "cp1252"):  # those overwrite the .csv itself
            path.unlink()

    return mutate


def text_replace(name: str, old: str, new: str):
    def mutate(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def first_interview(folder: Path) -> Path:
    return sorted((folder / "qual" / "interviews").glob("*.md"))[0]


def add_pool(
    folder: Path, collide: int = 0, drop_background: str | None = None, drop_week: bool = False
) -> None:
    """A comparison pool from the participants' extract with new ids (`collide` kept)."""
    dream = read(folder, "dream.csv")
    ids = [f"CMP{i:06d}" for i in range(len(dream))]
    ids[:collide] = dream["person_id"].iloc[:collide]
    pool = dream.assign(person_id=ids)
    if drop_week:
        pool = pool.drop(columns=[c for c in pool.columns if c.startswith("y_")][-1])
    shutil.rmtree(folder / "comparison", ignore_errors=True)  # the demo's own pool, if any
    (folder / "comparison").mkdir()
    write(folder, "comparison/dream.csv", pool)
    bg = pd.DataFrame(
        {"person_id": ids, "gender": "kvinde", "birth_year": "1990", "kommune": "Aalborg"}
    )
    if drop_background:
        bg = bg.drop(columns=[drop_background])
    write(folder, "comparison/background.csv", bg)


def compose(*fns):
    def mutate(folder: Path) -> None:
        for f in fns:
            f(folder)

    return mutate


# --------------------------------------------------------------------------- expected outcomes


@dataclass
class Err:
    """The validation stops with a ContractError naming `file` and containing every `words`."""

    file: str
    words: tuple[str, ...] = ()


@dataclass
class Ok:
    """The folder passes; `check(study, folder)` asserts the handling (ledger rows, values)."""

    check: Callable | None = None
    options: dict = field(default_factory=dict)


def ledger(source: str, reason_part: str, n: int, detail: str | None = None):
    def check(study, folder):
        rows = [
            r
            for r in study.exclusions.rows
            if r["source"] == source
            and reason_part in r["reason"]
            and (detail is None or detail in r["detail"])
        ]
        assert rows, f"no ledger row {source}/{reason_part}"
        assert sum(r["n"] for r in rows) == n, rows

    return check


def ledger_plus(source: str, reason_part: str, n: int, detail: str | None = None):
    """The ledger count is the unmutated folder's plus `n` (and `detail` is named)."""

    def rows(bundle):
        return [
            r
            for r in bundle.exclusions.rows
            if r["source"] == source and reason_part in r["reason"]
        ]

    def check(study, folder):
        assert sum(r["n"] for r in rows(study)) == sum(r["n"] for r in rows(unmutated())) + n
        assert detail is None or any(detail in r["detail"] for r in rows(study))

    return check


def special(wave: str, item: str, code: int, n: int, offered: bool):
    def check(study, folder):
        t = special_codes.special_code_counts(study.surveys)
        row = t[(t["wave"] == wave) & (t["item"] == item) & (t["code"] == code)]
        assert (
            len(row) == 1 and int(row["n"].iloc[0]) == n and bool(row["offered"].iloc[0]) == offered
        )

    return check


def same_as_csv(attr: str):
    """The frame `attr` of the bundle equals the one read from the unmutated CSV folder."""

    def check(study, folder):
        got, want = getattr(study, attr), getattr(unmutated(), attr)
        pd.testing.assert_frame_equal(got, want)

    return check


def panel_same(study, folder):
    pd.testing.assert_frame_equal(study.panel.weeks, unmutated().panel.weeks)


def surveys_same(study, folder):
    for wave, df in unmutated().surveys.responses.items():
        pd.testing.assert_frame_equal(study.surveys.responses[wave], df)


def first_person_age_unknown(study, folder):
    i, _ = _single_enrolment_row(folder)
    pid = read(folder, "registrations.csv").loc[i, "person_id"]
    p = study.persons.set_index("person_id")
    assert (
        pd.isna(p.loc[pid, "age"])
        and pd.isna(p.loc[pid, "age_group"])
        and pd.isna(p.loc[pid, "birth_year"])
    )


def qual_themes_read(study, folder):
    from tpj_helpers.data.qual import load_qual

    q = load_qual(folder)
    assert len(q.codebook) > 0 and q.codebook["label"].str.len().min() > 0


def pool_ok(study, folder):
    from tpj_helpers.data.pool_check import check_pool

    assert check_pool(folder, study) is True


def missing_wave_box(study, folder):
    sent = int((read(folder, "survey_dispatch.csv")["wave"] == "3mdr").sum())
    assert ledger("survey", MISSING_WAVE_REASON, sent)(study, folder) is None
    box = special_codes.missing_waves_box(study)
    assert "callout-warning" in box and "survey_3mdr" in box


def delete(name: str):
    return lambda folder: (folder / name).unlink()


def _who5_98(study, folder):
    special("foer", "who5_1", 98, 1, False)(study, folder)
    pid = read(folder, "survey_foer.csv").loc[0, "person_id"]
    from tpj_helpers.data.survey import who5_scores

    s = who5_scores(study.surveys)
    assert pd.isna(s[(s["wave"] == "foer") & (s["person_id"] == pid)]["who5_score"].iloc[0])


def _unlabelled_spss(folder: Path) -> None:
    rewrite("survey_foer.csv", "spss")(folder)


def _spss_label_disagrees(folder: Path) -> None:
    import pyreadstat

    df = read(folder, "survey_foer.csv")
    items = {it.id for it in CODEBOOK.items_for_wave("foer") if it.type != "text"}
    data = df.copy()
    for c in data.columns:
        data[c] = pd.to_numeric(data[c]).astype(float) if c in items else data[c].fillna("")
    right = CODEBOOK.item("job_manage").label(1)
    labels = {"job_manage": {1.0: right, 2.0: "Forkert etiket"}}
    pyreadstat.write_sav(data, str(folder / "survey_foer.sav"), variable_value_labels=labels)
    (folder / "survey_foer.csv").unlink()


def _ragged(folder: Path) -> None:
    path = folder / "holds.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [ln.replace(",", ";") for ln in lines]
    lines[2] += ";extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _undecodable(folder: Path) -> None:
    path = folder / "enrolments.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n\x81", 1))


def _bom(name: str):
    def mutate(folder: Path) -> None:
        path = folder / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    return mutate


def _dispatch_sent(row_wave: str, days: int):
    """Move the first questionnaire of a wave `days` from its dispatch date."""

    def mutate(folder: Path) -> None:
        sv = read(folder, f"survey_{row_wave}.csv")
        d = read(folder, "survey_dispatch.csv")
        pid = sv.loc[0, "person_id"]
        sent = pd.Timestamp(
            d.loc[(d["person_id"] == pid) & (d["wave"] == row_wave), "sent_date"].iloc[0]
        )
        sv.loc[0, "submitted_at"] = (sent + pd.Timedelta(days=days, hours=10)).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        write(folder, f"survey_{row_wave}.csv", sv)

    return mutate


def _withdrawn_before_enrolled(df):
    i = df.index[df["status"] == "afmeldt"][0]
    df.loc[i, "withdrawn_date"] = (
        pd.Timestamp(df.loc[i, "enrolled_date"]) - pd.Timedelta(days=3)
    ).strftime("%Y-%m-%d")
    return df


def _enrolled_shift(days_from_start: int):
    def mutate(folder: Path) -> None:
        holds = read(folder, "holds.csv").set_index("hold_id")
        e = read(folder, "enrolments.csv")
        start = pd.Timestamp(holds.loc[e.loc[0, "hold_id"], "start_date"])
        e.loc[0, "enrolled_date"] = (start + pd.Timedelta(days=days_from_start)).strftime(
            "%Y-%m-%d"
        )
        e.loc[0, "status"], e.loc[0, "withdrawn_date"] = "gennemført", np.nan
        write(folder, "enrolments.csv", e)

    return mutate


def _single_enrolment_row(folder: Path) -> tuple[int, int]:
    """(row in registrations, hold start year) of the first registered person enrolled once."""
    reg = read(folder, "registrations.csv")
    e = read(folder, "enrolments.csv")
    once = e.groupby("person_id").filter(lambda g: len(g) == 1).set_index("person_id")["hold_id"]
    h = read(folder, "holds.csv").set_index("hold_id")
    i = int(reg.index[reg["person_id"].isin(once.index)][0])
    return i, pd.Timestamp(h.loc[once[reg.loc[i, "person_id"]], "start_date"]).year


def _birth_year_age(age: int):
    def mutate(folder: Path) -> None:
        i, year = _single_enrolment_row(folder)
        reg = read(folder, "registrations.csv")
        reg.loc[i, "birth_year"] = str(year - age)
        write(folder, "registrations.csv", reg)

    return mutate


def _unknown_benefit_code(folder: Path) -> None:
    d = read(folder, "dream.csv")
    col = [c for c in d.columns if c.startswith("y_")][-1]
    consenting = read(folder, "registrations.csv")
    pid = consenting.loc[consenting["consent_register"] == "ja", "person_id"]
    i = d.index[d["person_id"].isin(pid)][0]
    d.loc[i, col] = "999"
    write(folder, "dream.csv", d)


def _dream_without_consent(folder: Path) -> None:
    reg = read(folder, "registrations.csv")
    d = read(folder, "dream.csv")
    enrolled = read(folder, "enrolments.csv")["person_id"]
    no = reg.loc[
        (reg["consent_register"] == "nej")
        & reg["person_id"].isin(enrolled)
        & ~reg["person_id"].isin(d["person_id"]),
        "person_id",
    ]
    row = d.iloc[[0]].assign(person_id=no.iloc[0])
    write(folder, "dream.csv", pd.concat([d, row], ignore_index=True))


def _qdpx_and_segments(folder: Path) -> None:
    (folder / "qual" / "projekt.qdpx").write_bytes(b"PK\x05\x06" + b"\x00" * 18)


def _themes_spelling(folder: Path) -> None:
    path = folder / "qual" / "codebook.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def rename(entries):
        for e in entries:
            e["name"] = e.pop("label")
            rename(e.get("children") or [])

    rename(doc["codes"])
    path.write_text(yaml.safe_dump({"themes": doc["codes"]}, allow_unicode=True), encoding="utf-8")


def _both_spellings(folder: Path) -> None:
    path = folder / "qual" / "codebook.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["themes"] = doc["codes"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def _front_without_role(folder: Path) -> None:
    path = first_interview(folder)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "\n".join(ln for ln in text.splitlines() if not ln.startswith("role:")) + "\n",
        encoding="utf-8",
    )


def _two_sources(folder: Path) -> None:
    read(folder, "holds.csv").to_parquet(folder / "holds.parquet", index=False)


def _missing_3mdr(folder: Path) -> None:
    (folder / "survey_3mdr.csv").unlink()


# (id, mutation, expected outcome). Err(file, key words) or Ok(check).
CASES = [
    # special codes: read, counted, never substantive, never an error
    (
        "special_99_on_job_manage",
        set_cell("survey_foer.csv", 0, "job_manage", "99"),
        Ok(special("foer", "job_manage", 99, 1, offered=False)),
    ),
    (
        "special_97_on_self_rated_health",
        set_cell("survey_3mdr.csv", 0, "self_rated_health", "97"),
        Ok(special("3mdr", "self_rated_health", 97, 1, offered=False)),
    ),
    ("special_98_on_who5_not_scored", set_cell("survey_foer.csv", 0, "who5_1", "98"), Ok(_who5_98)),
    (
        "special_99_offered_on_gender",
        compose(
            set_cell("survey_efter.csv", 0, "gender", "99"),
            set_cell("survey_efter.csv", 1, "gender", "99"),
        ),
        Ok(
            lambda s, f: (
                special_codes.special_code_counts(s.surveys)
                .query("item == 'gender' and code == 99")["offered"]
                .all()
            )
        ),
    ),
    (
        "code_6_on_job_manage",
        set_cell("survey_foer.csv", 1, "job_manage", "6"),
        Err("survey_foer.csv", ("job_manage", "rows 3", "'6'", "97..99")),
    ),
    # formats
    ("semicolon_holds", rewrite("holds.csv", "semicolon"), Ok(same_as_csv("holds"))),
    (
        "cp1252_registrations",
        rewrite("registrations.csv", "cp1252"),
        Ok(same_as_csv("registrations")),
    ),
    ("bom_enrolments", _bom("enrolments.csv"), Ok(same_as_csv("enrolments"))),
    ("semicolon_dream_decimal_comma", rewrite("dream.csv", "semicolon"), Ok(panel_same)),
    ("cp1252_dream", rewrite("dream.csv", "cp1252"), Ok(panel_same)),
    ("parquet_dream", rewrite("dream.csv", "parquet"), Ok(panel_same)),
    ("xlsx_holds", rewrite("holds.csv", "xlsx"), Ok(same_as_csv("holds"))),
    (
        "spss_survey_with_labels",
        compose(*(rewrite(f"survey_{w}.csv", "spss") for w in ("foer", "efter", "3mdr"))),
        Ok(surveys_same),
    ),
    (
        "stata_survey_and_dispatch",
        compose(rewrite("survey_efter.csv", "stata"), rewrite("survey_dispatch.csv", "stata")),
        Ok(surveys_same),
    ),
    ("spss_registrations", rewrite("registrations.csv", "spss"), Ok(same_as_csv("registrations"))),
    (
        "spss_label_disagrees",
        _spss_label_disagrees,
        Err(
            "survey_foer.sav",
            ("job_manage", "code 2", "Forkert etiket", "Jeg er nogenlunde sikker"),
        ),
    ),
    (
        "two_files_one_source",
        _two_sources,
        Err("holds", ("exactly one file", "holds.csv", "holds.parquet")),
    ),
    (
        "undecodable_bytes",
        _undecodable,
        Err("enrolments.csv", ("UTF-8 or Windows-1252", "0x81", "rows 2")),
    ),
    ("ragged_semicolon_rows", _ragged, Err("holds.csv", ("separated by ';'",))),
    # header-only and empty files
    (
        "header_only_enrolments",
        header_only("enrolments.csv"),
        Err("enrolments.csv", ("header only",)),
    ),
    (
        "header_only_registrations",
        header_only("registrations.csv"),
        Err("registrations.csv", ("header only",)),
    ),
    ("header_only_dream", header_only("dream.csv"), Err("dream.csv", ("header only",))),
    (
        "header_only_dispatch_no_surveys",
        compose(
            header_only("survey_dispatch.csv"),
            *(delete(f"survey_{w}.csv") for w in ("foer", "efter", "3mdr")),
        ),
        Ok(lambda s, f: len(s.surveys.dispatch) == 0 and s.surveys.responses == {}),
    ),
    (
        "header_only_survey_wave",
        header_only("survey_efter.csv"),
        Err("survey_efter.csv", ("header only",)),
    ),
    (
        "empty_dream_file",
        lambda f: (f / "dream.csv").write_bytes(b""),
        Err("dream.csv", ("header row", "empty")),
    ),
    (
        "empty_holds_file",
        lambda f: (f / "holds.csv").write_text("", encoding="utf-8"),
        Err("holds.csv", ("header row", "empty")),
    ),
    # plausibility
    (
        "birth_year_2031_age_negative",
        _birth_year_age(-8),
        Ok(
            lambda s, f: (
                ledger("registrations", "outside 15-80", 1)(s, f),
                first_person_age_unknown(s, f),
            )
        ),
    ),
    ("birth_year_age_95", _birth_year_age(95), Ok(ledger("registrations", "outside 15-80", 1))),
    (
        "birth_year_age_15_kept",
        _birth_year_age(15),
        Ok(ledger_plus("registrations", "outside 15-80", 0)),
    ),
    (
        "withdrawn_before_enrolled",
        edit("enrolments.csv", _withdrawn_before_enrolled),
        Err("enrolments.csv", ("withdrawn_date", "on or after the enrolment")),
    ),
    (
        "enrolled_after_hold_ended",
        _enrolled_shift(200),
        Err("enrolments.csv", ("enrolled_date", "before the hold ended")),
    ),
    (
        "enrolled_before_planning",
        _enrolled_shift(-400),
        Err("enrolments.csv", ("enrolled_date", "365 days before the hold's start")),
    ),
    (
        "registered_in_1990",
        set_cell("registrations.csv", 0, "registered_date", "1990-01-02"),
        Err("registrations.csv", ("registered_date", "data period", "1990-01-02")),
    ),
    (
        "dispatch_in_2035",
        set_cell("survey_dispatch.csv", 0, "sent_date", "2035-06-01"),
        Err("survey_dispatch.csv", ("sent_date", "data period")),
    ),
    (
        "submitted_before_dispatch",
        _dispatch_sent("foer", -2),
        Ok(ledger("survey", "submitted before its dispatch", 1, "Før")),
    ),
    (
        "submitted_200_days_after",
        _dispatch_sent("efter", 200),
        Ok(ledger("survey", "submitted before its dispatch", 1, "Lige efter")),
    ),
    (
        "submitted_on_dispatch_day_kept",
        _dispatch_sent("3mdr", 0),
        Ok(ledger_plus("survey", "submitted before its dispatch", 0)),
    ),
    (
        "missing_wave_file",
        _missing_3mdr,
        Err("", ("survey_3mdr", "allow_missing_waves", "invites")),
    ),
    ("missing_wave_allowed", _missing_3mdr, Ok(missing_wave_box, {"allow_missing_waves": True})),
    # the contract's other cases
    (
        "unknown_hold",
        set_cell("enrolments.csv", 0, "hold_id", "X99"),
        Err("enrolments.csv", ("hold_id", "exists in holds.csv")),
    ),
    (
        "hold_not_monday",
        set_cell("holds.csv", 0, "start_date", "2022-09-06"),
        Err("holds.csv", ("Monday",)),
    ),
    (
        "dispatch_unknown_wave",
        set_cell("survey_dispatch.csv", 0, "wave", "6mdr"),
        Err("survey_dispatch.csv", ("wave", "6mdr")),
    ),
    (
        "survey_duplicate_person",
        edit("survey_foer.csv", lambda df: pd.concat([df, df.iloc[[0]]], ignore_index=True)),
        Err("survey_foer.csv", ("person_id", "unique")),
    ),
    (
        "dream_bad_code",
        set_cell("dream.csv", 0, "y_2220", "13"),
        Err("dream.csv", ("y_2220", "3-digit")),
    ),
    (
        "dream_unknown_code_counted",
        _unknown_benefit_code,
        Ok(ledger_plus("dream", "missing from the mapping table", 1, "999")),
    ),
    (
        "dream_without_consent_counted",
        _dream_without_consent,
        Ok(ledger_plus("dream", "without register consent", 1)),
    ),
    # qualitative folder
    ("qual_themes_and_name_spelling", _themes_spelling, Ok(qual_themes_read)),
    ("qual_codes_and_themes_both", _both_spellings, Err("codebook.yaml", ("not both",))),
    (
        "qual_unknown_segment_code",
        text_replace("qual/segments.csv", "format/online", "format/telefax"),
        Err("segments.csv", ("codes", "format/telefax")),
    ),
    (
        "qual_unknown_interview",
        text_replace("qual/segments.csv", "\nkursist_01,", "\nkursist_99,"),
        Err("segments.csv", ("interview_id", "kursist_99")),
    ),
    ("qual_front_matter_without_role", _front_without_role, Err(".md", ("role",))),
    ("qual_qdpx_and_segments", _qdpx_and_segments, Err("qual", ("not both",))),
    # comparison pool
    ("pool_valid", lambda f: add_pool(f), Ok(pool_ok)),
    (
        "pool_id_collision",
        lambda f: add_pool(f, collide=2),
        Err("comparison/dream.csv", ("person_id", "not participants")),
    ),
    (
        "pool_background_without_kommune",
        lambda f: add_pool(f, drop_background="kommune"),
        Err("comparison/background.csv", ("kommune", "missing")),
    ),
    (
        "pool_dream_week_missing",
        lambda f: add_pool(f, drop_week=True),
        Err("comparison/dream.csv", ("same weeks", "missing y_")),
    ),
]


def test_the_set_has_at_least_40_cases():
    assert len(CASES) >= 40 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_mutation(case, tiny_demo, tmp_path):
    _name, mutate, expected = case
    folder = tmp_path / "case"
    shutil.copytree(tiny_demo, folder)
    mutate(folder)
    if isinstance(expected, Err):
        with pytest.raises(ContractError) as info:
            check_all(folder, cache=False)
        msg = str(info.value)
        assert expected.file in msg
        for word in expected.words:
            assert word in msg, f"{word!r} not in:\n{msg}"
        assert "Traceback" not in msg
    else:
        study = check_all(folder, cache=False, **expected.options)
        if expected.check is not None:
            result = expected.check(study, folder)
            assert result is not False


# --------------------------------------------------------------------------- parameters


def params_file(tmp_path: Path, **values) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"min_cell": "five"}, ("min_cell", "valid integer", "five")),
        ({"min_cell": 0}, ("min_cell", "greater than or equal to 1")),
        ({"min_cel": 3}, ("unknown parameter", "'min_cel'", "did you mean 'min_cell'")),
        ({"phases": ["pilot", "fase3"]}, ("phases", "fase3")),
        ({"allow_missing_waves": "yes"}, ("allow_missing_waves", "boolean")),
        ({"dream_score_map": "no/such/map.csv"}, ("dream_score_map", "does not exist")),
        ({"data_dir": "no_such_folder"}, ("data_dir", "data folder", "does not exist")),
        ({"demo_scale": -1}, ("demo_scale", "greater than 0")),
        ({"event_window": [-52]}, ("event_window", "at least 2")),
        ({"matching_method": "psm"}, ("matching_method", "'cem'", "psm")),
        ({"effect_max_controls": 0}, ("effect_max_controls", "greater than or equal to 1")),
        ({"kommuner": []}, ("kommuner", "at least 1")),
        ({"kommuner_regioner": "no/such/regions.csv"}, ("kommuner_regioner", "does not exist")),
        ({"quotes_require_approval": "maybe"}, ("quotes_require_approval", "maybe")),
    ],
    ids=[
        "min_cell_text",
        "min_cell_zero",
        "did_you_mean",
        "unknown_phase",
        "bool_as_text",
        "missing_map",
        "missing_data_dir",
        "negative_scale",
        "short_event_window",
        "unknown_matching",
        "zero_controls",
        "empty_kommuner",
        "missing_region_table",
        "approval_not_bool",
    ],
)
def test_bad_parameters_stop_at_once(tmp_path, monkeypatch, values, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError) as info:
        runner.read_params(params_file(tmp_path, **values))
    for w in words:
        assert w in str(info.value), str(info.value)


def test_relative_data_dir_is_resolved_against_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "mydata").mkdir()
    monkeypatch.chdir(tmp_path)
    params = runner.read_params(params_file(tmp_path), data_dir="mydata")
    assert params["data_dir"] == str(tmp_path / "mydata")
    # values left at their documented defaults still name the repository's files
    assert params["dream_score_map"] == "params/dream_score_map.csv"
    assert (REPO_ROOT / params["dream_score_map"]).is_file()


def test_new_parameters_of_default_yaml_are_accepted(tmp_path):
    params = runner.read_params(params_file(tmp_path, allow_missing_waves=True, min_cell=3))
    assert params["allow_missing_waves"] is True and params["min_cell"] == 3


# --------------------------------------------------------------------------- cache


def test_cached_bundle_carries_its_own_folder(tiny_demo, tmp_path, monkeypatch):
    from tpj_helpers.data import study as study_mod

    monkeypatch.setattr(study_mod, "CACHE_DIR", tmp_path / "cache")
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(tiny_demo, a)
    shutil.copytree(tiny_demo, b)
    first = study_mod.load_data(a)
    second = study_mod.load_data(b)  # same content, other folder: its own entry
    assert first.data_dir == a and second.data_dir == b
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 2
    again = study_mod.load_data(a)
    assert again.data_dir == a


# --------------------------------------------------------------------------- formats


def test_semicolon_and_cp1252_are_detected(tiny_demo, tmp_path):
    folder = tmp_path / "x"
    shutil.copytree(tiny_demo, folder)
    rewrite("holds.csv", "semicolon")(folder)
    rewrite("registrations.csv", "cp1252")(folder)
    assert sniff_csv(folder / "holds.csv").as_dict() == {
        "format": "csv",
        "separator": ";",
        "encoding": "utf-8-sig",
    }
    assert sniff_csv(folder / "registrations.csv").encoding == "cp1252"
    assert sniff_csv(folder / "enrolments.csv").as_dict() == {
        "format": "csv",
        "separator": ",",
        "encoding": "utf-8",
    }


def test_sas7bdat_goes_through_pyreadstat(tmp_path, monkeypatch):
    # pyreadstat cannot write .sas7bdat and no tool that writes it is installed: the reader's
    # dispatch is tested with pyreadstat's SAS reader replaced by one returning what it returns
    # (a float frame with datetime64 dates); the conversion to text is the shared one.
    import pyreadstat

    calls = []

    def fake_read(path, dates_as_pandas_datetime):
        calls.append((path, dates_as_pandas_datetime))
        return pd.DataFrame(
            {
                "person_id": ["A", "B"],
                "birth_year": [1990.0, np.nan],
                "registered_date": pd.to_datetime(["2024-03-04", None]),
            }
        ), None

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", fake_read)
    path = tmp_path / "registrations.sas7bdat"
    path.write_bytes(b"")
    df = read_table(path)
    assert calls == [(str(path), True)]
    assert df["birth_year"].tolist()[0] == "1990" and pd.isna(df["birth_year"].tolist()[1])
    assert df["registered_date"].tolist()[0] == "2024-03-04"


def test_converted_folder_validates_like_the_original(tiny_demo, tmp_path):
    base = check_all(tiny_demo, cache=False)
    for kind in ("semicolon", "spss"):
        conv = check_all(convert_folder(tiny_demo, tmp_path / kind, kind), cache=False)
        pd.testing.assert_frame_equal(conv.persons, base.persons)
        pd.testing.assert_frame_equal(conv.panel.weeks, base.panel.weeks)
        assert conv.exclusions.rows == base.exclusions.rows


def test_plausibility_period_is_from_holds():
    holds = pd.DataFrame(
        {"start_date": pd.to_datetime(["2023-01-02", "2024-01-01"]), "n_weeks": [7, 8]}
    )
    lo, hi = plausibility.data_period(holds)
    assert lo == pd.Timestamp("2022-01-02") and hi == pd.Timestamp("2024-02-26") + pd.Timedelta(
        days=365
    )


# --------------------------------------------------------------------------- end to end


def test_cli_bad_data_exit_2_message_once(tiny_demo, tmp_path, capsys):
    folder = tmp_path / "bad"
    shutil.copytree(tiny_demo, folder)
    header_only("enrolments.csv")(folder)
    code = cli.main(
        ["run", "--data-dir", str(folder), "--out", str(tmp_path / "out"), "--no-render"]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("enrolments.csv") >= 1 and err.count("run failed") == 1
    assert "header only" in err and "Traceback" not in err + out
    assert "run failed" not in out


def test_cli_bad_parameter_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = cli.main(["run", "--params", str(params_file(tmp_path, min_cell="five")), "--no-render"])
    _, err = capsys.readouterr()
    assert code == 2 and "min_cell" in err and err.count("run failed") == 1


def test_codebook_error_is_bad_input():
    from tpj_helpers.report.render import RenderError
    from tpj_helpers.run.errors import EXIT_BAD_INPUT, EXIT_NOTEBOOK, EXIT_RENDER, exit_code

    assert exit_code(CodebookError("x")) == EXIT_BAD_INPUT == 2
    assert exit_code(ContractError("f.csv", [])) == 2
    assert exit_code(RenderError("x")) == EXIT_RENDER == 3
    assert exit_code(runner.RunError("x")) == EXIT_NOTEBOOK == 1
