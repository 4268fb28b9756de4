"""Data quality: enrolment by phase (Tabel 4), participants per municipality, the exclusions
ledger in Danish and a short summary box for the report.

Counting rules (written here once, shown in the report where they matter):

- **Enrolment level** (as the published Tabel 4 counts): every row of `enrolments` on a held hold
  of the phase, so a person who withdrew and re-enrolled counts twice.
- **Person level**: one row per person, on the counted enrolment (the completed one if any, else
  the latest; `cohort.counted_enrolments`); the person's phase is the phase of that enrolment.
- **Re-enrolled persons**: persons with more than one enrolment, placed in the phase of their
  counted enrolment.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import PALETTE, danish_axis, num, pct

PHASE_LABELS = {"pilot": "Pilot", "udbredelse": "Udbredelse"}
TOTAL_LABEL = "I alt"
ROW_COLUMN = "Opgørelse"

# Row labels of the enrolment table (Tabel 4 plus the person-level lines).
ROW_HOLDS = "Antal hold (afholdt)"
ROW_ENROLMENTS = "Tilmeldinger"
ROW_ENROL_DONE = "- heraf gennemført"
ROW_ENROL_DROP = "- heraf afmeldt"
ROW_PERSONS = "Personer (den tællende tilmelding)"
ROW_PERSON_DONE = "- heraf personer, der gennemførte"
ROW_PERSON_DROP = "- heraf personer, der blev afmeldt"
ROW_REENROLLED = "Personer tilmeldt mere end én gang"
ENROLMENT_NOTE = (
    "Øverst tælles tilmeldinger, som i den offentliggjorte evaluering: en person, der blev "
    "afmeldt og senere tilmeldt igen, tæller én gang pr. tilmelding. Nederst tælles personer én "
    "gang, på den gennemførte tilmelding, ellers den seneste. Procenter er af linjens grundtal "
    "(tilmeldinger hhv. personer)."
)

MUNICIPALITY_COLUMN = "Kommune"
PARTICIPANTS_COLUMN = "Kursister"

# The exclusions ledger in Danish. Reasons not listed here are shown as recorded (in English),
# so that a new check still reaches the report; `tests/test_quality.py` checks that every reason
# the loaders record on a data folder has a translation.
SOURCE_LABELS = {
    "enrolments": "Tilmeldinger",
    "registrations": "Registreringer",
    "dream": "DREAM",
    "survey": "Spørgeskema",
}
UNIT_LABELS = {
    "persons": "personer",
    "person-weeks": "personuger",
    "rows": "rækker",
    "enrolments": "tilmeldinger",
    "questionnaires": "spørgeskemaer",
    "invitations": "invitationer",
}
REASON_LABELS = {
    "registration without any enrolment": "Registrering uden nogen tilmelding",
    "no registration: no background data and no register consent": "Ingen registrering: ingen baggrundsoplysninger og intet registersamtykke",
    "phase not selected in the run parameters": "Projektfasen er ikke valgt i kørslens parametre",
    "registered without register consent: not in the register analysis": "Registreret uden registersamtykke: indgår ikke i registeranalysen",
    "person in the extract but not enrolled": "I DREAM-udtrækket, men aldrig tilmeldt",
    "person in the extract without register consent": "I DREAM-udtrækket uden registersamtykke",
    "register consent but not in the extract": "Registersamtykke, men ikke i DREAM-udtrækket",
    "hold without data from course start (week 0)": "Holdet har ingen registerdata fra kursusstart (uge 0)",
    "weeks with a coded-out benefit code (no score)": "Uger med en udkodet ydelseskode (ingen score)",
    "weeks with a code missing from the mapping table (no score)": "Uger med en ydelseskode, der mangler i oversættelsestabellen (ingen score)",
    "partial questionnaire (complete = 0): left out of the answer tables": "Delvist besvaret spørgeskema: indgår ikke i svarprocent og svarfordelinger",
    "fully submitted questionnaire without a WHO-5 score (not all five items answered 0-5)": "Fuldt besvaret spørgeskema uden WHO-5-score (ikke alle fem udsagn besvaret med 0-5)",
    # Issue 13: plausibility rules and missing survey waves (tpj_helpers.data.plausibility).
    "birth year giving an age outside 15-80 at the hold's start: age treated as unknown": "Fødselsår giver en alder uden for 15-80 år ved holdstart: alderen regnes som ukendt",
    "questionnaire submitted before its dispatch or more than 60 days after it: "
    "left out of the survey analyses": "Skema indsendt før udsendelsen eller mere end 60 dage efter: indgår ikke i analyserne",
    "wave with invitations but no survey file: no response rate": "Runde med invitationer, men uden spørgeskemafil: ingen svarprocent",
}
EXCLUSION_COLUMNS = {
    "source": "Kilde",
    "reason": "Årsag",
    "unit": "Enhed",
    "n": "Antal",
    "detail": "Detaljer",
}


def _phase_order(phases) -> list[str]:
    known = [p for p in PHASE_LABELS if p in set(phases)]
    return known + sorted(set(phases) - set(known))


def _share(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else float("nan")


def enrolment_by_phase(data, phases: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Tabel 4: holds, enrolments, completed and withdrawn (with percentages) by phase and in
    total, at enrolment level as the report counts; then the same at person level and the
    number of persons enrolled more than once.

    `phases`: the phases to show (default: every phase in `holds`). Enrolments are taken from the
    holds of those phases, persons from `data.persons` (the persons of the run's phases).
    Columns: 'Opgørelse', then '<Fase>, antal' and '<Fase>, pct.' per phase and for 'I alt'.
    Percentages are 0-100 of the line's base (enrolments, persons); empty for hold counts.
    """
    holds = data.holds
    phases = _phase_order(holds["phase"].unique() if phases is None else phases)
    enrol = data.enrolments.merge(
        holds[["hold_id", "phase"]], on="hold_id", how="left", validate="m:1"
    )
    persons = data.persons[data.persons["phase"].isin(phases)]

    def counts(sel_holds: pd.DataFrame, sel_enrol: pd.DataFrame, sel_pers: pd.DataFrame) -> dict:
        n_enrol, n_pers = len(sel_enrol), len(sel_pers)
        done_e = int((sel_enrol["status"] == "gennemført").sum())
        done_p = int((sel_pers["status"] == "gennemført").sum())
        again = int((sel_pers["n_enrolments"] > 1).sum())
        return {
            ROW_HOLDS: (int((sel_holds["status"] == "afholdt").sum()), None),
            ROW_ENROLMENTS: (n_enrol, _share(n_enrol, n_enrol)),
            ROW_ENROL_DONE: (done_e, _share(done_e, n_enrol)),
            ROW_ENROL_DROP: (n_enrol - done_e, _share(n_enrol - done_e, n_enrol)),
            ROW_PERSONS: (n_pers, _share(n_pers, n_pers)),
            ROW_PERSON_DONE: (done_p, _share(done_p, n_pers)),
            ROW_PERSON_DROP: (n_pers - done_p, _share(n_pers - done_p, n_pers)),
            ROW_REENROLLED: (again, _share(again, n_pers)),
        }

    columns: dict[str, dict] = {}
    for phase in phases:
        columns[PHASE_LABELS.get(phase, phase)] = counts(
            holds[holds["phase"] == phase],
            enrol[enrol["phase"] == phase],
            persons[persons["phase"] == phase],
        )
    columns[TOTAL_LABEL] = counts(
        holds[holds["phase"].isin(phases)], enrol[enrol["phase"].isin(phases)], persons
    )
    rows = list(next(iter(columns.values())))
    out = pd.DataFrame({ROW_COLUMN: rows})
    for label, values in columns.items():
        out[f"{label}, antal"] = pd.array([values[r][0] for r in rows], dtype="int64")
        out[f"{label}, pct."] = pd.array(
            [float("nan") if values[r][1] is None else values[r][1] for r in rows], dtype="float64"
        )
    return out


