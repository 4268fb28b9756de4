"""Benchmark: incremental runs on the demo data (issue 15).

Three situations, each `tpj run` as the evaluator types it, timed from outside:

1. full: every notebook executed and the report rendered, into an empty cache (`--cache-dir`);
2. unchanged: the same command again, `--repeat` times (default 3): every notebook and the render
   reused from the cache (goal <= 3 s);
3. caption: one figure caption in `notebooks/20_who5.ipynb` changed (the notebook file is
   restored afterwards, also on an error): that notebook executed, the others and the resumé
   reused, the report rendered anew (goal <= 8 s).

Every figure is wall time, with the CPU time of the `tpj` process and its kernels beside it and
the load average before the run: on a machine shared with other work, wall time is mostly waiting.
`--allow-bytecode` lets Python write `.pyc` files (it unsets PYTHONDONTWRITEBYTECODE for the
runs): with that variable set, every start of `tpj` compiles the imported modules anew.

    .venv/bin/python benchmarks/bench_incremental.py [--repeat 3] [--allow-bytecode]

Runs write into a temporary output root; `output/` is not touched. Results:
`benchmarks/results/incremental.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "incremental.json"
NOTEBOOK = REPO / "notebooks" / "20_who5.ipynb"
CAPTION = "Fordeling af WHO-5-trivselsscoren pr. måling"
GOALS = {"unchanged": 3.0, "caption": 8.0}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def tpj_run(out_root: Path, cache: Path, env: dict) -> dict:
    cmd = [
        str(REPO / ".venv" / "bin" / "tpj"),
        "run",
        "--out",
        str(out_root),
        "--cache-dir",
        str(cache),
    ]
    load = os.getloadavg()[0]
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"tpj run failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    manifest = json.loads((out_root / "latest" / "manifest.json").read_text(encoding="utf-8"))
    return {
        "seconds": round(wall, 2),
        "cpu_seconds": round(children_cpu() - cpu, 2),
        "load_average_before": round(load, 2),
        "executed": sorted(k for k, v in manifest["notebooks"].items() if v["source"] == "run"),
        "reused": sorted(k for k, v in manifest["notebooks"].items() if v["source"] == "cache"),
        "render": manifest["report"].get("source"),
        "render_seconds": manifest["report"].get("seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="unchanged reruns (default 3)")
    ap.add_argument(
        "--allow-bytecode", action="store_true", help="unset PYTHONDONTWRITEBYTECODE for the runs"
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    env = dict(os.environ)
    if args.allow_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)

    original = NOTEBOOK.read_bytes()
    assert CAPTION.encode() in original, f"{NOTEBOOK}: caption to change not found"
    with tempfile.TemporaryDirectory(prefix="tpj-bench-inc-") as tmp:
        root, cache = Path(tmp) / "out", Path(tmp) / "cache"
        full = tpj_run(root, cache, env)
        unchanged = [tpj_run(root, cache, env) for _ in range(args.repeat)]
        try:
            NOTEBOOK.write_bytes(
                original.replace(CAPTION.encode(), (CAPTION + " (ændret)").encode(), 1)
            )
            caption = tpj_run(root, cache, env)
        finally:
            NOTEBOOK.write_bytes(original)

    median = sorted(unchanged, key=lambda r: r["seconds"])[len(unchanged) // 2]
    result = {
        "command": "tpj run --out TMP --cache-dir TMP/cache",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "PYTHONDONTWRITEBYTECODE": env.get("PYTHONDONTWRITEBYTECODE"),
        },
        "full": full,
        "unchanged_median_seconds": median["seconds"],
        "unchanged_runs": unchanged,
        "unchanged_mean_seconds": round(statistics.mean(r["seconds"] for r in unchanged), 2),
        "caption": caption,
        "goals_seconds": GOALS,
        "meets_goals": {
            "unchanged": median["seconds"] <= GOALS["unchanged"],
            "caption": caption["seconds"] <= GOALS["caption"],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"full run {full['seconds']:.1f} s (cpu {full['cpu_seconds']:.1f} s); "
        f"unchanged median {median['seconds']:.1f} s of {[r['seconds'] for r in unchanged]} "
        f"(cpu {median['cpu_seconds']:.1f} s); one caption {caption['seconds']:.1f} s "
        f"(cpu {caption['cpu_seconds']:.1f} s, executed {caption['executed']}, render "
        f"{caption['render']} {caption['render_seconds']} s)\n  -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
