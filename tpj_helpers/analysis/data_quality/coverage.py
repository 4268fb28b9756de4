"""Register coverage per hold (Tabel 1) and the per-hold overview of participants (Bilag 1).

Rules (what a reviewer should check):

- **Holds**: the held holds (`status == 'afholdt'`) of the run's phases, in phase order (pilot
  first), then by start date and hold id. Cancelled holds have no participants and are left out
  (the enrolment note of Tabel 4 names them).
- **Latest week with data** (Tabel 1): the extract's last ISO week minus the hold's start week,
  in whole weeks (week 0 = the first course week, as `week_rel` of the DREAM panel). It is a
  property of the hold and the extract, so it is shown also for holds without any person in the
  register analysis. The first week with data is computed the same way from the extract's first
  week (negative: weeks before the course).
- **In the register analysis**: the persons of `data.panel.persons` (register consent, in the
  DREAM extract, hold with data from week 0), counted on the hold of their counted enrolment.
- **Whether a hold enters the register analysis** (`Indgår i registeranalysen`):
  "Nej" when the extract ends before the course starts (the loader's rule "hold without data from
  course start (week 0)") or when no person of the hold is in the analysis; "Delvist" when the
  extract ends before week `horizon` (26) after the start: the hold enters the analyses up to the
  last week with data; "Ja" otherwise.
- **Bilag 1 counts**: enrolled, completed and withdrawn count *enrolments* on the hold (as the
  published Bilag 1 and Tabel 4: a person who withdrew and re-enrolled counts on both holds), the
  register sample and the survey returns count *persons* on the hold of their counted enrolment.
  Survey returns are fully submitted questionnaires (`complete`) of invited persons (as Tabel 2),
  per wave, for the holds of the survey phase only; other holds are left blank (NA).
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.data_quality.enrolment import PHASE_LABELS, TOTAL_LABEL
from tpj_helpers.publish.present import num

HORIZON = 26  # weeks after the course start that the register analysis follows

PHASE_COLUMN = "Fase"
HOLD_COLUMN = "Hold"
START_WEEK_COLUMN = "Startuge (ISO)"
COURSE_WEEKS_COLUMN = "Kursusuger"
FIRST_WEEK_COLUMN = "Første uge med data ift. kursusstart"
LATEST_WEEK_COLUMN = "Seneste uge med data ift. kursusstart"
REGISTER_COLUMN = "Personer i registeranalysen"
INCLUDED_COLUMN = "Indgår i registeranalysen"
REASON_COLUMN = "Begrundelse"

ENROLLED_COLUMN = "Tilmeldte"
COMPLETED_COLUMN = "Gennemført"
WITHDRAWN_COLUMN = "Afmeldt"
SAMPLE_COLUMN = "I registeranalysen"
SURVEY_PREFIX = "Fuldt besvaret spørgeskema, "
PHASE_NOUNS = {"pilot": "pilotfasen", "udbredelse": "udbredelsesfasen"}

REASON_NO_DATA = "Ingen registerdata efter kursusstart"
REASON_NO_PERSONS = "Ingen personer med registersamtykke i DREAM-udtrækket"
REASON_FULL = "Følges hele perioden (til uge {horizon})"
REASON_PARTIAL = "Indgår til og med uge {n}"

COVERAGE_NOTE = (
    "Seneste uge med data er DREAM-udtrækkets sidste uge ({last}) regnet i uger fra holdets "
    "kursusstart (uge 0 = første kursusuge). Registeranalysen følger kursisterne til og med uge "
    "{horizon} efter start; hold med kortere dataperiode indgår kun i analyser op til deres seneste "
    "uge med data, og hold uden data fra kursusstart indgår ikke."
)
BILAG1_NOTE = (
    "Tilmeldte, gennemført og afmeldt tæller tilmeldinger (en person, der blev afmeldt og senere "
    "tilmeldt igen, tæller på begge hold). Registeranalysen og spørgeskemaerne tæller personer på "
    "holdet for deres tællende tilmelding. Spørgeskemaer: fuldt besvarede blandt de inviterede, "
    "kun for hold i {phase}; tomme felter for de øvrige hold."
)


def iso_week_monday(label: str) -> pd.Timestamp:
    """'2025-W14' -> the Monday of that ISO week."""
    year, week = label.split("-W")
    return pd.Timestamp.fromisocalendar(int(year), int(week), 1)


def iso_week_label(day: pd.Timestamp) -> str:
    iso = pd.Timestamp(day).isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


def held_holds(data) -> pd.DataFrame:
    """The held holds of the run's phases (those of `data.persons`), in report order."""
    holds = data.holds
    phases = set(data.persons["phase"].unique()) if len(data.persons) else set(holds["phase"])
    held = holds[(holds["status"] == "afholdt") & holds["phase"].isin(phases)].copy()
    order = {p: i for i, p in enumerate(PHASE_LABELS)}
    held["_phase_order"] = held["phase"].map(order).fillna(len(order))
    held = held.sort_values(["_phase_order", "start_date", "hold_id"], kind="stable")
    return held.drop(columns="_phase_order").reset_index(drop=True)


