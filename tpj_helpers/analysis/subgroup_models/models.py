"""Register models per subgroup (Bilag 12-14, the gender / referral pages, Figur 3-7).

`subgroup_models` fits the register models (all five, or the two-point ones that the table shows)
per group; `weekly_by` gives the weekly mean lines per group (Figur 3-7, groups of at least
`min_group_size`; `status` compares completers and withdrawn); `interaction_test` pools a dimension
in `score ~ group * period` on the two-point post data (weeks -1 and 26) and tests jointly whether
the groups' changes differ; `forest_data` / `plot_forest` draw the post change per group. The
interaction estimates go to estimates.csv as model `two_point_post_interaction`, subgroup
`variable:value` of the non-reference group, term `change_difference` (its change minus the
reference group's; reference = the first group, completers for `status`).

Groups: completers split by gender, age group, referral category (visitation) or project phase,
and the withdrawn participants as one group (`status:afmeldt`). Subgroup ids are
`variable:value` with the value as it is in the data (outputs.md): `gender:kvinde`,
`age_group:25-35`, `visitation:ressourceforloeb`, `phase:pilot`, `status:afmeldt`.

A group with fewer persons than `min_group_size` (persons in the register analysis) gets no model;
its row says why, without printing the small count (disclosure control is the Publisher's job, and
the count column goes through it).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from tpj_helpers.analysis.register_regressions import models as register
from tpj_helpers.publish.present import PALETTE, danish_axis, num, signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS, stars

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
    return [
        (v, persons[persons[variable] == v]) for v in register._ordered_values(persons[variable])
    ]


def _no_model(variable: str, value, size: int, model: str, reason: str) -> dict:
    return {
        "analysis": "register",
        "model": model,
        "subgroup": subgroup_id(variable, value),
        "term": None,
        "n_persons": size,
        "n_obs": 0,
        "variable": variable,
        "value": value,
        "group_size": size,
        "reason": reason,
    }


def subgroup_two_point(data, variable: str, min_group_size: int = 10) -> pd.DataFrame:
    """Both two-point models for every group of `variable`; no-model rows say why (see
    `subgroup_models`)."""
    return subgroup_models(data, variable, min_group_size, tuple(register.TWO_POINT))


def subgroup_models(
    data, variable: str, min_group_size: int = 10, models=register.MODELS
) -> pd.DataFrame:
    """The register `models` for every group of `variable`; no-model rows say why.

    Columns: the outputs.md estimate columns plus variable, value, group_size (persons in the
    group) and reason (empty when estimated; `term` is missing on a no-model row). Completers
    with a missing value of `variable` are in no group and get one row `variable:ukendt` saying so.
    """
    rows = []
    for value, persons in _groups(data, variable):
        size = len(persons)
        sid = subgroup_id(variable, value)
        if size < min_group_size:
            for model in models:
                rows.append(
                    pd.DataFrame(
                        [
                            _no_model(
                                variable,
                                value,
                                size,
                                model,
                                f"Ingen model: under {min_group_size} kursister",
                            )
                        ]
                    )
                )
            continue
        for model in models:
            try:
                est = register.fit_model(data, persons, model, sid)
            except register.ModelNotEstimable as exc:
                rows.append(
                    pd.DataFrame([_no_model(variable, value, size, model, f"Ingen model: {exc}")])
                )
                continue
            rows.append(est.assign(variable=variable, value=value, group_size=size, reason=""))
    if variable != "status":
        completers = register.analysis_persons(data)
        missing = int(completers[variable].isna().sum())
        if missing:
            rows.append(
                pd.DataFrame(
                    [
                        _no_model(
                            variable,
                            "ukendt",
                            missing,
                            "",
                            "Ukendt værdi: indgår ikke i nogen undergruppe",
                        )
                    ]
                )
            )
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out.reindex(columns=[*ESTIMATE_COLUMNS, *EXTRA_COLUMNS])


def all_subgroups(
    data, min_group_size: int = 10, variables=VARIABLES, models=tuple(register.TWO_POINT)
) -> pd.DataFrame:
    """`subgroup_models` for every variable, stacked (the two-point models by default)."""
    return pd.concat(
        [subgroup_models(data, v, min_group_size, models) for v in variables], ignore_index=True
    )


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
    return signed(float(row["estimate"]), 2) + (
        row["stars"] if isinstance(row["stars"], str) else ""
    )


def subgroup_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Danish display table: one row per group with the change before and after the course start
    (estimate and stars), the 95 % CI of the change after, or the reason there is no model."""
    out = []
    rows = rows[rows["model"].isin(["", *register.TWO_POINT]) | rows["model"].isna()]
    for (variable, value), part in rows.groupby(["variable", "value"], sort=False, dropna=False):
        models = {m: p.set_index("term", drop=False) for m, p in part.groupby("model", sort=False)}
        pre, post = models.get("two_point_pre"), models.get("two_point_post")
        has_post = post is not None and "change" in post.index
        reasons = [r for r in part["reason"].fillna("") if r]
        out.append(
            {
                "Dimension": register_label(variable),
                "Gruppe": "Ukendt" if value == "ukendt" else value_label(variable, value),
                "Kursister": int(part["group_size"].iloc[0]),
                PRE_COLUMN: _change_text(pre) if pre is not None else "",
                POST_COLUMN: _change_text(post) if post is not None else "",
                POST_CI_COLUMN: (
                    register.ci_text(
                        post.loc["change", "conf_low"], post.loc["change", "conf_high"]
                    )
                    if has_post
                    else ""
                ),
                "Bemærkning": reasons[0] if reasons else "",
            }
        )
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
    return (
        f"DREAM-registeret ({data.panel.first_week} til {data.panel.last_week}), kursister med "
        f"registersamtykke. N = {num(n_done)} kursister, der har gennemført, og "
        f"{num(n_out)} afmeldte"
    )


