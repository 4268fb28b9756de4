"""Validation of the effect design on generated data with a known effect.

The data-generating process (DGP) mimics the situation of the evaluation:

- Benefit spells are sticky: each person is in one state a week (ordinary work, dagpenge,
  kontanthjælp, ressourceforløb, uddannelseshjælp, with the scores of the score map), leaves it
  with a small weekly hazard and then moves by a fixed transition matrix. Persons differ in how
  fast they leave benefits (a frailty that multiplies the exit hazards from benefits), which the
  history (weeks on benefit, earlier scores) reveals only in part.
- Staggered hold starts (`n_holds`, default 30): at each start the course takes `per_hold`
  persons among those on a qualifying benefit in week -1 who have not taken it, with
  probabilities rising in the fall of their score from week -26 to week -1 (selection after a
  dip: the published before/after picture emerges from selection).
- A known effect: the participants' score is raised by `effect` from week 0 on.

`replicate` runs the whole design (matching, stacked event study with pyfixest) on fresh data and
returns the ATT at week 26, its confidence interval and the naive before/after change; `run`
repeats it and summarises mean bias, 95 % CI coverage and the before/after bias.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect import design

STATES = ("beskaeftigelse", "dagpenge", "kontanthjaelp", "ressourceforloeb", "uddannelseshjaelp")
SCORES = np.array([10, 5, 2, 1, 3], dtype=np.float32)
BENEFIT = np.array([False, True, True, True, True])
# Weekly probability of leaving the state.
HAZARD = np.array([0.01, 0.05, 0.02, 0.012, 0.03])
# Where a person goes when leaving a state (rows: from, columns: to; the diagonal is zero).
MOVES = np.array(
    [
        [0.00, 0.50, 0.30, 0.05, 0.15],
        [0.60, 0.00, 0.30, 0.05, 0.05],
        [0.50, 0.10, 0.00, 0.25, 0.15],
        [0.30, 0.05, 0.60, 0.00, 0.05],
        [0.60, 0.05, 0.30, 0.05, 0.00],
    ]
)
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")

SIM_DEFAULTS = {
    "n_persons": 12000,
    "n_weeks": 160,
    "burn_in": 104,
    "n_holds": 30,
    "per_hold": 4,
    "first_start": 60,
    "last_start": 133,
    "selection": 0.5,  # log-odds of taking the course per score point of fall from -26 to -1
    "frailty": 0.5,  # exit hazards from benefits x (1 - frailty) or x (1 + frailty)
    "effect": 0.5,
    # Scenarios (defaults: off; the default DGP draws exactly the same numbers as before):
    "effect_ramp": 1,  # weeks over which the effect grows in: e(t) = effect * min(1, (t+1)/ramp)
    "effect_men": None,  # the effect for men (women keep `effect`); None: the same for all
    "selection_benefit": 0.0,  # log-odds of taking the course per 52 weeks on benefit in the last 52
    "selection_level": 0.0,  # log-odds of taking the course per score point lower at week -52
}

# Named scenarios of the validation (`benchmarks/effect_validation.py --scenario`).
SCENARIOS = {
    "default": {},
    "null": {"effect": 0.0},
    "growing": {"effect": 1.0, "effect_ramp": 26},
    "subgroup": {"effect": 1.0, "effect_men": 0.0},
    "observables": {"selection_benefit": 3.0, "selection_level": 0.4},
}


def simulate(seed: int, **kwargs) -> tuple[design.Cohort, design.Cohort, dict]:
    """One data set: (participants, pool, truth)."""
    p = {**SIM_DEFAULTS, **kwargs}
    rng = np.random.default_rng(seed)
    n, w = p["n_persons"], p["n_weeks"] + p["burn_in"]
    frail = np.where(rng.random(n) < 0.5, 1 - p["frailty"], 1 + p["frailty"])
    cum = np.cumsum(MOVES, axis=1)
    state = np.empty((n, w), dtype=np.int8)
    state[:, 0] = rng.choice(len(STATES), size=n, p=[0.3, 0.1, 0.35, 0.15, 0.1])
    for t in range(1, w):  # a loop over weeks; every week is vectorised over persons
        s = state[:, t - 1]
        h = HAZARD[s] * np.where(BENEFIT[s], frail, 1.0)
        leave = rng.random(n) < h
        dest = (rng.random(n)[:, None] > cum[s]).sum(axis=1).astype(np.int8)
        state[:, t] = np.where(leave, dest, s)
    state = state[:, p["burn_in"] :]
    score = SCORES[state]
    qualifying = np.isin(state, [2, 3, 4])
    starts = np.linspace(p["first_start"], p["last_start"], p["n_holds"]).round().astype(int)
    start = np.full(n, -1)
    for t in starts:  # a loop over the holds
        eligible = np.flatnonzero(qualifying[:, t - 1] & (start < 0))
        fall = score[eligible, t - 26] - score[eligible, t - 1]
        if p["selection_benefit"] or p["selection_level"]:
            # Selection on observed history as well: longer on benefit, lower a year before.
            weeks = BENEFIT[state[eligible, t - 52 : t]].sum(axis=1)
            logit = (
                p["selection"] * fall
                + p["selection_benefit"] * weeks / 52
                - p["selection_level"] * score[eligible, t - 52]
            )
            odds = np.exp(logit - logit.max())
        else:
            odds = np.exp(p["selection"] * fall)
        k = min(p["per_hold"], len(eligible))
        chosen = rng.choice(eligible, size=k, replace=False, p=odds / odds.sum())
        start[chosen] = t
    treated = start >= 0
    rel = np.arange(p["n_weeks"])[None, :] - start[:, None]
    gender = np.where(rng.random(n) < 0.6, "kvinde", "mand")
    # The effect of each person at full strength (women `effect`, men `effect_men` if given) and
    # its path over the weeks since the course start (grown in over `effect_ramp` weeks).
    size = np.full(n, float(p["effect"]))
    if p["effect_men"] is not None:
        size[gender == "mand"] = float(p["effect_men"])
    ramp = np.minimum(1.0, (rel + 1) / max(int(p["effect_ramp"]), 1))
    score = score + np.where(treated[:, None] & (rel >= 0), size[:, None] * ramp, 0).astype(
        np.float32
    )
    birth = rng.integers(1960, 2002, size=n).astype(float)
    region = np.asarray(REGIONS)[rng.integers(0, 5, size=n)]
    ids = np.array([f"S{i:06d}" for i in range(n)])
    week_year = 2020 + np.arange(p["n_weeks"]) // 52

    # Ordinary work has no benefit code (category -1), as in the register.
    category = np.where(state == 0, design.NO_CATEGORY, state).astype(np.int8)

    def cohort(rows, with_start):
        return design.Cohort(
            person_id=ids[rows],
            score=score[rows],
            category=category[rows],
            gender=gender[rows],
            birth_year=birth[rows],
            region=region[rows],
            start=start[rows] if with_start else None,
            categories=STATES,
            week_year=week_year,
        )

    rows_t = np.flatnonzero(treated)
    return (
        cohort(rows_t, True),
        cohort(np.flatnonzero(~treated), False),
        {"effect": p["effect"], "size": size[rows_t], "ramp": max(int(p["effect_ramp"]), 1)},
    )


def true_path(truth: dict, treated_rows: np.ndarray, hi: int = 26) -> np.ndarray:
    """The true ATT at relative weeks 0..hi over the given participant rows (their mean effect)."""
    size = float(np.mean(truth["size"][treated_rows])) if len(treated_rows) else truth["effect"]
    return size * np.minimum(1.0, (np.arange(hi + 1) + 1) / truth["ramp"])


SIM_DESIGN = {"qualifying_categories": ["kontanthjaelp", "ressourceforloeb", "uddannelseshjaelp"]}


def estimands(
    part: design.Cohort,
    pool: design.Cohort,
    m: design.Matching,
    params: dict,
    path: np.ndarray,
    with_cs: bool = True,
) -> dict:
    """Every published effect row of one data set against the truth.

    `path`: the true ATT at relative weeks 0..hi. Returned: for the event study's `att_hi` and
    `att_0_hi` and the Callaway-Sant'Anna versions (`cs_...`) the estimate, standard error,
    interval and p-value; the share of post-period event-study weeks whose interval covers that
    week's truth, the share of pre-period weeks whose interval excludes 0 (truth 0) and the
    placebo test's p-value (`placebo_p`, the published test; `placebo_weekly_p`, the 51-week
    Wald test it replaced); the before/after change.
    """
    hi = params["event_window"][1]
    df = design.stacked_panel(part, pool, m, params)
    es, vcov, g = design.event_study(df, params)
    att = design.att_terms(es, vcov, g, hi).set_index("term")
    truth = {f"att_{hi}": float(path[hi]), f"att_0_{hi}": float(np.mean(path))}
    out = {"truth": truth[f"att_{hi}"], "truth_avg": truth[f"att_0_{hi}"]}
    models = [("", att)]
    if with_cs:
        models.append(("cs_", design.att_cs_terms(df, g, hi).set_index("term")))
    for prefix, table in models:
        for term in (f"att_{hi}", f"att_0_{hi}"):
            r = table.loc[term]
            key = prefix + ("att" if term == f"att_{hi}" else "att_avg")
            out.update(
                {
                    key: float(r["estimate"]),
                    f"{key}_se": float(r["std_error"]),
                    f"{key}_low": float(r["conf_low"]),
                    f"{key}_high": float(r["conf_high"]),
                    f"{key}_p": float(r["p_value"]),
                }
            )
    weeks = es["week"].to_numpy()
    post = (weeks >= 0) & (weeks <= hi)
    wk_truth = path[weeks[post]]
    lo, up = es["conf_low"].to_numpy(), es["conf_high"].to_numpy()
    out["es_post_covered"] = float(np.mean((lo[post] <= wk_truth) & (wk_truth <= up[post])))
    pre = weeks < -1
    out["es_pre_rejected"] = float(np.mean((lo[pre] > 0) | (up[pre] < 0))) if pre.any() else np.nan
    plac = design.published_placebo(part, pool, m, params, es, vcov, g)
    out["placebo_p"] = plac["p_value"]  # the published test (matched sets, blocks of weeks)
    out["placebo_weekly_p"] = plac["weekly_p_value"]  # issue 14's 51-week Wald test
    out["before_after"] = design.before_after(part, m, hi)["estimate"]
    out["matched"] = m.counts["matched"]
    out["unmatched"] = m.counts["unmatched"]
    out["n_obs"] = len(df)
    # Kept for the earlier summaries: the week-hi row under its old names.
    out["se"], out["conf_low"], out["conf_high"] = out["att_se"], out["att_low"], out["att_high"]
    return out


def replicate(seed: int, design_params: dict | None = None, with_cs: bool = True, **kwargs) -> dict:
    """Simulate once and run the design: every effect estimand against its truth."""
    part, pool, truth = simulate(seed, **kwargs)
    params = {**design.DEFAULTS, **SIM_DESIGN, **(design_params or {})}
    m = design.match(part, pool, params)
    treated = np.concatenate([s.treated for s in m.stacks]) if m.stacks else np.zeros(0, int)
    path = true_path(truth, treated, params["event_window"][1])
    out = estimands(part, pool, m, params, path, with_cs=with_cs)
    out["seed"] = seed
    return out


def run(
    n_reps: int, first_seed: int = 1, design_params: dict | None = None, **kwargs
) -> tuple[dict, pd.DataFrame]:
    """`n_reps` replications; summary: mean bias, coverage, before/after bias (with MC errors)."""
    reps = pd.DataFrame(
        [replicate(first_seed + i, design_params, with_cs=False, **kwargs) for i in range(n_reps)]
    )
    return summarise(reps), reps


ESTIMANDS = {  # column prefix -> (truth column, label)
    "att": ("truth", "ATT week 26 (event study)"),
    "att_avg": ("truth_avg", "ATT weeks 0-26 (event study)"),
    "cs_att": ("truth", "ATT week 26 (Callaway-Sant'Anna)"),
    "cs_att_avg": ("truth_avg", "ATT weeks 0-26 (Callaway-Sant'Anna)"),
}


def summarise_estimand(reps: pd.DataFrame, key: str, truth_col: str) -> dict:
    """Bias, coverage and rejection rate (p < 0.05) of one estimand over the replications."""
    n = len(reps)
    err = reps[key] - reps[truth_col]
    cover = (reps[f"{key}_low"] <= reps[truth_col]) & (reps[truth_col] <= reps[f"{key}_high"])
    return {
        "replications": n,
        "truth": float(reps[truth_col].mean()),
        "mean_estimate": float(reps[key].mean()),
        "bias": float(err.mean()),
        "bias_mc_se": float(err.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "sd_estimate": float(reps[key].std(ddof=1)) if n > 1 else float("nan"),
        "mean_se": float(reps[f"{key}_se"].mean()),
        "coverage_95": float(cover.mean()),
        "covered": int(cover.sum()),
        "rejection_rate": float((reps[f"{key}_p"] < 0.05).mean()),
    }


def summarise_all(reps: pd.DataFrame) -> dict:
    """`summarise_estimand` for every estimand present, plus the event-study weeks."""
    out = {
        key: summarise_estimand(reps, key, truth)
        for key, (truth, _) in ESTIMANDS.items()
        if key in reps
    }
    out["event_study_weeks"] = {
        "post_weeks_coverage_95": float(reps["es_post_covered"].mean()),
        "pre_weeks_rejection_rate": float(reps["es_pre_rejected"].mean()),
        "placebo_rejection_rate": float((reps["placebo_p"] < 0.05).mean()),
    }
    if "placebo_weekly_p" in reps:
        out["event_study_weeks"]["placebo_weekly_rejection_rate"] = float(
            (reps["placebo_weekly_p"] < 0.05).mean()
        )
    out["before_after"] = {
        "mean": float(reps["before_after"].mean()),
        "bias": float((reps["before_after"] - reps["truth"]).mean()),
    }
    return out


def summarise(reps: pd.DataFrame) -> dict:
    err = reps["att"] - reps["truth"]
    cover = (reps["conf_low"] <= reps["truth"]) & (reps["truth"] <= reps["conf_high"])
    ba_err = reps["before_after"] - reps["truth"]
    n = len(reps)
    return {
        "replications": n,
        "true_effect": float(reps["truth"].iloc[0]),
        "mean_att": float(reps["att"].mean()),
        "mean_bias": float(err.mean()),
        "mean_bias_mc_se": float(err.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
        "sd_att": float(reps["att"].std(ddof=1)) if n > 1 else float("nan"),
        "mean_se": float(reps["se"].mean()),
        "coverage_95": float(cover.mean()),
        "covered": int(cover.sum()),
        "before_after_mean": float(reps["before_after"].mean()),
        "before_after_bias": float(ba_err.mean()),
        "matched_share": float((reps["matched"] / (reps["matched"] + reps["unmatched"])).mean()),
    }
