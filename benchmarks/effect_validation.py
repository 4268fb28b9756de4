"""Validation of the effect design by simulation (not a timed test).

Runs `tpj_helpers.analysis.effect.simulate` (selection into the course after a fall in the score,
sticky benefit spells, 30 staggered hold starts, a known additive effect) `--reps` times through
the whole design (coarsened exact matching, stacked event study with pyfixest, CR1 errors by
person) and reports the mean bias of the ATT at week 26, the coverage of its 95 % confidence
interval and the bias of the naive before/after change, with Monte Carlo standard errors.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/effect_validation.py --reps 1000
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/effect_validation.py --scenario null --reps 200

Scenarios (`--scenario`): those of `simulate.SCENARIOS` (default: true effect 0,5; null: no
effect; growing: an effect growing in over 26 weeks to 1,0; subgroup: 1,0 for women and 0 for men;
observables: selection into the course also on weeks on benefit and the score a year before),
and `demo` / `demo_null`: the demo generator's participants and comparison pool at seed after
seed (`effect.demo_sim`), true effect 0,5 / 0. Every published effect row is measured (the event
study's ATT at week 26 and over weeks 0..26, the Callaway-Sant'Anna versions, the event-study
weeks) under `estimands`: bias, 95 % coverage, the rate of p < 0,05. `--design '{"key": value}'`
overrides design parameters (to compare designs on the same seeds); `--tag` names the output.

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

from tpj_helpers.analysis.effect import demo_sim, simulate  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "effect_validation.json"
DEMO = {"demo": 0.5, "demo_null": 0.0}  # demo-shaped scenarios and their true effect


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
    estimands = None
    tables = [p.with_suffix(".reps.csv") for p in paths]
    if all(t.exists() for t in tables):  # per-replication rows: every estimand pooled exactly
        estimands = simulate.summarise_all(pd.concat([pd.read_csv(t) for t in tables]))
    return {
        "commands": [r["command"] for r in runs],
        "scenario": runs[0].get("scenario", "default"),
        "design": runs[0].get("design", {}),
        "estimands": estimands,
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


def table(paths: list[Path]) -> str:
    """One row per results file and estimand: scenario, reps, truth, mean estimate, bias (MC se),
    coverage, rate of p < 0.05 (the rejection rate when the truth is 0)."""
    lines = [
        "| file | scenario | estimand | reps | truth | mean estimate | bias (MC se) | coverage | p < 0.05 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        r = json.loads(path.read_text())
        est = r.get("estimands") or {}
        oracle = " (oracle)" if r.get("dgp", {}).get("oracle") else ""
        for key, (_, label) in simulate.ESTIMANDS.items():
            if key not in est:
                continue
            e = est[key]
            lines.append(
                f"| {path.stem} | {r.get('scenario', 'default')}{oracle} | {label} | "
                f"{e['replications']} | {e['truth']:.3f} | {e['mean_estimate']:.3f} | "
                f"{e['bias']:+.3f} ({e['bias_mc_se']:.3f}) | {e['coverage_95']:.1%} | "
                f"{e['rejection_rate']:.1%} |"
            )
        w = est.get("event_study_weeks")
        if w:
            lines.append(
                f"| {path.stem} | {r.get('scenario', 'default')}{oracle} | event-study weeks 0-26 "
                f"(coverage) / weeks -52..-2 (p < 0.05) / placebo F (p < 0.05) | "
                f"{est['att']['replications']} | | | | {w['post_weeks_coverage_95']:.1%} | "
                f"{w['pre_weeks_rejection_rate']:.1%} / {w['placebo_rejection_rate']:.1%} |"
            )
        if w and "placebo_weekly_rejection_rate" in w:
            lines.append(
                f"| {path.stem} | {r.get('scenario', 'default')}{oracle} | placebo: matched sets, "
                f"13-week blocks / 51-week Wald test (p < 0.05) | {est['att']['replications']} "
                f"| | | | | {w['placebo_rejection_rate']:.1%} / "
                f"{w['placebo_weekly_rejection_rate']:.1%} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--effect", type=float, default=None, help="overrides the scenario's effect")
    ap.add_argument("--scenario", default="default", choices=[*simulate.SCENARIOS, *DEMO])
    ap.add_argument("--design", default="{}", help="design parameters as JSON")
    ap.add_argument("--tag", default="", help="suffix of the output file")
    ap.add_argument(
        "--oracle",
        action="store_true",
        help="demo scenarios: risk sets cut down to each hold's own twins (effect.demo_sim)",
    )
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        help="pool the JSON results of runs over disjoint seeds into --out, run nothing",
    )
    ap.add_argument(
        "--table",
        type=Path,
        nargs="+",
        help="print a Markdown table of these results files (every estimand), run nothing",
    )
    args = ap.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    if args.combine:
        result = combine(args.combine)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps(result["summary"], indent=2), file=sys.stderr)
        return 0
    warnings.simplefilter("ignore")
    design_params = json.loads(args.design)
    if args.out is None:
        plain = args.scenario == "default" and not args.tag and args.effect is None
        name = "_".join(x for x in ("effect_validation", args.scenario, args.tag) if x)
        args.out = OUT if plain else OUT.with_name(f"{name}.json")
    if args.scenario in DEMO:
        effect = DEMO[args.scenario] if args.effect is None else args.effect
        dgp = {
            "generator": "tpj demo-data (effect.demo_sim)",
            "true_effect": effect,
            "oracle": args.oracle,
        }

        def one(seed):
            return demo_sim.replicate(seed, design_params, true_effect=effect, oracle=args.oracle)
    else:
        kwargs = dict(simulate.SCENARIOS[args.scenario])
        if args.effect is not None:
            kwargs["effect"] = args.effect
        dgp = simulate.SIM_DEFAULTS | kwargs

        def one(seed):
            return simulate.replicate(seed, design_params, **kwargs)

    flags = f"--scenario {args.scenario} " + (f"--design '{args.design}' " if design_params else "")
    flags += f"--tag {args.tag} " if args.tag else ""
    flags += "--oracle " if args.oracle else ""
    flags += f"--effect {args.effect} " if args.effect is not None else ""
    rows, t0 = [], time.perf_counter()
    cpu0 = time.process_time()
    for i in range(args.reps):
        rows.append(one(args.first_seed + i))
        if (i + 1) % args.every == 0 or i + 1 == args.reps:
            reps = pd.DataFrame(rows)
            summary = simulate.summarise(reps)
            result = {
                "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/effect_validation.py "
                f"{flags}--reps {args.reps} --first-seed {args.first_seed}",
                "complete": i + 1 == args.reps,
                "scenario": args.scenario,
                "design": design_params,
                "dgp": dgp,
                "summary": summary,
                "estimands": simulate.summarise_all(reps),
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
            reps.to_csv(args.out.with_suffix(".reps.csv"), index=False)
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
