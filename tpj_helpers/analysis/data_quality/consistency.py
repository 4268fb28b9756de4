"""Consistency checks over the tables the report publishes, a warning box and a table of checks.

The published evaluation has slips that a reader can find with a pencil: an age share printed as
0,3 % where 33 of 353 gives 9,3 %; three different numbers of registered participants (353, 358
and 524 - 159 = 365); 173 missing answers where 324 sent - 220 returned gives 104; age groups
'Under 25' and '26-35' that leave 25-year-olds out, and both 'Over 55' and 'Over 56'. The checks
here catch such slips before the report goes out.

Each check is a small function on plain numbers (so that tests can feed it broken input) and
returns a `CheckResult`: an id, whether it passed and a Danish message that names the table, the
row or column and the numbers that disagree. `run_checks(data, ...)` builds the report's tables
from `StudyData` with the existing helpers and runs every check; `warning_box` turns the failures
into a Markdown box for the report and `checks_table` lists all checks for `Publisher.table`.

Kinds of check:

- **sum**: parts add up to their total (completed + withdrawn = enrolled; sent = fully
  submitted + missing; the phases add up to the total column).
- **same**: one count used in several places is the same number everywhere.
- **pct**: the percentages of a column sum to 100 within rounding, and each printed percentage
  equals count / total within rounding.
- **age**: the age groups place every age 0..120 in exactly one group, and the code that assigns
  the groups agrees with their names.
- **N**: a table's N (total row) equals the count taken from the source data.

Rounding tolerance: a percentage printed with `d` decimals is off by at most half a unit of its
last decimal (0,05 for one decimal); a sum of `k` such percentages by at most `k` halves.
Counts from 1 to `min_cell - 1` are written 'færre end <min_cell>' in the messages, as in the
rest of the report (disclosure control).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tpj_helpers.publish.present import num

AGE_MIN, AGE_MAX = 0, 120
WARNING_TITLE = "Datakvalitet: advarsler"
PASSED_TITLE = "Datakvalitet: kontroller"
PASSED_TEXT = "Bestået"
FAILED_TEXT = "Fejl"
CHECK_COLUMNS = {"id": "Kontrol", "description": "Beskrivelse", "result": "Resultat"}


@dataclass(frozen=True)
class CheckResult:
    """One consistency check. `message` says what was found (in Danish): on failure the table,
    the row or column and the numbers that disagree."""

    id: str
    kind: str  # sum | same | pct | age | N
    description: str
    passed: bool
    message: str


def _count(x, min_cell: int | None) -> str:
    """A count for a message; 1..min_cell-1 -> 'færre end <min_cell>'."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "(mangler)"
    if float(x) == int(x):
        x = int(x)
        if min_cell and 0 < x < min_cell:
            return f"færre end {min_cell}"
        return num(x)
    return num(float(x), 2)


def _pct(x: float, decimals: int) -> str:
    return f"{num(float(x), decimals)}\u00a0%"


def _equal(a, b) -> bool:
    return bool(np.isclose(float(a), float(b), rtol=0, atol=1e-9))


# --------------------------------------------------------------------------- counts


def check_sum(
    check_id: str,
    table: str,
    where: str,
    parts: Mapping[str, float],
    total_label: str,
    total: float,
    min_cell: int | None = None,
    kind: str = "sum",
) -> CheckResult:
    """The parts add up to the total: e.g. Tabel 4, column 'Pilot': completed + withdrawn =
    enrolments; Tabel 2, row 'Lige efter kurset': fully submitted + missing = sent."""
    labels = list(parts)
    description = f"{table}, {where}: {' + '.join(labels)} = {total_label}"
    found = float(sum(parts.values()))
    terms = " + ".join(f"{label} ({_count(v, min_cell)})" for label, v in parts.items())
    if _equal(found, total):
        message = f"{table}, {where}: {terms} = {total_label} ({_count(total, min_cell)})."
        return CheckResult(check_id, kind, description, True, message)
    message = (
        f"{table}, {where}: {terms} giver {_count(found, min_cell)}, men {total_label} er "
        f"{_count(total, min_cell)}."
    )
    return CheckResult(check_id, kind, description, False, message)


