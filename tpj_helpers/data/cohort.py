"""Persons: the counted enrolment per person, background from registrations, age groups.

The unit of analysis is the person. A person may be enrolled more than once (withdrawn, then
re-enrolled on a later hold); the contract's rule picks the enrolment that counts: the completed
one if any, else the latest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.data.exclusions import Exclusions

AGE_GROUPS = ("Under 25", "25-35", "36-45", "46-55", "Over 55")
# Right-closed bins: (-inf, 24], (24, 35], (35, 45], (45, 55], (55, inf): one bin per whole age.
AGE_BIN_EDGES = (-np.inf, 24, 35, 45, 55, np.inf)


def age_group(age: pd.Series) -> pd.Series:
    """Age in whole years -> the contract's age group (NA stays NA)."""
    return pd.cut(age.astype("Float64"), bins=AGE_BIN_EDGES, labels=AGE_GROUPS, right=True)


def counted_enrolments(enrolments: pd.DataFrame, holds: pd.DataFrame) -> pd.DataFrame:
    """One row per person: the enrolment that counts, plus how many enrolments the person has.

    Rule: the completed enrolment if any, else the latest (by enrolment date, then hold start,
    then hold id, so that the choice is deterministic).
    """
    e = enrolments.merge(
        holds[["hold_id", "phase", "start_date", "n_weeks"]], on="hold_id", how="left"
    )
    e = e.assign(_completed=e["status"] == "gennemført")
    e = e.sort_values(
        ["person_id", "_completed", "enrolled_date", "start_date", "hold_id"],
        ascending=[True, False, False, False, False],
        kind="stable",
    )
    n_enrol = e.groupby("person_id", sort=False).size().rename("n_enrolments")
    counted = e.drop_duplicates("person_id", keep="first").drop(columns="_completed")
    counted = counted.join(n_enrol, on="person_id")
    return counted.reset_index(drop=True)


def build_persons(
    holds: pd.DataFrame,
    enrolments: pd.DataFrame,
    registrations: pd.DataFrame,
    exclusions: Exclusions | None = None,
) -> pd.DataFrame:
    """The person table every analysis starts from.

    Columns: person_id, hold_id, phase, start_date, n_weeks, kommune (from the enrolment),
    status, withdrawn_date, n_enrolments, registered, visitation, gender, birth_year, age,
    age_group, consent_register, consent_survey.
    Registrations of persons who were never enrolled are left out and counted.
    """
    exclusions = exclusions if exclusions is not None else Exclusions()
    persons = counted_enrolments(enrolments, holds)
    reg = registrations.drop(columns=["kommune"]).rename(
        columns={"registered_date": "registered_date"}
    )
    orphan = ~reg["person_id"].isin(persons["person_id"])
    exclusions.add(
        "registrations", "registration without any enrolment", "persons", int(orphan.sum())
    )
    persons = persons.merge(reg[~orphan], on="person_id", how="left", indicator="_reg")
    persons["registered"] = persons.pop("_reg") == "both"
    persons["consent_register"] = persons["consent_register"].fillna(False).astype(bool)
    persons["consent_survey"] = persons["consent_survey"].fillna(False).astype(bool)
    persons["age"] = (persons["start_date"].dt.year - persons["birth_year"]).astype("Int64")
    persons["age_group"] = age_group(persons["age"])
    exclusions.add(
        "enrolments",
        "no registration: no background data and no register consent",
        "persons",
        int((~persons["registered"]).sum()),
    )
    exclusions.add(
        "registrations",
        "registered without register consent: not in the register analysis",
        "persons",
        int((persons["registered"] & ~persons["consent_register"]).sum()),
    )
    return persons
