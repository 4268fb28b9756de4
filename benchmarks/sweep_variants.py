"""The output checker over delivery-shaped variants of the demo data (issue 12, engineer C).

Each variant is a full `tpj run --no-render` (its own parameters and data folder) plus, where its
published files can differ from the demo's, a truth run (the same parameters with `min_cell: 1`,
nothing hidden). For each variant it records the hidden cells and breaches of the run's own audit
(`results/disclosure_audit.csv`), and the output checker's findings judged against the truth run
(`benchmarks/output_checker.py`): `real` recoveries are hidden cells the published files give back.

Variants: the demo (seed 2025); other generator seeds; `min_cell` 3 and 10 (truth: the demo's);
municipality subsets (`kommuner:`); the demo folder written again in other contract formats
(`tpj_helpers/synthetic/export_formats.py`; `;`-separated Windows-1252 CSV, xlsx, parquet, SPSS
.sav), whose tables, figure data and estimates must be byte-identical to the demo run's.

    .venv/bin/python benchmarks/sweep_variants.py [--work /tmp/c_sweep] [--only NAME ...]

Data folders, parameter files and runs go under `--work` (never into the repository's data);
results: `benchmarks/results/sweep_variants.json` (rewritten after every variant).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "sweep_variants.json"
TPJ = REPO / ".venv" / "bin" / "tpj"
PY = REPO / ".venv" / "bin" / "python"
DEMO_SEED = 2025

# name -> (data, overrides, truth): data "seed:N" or "format:KIND"; truth = the variant whose
# truth run serves (None: its own).
VARIANTS: dict[str, tuple[str, dict, str | None]] = {
    "demo": (f"seed:{DEMO_SEED}", {}, None),
    "seed-7": ("seed:7", {}, None),
    "min_cell-3": (f"seed:{DEMO_SEED}", {"min_cell": 3}, "demo"),
    "min_cell-10": (f"seed:{DEMO_SEED}", {"min_cell": 10}, "demo"),
    "kommune-frederikshavn": (f"seed:{DEMO_SEED}", {"kommuner": ["Frederikshavn"]}, None),
    "kommuner-deep-dives": (
        f"seed:{DEMO_SEED}",
        {"kommuner": ["Aalborg", "Frederikshavn", "Stevns", "Viborg"]},
        None,
    ),
    "format-semicolon-cp1252": ("format:semicolon-cp1252", {}, "demo"),
    "format-xlsx": ("format:xlsx", {}, "demo"),
    "format-parquet": ("format:parquet", {}, "demo"),
    "format-spss": ("format:spss", {}, "demo"),
    "seed-42": ("seed:42", {}, None),
    "kommune-silkeborg": (f"seed:{DEMO_SEED}", {"kommuner": ["Silkeborg"]}, None),
}
NICE = ("nice", "-n", "10")
PUBLISHED = ("tables", "figures", "results/estimates.csv")


def data_folder(spec: str, work: Path) -> Path:
    kind, value = spec.split(":", 1)
    if kind == "seed":
        dst = work / "data" / f"seed-{value}"
        if not (dst / "SYNTHETIC").exists():
            subprocess.run([str(TPJ), "demo-data", "--out", str(dst), "--seed", value], check=True)
        return dst
    src = data_folder(f"seed:{DEMO_SEED}", work)
    dst = work / "data" / f"fmt-{value}"
    if not (dst / "SYNTHETIC").exists():
        from tpj_helpers.data.survey import load_codebook
        from tpj_helpers.paths import PARAMS_DIR
        from tpj_helpers.synthetic.export_formats import convert_folder

        codebook = load_codebook(PARAMS_DIR / "survey_codebook.yaml")
        if value == "semicolon-cp1252":
            convert_folder(src, dst, "semicolon", codebook)
            for p in dst.rglob("*.csv"):  # `;`-separated, re-encoded as Danish Excel on Windows
                text = p.read_bytes().decode("utf-8-sig")
                p.write_bytes(text.encode("cp1252"))
        else:
            convert_folder(src, dst, value, codebook)
    return dst


def params_file(name: str, data: Path, overrides: dict, work: Path, truth: bool) -> Path:
    p = yaml.safe_load((REPO / "params" / "default.yaml").read_text(encoding="utf-8"))
    p.update(overrides)
    p["data_dir"] = str(data)
    if truth:
        p["min_cell"] = 1
    out = work / "params" / f"{name}{'-truth' if truth else ''}.yaml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(p, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def run(params: Path, out: Path) -> tuple[Path | None, int, float, str]:
    """`tpj run --no-render`; the run folder (latest, else the newest), exit code, seconds."""
    t0 = time.time()
    proc = subprocess.run(
        [*NICE, str(TPJ), "run", "--params", str(params), "--out", str(out), "--no-render"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    secs = time.time() - t0
    folders = sorted(p for p in out.glob("2*") if p.is_dir()) if out.exists() else []
    run_dir = folders[-1] if folders else None
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-4:])
    return run_dir, proc.returncode, secs, tail


def audit(run_dir: Path) -> dict:
    f = run_dir / "results" / "disclosure_audit.csv"
    f.unlink(missing_ok=True)  # a failed run may hold none, or one from before
    proc = subprocess.run([str(TPJ), "audit", str(run_dir)], capture_output=True, text=True)
    if not f.exists():
        return {"error": (proc.stdout + proc.stderr).strip().splitlines()[-1:]}
    c = pd.read_csv(f)
    ok = c["ok"].astype(str).str.lower() == "true"
    return {
        "hidden": len(c),
        "primary": int((c["kind"] == "primary").sum()),
        "secondary": int((c["kind"] == "secondary").sum()),
        "blocked": int((c["kind"] == "blocked").sum()),
        "breaches": int((~ok).sum()),
    }


def checker(run_dir: Path, truth_dir: Path | None, min_cell: int, work: Path, name: str) -> dict:
    js = work / "checker" / f"{name}.json"
    csv = work / "checker" / f"{name}.csv"
    js.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(PY), str(REPO / "benchmarks" / "output_checker.py"), str(run_dir)]
    cmd += ["--min-cell", str(min_cell), "--json", str(js), "--csv", str(csv)]
    if truth_dir is not None:
        cmd += ["--truth", str(truth_dir)]
    subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if not js.exists():
        return {}
    s = json.loads(js.read_text(encoding="utf-8"))
    found = s["findings"]
    return {"findings": found, **split(csv, min_cell), "checker_csv": str(csv)}


def split(csv: Path, min_cell: int) -> dict:
    """Real recoveries (exact or narrowed, the truth run agreeing) of cells under min_cell (what
    the rule protects) and of the others («..» cells, hidden to protect them); real candidates
    (an integer printed elsewhere that happened to fit)."""
    f = pd.read_csv(csv)
    real = f[(f["verdict"] == "real") & f["kind"].isin(["exact", "narrowed"])]
    small = real["truth"] < min_cell
    return {
        "real_recoveries": int(small.sum()),
        "real_recoveries_secondary": int((~small).sum()),
        "real_candidates": int(((f["verdict"] == "real") & (f["kind"] == "candidate")).sum()),
    }


def identical(a: Path, b: Path) -> list[str]:
    """Published files that differ between two run folders (empty: byte-identical)."""
    diff = []
    for part in PUBLISHED:
        pa, pb = a / part, b / part
        if pa.is_file() or pb.is_file():
            if not (pa.is_file() and pb.is_file() and filecmp.cmp(pa, pb, shallow=False)):
                diff.append(part)
            continue
        names = {p.name for p in pa.glob("*.csv")} | {p.name for p in pb.glob("*.csv")}
        for n in sorted(names):
            if not ((pa / n).exists() and (pb / n).exists()) or not filecmp.cmp(
                pa / n, pb / n, shallow=False
            ):
                diff.append(f"{part}/{n}")
    return diff


def evaluate(name: str, work: Path, results: dict, runs: dict, truths: dict) -> dict:
    """Audit, output checker against the truth run, and (formats) the comparison with the demo."""
    spec, over, truth_of = VARIANTS[name]
    run_dir, rc, secs, tail = runs[name]
    row: dict = {"data": spec, "params": over}
    row.update({"exit": rc, "seconds": round(secs, 1), "run_dir": str(run_dir)})
    if rc != 0:
        row["message"] = tail
    if run_dir is not None:
        row["audit"] = audit(run_dir)
    t_dir, t_rc, _, t_tail = truths[truth_of or name]
    if t_rc != 0:
        row["truth_message"] = t_tail
    if run_dir is not None:  # a failed run: what it published before the failure
        row["checker"] = checker(
            run_dir, t_dir if t_rc == 0 else None, over.get("min_cell", 5), work, name
        )
    if spec.startswith("format:") and "demo" in runs and runs["demo"][0] is not None:
        row["differs_from_demo"] = identical(run_dir, runs["demo"][0]) if run_dir else ["no run"]
    return row


def main(argv: list[str] | None = None) -> int:
    from concurrent.futures import ThreadPoolExecutor

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/c_sweep"))
    ap.add_argument("--only", nargs="*", help="variants to run (default all)")
    ap.add_argument("--jobs", type=int, default=2, help="runs at the same time")
    ap.add_argument(
        "--recheck", action="store_true", help="only audit and check the runs already there"
    )
    ap.add_argument(
        "--summarize", action="store_true", help="only recount the checker's findings files"
    )
    a = ap.parse_args(argv)
    work = a.work.resolve()
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    if a.summarize:
        for name, row in results.get("variants", {}).items():
            if row.get("checker", {}).get("checker_csv"):
                mc = row["params"].get("min_cell", 5)
                row["checker"].update(split(Path(row["checker"]["checker_csv"]), mc))
            print(
                name,
                row.get("audit"),
                {k: v for k, v in row.get("checker", {}).items() if k != "checker_csv"},
            )
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
        return 0
    results.setdefault("variants", {})
    results["load_before"] = os.getloadavg()
    names = [n for n in VARIANTS if not a.only or n in a.only]
    truth_names = list(dict.fromkeys(VARIANTS[n][2] or n for n in names))
    if "demo" not in names and any(VARIANTS[n][0].startswith("format:") for n in names):
        names = ["demo", *names]
    for n in names:  # data folders first, one at a time
        data_folder(VARIANTS[n][0], work)
    jobs = []  # each variant, then its truth run when not yet queued
    for n in names:
        jobs.append((n, False))
        t = VARIANTS[n][2] or n
        if (t, True) not in jobs:
            jobs.append((t, True))

    def one(job):
        name, truth = job
        spec, over, _ = VARIANTS[name]
        out = work / ("truth" if truth else "runs") / name
        if a.recheck:
            latest = out / "latest"
            folders = sorted(p for p in out.glob("2*") if p.is_dir()) if out.exists() else []
            d = latest.resolve() if latest.exists() else (folders[-1] if folders else None)
            return job, (d, 0 if latest.exists() else 1, 0.0, "")
        res = run(params_file(name, data_folder(spec, work), over, work, truth), out)
        print(f"{'truth ' if truth else ''}{name}: exit {res[1]}, {res[2]:.0f} s", flush=True)
        return job, res

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        done = dict(pool.map(one, jobs))
    runs = {n: done[(n, False)] for n in names}
    truths = {n: done[(n, True)] for n in truth_names}
    for name in names:
        row = evaluate(name, work, results, runs, truths)
        if a.recheck and name in results["variants"]:
            row["seconds"] = results["variants"][name].get("seconds")
        results["variants"][name] = row
        au, ch = row.get("audit", {}), row.get("checker", {})
        print(
            f"{name}: exit {row['exit']}, hidden {au.get('hidden')}, breaches "
            f"{au.get('breaches')}, real recoveries {ch.get('real_recoveries')}"
            + (f", differs {row['differs_from_demo'][:5]}" if "differs_from_demo" in row else ""),
            flush=True,
        )
    results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