def check_same(
    check_id: str,
    what: str,
    values: Mapping[str, float],
    min_cell: int | None = None,
    kind: str = "same",
) -> CheckResult:
    """One count used in several places (tables, sources) is the same number everywhere.

    `values` maps where the number is used ('Tabel 3, N') to the number printed there."""
    places = list(values)
    description = f"{what} er det samme tal i: {', '.join(places)}"
    first = next(iter(values.values()))
    if all(_equal(v, first) for v in values.values()):
        message = f"{what}: {_count(first, min_cell)} alle steder ({', '.join(places)})."
        return CheckResult(check_id, kind, description, True, message)
    shown = "; ".join(f"{place}: {_count(v, min_cell)}" for place, v in values.items())
    message = f"{what} er ikke det samme tal overalt: {shown}."
    return CheckResult(check_id, kind, description, False, message)


def check_equal(
    check_id: str,
    what: str,
    table_label: str,
    table_value: float,
    source_label: str,
    source_value: float,
    min_cell: int | None = None,
) -> CheckResult:
    """A table's N (or any printed count) equals the count taken from the source data."""
    return check_same(
        check_id, what, {table_label: table_value, source_label: source_value}, min_cell, kind="N"
    )


# --------------------------------------------------------------------------- percentages


def _tolerance(decimals: int | None) -> float:
    return 1e-6 if decimals is None else 0.5 * 10.0 ** (-decimals) + 1e-9


def check_pct_sum(
    check_id: str,
    table: str,
    where: str,
    shares: Mapping[str, float],
    decimals: int | None = 1,
    total: float = 100.0,
) -> CheckResult:
    """The percentages (0-100) of a column sum to 100 within rounding.

    `decimals`: how many decimals the table prints (None: unrounded values); the tolerance is one
    half of the last printed decimal per percentage."""
    values = {k: float(v) for k, v in shares.items() if not pd.isna(v)}
    description = f"{table}, {where}: procenterne summerer til {num(total)}\u00a0%"
    tol = len(values) * _tolerance(decimals) if decimals is not None else 1e-6
    if not values:  # no base (e.g. a phase without persons): nothing to add up
        return CheckResult(
            check_id, "pct", description, True, f"{table}, {where}: ingen procenter (grundtal 0)."
        )
    found = float(sum(values.values()))
    shown = _pct(found, decimals or 1)
    if abs(found - total) <= tol:
        return CheckResult(
            check_id,
            "pct",
            description,
            True,
            f"{table}, {where}: procenterne summerer til {shown}.",
        )
    message = (
        f"{table}, {where}: procenterne summerer til {shown}, ikke {num(total)}\u00a0% "
        f"(afrunding tillader ±{num(tol, 2)})."
    )
    return CheckResult(check_id, "pct", description, False, message)


def check_pct_match(
    check_id: str,
    table: str,
    column: str,
    counts: Mapping[str, float],
    shares: Mapping[str, float],
    total: float | Mapping[str, float],
    decimals: int | None = 1,
    min_cell: int | None = None,
) -> CheckResult:
    """Each printed percentage (0-100) equals count / total within rounding.

    `counts` and `shares` are keyed by row label; `total` is the base, one number or one per row
    (e.g. the questionnaires sent of each wave). Catches 0,3 % printed where 33 of 353 = 9,3 %."""
    description = f"{table}, kolonne '{column}': hver procent = antal / grundtal"
    tol = _tolerance(decimals)
    d = 1 if decimals is None else decimals
    bad = []
    for row, share in shares.items():
        if pd.isna(share):
            continue
        base = total[row] if isinstance(total, Mapping) else total
        count = counts[row]
        if not base:
            continue
        expected = 100.0 * float(count) / float(base)
        if abs(float(share) - expected) > tol:
            bad.append(
                f"række '{row}': trykt {_pct(share, d)}, men {_count(count, min_cell)} af "
                f"{_count(base, min_cell)} giver {_pct(expected, max(d, 1))}"
            )
    if not bad:
        return CheckResult(
            check_id,
            "pct",
            description,
            True,
            f"{table}, kolonne '{column}': alle procenter passer med antallene.",
        )
    return CheckResult(
        check_id, "pct", description, False, f"{table}, kolonne '{column}': " + "; ".join(bad) + "."
    )


# --------------------------------------------------------------------------- age groups

_UNDER = re.compile(r"^\s*under\s+(\d+)", re.IGNORECASE)
_OVER = re.compile(r"^\s*over\s+(\d+)", re.IGNORECASE)
_PLUS = re.compile(r"^\s*(\d+)\s*(?:\+|år og derover|og derover|og ældre)", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+)\s*[-\u2013]\s*(\d+)", re.IGNORECASE)