# --------------------------------------------------------------------------- weekly lines per group

STATUS_LABELS = {register.COMPLETED: "Gennemført", register.WITHDRAWN: "Afmeldt undervejs"}
FIGURE_VARIABLES = ("gender", "age_group", "visitation", "phase", "status")


def _dimension_groups(data, variable: str, min_group_size: int) -> tuple[pd.DataFrame, str, list]:
    """(persons, column, kept values) of a dimension: groups of at least `min_group_size`.

    For `status` the dimension is completers vs withdrawn (both statuses); otherwise completers
    split by `variable`.
    """
    if variable == "status":
        persons = register.analysis_persons(data, None)
    elif variable in VARIABLES:
        persons = register.analysis_persons(data)
    else:
        raise ValueError(f"variable must be one of {VARIABLES}, not {variable!r}")
    sizes = persons[variable].value_counts()
    values = (
        list(register.STATUSES)
        if variable == "status"  # completers first: the reference
        else register._ordered_values(persons[variable])
    )
    kept = [v for v in values if sizes.get(v, 0) >= min_group_size]
    return persons, variable, kept


def group_labels(variable: str, values) -> dict:
    if variable == "status":
        return {v: STATUS_LABELS.get(v, str(v)) for v in values}
    return {v: value_label(variable, v) for v in values}


def weekly_by(data, variable: str, min_group_size: int = 10) -> pd.DataFrame:
    """Weekly means -26..26 per group of `variable` (groups of at least `min_group_size` only;
    `status`: completers and withdrawn)."""
    persons, col, kept = _dimension_groups(data, variable, min_group_size)
    persons = persons[persons[col].isin(kept)]
    out = register.weekly_means(data, persons=persons, by=col)
    out = out[out[col].isin(kept)]
    order = out[col].astype(object).map({v: i for i, v in enumerate(kept)})
    return out.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def plot_weekly_dimension(df: pd.DataFrame, variable: str, n_min: int, n_max: int):
    labels = group_labels(variable, df[variable].unique())
    return register.plot_weekly_by(df, variable, labels, n_min, n_max)


# --------------------------------------------------------------------------- interaction tests

INTERACTION_MODEL = "two_point_post_interaction"
INTERACTION_TERM = "change_difference"


@dataclass
class InteractionTest:
    """A pooled `score ~ C(group) * post` fit on one dimension with its joint Wald test.

    estimates: estimate rows (outputs.md columns) for each non-reference group: model
    `two_point_post_interaction`, subgroup `variable:value`, term `change_difference` = the
    group's change minus the reference group's. test: one row (variable, reference, groups,
    n_persons, n_obs, chi2, F, df_num, df_denom, p_value, p_chi2).
    """

    estimates: pd.DataFrame
    test: dict


