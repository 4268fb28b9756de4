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
- the variance of theta from the matched sets as clusters (after Abadie & Spiess 2022, robust
  post-matching inference: clustered at the level of the match): a set contributes the sum of
  its participants' (d_i - m_s - theta_b) / N_b, the set's controls entering through m_s; sets
  that share a person (a pool member who controls in several stacks) are one cluster (connected
  components). Summing per person instead, with a term of its own for each control, counted the
  controls' noise twice (once inside d_i - m_s): with the median 2 controls a set and alike
  spreads, standard errors 8 % too large (SD / mean SE 0.89-1.07 per block over 90 null data
  sets, 2.2 % rejections);
- V = C / (C - 1) sum_c psi_c psi_c' over the C clusters, Wald W = theta' V^-1 theta, and
  Hotelling's small-sample form F = W (C - K) / (K (C - 1)) on (K, C - K) degrees of freedom
  (K blocks); with sets of one participant and one control each this is exactly Hotelling's T^2
  test of the mean pair difference.

A participant without a score in week -1 or in all the block's weeks, or whose set has no
control with one, leaves that block (counted in `n_participants` per block).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components

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


def components(person: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """The cluster of each unit: matched sets linked by a person they share (a pool member who
    controls in several stacks) form one cluster (connected components of the persons-sets
    graph)."""
    _, pcode = np.unique(person, return_inverse=True)
    _, scode = np.unique(sets, return_inverse=True)
    n_p, n_s = int(pcode.max(initial=-1)) + 1, int(scode.max(initial=-1)) + 1
    graph = sparse.coo_matrix(
        (np.ones(len(pcode)), (pcode, n_p + scode)), shape=(n_p + n_s, n_p + n_s)
    )
    _, label = connected_components(graph, directed=False)
    return label[n_p + scode]


def block_test(d: np.ndarray, person: np.ndarray, sets: np.ndarray, treated: np.ndarray) -> dict:
    """The matched-set differences per block, their covariance and the F test (module doc)."""
    k = d.shape[1]
    _, scode = np.unique(sets, return_inverse=True)
    n_s = int(scode.max(initial=-1)) + 1
    _, ccode = np.unique(components(person, sets), return_inverse=True)
    n_c = int(ccode.max(initial=-1)) + 1
    theta = np.full(k, np.nan)
    psi = np.zeros((n_c, k))
    n_used = np.zeros(k, dtype=np.int64)
    used = np.zeros(n_c, dtype=bool)
    for b in range(k):
        ok = ~np.isnan(d[:, b])
        t, c = ok & treated, ok & ~treated
        k_s = np.bincount(scode[c], minlength=n_s)
        m_s = np.bincount(scode[c], weights=d[c, b], minlength=n_s) / np.maximum(k_s, 1)
        t &= k_s[scode] > 0
        n = int(t.sum())
        n_used[b] = n
        if n == 0:
            continue
        gap = d[t, b] - m_s[scode[t]]
        theta[b] = float(gap.mean())
        psi[:, b] = np.bincount(ccode[t], weights=(gap - theta[b]) / n, minlength=n_c)
        used[ccode[t]] = True
    g = int(used.sum())
    keep = n_used > 0
    q = int(keep.sum())
    if q == 0 or g <= q:
        return {"n_blocks": q, "F": np.nan, "p_value": np.nan, "differences": theta, "clusters": g}
    vcov = g / (g - 1) * (psi[:, keep].T @ psi[:, keep])
    th = theta[keep]
    wald = float(th @ np.linalg.pinv(vcov) @ th)
    f = wald * (g - q) / (q * (g - 1))
    se = np.full(k, np.nan)
    se[keep] = np.sqrt(np.diag(vcov))
    return {
        "n_blocks": q,
        "F": f,
        "df_num": q,
        "df_den": g - q,
        "p_value": float(stats.f.sf(f, q, g - q)),
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
