"""Schemas and typed loaders for the administrative sources of the data contract.

`holds`, `enrolments` and `registrations` (sections 1-3 of `docs/data-contract.md`). Each
loader reads the file through `contract.read_table`, validates it with a pandera schema (all
failures at once) plus the cross-file rules, and returns a typed frame.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from tpj_helpers.data.contract import (
    find_source,
    isin_check,
    iso_date_check,
    problem_from_mask,
    raise_if_problems,
    read_table,
    regex_check,
    require_rows,
    text_column,
    to_date,
    validate,
)
from tpj_helpers.data.identifiers import refuse_cpr

PHASES = ("pilot", "udbredelse")
HOLD_STATUS = ("afholdt", "aflyst")
ENROLMENT_STATUS = ("gennemført", "afmeldt")
VISITATION = ("akt_kontanthjaelp", "akt_uddannelseshjaelp", "ressourceforloeb", "andet")
GENDER = ("kvinde", "mand")
YES_NO = ("ja", "nej")


def _is_monday(s: pd.Series) -> pd.Series:
    """True for Mondays; a value that is not an ISO date passes here (the date check reports it)."""
    parsed = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    return parsed.isna() | (parsed.dt.day_of_week == 0)


HOLDS_SCHEMA = pa.DataFrameSchema(
    {
        "hold_id": text_column(checks=[regex_check(r"\S+", "a non-empty id without spaces")]),
        "phase": text_column(checks=[isin_check(PHASES)]),
        "start_date": text_column(
            checks=[
                iso_date_check(),
                pa.Check(_is_monday, error="the Monday of the first course week"),
            ]
        ),
        "n_weeks": text_column(
            checks=[regex_check(r"[1-9][0-9]?", "a whole number of weeks 1-99")]
        ),
        "status": text_column(checks=[isin_check(HOLD_STATUS)]),
        "time_slot": text_column(
            checks=[regex_check(r"([01][0-9]|2[0-3]):[0-5][0-9]", "a time HH:MM, e.g. 11:00")]
        ),
    },
    unique=["hold_id"],
    report_duplicates="exclude_first",
)

ENROLMENTS_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": text_column(),
        "hold_id": text_column(),
        "kommune": text_column(),
        "enrolled_date": text_column(checks=[iso_date_check()]),
        "status": text_column(checks=[isin_check(ENROLMENT_STATUS)]),
        "withdrawn_date": text_column(nullable=True, checks=[iso_date_check()]),
        "withdrawal_reason": text_column(nullable=True),
    },
    unique=["person_id", "hold_id"],
    report_duplicates="exclude_first",
)

REGISTRATIONS_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": text_column(),
        "kommune": text_column(),
        "visitation": text_column(nullable=True, checks=[isin_check(VISITATION)]),
        "gender": text_column(nullable=True, checks=[isin_check(GENDER)]),
        "birth_year": text_column(
            nullable=True, checks=[regex_check(r"(19|20)[0-9]{2}", "a four-digit birth year")]
        ),
        "consent_register": text_column(checks=[isin_check(YES_NO)]),
        "consent_survey": text_column(checks=[isin_check(YES_NO)]),
        "registered_date": text_column(checks=[iso_date_check()]),
    },
    unique=["person_id"],
    report_duplicates="exclude_first",
)


def _load(data_dir: Path | str, stem: str, schema: pa.DataFrameSchema) -> tuple[pd.DataFrame, Path]:
    path = find_source(data_dir, stem)
    assert path is not None
    raw = read_table(path)
    refuse_cpr(raw, path)
    require_rows(raw, path)
    df = validate(raw, schema, path)
    return df[list(schema.columns)], path


def load_holds(data_dir: Path | str) -> pd.DataFrame:
    """holds.csv: one row per planned hold, typed."""
    df, _ = _load(data_dir, "holds", HOLDS_SCHEMA)
    return df.assign(
        start_date=to_date(df["start_date"]),
        n_weeks=df["n_weeks"].astype("int64"),
        phase=pd.Categorical(df["phase"], categories=PHASES),
    )


def load_enrolments(data_dir: Path | str, holds: pd.DataFrame) -> pd.DataFrame:
    """enrolments.csv, typed and checked against `holds` (held holds only, withdrawn dates)."""
    df, path = _load(data_dir, "enrolments", ENROLMENTS_SCHEMA)
    status_of = holds.set_index("hold_id")["status"]
    hold_status = df["hold_id"].map(status_of)
    withdrawn = df["status"] == "afmeldt"
    raise_if_problems(
        path,
        [
            problem_from_mask(
                df, hold_status.isna(), "hold_id", "a hold_id that exists in holds.csv"
            ),
            problem_from_mask(
                df,
                hold_status == "aflyst",
                "hold_id",
                "a hold that was held (status 'afholdt' in holds.csv), not a cancelled one",
            ),
            problem_from_mask(
                df,
                withdrawn & df["withdrawn_date"].isna(),
                "withdrawn_date",
                "a date when status is 'afmeldt'",
                show="status",
            ),
        ],
    )
    from tpj_helpers.data.plausibility import check_enrolments

    typed = df.assign(
        enrolled_date=to_date(df["enrolled_date"]),
        withdrawn_date=to_date(df["withdrawn_date"]),
    )
    check_enrolments(typed, holds, path)
    return typed


def load_registrations(data_dir: Path | str) -> pd.DataFrame:
    """registrations.csv: the municipal registration tool, typed (consents as booleans)."""
    df, _ = _load(data_dir, "registrations", REGISTRATIONS_SCHEMA)
    return df.assign(
        birth_year=pd.to_numeric(df["birth_year"]).astype("Int64"),
        consent_register=df["consent_register"] == "ja",
        consent_survey=df["consent_survey"] == "ja",
        registered_date=to_date(df["registered_date"]),
    )