def parse_age_label(label: str, lo: int = AGE_MIN, hi: int = AGE_MAX) -> tuple[int, int] | None:
    """The ages (first, last, both included) an age-group label names: 'Under 25' -> (0, 24),
    '25-35' / '26-35 år' -> (25, 35) / (26, 35), 'Over 55' -> (56, 120), '56+' -> (56, 120).
    None when the label cannot be read."""
    text = str(label)
    if m := _UNDER.match(text):
        return lo, int(m.group(1)) - 1
    if m := _OVER.match(text):
        return int(m.group(1)) + 1, hi
    if m := _PLUS.match(text):
        return int(m.group(1)), hi
    if m := _RANGE.match(text):
        return int(m.group(1)), int(m.group(2))
    return None


def _runs(ages: list[int]) -> list[tuple[int, int]]:
    """[25, 57, 58, 59] -> [(25, 25), (57, 59)]."""
    out: list[tuple[int, int]] = []
    for a in ages:
        if out and a == out[-1][1] + 1:
            out[-1] = (out[-1][0], a)
        else:
            out.append((a, a))
    return out


def _ages_text(first: int, last: int) -> str:
    return f"alder {first}" if first == last else f"alder {first}-{last}"


def check_age_bins(
    check_id: str,
    labels: Sequence[str],
    table: str = "Aldersgrupper",
    lo: int = AGE_MIN,
    hi: int = AGE_MAX,
) -> CheckResult:
    """The age groups, read from their labels, place every age lo..hi in exactly one group: no
    gap ('Under 25' and '26-35' leave 25 out) and no overlap ('Over 55' and 'Over 56')."""
    description = f"{table}: hver alder {lo}-{hi} ligger i netop én aldersgruppe"
    problems = []
    ranges: dict[str, tuple[int, int]] = {}
    for label in labels:
        r = parse_age_label(label, lo, hi)
        if r is None:
            problems.append(f"gruppen '{label}' kan ikke læses som et aldersinterval")
        else:
            ranges[str(label)] = r
    members = {
        age: [g for g, (a, b) in ranges.items() if a <= age <= b] for age in range(lo, hi + 1)
    }
    for first, last in _runs([a for a, gs in members.items() if not gs]):
        before = [g for g, (_, b) in ranges.items() if b == first - 1]
        after = [g for g, (a, _) in ranges.items() if a == last + 1]
        between = f" (mellem '{before[0]}' og '{after[0]}')" if before and after else ""
        problems.append(f"{_ages_text(first, last)} ligger ikke i nogen gruppe{between}")
    overlaps: dict[tuple[str, ...], list[int]] = {}
    for age, gs in members.items():
        if len(gs) > 1:
            overlaps.setdefault(tuple(gs), []).append(age)
    for groups, ages in overlaps.items():
        for first, last in _runs(ages):
            names = " og ".join(f"'{g}'" for g in groups)
            problems.append(f"{_ages_text(first, last)} ligger i {len(groups)} grupper ({names})")
    if not problems:
        return CheckResult(
            check_id,
            "age",
            description,
            True,
            f"{table}: hver alder {lo}-{hi} ligger i netop én gruppe.",
        )
    return CheckResult(
        check_id, "age", description, False, f"{table}: " + "; ".join(problems) + "."
    )


def check_age_assignment(
    check_id: str,
    assign: Callable[[pd.Series], pd.Series],
    labels: Sequence[str],
    table: str = "Aldersgrupper",
    lo: int = AGE_MIN,
    hi: int = AGE_MAX,
) -> CheckResult:
    """The code that assigns age groups (`cohort.age_group`) gives every age lo..hi a group, and
    the group whose label names that age (bin edges and labels agree)."""
    description = (
        f"{table}: koden placerer hver alder {lo}-{hi} i gruppen, der efter navnet dækker den"
    )
    ages = pd.Series(range(lo, hi + 1), dtype="Int64")
    got = pd.Series(assign(ages)).astype(object)
    ranges = {str(g): parse_age_label(g, lo, hi) for g in labels}
    missing, wrong = [], {}
    for age, group in zip(range(lo, hi + 1), got, strict=True):
        if group is None or pd.isna(group):
            missing.append(age)
            continue
        r = ranges.get(str(group))
        if r is None or not r[0] <= age <= r[1]:
            wrong.setdefault(str(group), []).append(age)
    problems = [f"{_ages_text(a, b)} får ingen gruppe" for a, b in _runs(missing)]
    for group, ages in wrong.items():
        r = ranges.get(group)
        named = f"som efter navnet dækker {r[0]}-{r[1]}" if r else "som ikke er en af grupperne"
        problems += [f"{_ages_text(a, b)} placeres i '{group}', {named}" for a, b in _runs(ages)]
    if not problems:
        return CheckResult(
            check_id,
            "age",
            description,
            True,
            f"{table}: koden og gruppernes navne stemmer overens for alder {lo}-{hi}.",
        )
    return CheckResult(
        check_id, "age", description, False, f"{table}: " + "; ".join(problems) + "."
    )


