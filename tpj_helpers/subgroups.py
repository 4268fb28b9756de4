"""Two-point register models per subgroup (Bilag 12-14 and the gender / referral pages).

Groups: completers split by gender, age group, referral category (visitation) or project phase,
and the withdrawn participants as one group (`status:afmeldt`). Subgroup ids are
`variable:value` with the value as it is in the data (outputs.md): `gender:kvinde`,
`age_group:25-35`, `visitation:ressourceforloeb`, `phase:pilot`, `status:afmeldt`.

A group with fewer persons than `min_group_size` (persons in the register analysis) gets no model;
its row says why, without printing the small count (disclosure control is the Publisher's job, and
the count column goes through it).
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers import register
from tpj_helpers.present import num, signed
from tpj_helpers.publish import ESTIMATE_COLUMNS

VARIABLES = ("gender", "age_group", "visitation", "phase", "status")
VARIABLE_LABELS = {
    "gender": "Køn",
    "age_group": "Aldersgruppe",
    "visitation": "Visitationskategori",
    "phase": "Projektfase",
    "status": "Afmeldte kursister",
}
VALUE_LABELS = {
    "gender": {"kvinde": "Kvinder", "mand": "Mænd"},
    "visitation": {
        "akt_kontanthjaelp": "Aktivitetsparat kontanthjælp",
        "akt_uddannelseshjaelp": "Aktivitetsparat uddannelseshjælp",
        "ressourceforloeb": "Ressourceforløb",
        "andet": "Andet",
    },
    "phase": {"pilot": "Pilotfase", "udbredelse": "Udbredelsesfase"},
    "status": {"afmeldt": "Afmeldt undervejs"},
}
EXTRA_COLUMNS = ["variable", "value", "group_size", "reason"]


def value_label(variable: str, value) -> str:
    if variable == "age_group":
        return f"{value} år"
    return VALUE_LABELS.get(variable, {}).get(value, str(value))


def subgroup_id(variable: str, value) -> str:
    return f"{variable}:{value}"


def _groups(data, variable: str) -> list[tuple[object, pd.DataFrame]]:
    """(value, persons) per group; the withdrawn as the one group of `status`."""
    if variable == "status":
        return [(register.WITHDRAWN, register.analysis_persons(data, register.WITHDRAWN))]
    if variable not in VARIABLES:
        raise ValueError(f"variable must be one of {VARIABLES}, not {variable!r}")
    persons = register.analysis_persons(data)
    return [(v, persons[persons[variable] == v]) for v in register._ordered_values(persons[variable])]


def _no_model(variable: str, value, size: int, model: str, reason: str) -> dict:
    return {
        "analysis": "register", "model": model, "subgroup": subgroup_id(variable, value),
        "term": None, "n_persons": size, "n_obs": 0, "variable": variable, "value": value,
        "group_size": size, "reason": reason,
    }


def subgroup_two_point(data, variable: str, min_group_size: int = 10) -> pd.DataFrame:
    """Both two-point models for every group of `variable`; no-model rows say why.

    Columns: the outputs.md estimate columns plus variable, value, group_size (persons in the
    group) and reason (empty when estimated; `term` is missing on a no-model row). Completers
    with a missing value of `variable` are in no group and get one row `variable:ukendt` saying so.
    """
    rows = []
    for value, persons in _groups(data, variable):
        size = len(persons)
        sid = subgroup_id(variable, value)
        if size < min_group_size:
            for model in register.TWO_POINT:
                rows.append(pd.DataFrame([_no_model(
                    variable, value, size, model,
                    f"Ingen model: under {min_group_size} kursister")]))
            continue
        for model in register.TWO_POINT:
            try:
                est = register.two_point(data, persons, model, sid)
            except register.ModelNotEstimable as exc:
                rows.append(pd.DataFrame([_no_model(variable, value, size, model,
                                                    f"Ingen model: {exc}")]))
                continue
            rows.append(est.assign(variable=variable, value=value, group_size=size, reason=""))
    if variable != "status":
        completers = register.analysis_persons(data)
        missing = int(completers[variable].isna().sum())
        if missing:
            rows.append(pd.DataFrame([_no_model(
                variable, "ukendt", missing, "", "Ukendt værdi: indgår ikke i nogen undergruppe")]))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out.reindex(columns=[*ESTIMATE_COLUMNS, *EXTRA_COLUMNS])


def all_subgroups(data, min_group_size: int = 10, variables=VARIABLES) -> pd.DataFrame:
    """`subgroup_two_point` for every variable, stacked."""
    return pd.concat([subgroup_two_point(data, v, min_group_size) for v in variables],
                     ignore_index=True)


def estimate_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with an estimate (for `Publisher.estimates`)."""
    return rows.loc[rows["term"].notna(), ESTIMATE_COLUMNS].reset_index(drop=True)


PRE_COLUMN = "Ændring før (uge −26 til −1)"
POST_COLUMN = "Ændring efter (uge −1 til 26)"
POST_CI_COLUMN = "95 %-KI, efter"


def _change_text(terms: pd.DataFrame) -> str:
    """The change term as Danish text with its stars, e.g. '−0,79***'."""
    if "change" not in terms.index:
        return ""
    row = terms.loc["change"]
    return signed(float(row["estimate"]), 2) + (row["stars"] if isinstance(row["stars"], str) else "")


def subgroup_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Danish display table: one row per group with the change before and after the course start
    (estimate and stars), the 95 % CI of the change after, or the reason there is no model."""
    out = []
    for (variable, value), part in rows.groupby(["variable", "value"], sort=False, dropna=False):
        models = {m: p.set_index("term", drop=False) for m, p in part.groupby("model", sort=False)}
        pre, post = models.get("two_point_pre"), models.get("two_point_post")
        has_post = post is not None and "change" in post.index
        reasons = [r for r in part["reason"].fillna("") if r]
        out.append({
            "Dimension": register_label(variable),
            "Gruppe": "Ukendt" if value == "ukendt" else value_label(variable, value),
            "Kursister": int(part["group_size"].iloc[0]),
            PRE_COLUMN: _change_text(pre) if pre is not None else "",
            POST_COLUMN: _change_text(post) if post is not None else "",
            POST_CI_COLUMN: (register.ci_text(post.loc["change", "conf_low"],
                                              post.loc["change", "conf_high"]) if has_post else ""),
            "Bemærkning": reasons[0] if reasons else "",
        })
    return pd.DataFrame(out)


def register_label(variable: str) -> str:
    return VARIABLE_LABELS.get(variable, variable)


def table_note(min_group_size: int) -> str:
    return (
        f"Grupper med færre end {min_group_size} kursister i registeranalysen får ingen model. "
        "Undergrupperne er kursister, der har gennemført; de afmeldte er én gruppe for sig. "
        + register.MODEL_NOTE
    )


def source_line(data) -> str:
    """The source line with the completers and the withdrawn of the register analysis."""
    n_done = len(register.analysis_persons(data))
    n_out = len(register.analysis_persons(data, register.WITHDRAWN))
    return (f"DREAM-registeret ({data.panel.first_week} til {data.panel.last_week}), kursister med "
            f"registersamtykke. N = {num(n_done)} kursister, der har gennemført, og "
            f"{num(n_out)} afmeldte")
