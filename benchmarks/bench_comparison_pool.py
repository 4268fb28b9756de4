"""Benchmark: a national comparison pool (1,000,000 persons x 161 weeks) through the effect design.

The data: the demo data folder (seed 2025: the participants, 33 holds) with a comparison pool of
`--persons` persons written by the demo generator in Parquet (`tpj demo-data --pool-size N
--pool-format parquet`), cached under `.cache/bench/` (reused when the generator has not changed).
Writing it is timed once, as its own figure (not part of the pipeline).

The pipeline, each stage timed with its own peak memory (the process's peak resident set, reset
before each stage through /proc/self/clear_refs, so "peak" is the stage's own high-water mark
including what earlier stages still hold):

  read_pool      `data.comparison.read_pool`: background validated (pandera), the wide DREAM
                 streamed in record batches into the int8 score/category matrix
  participants   the participants' extract (`data.dream.read_dream`) scored the same way and their
                 history covariates at their hold starts
  risk_sets      `data.comparison.risk_sets` for every held hold: pool members on a qualifying
                 benefit in week -1, with scores at -1, -4, -13, -26, -52 and weeks on benefit in
                 the last 52 and 104
  outcomes       `data.comparison.outcomes`: the long outcome panel (weeks -52..26) for a
                 matched-size sample of the risk sets (`--controls` per participant and hold)
  + the design   part B's stages, when `tpj_helpers.analysis.effect.bench` exists and defines
                 `STAGES`: a list of (name, function(context) -> None); `context` is a dict with
                 pool, parts, part_cov, risk_sets, outcomes. They are timed the same way.

    .venv/bin/python benchmarks/bench_comparison_pool.py                     # 1,000,000 persons
    .venv/bin/python benchmarks/bench_comparison_pool.py --persons 20000     # quick run

Results go to `benchmarks/results/comparison_pool.json` (or `--out`). The machine's 2 cores are
shared with other work while this runs: the results record the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CACHE = REPO / ".cache" / "bench"
RESULTS = REPO / "benchmarks" / "results" / "comparison_pool.json"
GOAL_SECONDS = 60.0
GOAL_GB = 8.0


def reset_peak() -> None:
    """Reset the process's peak RSS (VmHWM) where the kernel allows it."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def data_folder(persons: int, seed: int) -> tuple[Path, float | None]:
    """The demo folder with a Parquet pool of `persons`; (path, seconds to write or None if cached)."""
    from tpj_helpers.synthetic.generate import generate_demo_data
    from tpj_helpers.synthetic.marker import generator_version, marker_info

    folder = CACHE / f"comparison_pool_{persons}_s{seed}"
    info = marker_info(folder)
    if (
        info.get("generator_version") == generator_version()
        and info.get("comparison", {}).get("persons") == persons
    ):
        return folder, None
    if folder.exists():
        shutil.rmtree(folder)
    t = time.perf_counter()
    generate_demo_data(folder, seed=seed, pool_size=persons, pool_format="parquet")
    return folder, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument(
        "--controls",
        type=int,
        default=10,
        help="pool members per participant and hold in the outcome stage",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    load_before = os.getloadavg()
    folder, gen_seconds = data_folder(args.persons, args.seed)
    gen_peak = peak_gb() if gen_seconds is not None else None

    from tpj_helpers.data import cohort, dream, sources
    from tpj_helpers.data import comparison as cmp

    stages: list[dict] = []
    ctx: dict = {}

    def stage(name: str, fn) -> None:
        reset_peak()
        t, cpu = time.perf_counter(), time.process_time()
        fn()
        stages.append(
            {
                "stage": name,
                "seconds": round(time.perf_counter() - t, 2),
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "peak_gb": round(peak_gb(), 2),
            }
        )
        print(
            f"{name:>14}: {stages[-1]['seconds']:7.2f} s wall, {stages[-1]['cpu_seconds']:7.2f} s CPU, "
            f"peak {stages[-1]['peak_gb']:.2f} GB",
            flush=True,
        )

    def participants() -> None:
        holds = sources.load_holds(folder)
        persons = cohort.build_persons(
            holds, sources.load_enrolments(folder, holds), sources.load_registrations(folder)
        )
        ext = dream.read_dream(folder)
        parts = cmp.participant_history(ext)
        info = persons.set_index("person_id")
        rows = np.flatnonzero(
            np.isin(parts.person_id, info.index[info["consent_register"].astype(bool)])
        )
        start = parts.week_index(info.loc[parts.person_id[rows], "start_date"])
        ctx.update(
            holds=holds,
            persons=persons,
            extract=ext,
            parts=parts,
            part_cov=cmp.history_covariates(parts, start, rows).assign(row=rows, start_idx=start),
        )

    def read_pool() -> None:
        ctx["pool"] = cmp.read_pool(
            folder,
            participant_ids=ctx["persons"]["person_id"],
            week_monday=ctx["extract"].week_monday,
        )

    def risk_sets() -> None:
        held = ctx["holds"][ctx["holds"]["status"] == "afholdt"][["hold_id", "start_date"]]
        ctx["risk_sets"] = cmp.risk_sets(ctx["pool"].scores, held)

    def outcomes() -> None:
        rs = ctx["risk_sets"]
        rng = np.random.default_rng(0)
        per_hold = (
            ctx["persons"][ctx["persons"]["consent_register"].astype(bool)]
            .groupby("hold_id")
            .size()
        )
        take = []
        for hold_id, g in rs.groupby("hold_id", observed=True):  # ~30 holds
            n = min(len(g), int(per_hold.get(hold_id, 0)) * args.controls)
            take.append(g.index.to_numpy()[rng.choice(len(g), size=n, replace=False)])
        sel = rs.loc[np.concatenate(take) if take else []]
        ctx["outcomes"] = cmp.outcomes(
            ctx["pool"].scores, sel["row"].to_numpy(), sel["start_idx"].to_numpy()
        )

    stage("participants", participants)
    stage("read_pool", read_pool)
    stage("risk_sets", risk_sets)
    stage("outcomes", outcomes)
    design = None
    with contextlib.suppress(ImportError):
        design = importlib.import_module("tpj_helpers.analysis.effect.bench")
    for name, fn in getattr(design, "STAGES", []):
        stage(name, lambda fn=fn: fn(ctx))

    total = round(sum(s["seconds"] for s in stages), 2)
    total_cpu = round(sum(s["cpu_seconds"] for s in stages), 2)
    peak = round(max(s["peak_gb"] for s in stages), 2)
    pool = ctx["pool"].scores
    result = {
        "benchmark": "comparison pool through panel, risk sets, covariates (and the design's stages when present)",
        "command": f".venv/bin/python benchmarks/bench_comparison_pool.py --persons {args.persons}",
        "persons": int(pool.score.shape[0]),
        "weeks": int(pool.score.shape[1]),
        "participants": len(ctx["part_cov"]),
        "risk_set_rows": len(ctx["risk_sets"]),
        "outcome_rows": len(ctx["outcomes"]),
        "pool_file_mb": round(
            sum(p.stat().st_size for p in (folder / "comparison").iterdir()) / 1024**2, 1
        ),
        "generate_pool_seconds": round(gen_seconds, 1) if gen_seconds is not None else "cached",
        "generate_pool_peak_gb": round(gen_peak, 2) if gen_peak is not None else "cached",
        "stages": stages,
        "design_stages": "included"
        if getattr(design, "STAGES", None)
        else "not present in this branch (hook: tpj_helpers.analysis.effect.bench.STAGES)",
        "design": design.summary(ctx) if hasattr(design, "summary") else {},
        "total_seconds": total,
        "total_cpu_seconds": total_cpu,
        "peak_gb": peak,
        "goal": {
            "seconds": GOAL_SECONDS,
            "peak_gb": GOAL_GB,
            "met": bool(total <= GOAL_SECONDS and peak <= GOAL_GB),
        },
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "note": (
                "2 cores shared with other sessions' work while this ran (see the load averages): "
                "wall times are upper bounds for an idle machine; CPU seconds count all of "
                "this process's threads"
            ),
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"total {total} s, peak {peak} GB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
