"""Notebook 10 (survey outcomes) alone, on the demo and on tiny deliveries (issue 12, engineer B).

Executes the code cells of `notebooks/10_survey_outcomes.ipynb` in this process (as papermill
would, the parameters cell followed by `data_dir` and `output_dir`), timing each cell and
counting the integer programmes the disclosure model solves (`scipy.optimize.milp` calls made by
`tpj_helpers.publish.disclosure`). Variants as in `small_sweep.py`: `demo`, `keep:<n>` (a data
folder of the first n completers), `kommune:<name>`. `--code DIR` puts another checkout's
`tpj_helpers` first on the path (the "before" of a change: `git archive <commit> tpj_helpers |
tar -x -C DIR`); run it from a folder without `tpj_helpers` of its own.

    .venv/bin/python benchmarks/bench_survey_outcomes.py --label after keep:2 keep:3 demo
    (cd /tmp && /work/wt/b/.venv/bin/python /work/wt/b/benchmarks/bench_survey_outcomes.py \\
        --code /tmp/b_basecode --label before keep:2)

Results are added to `benchmarks/results/survey_outcomes_speed.json` under the label: per
variant the seconds of the whole notebook and of each cell, the number of integer programmes,
the load average while it ran, and the sha256 of every file it published (tables, figures'
data, disclosure sidecars), so that before and after can be compared file by file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "10_survey_outcomes.ipynb"
RESULTS = REPO / "benchmarks" / "results" / "survey_outcomes_speed.json"


def data_folder(variant: str, work: Path) -> tuple[str, list | None]:
    """(data_dir, kommuner) of a variant; crafted folders are written under `work`."""
    kind, _, arg = variant.partition(":")
    if kind == "demo":
        return "demo", None
    if kind == "kommune":
        return "demo", arg.split("+")
    from tpj_helpers.data.study import resolve_data_dir
    from tpj_helpers.synthetic import subset

    src = Path(resolve_data_dir("demo", 2025, 1.0))
    dst = work / "data" / variant.replace(":", "_")
    if not dst.exists():
        if kind != "keep":
            raise SystemExit(f"unknown variant {variant}")
        subset.copy_subset(src, dst, subset.completers(src, int(arg)))
    return str(dst), None


def run(variant: str, work: Path) -> dict:
    import scipy.optimize

    from tpj_helpers.publish import disclosure

    calls = {"milp": 0}
    real_milp = scipy.optimize.milp

    def counted(*a, **k):
        calls["milp"] += 1
        return real_milp(*a, **k)

    disclosure.milp = counted
    data_dir, kommuner = data_folder(variant, work)
    out = work / "out" / variant.replace(":", "_")
    if out.exists():
        shutil.rmtree(out)
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    ns: dict = {}
    times = []
    load0 = os.getloadavg()[0]
    start = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(REPO)  # the parameters name files relative to the repository
    try:
        for i, cell in enumerate(cells):
            src = "".join(cell["source"])
            if "parameters" in (cell.get("metadata", {}).get("tags") or []):
                src += f"\ndata_dir = {data_dir!r}\noutput_dir = {str(out)!r}\n"
                src += f"kommuner = {kommuner!r}\n"
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the displayed tables
                exec(compile(src, f"<cell {i + 1}>", "exec"), ns)
            times.append(round(time.perf_counter() - t, 2))
    finally:
        os.chdir(cwd)
        disclosure.milp = real_milp
    total = round(time.perf_counter() - start, 1)
    files = {}
    for sub in ("tables", "figures", "results/disclosure"):
        for p in sorted((out / sub).glob("*.csv")) + sorted((out / sub).glob("*.json")):
            files[str(p.relative_to(out))] = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return {
        "seconds": total,
        "cell_seconds": times,
        "milp_calls": calls["milp"],
        "load_average_start_end": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "files": files,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--label", required=True, help="e.g. before / after")
    ap.add_argument("--code", type=Path, help="a checkout whose tpj_helpers is used instead")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench_survey_outcomes"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args(argv)
    if a.code:
        sys.path.insert(0, str(a.code.resolve()))
    import tpj_helpers

    rows = json.loads(a.out.read_text(encoding="utf-8")) if a.out.is_file() else {}
    for v in a.variants:
        r = run(v, a.work / a.label)
        r.update(
            code=str(Path(tpj_helpers.__file__).resolve().parents[1]),
            machine=f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        )
        print(
            json.dumps({k: r[k] for k in ("seconds", "milp_calls", "load_average_start_end")}),
            v,
            a.label,
            flush=True,
        )
        rows.setdefault(a.label, {})[v] = r
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