# --------------------------------------------------------------------------- the report's tables


def _tabel4_checks(data, phases, min_cell) -> tuple[list[CheckResult], pd.DataFrame]:
    from tpj_helpers.analysis.data_quality import enrolment as q

    t4 = q.enrolment_by_phase(data, phases)
    name = "Tabel 4 (hold, tilmeldinger og gennemførsel)"
    labels = [c.removesuffix(", antal") for c in q.count_columns(t4)]
    phase_labels = [c for c in labels if c != q.TOTAL_LABEL]
    out = []
    val = lambda row, col: q.value_of(t4, row, f"{col}, antal")  # noqa: E731
    share = lambda row, col: q.value_of(t4, row, f"{col}, pct.")  # noqa: E731
    for col in labels:
        key = col.lower().replace(" ", "")
        for base, done, drop, what in (
            (q.ROW_ENROLMENTS, q.ROW_ENROL_DONE, q.ROW_ENROL_DROP, "tilmeldinger"),
            (q.ROW_PERSONS, q.ROW_PERSON_DONE, q.ROW_PERSON_DROP, "personer"),
        ):
            parts = {"gennemført": val(done, col), "afmeldt": val(drop, col)}
            out.append(
                check_sum(
                    f"T4-sum-{what}-{key}",
                    name,
                    f"kolonne '{col}'",
                    parts,
                    what,
                    val(base, col),
                    min_cell,
                )
            )
            out.append(
                check_pct_sum(
                    f"T4-pct-{what}-{key}",
                    name,
                    f"kolonne '{col}', {what}",
                    {done: share(done, col), drop: share(drop, col)},
                    decimals=0,
                )
            )
            out.append(
                check_pct_match(
                    f"T4-andel-{what}-{key}",
                    name,
                    f"{col}, pct.",
                    {done: val(done, col), drop: val(drop, col)},
                    {done: share(done, col), drop: share(drop, col)},
                    val(base, col),
                    decimals=0,
                    min_cell=min_cell,
                )
            )
    for row, what in (
        (q.ROW_HOLDS, "hold"),
        (q.ROW_ENROLMENTS, "tilmeldinger"),
        (q.ROW_PERSONS, "personer"),
    ):
        out.append(
            check_sum(
                f"T4-faser-{what}",
                name,
                f"række '{row}'",
                {c: val(row, c) for c in phase_labels},
                q.TOTAL_LABEL,
                val(row, q.TOTAL_LABEL),
                min_cell,
            )
        )
    # N against the sources.
    holds = data.holds
    shown = holds["phase"].isin(list(phases)) if phases is not None else holds["phase"].notna()
    held = holds[shown & (holds["status"] == "afholdt")]
    enrol = data.enrolments[data.enrolments["hold_id"].isin(held["hold_id"])]
    out.append(
        check_equal(
            "T4-N-tilmeldinger",
            "Antal tilmeldinger",
            f"{name}, I alt",
            val(q.ROW_ENROLMENTS, q.TOTAL_LABEL),
            "tilmeldingslisten",
            len(enrol),
            min_cell,
        )
    )
    out.append(
        check_equal(
            "T4-N-gennemført",
            "Antal gennemførte tilmeldinger",
            f"{name}, I alt",
            val(q.ROW_ENROL_DONE, q.TOTAL_LABEL),
            "tilmeldingslisten",
            int((enrol["status"] == "gennemført").sum()),
            min_cell,
        )
    )
    out.append(
        check_equal(
            "T4-N-hold",
            "Antal afholdte hold",
            f"{name}, I alt",
            val(q.ROW_HOLDS, q.TOTAL_LABEL),
            "holdoversigten",
            len(held),
            min_cell,
        )
    )
    return out, t4


