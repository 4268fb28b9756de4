"""The effect chapter's placebo test at several block widths, on simulated data (not a timed test).

For each data set of `effect.simulate` (scenario `--scenario`, design overrides `--design`) the
matching is run once and `pretrend.placebo_test` at each width in `--widths` (weeks per block of
the pre-period; 51 = one block of weeks -52..-2). No event study is fitted, so a replication costs
the simulation and the matching only. Reported per width: the rate of p < 0.05 and p < 0.10 and,
per block, the standard deviation of the block's difference over the data sets divided by its
mean standard error (1 when the standard errors are right).

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

from tpj_helpers.analysis.effect import design, pretrend, simulate  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"


def one(seed: int, scenario: str, design_params: dict, widths: list[int]) -> dict:
    part, pool, _ = simulate.simulate(seed, **simulate.SCENARIOS[scenario])
    params = {**design.DEFAULTS, **simulate.SIM_DESIGN, **design_params}
    m = design.match(part, pool, params)
    out = {"seed": seed}
    for w in widths:
        r = pretrend.placebo_test(part, pool, m, {**params, "placebo_bin_weeks": w})
        out[w] = {k: r.get(k) for k in ("p_value", "differences", "std_errors", "n_blocks")}
    return out


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
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    widths = [int(x) for x in args.widths.split(",")]
    design_params = json.loads(args.design)
    name = "_".join(x for x in ("placebo_blocks", args.scenario, args.tag) if x)
    path = OUT / f"{name}.json"
    rows, t0, cpu0 = [], time.perf_counter(), time.process_time()
    for i in range(args.reps):
        rows.append(one(args.first_seed + i, args.scenario, design_params, widths))
        if (i + 1) % args.every == 0 or i + 1 == args.reps:
            result = {
                "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/placebo_blocks.py "
                f"--scenario {args.scenario} "
                + (f"--design '{args.design}' " if design_params else "")
                + (f"--tag {args.tag} " if args.tag else "")
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
