"""Nonresponse-weighted WHO-5 mean at 3 months (inverse probability weighting).

Only about a fifth of those invited answer the 3-month questionnaire, so its mean may describe a
selected group. Among the persons of the phase invited to the wave, the probability of answering
(a fully submitted questionnaire with a WHO-5 score) is modelled by logistic regression
(statsmodels) on registration data (gender, age group, referral category; missing registration is
its own level 'ukendt') and the earlier waves (fully submitted before and just after the course;
the WHO-5 score before the course, centred, with a missing indicator). Respondents get the
weight p_bar / p (stabilised: p_bar is the response rate, so the weights average about 1), trimmed
at the 99th percentile of the respondents' weights. The weighted mean's 95 % interval is a
percentile bootstrap over the invited persons that refits the model in every replicate (fixed
seed). Levels with fewer than `min_level` invited persons, or where all or nobody answered, are
merged into the largest level, and design columns that are linear combinations of others are dropped (both said in the note).

When the model cannot be fitted (too few respondents or nonrespondents, perfect separation, no
convergence, fitted probabilities at 0 or 1), nothing is weighted: the table shows the
unweighted mean only and its note says why; the `ipw_mean` estimate is left empty.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm

from tpj_helpers.analysis.data_quality.enrolment import count_text
from tpj_helpers.analysis.survey_outcomes.tables import phase_person_ids
from tpj_helpers.analysis.who5.waves import phase_scores, t_interval
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS

# Reader labels of the registration codes in the model notes (never the internal codes).
LEVEL_LABELS = {
    "visitation": {
        "akt_kontanthjaelp": "aktivitetsparat kontanthjælp",
        "akt_uddannelseshjaelp": "aktivitetsparat uddannelseshjælp",
        "ressourceforloeb": "ressourceforløb",
        "andet": "andet",
    },
    "gender": {"kvinde": "kvinder", "mand": "mænd"},
}


def _level(cov: str, level) -> str:
    if cov == "age_group":
        return f"{level} år"
    return LEVEL_LABELS.get(cov, {}).get(level, str(level))


SEED = 2025
N_BOOT = 1000
TRIM = 0.99
MIN_LEVEL = 10
MIN_GROUP = 10  # respondents and nonrespondents needed to fit the model
UNKNOWN = "ukendt"
CATEGORICAL = ("gender", "age_group", "visitation")
COVARIATES = ("gender", "age_group", "visitation", "answered_foer", "answered_efter", "who5_foer")
COVARIATE_LABELS = {
    "gender": "køn",
    "age_group": "aldersgruppe",
    "visitation": "visitationskategori",
    "answered_foer": "besvarede før-målingen",
    "answered_efter": "besvarede målingen lige efter kurset",
    "who5_foer": "WHO-5-score før kurset (med indikator for manglende score)",
}


class FitError(RuntimeError):
    """The response model cannot be used; the message (Danish) says why."""


def response_frame(data, phase: str | None = None, wave: str = "3mdr") -> pd.DataFrame:
    """One row per person of `phase` invited to `wave`: person_id, responded (a fully submitted
    questionnaire with a WHO-5 score), score (NaN otherwise), gender, age_group, visitation
    ('ukendt' when missing), answered_foer / answered_efter (0/1, fully submitted), who5_foer
    (NaN without a score)."""
    dispatch = data.surveys.dispatch
    ids = phase_person_ids(data, phase)
    invited = dispatch.loc[
        (dispatch["wave"] == wave) & dispatch["person_id"].isin(ids), "person_id"
    ].drop_duplicates()
    frame = pd.DataFrame({"person_id": invited.astype("string").to_numpy()})
    persons = data.persons.drop_duplicates("person_id").set_index("person_id")
    for col in CATEGORICAL:
        values = persons[col].astype(object).reindex(frame["person_id"]).to_numpy()
        frame[col] = pd.Series(values).where(pd.notna(values), UNKNOWN).astype(str).to_numpy()
    scores = phase_scores(data, phase)  # fully submitted questionnaires
    by_wave = {
        w: scores[scores["wave"] == w].set_index("person_id") for w in ("foer", "efter", wave)
    }
    target = by_wave[wave]["who5_score"].astype("Float64").astype(float)
    frame["score"] = target.reindex(frame["person_id"]).to_numpy()
    frame["responded"] = frame["score"].notna()
    frame["answered_foer"] = frame["person_id"].isin(by_wave["foer"].index).astype(int)
    frame["answered_efter"] = frame["person_id"].isin(by_wave["efter"].index).astype(int)
    before = by_wave["foer"]["who5_score"].astype("Float64").astype(float)
    frame["who5_foer"] = before.reindex(frame["person_id"]).to_numpy()
    return frame


def design_matrix(
    frame: pd.DataFrame,
    covariates=COVARIATES,
    min_level: int = MIN_LEVEL,
    responded: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Constant, dummies (reference = the largest level) and numeric covariates. Levels with
    fewer than `min_level` persons (or, given `responded`, where all or nobody responded) are
    merged into the reference level. A numeric
    covariate with missing values is centred, filled with 0 and gets a '<name>_missing'
    indicator. Returns (X, notes in Danish on merged levels and dropped columns)."""
    notes: list[str] = []
    parts = [pd.Series(1.0, index=frame.index, name="const")]
    for cov in covariates:
        values = frame[cov]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype):
            values = values.astype(str)
            counts = values.value_counts()
            reference = counts.index[0]
            rare = counts[counts < min_level].index.tolist()
            if responded is not None:  # a level where all or nobody answered separates
                rates = pd.Series(responded, index=frame.index).groupby(values).mean()
                rare += [lv for lv in rates.index[(rates == 0) | (rates == 1)] if lv not in rare]
            rare = [lv for lv in rare if lv != reference]
            if rare:
                values = values.where(~values.isin(rare), reference)
                notes.append(
                    f"{COVARIATE_LABELS.get(cov, cov)}: "
                    f"{', '.join(sorted(_level(cov, lv) for lv in rare))} "
                    f"lagt sammen med «{_level(cov, reference)}» (færre end {min_level} inviterede, "
                    "eller alle eller ingen svarede)"
                )
            for level in sorted(values.value_counts().index[1:]):
                parts.append((values == level).astype(float).rename(f"{cov}[{level}]"))
        else:
            x = values.astype(float)
            if x.isna().any():
                centre = x.mean() if x.notna().any() else 0.0
                parts.append((x - centre).fillna(0.0).rename(cov))
                parts.append(x.isna().astype(float).rename(f"{cov}_missing"))
            else:
                parts.append(x.rename(cov))
    full = pd.concat(parts, axis=1)
    keep: list[str] = []
    for col in full.columns:  # greedy: keep a column only if it adds to the rank
        trial = full[[*keep, col]].to_numpy()
        if np.linalg.matrix_rank(trial) == len(keep) + 1:
            keep.append(col)
    dropped = [c for c in full.columns if c not in keep]
    if dropped:
        notes.append(
            "udeladt, da de er givet af de øvrige variable: "
            + ", ".join(_column_text(c) for c in dropped)
        )
    return full[keep], notes


