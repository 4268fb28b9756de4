"""The register analysis: employment score before and after the course (DREAM).

Population (outputs.md): the persons of the DREAM panel (enrolled, register consent, in the
extract, hold with data from week 0), completers unless the subgroup says `status:afmeldt`.

Time is the week relative to course start (`week_rel`, contract section 4). A person is *covered*
at a week when the extract reaches that week for the person's hold; a covered week has a score or
not (no benefit code and no employment, a coded-out code, or a code missing from the mapping).

Models (all OLS on the long person-week data, standard errors clustered by person, CR1 small-sample
factor G/(G-1) * (N-1)/(N-K) as statsmodels applies it, t inference with G-1 degrees of freedom):

- `two_point_pre` / `two_point_post`: `score ~ 1 + period` on the two weeks (-26, -1) / (-1, 26),
  one row per person and week where the person is covered and has a score. `intercept` is the
  mean score at the first week, `change` the mean at the second minus the mean at the first.
  When every person is seen at both weeks this is the mean within-person change. When not (the
  extract ends before week 26 for the latest holds, or a covered week has no score), it is the
  difference between the means of the persons observed at each week, which need not be the same
  persons: exactly the means of Tabel 6. The clustering accounts for the persons seen twice.
- `weekly_pre` / `weekly_post`: `score ~ 1 + week` over weeks -26..-1 / 0..26 (`intercept` at
  week 0, `slope` per week).
- `segmented`: `score ~ 1 + week + post + week:post` over -26..26, `post = week >= 0`: terms
  `intercept`, `slope` (before), `level_change` and `slope_change` at course start. It is fully
  interacted, so its point estimates equal the two weekly models' (slope_change = post slope -
  pre slope); only the standard errors differ (one clustered fit over both periods).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.ticker import MaxNLocator

from tpj_helpers.publish.present import PALETTE, danish_axis, num, signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS, stars

COMPLETED = "gennemført"
WITHDRAWN = "afmeldt"
STATUSES = (COMPLETED, WITHDRAWN)
# Person attributes joined to the panel persons (from `StudyData.persons`).
ATTRIBUTES = ("phase", "status", "kommune", "gender", "age_group", "visitation")

# The four timepoints of Tabel 6: key -> (week, Danish label). `after` is week `n_weeks` of each
# person's hold: the first week after the last course week (week 7 or 8).
AFTER = "after"
TIMEPOINTS = {
    "-26": (-26, "26 uger før kursus"),
    "-1": (-1, "Ugen før kursus"),
    AFTER: (AFTER, "Lige efter kurset"),
    "26": (26, "26 uger efter kursusstart"),
}
SCORES = tuple(range(10, -1, -1))
# Short Danish labels of the 0-10 scale (contract section 4).
SCORE_LABELS = {
    10: "Beskæftigelse, SU, voksenlærling",
    9: "Fleksjob",
    8: "Løntilskud",
    7: "Virksomhedspraktik, nytteindsats m.m.",
    6: "Ledighedsydelse",
    5: "Dagpenge",
    4: "Revalidering",
    3: "Uddannelseshjælp",
    2: "Kontanthjælp, integrationsydelse, jobafklaring",
    1: "Fleksydelse, ressourceforløb",
    0: "Pension, førtidspension",
}
NA_LABEL = "Ingen score i ugen (NA)"
N_LABEL = "Kursister med data i ugen (N)"
# Tabel 6: the score rows and the NA row add up to N (complementary suppression).
TABEL6_SUMS = {"row_sums": [(N_LABEL, None)], "label_col": "Beskæftigelsesscore"}

TWO_POINT = {"two_point_pre": (-26, -1), "two_point_post": (-1, 26)}
WEEKLY = {"weekly_pre": range(-26, 0), "weekly_post": range(0, 27)}
SEGMENTED_WEEKS = range(-26, 27)
MODEL_LABELS = {
    "two_point_pre": "Før kurset (uge −26 til uge −1)",
    "two_point_post": "Efter kursusstart (uge −1 til uge 26)",
    "weekly_pre": "Før kurset (uge −26 til −1)",
    "weekly_post": "Fra kursusstart (uge 0 til 26)",
    "segmented": "Før-efter-model (uge −26 til 26)",
}
TERM_LABELS = {
    "intercept": "Skæringspunkt",
    "change": "Ændring",
    "slope": "Hældning pr. uge",
    "level_change": "Niveauskift ved kursusstart",
    "slope_change": "Ændring i hældning pr. uge",
}


class ModelNotEstimable(ValueError):
    """The data cannot identify the model (the message says why, in Danish, for the table)."""


# --------------------------------------------------------------------------- persons and scores


def analysis_persons(data, status: str | None = COMPLETED) -> pd.DataFrame:
    """The panel persons with their attributes; completers by default.

    `status`: `gennemført`, `afmeldt` (also written `status:afmeldt`, the subgroup id) or None for
    both. Columns: the panel's person table (person_id, hold_id, start_date, n_weeks,
    first_week_rel, last_week_rel) plus phase, status, kommune, gender, age_group, visitation.
    """
    if status is not None:
        status = status.removeprefix("status:")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES} or None, not {status!r}")
    panel_persons = data.panel.persons.assign(person_id=data.panel.persons["person_id"].astype(str))
    attrs = data.persons[["person_id", *ATTRIBUTES]].assign(
        person_id=data.persons["person_id"].astype(str)
    )
    out = panel_persons.merge(attrs, on="person_id", how="left", validate="one_to_one")
    if status is not None:
        out = out[out["status"] == status]
    return out.reset_index(drop=True)


def _person_weeks(data, persons: pd.DataFrame) -> pd.DataFrame:
    """The panel rows (person_id as str, week_rel, score as float64) of `persons`."""
    w = data.panel.weeks
    ids = w["person_id"].astype(str)
    keep = ids.isin(persons["person_id"].astype(str)).to_numpy()
    return pd.DataFrame(
        {
            "person_id": ids[keep].to_numpy(),
            "week_rel": w["week_rel"].to_numpy()[keep].astype(int),
            "score": w["score"].to_numpy()[keep].astype(float),
        }
    )


def scores_at(data, persons: pd.DataFrame, week: int | str) -> pd.DataFrame:
    """Each person's score at one relative week (`after` = the person's week `n_weeks`).

    Columns: person_id, week_rel, covered (the extract reaches the week for the person's hold),
    score (NaN when not covered, or covered without a score).
    """
    p = persons[["person_id", "first_week_rel", "last_week_rel", "n_weeks"]]
    week_rel = p["n_weeks"].astype(int) if week == AFTER else pd.Series(int(week), index=p.index)
    out = pd.DataFrame(
        {
            "person_id": p["person_id"].astype(str).to_numpy(),
            "week_rel": week_rel.to_numpy(),
            "covered": (
                (p["first_week_rel"] <= week_rel) & (week_rel <= p["last_week_rel"])
            ).to_numpy(),
        }
    )
    weeks = _person_weeks(data, persons)
    out = out.merge(weeks, on=["person_id", "week_rel"], how="left", validate="one_to_one")
    out.loc[~out["covered"], "score"] = np.nan
    return out


# --------------------------------------------------------------------------- Tabel 6


@dataclass
class Tabel6:
    """Persons per score at the four timepoints (columns = TIMEPOINTS keys).

    counts: rows 10..0 (int index) and "NA" (covered but no score). n: persons covered (the
    published N with data at that week). n_scored: covered with a score. mean: mean score of those.
    """

    counts: pd.DataFrame
    n: pd.Series
    n_scored: pd.Series
    mean: pd.Series


def tabel6(data, persons: pd.DataFrame | None = None) -> Tabel6:
    """Tabel 6: persons per score 10..0 and NA at weeks -26, -1, right after the course and 26.

    Counting rule of the published table: N = persons whose hold has data at the week (covered);
    NA = covered but without a score; persons not covered are in neither.
    """
    persons = analysis_persons(data) if persons is None else persons
    counts, n, n_scored, mean = {}, {}, {}, {}
    for key, (week, _) in TIMEPOINTS.items():
        at = scores_at(data, persons, week)
        at = at[at["covered"]]
        per_score = at["score"].value_counts()
        col = {s: int(per_score.get(float(s), 0)) for s in SCORES}
        col["NA"] = int(at["score"].isna().sum())
        counts[key] = col
        n[key] = len(at)
        n_scored[key] = int(at["score"].notna().sum())
        mean[key] = float(at["score"].mean()) if n_scored[key] else np.nan
    counts = pd.DataFrame(counts).reindex([*SCORES, "NA"]).astype(int)
    return Tabel6(
        counts,
        pd.Series(n, dtype=int),
        pd.Series(n_scored, dtype=int),
        pd.Series(mean, dtype=float),
    )


def tabel6_table(t6: Tabel6) -> pd.DataFrame:
    """Tabel 6 for display: one row per score (Danish labels), NA and N; a column per timepoint."""
    labels = [f"{s} {SCORE_LABELS[s]}" for s in SCORES] + [NA_LABEL, N_LABEL]
    body = pd.concat([t6.counts, t6.n.to_frame().T], ignore_index=True)
    body.columns = [TIMEPOINTS[k][1] for k in t6.counts.columns]
    body.insert(0, "Beskæftigelsesscore", labels)
    return body


def tabel6_means_table(t6: Tabel6) -> pd.DataFrame:
    """The means of Tabel 6: one row per timepoint with N covered, N with a score and the mean."""
    return pd.DataFrame(
        {
            "Tidspunkt": [TIMEPOINTS[k][1] for k in t6.n.index],
            "Kursister med data": t6.n.to_numpy(),
            "Heraf med en score": t6.n_scored.to_numpy(),
            "Gennemsnitlig score": t6.mean.to_numpy(),
        }
    )


# --------------------------------------------------------------------------- weekly means


def weekly_means(
    data, weeks=range(-26, 27), persons: pd.DataFrame | None = None, by: str | None = None
) -> pd.DataFrame:
    """Mean score per relative week (completers by default), optionally per group `by`.

    Columns: [by,] week_rel, n_covered (persons the extract covers that week), n (covered persons
    with a score, the base of the mean), mean. Every week of `weeks` is a row (n = 0, mean NaN
    when nobody has a score).
    """
    persons = analysis_persons(data) if persons is None else persons
    weeks = np.asarray(list(weeks), dtype=int)
    groups = [None] if by is None else _ordered_values(persons[by])
    frames = []
    pw = _person_weeks(data, persons)
    pw = pw[pw["week_rel"].isin(weeks) & pw["score"].notna()]
    if by is not None:
        pw = pw.merge(persons[["person_id", by]].astype({"person_id": str}), on="person_id")
    for g in groups:
        sel = persons if g is None else persons[persons[by] == g]
        first = sel["first_week_rel"].to_numpy()[:, None]
        last = sel["last_week_rel"].to_numpy()[:, None]
        covered = ((first <= weeks) & (weeks <= last)).sum(axis=0)
        rows = pw if g is None else pw[pw[by] == g]
        stats = rows.groupby("week_rel")["score"].agg(["count", "mean"]).reindex(weeks)
        frame = pd.DataFrame(
            {
                "week_rel": weeks,
                "n_covered": covered.astype(int),
                "n": stats["count"].fillna(0).astype(int).to_numpy(),
                "mean": stats["mean"].to_numpy(),
            }
        )
        if by is not None:
            frame.insert(0, by, g)
        frames.append(frame)
    if not frames:  # no group large enough (e.g. one small municipality): the columns, no rows
        return pd.DataFrame(
            {
                by: pd.Series(dtype=object),
                "week_rel": pd.Series(dtype=int),
                "n_covered": pd.Series(dtype=int),
                "n": pd.Series(dtype=int),
                "mean": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True)


def _ordered_values(s: pd.Series) -> list:
    """The non-missing values of a column: category order for categoricals, sorted otherwise."""
    present = set(s.dropna().astype(object))
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [c for c in s.cat.categories if c in present]
    return sorted(present, key=str)


# --------------------------------------------------------------------------- models


def ols_cluster(y: np.ndarray, X: np.ndarray, groups: np.ndarray):
    """OLS with person-clustered standard errors (CR1), t inference with G-1 df."""
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ModelNotEstimable("færre end 2 kursister med data")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ModelNotEstimable("data dækker ikke begge tidspunkter/perioder")
    codes = pd.factorize(pd.Series(groups))[0]
    return sm.OLS(np.asarray(y, dtype=float), X).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )


def _tidy(fit, terms: list[str], model: str, subgroup: str, long: pd.DataFrame) -> pd.DataFrame:
    ci = np.asarray(fit.conf_int(0.05))
    p = np.asarray(fit.pvalues, dtype=float)
    return pd.DataFrame(
        {
            "analysis": "register",
            "model": model,
            "subgroup": subgroup,
            "term": terms,
            "estimate": np.asarray(fit.params, dtype=float),
            "std_error": np.asarray(fit.bse, dtype=float),
            "conf_low": ci[:, 0],
            "conf_high": ci[:, 1],
            "p_value": p,
            "stars": [stars(float(v)) for v in p],
            "n_persons": long["person_id"].nunique(),
            "n_obs": len(long),
        }
    )[ESTIMATE_COLUMNS]


def two_point_data(data, persons: pd.DataFrame, model: str) -> pd.DataFrame:
    """The long data of a two-point model: person_id, week_rel, period (0/1), score.

    One row per person and week (of the model's two) where the person is covered and has a score.
    """
    if model not in TWO_POINT:
        raise ValueError(f"model must be one of {list(TWO_POINT)}, not {model!r}")
    parts = []
    for period, week in enumerate(TWO_POINT[model]):
        at = scores_at(data, persons, week)
        parts.append(at[at["covered"] & at["score"].notna()].assign(period=period))
    return pd.concat(parts, ignore_index=True)[["person_id", "week_rel", "period", "score"]]


MODELS = (*TWO_POINT, *WEEKLY, "segmented")
MODEL_TERMS = {
    **{m: ["intercept", "change"] for m in TWO_POINT},
    **{m: ["intercept", "slope"] for m in WEEKLY},
    "segmented": ["intercept", "slope", "level_change", "slope_change"],
}


def model_design(data, persons: pd.DataFrame, model: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The long data and the design matrix of one register model (columns as MODEL_TERMS)."""
    if model in TWO_POINT:
        long = two_point_data(data, persons, model)
        if long.empty or long["period"].nunique() < 2:
            raise ModelNotEstimable("ingen kursister med score på et af de to tidspunkter")
        return long, np.column_stack([np.ones(len(long)), long["period"].to_numpy(dtype=float)])
    if model in WEEKLY or model == "segmented":
        long = weekly_data(data, persons, WEEKLY.get(model, SEGMENTED_WEEKS))
        if long.empty:
            raise ModelNotEstimable("ingen kursister med score i perioden")
        week = long["week_rel"].to_numpy(dtype=float)
        if model in WEEKLY:
            return long, np.column_stack([np.ones(len(long)), week])
        post = (week >= 0).astype(float)
        return long, np.column_stack([np.ones(len(long)), week, post, week * post])
    raise ValueError(f"model must be one of {list(MODELS)}, not {model!r}")


def fit_model(
    data, persons: pd.DataFrame, model: str, subgroup: str = "all", label: str | None = None
) -> pd.DataFrame:
    """Any register model (`MODELS`) as tidy estimate rows, clustered by person.

    `label` is the `model` value written in the rows (default: `model`), e.g.
    `two_point_post_balanced` for the balanced-panel sensitivity analysis.
    """
    long, X = model_design(data, persons, model)
    fit = ols_cluster(long["score"].to_numpy(), X, long["person_id"].to_numpy())
    return _tidy(fit, MODEL_TERMS[model], label or model, subgroup, long)


def naive_and_clustered(data, persons: pd.DataFrame, model: str) -> pd.DataFrame:
    """One row per term: estimate, the clustered SE (CR1) and the naive OLS SE (iid errors)."""
    long, X = model_design(data, persons, model)
    y = long["score"].to_numpy()
    clustered = ols_cluster(y, X, long["person_id"].to_numpy())
    naive = sm.OLS(np.asarray(y, dtype=float), X).fit()
    return pd.DataFrame(
        {
            "model": model,
            "term": MODEL_TERMS[model],
            "estimate": np.asarray(clustered.params, dtype=float),
            "se_clustered": np.asarray(clustered.bse, dtype=float),
            "se_naive": np.asarray(naive.bse, dtype=float),
            "n_persons": long["person_id"].nunique(),
            "n_obs": len(long),
        }
    ).assign(ratio=lambda d: d["se_clustered"] / d["se_naive"])


def two_point(data, persons: pd.DataFrame, model: str, subgroup: str = "all") -> pd.DataFrame:
    """`two_point_pre` (week -26 vs -1) or `two_point_post` (-1 vs 26): tidy estimate rows.

    `score ~ 1 + period`, clustered by person. Terms: `intercept` (mean at the first week) and
    `change` (mean at the second minus mean at the first, see the module docstring for what this
    is when not every person is seen at both weeks).
    """
    if model not in TWO_POINT:
        raise ValueError(f"model must be one of {list(TWO_POINT)}, not {model!r}")
    return fit_model(data, persons, model, subgroup)


def weekly_data(data, persons: pd.DataFrame, weeks) -> pd.DataFrame:
    """person_id, week_rel, score for every covered person-week with a score within `weeks`."""
    weeks = list(weeks)
    pw = _person_weeks(data, persons)
    return pw[pw["week_rel"].between(min(weeks), max(weeks)) & pw["score"].notna()].reset_index(
        drop=True
    )


def weekly_trend(data, persons: pd.DataFrame, model: str, subgroup: str = "all") -> pd.DataFrame:
    """`weekly_pre` (weeks -26..-1) or `weekly_post` (0..26): `score ~ 1 + week`, clustered.

    Terms: `intercept` (the line at week 0) and `slope` (change per week).
    """
    if model not in WEEKLY:
        raise ValueError(f"model must be one of {list(WEEKLY)}, not {model!r}")
    return fit_model(data, persons, model, subgroup)


def segmented(data, persons: pd.DataFrame, subgroup: str = "all") -> pd.DataFrame:
    """`segmented`: weeks -26..26, `score ~ week + post + week:post`, `post = week >= 0`.

    Terms: `intercept` and `slope` (the line before the course), `level_change` and
    `slope_change` (the jump and the change of slope at course start).
    """
    return fit_model(data, persons, "segmented", subgroup)


def register_models(
    data, persons: pd.DataFrame | None = None, subgroup: str = "all", suffix: str = ""
) -> pd.DataFrame:
    """All register models for one group: two-point, weekly and segmented, tidy rows.

    `suffix` is appended to every `model` id (e.g. `_balanced`: `two_point_post_balanced`).
    """
    persons = analysis_persons(data) if persons is None else persons
    return pd.concat(
        [fit_model(data, persons, m, subgroup, m + suffix) for m in MODELS], ignore_index=True
    )


# --------------------------------------------------------------------------- presentation


def p_text(p: float) -> str:
    """A p-value in Danish notation: '<0,001' or e.g. '0,034'."""
    if p is None or np.isnan(p):
        return ""
    return "<0,001" if p < 0.001 else num(p, 3)


def ci_text(low: float, high: float, decimals: int = 2) -> str:
    """'1,05 til 1,87' (no negative zero: -0.001 with 2 decimals reads 0,00)."""

    def fmt(x: float) -> str:
        return num(round(float(x), decimals) + 0.0, decimals)

    return f"{fmt(low)} til {fmt(high)}"


BALANCED = "_balanced"


def model_label(model: str) -> str:
    """The Danish label of a model id; `<model>_balanced` reads '<label>, balanceret panel'."""
    if model.endswith(BALANCED):
        return MODEL_LABELS[model.removesuffix(BALANCED)] + ", balanceret panel"
    return MODEL_LABELS.get(model, model)


def model_table(est: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Estimate rows as a Danish table: model, term, estimate, SE, 95 % CI, p, stars, N."""
    return pd.DataFrame(
        {
            "Model": est["model"].map(model_label).to_numpy(),
            "Led": est["term"].map(TERM_LABELS).to_numpy(),
            "Estimat": est["estimate"].to_numpy(),
            "Standardfejl": est["std_error"].to_numpy(),
            "95 %-konfidensinterval": [
                ci_text(lo, hi, decimals)
                for lo, hi in zip(est["conf_low"], est["conf_high"], strict=True)
            ],
            "p-værdi": [p_text(p) for p in est["p_value"]],
            "Signifikans": est["stars"].fillna("").to_numpy(),
            "Kursister": est["n_persons"].astype(int).to_numpy(),
            "Observationer": est["n_obs"].astype(int).to_numpy(),
        }
    )


def _get(est: pd.DataFrame, model: str, term: str) -> pd.Series:
    row = est[(est["model"] == model) & (est["term"] == term)]
    if len(row) != 1:
        raise KeyError(f"{model}/{term}: {len(row)} rows")
    return row.iloc[0]


def _significance(p: float) -> str:
    if p < 0.05:
        return f"statistisk signifikant, p {'< 0,001' if p < 0.001 else '= ' + num(p, 3)}"
    return f"ikke statistisk signifikant, p = {num(p, 2)}"


def _direction(x: float, up: str = "stiger", down: str = "falder") -> str:
    return up if x > 0 else down if x < 0 else "er uændret"


def _n_shown(shown: pd.DataFrame | None, key: str) -> bool:
    """Whether the published means table of Tabel 6 (`Publisher.table`'s return: hidden cells
    empty) shows 'Kursister med data' at timepoint `key`; True without a published table."""
    if shown is None:
        return True
    row = shown.loc[shown["Tidspunkt"] == TIMEPOINTS[key][1], "Kursister med data"]
    return len(row) == 1 and pd.notna(pd.to_numeric(row.iloc[0], errors="coerce"))


def register_reading(est: pd.DataFrame, t6: Tabel6, shown: pd.DataFrame | None = None) -> str:
    """A Danish paragraph reading the two-point and weekly models, generated from the numbers.

    `shown`: the published (suppressed) means table of Tabel 6; a number of persons it hides is
    not written in the text either (issue 12: messages never print a hidden count)."""
    pre_i, pre_c = _get(est, "two_point_pre", "intercept"), _get(est, "two_point_pre", "change")
    post_i, post_c = _get(est, "two_point_post", "intercept"), _get(est, "two_point_post", "change")
    wp, wq = _get(est, "weekly_pre", "slope"), _get(est, "weekly_post", "slope")
    n_all = int(t6.n["-1"])
    n26 = int(t6.n["26"])
    parts = [
        f"Analysen omfatter {num(n_all)} kursister, der har gennemført kurset og givet "
        f"registersamtykke. 26 uger før kursusstart er deres gennemsnitlige beskæftigelsesscore "
        f"{num(pre_i['estimate'], 2)}. Frem til ugen før kurset {_direction(pre_c['estimate'])} "
        f"gennemsnittet til {num(post_i['estimate'], 2)}, en ændring på "
        f"{signed(pre_c['estimate'])} point ({_significance(pre_c['p_value'])}).",
        f"Fra ugen før kurset til 26 uger efter kursusstart {_direction(post_c['estimate'])} "
        f"gennemsnittet med {signed(post_c['estimate'])} point "
        f"({_significance(post_c['p_value'])}; 95 %-konfidensinterval "
        f"{ci_text(post_c['conf_low'], post_c['conf_high'])}).",
        f"Målt uge for uge ændres scoren med {signed(wp['estimate'], 3)} point pr. uge i halvåret "
        f"før kurset ({_significance(wp['p_value'])}) og med {signed(wq['estimate'], 3)} point "
        f"pr. uge fra kursusstart og 26 uger frem ({_significance(wq['p_value'])}).",
    ]
    if "segmented" in set(est["model"]):
        sc = _get(est, "segmented", "slope_change")
        parts.append(
            f"Forskellen i hældning mellem de to perioder er {signed(sc['estimate'], 3)} point "
            f"pr. uge ({_significance(sc['p_value'])})."
        )
    if n26 < n_all:
        covered = (
            f"rækker kun til 26 uger efter kursusstart for {num(n26)} af de {num(n_all)} kursister"
            if _n_shown(shown, "26") and _n_shown(shown, "-1")
            else "rækker ikke til 26 uger efter kursusstart for alle kursister"
        )
        parts.append(
            f"Ændringerne er forskelle mellem gennemsnit for de kursister, der har data på hvert "
            f"tidspunkt: registerudtrækket {covered}, "
            f"så de seneste hold indgår ikke i gennemsnittet 26 uger efter."
        )
    parts.append(
        "Modellerne beskriver udviklingen før og efter kurset; uden en sammenligningsgruppe "
        "kan udviklingen ikke alene tilskrives kurset."
    )
    return " ".join(parts)


def source_line(
    data, persons: pd.DataFrame, who: str = "kursister, der har gennemført kurset"
) -> str:
    """'DREAM-registeret (uge ... til ...), <who> med registersamtykke. N = <n> kursister'."""
    return (
        f"DREAM-registeret ({data.panel.first_week} til {data.panel.last_week}), {who}, "
        f"med registersamtykke. N = {num(len(persons))} kursister"
    )


MODEL_NOTE = (
    "Lineær regression (OLS) på kursist-uger med standardfejl klynget på kursist. "
    "Topunktsmodeller: skæringspunktet er gennemsnittet i den første uge og ændringen forskellen "
    "mellem gennemsnittene i de to uger blandt kursister med en score; ugemodeller: "
    "skæringspunktet er linjens niveau i uge 0. "
    # Escaped stars: the note is Markdown inside an italic span.
    r"\* p<0,05, \*\* p<0,01, \*\*\* p<0,001."
)


def tabel6_note(persons: pd.DataFrame) -> str:
    """How Tabel 6 counts, with the week 'right after the course' computed from the holds."""
    n_min, n_max = course_weeks(persons)
    after = (
        f"uge {n_min} efter kursusstart"
        if n_min == n_max
        else f"uge {n_min} efter kursusstart, på hold med {n_max} kursusuger uge {n_max}"
    )
    return (
        "N er kursister, hvis hold har registerdata i ugen. «Ingen score» er kursister med data i "
        "ugen, men uden ydelse og uden beskæftigelse, eller med en ydelse, der er kodet ud. "
        f"«Lige efter kurset» er ugen efter sidste kursusuge ({after})."
    )


def course_weeks(persons: pd.DataFrame) -> tuple[int, int]:
    """The shortest and longest course (weeks) among `persons`."""
    n = persons["n_weeks"].astype(int)
    return int(n.min()), int(n.max())


def fitted_lines(est: pd.DataFrame, weeks=range(-26, 27)) -> pd.DataFrame:
    """The weekly_pre line on weeks < 0 and the weekly_post line on weeks >= 0 (NaN elsewhere)."""
    w = np.asarray(list(weeks), dtype=float)
    out = pd.DataFrame({"week_rel": w.astype(int)})
    for model, col, on in (
        ("weekly_pre", "fitted_pre", w < 0),
        ("weekly_post", "fitted_post", w >= 0),
    ):
        a = _get(est, model, "intercept")["estimate"]
        b = _get(est, model, "slope")["estimate"]
        out[col] = np.where(on, a + b * w, np.nan)
    return out


def _shade_course(ax, n_min: int, n_max: int) -> None:
    label = (
        f"Kursusperiode ({n_min} uger)"
        if n_min == n_max
        else f"Kursusperiode ({n_min}-{n_max} uger)"
    )
    ax.axvspan(-0.5, n_max - 0.5, color=PALETTE[5], alpha=0.18, lw=0, label=label)


def _week_axes(ax, first: int = -26, last: int = 26) -> None:
    """Week ticks every 4 weeks through 0 (every week on a short window); y ticks on round steps
    with decimal commas."""
    step = 1 if last - first <= 16 else 4
    ax.set_xticks([w for w in range(first, last + 1) if w % step == 0])
    ax.set_xlim(first - 1, last + 1)
    ax.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    danish_axis(ax, "y", decimals=1 if step > 1 else 2)
    danish_axis(ax, "x")


def plot_weekly_score(df: pd.DataFrame, n_min: int, n_max: int) -> plt.Figure:
    """Weekly mean score (week_rel, mean) with the fitted pre and post lines and the course shaded.

    The x axis spans the weeks of `df` (Figur 1: -26..26; Figur 2: -1..8 around the course)."""
    first, last = int(df["week_rel"].min()), int(df["week_rel"].max())
    fig, ax = plt.subplots()
    _shade_course(ax, n_min, n_max)
    ax.plot(
        df["week_rel"],
        df["mean"],
        color="black",
        lw=1.4,
        marker="o",
        ms=2.5,
        label="Gennemsnit pr. uge",
    )
    if "fitted_pre" in df:
        ax.plot(df["week_rel"], df["fitted_pre"], color=PALETTE[0], lw=2, label="Trend før kurset")
        ax.plot(
            df["week_rel"], df["fitted_post"], color=PALETTE[3], lw=2, label="Trend fra kursusstart"
        )
    ax.set_xlabel("Uger i forhold til kursusstart (uge 0 = første kursusuge)")
    ax.set_ylabel("Gennemsnitlig beskæftigelsesscore")
    _week_axes(ax, first, last)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_weekly_by(df: pd.DataFrame, by: str, labels: dict, n_min: int, n_max: int) -> plt.Figure:
    """Weekly mean score, one line per group of `by` (Danish `labels` for the legend)."""
    fig, ax = plt.subplots()
    _shade_course(ax, n_min, n_max)
    for i, (g, part) in enumerate(df.groupby(by, sort=False, observed=True)):
        ax.plot(
            part["week_rel"],
            part["mean"],
            color=PALETTE[i % len(PALETTE)],
            lw=1.6,
            marker="o",
            ms=2.2,
            label=labels.get(g, str(g)),
        )
    ax.set_xlabel("Uger i forhold til kursusstart (uge 0 = første kursusuge)")
    ax.set_ylabel("Gennemsnitlig beskæftigelsesscore")
    _week_axes(ax)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the score scale

SCORE_SCALE_EXAMPLES = 3  # example codes shown per score
CODED_OUT_LABEL = "Kodet ud (ingen score)"


def score_scale_table(
    score_map: pd.DataFrame, examples: int = SCORE_SCALE_EXAMPLES
) -> pd.DataFrame:
    """The 0-10 employment score as the run reads it: per score (10 first) its label, how many
    codes of the score map give it and a few example codes ("130 Kontanthjælp"); a last row for
    the codes that are coded out (empty score). `score_map` is `dream.load_score_map(...)`."""
    codes = score_map.assign(
        example=score_map["code"].astype(str) + " " + score_map["label"].astype(str)
    )
    rows = []
    for score in SCORES:
        sub = codes[codes["score"].eq(score).fillna(False).astype(bool)]
        rows.append(
            {
                "Score": str(score),
                "Betydning": SCORE_LABELS.get(score, ""),
                "Koder i kortet": len(sub),
                "Eksempler på koder": ", ".join(sub["example"].head(examples)) or "–",
            }
        )
    out = codes[codes["score"].isna()]
    if len(out):
        rows.append(
            {
                "Score": "–",
                "Betydning": CODED_OUT_LABEL,
                "Koder i kortet": len(out),
                "Eksempler på koder": ", ".join(out["example"].head(examples)),
            }
        )
    return pd.DataFrame(rows)


SCORE_SCALE_NOTE = (
    "Scoren ordner ydelser og beskæftigelsesforhold efter, hvor tæt de ligger på ordinær "
    "beskæftigelse eller uddannelse (10). Koder uden score (kodet ud) og koder, der ikke står i "
    "kortet, giver en uge uden score."
)
