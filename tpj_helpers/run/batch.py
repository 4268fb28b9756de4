"""`tpj batch params/batch.yaml`: report variants, each an independent `tpj run` with its own
parameters (and so its own disclosure control), sharing one cache of executed notebooks.

The batch file names a base parameter file and the variants:

    base: params/default.yaml
    batch_min_persons: 30
    variants:
      - by: phase            # one variant per phase of the base's `phases`
      - by: kommune          # one per municipality with >= batch_min_persons participants
      - name: pilot-aalborg  # an explicit variant: parameters over the base
        params: {phases: [pilot], kommuner: [Aalborg]}

Every variant runs as a `tpj run` process into `<out>/<batch id>/<variant>/`, in parallel on local
processes (`--jobs`, default 2) or as tasks on a Dask distributed cluster (`--scheduler ADDRESS`;
the workers must see the same repository and output folder). A failing variant does not stop the
others; `index.html` in the batch folder links every report and names every failed variant with
its exit code and message.
"""

from __future__ import annotations

import csv
import html
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from tpj_helpers.data.study import REPO_ROOT, resolve, resolve_data_dir

EXIT_MEANING = {
    0: "ok",
    1: "a notebook failed",
    2: "bad data or parameters",
    3: "render failed",
    130: "interrupted",
}


class BatchError(ValueError):
    """The batch file is wrong (exit code 2)."""


@dataclass
class Variant:
    name: str
    params: dict = field(default_factory=dict)


@dataclass
class VariantResult:
    name: str
    exit_code: int
    seconds: float
    run_dir: str | None
    message: str = ""
    params: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
    out = "".join(c if c.isalnum() else "-" for c in text.translate(table).lower())
    return "-".join(p for p in out.split("-") if p)


def kommune_counts(data_dir: Path) -> dict[str, int]:
    """Participants (distinct person ids of `enrolments.csv`) per municipality."""
    persons: dict[str, set[str]] = {}
    with (data_dir / "enrolments.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("kommune"):
                persons.setdefault(row["kommune"], set()).add(row["person_id"])
    return {k: len(v) for k, v in sorted(persons.items())}


def read_batch(path: Path | str) -> tuple[dict, list[Variant], dict]:
    """(the batch file, its variants expanded, the base parameters)."""
    from tpj_helpers.run.runner import read_params

    path = resolve(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BatchError(f"{path}: cannot read the batch file: {exc}") from exc
    unknown = sorted(set(spec) - {"base", "batch_min_persons", "variants"})
    if unknown:
        raise BatchError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: base, batch_min_persons, variants"
        )
    base = read_params(spec.get("base", "params/default.yaml"))
    # The demo data are generated here, once, not by the variants at the same time.
    data = resolve_data_dir(base["data_dir"], base["demo_seed"], base["demo_scale"])
    min_persons = int(spec.get("batch_min_persons", 30))
    variants: list[Variant] = []
    for i, item in enumerate(spec.get("variants") or []):
        by = item.get("by") if isinstance(item, dict) else None
        if by == "phase":
            variants += [Variant(f"fase-{_slug(p)}", {"phases": [p]}) for p in base["phases"]]
        elif by == "kommune":
            variants += [
                Variant(f"kommune-{_slug(k)}", {"kommuner": [k]})
                for k, n in kommune_counts(data).items()
                if n >= min_persons
            ]
        elif isinstance(item, dict) and item.get("name"):
            variants.append(Variant(_slug(str(item["name"])), dict(item.get("params") or {})))
        else:
            raise BatchError(
                f"{path}: variant {i + 1} needs `by: phase`, `by: kommune` or a `name`"
                f" (and `params`); got {item!r}"
            )
    names = [v.name for v in variants]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BatchError(f"{path}: variant name(s) {', '.join(twice)} more than once")
    if not variants:
        raise BatchError(f"{path}: no variants")
    return spec, variants, base


def run_variant(
    name: str,
    params_file: str,
    out_root: str,
    cache_dir: str,
    jobs: int,
    render: bool = True,
    repo: str = str(REPO_ROOT),
) -> dict:
    """One variant: `tpj run` in a process of its own (also on a Dask worker). Returns a
    VariantResult as a dict (picklable, for Dask)."""
    cmd = [
        sys.executable,
        "-m",
        "tpj_helpers.run.cli",
        "run",
        "--params",
        params_file,
        "--out",
        out_root,
        "--cache-dir",
        cache_dir,
        "--jobs",
        str(jobs),
    ]
    if not render:
        cmd.append("--no-render")
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=repo, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    latest = Path(out_root) / "latest"
    run_dir = str(latest.resolve()) if done.returncode == 0 and latest.exists() else None
    lines = [
        ln for ln in done.stderr.splitlines() if ln.startswith("tpj:")
    ] or done.stderr.splitlines()[-3:]
    return asdict(
        VariantResult(
            name,
            done.returncode,
            round(time.perf_counter() - start, 2),
            run_dir,
            "\n".join(lines)[:2000],
        )
    )


def write_index(batch_dir: Path, results: list[VariantResult], meta: dict) -> Path:
    """`index.html`: every variant with a link to its report, failed ones named with the reason."""
    rows = []
    for r in results:
        if r.ok and r.run_dir and (Path(r.run_dir) / "report" / "index.html").is_file():
            link = os.path.relpath(Path(r.run_dir) / "report" / "index.html", batch_dir)
            pdf = os.path.relpath(Path(r.run_dir) / "report" / "report.pdf", batch_dir)
            cell = f'<a href="{html.escape(link)}">rapport (HTML)</a> · <a href="{html.escape(pdf)}">PDF</a>'
            status = "ok"
        elif r.ok and r.run_dir:  # --no-render: the run folder's manifest
            link = os.path.relpath(Path(r.run_dir) / "manifest.json", batch_dir)
            cell = f'<a href="{html.escape(link)}">kørsel (uden rapport)</a>'
            status = "ok"
        else:
            cell = f"<pre>{html.escape(r.message)}</pre>"
            status = f"FEJLET ({r.exit_code}: {html.escape(EXIT_MEANING.get(r.exit_code, 'fejl'))})"
        params = html.escape(json.dumps(r.params, ensure_ascii=False))
        rows.append(
            f"<tr><td>{html.escape(r.name)}</td><td><code>{params}</code></td>"
            f"<td>{status}</td><td>{cell}</td><td>{r.seconds:.0f} s</td></tr>"
        )
    failed = [r.name for r in results if not r.ok]
    summary = f"{len(results) - len(failed)} af {len(results)} varianter er kørt." + (
        f" Fejlede: {html.escape(', '.join(failed))}." if failed else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>Tættere På Job: rapportvarianter</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left;vertical-align:top}}
