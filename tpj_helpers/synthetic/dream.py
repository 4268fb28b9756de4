"""Synthetic DREAM extract: benefit histories that reproduce Tabel 6 and the subgroup patterns.

Each person gets a state (a score, or none) at four anchors: 26 weeks before the course, the week
before, right after the course, 26 weeks after. Among the persons whose hold has data at an anchor,
states are handed out by rank of a latent "closeness to work" so that the published distribution
is met exactly (completers) or as a mixture (withdrawn). The latent is an AR(1) process over the
anchors plus subgroup shifts, which gives persistence within person and the published directions
(women fall more before the course, ressourceforløb starts lowest). Between two anchors the state
switches at a random week, so the weekly mean moves smoothly. States become benefit codes from the
score map (one code per score per person); score 10 is mostly ordinary employment: no code, and
`grad` > 0 in the months concerned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.data.dream import load_score_map
from tpj_helpers.synthetic.cohort import SyntheticCohort, iso_monday

SCORES = np.arange(11)
NONE = -1  # no state: self-supporting or unknown


def _anchor_weeks(after: np.ndarray) -> np.ndarray:
    return np.stack(
        [np.full_like(after, -26), np.full_like(after, -1), after, np.full_like(after, 26)], axis=1
    )


def _distribution(cal: dict, status: str) -> np.ndarray:
    """(4 anchors, 12) counts or weights over scores 0..10 and NA (last column)."""
    comp = cal["register"]["completers"]
    base = np.array([[comp[s][a] for s in SCORES] + [comp["NA"][a]] for a in range(4)], dtype=float)
    if status == "gennemført":
        return base
    names = {"-26": 0, "-1": 1, "after": 2, "26": 3}
    mix = cal["register"]["withdrawn_mix"]
    out = np.zeros_like(base)
    for a, spec in mix.items():
        for src, w in spec.items():
            out[names[str(a)]] += w * base[names[str(src)]] / base[names[str(src)]].sum()
    return out


def _assign(
    z: np.ndarray, covered: np.ndarray, weights: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """States for one anchor: exact counts among the covered persons, by rank of z."""
    n = len(z)
    state = np.full(n, NONE, dtype=np.int8)
    cov = np.flatnonzero(covered)
    if len(cov):
        counts = _fix_total(np.floor(weights).astype(int), len(cov), weights)
        na = rng.choice(cov, size=counts[-1], replace=False)
        rest = np.setdiff1d(cov, na)
        ranked = rest[np.argsort(z[rest], kind="stable")]
        state[ranked] = np.repeat(SCORES, counts[:-1]).astype(np.int8)
        # Persons not covered at this anchor still need a state for the weeks they do have:
        # the state of the covered person nearest in z.
        unc = np.flatnonzero(~covered)
        if len(unc):
            order = np.argsort(z[ranked])
            pos = np.clip(np.searchsorted(z[ranked][order], z[unc]), 0, len(ranked) - 1)
            state[unc] = state[ranked][order][pos]
    else:
        p = weights[:-1] / weights[:-1].sum()
        state[:] = rng.choice(SCORES, size=n, p=p)
    return state


def _fix_total(counts: np.ndarray, total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder counts of `weights` summing to `total`."""
    if counts.sum() == total:
        return counts
    raw = weights / weights.sum() * total
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