def enrolment_note(data, phases: list[str] | tuple[str, ...] | None = None) -> str:
    """The note under Tabel 4: the counting rules and the cancelled holds (which are not
    persons, so they are written here rather than in a count column under disclosure control)."""
    holds = data.holds
    phases = _phase_order(holds["phase"].unique() if phases is None else phases)
    cancelled = holds[(holds["status"] == "aflyst") & holds["phase"].isin(phases)]
    if cancelled.empty:
        extra = " Ingen hold blev aflyst."
    else:
        per_phase = [
            f"{num(int((cancelled['phase'] == p).sum()))} i {PHASE_LABELS.get(p, p).lower()}"
            for p in phases
            if (cancelled["phase"] == p).any()
        ]
        extra = (
            f" Derudover blev {num(len(cancelled))} planlagte hold aflyst "
            f"({', '.join(per_phase)}); de indgår ikke."
        )
    return ENROLMENT_NOTE + extra


def count_columns(table: pd.DataFrame) -> list[str]:
    """The count columns of `enrolment_by_phase` (what disclosure control checks)."""
    return [c for c in table.columns if c.endswith(", antal")]


def enrolment_sums(table: pd.DataFrame) -> dict:
    """The sums of `enrolment_by_phase`, for complementary suppression (`Publisher.table`):
    the phases add up to the total column; completed and withdrawn add up to their line."""
    total = f"{TOTAL_LABEL}, antal"
    parts = [c for c in count_columns(table) if c != total]
    return {
        "col_sums": [(total, parts)] if total in table.columns and parts else [],
        "row_sums": [
            (ROW_ENROLMENTS, [ROW_ENROL_DONE, ROW_ENROL_DROP]),
            (ROW_PERSONS, [ROW_PERSON_DONE, ROW_PERSON_DROP]),
        ],
        "label_col": ROW_COLUMN,
    }