def _register_counts(data, hold_ids: pd.Series) -> pd.Series:
    per_hold = data.panel.persons.groupby("hold_id").size()
    return per_hold.reindex(hold_ids).fillna(0).astype("int64").reset_index(drop=True)


def register_coverage(data, horizon: int = HORIZON) -> pd.DataFrame:
    """Tabel 1: register coverage per held hold.

    Columns: Fase, Hold, Startuge (ISO), Kursusuger, Første uge med data ift. kursusstart,
    Seneste uge med data ift. kursusstart, Personer i registeranalysen, Indgår i registeranalysen
    ('Ja' / 'Delvist' / 'Nej'), Begrundelse. The published Tabel 1 shows the rows with 'Delvist'
    (and names the 'Nej' hold in its text): filter with `incomplete_coverage`.
    """
    held = held_holds(data)
    start = held["start_date"].dt.normalize()
    first = iso_week_monday(data.panel.first_week)
    last = iso_week_monday(data.panel.last_week)
    first_rel = ((first - start).dt.days // 7).astype("int64")
    latest = ((last - start).dt.days // 7).astype("int64")
    n_reg = _register_counts(data, held["hold_id"])

    included, reasons = [], []
    for wk, n in zip(latest, n_reg, strict=True):
        if wk < 0:
            included.append("Nej")
            reasons.append(REASON_NO_DATA)
        elif n == 0:
            included.append("Nej")
            reasons.append(REASON_NO_PERSONS)
        elif wk < horizon:
            included.append("Delvist")
            reasons.append(REASON_PARTIAL.format(n=wk))
        else:
            included.append("Ja")
            reasons.append(REASON_FULL.format(horizon=horizon))
    return pd.DataFrame(
        {
            PHASE_COLUMN: held["phase"].map(lambda p: PHASE_LABELS.get(p, p)).to_numpy(),
            HOLD_COLUMN: held["hold_id"].astype(str).to_numpy(),
            START_WEEK_COLUMN: [iso_week_label(d) for d in start],
            COURSE_WEEKS_COLUMN: held["n_weeks"].astype("int64").to_numpy(),
            FIRST_WEEK_COLUMN: first_rel.to_numpy(),
            LATEST_WEEK_COLUMN: latest.to_numpy(),
            REGISTER_COLUMN: n_reg.to_numpy(),
            INCLUDED_COLUMN: included,
            REASON_COLUMN: reasons,
        }
    )


def incomplete_coverage(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of `register_coverage` whose holds are not followed the full horizon."""
    return table[table[INCLUDED_COLUMN] != "Ja"].reset_index(drop=True)


def coverage_note(data, horizon: int = HORIZON) -> str:
    return COVERAGE_NOTE.format(last=data.panel.last_week, horizon=horizon)


def coverage_count_columns(table: pd.DataFrame) -> list[str]:
    """The person-count column of Tabel 1 (what disclosure control checks)."""
    return [REGISTER_COLUMN]


def coverage_source(data) -> str:
    return (
        f"Kursusudbyderens holdoversigt og DREAM-udtrækket ({data.panel.first_week} til "
        f"{data.panel.last_week}). N = {num(len(data.panel.persons))} personer i "
        "registeranalysen"
    )


# --------------------------------------------------------------------------- Bilag 1


def _survey_returns(data, phase: str | None) -> dict[str, pd.Series]:
    """Per wave label: fully submitted questionnaires of invited persons, per hold (persons)."""
    persons = data.persons
    if phase is not None:
        persons = persons[persons["phase"] == phase]
    hold_of = persons.set_index(persons["person_id"].astype(str))["hold_id"]
    dispatch = data.surveys.dispatch
    out = {}
    for wave, label in dict(data.surveys.codebook.waves).items():
        invited = set(dispatch.loc[dispatch["wave"] == wave, "person_id"].astype(str))
        returns = data.surveys.responses.get(wave)
        if returns is None:
            done = pd.Index([], dtype=object)
        else:
            ids = returns["person_id"].astype(str)
            done = pd.Index(ids[returns["complete"].astype(bool).to_numpy()].unique())
        done = done[done.isin(list(invited)) & done.isin(hold_of.index)]
        out[label] = hold_of.loc[done].value_counts()
    return out


def persons_per_hold(data, survey_phase: str | None = "udbredelse") -> pd.DataFrame:
    """Bilag 1: per held hold the enrolments, completed, withdrawn, persons in the register
    analysis and fully submitted questionnaires per wave; a last row 'I alt'.

    Columns: Fase, Hold, Tilmeldte, Gennemført, Afmeldt, I registeranalysen, then
    'Fuldt besvaret spørgeskema, <wave label>' per wave of the codebook. Count columns are int64;
    the survey columns are Int64 with NA on holds outside `survey_phase` (None: every hold).
    """
    held = held_holds(data)
    enrol = data.enrolments[data.enrolments["hold_id"].isin(held["hold_id"])]
    status = (
        enrol.groupby(["hold_id", "status"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=held["hold_id"], columns=["gennemført", "afmeldt"], fill_value=0)
    )
    out = pd.DataFrame(
        {
            PHASE_COLUMN: held["phase"].map(lambda p: PHASE_LABELS.get(p, p)).to_numpy(),
            HOLD_COLUMN: held["hold_id"].astype(str).to_numpy(),
            ENROLLED_COLUMN: status.sum(axis=1).astype("int64").to_numpy(),
            COMPLETED_COLUMN: status["gennemført"].astype("int64").to_numpy(),
            WITHDRAWN_COLUMN: status["afmeldt"].astype("int64").to_numpy(),
            SAMPLE_COLUMN: _register_counts(data, held["hold_id"]).to_numpy(),
        }
    )
    in_phase = (held["phase"] == survey_phase) if survey_phase else pd.Series(True, held.index)
    for label, per_hold in _survey_returns(data, survey_phase).items():
        values = per_hold.reindex(held["hold_id"]).fillna(0).astype("int64").to_numpy()
        out[SURVEY_PREFIX + label] = pd.array(values, dtype="Int64")
        out.loc[~in_phase.to_numpy(), SURVEY_PREFIX + label] = pd.NA
    total = {PHASE_COLUMN: TOTAL_LABEL, HOLD_COLUMN: ""}
    for col in bilag1_count_columns(out):
        total[col] = out[col].sum()
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    for col in bilag1_count_columns(out):
        out[col] = out[col].astype("Int64" if col.startswith(SURVEY_PREFIX) else "int64")
    return out


def bilag1_count_columns(table: pd.DataFrame) -> list[str]:
    """The count columns of `persons_per_hold` (what disclosure control checks)."""
    fixed = [ENROLLED_COLUMN, COMPLETED_COLUMN, WITHDRAWN_COLUMN, SAMPLE_COLUMN]
    return fixed + [c for c in table.columns if c.startswith(SURVEY_PREFIX)]


def bilag1_sums(table: pd.DataFrame) -> dict:
    """The sums of `persons_per_hold`, for complementary suppression (`Publisher.table`):
    completed and withdrawn add up to the enrolled; the holds add up to the 'I alt' row."""
    return {
        "col_sums": [(ENROLLED_COLUMN, [COMPLETED_COLUMN, WITHDRAWN_COLUMN])],
        "row_sums": [(TOTAL_LABEL, None)],
        "label_col": PHASE_COLUMN,
    }


def bilag1_note(survey_phase: str | None = "udbredelse") -> str:
    phase = PHASE_NOUNS.get(survey_phase, str(survey_phase)) if survey_phase else "alle faser"
    return BILAG1_NOTE.format(phase=phase)


def bilag1_source(table: pd.DataFrame) -> str:
    total = table[table[PHASE_COLUMN] == TOTAL_LABEL].iloc[0]
    return (
        f"Kursusudbyderens tilmeldingsliste og holdoversigt, DREAM-udtrækket og "
        f"spørgeskemaerne. N = {num(int(total[ENROLLED_COLUMN]))} tilmeldinger på "
        f"{num(len(table) - 1)} hold"
    )