def _latent(cal: dict, people: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    reg = cal["register"]
    rho = reg["persistence"]
    n = len(people)
    e = rng.normal(size=(n, 4))
    u = np.empty((n, 4))
    u[:, 0] = e[:, 0]
    for a in range(1, 4):  # four anchors
        u[:, a] = rho * u[:, a - 1] + np.sqrt(1 - rho**2) * e[:, a]
    for var, shifts in reg["subgroup_shift"].items():
        table = pd.DataFrame(shifts).T  # group -> 4 shifts
        u += table.reindex(people[var].astype(object).to_numpy()).fillna(0).to_numpy()
    return u


def _codes_by_score(score_map: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 11) the benefit code each person uses for each score (-1 where the score has no code)."""
    sm = score_map.dropna(subset=["score"])
    out = np.full((n, 11), -1, dtype=np.int16)
    for s, grp in sm.groupby(sm["score"].astype(int)):  # eleven scores at most
        codes = grp["code"].astype(int).to_numpy()
        w = np.linspace(2.0, 1.0, len(codes))  # the first listed code is the most common
        out[:, s] = rng.choice(codes, size=n, p=w / w.sum())
    return out


def anchor_states(cal: dict, cohort: SyntheticCohort, rng: np.random.Generator) -> dict:
    """The persons of the extract and their states at the four anchors (the first draws of
    `make_dream`, in the same order: the subgroup tuning replays them with other shifts).

    Keys: people, is_extra, start_idx, anchors, covered, states, mondays.
    """
    reg = cal["register"]
    first = iso_monday(cal["data_period"]["first_iso_week"])
    last = iso_monday(cal["data_period"]["last_iso_week"])
    mondays = pd.date_range(first, last, freq="7D")
    W = len(mondays)

    persons = cohort.persons
    sample = persons[persons["consent_register"]]
    others = persons[persons["registered"] & ~persons["consent_register"]]
    extra = others.sample(
        n=min(reg["nonconsenting_in_extract"], len(others)), random_state=rng.integers(2**31)
    )
    people = pd.concat([sample, extra], ignore_index=True)
    is_extra = np.r_[np.zeros(len(sample), bool), np.ones(len(extra), bool)]
    n = len(people)

    start_idx = ((people["start_date"] - first).dt.days // 7).to_numpy()
    anchors = _anchor_weeks(people["n_weeks"].to_numpy())
    covered = (start_idx[:, None] + anchors >= 0) & (start_idx[:, None] + anchors < W)
    z = _latent(cal, people, rng)

    states = np.full((n, 4), NONE, dtype=np.int8)
    for status in ("gennemført", "afmeldt"):
        dist = _distribution(cal, status)
        grp = np.flatnonzero((people["status"] == status).to_numpy() & ~is_extra)
        for a in range(4):
            states[grp, a] = _assign(z[grp, a], covered[grp, a], dist[a], rng)
        ex = np.flatnonzero((people["status"] == status).to_numpy() & is_extra)
        for a in range(4):
            states[ex, a] = _assign(z[ex, a], np.zeros(len(ex), bool), dist[a], rng)
    return {
        "people": people,
        "is_extra": is_extra,
        "start_idx": start_idx,
        "anchors": anchors,
        "covered": covered,
        "states": states,
        "mondays": mondays,
    }


def make_dream(
    cal: dict,
    cohort: SyntheticCohort,
    rng: np.random.Generator,
    score_map: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The wide extract (strings, empty = none) for the consenting persons plus a few others."""
    score_map = score_map if score_map is not None else load_score_map()
    reg = cal["register"]
    st = anchor_states(cal, cohort, rng)
    people, states, anchors, start_idx = st["people"], st["states"], st["anchors"], st["start_idx"]
    mondays = st["mondays"]
    W = len(mondays)
    n = len(people)

    # Switch weeks between anchors: state k holds from switch k to switch k+1.
    after = anchors[:, 2]
    tau = np.stack(
        [
            rng.integers(-25, 0, n),  # in (-26, -1]
            rng.integers(0, after + 1),  # in (-1, after]
            rng.integers(after + 1, 27),  # in (after, 26]
        ],
        axis=1,
    )
    week_rel = np.arange(W)[None, :] - start_idx[:, None]
    state = np.repeat(states[:, :1], W, axis=1)
    for k in range(3):  # three switches
        state = np.where(week_rel >= tau[:, k : k + 1], states[:, k + 1 : k + 2], state)

    # States -> codes. Score 10 is ordinary employment (no code, grad > 0) for most persons.
    code_of = _codes_by_score(score_map, n, rng)
    employed_10 = rng.random(n) < reg["employment_share_of_10"]
    code_of[employed_10, 10] = -1
    safe = np.maximum(state, 0)
    codes = np.where(
        state >= 0, np.take_along_axis(code_of, safe.astype(np.int64), axis=1), -1
    ).astype(np.int16)

    # Employment degree per month (the month of each week's Thursday).
    thursday_month = (mondays + pd.Timedelta(days=3)).to_period("M")
    months = pd.period_range(thursday_month[0], thursday_month[-1], freq="M")
    month_idx = np.searchsorted(months.to_timestamp(), thursday_month.to_timestamp())
    starts = np.flatnonzero(np.r_[True, np.diff(month_idx) != 0])
    works = (state == 10) & (codes < 0)
    flex = state == 9
    grad = np.full((n, len(months)), np.nan, dtype=np.float32)
    m_work = np.logical_or.reduceat(works, starts, axis=1)
    m_flex = np.logical_or.reduceat(flex, starts, axis=1)
    grad[m_flex] = rng.uniform(0.2, 0.5, m_flex.sum()).round(2)
    grad[m_work] = rng.uniform(0.4, 1.0, m_work.sum()).round(2)

    # A few weeks with codes missing from the mapping (as happen in real extracts), never on an
    # anchor week, and one short spell of a coded-out benefit before the course.
    anchor_mask = np.zeros((n, W), dtype=bool)
    rows = np.repeat(np.arange(n), 4)
    cols = (start_idx[:, None] + anchors).ravel()
    ok = (cols >= 0) & (cols < W)
    anchor_mask[rows[ok], cols[ok]] = True
    candidates = np.flatnonzero(((codes >= 0) & ~anchor_mask).ravel())
    hits = rng.choice(
        candidates, size=min(reg["unknown_code_weeks"], len(candidates)), replace=False
    )
    codes.ravel()[hits] = rng.choice(np.array(reg["unknown_codes"], dtype=int), size=len(hits))
    coded_out = score_map.loc[score_map["score"].isna(), "code"].astype(int).to_numpy()
    if len(coded_out):
        p = rng.choice(np.flatnonzero(start_idx > 40))
        span = slice(start_idx[p] - 40, start_idx[p] - 32)  # weeks -40..-33, before every anchor
        codes[p, span] = coded_out[0]

    return _wide_frame(people["person_id"].to_numpy(), mondays, codes, months, grad, rng)


def _wide_frame(ids, mondays, codes, months, grad, rng) -> pd.DataFrame:
    iso = mondays.isocalendar()
    week_cols = (
        "y_" + (iso["year"] % 100).astype(str).str.zfill(2) + iso["week"].astype(str).str.zfill(2)
    ).tolist()
    grad_cols = [f"grad_{p.year}_{p.month:02d}" for p in months]
    code_str = np.where(codes >= 0, np.char.zfill(codes.astype(str), 3), "")
    grad_str = np.where(np.isnan(grad), "", np.char.mod("%.2f", np.nan_to_num(grad)))
    wide = pd.concat(
        [
            pd.DataFrame({"person_id": ids}),
            pd.DataFrame(code_str, columns=week_cols),
            pd.DataFrame(grad_str, columns=grad_cols),
        ],
        axis=1,
    )
    return wide.sample(frac=1, random_state=rng.integers(2**31)).reset_index(drop=True)
