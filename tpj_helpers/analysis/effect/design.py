"""The effect of the course against a matched comparison group: risk sets, matching, event study.

Input: two `Cohort`s on the same calendar weeks, the participants (each with the week index of
their course start) and the comparison pool (persons who never took the course). Everything is
held as (persons x weeks) matrices: the employment score (float32 0-10, NaN = no score that week)
and the benefit category (int8 index into `Cohort.categories`, -1 = no benefit code).

Design (one stack per course start week, "hold"):

1. Risk set: pool members on a qualifying benefit in week -1 of the hold. Participants enter when
   they too were on a qualifying benefit in week -1 (the others are counted, not matched).
2. Coarsened exact matching within the stack: exactly on the benefit category at week -1, gender,
   age band and region; on the benefit history coarsened into bins: the score at weeks -1, -4,
   -13, -26 and -52 and the weeks with a benefit code in the last 52 and 104 weeks. History the
   extract does not reach is a bin of its own (and counted), as is a missing gender or birth year.
   A stratum with both participants and pool members is kept; its controls get the weight
   n_treated / n_controls (at most `max_controls` per participant are drawn at random, which
   bounds the size of the regression), so that the weighted controls stand for the participants'
   distribution over the strata (the ATT weights of CEM). In the regression these weights are
   scaled by the stack's number of controls over its number of participants (CEM's m_C / m_T).
3. Stacked event study over weeks -52..26 (`pyfixest`): score on treated x relative-week dummies
   (week -1 the reference), person-by-stack and week-by-stack fixed effects, the matching
   weights, standard errors clustered by person (a pool member can serve in several stacks).
   Only stacks whose week 26 lies inside the data enter (the ATT at week 26 and the average over
   weeks 0..26 then rest on the same persons).
4. ATT at week 26 (the week-26 coefficient) and averaged over weeks 0..26 (the mean of the 27
   coefficients, its standard error from their covariance). Placebo (`pretrend`): an F test that
   the participants' change from week -1 to each block of 13 pre-period weeks equals that of
   the controls of their own matched set (the weekly joint Wald test, `placebo`, rejected far
   too often under no effect; measured in `pretrend`'s doc). Sensitivity (relative
   magnitudes, after Rambachan & Roth): the post-period violation of parallel trends is allowed to be up to M times the largest
   absolute pre-period coefficient; the report gives the interval at M = 1 and the breakdown M
   at which the interval first includes zero.
5. Callaway-Sant'Anna (robustness, computed directly): per stack g and week e, the group-time
   ATT(g, e) = the participants' mean change from week -1 to week e minus the weighted mean change
   of their matched controls; aggregated over stacks by the number of participants with both
   weeks observed; standard errors from the influence function of the aggregate (participants
   centred on the overall ATT, not on their stack's mean) summed per person, with the CRV1
   factor G/(G-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

NO_CATEGORY = -1

# Default design parameters (params/default.yaml documents them; the notebook passes them on).
DEFAULTS = {
    "qualifying_categories": [
        "kontanthjaelp",
        "uddannelseshjaelp",
        "ressourceforloeb",
        "jobafklaring",
    ],
    "matching_method": "cem",
    "event_window": [-52, 26],
    "history_weeks": [-1, -4, -13, -26, -52],
    "score_bins": [0, 4, 10],
    "benefit_weeks_bins_52": [0, 26, 52],
    "benefit_weeks_bins_104": [0, 52, 104],
    "age_bins": [25, 36, 46, 56],
    # Optional: weeks of the current run of benefit codes up to week -1 (elapsed duration),
    # binned by these edges; a run that goes back to the extract's first week is left-censored
    # and a bin of its own. None (the default): not matched on.
    "spell_bins": None,
    "max_controls": 10,
    "effect_min_pool": 50,
    # The placebo test's blocks of pre-period weeks (`pretrend`; 13: four quarters of a year).
    "placebo_bin_weeks": 13,
    "matching_seed": 2025,
}

AGE_BANDS = ("Under 25", "25-35", "36-45", "46-55", "Over 55")
METHODS = ("cem",)
RISK_SAMPLE = 20_000  # risk-set rows per stack kept for the balance before matching


def design_params(**overrides) -> dict:
    """DEFAULTS with the run's parameters; an unknown matching method is an error."""
    params = {**DEFAULTS, **{k: v for k, v in overrides.items() if v is not None}}
    if params["matching_method"] not in METHODS:
        raise ValueError(
            f"matching_method {params['matching_method']!r}: expected one of {METHODS}"
        )
    lo, hi = params["event_window"]
    if not (lo < -1 < 0 <= hi):
        raise ValueError(f"event_window {params['event_window']}: expected [first < -1, last >= 0]")
    return params