def _column_text(column: str) -> str:
    """'age_group[ukendt]' -> 'aldersgruppe ukendt'; 'who5_foer_missing' -> 'manglende ...'."""
    if column.endswith("]") and "[" in column:
        cov, level = column[:-1].split("[", 1)
        return f"{COVARIATE_LABELS.get(cov, cov)} {level}"
    if column.endswith("_missing"):
        cov = column.removesuffix("_missing")
        return "indikator for manglende " + COVARIATE_LABELS.get(cov, cov).split(" (")[0]
    return COVARIATE_LABELS.get(column, column)


def fit_probabilities(y: np.ndarray, X: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Fitted response probabilities of a logistic regression; FitError when the fit cannot be
    trusted (no convergence, separation, probabilities at 0 or 1)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = sm.Logit(np.asarray(y, dtype=float), np.asarray(X, dtype=float)).fit(
                disp=0, maxiter=100
            )
        except Exception as exc:  # separation, singular Hessian, convergence warnings
            raise FitError(f"modellen kunne ikke estimeres ({type(exc).__name__})") from None
    if not res.mle_retvals.get("converged", False):
        raise FitError("modellen konvergerede ikke")
    p = np.asarray(res.predict(np.asarray(X, dtype=float)), dtype=float)
    if not np.isfinite(p).all() or p.min() < 1e-6 or p.max() > 1 - 1e-6:
        raise FitError("modellen forudsiger sandsynligheder på 0 eller 1 (fuldstændig adskillelse)")
    return p


def ipw_weights(p: np.ndarray, responded: np.ndarray, trim: float | None = TRIM) -> np.ndarray:
    """Stabilised weights p_bar / p for the respondents (0 for the others), capped at the
    `trim` quantile of the respondents' weights (None: no trimming)."""
    responded = np.asarray(responded, dtype=bool)
    w = np.where(responded, responded.mean() / np.asarray(p, dtype=float), 0.0)
    if trim is not None and responded.any():
        cap = float(np.quantile(w[responded], trim))
        w = np.where(responded, np.minimum(w, cap), 0.0)
    return w


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    use = weights > 0
    return float(np.sum(weights[use] * values[use]) / np.sum(weights[use]))


@dataclass
class IPWResult:
    n_invited: int
    n_responded: int
    unweighted: tuple[float, float, float, float]  # mean, se, low, high (t interval)
    weighted: tuple[float, float, float, float] | None = None  # mean, se, low, high (bootstrap)
    reason: str = ""  # why nothing is weighted ('' when weighted)
    columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    covariates: tuple[str, ...] = ()
    max_weight: float = np.nan
    n_boot: int = 0
    n_boot_ok: int = 0
    trim: float | None = TRIM
    seed: int = SEED
    weights: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        return self.weighted is not None


def ipw_mean(
    frame: pd.DataFrame,
    covariates=COVARIATES,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    trim: float | None = TRIM,
    min_level: int = MIN_LEVEL,
    min_group: int = MIN_GROUP,
) -> IPWResult:
    """Unweighted and nonresponse-weighted mean of `score` among the respondents of `frame`
    (`response_frame`), with the fallback described in the module docstring."""
    y = frame["responded"].to_numpy(dtype=bool)
    scores = frame["score"].to_numpy(dtype=float)
    out = IPWResult(
        n_invited=len(frame),
        n_responded=int(y.sum()),
        unweighted=t_interval(scores[y]),
        covariates=tuple(covariates),
        trim=trim,
        seed=seed,
        n_boot=n_boot,
    )
    if min(y.sum(), (~y).sum()) < min_group:
        out.reason = (
            f"for få besvarelser eller ikke-besvarelser (under {min_group}) til at "
            "estimere en svarmodel"
        )
        return out
    X, out.notes = design_matrix(frame, covariates, min_level, y)
    out.columns = list(X.columns)
    try:
        p = fit_probabilities(y, X)
    except FitError as exc:
        out.reason = str(exc)
        return out
    w = ipw_weights(p, y, trim)
    out.weights = w
    out.max_weight = float(w[y].max())
    estimate = weighted_mean(scores, w)
    rng = np.random.default_rng(seed)
    Xa, reps = X.to_numpy(dtype=float), []
    for _ in range(n_boot):
        idx = rng.integers(0, len(frame), len(frame))
        yb = y[idx]
        if not yb.any() or yb.all():
            continue
        try:
            pb = fit_probabilities(yb, Xa[idx])
        except FitError:
            continue
        reps.append(weighted_mean(scores[idx], ipw_weights(pb, yb, trim)))
    out.n_boot_ok = len(reps)
    if len(reps) >= max(20, n_boot // 2):
        low, high = np.quantile(reps, [0.025, 0.975])
        out.weighted = (estimate, float(np.std(reps, ddof=1)), float(low), float(high))
    else:
        out.weighted = (estimate, np.nan, np.nan, np.nan)
    return out


TABLE_COLUMNS = [
    "Gennemsnit",
    "Besvarelser med WHO-5-score",
    "Inviterede",
    "Gennemsnit",
    "95 %-KI, nedre",
    "95 %-KI, øvre",
]


def ipw_table(result: IPWResult) -> pd.DataFrame:
    """Unweighted beside weighted mean (the weighted row only when the model was fitted)."""
    rows = [
        {
            "Beregning": "Uvægtet (de, der svarede)",
            "Besvarelser med WHO-5-score": result.n_responded,
            "Inviterede": result.n_invited,
            "Gennemsnit": result.unweighted[0],
            "95 %-KI, nedre": result.unweighted[2],
            "95 %-KI, øvre": result.unweighted[3],
        }
    ]
    if result.fitted:
        rows.append(
            {
                "Beregning": "Vægtet for bortfald (IPW)",
                "Besvarelser med WHO-5-score": result.n_responded,
                "Inviterede": result.n_invited,
                "Gennemsnit": result.weighted[0],
                "95 %-KI, nedre": result.weighted[2],
                "95 %-KI, øvre": result.weighted[3],
            }
        )
    return pd.DataFrame(rows)


IPW_COUNTS = ["Besvarelser med WHO-5-score", "Inviterede"]
IPW_LINKED = {
    c: "Besvarelser med WHO-5-score" for c in ("Gennemsnit", "95 %-KI, nedre", "95 %-KI, øvre")
}


def ipw_note(result: IPWResult, min_cell: int) -> str:
    """The table note: the model (covariates, N) and the weights, or why nothing is weighted."""
    n_inv = count_text(result.n_invited, min_cell)
    n_resp = count_text(result.n_responded, min_cell)
    covs = ", ".join(COVARIATE_LABELS.get(c, c) for c in result.covariates)
    base = (
        f"Uvægtet: gennemsnit af de {n_resp} besvarelser med WHO-5-score blandt {n_inv} "
        "inviterede, 95 %-konfidensinterval fra t-fordelingen."
    )
    if not result.fitted:
        return base + f" Der er ikke vægtet for bortfald: {result.reason}."
    trim = (
        "trunkeret ved 99 %-fraktilen"
        if result.trim == TRIM
        else "ikke trunkeret"
        if result.trim is None
        else f"trunkeret ved {result.trim * 100:g} %-fraktilen"
    )
    extra = f" ({'; '.join(result.notes)})" if result.notes else ""
    return (
        base + f" Vægtet: sandsynligheden for at svare er estimeret med logistisk regression "
        f"blandt de {n_inv} inviterede på {covs}{extra}; manglende registreringsdata er en "
        f"selvstændig kategori. Vægten er 1/sandsynlighed, stabiliseret med svarprocenten og "
        f"{trim}. 95 %-konfidensintervallet er et percentil-bootstrap over personer "
        f"({result.n_boot_ok} af {result.n_boot} gentagelser med genestimeret model, "
        f"startværdi {result.seed})."
    )


def ipw_estimates(result: IPWResult, wave: str = "3mdr", min_n: int = 1) -> pd.DataFrame:
    """estimates rows: analysis=who5, model=ipw_mean, subgroup=wave:<wave>, term=mean; empty
    numbers when nothing was weighted or the respondents are 1..min_n-1."""
    n = result.n_responded
    hide = not result.fitted or 0 < n < min_n
    mean, se, low, high = (np.nan,) * 4 if hide else result.weighted
    rows = [
        {
            "analysis": "who5",
            "model": "ipw_mean",
            "subgroup": f"wave:{wave}",
            "term": "mean",
            "estimate": mean,
            "std_error": se,
            "conf_low": low,
            "conf_high": high,
            "p_value": np.nan,
            "stars": "",
            "n_persons": pd.NA if 0 < n < min_n else n,
            "n_obs": pd.NA if 0 < n < min_n else result.n_invited,
        }
    ]
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS).astype(
        {"n_persons": "Int64", "n_obs": "Int64"}
    )


def ipw_source(result: IPWResult, min_cell: int) -> str:
    return (
        f"Kursistspørgeskema 3 måneder efter kurset og registreringsdata. N = "
        f"{count_text(result.n_responded, min_cell)} besvarelser af "
        f"{count_text(result.n_invited, min_cell)} inviterede"
    )
