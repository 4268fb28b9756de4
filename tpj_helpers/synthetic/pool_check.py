"""How close an exact-matching design on the demo pool comes to the generator's true effect.

    python -m tpj_helpers.synthetic.pool_check [DATA_DIR]      # default: a fresh demo at seed 2025

A diagnostic of the synthetic comparison pool, not the effect design (that is
`tpj_helpers.analysis.effect`): each participant of the register sample is compared with the pool
members at risk at its hold (on a qualifying benefit in week -1) whose history covariates are
exactly its own (hold, scores at weeks -1, -4, -13, -26, -52, benefit category at week -1, weeks on
a qualifying benefit in the last 52 and 104); the ATT at week t is the mean over matched
participants of their score minus the mean score of their matched pool members (scores at week -1
are equal by the matching, so this is also the difference in differences). It is shown for all pool
members and by kind of member: the participants' own twins (the same would-be start), twins of
other holds and others. The kinds are rebuilt by generating the pool again from the SYNTHETIC
marker's seed (never written to the data folder).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tpj_helpers.data import cohort, comparison, dream, sources
from tpj_helpers.synthetic.marker import marker_info

KEYS = [
    "hold_id",
    "score_m1",
    "score_m4",
    "score_m13",
    "score_m26",
    "score_m52",
    "category_m1",
    "weeks_on_benefit_52",
    "weeks_on_benefit_104",
]


def _kinds(data_dir: Path, info: dict) -> pd.DataFrame:
    from tpj_helpers.synthetic.cohort import make_cohort
    from tpj_helpers.synthetic.comparison import make_comparison, pool_spec
    from tpj_helpers.synthetic.generate import load_calibration

    cal = load_calibration()
    persons = make_cohort(cal, np.random.default_rng(info["seed"]), info["scale"]).persons
    c = info["comparison"]
    spec = pool_spec(
        cal, int(persons["consent_register"].sum()), size=c["persons"], true_effect=c["true_effect"]
    )
    truth: list = []
    with tempfile.TemporaryDirectory() as tmp:
        make_comparison(cal, persons, Path(tmp), info["seed"], spec, truth=truth)
    return pd.concat(truth, ignore_index=True)


def exact_match_att(data_dir: Path | str) -> pd.DataFrame:
    """ATT at week 26 and averaged over weeks 0..26 by kind of pool member (see the docstring)."""
    data_dir = Path(data_dir)
    holds = sources.load_holds(data_dir)
    persons = cohort.build_persons(
        holds, sources.load_enrolments(data_dir, holds), sources.load_registrations(data_dir)
    )
    ext = dream.read_dream(data_dir)
    pool = comparison.read_pool(
        data_dir, participant_ids=persons["person_id"], week_monday=ext.week_monday
    )
    parts = comparison.participant_history(ext)
    info = persons.set_index("person_id")
    rows = np.flatnonzero(
        np.isin(parts.person_id, info.index[info["consent_register"].astype(bool)])
    )
    p = info.loc[parts.person_id[rows]]
    start = parts.week_index(p["start_date"])
    pc = comparison.history_covariates(parts, start, rows).assign(
        hold_id=p["hold_id"].to_numpy(), row=rows, start_idx=start
    )
    pc = pc[pc["qualifying_m1"]]
    held = holds[holds["status"] == "afholdt"][["hold_id", "start_date"]]
    rs = comparison.risk_sets(pool.scores, held)
    kinds = _kinds(data_dir, marker_info(data_dir)).set_index("person_id")
    k = kinds.loc[pool.scores.person_id[rs["row"].to_numpy()]]
    hold_start = pd.to_datetime(
        rs["hold_id"].astype(str).map(held.set_index("hold_id")["start_date"])
    )
    own = k["twin"].to_numpy() & (
        pd.to_datetime(k["would_be_start"]).to_numpy() == hold_start.to_numpy()
    )
    rs["kind"] = np.where(
        ~k["twin"].to_numpy(), "others", np.where(own, "own twins", "twins of other holds")
    )
    for col in KEYS:
        pc[col] = pc[col].astype(str)
        rs[col] = rs[col].astype(str)
    W = len(ext.week_monday)

    def y(m, r, s, t):
        c = s + t
        ok = (c >= 0) & (c < W)
        v = np.full(len(r), np.nan)
        v[ok] = m.score[r[ok], c[ok]]
        v[v < 0] = np.nan
        return v

    out = []
    for kind in ("all", "own twins", "twins of other holds", "others"):
        sub = rs if kind == "all" else rs[rs["kind"] == kind]
        att = {}
        for t in range(27):  # 27 weeks
            a = pc.assign(y=y(parts, pc["row"].to_numpy(), pc["start_idx"].to_numpy(), t))
            b = sub.assign(
                y=y(pool.scores, sub["row"].to_numpy(), sub["start_idx"].to_numpy().astype(int), t)
            )
            cells = b.groupby(KEYS, observed=True)["y"].agg(["mean", "count"]).reset_index()
            mm = a.merge(cells, on=KEYS).dropna(subset=["y", "mean"])
            att[t] = ((mm["y"] - mm["mean"]).mean(), len(mm), int(mm["count"].sum()))
        out.append(
            {
                "pool members": kind,
                "att_26": att[26][0],
                "att_0_26": np.mean([v[0] for v in att.values()]),
                "participants matched at 26": att[26][1],
                "pool members in their cells": att[26][2],
            }
        )
    a26 = y(parts, pc["row"].to_numpy(), pc["start_idx"].to_numpy(), 26)
    a1 = y(parts, pc["row"].to_numpy(), pc["start_idx"].to_numpy(), -1)
    out.append(
        {
            "pool members": "none (before/after, week 26 - week -1)",
            "att_26": np.nanmean(a26) - np.nanmean(a1),
        }
    )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        data_dir = Path(argv[0])
    else:
        from tpj_helpers.synthetic.generate import generate_demo_data

        data_dir = generate_demo_data(Path(tempfile.mkdtemp()) / "demo", seed=2025)
    info = marker_info(data_dir).get("comparison", {})
    print(
        f"true effect: {info.get('true_att_26')} at week 26, {info.get('true_att_0_26')} over weeks 0..26"
    )
    print(exact_match_att(data_dir).round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