@dataclass
class Cohort:
    """Persons x calendar weeks: score (float32, NaN = none), category (int8, -1 = none)."""

    person_id: np.ndarray
    score: np.ndarray
    category: np.ndarray
    gender: np.ndarray  # str: "kvinde" | "mand" | "" (missing)
    birth_year: np.ndarray  # float, NaN = missing
    region: np.ndarray  # str, "" = missing
    start: np.ndarray | None = None  # week index of course start (participants), else None
    categories: tuple[str, ...] = ()
    week_year: np.ndarray | None = None  # calendar year of each week (for age at course start)

    def __len__(self) -> int:
        return len(self.person_id)


@dataclass
class Stack:
    week: int  # the week index of the course start (week 0)
    treated: np.ndarray  # participant rows
    controls: np.ndarray  # pool rows
    weight: np.ndarray  # control weights (treated weight 1)
    strata_t: np.ndarray  # stratum of each treated (for balance)
    risk_set: np.ndarray  # all pool rows in the risk set
    strata_c: np.ndarray | None = None  # stratum of each control (the placebo test's matched sets)


@dataclass
class Matching:
    stacks: list[Stack]
    counts: dict[str, int]
    covariates_t: pd.DataFrame  # matched treated, one row each, with `stack` and `weight`
    covariates_c: pd.DataFrame  # matched controls, with `stack` and `weight`
    risk_c: pd.DataFrame  # the whole risk set (before matching), with `stack`
    all_t: pd.DataFrame  # every treated in a stack, matched or not


@dataclass
class EffectResult:
    event_study: pd.DataFrame  # week, estimate, std_error, conf_low, conf_high, p_value
    att: pd.DataFrame  # term, estimate, std_error, conf_low, conf_high, p_value
    att_cs: pd.DataFrame
    balance: pd.DataFrame
    placebo: dict
    sensitivity: dict
    counts: dict[str, int]
    n_persons: int
    n_obs: int
    before_after: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- covariates


def _bin(values: np.ndarray, edges: list[int], missing: np.ndarray) -> np.ndarray:
    """Bin index by right-open edges; `missing` -> len(edges) + 1 (its own bin)."""
    out = np.searchsorted(np.asarray(edges), values, side="right").astype(np.int16)
    out[missing] = len(edges) + 1
    return out


def history(cohort: Cohort, rows: np.ndarray, week: int, params: dict, codes: dict) -> dict:
    """Matching covariates of `rows` for a course start at calendar week `week` (numpy arrays).

    score_m1 .. score_m52: score at that relative week (NaN: no score; `reached_*` False when the
    extract does not reach the week); benefit_52 / benefit_104: weeks with a benefit code in the
    last 52 / 104 weeks (NaN when not reached); category at week -1 (a code shared by both
    cohorts, `codes["category"]`); gender (0 missing, 1 kvinde, 2 mand), age, region (0 missing,
    1-5).
    """
    out = {}
    for k in params["history_weeks"]:
        t = week + k
        name = f"score_m{-k}"
        if t < 0:
            out[name] = np.full(len(rows), np.nan)
            out[f"reached_m{-k}"] = np.zeros(len(rows), dtype=bool)
            continue
        out[name] = cohort.score[rows, t].astype(float)
        out[f"reached_m{-k}"] = np.ones(len(rows), dtype=bool)
    for span in (52, 104):
        a = week - span
        if a < 0:
            out[f"benefit_{span}"] = np.full(len(rows), np.nan)
        else:
            out[f"benefit_{span}"] = (
                (cohort.category[rows, a:week] != NO_CATEGORY).sum(axis=1).astype(float)
            )
    if params.get("spell_bins"):  # only when matched on (it reads up to 104 weeks per row)
        out["spell"], out["spell_censored"] = current_spell(cohort, rows, week)
    out["category"] = codes["category"][cohort.category[rows, week - 1].astype(np.intp)]
    out["gender"] = codes["gender"][rows]
    year = cohort.week_year[week] if cohort.week_year is not None else np.nan
    out["age"] = year - cohort.birth_year[rows].astype(float)
    out["region"] = codes["region"][rows]
    return out