def linked_columns(table: pd.DataFrame) -> dict[str, str]:
    """Each percentage column of `enrolment_by_phase` mapped to its count column."""
    return {c: c.replace(", pct.", ", antal") for c in table.columns if c.endswith(", pct.")}


def participants_by_municipality(data, min_cell: int | None = None) -> pd.DataFrame:
    """Persons (counted enrolment) per referring municipality, most participants first.

    Ties are broken by name. With `min_cell`, municipalities with 1..min_cell-1 persons come
    last in alphabetical order, so that the order of the rows discloses nothing about the
    counts that disclosure control hides.
    Columns: 'Kommune', 'Kursister'.
    """
    counts = (
        data.persons.groupby("kommune", observed=True)
        .size()
        .rename(PARTICIPANTS_COLUMN)
        .rename_axis(MUNICIPALITY_COLUMN)
        .reset_index()
    )
    counts[MUNICIPALITY_COLUMN] = counts[MUNICIPALITY_COLUMN].astype(str)
    counts[PARTICIPANTS_COLUMN] = counts[PARTICIPANTS_COLUMN].astype("int64")
    small = (counts[PARTICIPANTS_COLUMN] < min_cell) if min_cell else pd.Series(False, counts.index)
    key = counts[PARTICIPANTS_COLUMN].where(~small, 0)
    counts = counts.assign(_small=small, _key=key).sort_values(
        ["_small", "_key", MUNICIPALITY_COLUMN], ascending=[True, False, True], kind="stable"
    )
    return counts.drop(columns=["_small", "_key"]).reset_index(drop=True)


def exclusions_table(data) -> pd.DataFrame:
    """The exclusions ledger with Danish labels: Kilde, Årsag, Enhed, Antal, Detaljer.

    Every check is listed, also those that found nothing (Antal 0)."""
    ledger = data.exclusions.frame()
    out = pd.DataFrame(
        {
            "source": ledger["source"].map(lambda s: SOURCE_LABELS.get(s, s)),
            "reason": ledger["reason"].map(lambda s: REASON_LABELS.get(s, s)),
            "unit": ledger["unit"].map(lambda s: UNIT_LABELS.get(s, s)),
            "n": ledger["n"].astype("int64"),
            "detail": ledger["detail"].fillna("").astype(str),
        }
    )
    return out.rename(columns=EXCLUSION_COLUMNS)


def count_text(n: int, min_cell: int) -> str:
    """A count for running text under disclosure control: 1..min_cell-1 -> 'færre end <min_cell>'."""
    return f"færre end {min_cell}" if 0 < n < min_cell else num(n)


