"""Validation of the effect design by simulation (not a timed test).

Runs `tpj_helpers.analysis.effect.simulate` (selection into the course after a fall in the score,
sticky benefit spells, 30 staggered hold starts, a known additive effect) `--reps` times through
the whole design (coarsened exact matching, stacked event study with pyfixest, CR1 errors by
person) and reports the mean bias of the ATT at week 26, the coverage of its 95 % confidence
interval and the bias of the naive before/after change, with Monte Carlo standard errors.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/effect_validation.py --reps 1000

One core: BLAS threads are pinned to 1 (on a shared 2-core machine, threaded BLAS slows the
small matrix products of each replication down several times). Progress goes to stderr every
`--every` replications; results to `benchmarks/results/effect_validation.json` (or `--out`),
written again at every progress step so that an interrupted run keeps what it did. Two processes
over disjoint seeds (one per core) are pooled with `--combine a.json b.json`.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tpj_helpers.analysis.effect import simulate  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "effect_validation.json"


def combine(paths: list[Path]) -> dict:
    """Pool the summaries of runs over disjoint seeds (e.g. two processes, one per core): means
    weighted by replications, the pooled standard deviation of the ATT, coverage from counts."""
    runs = [json.loads(p.read_text()) for p in paths]
    s = [r["summary"] for r in runs]
    n = np.array([x["replications"] for x in s], dtype=float)
    total = n.sum()
    mean = lambda key: float((n * np.array([x[key] for x in s])).sum() / total)  # noqa: E731
    bias = mean("mean_bias")
    # pooled variance of the ATT errors around the overall mean
    ss = float(
        sum(
            (k - 1) * x["sd_att"] ** 2 + k * (x["mean_bias"] - bias) ** 2
            for k, x in zip(n, s, strict=True)
        )
    )
    sd = float(np.sqrt(ss / (total - 1)))
    covered = int(sum(x["covered"] for x in s))
    summary = {
        "replications": int(total),
        "true_effect": s[0]["true_effect"],
        "mean_att": mean("mean_att"),
        "mean_bias": bias,
        "mean_bias_mc_se": sd / float(np.sqrt(total)),
        "sd_att": sd,
        "mean_se": mean("mean_se"),
        "coverage_95": covered / total,
        "covered": covered,
        "coverage_mc_se": float(np.sqrt(0.95 * 0.05 / total)),
        "before_after_mean": mean("before_after_mean"),
        "before_after_bias": mean("before_after_bias"),
        "matched_share": mean("matched_share"),
    }
    return {
        "commands": [r["command"] for r in runs],
        "complete": all(r["complete"] for r in runs),
        "dgp": runs[0]["dgp"],
        "summary": summary,
        "goals": runs[0]["goals"],
        "passed": {
            "bias": bool(abs(bias) < 0.05),
            "coverage": bool(0.93 <= summary["coverage_95"] <= 0.97),
            "before_after": bool(summary["before_after_bias"] > 0.3),
        },
        "wall_seconds": [r["wall_seconds"] for r in runs],
        "cpu_seconds": float(sum(r["cpu_seconds"] for r in runs)),
        "cpu_seconds_per_replication": float(sum(r["cpu_seconds"] for r in runs) / total),
        "parts": [{"command": r["command"], "summary": r["summary"]} for r in runs],
        "machine": runs[0]["machine"],
        "numpy": runs[0]["numpy"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--effect", type=float, default=simulate.SIM_DEFAULTS["effect"])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        help="pool the JSON results of runs over disjoint seeds into --out, run nothing",
    )
    args = ap.parse_args(argv)
    if args.combine:
        result = combine(args.combine)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(result["summary"], indent=2), file=sys.stderr)
        return 0
    warnings.simplefilter("ignore")
    rows, t0 = [], time.perf_counter()
    cpu0 = time.process_time()
    for i in range(args.reps):
        rows.append(simulate.replicate(args.first_seed + i, effect=args.effect))
        if (i + 1) % args.every == 0 or i + 1 == args.reps:
            reps = pd.DataFrame(rows)
            summary = simulate.summarise(reps)
            result = {
                "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/effect_validation.py "
                f"--reps {args.reps} --first-seed {args.first_seed} --effect {args.effect}",
                "complete": i + 1 == args.reps,
                "dgp": {k: v for k, v in simulate.SIM_DEFAULTS.items() if k != "effect"}
                | {"effect": args.effect},
                "summary": summary,
                "goals": {
                    "abs_mean_bias_below": 0.05,
                    "coverage_between": [0.93, 0.97],
                    "before_after_bias_above": 0.3,
                },
                "passed": {
                    "bias": abs(summary["mean_bias"]) < 0.05,
                    "coverage": 0.93 <= summary["coverage_95"] <= 0.97,
                    "before_after": summary["before_after_bias"] > 0.3,
                },
                "wall_seconds": round(time.perf_counter() - t0, 1),
                "cpu_seconds": round(time.process_time() - cpu0, 1),
                "cpu_seconds_per_replication": round((time.process_time() - cpu0) / (i + 1), 3),
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "load_average_1min": round(os.getloadavg()[0], 2),
                },
                "numpy": np.__version__,
            }
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            print(
                f"{i + 1} reps: bias {summary['mean_bias']:+.4f} (MC se {summary['mean_bias_mc_se']:.4f}), "
                f"coverage {summary['coverage_95']:.3f}, before/after bias "
                f"{summary['before_after_bias']:+.3f}, {result['cpu_seconds_per_replication']} s cpu/rep",
                file=sys.stderr,
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