def current_spell(
    cohort: Cohort, rows: np.ndarray, week: int, cap: int = 104
) -> tuple[np.ndarray, np.ndarray]:
    """Weeks of the run of consecutive weeks with a benefit code that ends at week -1 (0 when week
    -1 has none), looked for over at most `cap` weeks, and whether the run is left-censored: it
    reaches back to the extract's first week, so its true length is unknown (its own bin in the
    matching, as the contract has history the extract does not reach). A run longer than `cap`
    weeks is `cap` and not censored."""
    span = min(week, cap)
    coded = cohort.category[rows, week - span : week] != NO_CATEGORY
    gap = ~coded[:, ::-1]
    none = ~gap.any(axis=1)
    length = np.where(none, span, gap.argmax(axis=1)).astype(float)
    return length, none & (week <= cap)


def cohort_codes(cohort: Cohort, all_categories: list[str]) -> dict:
    """Small integer codes of a cohort's gender, region and categories (computed once)."""
    g = np.asarray(cohort.gender).astype(str)
    uniq, inv = np.unique(np.asarray(cohort.region).astype(str), return_inverse=True)
    region = (
        np.array([_REGION_CODE.get(r, 0) for r in uniq], dtype=np.int64)[inv] if len(uniq) else inv
    )
    # category index of this cohort -> position in all_categories; index -1 (none) -> last entry
    cat = np.array(
        [all_categories.index(c) for c in cohort.categories] + [len(all_categories)], dtype=np.int64
    )
    return {
        "gender": np.select([g == "kvinde", g == "mand"], [1, 2], 0).astype(np.int64),
        "region": region.astype(np.int64),
        "category": cat,
    }


def strata_keys(cov: dict, params: dict) -> np.ndarray:
    """One int64 key per row combining the exact and coarsened matching variables."""
    parts = []
    for k in params["history_weeks"]:
        s = cov[f"score_m{-k}"]
        reached = cov[f"reached_m{-k}"]
        b = _bin(np.nan_to_num(s, nan=0), params["score_bins"], ~reached)
        b[reached & np.isnan(s)] = len(params["score_bins"]) + 2  # covered, no score
        parts.append((b, len(params["score_bins"]) + 3))
    for span in (52, 104):
        v = cov[f"benefit_{span}"]
        edges = params[f"benefit_weeks_bins_{span}"]
        parts.append((_bin(np.nan_to_num(v, nan=0), edges, np.isnan(v)), len(edges) + 2))
    if params.get("spell_bins"):
        edges = params["spell_bins"]
        spell = _bin(cov["spell"], edges, cov["spell_censored"])
        parts.append((spell, len(edges) + 2))
    parts.append((cov["category"], 128))
    parts.append((cov["gender"], 3))
    age = cov["age"]
    parts.append(
        (
            _bin(np.nan_to_num(age, nan=0), params["age_bins"], np.isnan(age)),
            len(params["age_bins"]) + 2,
        )
    )
    parts.append((cov["region"], len(_REGION_CODE) + 1))
    key = np.zeros(len(cov["age"]), dtype=np.int64)
    for values, radix in parts:
        key = key * radix + values.astype(np.int64)
    return key


_REGION_CODE = {
    "Hovedstaden": 1,
    "Sjælland": 2,
    "Syddanmark": 3,
    "Midtjylland": 4,
    "Nordjylland": 5,
}


