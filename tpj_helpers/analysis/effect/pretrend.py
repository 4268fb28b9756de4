"""The effect chapter's placebo (pre-trend) test, on the matched sets.

Why not the event study's joint Wald test of its 51 pre-period week coefficients (issue 14's
test, kept as `design.placebo` for comparison): measured on the simulated null scenario
(`benchmarks/effect_validation.py --scenario null`, README "Effect against a matched comparison
group"), it rejected in 22.5 % of 400 data sets at 5 %, for two reasons that pull in opposite
directions:

1. The matching is on the score at weeks -4, -13, -26 and -52 (and the benefit history), so
   participants and their matched controls share their pre-period paths. The person-clustered
   sandwich of the event study treats them as independent and overstates the pre-period
   coefficients' sampling variance: over 50 null data sets the standard deviation of a
   pre-period coefficient was 0.07-0.13 of its mean standard error at the matched weeks and a
   median 0.40 in between (after week 0: 1.09-1.32). Each week alone rejects in about 0.4 %.
2. Week-to-week differences of the coefficients rest on the few persons whose benefit state
   changed that week, so the 51 x 51 covariance is near singular (numerical rank 40-50 of 51 in
   the null data sets): the inverse in the Wald statistic blows up the noise of those
   directions, and F(51, G - 1) no longer describes the statistic.

The test here compares each participant with the controls of their own matched set (stack x
CEM stratum), so the variance is that of the matched differences, and it tests a few blocks of
weeks instead of 51 single weeks:

- blocks of `bin_weeks` pre-period weeks counted back from week -2 (13 weeks: -14..-2,
  -27..-15, -40..-28, -52..-41 for the window -52..26);
- for each person and block, d = the mean over the block's weeks with a score of (score in the
  week - score in week -1);
- the block's difference theta_b = the mean over participants of (d_i - m_s), m_s the mean d of
  the controls of participant i's matched set (the CEM weights are equal within a set);
- the influence function as in `design.callaway_santanna`, with matched sets in place of
  stacks: a participant (d_i - m_s - theta_b) / N_b, a control j of set s
  -(n_s / N_b) (d_j - m_s) / k_s (n_s participants and k_s controls of the set with a score in
  the block), summed per person (a pool member can serve in several stacks);
- V = G / (G - 1) sum_p psi_p psi_p' over the G persons, Wald W = theta' V^-1 theta, and
  F = W / K on (K, G - 1) degrees of freedom (K blocks).

A participant without a score in week -1 or in all the block's weeks, or whose set has no
control with one, leaves that block (counted in `n_participants` per block).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

BIN_WEEKS = 13


def blocks(lo: int, bin_weeks: int = BIN_WEEKS) -> np.ndarray:
    """Block index of each pre-period week lo..-2 (week -2 - k falls in block k // bin_weeks)."""
    weeks = np.arange(lo, -1)
    return (-2 - weeks) // max(int(bin_weeks), 1)


def set_differences(participants, pool, m, lo: int, bin_weeks: int = BIN_WEEKS) -> dict:
    """Per matched unit (participants first within each stack, then controls): the block means d
    (units x K), the person key (participant row, or len(participants) + pool row), the matched
    set (a number unique across stacks) and whether the unit is a participant."""
    weeks = np.arange(lo, -1)
    block = blocks(lo, bin_weeks)
    k = int(block.max()) + 1 if len(block) else 0
    n_part = len(participants)
    d_all, person, sets, treated = [], [], [], []
    set0 = 0
    for s in m.stacks:
        if s.strata_c is None:
            raise ValueError("the placebo test needs the controls' strata (design.match)")
        cols = s.week + weeks
        inside = (cols >= 0) & (cols < participants.score.shape[1])
        for cohort, rows, strata, key0, is_t in (
            (participants, s.treated, s.strata_t, 0, True),
            (pool, s.controls, s.strata_c, n_part, False),
        ):
            base = cohort.score[rows, s.week - 1].astype(float)
            y = np.full((len(rows), len(weeks)), np.nan)
            y[:, inside] = cohort.score[rows][:, cols[inside]]
            diff = y - base[:, None]
            d = np.full((len(rows), k), np.nan)
            for b in range(k):
                part = diff[:, block == b]
                n = np.sum(~np.isnan(part), axis=1)
                total = np.nansum(part, axis=1)
                d[:, b] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
            d_all.append(d)
            person.append(key0 + np.asarray(rows, dtype=np.int64))
            sets.append(set0 + np.asarray(strata, dtype=np.int64))
            treated.append(np.full(len(rows), is_t))
        n_sets = 1 + max(int(np.max(s.strata_t, initial=-1)), int(np.max(s.strata_c, initial=-1)))
        set0 += n_sets
    if not d_all:
        return {
            "d": np.zeros((0, k)),
            "person": np.zeros(0, np.int64),
            "set": np.zeros(0, np.int64),
            "treated": np.zeros(0, bool),
        }
    return {
        "d": np.concatenate(d_all),
        "person": np.concatenate(person),
        "set": np.concatenate(sets),
        "treated": np.concatenate(treated),
    }


def block_test(d: np.ndarray, person: np.ndarray, sets: np.ndarray, treated: np.ndarray) -> dict:
    """The matched-set differences per block, their covariance and the F test (module doc)."""
    k = d.shape[1]
    _, pcode = np.unique(person, return_inverse=True)
    _, scode = np.unique(sets, return_inverse=True)
    n_p, n_s = int(pcode.max(initial=-1)) + 1, int(scode.max(initial=-1)) + 1
    theta = np.full(k, np.nan)
    psi = np.zeros((n_p, k))
    n_used = np.zeros(k, dtype=np.int64)
    used = np.zeros(n_p, dtype=bool)
    for b in range(k):
        ok = ~np.isnan(d[:, b])
        t, c = ok & treated, ok & ~treated
        k_s = np.bincount(scode[c], minlength=n_s)
        m_s = np.bincount(scode[c], weights=d[c, b], minlength=n_s) / np.maximum(k_s, 1)
        t &= k_s[scode] > 0
        n_s_t = np.bincount(scode[t], minlength=n_s)
        c &= n_s_t[scode] > 0
        n = int(t.sum())
        n_used[b] = n
        if n == 0:
            continue
        gap = d[t, b] - m_s[scode[t]]
        theta[b] = float(gap.mean())
        contrib = np.zeros(len(d))
        contrib[t] = (gap - theta[b]) / n
        contrib[c] = -(n_s_t[scode[c]] / n) * (d[c, b] - m_s[scode[c]]) / k_s[scode[c]]
        psi[:, b] = np.bincount(pcode, weights=contrib, minlength=n_p)
        used[pcode[t | c]] = True
    g = int(used.sum())
    keep = n_used > 0
    q = int(keep.sum())
    if q == 0 or g < 2:
        return {"n_blocks": k, "F": np.nan, "p_value": np.nan, "differences": theta}
    vcov = g / (g - 1) * (psi[:, keep].T @ psi[:, keep])
    th = theta[keep]
    wald = float(th @ np.linalg.pinv(vcov) @ th)
    f = wald / q
    se = np.full(k, np.nan)
    se[keep] = np.sqrt(np.diag(vcov))
    return {
        "n_blocks": q,
        "F": f,
        "df_num": q,
        "df_den": g - 1,
        "p_value": float(stats.f.sf(f, q, g - 1)),
        "differences": theta,
        "std_errors": se,
        "n_participants": n_used,
        "clusters": g,
    }


def placebo_test(participants, pool, m, params: dict) -> dict:
    """The published placebo test: blocks of `placebo_bin_weeks` weeks before the course
    (default 13), participants against the controls of their own matched set."""
    lo = params["event_window"][0]
    bin_weeks = int(params.get("placebo_bin_weeks") or BIN_WEEKS)
    parts = set_differences(participants, pool, m, lo, bin_weeks)
    out = block_test(parts["d"], parts["person"], parts["set"], parts["treated"])
    out["bin_weeks"] = bin_weeks
    out["first_week"] = int(lo)
    return out
