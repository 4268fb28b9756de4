"""Benchmark: the municipality batch on the demo data, on local processes and on a two-worker
Dask LocalCluster (issue 15).

The batch is `params/batch.yaml` with only its `by: kommune` variants (one report per
municipality with at least `batch_min_persons` participants), each variant a full `tpj run`
with its report. Each engine runs into an output root of its own, so each starts with an empty
cache of executed notebooks (a fair comparison; within a batch the variants share it). Wall time
of the whole batch, the CPU time of its processes, the load average before, and each variant's
status and time.

    .venv/bin/python benchmarks/bench_batch.py [--jobs 2] [--skip-local] [--skip-dask]

Results: `benchmarks/results/batch.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "batch.json"


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def one(batch_file: Path, out: Path, jobs: int, dask: bool) -> dict:
    from tpj_helpers.run.batch import run_batch

    load = os.getloadavg()[0]
    cpu = cpu_seconds()
    start = time.perf_counter()
    if dask:
        from distributed import LocalCluster

        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            _, results = run_batch(batch_file, out_root=out, cluster=cluster)
    else:
        _, results = run_batch(batch_file, out_root=out, jobs=jobs)
    wall = time.perf_counter() - start
    return {
        "engine": "dask LocalCluster (2 workers)" if dask else f"local processes (--jobs {jobs})",
        "seconds": round(wall, 2),
        # Dask worker processes are not children that were waited for: their CPU is not counted.
        "cpu_seconds_local": round(cpu_seconds() - cpu, 2),
        "load_average_before": round(load, 2),
        "variants": {
            r.name: {
                "exit_code": r.exit_code,
                "seconds": r.seconds,
                "message": r.message if not r.ok else "",
            }
            for r in results
        },
        "ok": sum(r.ok for r in results),
        "failed": [r.name for r in results if not r.ok],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2, help="local variants in parallel (default 2)")
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    spec = yaml.safe_load((REPO / "params" / "batch.yaml").read_text(encoding="utf-8"))
    spec["variants"] = [v for v in spec["variants"] if v.get("by") == "kommune"]
    spec["base"] = str(REPO / spec.get("base", "params/default.yaml"))
    runs = []
    with tempfile.TemporaryDirectory(prefix="tpj-bench-batch-") as tmp:
        batch_file = Path(tmp) / "batch.yaml"
        batch_file.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        if not args.skip_local:
            runs.append(one(batch_file, Path(tmp) / "local", args.jobs, dask=False))
        if not args.skip_dask:
            runs.append(one(batch_file, Path(tmp) / "dask", args.jobs, dask=True))
    result = {
        "command": "tpj batch (params/batch.yaml, by: kommune variants only)",
        "batch_min_persons": spec.get("batch_min_persons"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in runs:
        print(f"{r['engine']}: {r['seconds']:.0f} s, {r['ok']} ok, failed {r['failed']}")
    print(f"  -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
