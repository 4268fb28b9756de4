"""Benchmark: the wide DREAM extract to the long person-week score panel.

Builds a synthetic wide extract (default 1,000,000 persons x 160 ISO weeks, ~85% of the cells with a
benefit code, grad columns for every covered month with ~10% of person-months > 0), writes it once
to Parquet under `.cache/bench/` (reused when present) and times two routes, each in its own
subprocess so that the peak memory is that of the route alone:

  ours   `tpj_helpers.data.dream.read_dream` + `build_panel` (validation included); run `--repeat`
         times (default 3), the median run is reported
  naive  pandas: `pd.read_parquet`, `melt` the week and grad columns to long, `map` codes to
         scores with a dict, merge grad on the month of each week's Thursday, merge the persons'
         start dates and compute `week_rel`

The naive route needs far more memory than the machine has at full size. A pilot run on a small
slice estimates its peak; when the full run would pass `--naive-budget-gb` (default 16), it runs
on the largest slice of persons (whole Parquet row groups, the first persons of the file) that fits
and its time, rows and memory are extrapolated linearly to the full size, marked "extrapolated".
Both routes report a checksum over that slice (rows, sum of scores, sum of week_rel), so the
output also shows that they produce the same panel.

    .venv/bin/python benchmarks/bench_dream_panel.py                 # full size
    .venv/bin/python benchmarks/bench_dream_panel.py --persons 20000 # quick run

Results go to `benchmarks/results/dream_panel.json` (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache" / "bench"
RESULTS = REPO / "benchmarks" / "results" / "dream_panel.json"
SCORE_MAP = REPO / "params" / "dream_score_map.csv"
GENERATOR_VERSION = 1  # bump when the generated data change, so old caches are not reused

FIRST_WEEK = (2022, 10)  # the extract starts at 2022-W10, like the synthetic demo data
N_ROW_GROUPS = 40  # the naive route reads whole row groups when it runs on a slice
CHANGE_PROB = 0.04  # weekly probability that a person's benefit state changes
N_STATES = 8  # states per person (the last one repeats once reached)
UNKNOWN_CODES = (901, 902, 903)  # codes that are not in the shipped map
EMPTY_SHARE = 0.15
UNKNOWN_SHARE = 0.005
GRAD_POSITIVE = 0.10
GRAD_ZERO = 0.05

GOAL_SECONDS = 20.0
GOAL_GB = 4.0
GOAL_SPEEDUP = 10.0


# --------------------------------------------------------------------------- synthetic extract


def week_mondays(n_weeks: int) -> list[date]:
    first = date.fromisocalendar(*FIRST_WEEK, 1)
    return [first + timedelta(weeks=i) for i in range(n_weeks)]


def week_column(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"y_{year % 100:02d}{week:02d}"


def grad_months(mondays: list[date]) -> list[tuple[int, int]]:
    """Months of the weeks' Thursdays: the grad columns the extract must carry."""
    return sorted({((m + timedelta(days=3)).year, (m + timedelta(days=3)).month) for m in mondays})


def code_pool() -> tuple[np.ndarray, np.ndarray]:
    """Codes of the shipped map (scored and coded out) plus a few unknown ones, with weights."""
    import pandas as pd

    shipped = pd.read_csv(SCORE_MAP, comment="#", dtype=str)["code"].astype(int).to_numpy()
    codes = np.concatenate([shipped, UNKNOWN_CODES]).astype(np.int16)
    # Kontanthjælp, ressourceforløb and the like are common in this population, pensions rare.
    weights = np.ones(len(shipped))
    common = np.isin(shipped, [130, 131, 135, 136, 137, 140, 111, 220, 210, 310])
    weights[common] = 6.0
    weights = weights / weights.sum() * (1 - EMPTY_SHARE - UNKNOWN_SHARE)
    unknown = np.full(len(UNKNOWN_CODES), UNKNOWN_SHARE / len(UNKNOWN_CODES))
    return codes, np.concatenate([weights, unknown])


def extract_paths(n_persons: int, n_weeks: int, seed: int) -> tuple[Path, Path]:
    tag = f"v{GENERATOR_VERSION}_{n_persons}x{n_weeks}_s{seed}"
    return CACHE / f"dream_{tag}.parquet", CACHE / f"persons_{tag}.parquet"


