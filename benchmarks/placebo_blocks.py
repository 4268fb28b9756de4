"""The effect chapter's placebo test at several block widths, on simulated data (not a timed test).

For each data set of `effect.simulate` (scenario `--scenario`, design overrides `--design`) the
matching is run once and `pretrend.placebo_test` at each width in `--widths` (weeks per block of
the pre-period; 51 = one block of weeks -52..-2). No event study is fitted, so a replication costs
the simulation and the matching only. Reported per width: the rate of p < 0.05 and p < 0.10 and,
per block, the standard deviation of the block's difference over the data sets divided by its
mean standard error (1 when the standard errors are right). With `--weekly` the event study is
fitted too and its 51-week Wald test diagnosed (`weekly_diagnosis`): the spread of each week's
coefficient over its standard error, the rank of their covariance, the rejection rates.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/placebo_blocks.py --scenario null --reps 100
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/placebo_blocks.py --scenario null \
        --design '{"history_weeks": [-1]}' --tag unmatched_dip --reps 100

Results: `benchmarks/results/placebo_blocks_<scenario>[_<tag>].json`, written again every
`--every` replications.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from tpj_helpers.analysis.effect import design, pretrend, simulate  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def one(seed: int, scenario: str, design_params: dict, widths: list[int], weekly: bool) -> dict:
    part, pool, _ = simulate.simulate(seed, **simulate.SCENARIOS[scenario])
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN, **design_params}
    m = design.match(part, pool, params)
    out = {"seed": seed}
    for w in widths:
        r = pretrend.placebo_test(part, pool, m, {**params, "placebo_bin_weeks": w})
        out[w] = {k: r.get(k) for k in ("p_value", "differences", "std_errors", "n_blocks")}
    if weekly:
        out["weekly"] = weekly_diagnosis(part, pool, m, params)
    return out


def weekly_diagnosis(part, pool, m, params: dict) -> dict:
    """The event study's pre-period coefficients (the test the block test replaced): estimates,
    standard errors, the numerical rank of their covariance, the 51-week Wald test with G - 1 and
    with participants - 1 denominator df, and the same coefficients averaged over 13-week
    blocks."""
    df = design.stacked_panel(part, pool, m, params)
    es, vcov, g = design.event_study(df, params)
    weeks = es["week"].to_numpy()
    pre = weeks < -1
    b, v = es["estimate"].to_numpy()[pre], vcov[np.ix_(pre, pre)]
    q = int(pre.sum())
    wald = float(b @ np.linalg.pinv(v) @ b)
    n_t = int(df.loc[df["treat"] == 1, "person"].nunique())
    block = pretrend.blocks(params["event_window"][0], pretrend.BIN_WEEKS)
    r = np.array([(block == k) / np.sum(block == k) for k in range(block.max() + 1)])
    rb = r @ b
    wald_b = float(rb @ np.linalg.pinv(r @ v @ r.T) @ rb)
    return {
        "weeks": weeks.tolist(),
        "estimate": es["estimate"].tolist(),
        "std_error": es["std_error"].tolist(),
        "rank": int(np.linalg.matrix_rank(v)),
        "p_g": float(stats.f.sf(wald / q, q, g - 1)),
        "p_participants": float(stats.f.sf(wald / q, q, n_t - 1)),
        "p_blocks_of_coefficients": float(stats.f.sf(wald_b / len(r), len(r), g - 1)),
    }


def summarise(rows: list[dict], widths: list[int]) -> dict:
    out = {}
    for w in widths:
        p = np.array([r[w]["p_value"] for r in rows], dtype=float)
        th = np.array([r[w]["differences"] for r in rows], dtype=float)
        se = np.array([r[w]["std_errors"] for r in rows], dtype=float)
        out[str(w)] = {
            "blocks": int(rows[0][w]["n_blocks"]),
            "rejection_rate_05": float(np.mean(p < 0.05)),
            "rejection_rate_10": float(np.mean(p < 0.10)),
            "sd_over_mean_se": [round(float(x), 3) for x in th.std(axis=0) / se.mean(axis=0)],
        }
    if rows and "weekly" in rows[0]:
        wk = [r["weekly"] for r in rows]
        weeks = np.array(wk[0]["weeks"])
        ratio = np.array([x["estimate"] for x in wk]).std(axis=0) / np.array(
            [x["std_error"] for x in wk]
        ).mean(axis=0)
        matched = np.isin(weeks, [-4, -13, -26, -52])
        between = (weeks < -1) & ~matched
        rate = lambda key: float(np.mean([x[key] < 0.05 for x in wk]))  # noqa: E731
        out["event_study_weeks"] = {
            "sd_over_mean_se_matched_weeks": [round(float(x), 3) for x in ratio[matched]],
            "sd_over_mean_se_other_pre_weeks": {
                "min": round(float(ratio[between].min()), 3),
                "median": round(float(np.median(ratio[between])), 3),
                "max": round(float(ratio[between].max()), 3),
            },
            "sd_over_mean_se_post_weeks": [
                round(float(ratio[weeks >= 0].min()), 3),
                round(float(ratio[weeks >= 0].max()), 3),
            ],
            "pre_covariance_rank": [
                int(min(x["rank"] for x in wk)),
                int(max(x["rank"] for x in wk)),
            ],
            "rejection_rate_wald_51_weeks_g": rate("p_g"),
            "rejection_rate_wald_51_weeks_participants": rate("p_participants"),
            "rejection_rate_coefficients_in_13_week_blocks": rate("p_blocks_of_coefficients"),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="null", choices=list(simulate.SCENARIOS))
    ap.add_argument("--design", default="{}", help="design parameters as JSON")
    ap.add_argument("--widths", default="4,13,26,51")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--tag", default="")
    ap.add_argument(
        "--weekly",
        action="store_true",
        help="also fit the event study and diagnose its 51-week Wald test (slower)",
    )
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    widths = [int(x) for x in args.widths.split(",")]
    design_params = json.loads(args.design)
    name = "_".join(x for x in ("placebo_blocks", args.scenario, args.tag) if x)
    path = OUT / f"{name}.json"
    rows, t0, cpu0 = [], time.perf_counter(), time.process_time()
    for i in range(args.reps):
        rows.append(one(args.first_seed + i, args.scenario, design_params, widths, args.weekly))
        if (i + 1) % args.every == 0 or i + 1 == args.reps:
            result = {
                "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/placebo_blocks.py "
                f"--scenario {args.scenario} "
                + (f"--design '{args.design}' " if design_params else "")
                + (f"--tag {args.tag} " if args.tag else "")
                + ("--weekly " if args.weekly else "")
                + f"--widths {args.widths} --reps {args.reps} --first-seed {args.first_seed}",
                "replications": i + 1,
                "complete": i + 1 == args.reps,
                "by_width": summarise(rows, widths),
                "wall_seconds": round(time.perf_counter() - t0, 1),
                "cpu_seconds_per_replication": round((time.process_time() - cpu0) / (i + 1), 3),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, indent=2) + "\n")
            print(f"{i + 1} reps", json.dumps(result["by_width"]), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
