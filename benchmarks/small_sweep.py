"""Sweep: does a small delivery get a report? (issue 12, part 4, "small groups everywhere")

Runs `tpj run --no-render` on small populations cut from the demo data and records, per variant,
the exit code, the run status, the notebook that failed (with the last line of its error) and
the disclosure audit's summary. Variants:

- `kommune:<name>`: one municipality (or a grouping, names joined by `+`) through the run
  parameter `kommuner: [...]`;
- `keep:<n>`: a data folder holding the first `n` completers of the demo (in the order of
  `enrolments.csv`, completers with register consent), and nobody else;
- `hold:<id>`: only the enrolments of one hold;
- `wave:<wave>`: the survey reduced to one wave (the other waves' files and invitations removed);
- `nointerviews`: the qualitative material without interviews (no `qual/` folder).

Crafted data folders are written under `--work` (never into the demo folder).

    .venv/bin/python benchmarks/small_sweep.py [--work /tmp/b_sweep] [--jobs 1] VARIANT ...

Results (one JSON object per variant) in `benchmarks/results/small_sweep.json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from tpj_helpers.synthetic import subset

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "small_sweep.json"


def demo_dir() -> Path:
    from tpj_helpers.data.study import resolve_data_dir

    return Path(resolve_data_dir("demo", 2025, 1.0))


def crafted(variant: str, work: Path) -> Path | None:
    """The data folder of a crafted variant (None: the demo folder itself)."""
    src = demo_dir()
    kind, _, arg = variant.partition(":")
    if kind == "kommune":
        return None
    dst = work / "data" / variant.replace(":", "_")
    if kind == "keep":
        subset.copy_subset(src, dst, subset.completers(src, int(arg)))
    elif kind == "hold":
        subset.copy_subset(src, dst, subset.hold(src, arg))
    elif kind == "wave":
        subset.copy_subset(src, dst, None, waves=(arg,))
    elif kind == "nointerviews":
        subset.copy_subset(src, dst)
        shutil.rmtree(dst / "qual")
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    return dst


def run_variant(variant: str, work: Path, render: bool) -> dict:
    base = yaml.safe_load((REPO / "params" / "default.yaml").read_text(encoding="utf-8"))
    data = crafted(variant, work)
    kind, _, arg = variant.partition(":")
    if kind == "kommune":
        base["kommuner"] = arg.split("+")
    if data is not None:
        base["data_dir"] = str(data)
    name = variant.replace(":", "_").replace("+", "_")
    params = work / "params" / f"{name}.yaml"
    params.parent.mkdir(parents=True, exist_ok=True)
    params.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    out = work / "out" / name
    if out.exists():
        shutil.rmtree(out)
    cmd = [str(REPO / ".venv" / "bin" / "tpj"), "run", "--params", str(params), "--out", str(out)]
    if not render:
        cmd.append("--no-render")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    row = {
        "variant": variant,
        "exit_code": proc.returncode,
        "seconds": round(time.perf_counter() - start, 1),
        "out": str(out),
    }
    manifest = out / "latest" / "manifest.json"
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        row["status"] = m.get("status")
        row["failed"] = {
            nb: "{}: {}".format(
                (e.get("error") or {}).get("error", ""), (e.get("error") or {}).get("message", "")
            )[-400:]
            for nb, e in (m.get("notebooks") or {}).items()
            if e.get("status") not in ("ok", None)
        }
        if m.get("error"):
            row["error"] = str(m["error"])[-400:]
        audit = out / "latest" / "results" / "disclosure_audit.csv"
        if audit.is_file():
            a = pd.read_csv(audit)
            row["audit"] = {
                "hidden": len(a),
                "primary": int((a["kind"] == "primary").sum()),
                "breaches": int((~a["ok"].astype(bool)).sum()),
            }
    if proc.returncode != 0:
        row["stderr_tail"] = proc.stderr.strip().splitlines()[-3:]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--work", type=Path, default=Path("/tmp/b_sweep"))
    ap.add_argument("--render", action="store_true", help="also render the report")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    rows = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
    for variant in args.variants:
        row = run_variant(variant, args.work, args.render)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows[variant] = row
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