def quality_summary(data, min_cell: int = 5, top: int = 3) -> str:
    """A short Danish Markdown box (a Quarto callout) on who is in the data and who is left out.

    Persons, enrolments and re-enrolments; registered persons, persons with register consent and
    persons in the register analysis; the `top` largest exclusions (persons) of the ledger.
    Counts from 1 to min_cell-1 are written 'færre end <min_cell>'.
    """
    p = data.persons
    n_persons = len(p)
    n_enrol = int(p["n_enrolments"].sum())
    n_again = int((p["n_enrolments"] > 1).sum())
    n_reg = int(p["registered"].sum())
    n_consent = int(p["consent_register"].sum())
    n_register = len(data.panel.persons)
    c = lambda n: count_text(int(n), min_cell)  # noqa: E731

    lines = [
        f"- **{c(n_persons)} personer** med {c(n_enrol)} tilmeldinger; "
        f"{c(n_again)} personer er tilmeldt mere end én gang og tæller på den gennemførte "
        "tilmelding, ellers den seneste.",
        f"- **{c(n_reg)}** personer ({_pct(n_reg, n_persons, min_cell)}) har en registrering "
        f"i kommunernes registreringsværktøj, og {c(n_consent)} har givet samtykke til "
        "registerdata.",
        f"- **{c(n_register)}** personer indgår i registeranalysen (samtykke, med i "
        "DREAM-udtrækket og data fra kursusstart).",
    ]
    ledger = exclusions_table(data)
    persons_rows = ledger[(ledger["Enhed"] == UNIT_LABELS["persons"]) & (ledger["Antal"] > 0)]
    biggest = persons_rows.sort_values("Antal", ascending=False, kind="stable").head(top)
    if len(biggest):
        lines.append("- Største udeladelser (personer):")
        lines += [f"    - {row['Årsag']}: {c(row['Antal'])}" for _, row in biggest.iterrows()]
    else:
        lines.append("- Ingen personer er udeladt.")
    title = "Datagrundlag" + (" (syntetiske data)" if data.synthetic else "")
    body = "\n".join(lines)
    return f'::: {{.callout-note title="{title}"}}\n{body}\n:::\n'


def _pct(part: int, whole: int, min_cell: int) -> str:
    """A share for running text; not shown when the count it rests on is suppressed."""
    if 0 < part < min_cell:
        return "andel ikke vist"
    return pct(part / whole) if whole else "ingen"


def enrolment_source(table: pd.DataFrame) -> str:
    """Source line of Tabel 4 with its N (enrolments and persons in total)."""
    total = f"{TOTAL_LABEL}, antal"
    n_enrol = value_of(table, ROW_ENROLMENTS, total)
    n_pers = value_of(table, ROW_PERSONS, total)
    return (
        f"Kursusudbyderens tilmeldingsliste og holdoversigt. N = {num(n_enrol)} tilmeldinger, "
        f"{num(n_pers)} personer"
    )


def value_of(table: pd.DataFrame, row: str, column: str):
    """One cell of `enrolment_by_phase` by row label and column."""
    return table.loc[table[ROW_COLUMN] == row, column].item()


def municipality_source(table: pd.DataFrame, min_cell: int) -> str:
    """Source line of the municipality figure: persons and municipalities."""
    n = int(table[PARTICIPANTS_COLUMN].sum())
    return (
        f"Kursusudbyderens tilmeldingsliste, den tællende tilmelding pr. person. "
        f"N = {count_text(n, min_cell)} personer i {num(len(table))} kommuner"
    )


def exclusions_source(table: pd.DataFrame) -> str:
    """Source line of the exclusions ledger: the number of checks."""
    return f"Kontroller ved indlæsning af datagrundlaget. N = {num(len(table))} kontroller"


def municipality_figure(table: pd.DataFrame, min_cell: int = 5) -> plt.Figure:
    """Horizontal bars of participants per municipality in the table's order (largest on top).

    `table` is `participants_by_municipality` output, possibly after disclosure control: a
    suppressed count (NA) gets the hatched marker of `hidden_marks` and the text «skjult»."""
    counts = pd.to_numeric(table[PARTICIPANTS_COLUMN], errors="coerce")
    names = table[MUNICIPALITY_COLUMN].astype(str).tolist()
    fig, ax = plt.subplots(figsize=(7.5, 0.17 * len(table) + 1.0))
    y = range(len(table))
    ax.barh(list(y), counts.fillna(0).to_numpy(dtype=float), color=PALETTE[0], height=0.7)
    top = float(counts.max()) if counts.notna().any() else float(min_cell)
    for i, n in zip(y, counts, strict=True):
        if pd.isna(n):
            hm.mark_barh(ax, i, span=top * 1.1, height=0.7)
            continue
        ax.text(n + top * 0.01, i, num(int(n)), va="center", fontsize=7.5)
    if counts.isna().any():
        ax.legend(  # above the bars: the hidden rows are at the bottom
            handles=[hm.hidden_patch(min_cell)],
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            fontsize=7.5,
            frameon=False,
        )
    ax.set_yticks(list(y), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.1)
    danish_axis(ax, "x")
    ax.set_xlabel("Kursister (personer)")
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig
