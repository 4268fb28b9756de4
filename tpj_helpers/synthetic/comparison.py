"""Synthetic comparison pool (`comparison/`, data contract section 7) with a known course effect.

Why a pool with a known truth: participants enrol at the bottom of a dip in their employment score,
so their scores rise afterwards without any course (mean reversion). A design that matches them to
non-participants with the same benefit history can separate the course's effect from the
reversion only if the pool holds people with the same kind of dip. The demo pool is built so that
the answer is known: a matched design should recover `true_effect`, a before/after change should not.

Construction (the participants' own files are not touched: same seed, same bytes):

* **Twins** (share `twin_share` of the pool). Each twin takes the attributes of a participant of the
  register sample drawn at random (gender, visitation, status, municipality, birth year +-2) and that
  participant's hold start as its own "would-be start". Its benefit history comes from the same
  anchor-state process as the participants' (`tpj_helpers.synthetic.dream`): an AR(1) latent
  "closeness to work" over the anchors -26, -1, after the course and 26 with the same subgroup
  shifts, states handed out by rank of the latent over the same calibrated distributions (Tabel 6,
  completers; the withdrawn mixture for withdrawn), and the same switch weeks between anchors. So a
  twin has the same dip as a participant, and given its pre-period history (scores at weeks -52 ..
  -1, weeks on benefit) its post-period path has the law of a participant's, with one difference:
  the course is missing. From week 0 on, a twin's score is lowered by D(t) points, where D(t) is
  floor(e(t)) plus 1 when a per-person uniform is below the fraction of e(t) (the same uniform for
  all weeks, so a twin "misses" the course for good), floored at 0, and
  e(t) = true_effect * min(1, (t + 1) / n_weeks): ramping in over the course, full from week
  n_weeks on. Hence E[participant score - matched twin score | history] = e(t): the true effect
  on the treated at week t is e(t), at week 26 and averaged over weeks 0..26 it is `true_effect`
  (up to the ramp: the average over 0..26 is slightly smaller, see `true_att_0_26`).
  Outside weeks -104..26 of its would-be start (`TWIN_WINDOW`) a twin has no state (no benefit
  code, no employment: out of the register's view), so that its long flat pre-course history
  belongs to that one start: seen from a later hold its weeks on benefit in the last 104 fall
  short of a participant's, and after week 26 it is in no risk set at all.
* **Others** (the rest of the pool): persons in sticky benefit spells without any selection, each
  week a new spell starts with probability `weekly_switch`, its state drawn from `state_weights`:
  work-like states, dagpenge, pension, never a qualifying benefit (scores 1-3 have weight 0). They
  have no dip at any hold start, and they are never in a risk set (on a qualifying benefit in
  week -1), so they never stand in for a participant whose history was flat.

What the truth covers, and what it does not. Against its own twins (same hold, same history) a
participant's counterfactual is exact: E[participant - twin | history] = e(t) (tested in
`tests/test_comparison_pool.py`). A design that matches on benefit history can also find twins of
other holds with the same coarsened history (a twin is flat on its pre-course benefit for up to
78 weeks, so seen from an earlier hold it can look like a participant whose history was flat).
Their post-period path is not exactly the participants' minus e(t), because the participant
generator (calibrated to Tabel 6, kept byte-identical) lets participants whose history was flat
rise after the course start by a latent that the history does not show. An earlier version of
this pool (others on qualifying spells, twins in spells outside their window) let such members
dominate the matched cells: on the demo the design gave att_0_26 0.105 [-0.18; 0.39] against a
truth of 0.443. With the others never at risk and the twins out of view outside their window,
the design's intervals on the demo cover both true values (`tests/test_effect_demo_truth.py`);
the remaining contamination by twins of other holds pulls the week-26 estimate up: 0.90 [0.39;
1.42] at seed 2025. Measured over many seeds (`benchmarks/effect_validation.py --scenario demo`,
`effect.demo_sim`), the design's week-26 ATT is biased by about +0.37 and its interval covers 0.5
in about 72 % of data sets; with a true effect of 0 (`--scenario demo_null`) it is called
significant in most. The cause is the pool, not the coarse bins: 60-69 % of the matched
controls' weight (mean over 30-40 seeds) falls on twins of other holds, at seed 2025 mostly of
later holds, whose history at the earlier hold is the participants' (flat since the extract's
first week, as the participant generator has it) but whose next 26 weeks are flat or falling,
where the participants' are rising. Exact score bins
leave the bias about where it is; the same design with each hold's risk set cut down to its own
twins (`demo_sim.oracle_match`, which uses the would-be start the data do not show) is unbiased
within Monte Carlo error. In this pool the course start is an unobserved confounder, which no
matching on history can remove; a pool that identifies its truth needs participants whose
pre-course history is not flat back to the extract's start (the participant generator,
`synthetic/dream.py`, calibrated and kept byte-identical here). `python -m
tpj_helpers.synthetic.pool_check` shows the ATT by kind of pool member. The design's validation by
simulation uses its own simulated population with a selection process (`effect.simulate`); the
demo pool is for running the chapter end to end with a known target.

Scores become weekly benefit codes through `params/dream_score_map.csv` as for the participants
(one code per score per person; score 10 mostly ordinary employment, i.e. no code and `grad` > 0;
score 9 fleksjob with `grad` 0.2-0.5). Person ids are `K` + seven digits (the participants' are
`TPJ` + six): they never collide. Rows are shuffled within each batch, so the order gives nothing away.

Scale: the pool is generated and written in batches of `BATCH` persons (a fixed size, so the data
do not depend on memory), CSV (the demo) or Parquet (large pools: `pool_format="parquet"`, week
columns as nullable int16 codes, grad as nullable float32); memory stays at one batch's wide
frame whatever the pool size. A pool of 1,000,000 persons x 161 weeks is what
`benchmarks/bench_comparison_pool.py` reads.

Random numbers come from their own stream (`SeedSequence([seed, 14, batch])`), never from the
participants' generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tpj_helpers.data.dream import load_score_map
from tpj_helpers.synthetic.cohort import AGE_RANGES, iso_monday
from tpj_helpers.synthetic.dream import (
    NONE,
    _assign,
    _codes_by_score,
    _distribution,
    _latent,
)

BATCH = 50_000
BACKGROUND = ("gender", "birth_year", "kommune")  # written; `would_be_start` is not
TWIN_WINDOW = (
    -104,
    26,
)  # weeks around the would-be start where a twin follows the participants' process
STREAM = 14  # the pool's random stream: SeedSequence([seed, STREAM, batch index])

# Municipality -> region for the municipalities of the synthetic data (the pool carries `region`).
REGIONS = {
    "Nordjylland": [
        "Aalborg",
        "Frederikshavn",
        "Hjørring",
        "Thisted",
        "Mariagerfjord",
        "Rebild",
        "Jammerbugt",
        "Brønderslev",
        "Vesthimmerland",
    ],
    "Midtjylland": [
        "Viborg",
        "Silkeborg",
        "Aarhus",
        "Horsens",
        "Randers",
        "Herning",
        "Skive",
        "Ringkøbing-Skjern",
    ],
    "Syddanmark": ["Esbjerg", "Odense", "Vejle", "Kolding", "Svendborg", "Sønderborg"],
    "Sjælland": [
        "Stevns",
        "Holbæk",
        "Næstved",
        "Roskilde",
        "Slagelse",
        "Guldborgsund",
        "Lolland",
        "Faxe",
        "Køge",
        "Kalundborg",
    ],
    "Hovedstaden": ["København"],
}
REGION_OF = {k: r for r, ks in REGIONS.items() for k in ks}


@dataclass
class PoolSpec:
    """What the pool is made of (defaults from `calibration.yaml`, section `comparison`)."""

    size: int
    twin_share: float
    true_effect: float
    weekly_switch: float
    state_weights: dict[int, float]
    women_share: float
    pool_format: str = "csv"


def true_effect_path(true_effect: float, n_weeks, week_rel) -> np.ndarray:
    """e(t): 0 before week 0, ramping in over the course, `true_effect` from week n_weeks on
    (arrays broadcast: e.g. n_weeks (m, 1) against week_rel (m, W))."""
    t = np.asarray(week_rel, dtype=float)
    n = np.maximum(np.asarray(n_weeks, dtype=float), 1)
    return np.where(t < 0, 0.0, true_effect * np.minimum(1.0, (t + 1) / n))


def true_att_0_26(true_effect: float, n_weeks: np.ndarray) -> float:
    """The true average effect over weeks 0..26, averaged over the participants' course lengths."""
    weeks = np.arange(27)
    return float(np.mean([true_effect_path(true_effect, int(n), weeks).mean() for n in n_weeks]))


def _grad(
    state: np.ndarray, codes: np.ndarray, mondays: pd.DatetimeIndex, rng
) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Employment degree per month, as for the participants (score 10 without a code, score 9)."""
    thursday_month = (mondays + pd.Timedelta(days=3)).to_period("M")
    months = pd.period_range(thursday_month[0], thursday_month[-1], freq="M")
    month_idx = np.searchsorted(months.to_timestamp(), thursday_month.to_timestamp())
    starts = np.flatnonzero(np.r_[True, np.diff(month_idx) != 0])
    works = (state == 10) & (codes < 0)
    grad = np.full((len(state), len(months)), np.nan, dtype=np.float32)
    m_work = np.logical_or.reduceat(works, starts, axis=1)
    m_flex = np.logical_or.reduceat(state == 9, starts, axis=1)
    grad[m_flex] = rng.uniform(0.2, 0.5, m_flex.sum()).round(2)
    grad[m_work] = rng.uniform(0.4, 1.0, m_work.sum()).round(2)
    return grad, months


def _twins(
    cal: dict,
    source: pd.DataFrame,
    m: int,
    spec: PoolSpec,
    first: pd.Timestamp,
    W: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """m twins: attributes (with the would-be start, not written) and the (m, W) score matrix."""
    pick = rng.integers(0, len(source), m)
    people = source.iloc[pick].reset_index(drop=True)
    start_idx = ((people["start_date"] - first).dt.days // 7).to_numpy()
    after = people["n_weeks"].to_numpy()
    z = _latent(cal, people, rng)
    states = np.full((m, 4), NONE, dtype=np.int8)
    everyone = np.ones(m, dtype=bool)
    for status in ("gennemført", "afmeldt"):
        grp = np.flatnonzero((people["status"] == status).to_numpy())
        if not len(grp):
            continue
        dist = _distribution(cal, status)
        for a in range(4):  # four anchors
            states[grp, a] = _assign(z[grp, a], everyone[grp], dist[a], rng)
    tau = np.stack(
        [rng.integers(-25, 0, m), rng.integers(0, after + 1), rng.integers(after + 1, 27)], axis=1
    )
    week_rel = np.arange(W)[None, :] - start_idx[:, None]
    state = np.repeat(states[:, :1], W, axis=1)
    for k in range(3):  # three switches
        state = np.where(week_rel >= tau[:, k : k + 1], states[:, k + 1 : k + 2], state)
    # The missing course: from week 0 the score is lower by D(t), mean e(t).
    e = true_effect_path(spec.true_effect, after[:, None], week_rel)
    u = rng.random(m)[:, None]
    drop = np.floor(e) + (u < e - np.floor(e))
    state = np.where(state >= 0, np.maximum(state - drop, 0), state).astype(np.int8)
    # Far from the would-be start the twin is out of the register's view (no code, no
    # employment): its flat history is no more than its window (weeks -104..26) wide.
    far = (week_rel < TWIN_WINDOW[0]) | (week_rel > TWIN_WINDOW[1])
    state = np.where(far, NONE, state).astype(np.int8)
    age = people["start_date"].dt.year.to_numpy() - people["birth_year"].astype(float).to_numpy()
    attrs = pd.DataFrame(
        {
            "gender": people["gender"].astype(str).to_numpy(),
            "birth_year": (
                people["start_date"].dt.year.to_numpy() - age + rng.integers(-2, 3, m)
            ).astype(int),
            "kommune": people["kommune"].astype(str).to_numpy(),
            "would_be_start": people["start_date"].to_numpy(),
        }
    )
    return attrs, state


def _spells(m: int, W: int, spec: PoolSpec, rng: np.random.Generator) -> np.ndarray:
    """(m, W) scores of sticky benefit spells: a new spell each week with probability
    `weekly_switch`, its state drawn from `state_weights`."""
    scores = np.array(list(spec.state_weights), dtype=np.int8)
    w = np.array(list(spec.state_weights.values()), dtype=float)
    switch = rng.random((m, W)) < spec.weekly_switch
    switch[:, 0] = False
    spell = np.cumsum(switch, axis=1)
    draws = rng.choice(scores, size=(m, W), p=w / w.sum())
    return np.take_along_axis(draws, spell, axis=1).astype(np.int8)


def _others(
    cal: dict, m: int, spec: PoolSpec, W: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """m persons in sticky benefit spells without a dip: attributes and (m, W) scores."""
    state = _spells(m, W, spec, rng)
    muni = cal["municipalities"]
    names = np.array(muni["pilot"] + muni["udbredelse_only"])
    kw = 1.0 / np.arange(1, len(names) + 1) ** muni["zipf_exponent"]
    lo, hi = min(r[0] for r in AGE_RANGES.values()), max(r[1] for r in AGE_RANGES.values())
    year = int(cal["data_period"]["first_iso_week"][:4])
    attrs = pd.DataFrame(
        {
            "gender": np.where(rng.random(m) < spec.women_share, "kvinde", "mand"),
            "birth_year": year - rng.integers(lo, hi + 1, m),
            "kommune": rng.choice(names, size=m, p=kw / kw.sum()),
            "would_be_start": pd.NaT,
        }
    )
    return attrs, state


def _week_columns(mondays: pd.DatetimeIndex) -> list[str]:
    iso = mondays.isocalendar()
    return (
        "y_" + (iso["year"] % 100).astype(str).str.zfill(2) + iso["week"].astype(str).str.zfill(2)
    ).tolist()


def _write_batch(
    out: Path, ids, attrs, codes, grad, week_cols, grad_cols, fmt: str, writers: dict
) -> None:
    background = pd.DataFrame({"person_id": ids, **{c: attrs[c].to_numpy() for c in BACKGROUND}})
    background["region"] = background["kommune"].map(REGION_OF)
    first = not writers
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = {"person_id": pa.array(ids)}
        for j, c in enumerate(week_cols):
            cols[c] = pa.array(codes[:, j], mask=codes[:, j] < 0)
        for j, c in enumerate(grad_cols):
            cols[c] = pa.array(grad[:, j], mask=np.isnan(grad[:, j]))
        table = pa.table(cols)
        bg = pa.Table.from_pandas(background, preserve_index=False)
        if first:
            writers["dream"] = pq.ParquetWriter(out / "dream.parquet", table.schema)
            writers["background"] = pq.ParquetWriter(out / "background.parquet", bg.schema)
        writers["dream"].write_table(table)
        writers["background"].write_table(bg)
        return
    writers.setdefault("csv", True)
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
    mode = "w" if first else "a"
    wide.to_csv(out / "dream.csv", index=False, header=first, mode=mode, encoding="utf-8")
    background.to_csv(
        out / "background.csv", index=False, header=first, mode=mode, encoding="utf-8"
    )


def pool_spec(
    cal: dict,
    n_register: int,
    ratio: float | None = None,
    size: int | None = None,
    true_effect: float | None = None,
    pool_format: str = "csv",
) -> PoolSpec:
    c = cal["comparison"]
    ratio = c["ratio"] if ratio is None else ratio
    if size is None:
        size = round(ratio * n_register)
    if size < 0 or ratio < 0:
        raise ValueError("the comparison pool's size and ratio must not be negative")
    if pool_format not in ("csv", "parquet"):
        raise ValueError(f"pool format must be csv or parquet, not {pool_format!r}")
    return PoolSpec(
        size=int(size),
        twin_share=float(c["twin_share"]),
        true_effect=float(c["true_effect"] if true_effect is None else true_effect),
        weekly_switch=float(c["others"]["weekly_switch"]),
        state_weights={int(k): float(v) for k, v in c["others"]["state_weights"].items()},
        women_share=float(c["others"]["women_share"]),
        pool_format=pool_format,
    )


def make_comparison(
    cal: dict,
    persons: pd.DataFrame,
    out: Path,
    seed: int,
    spec: PoolSpec,
    score_map: pd.DataFrame | None = None,
    truth: list | None = None,
) -> dict:
    """Write `out/comparison/` (dream + background) and return what the SYNTHETIC marker records.

    `persons`: the cohort's persons table (the register sample, `consent_register`, is what the
    twins are drawn from). `truth`: when a list is given, a frame per batch with each pool person's
    id, whether a twin, and the would-be start is appended to it (for tests; never written to the
    data folder).
    """
    score_map = score_map if score_map is not None else load_score_map()
    folder = out / "comparison"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):  # a previous pool (csv or parquet) is replaced, not mixed
        if old.is_file():
            old.unlink()
    first = iso_monday(cal["data_period"]["first_iso_week"])
    last = iso_monday(cal["data_period"]["last_iso_week"])
    mondays = pd.date_range(first, last, freq="7D")
    W = len(mondays)
    week_cols = _week_columns(mondays)
    source = persons[persons["consent_register"]].reset_index(drop=True)
    n_twins = round(spec.size * spec.twin_share) if len(source) else 0
    writers: dict = {}
    employment_share = cal["register"]["employment_share_of_10"]
    grad_cols: list[str] = []
    for b, a in enumerate(range(0, spec.size, BATCH)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, STREAM, b]))
        m = min(BATCH, spec.size - a)
        mt = min(max(n_twins - a, 0), m)  # twins first in id space, shuffled below
        parts = []
        if mt:
            parts.append(_twins(cal, source, mt, spec, first, W, rng))
        if m - mt:
            parts.append(_others(cal, m - mt, spec, W, rng))
        attrs = pd.concat([p[0] for p in parts], ignore_index=True)
        state = np.concatenate([p[1] for p in parts])
        order = rng.permutation(m)
        attrs, state = attrs.iloc[order].reset_index(drop=True), state[order]
        code_of = _codes_by_score(score_map, m, rng)
        code_of[rng.random(m) < employment_share, 10] = -1
        safe = np.maximum(state, 0).astype(np.int64)
        codes = np.where(state >= 0, np.take_along_axis(code_of, safe, axis=1), -1).astype(np.int16)
        grad, months = _grad(state, codes, mondays, rng)
        grad_cols = [f"grad_{p.year}_{p.month:02d}" for p in months]
        ids = np.char.add("K", np.char.zfill(np.arange(a + 1, a + m + 1).astype(str), 7))
        _write_batch(
            folder, ids, attrs, codes, grad, week_cols, grad_cols, spec.pool_format, writers
        )
        if truth is not None:
            truth.append(
                pd.DataFrame(
                    {
                        "person_id": ids,
                        "twin": order < mt,
                        "would_be_start": attrs["would_be_start"].to_numpy(),
                    }
                )
            )
    for w in writers.values():
        if hasattr(w, "close"):
            w.close()
    ext = spec.pool_format
    return {
        "persons": spec.size,
        "twins": n_twins,
        "files": [f"comparison/dream.{ext}", f"comparison/background.{ext}"],
        "true_effect": spec.true_effect,
        "true_effect_ramp": "e(t) = true_effect * min(1, (t + 1) / n_weeks) from week 0",
        "true_att_26": spec.true_effect,
        "true_att_0_26": round(true_att_0_26(spec.true_effect, source["n_weeks"].to_numpy()), 6)
        if len(source)
        else spec.true_effect,
        "twin_share": spec.twin_share,
    }