def _person_checks(data, t4, min_cell) -> list[CheckResult]:
    from tpj_helpers.analysis.data_quality import enrolment as q
    from tpj_helpers.data import cohort

    p = data.persons
    n_persons = q.value_of(t4, q.ROW_PERSONS, f"{q.TOTAL_LABEL}, antal")
    with_reg = int(p["registered"].sum())
    without = int((~p["registered"]).sum())
    out = [
        check_sum(
            "REG-sum",
            "Personer og registreringer",
            "alle personer",
            {"med registrering": with_reg, "uden registrering": without},
            "personer i Tabel 4",
            n_persons,
            min_cell,
        )
    ]
    reg_source = int(data.registrations["person_id"].isin(p["person_id"]).sum())
    registered = p[p["registered"]]
    by_age = registered["age_group"].value_counts()
    age_total = int(by_age.sum()) + int(registered["age_group"].isna().sum())
    out.append(
        check_same(
            "REG-samme",
            "Antal personer med registrering",
            {
                "persontabellen": with_reg,
                "registreringsværktøjet": reg_source,
                "aldersfordelingen (inkl. ukendt alder)": age_total,
            },
            min_cell,
        )
    )
    out.append(check_age_bins("ALDER-grupper", list(cohort.AGE_GROUPS)))
    out.append(check_age_assignment("ALDER-kode", cohort.age_group, list(cohort.AGE_GROUPS)))
    from tpj_helpers.analysis.data_quality.enrolment import participants_by_municipality

    muni = participants_by_municipality(data)
    out.append(
        check_equal(
            "KOM-N",
            "Antal kursister",
            "figuren over kommuner, sum",
            int(muni[q.PARTICIPANTS_COLUMN].sum()),
            "Tabel 4, personer i alt",
            n_persons,
            min_cell,
        )
    )
    return out


def _survey_checks(data, survey_phase, min_cell) -> list[CheckResult]:
    from tpj_helpers.analysis.survey_outcomes import tables as st
    from tpj_helpers.analysis.who5 import waves as who5

    c = st.RESPONSE_COLUMNS
    t2 = st.response_rates(data, survey_phase)
    name = "Tabel 2 (svar på spørgeskema)"
    out = []
    ids = st.phase_person_ids(data, survey_phase)
    dispatch = data.surveys.dispatch[data.surveys.dispatch["person_id"].isin(ids)]
    waves = dict(data.surveys.codebook.waves)
    for (wave, label), row in zip(waves.items(), t2.itertuples(index=False), strict=True):
        r = dict(zip(t2.columns, row, strict=True))
        where = f"række '{label}'"
        out.append(
            check_sum(
                f"T2-sum-{wave}",
                name,
                where,
                {c["complete"]: r[c["complete"]], c["missing"]: r[c["missing"]]},
                c["sent"],
                r[c["sent"]],
                min_cell,
            )
        )
        out.append(
            check_pct_sum(
                f"T2-pct-{wave}",
                name,
                where,
                {c["rate"]: r[c["rate"]], c["missing_rate"]: r[c["missing_rate"]]},
                decimals=0,
            )
        )
        out.append(
            check_pct_match(
                f"T2-andel-{wave}",
                name,
                f"{c['rate']} / {c['missing_rate']}",
                {c["rate"]: r[c["complete"]], c["missing_rate"]: r[c["missing"]]},
                {c["rate"]: r[c["rate"]], c["missing_rate"]: r[c["missing_rate"]]},
                r[c["sent"]],
                decimals=0,
                min_cell=min_cell,
            )
        )
        sent_source = int(dispatch.loc[dispatch["wave"] == wave, "person_id"].nunique())
        out.append(
            check_equal(
                f"T2-N-{wave}",
                f"Udsendte spørgeskemaer, {label.lower()}",
                f"{name}, {c['sent']}",
                r[c["sent"]],
                "udsendelseslisten",
                sent_source,
                min_cell,
            )
        )
    means, _ = who5.wave_means(data, survey_phase)
    for (wave, label), row in zip(waves.items(), means.itertuples(index=False), strict=True):
        m = dict(zip(means.columns, row, strict=True))
        complete = int(t2.loc[t2[st.WAVE_COLUMN] == label, c["complete"]].item())
        out.append(
            check_sum(
                f"WHO5-sum-{wave}",
                "WHO-5-tabellen",
                f"række '{label}'",
                {
                    who5.MEANS_COLUMNS["n"]: m[who5.MEANS_COLUMNS["n"]],
                    who5.MEANS_COLUMNS["n_incomplete"]: m[who5.MEANS_COLUMNS["n_incomplete"]],
                },
                "fuldt besvarede i Tabel 2",
                complete,
                min_cell,
            )
        )
    return out