def build_extract(n_persons: int, n_weeks: int, seed: int) -> tuple[Path, Path]:
    """Write (once) the wide extract and the persons table; return their paths."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    dream_path, persons_path = extract_paths(n_persons, n_weeks, seed)
    if dream_path.is_file() and persons_path.is_file():
        return dream_path, persons_path
    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    mondays = week_mondays(n_weeks)
    week_cols = [week_column(m) for m in mondays]
    months = grad_months(mondays)
    grad_cols = [f"grad_{y}_{m:02d}" for y, m in months]
    codes, probs = code_pool()
    # Index -1 = empty cell; the dictionary holds the 3-digit code strings.
    values = np.concatenate([codes, [-1]]).astype(np.int16)
    probs = np.concatenate([probs, [EMPTY_SHARE]])
    dictionary = pa.array([f"{c:03d}" for c in codes])
    id_width = len(str(n_persons))
    rows_per_group = math.ceil(n_persons / N_ROW_GROUPS)
    schema = pa.schema(
        [("person_id", pa.string())]
        + [(c, pa.string()) for c in week_cols]
        + [(c, pa.float64()) for c in grad_cols]
    )
    tmp = dream_path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, n_persons, rows_per_group):
            n = min(rows_per_group, n_persons - start)
            # Benefit histories: a few spells per person, each spell one code (or none).
            state_idx = rng.choice(len(values), size=(n, N_STATES), p=probs).astype(np.int16)
            change = rng.random((n, n_weeks), dtype=np.float32) < CHANGE_PROB
            spell = np.minimum(np.cumsum(change, axis=1, dtype=np.int16), N_STATES - 1)
            cell = np.take_along_axis(state_idx, spell, axis=1)  # index into `values`
            empty = values[cell] < 0
            cell = np.where(empty, 0, cell).astype(np.int32)
            u = rng.random((n, len(grad_cols)))
            grad = np.where(u < GRAD_POSITIVE, np.round(rng.uniform(0.01, 1.0, u.shape), 2), 0.0)
            grad_null = u >= GRAD_POSITIVE + GRAD_ZERO
            ids = [f"b{i:0{id_width}d}" for i in range(start, start + n)]
            arrays = [pa.array(ids)]
            for w in range(n_weeks):
                idx = pa.array(cell[:, w], mask=empty[:, w])
                arrays.append(pa.DictionaryArray.from_arrays(idx, dictionary).cast(pa.string()))
            for g in range(len(grad_cols)):
                arrays.append(pa.array(grad[:, g], mask=grad_null[:, g]))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    tmp.rename(dream_path)

    # Persons: all consenting, on holds starting every other week across the extract.
    starts = np.array(mondays[4 : n_weeks - 8 : 2], dtype="datetime64[D]")
    hold = rng.integers(0, len(starts), n_persons)
    persons = pd.DataFrame(
        {
            "person_id": [f"b{i:0{id_width}d}" for i in range(n_persons)],
            "hold_id": pd.Categorical([f"H{h:02d}" for h in hold]),
            "start_date": starts[hold].astype("datetime64[us]"),
            "n_weeks": np.full(n_persons, 7, dtype=np.int64),
            "consent_register": np.ones(n_persons, dtype=bool),
        }
    )
    persons.to_parquet(persons_path, index=False)
    return dream_path, persons_path


# --------------------------------------------------------------------------- the two routes


def peak_rss_gb() -> float:
    """Peak resident set size of this process (Linux: VmHWM, else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def checksum(keep: np.ndarray, score: np.ndarray, week_rel: np.ndarray, n_slice: int) -> dict:
    """Rows, sum of scores and sum of week_rel over the rows of the first `n_slice` persons."""
    return {
        "persons": int(n_slice),
        "rows": int(keep.sum()),
        "score_sum": float(np.nansum(score[keep].astype(np.float64))),
        "week_rel_sum": int(week_rel[keep].astype(np.int64).sum()),
    }


def route_ours(dream_path: Path, persons_path: Path, check_persons: int) -> dict:
    import pandas as pd

    from tpj_helpers.data import dream

    persons = pd.read_parquet(persons_path)
    score_map = dream.load_score_map()
    base = peak_rss_gb()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    extract = dream.read_dream(dream_path.parent, path=dream_path)
    t1 = time.perf_counter()
    panel = dream.build_panel(extract, persons, score_map)
    t2 = time.perf_counter()
    peak, cpu = peak_rss_gb(), cpu_seconds() - cpu0  # before the checksum below
    w = panel.weeks
    # The panel keeps the extract's person order: the slice's persons are the first panel persons.
    file_pos = pd.Index(extract.person_id).get_indexer(panel.persons["person_id"])
    n_first = int(np.searchsorted(file_pos, check_persons))
    keep = w["person_id"].cat.codes.to_numpy() < n_first
    return {
        "seconds": t2 - t0,
        "seconds_read": t1 - t0,
        "seconds_build": t2 - t1,
        "cpu_seconds": cpu,
        "rows": len(w),
        "peak_rss_gb": peak,
        "rss_before_gb": base,
        "check": checksum(keep, w["score"].to_numpy(), w["week_rel"].to_numpy(), check_persons),
    }


def route_naive(dream_path: Path, persons_path: Path, slice_persons: int, total: int) -> dict:
    """What an analyst would write with pandas, on the first `slice_persons` persons."""
    import pandas as pd

    persons = pd.read_parquet(persons_path)
    score_map = pd.read_csv(SCORE_MAP, comment="#", dtype=str)
    base = peak_rss_gb()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    if slice_persons < total:
        last_id = persons["person_id"].iloc[slice_persons - 1]
        df = pd.read_parquet(dream_path, filters=[("person_id", "<=", last_id)])
    else:
        df = pd.read_parquet(dream_path)
    week_cols = [c for c in df.columns if c.startswith("y_")]
    grad_cols = [c for c in df.columns if c.startswith("grad_")]

    long = df.melt(id_vars="person_id", value_vars=week_cols, var_name="week", value_name="code")
    monday = {c: date.fromisocalendar(2000 + int(c[2:4]), int(c[4:6]), 1) for c in week_cols}
    month = {c: (m + timedelta(days=3)).strftime("%Y_%m") for c, m in monday.items()}
    long["monday"] = pd.to_datetime(long["week"].map(monday))
    long["month"] = long["week"].map(month)

    grad = df.melt(id_vars="person_id", value_vars=grad_cols, var_name="month", value_name="grad")
    grad["month"] = grad["month"].str.slice(5)
    long = long.merge(grad, on=["person_id", "month"], how="left")

    scores = dict(zip(score_map["code"], pd.to_numeric(score_map["score"]), strict=True))
    long["score"] = long["code"].map(scores)
    long["employed"] = long["grad"] > 0
    long.loc[long["code"].isna() & long["employed"], "score"] = 10
    long = long[long["code"].notna() | long["employed"]]

    consenting = persons.loc[persons["consent_register"], ["person_id", "start_date"]]
    long = long.merge(consenting, on="person_id", how="inner")
    long["week_rel"] = (long["monday"] - long["start_date"]).dt.days // 7
    t1 = time.perf_counter()
    peak, cpu = peak_rss_gb(), cpu_seconds() - cpu0
    keep = np.ones(len(long), dtype=bool)  # the slice is all it read
    return {
        "seconds": t1 - t0,
        "cpu_seconds": cpu,
        "rows": len(long),
        "peak_rss_gb": peak,
        "rss_before_gb": base,
        "check": checksum(
            keep, long["score"].to_numpy(dtype=float), long["week_rel"].to_numpy(), slice_persons
        ),
    }


def run_child(route: str, dream_path: Path, persons_path: Path, n: int, total: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        route,
        "--dream",
        str(dream_path),
        "--persons-file",
        str(persons_path),
        "--n",
        str(n),
        "--total",
        str(total),
    ]
    load = os.getloadavg()[0]  # other work on the machine slows the routes down: record it
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{route} route failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load_average_before": load}


# --------------------------------------------------------------------------- driver


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons in the extract")
    ap.add_argument("--weeks", type=int, default=160, help="ISO weeks in the extract")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument(
        "--naive-budget-gb",
        type=float,
        default=16.0,
        help="largest peak memory the naive route may use before it runs on a slice",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of our route (each in a fresh process); the median is reported",
    )
    ap.add_argument("--skip-naive", action="store_true", help="time our route only")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child", choices=["ours", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--dream", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--persons-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child == "ours":
        print(json.dumps(route_ours(args.dream, args.persons_file, args.n)))
        return 0
    if args.child == "naive":
        print(json.dumps(route_naive(args.dream, args.persons_file, args.n, args.total)))
        return 0

    total = args.persons
    t = time.perf_counter()
    dream_path, persons_path = build_extract(total, args.weeks, args.seed)
    print(
        f"extract: {dream_path.relative_to(REPO)} ({dream_path.stat().st_size / 1e6:.0f} MB, "
        f"ready in {time.perf_counter() - t:.0f} s)",
        flush=True,
    )
    group = math.ceil(total / N_ROW_GROUPS)

    naive = None
    slice_n = total
    if not args.skip_naive:
        # Pilot on one row group to estimate the naive route's peak memory at full size.
        pilot = run_child("naive", dream_path, persons_path, group, total)
        per_person = (pilot["peak_rss_gb"] - pilot["rss_before_gb"]) / group
        predicted = pilot["rss_before_gb"] + per_person * total
        if predicted > args.naive_budget_gb:
            # Leave a safety margin: the estimate is linear, pandas merges are not quite.
            fits = (0.75 * args.naive_budget_gb - pilot["rss_before_gb"]) / per_person
            slice_n = max(group, min(total, int(fits // group) * group))
        print(
            f"naive pilot on {group:,} persons: {pilot['peak_rss_gb']:.2f} GB peak, "
            f"predicted {predicted:.1f} GB at {total:,} persons -> running on {slice_n:,}",
            flush=True,
        )
        naive = run_child("naive", dream_path, persons_path, slice_n, total)
        naive["predicted_full_peak_gb_from_pilot"] = predicted

    runs = [run_child("ours", dream_path, persons_path, slice_n, total) for _ in range(args.repeat)]
    ours = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]  # the median run
    ours["runs_seconds"] = [round(r["seconds"], 2) for r in runs]
    ours["runs_load_average_before"] = [round(r["load_average_before"], 2) for r in runs]

    result: dict = {
        "command": "benchmarks/bench_dream_panel.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "extract": {
            "persons": total,
            "weeks": args.weeks,
            "file": str(dream_path.relative_to(REPO)),
            "file_mb": round(dream_path.stat().st_size / 1e6, 1),
        },
        "ours": ours,
        "goal": {"seconds": GOAL_SECONDS, "peak_rss_gb": GOAL_GB, "speedup": GOAL_SPEEDUP},
    }
    rows = [("ours", f"{total:,}", ours["seconds"], ours["peak_rss_gb"], ours["rows"], "measured")]
    if naive is not None:
        factor = total / slice_n
        extrapolated = slice_n < total
        full = {
            "seconds": naive["seconds"] * factor,
            "rows": round(naive["rows"] * factor),
            "peak_rss_gb": naive["rss_before_gb"]
            + (naive["peak_rss_gb"] - naive["rss_before_gb"]) * factor,
            "extrapolated": extrapolated,
        }
        naive["slice_persons"] = slice_n
        naive["slice_fraction"] = slice_n / total
        result["naive"] = {"measured": naive, "full_size": full}
        result["speedup"] = full["seconds"] / ours["seconds"]
        result["same_panel_on_slice"] = naive["check"] == ours["check"]
        if extrapolated:
            rows.append(
                (
                    "naive",
                    f"{slice_n:,}",
                    naive["seconds"],
                    naive["peak_rss_gb"],
                    naive["rows"],
                    f"measured on {slice_n / total:.0%} of persons",
                )
            )
        rows.append(
            (
                "naive",
                f"{total:,}",
                full["seconds"],
                full["peak_rss_gb"],
                full["rows"],
                "EXTRAPOLATED linearly" if extrapolated else "measured",
            )
        )
    result["meets_goal"] = {
        "seconds": ours["seconds"] <= GOAL_SECONDS,
        "peak_rss_gb": ours["peak_rss_gb"] <= GOAL_GB,
        **({"speedup": result["speedup"] >= GOAL_SPEEDUP} if naive is not None else {}),
    }

    print()
    print(f"{'route':<6} {'persons':>10} {'seconds':>9} {'peak GB':>8} {'rows':>14}  note")
    for name, n, sec, gb, nrows, note in rows:
        print(f"{name:<6} {n:>10} {sec:>9.1f} {gb:>8.2f} {nrows:>14,}  {note}")
    print(
        f"ours: median of {len(runs)} runs {ours['runs_seconds']} s; read_dream "
        f"{ours['seconds_read']:.1f} s + build_panel {ours['seconds_build']:.1f} s; "
        f"{ours['cpu_seconds']:.1f} s CPU"
    )
    if naive is not None:
        print(
            f"speed-up: {result['speedup']:.0f}x"
            + (" (against the extrapolated naive time)" if slice_n < total else "")
        )
        print(
            f"same rows, score sum and week_rel sum on the first {slice_n:,} persons: "
            f"{result['same_panel_on_slice']}"
        )
    print(
        f"goal (<= {GOAL_SECONDS:.0f} s, <= {GOAL_GB:.0f} GB, >= {GOAL_SPEEDUP:.0f}x): "
        + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in result["meets_goal"].items())
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
