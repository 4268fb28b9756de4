"""Plausibility rules across the sources: values that have the right form but cannot be true.

Each rule either stops the run with a `ContractError` (naming file, column, first rows and what
was expected) or leaves the implausible values out and counts them in the exclusions ledger with
the reason. Nothing is dropped silently.

Errors (a file that says something impossible must be corrected at the source):
- `enrolments`: `withdrawn_date` before `enrolled_date`; `enrolled_date` after the hold ended
  or more than `PLANNING_DAYS` before its start (before the hold can have been planned);
- dates outside the evaluation's data period: from `PLANNING_DAYS` before the first hold's start
  to `AFTER_DAYS` after the last hold's end (enrolments, registrations, survey dispatch).

Counted exclusions:
- a birth year giving an age outside `AGE_RANGE` at the hold's start: the age is treated as
  unknown (the person stays in every analysis that does not use age);
- a questionnaire submitted before its wave's dispatch date or more than
  `SUBMISSION_WINDOW_DAYS` after it: left out of the survey analyses.
These two rules add a ledger row only when they find something.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tpj_helpers.data.contract import ContractError, Problem, problem_from_mask, raise_if_problems

AGE_RANGE = (15, 80)
PLANNING_DAYS = 365  # a hold is planned at most a year before its start
AFTER_DAYS = 365  # the last survey wave comes about three months after the last hold
SUBMISSION_WINDOW_DAYS = 60  # a questionnaire returned more than two months after dispatch

AGE_REASON = "birth year giving an age outside 15-80 at the hold's start: age treated as unknown"
SUBMISSION_REASON = (
    "questionnaire submitted before its dispatch or more than 60 days after it: "
    "left out of the survey analyses"
)


def _day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def data_period(holds: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last plausible date of the evaluation, from holds.csv."""
    end = holds["start_date"] + pd.to_timedelta(holds["n_weeks"] * 7, unit="D")
    return (
        holds["start_date"].min() - pd.Timedelta(days=PLANNING_DAYS),
        end.max() + pd.Timedelta(days=AFTER_DAYS),
    )


def _period_text(period) -> str:
    return (
        f"a date from {period[0]:%Y-%m-%d} to {period[1]:%Y-%m-%d} (the evaluation's data period)"
    )


def _outside(s: pd.Series, period) -> pd.Series:
    return s.notna() & ((s < period[0]) | (s > period[1]))


def check_enrolments(enrolments: pd.DataFrame, holds: pd.DataFrame, path: Path | str) -> None:
    """Error for enrolment dates that cannot be true (see the module docstring)."""
    period = data_period(holds)
    h = holds.set_index("hold_id")
    start = enrolments["hold_id"].map(h["start_date"])
    end = start + pd.to_timedelta(enrolments["hold_id"].map(h["n_weeks"]) * 7, unit="D")
    enrolled, withdrawn = enrolments["enrolled_date"], enrolments["withdrawn_date"]
    shown = enrolments.assign(
        enrolled_date=enrolled.dt.strftime("%Y-%m-%d"),
        withdrawn_date=withdrawn.dt.strftime("%Y-%m-%d"),
        _pair=withdrawn.dt.strftime("%Y-%m-%d") + " < " + enrolled.dt.strftime("%Y-%m-%d"),
    )
    raise_if_problems(
        path,
        [
            problem_from_mask(
                shown,
                withdrawn.notna() & (withdrawn < enrolled),
                "withdrawn_date",
                "a withdrawal on or after the enrolment (enrolled_date)",
                show="_pair",
            ),
            problem_from_mask(
                shown,
                enrolled > end,
                "enrolled_date",
                "an enrolment before the hold ended (start_date + n_weeks in holds.csv)",
            ),
            problem_from_mask(
                shown,
                enrolled < start - pd.Timedelta(days=PLANNING_DAYS),
                "enrolled_date",
                f"an enrolment at most {PLANNING_DAYS} days before the hold's start "
                "(not before the hold can have been planned)",
            ),
            problem_from_mask(
                shown, _outside(enrolled, period), "enrolled_date", _period_text(period)
            ),
            problem_from_mask(
                shown, _outside(withdrawn, period), "withdrawn_date", _period_text(period)
            ),
        ],
    )


def check_dates_in_period(
    df: pd.DataFrame, column: str, holds: pd.DataFrame, path: Path | str
) -> None:
    """Error for dates of `column` outside the data period."""
    period = data_period(holds)
    shown = df.assign(**{column: df[column].dt.strftime("%Y-%m-%d")})
    raise_if_problems(
        path, [problem_from_mask(shown, _outside(df[column], period), column, _period_text(period))]
    )


def implausible_ages(persons: pd.DataFrame, exclusions) -> pd.DataFrame:
    """Ages outside AGE_RANGE become unknown (birth_year, age, age_group NA), counted."""
    lo, hi = AGE_RANGE
    bad = persons["age"].notna() & ~persons["age"].between(lo, hi)
    bad = bad.fillna(False).astype(bool)
    if not bad.any():
        return persons  # a ledger row only when the rule found something (demo ledger unchanged)
    exclusions.add("registrations", AGE_REASON, "persons", int(bad.sum()))
    out = persons.copy()
    out.loc[bad, "birth_year"] = pd.NA
    out.loc[bad, "age"] = pd.NA
    out["age_group"] = out["age_group"].mask(bad)
    return out


def far_submissions(
    responses: dict[str, pd.DataFrame], dispatch: pd.DataFrame, waves: dict, exclusions
) -> dict[str, pd.DataFrame]:
    """Leave out questionnaires submitted before their dispatch date or more than
    SUBMISSION_WINDOW_DAYS after it; counted per wave."""
    out = {}
    for wave, df in responses.items():
        sent = dispatch.loc[dispatch["wave"] == wave].set_index("person_id")["sent_date"]
        sent_at = df["person_id"].map(sent)
        days = (_day(df["submitted_at"]) - sent_at).dt.days
        far = ((days < 0) | (days > SUBMISSION_WINDOW_DAYS)).fillna(False).to_numpy(dtype=bool)
        if far.any():  # a ledger row only when the rule found something
            exclusions.add(
                "survey", SUBMISSION_REASON, "questionnaires", int(far.sum()), waves[wave]
            )
        out[wave] = df.loc[~far].reset_index(drop=True) if far.any() else df
    return out


def missing_wave_error(data_dir: Path, invitations: dict[str, int]) -> ContractError:
    """The error for waves with invitations but no file (unless allow_missing_waves)."""
    return ContractError(
        data_dir,
        [
            Problem(
                "",
                expected=f"a file survey_{w}.csv (or another tabular format): "
                f"survey_dispatch invites {n} persons to the wave '{w}'; if the wave was never "
                "collected, set the parameter allow_missing_waves: true (the report then says so)",
            )
            for w, n in invitations.items()
        ],
    )


__all__ = [
    "AGE_RANGE",
    "check_dates_in_period",
    "check_enrolments",
    "far_submissions",
    "implausible_ages",
    "missing_wave_error",
]