def _frame(cov: dict, sel: np.ndarray | slice, **extra) -> pd.DataFrame:
    """Numeric covariates of the selected rows, for the balance table."""
    out = {k: v[sel] for k, v in cov.items() if not k.startswith(("reached_", "spell_censored"))}
    out["kvinde"] = (out.pop("gender") == 1).astype(float)
    region = out.pop("region")
    for name, code in _REGION_CODE.items():
        out[f"region:{name}"] = (region == code).astype(float)
    n = len(out["age"])
    for k, v in extra.items():
        out[k] = np.broadcast_to(v, n) if np.ndim(v) == 0 else v
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- matching


def qualifying_index(cohort: Cohort, params: dict) -> np.ndarray:
    cats = list(cohort.categories)
    return np.array(
        [cats.index(c) for c in params["qualifying_categories"] if c in cats], dtype=np.int8
    )


def match(participants: Cohort, pool: Cohort, params: dict | None = None) -> Matching:
    """Risk sets and coarsened exact matching, one stack per course start week."""
    params = {**DEFAULTS, **(params or {})}
    rng = np.random.default_rng(params["matching_seed"])
    sample_rng = np.random.default_rng(params["matching_seed"] + 1)
    hi = params["event_window"][1]
    n_weeks = participants.score.shape[1]
    qual_p = qualifying_index(participants, params)
    qual_c = qualifying_index(pool, params)
    counts = {
        "participants": len(participants),
        "no_week_minus_1": 0,
        "week_26_outside": 0,
        "not_qualifying": 0,
        "unmatched": 0,
        "matched": 0,
        "history_52_missing": 0,
        "history_104_missing": 0,
        "background_missing": 0,
        "stacks": 0,
        "controls": 0,
    }
    stacks, cov_t, cov_c, risk_c, all_t = [], [], [], [], []
    names = sorted(set(participants.categories) | set(pool.categories))
    codes_p, codes_c = cohort_codes(participants, names), cohort_codes(pool, names)
    for week in np.unique(participants.start):  # a loop over the (few) course start weeks
        rows_t = np.flatnonzero(participants.start == week)
        if week < 1:
            counts["no_week_minus_1"] += len(rows_t)
            continue
        if week + hi > n_weeks - 1:
            counts["week_26_outside"] += len(rows_t)
            continue
        qual_t = np.isin(participants.category[rows_t, week - 1], qual_p)
        counts["not_qualifying"] += int((~qual_t).sum())
        rows_t = rows_t[qual_t]
        rows_c = np.flatnonzero(np.isin(pool.category[:, week - 1], qual_c))
        if not len(rows_t):
            continue
        ct = history(participants, rows_t, week, params, codes_p)
        cc = history(pool, rows_c, week, params, codes_c)
        kt, kc = strata_keys(ct, params), strata_keys(cc, params)
        uniq, inv = np.unique(np.concatenate([kt, kc]), return_inverse=True)
        st, sc = inv[: len(kt)], inv[len(kt) :]
        n_t = np.bincount(st, minlength=len(uniq))
        # At most max_controls per participant: a random rank within the stratum.
        order = np.lexsort((rng.random(len(sc)), sc))
        first = np.searchsorted(sc[order], np.arange(len(uniq)))
        rank = np.empty(len(sc), dtype=np.int64)
        rank[order] = np.arange(len(sc)) - first[sc[order]]
        keep_c = rank < params["max_controls"] * n_t[sc]
        n_c = np.bincount(sc[keep_c], minlength=len(uniq))
        ok_t = n_c[st] > 0
        counts["unmatched"] += int((~ok_t).sum())
        counts["matched"] += int(ok_t.sum())
        counts["history_52_missing"] += int(np.isnan(ct["benefit_52"][ok_t]).sum())
        counts["history_104_missing"] += int(np.isnan(ct["benefit_104"][ok_t]).sum())
        counts["background_missing"] += int(((ct["gender"] == 0) | np.isnan(ct["age"]))[ok_t].sum())
        weight = (n_t[sc] / np.maximum(n_c[sc], 1)).astype(float)
        weight[~keep_c | (n_t[sc] == 0)] = 0.0
        sel = weight > 0
        stacks.append(
            Stack(
                week=int(week),
                treated=rows_t[ok_t],
                controls=rows_c[sel],
                weight=weight[sel],
                strata_t=st[ok_t],
                risk_set=rows_c,
                strata_c=sc[sel],
            )
        )
        counts["controls"] += int(sel.sum())
        all_t.append(_frame(ct, slice(None), stack=int(week), matched=ok_t))
        cov_t.append(_frame(ct, ok_t, stack=int(week), weight=1.0))
        cov_c.append(_frame(cc, sel, stack=int(week), weight=weight[sel]))
        # The risk set's covariates, for the balance before matching: a random sample of at most
        # RISK_SAMPLE rows per stack (a national pool would otherwise hold gigabytes here).
        at_risk = (
            slice(None)
            if len(rows_c) <= RISK_SAMPLE
            else np.sort(sample_rng.choice(len(rows_c), RISK_SAMPLE, replace=False))
        )
        risk_c.append(_frame(cc, at_risk, stack=int(week), weight=1.0))
    counts["stacks"] = len(stacks)
    cat = lambda frames: pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()  # noqa: E731
    return Matching(stacks, counts, cat(cov_t), cat(cov_c), cat(risk_c), cat(all_t))


