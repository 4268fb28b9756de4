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
        odds = np.exp(p["selection"] * fall)
        k = min(p["per_hold"], len(eligible))
        chosen = rng.choice(eligible, size=k, replace=False, p=odds / odds.sum())
        start[chosen] = t
    treated = start >= 0
    rel = np.arange(p["n_weeks"])[None, :] - start[:, None]
    score = score + np.where(treated[:, None] & (rel >= 0), p["effect"], 0).astype(np.float32)
    gender = np.where(rng.random(n) < 0.6, "kvinde", "mand")
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

    return (
        cohort(np.flatnonzero(treated), True),
        cohort(np.flatnonzero(~treated), False),
        {"effect": p["effect"]},
    )


SIM_DESIGN = {"qualifying_categories": ["kontanthjaelp", "ressourceforloeb", "uddannelseshjaelp"]}


def replicate(seed: int, design_params: dict | None = None, **kwargs) -> dict:
    """Simulate once and run the design: ATT at week 26 and its CI, before/after, counts."""
    part, pool, truth = simulate(seed, **kwargs)
    params = {**design.DEFAULTS, **SIM_DESIGN, **(design_params or {})}
    m = design.match(part, pool, params)
    df = design.stacked_panel(part, pool, m, params)
    es, vcov, g = design.event_study(df, params)
    att = design.att_terms(es, vcov, g, params["event_window"][1]).set_index("term")
    row = att.loc[f"att_{params['event_window'][1]}"]
    ba = design.before_after(part, m, params["event_window"][1])
    return {
        "seed": seed,
        "truth": truth["effect"],
        "att": row["estimate"],
        "se": row["std_error"],
        "conf_low": row["conf_low"],
        "conf_high": row["conf_high"],
        "before_after": ba["estimate"],
        "matched": m.counts["matched"],
        "unmatched": m.counts["unmatched"],
        "n_obs": len(df),
    }


def run(
    n_reps: int, first_seed: int = 1, design_params: dict | None = None, **kwargs
) -> tuple[dict, pd.DataFrame]:
    """`n_reps` replications; summary: mean bias, coverage, before/after bias (with MC errors)."""
    reps = pd.DataFrame([replicate(first_seed + i, design_params, **kwargs) for i in range(n_reps)])
    return summarise(reps), reps


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