def interaction_test(
    data, variable: str, min_group_size: int = 10, model: str = "two_point_post"
) -> InteractionTest:
    """Do the groups of `variable` differ in their change over `model`'s two weeks?

    Pooled OLS on the two-point data of every group of at least `min_group_size` persons:
    intercept, group dummies, period, group x period (reference = the first group), clustered by
    person (CR1). The interaction coefficients equal the differences between the groups' own
    two-point changes. Joint Wald test of all interaction terms = 0: F = W / q on (q, G - 1)
    degrees of freedom (as the model's t tests), and the asymptotic chi2 = W on q df beside it.
    """
    persons, col, kept = _dimension_groups(data, variable, min_group_size)
    parts = []
    for v in kept:
        long = register.two_point_data(data, persons[persons[col] == v], model)
        if long["period"].nunique() == 2:
            parts.append(long.assign(group=v))
    if len(parts) < 2:
        raise register.ModelNotEstimable("færre end to grupper med en model")
    long = pd.concat(parts, ignore_index=True)
    values = [p["group"].iloc[0] for p in parts]
    period = long["period"].to_numpy(dtype=float)
    dummies = np.column_stack([(long["group"] == v).to_numpy(dtype=float) for v in values[1:]])
    X = np.column_stack([np.ones(len(long)), dummies, period, dummies * period[:, None]])
    fit = register.ols_cluster(long["score"].to_numpy(), X, long["person_id"].to_numpy())
    q = len(values) - 1
    R = np.zeros((q, X.shape[1]))
    R[:, -q:] = np.eye(q)
    f = fit.f_test(R)
    F = float(np.squeeze(f.fvalue))
    df_denom = float(f.df_denom)
    chi2 = F * q
    idx = slice(X.shape[1] - q, X.shape[1])
    ci = np.asarray(fit.conf_int(0.05))[idx]
    p = np.asarray(fit.pvalues, dtype=float)[idx]
    n_by_group = long.groupby("group")["person_id"].nunique()
    obs_by_group = long.groupby("group").size()
    ref = values[0]
    estimates = pd.DataFrame(
        {
            "analysis": "register",
            "model": model + "_interaction",
            "subgroup": [subgroup_id(variable, v) for v in values[1:]],
            "term": INTERACTION_TERM,
            "estimate": np.asarray(fit.params, dtype=float)[idx],
            "std_error": np.asarray(fit.bse, dtype=float)[idx],
            "conf_low": ci[:, 0],
            "conf_high": ci[:, 1],
            "p_value": p,
            "stars": [stars(float(x)) for x in p],
            # persons and observations of the two groups compared (the group and the reference)
            "n_persons": [int(n_by_group[v] + n_by_group[ref]) for v in values[1:]],
            "n_obs": [int(obs_by_group[v] + obs_by_group[ref]) for v in values[1:]],
        }
    )[ESTIMATE_COLUMNS]
    test = {
        "variable": variable,
        "reference": ref,
        "groups": values,
        "n_persons": int(long["person_id"].nunique()),
        "n_obs": len(long),
        "chi2": chi2,
        "F": F,
        "df_num": q,
        "df_denom": int(df_denom),
        "p_value": float(np.squeeze(f.pvalue)),
        "p_chi2": float(scipy_stats.chi2.sf(chi2, q)),
    }
    return InteractionTest(estimates, test)


def interaction_tests(data, min_group_size: int = 10, variables=FIGURE_VARIABLES) -> dict:
    """`interaction_test` per dimension; a dimension without two groups maps to the reason."""
    out = {}
    for v in variables:
        try:
            out[v] = interaction_test(data, v, min_group_size)
        except register.ModelNotEstimable as exc:
            out[v] = str(exc)
    return out


def interaction_table(tests: dict) -> pd.DataFrame:
    """One row per dimension: groups compared, persons, the Wald F, its df, p and chi2."""
    rows = []
    for variable, t in tests.items():
        label = "Gennemført mod afmeldt" if variable == "status" else register_label(variable)
        if isinstance(t, str):
            rows.append(
                {
                    "Dimension": label,
                    "Grupper": None,
                    "Kursister": None,
                    "Wald F": None,
                    "Frihedsgrader": "",
                    "p-værdi": "",
                    "Wald χ²": None,
                    "Bemærkning": f"Ingen test: {t}",
                }
            )
            continue
        d = t.test
        rows.append(
            {
                "Dimension": label,
                "Grupper": len(d["groups"]),
                "Kursister": d["n_persons"],
                "Wald F": d["F"],
                "Frihedsgrader": f"{d['df_num']} og {d['df_denom']}",
                "p-værdi": register.p_text(d["p_value"]),
                "Wald χ²": d["chi2"],
                "Bemærkning": "Referencegruppe: "
                + group_labels(variable, [d["reference"]])[d["reference"]],
            }
        )
    return pd.DataFrame(rows)