# --------------------------------------------------------------------------- balance


def balance(m: Matching, category_names: list[str] | None = None) -> pd.DataFrame:
    """Standardised mean differences before (whole risk set) and after matching (weighted).

    SMD = (mean_treated - mean_controls) / sqrt((var_treated + var_risk_set) / 2), the same
    denominator (before matching) for both columns. A score that is missing (not reached or no
    score) is left out of that covariate's means; its share is a covariate of its own.
    """
    t, c, r = m.covariates_t, m.covariates_c, m.risk_c
    if t.empty:
        return pd.DataFrame(
            columns=["covariate", "smd_before", "smd_after", "mean_treated", "mean_controls"]
        )

    def covs(df):
        return {
            col: df[col].to_numpy(dtype=float)
            for col in df.columns
            if col.startswith(("score_m", "benefit_", "region:")) or col in ("kvinde", "age")
        }

    ct, cc, cr = covs(t), covs(c), covs(r)
    rows = []
    for name in ct:
        xt, xc, xr = ct[name], cc[name], cr[name]
        wc = c["weight"].to_numpy()
        mt = np.nanmean(xt) if np.isfinite(xt).any() else np.nan
        okc, okr = np.isfinite(xc), np.isfinite(xr)
        mc = np.average(xc[okc], weights=wc[okc]) if okc.any() and wc[okc].sum() > 0 else np.nan
        mr = xr[okr].mean() if okr.any() else np.nan
        sd = np.sqrt((np.nanvar(xt) + (xr[okr].var() if okr.any() else np.nan)) / 2)
        if not np.isfinite(sd) or sd == 0:
            smd_b = smd_a = 0.0 if np.isclose(mt, mr) or np.isclose(mt, mc) else np.nan
        else:
            smd_b, smd_a = (mt - mr) / sd, (mt - mc) / sd
        rows.append(
            {
                "covariate": name,
                "smd_before": smd_b,
                "smd_after": smd_a,
                "mean_treated": mt,
                "mean_controls": mc,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- event study


def stacked_panel(
    participants: Cohort, pool: Cohort, m: Matching, params: dict | None = None
) -> pd.DataFrame:
    """The long stacked panel: y, rel, treat, weight, unit (person x stack), stack, person."""
    params = {**DEFAULTS, **(params or {})}
    lo, hi = params["event_window"]
    rel = np.arange(lo, hi + 1)
    frames = []
    n_part = len(participants)
    unit0 = 0
    for s in m.stacks:
        idx = s.week + rel
        inside = (idx >= 0) & (idx < participants.score.shape[1])
        cols = idx[inside]
        y = np.concatenate(
            [participants.score[s.treated][:, cols], pool.score[s.controls][:, cols]]
        )
        n_units = len(s.treated) + len(s.controls)
        person = np.concatenate([s.treated, n_part + s.controls])
        # Regression weights: the ATT weights scaled so that the controls of a stack weigh as
        # many as there are of them (CEM's normalisation m_C / m_T). The point estimate within a
        # stack is unchanged; without the scaling the few participants of a stack would carry
        # half the weight of its week effects, and the clustered errors would be too small.
        scale = len(s.controls) / max(len(s.treated), 1)
        w = np.concatenate([np.ones(len(s.treated)), s.weight * scale])
        treat = np.concatenate(
            [np.ones(len(s.treated), dtype=np.int8), np.zeros(len(s.controls), dtype=np.int8)]
        )
        r, c = np.nonzero(~np.isnan(y))
        frames.append(
            pd.DataFrame(
                {
                    "y": y[r, c].astype(float),
                    "rel": rel[inside][c].astype(np.int16),
                    "treat": treat[r],
                    "weight": w[r],
                    "unit": (unit0 + r).astype(np.int64),
                    "stack": np.int32(s.week),
                    "person": person[r].astype(np.int64),
                }
            )
        )
        unit0 += n_units
    if not frames:
        return pd.DataFrame(columns=["y", "rel", "treat", "weight", "unit", "stack", "person"])
    df = pd.concat(frames, ignore_index=True)
    df["stack_rel"] = df["stack"].astype(np.int64) * 1000 + (df["rel"].astype(np.int64) - lo)
    return df


def event_study(
    df: pd.DataFrame, params: dict | None = None
) -> tuple[pd.DataFrame, np.ndarray, int]:
    """pyfixest: y ~ treat x week dummies (ref -1) | unit + stack_rel, weights, CRV1 by person.

    Returns the coefficients per relative week, their covariance matrix and the number of
    clusters.
    """
    import pyfixest as pf

    fit = pf.feols(
        "y ~ i(rel, treat, ref=-1) | unit + stack_rel",
        data=df,
        weights="weight",
        vcov={"CRV1": "person"},
        copy_data=False,
        store_data=False,
        lean=False,
    )
    names = list(fit._coefnames)
    weeks = np.array([_week_of(n) for n in names])
    beta = np.asarray(fit._beta_hat, dtype=float)
    vcov = np.asarray(fit._vcov, dtype=float)
    order = np.argsort(weeks)
    weeks, beta, vcov = weeks[order], beta[order], vcov[np.ix_(order, order)]
    se = np.sqrt(np.diag(vcov))
    g = int(df["person"].nunique())
    tcrit = stats.t.ppf(0.975, g - 1)
    p = 2 * stats.t.sf(np.abs(beta / se), g - 1)
    out = pd.DataFrame(
        {
            "week": weeks,
            "estimate": beta,
            "std_error": se,
            "conf_low": beta - tcrit * se,
            "conf_high": beta + tcrit * se,
            "p_value": p,
        }
    )
    return out, vcov, g


def _week_of(name: str) -> int:
    """The relative week in a pyfixest coefficient name such as 'rel::-52:treat'."""
    import re

    found = re.search(r"::(-?\d+)", name) or re.search(r"\[T\.(-?\d+)\]", name)
    if not found:
        raise ValueError(f"unexpected coefficient name {name!r}")
    return int(found.group(1))


def att_terms(es: pd.DataFrame, vcov: np.ndarray, g: int, hi: int = 26) -> pd.DataFrame:
    """att_26 (week 26) and att_0_26 (mean of weeks 0..26) with t(G-1) intervals."""
    weeks = es["week"].to_numpy()
    beta = es["estimate"].to_numpy()
    rows = []
    tcrit = stats.t.ppf(0.975, g - 1)
    for term, sel in ((f"att_{hi}", weeks == hi), (f"att_0_{hi}", (weeks >= 0) & (weeks <= hi))):
        a = sel.astype(float) / max(sel.sum(), 1)
        est = float(a @ beta)
        se = float(np.sqrt(a @ vcov @ a))
        rows.append(
            {
                "term": term,
                "estimate": est,
                "std_error": se,
                "conf_low": est - tcrit * se,
                "conf_high": est + tcrit * se,
                "p_value": float(2 * stats.t.sf(abs(est / se), g - 1)),
            }
        )
    return pd.DataFrame(rows)


def placebo(es: pd.DataFrame, vcov: np.ndarray, g: int) -> dict:
    """Joint Wald test that all pre-period coefficients are zero (F with G-1 denominator df)."""
    pre = es["week"].to_numpy() < -1
    q = int(pre.sum())
    if q == 0:
        return {"n_coef": 0, "F": np.nan, "p_value": np.nan}
    b = es["estimate"].to_numpy()[pre]
    v = vcov[np.ix_(pre, pre)]
    wald = float(b @ np.linalg.pinv(v) @ b)
    f = wald / q
    return {
        "n_coef": q,
        "F": f,
        "p_value": float(stats.f.sf(f, q, max(g - 1, 1))),
        "max_abs_pre": float(np.abs(b).max()),
    }


def published_placebo(
    participants: Cohort,
    pool: Cohort,
    m: Matching,
    params: dict,
    es: pd.DataFrame,
    vcov: np.ndarray,
    g: int,
) -> dict:
    """The chapter's placebo test: blocks of pre-period weeks, each participant against the
    controls of their own matched set (`pretrend.placebo_test`; why not the 51-week Wald test:
    that module's doc). `max_abs_pre` (the sensitivity bound's D) stays the largest absolute
    event-study coefficient before the course; the weekly Wald test is kept as `weekly_F` /
    `weekly_p_value` for comparison."""
    from tpj_helpers.analysis.effect import pretrend

    weekly = placebo(es, vcov, g)
    out = pretrend.placebo_test(participants, pool, m, params)
    out["max_abs_pre"] = weekly.get("max_abs_pre", np.nan)
    out["weekly_F"], out["weekly_p_value"] = weekly["F"], weekly["p_value"]
    out["weekly_n_coef"] = weekly["n_coef"]
    return out


def sensitivity(att: pd.DataFrame, plac: dict, term: str = "att_26", m_bar: float = 1.0) -> dict:
    """Relative-magnitudes bound: post-period violations up to M x the largest |pre coefficient|.

    The robust interval at M is [conf_low - M*D, conf_high + M*D] with D = max |pre coef|; the
    breakdown M is the smallest M at which it includes zero.
    """
    row = att.set_index("term").loc[term]
    d = plac.get("max_abs_pre", np.nan)
    lo, hi = row["conf_low"] - m_bar * d, row["conf_high"] + m_bar * d
    gap = (
        row["conf_low"]
        if row["conf_low"] > 0
        else (-row["conf_high"] if row["conf_high"] < 0 else 0.0)
    )
    return {
        "term": term,
        "m_bar": m_bar,
        "max_abs_pre": d,
        "conf_low": lo,
        "conf_high": hi,
        "breakdown_m": float(gap / d) if d and d > 0 else np.nan,
    }


# --------------------------------------------------------------------------- Callaway-Sant'Anna


def callaway_santanna(df: pd.DataFrame, weeks: range | list[int], g_persons: int) -> dict:
    """Group-time ATT(g, e) vs week -1 per stack, aggregated over stacks by participant counts.

    Returns {e: (estimate, standard error, influence function per person)}. The aggregate is the
    participants' mean of dy_i - mc_g(i) (their change minus the weighted mean change of their
    stack's controls), so its influence function is, for a participant, (dy_i - mc_g(i) - ATT) / N
    (centred on the aggregate: the stack shares N_g / N are estimated, as in `did`'s aggregation,
    which adds (ATT_g - ATT)(1{G = g} - pi_g) to the per-stack terms), and for a control of stack
    g, -(N_g / N) w_j (dy_j - mc_g) / sum(w); summed per person (a control serves in several
    stacks). Centring each participant on their own stack's mean instead (the terms per stack
    alone) loses one degree of freedom per stack: with the few participants per course start
    week the SE came out about 1.4 times too small, and a stack with one participant added
    nothing. Variance: G / (G - 1) sum_p psi_p^2 over the G persons of the panel (the CRV1
    cluster factor of the event study); t(G-1) intervals in `att_cs_terms`.
    """
    base = df[df["rel"] == -1][["unit", "y"]].rename(columns={"y": "y0"})
    g = max(int(g_persons), 2)
    factor = g / (g - 1)
    out = {}
    for e in weeks:
        d = df[df["rel"] == e].merge(base, on="unit")
        d = d.assign(dy=d["y"] - d["y0"])
        t, c = d[d["treat"] == 1], d[d["treat"] == 0]
        nt = t.groupby("stack").size()
        wc = c.groupby("stack")["weight"].sum()
        stacks_ok = nt.index.intersection(wc[wc > 0].index)
        nt = nt.loc[stacks_ok]
        n_total = float(nt.sum())
        pi = nt / n_total
        mt = t.groupby("stack")["dy"].mean().loc[stacks_ok]
        mc = (c["dy"] * c["weight"]).groupby(c["stack"]).sum().loc[stacks_ok] / wc.loc[stacks_ok]
        est = float((pi * (mt - mc)).sum())
        t2 = t[t["stack"].isin(stacks_ok)]
        c2 = c[c["stack"].isin(stacks_ok)]
        psi_t = (t2["dy"].to_numpy() - mc.loc[t2["stack"]].to_numpy() - est) / n_total
        psi_c = (
            -pi.loc[c2["stack"]].to_numpy()
            * c2["weight"].to_numpy()
            * (c2["dy"].to_numpy() - mc.loc[c2["stack"]].to_numpy())
            / wc.loc[c2["stack"]].to_numpy()
        )
        psi = pd.Series(
            np.concatenate([psi_t, psi_c]),
            index=np.concatenate([t2["person"].to_numpy(), c2["person"].to_numpy()]),
        )
        per_person = psi.groupby(level=0).sum()
        out[e] = (est, float(np.sqrt(factor * (per_person**2).sum())), per_person)
    return out


def att_cs_terms(df: pd.DataFrame, g: int, hi: int = 26) -> pd.DataFrame:
    res = callaway_santanna(df, range(0, hi + 1), g)
    tcrit = stats.t.ppf(0.975, g - 1)
    factor = max(g, 2) / (max(g, 2) - 1)
    rows = []
    est26, se26, _ = res[hi]
    avg = np.mean([res[e][0] for e in res])
    psi = pd.concat([res[e][2] for e in res], axis=1).fillna(0).sum(axis=1) / len(res)
    se_avg = float(np.sqrt(factor * (psi**2).sum()))
    for term, est, se in ((f"att_{hi}", est26, se26), (f"att_0_{hi}", avg, se_avg)):
        rows.append(
            {
                "term": term,
                "estimate": est,
                "std_error": se,
                "conf_low": est - tcrit * se,
                "conf_high": est + tcrit * se,
                "p_value": float(2 * stats.t.sf(abs(est / se), g - 1)),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the whole design


def before_after(participants: Cohort, m: Matching, hi: int = 26) -> dict:
    """The participants' own change from week -1 to week `hi` (matched participants)."""
    diffs = []
    for s in m.stacks:
        a = participants.score[s.treated, s.week - 1].astype(float)
        b = participants.score[s.treated, s.week + hi].astype(float)
        ok = ~np.isnan(a) & ~np.isnan(b)
        diffs.append(b[ok] - a[ok])
    d = np.concatenate(diffs) if diffs else np.zeros(0)
    return {"estimate": float(d.mean()) if len(d) else np.nan, "n_persons": len(d)}


def estimate(
    participants: Cohort, pool: Cohort, params: dict | None = None, with_cs: bool = True
) -> EffectResult:
    """Match, stack, fit: the whole design."""
    params = {**DEFAULTS, **(params or {})}
    hi = params["event_window"][1]
    m = match(participants, pool, params)
    df = stacked_panel(participants, pool, m, params)
    es, vcov, g = event_study(df, params)
    att = att_terms(es, vcov, g, hi)
    plac = published_placebo(participants, pool, m, params, es, vcov, g)
    sens = sensitivity(att, plac, f"att_{hi}")
    cs = att_cs_terms(df, g, hi) if with_cs else pd.DataFrame()
    n_t = int(sum(len(s.treated) for s in m.stacks))
    return EffectResult(
        event_study=es,
        att=att,
        att_cs=cs,
        balance=balance(m),
        placebo=plac,
        sensitivity=sens,
        counts=m.counts,
        n_persons=n_t,
        n_obs=len(df),
        before_after=before_after(participants, m, hi),
    )