def _register_checks(data, min_cell) -> list[CheckResult]:
    from tpj_helpers.analysis.register_regressions import models as register

    t6 = register.tabel6(data)
    out = []
    for key, (_, label) in register.TIMEPOINTS.items():
        col = t6.counts[key]
        out.append(
            check_sum(
                f"T6-sum-{str(key).replace('-', 'm')}",
                "Tabel 6 (beskæftigelsesscore)",
                f"kolonne '{label}'",
                {"personer pr. score": int(col.drop("NA").sum()), "uden score": int(col["NA"])},
                "N",
                int(t6.n[key]),
                min_cell,
            )
        )
    return out


def run_checks(
    data,
    phases: Sequence[str] | None = None,
    survey_phase: str | None = None,
    min_cell: int | None = None,
    register: bool = True,
) -> list[CheckResult]:
    """Build the report's tables from `data` with the existing helpers and run every check.

    `phases`: the phases of Tabel 4 (as the data-quality notebook passes them); `survey_phase`:
    the phase of Tabel 2 and the WHO-5 table; `min_cell`: disclosure control of the messages;
    `register=False` leaves out the Tabel 6 checks (they need the DREAM panel)."""
    checks, t4 = _tabel4_checks(data, phases, min_cell)
    checks += _person_checks(data, t4, min_cell)
    checks += _survey_checks(data, survey_phase, min_cell)
    if register:
        checks += _register_checks(data, min_cell)
    return checks


# --------------------------------------------------------------------------- presentation


def failed(results: Sequence[CheckResult]) -> list[CheckResult]:
    return [r for r in results if not r.passed]


def warning_box(results: Sequence[CheckResult]) -> str:
    """Danish Markdown box: the failed checks as a warning ('Datakvalitet: advarsler'), or one
    line 'Alle N kontroller bestået' in a note box when every check passed."""
    bad = failed(results)
    n = len(results)
    if not bad:
        body = (
            f"Alle {num(n)} kontroller bestået: tabellernes tal summerer, procenterne passer "
            "med antallene, aldersgrupperne dækker hver alder én gang, og tabellernes N svarer "
            "til kilderne."
        )
        return f'::: {{.callout-note title="{PASSED_TITLE}"}}\n{body}\n:::\n'
    head = (
        f"{num(len(bad))} af {num(n)} kontroller fejlede. Tallene nedenfor hænger ikke "
        "sammen og skal rettes eller forklares, før rapporten bruges:"
    )
    lines = [f"- **{r.id}**: {r.message}" for r in bad]
    return (
        f'::: {{.callout-warning title="{WARNING_TITLE}"}}\n{head}\n\n'
        + "\n".join(lines)
        + "\n:::\n"
    )


def checks_table(results: Sequence[CheckResult]) -> pd.DataFrame:
    """All checks for `Publisher.table`: Kontrol (id), Beskrivelse, Resultat ('Bestået' or
    'Fejl: <message>'). Failed checks first, then in the order they ran."""
    rows = [
        {
            CHECK_COLUMNS["id"]: r.id,
            CHECK_COLUMNS["description"]: r.description,
            CHECK_COLUMNS["result"]: PASSED_TEXT if r.passed else f"{FAILED_TEXT}: {r.message}",
            "_ok": r.passed,
        }
        for r in results
    ]
    out = pd.DataFrame(rows, columns=[*CHECK_COLUMNS.values(), "_ok"])
    out = out.sort_values("_ok", kind="stable").drop(columns="_ok")
    return out.reset_index(drop=True)


def checks_source(results: Sequence[CheckResult]) -> str:
    """Source line of the checks table."""
    return (
        f"Kontroller af rapportens tabeller mod hinanden og mod kildedata. "
        f"N = {num(len(results))} kontroller, {num(len(failed(results)))} fejlede"
    )
