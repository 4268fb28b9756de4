"""Benchmark: `make report` warm, and its parts.

"Warm" means the environment is installed, the demo data are generated and the validated-data
cache is filled: the state of every run after the first on a machine. One untimed `make report`
brings the machine there, then `--repeat` timed runs (default 3) follow. For each run the
wall time of the whole command is measured from outside, and its parts are read from the run's
`manifest.json`: data validation, each notebook (kernel start or reset included) and the render.
The median run (by wall time) is reported, with every run's figures beside it.

    .venv/bin/python benchmarks/bench_report.py            # 3 timed runs
    .venv/bin/python benchmarks/bench_report.py --fresh    # a new kernel per notebook, to compare

Runs write into a temporary output root, so `output/` and `output/latest` stay as they were.
Results go to `benchmarks/results/report.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "report.json"
GOAL_SECONDS = 30.0


def one_run(out_root: Path, fresh: bool) -> dict:
    """`make report` with the run written under `out_root`; wall time and the manifest's parts."""
    # --no-cache: this benchmark measures a run that executes everything (bench_incremental.py
    # measures the reuse).
    tpj_args = f"--out {out_root} --no-cache" + (" --fresh-kernels" if fresh else "")
    cmd = ["make", "-s", "report", f"TPJ_RUN_ARGS={tpj_args}"]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"make report failed:\n{done.stdout}\n{done.stderr}")
    manifest = json.loads((out_root / "latest" / "manifest.json").read_text(encoding="utf-8"))
    return {
        "seconds": round(wall, 2),
        "load_average_before": round(load, 2),
        "data_seconds": manifest["data_seconds"],
        "notebooks_seconds": {k: v["seconds"] for k, v in manifest["notebooks"].items()},
        "render_seconds": manifest["report"]["seconds"],
        "execution": manifest.get("execution"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--fresh", action="store_true", help="a new kernel per notebook")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    out = args.out or (RESULTS.with_name("report_fresh_kernels.json") if args.fresh else RESULTS)

    with tempfile.TemporaryDirectory(prefix="tpj-bench-") as tmp:
        root = Path(tmp)
        one_run(root / "warmup", args.fresh)  # environment, demo data and data cache in place
        runs = [one_run(root / f"run{i}", args.fresh) for i in range(args.repeat)]

    median = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    result = {
        "command": "make report" + (" (tpj run --fresh-kernels)" if args.fresh else ""),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "median": median,
        "median_seconds": median["seconds"],
        "runs_seconds": [r["seconds"] for r in runs],
        "spread_seconds": round(
            max(r["seconds"] for r in runs) - min(r["seconds"] for r in runs), 2
        ),
        "mean_seconds": round(statistics.mean(r["seconds"] for r in runs), 2),
        "runs": runs,
        "goal_seconds": GOAL_SECONDS,
        "meets_goal": median["seconds"] <= GOAL_SECONDS,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in median["notebooks_seconds"].items())
    print(
        f"make report warm: median {median['seconds']:.1f} s of {result['runs_seconds']} "
        f"(goal {GOAL_SECONDS:.0f} s)\n  data {median['data_seconds']:.1f} s; {parts}; "
        f"render {median['render_seconds']:.1f} s\n  -> {out.relative_to(REPO)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