pre{{white-space:pre-wrap;margin:0}}</style></head><body>
<h1>Rapportvarianter</h1>
<p>Kørsel {html.escape(meta["batch_id"])} af {html.escape(meta["batch_file"])}, {html.escape(meta["engine"])}.
{summary}</p>
<table><thead><tr><th>Variant</th><th>Parametre</th><th>Status</th><th>Rapport</th><th>Tid</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    path = batch_dir / "index.html"
    tmp = path.with_name("index.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def run_batch(
    batch_file: Path | str,
    out_root: Path | str | None = None,
    jobs: int = 2,
    scheduler: str | None = None,
    cluster=None,
    jobs_per_run: int = 1,
    render: bool = True,
    quiet: bool = False,
) -> tuple[Path, list[VariantResult]]:
    """Run every variant; returns the batch folder and the results in the batch file's order.
    `scheduler`: a Dask scheduler address; `cluster`: a Dask cluster object (tests)."""
    spec, variants, _ = read_batch(batch_file)
    out_root = resolve(out_root) if out_root is not None else REPO_ROOT / "output"
    batch_id = "batch-" + datetime.now().strftime("%Y%m%d-%H%M%S")
    batch_dir = out_root / batch_id
    batch_dir.mkdir(parents=True, exist_ok=False)
    cache_dir = out_root / ".cache"
    params_base = yaml.safe_load(
        resolve(spec.get("base", "params/default.yaml")).read_text(encoding="utf-8")
    )
    tasks = []
    for v in variants:
        vdir = batch_dir / v.name
        vdir.mkdir()
        pfile = vdir / "params.yaml"
        pfile.write_text(
            yaml.safe_dump({**params_base, **v.params}, allow_unicode=True), encoding="utf-8"
        )
        tasks.append((v.name, str(pfile), str(vdir), str(cache_dir), jobs_per_run, render))

    def say(msg: str) -> None:
        if not quiet:
            print(f"tpj batch: {msg}", flush=True)

    engine = (
        f"Dask ({scheduler or 'cluster'})"
        if (scheduler or cluster is not None)
        else f"{jobs} lokale processer"
    )
    say(f"{len(tasks)} variants into {batch_dir} on {engine}")
    start = time.perf_counter()
    if scheduler or cluster is not None:
        from distributed import Client, as_completed

        client = Client(scheduler) if scheduler else Client(cluster)
        try:
            futures = [
                client.submit(run_variant, *t, key=f"tpj-{batch_id}-{t[0]}", pure=False)
                for t in tasks
            ]
            raw = {}
            for fut in as_completed(futures):
                try:
                    r = fut.result()
                except Exception as exc:  # the worker died, ...: that variant fails, not the batch
                    name = fut.key.split(f"tpj-{batch_id}-", 1)[-1]
                    r = asdict(VariantResult(name, 1, 0.0, None, f"{type(exc).__name__}: {exc}"))
                raw[r["name"]] = r
                say(
                    f"{r['name']}: {EXIT_MEANING.get(r['exit_code'], 'failed')} ({r['seconds']:.0f} s)"
                )
        finally:
            client.close()
    else:
        raw = {}
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for r in pool.map(lambda t: run_variant(*t), tasks):
                raw[r["name"]] = r
                say(
                    f"{r['name']}: {EXIT_MEANING.get(r['exit_code'], 'failed')} ({r['seconds']:.0f} s)"
                )
    results = []
    for v in variants:
        r = VariantResult(**raw[v.name])
        r.params = v.params
        results.append(r)
    meta = {
        "batch_id": batch_id,
        "batch_file": str(resolve(batch_file)),
        "engine": engine,
        "seconds": round(time.perf_counter() - start, 2),
    }
    (batch_dir / "batch.json").write_text(
        json.dumps({**meta, "variants": [asdict(r) for r in results]}, indent=2, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    index = write_index(batch_dir, results, meta)
    say(
        f"done in {meta['seconds']:.0f} s: {sum(r.ok for r in results)} of {len(results)} ok; {index}"
    )
    return batch_dir, results