INTERACTION_NOTE = (
    "Samlet model for hver dimension: score ~ gruppe × periode på data fra ugen før kurset og 26 "
    "uger efter kursusstart, standardfejl klynget på kursist. Testen er en samlet Wald-test af, at "
    "ændringen er den samme i alle grupper (alle vekselvirkningsled er nul); F-testen har "
    "(antal grupper − 1) og (antal kursister − 1) frihedsgrader, χ²-værdien er den asymptotiske "
    "Wald-statistik. Kun grupper med mindst det mindste antal kursister for en model indgår."
)


def interaction_reading(tests: dict) -> str:
    """Danish text: in which dimensions the groups' post-course changes differ (p < 0.05)."""
    done = {v: t for v, t in tests.items() if not isinstance(t, str)}
    differ = [v for v, t in done.items() if t.test["p_value"] < 0.05]
    same = [v for v in done if v not in differ]

    def name(v: str) -> str:
        return "gennemførte og afmeldte kursister" if v == "status" else register_label(v).lower()

    def listing(vs: list[str]) -> str:
        names = [name(v) for v in vs]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]

    parts = []
    if same:
        ps = [register.p_text(done[v].test["p_value"]) for v in same]
        parts.append(
            f"Ændringen fra ugen før kurset til 26 uger efter kursusstart adskiller sig ikke "
            f"statistisk signifikant mellem grupperne for {listing(same)} (p-værdier "
            f"{', '.join(ps)})."
        )
    if differ:
        ps = [register.p_text(done[v].test["p_value"]) for v in differ]
        parts.append(
            f"For {listing(differ)} er forskellen mellem gruppernes ændring statistisk "
            f"signifikant (p-værdier {', '.join(ps)})."
        )
    skipped = [v for v, t in tests.items() if isinstance(t, str)]
    if skipped:
        parts.append(f"For {listing(skipped)} er der ikke to grupper store nok til en test.")
    parts.append("Undergrupperne er små, så testene kan kun afsløre store forskelle.")
    return " ".join(parts)


# --------------------------------------------------------------------------- forest plot


def forest_data(
    rows: pd.DataFrame, overall: pd.DataFrame, model: str = "two_point_post"
) -> pd.DataFrame:
    """The `change` of `model` per estimated subgroup plus the overall estimate (first row,
    dimension `all`): dimension, group, subgroup, estimate, conf_low, conf_high, n_persons."""
    est = rows[(rows["model"] == model) & (rows["term"] == "change")]
    ov = overall[(overall["model"] == model) & (overall["term"] == "change")]
    out = [
        {
            "dimension": "all",
            "group": "Alle, der har gennemført",
            "subgroup": "all",
            **ov.iloc[0][["estimate", "conf_low", "conf_high", "n_persons"]].to_dict(),
        }
    ]
    for _, r in est.iterrows():
        out.append(
            {
                "dimension": register_label(r["variable"]),
                "group": value_label(r["variable"], r["value"]),
                "subgroup": r["subgroup"],
                **r[["estimate", "conf_low", "conf_high", "n_persons"]].to_dict(),
            }
        )
    df = pd.DataFrame(out)
    return df.astype({c: float for c in ("estimate", "conf_low", "conf_high")}).astype(
        {"n_persons": int}
    )


def plot_forest(df: pd.DataFrame) -> plt.Figure:
    """Forest plot: one line per subgroup (95 % CI), grouped by dimension, the overall estimate as
    a dashed reference line and zero as a thin line."""
    body = df[df["dimension"] != "all"]
    overall = df[df["dimension"] == "all"]
    labels, y = [], 0.0
    positions = []
    for dim, part in body.groupby("dimension", sort=False):
        labels.append((y, dim, True))
        y += 1
        for _, r in part.iterrows():
            positions.append((y, r))
            labels.append((y, r["group"], False))
            y += 1
        y += 0.4
    fig, ax = plt.subplots(figsize=(7, 0.32 * y + 1.2))
    for pos, r in positions:
        ax.plot([r["conf_low"], r["conf_high"]], [pos, pos], color=PALETTE[0], lw=1.6)
        ax.plot(r["estimate"], pos, "o", color=PALETTE[0], ms=5)
    if len(overall):
        ax.axvline(
            float(overall["estimate"].iloc[0]),
            color=PALETTE[3],
            ls="--",
            lw=1.4,
            label="Alle, der har gennemført",
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks([p for p, _, _ in labels])
    ax.set_yticklabels([t for _, t, _ in labels])
    for tick, (_, _, header) in zip(ax.get_yticklabels(), labels, strict=True):
        if header:
            tick.set_fontweight("bold")
    ax.set_ylim(y - 0.4, -1)
    ax.set_xlabel("Ændring i score fra ugen før kurset til 26 uger efter (point)")
    danish_axis(ax, "x", decimals=1)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
