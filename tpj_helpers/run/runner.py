"""`tpj run`: one execution of the whole suite with one parameter file.

Stages (each one function): read parameters -> resolve and validate the data once -> make the run
folder and manifest -> execute the notebooks with Papermill (in parallel) -> collect estimates ->
execute the final notebooks (`final_notebooks`, e.g. the resumé, which read the run folder) ->
collect estimates again -> render the report -> finish the manifest and point `latest` at the run. A failing notebook stops
the run with the notebook, cell and error named on screen and in `manifest.json`; earlier run
folders are never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

import yaml

from tpj_helpers.data.study import REPO_ROOT, resolve, resolve_data_dir, validate_data
from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEFAULT_PARAMS = REPO_ROOT / "params" / "default.yaml"
# Parameters every notebook receives (the run folder is added as output_dir); a notebook also
# receives any other run parameter its parameters cell declares (e.g. deep_dive_municipalities).
NOTEBOOK_PARAMS = (
    "data_dir", "demo_seed", "demo_scale", "phases", "survey_phase", "min_cell",
    "min_group_size", "dream_score_map", "survey_codebook",
)
# Every parameter of params/default.yaml is known; a run's file may set only these.
KNOWN_PARAMS = {*NOTEBOOK_PARAMS, "notebooks", "final_notebooks",
                *(yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8")) or {})}
PACKAGES = (
    "tpj", "pandas", "numpy", "polars", "pyarrow", "pandera", "statsmodels", "scipy", "seaborn",
    "matplotlib", "babel", "papermill", "nbclient", "ipykernel", "pypandoc-binary", "typst",
)

log = logging.getLogger("tpj.run")


class RunError(RuntimeError):
    """The run failed; the message says where."""


@dataclass
class NotebookResult:
    name: str
    status: str = "pending"
    seconds: float = 0.0
    error: dict = field(default_factory=dict)


@dataclass
class RunResult:
    run_dir: Path
    ok: bool
    notebooks: list[NotebookResult]
    manifest: dict


# --------------------------------------------------------------------------- stages


def read_params(path: Path | str, data_dir: str | None = None) -> dict:
    path = resolve(path)
    params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        raise RunError(f"{path}: unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_PARAMS))}")
    if data_dir is not None:
        params["data_dir"] = str(data_dir)
    defaults = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    return {**defaults, **params}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_hashes(data_dir: Path, params: dict) -> dict[str, str]:
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    out = {str(p.relative_to(data_dir)): sha256(p) for p in files}
    for key in ("dream_score_map", "survey_codebook"):
        out[f"params:{params[key]}"] = sha256(resolve(params[key]))
    return out


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                                  timeout=10, check=False).stdout.strip()
        except OSError:
            return ""

    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def new_run_dir(out_root: Path) -> Path:
    out_root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(100):
        run_dir = out_root / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        for sub in ("notebooks", "tables", "figures", "results", "report"):
            (run_dir / sub).mkdir()
        return run_dir
    raise RunError(f"could not create a new run folder in {out_root}")


def _setup_logging(run_dir: Path, quiet: bool) -> logging.Handler:
    handler = logging.FileHandler(run_dir / "run.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    if not quiet and not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) for h in log.handlers):
        console = logging.StreamHandler(sys.stdout)
        console.setFormatter(logging.Formatter("tpj: %(message)s"))
        log.addHandler(console)
    return handler


def _ipc_kernel_manager(socket_dir: str):
    """A kernel manager talking to the kernel over local IPC sockets instead of TCP ports.

    The sockets live in `socket_dir`, one folder per kernel: kernels started at the same time
    would otherwise pick the same socket names (in the working directory) and read each other's
    messages.
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(socket_dir, "kernel"))
            super().__init__(**kwargs)

    return IPCKernelManager


# Run in a worker's kernel when it starts: remember matplotlib's settings as the kernel has them.
KERNEL_INIT = """\
import matplotlib as _mpl, matplotlib.pyplot as _plt
_mpl._tpj_rc_start = _mpl.rcParams.copy()
del _mpl, _plt
"""
# Run between two notebooks in the same kernel: a clean namespace, no open figures, matplotlib's
# settings as at kernel start. Imported modules stay loaded (that is the saving); the helpers keep
# no state between calls.
KERNEL_RESET = """\
import matplotlib as _mpl, matplotlib.pyplot as _plt
_plt.close("all")
_mpl.rcParams.update(_mpl._tpj_rc_start)
del _mpl, _plt
%reset -f
"""


class KernelWorker:
    """One Jupyter kernel reused for the notebooks one worker thread executes.

    Starting a kernel and importing pandas, scipy, statsmodels and matplotlib costs about 5 s of
    CPU per notebook on a small machine, more than most notebooks' own work. A worker therefore
    keeps its kernel and resets it between notebooks (`KERNEL_RESET`): every notebook still starts
    from an empty namespace and default plot settings. A notebook that fails gets the kernel
    replaced, so that a crashed or half-initialised kernel never runs the next notebook.
    `fresh=True` starts a new kernel for every notebook instead.
    """

    def __init__(self, fresh: bool = False):
        self.fresh = fresh
        self.km = None
        self.used = 0
        self._socket_dir: tempfile.TemporaryDirectory | None = None

    def _run_code(self, code: str) -> None:
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        NotebookClient(nb, km=self.km, timeout=120, allow_errors=False).execute()

    def kernel(self):
        """The worker's kernel manager, started (and reset when it ran a notebook before)."""
        from jupyter_core.utils import run_sync

        if self.km is not None and (self.fresh or not run_sync(self.km.is_alive)()):
            self.close()
        if self.km is None:
            self._socket_dir = tempfile.TemporaryDirectory(prefix="tpj-kernel-")
            self.km = _ipc_kernel_manager(self._socket_dir.name)(kernel_name="python3")
            run_sync(self.km.start_kernel)(cwd=str(REPO_ROOT))
            self._run_code(KERNEL_INIT)
            self.used = 0
        elif self.used:
            self._run_code(KERNEL_RESET)
        self.used += 1
        return self.km

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None:
            with contextlib.suppress(Exception):  # a dead kernel needs no shutdown
                run_sync(self.km.shutdown_kernel)(now=True)
            self.km = None
        if self._socket_dir is not None:
            self._socket_dir.cleanup()
            self._socket_dir = None


def _cell_source(executed: Path) -> str:
    """The first lines of the cell that raised (the code cell with an error output)."""
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return ""
    for cell in cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.outputs):
            return "\n".join(cell.source.splitlines()[:5])
    return ""


def _papermill():
    """papermill, imported without `rfc3987_syntax`: jsonschema (via nbformat) loads it only for
    an optional 'iri' format check that notebook validation never uses, and building its grammar
    costs about a second of CPU at import, on the critical path of every run."""
    if "papermill" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    import papermill

    return papermill


def notebook_parameters(source: Path, params: dict) -> dict:
    """The run parameters for one notebook: the common ones, plus every other run parameter that
    its parameters cell declares."""
    pm = _papermill()

    try:
        declared = set(pm.inspect_notebook(str(source)))
    except Exception:  # a notebook papermill cannot read fails later, with context
        declared = set()
    keys = [*NOTEBOOK_PARAMS, *(k for k in params if k in declared and k not in NOTEBOOK_PARAMS)]
    return {k: params[k] for k in keys if k in params and k not in ("notebooks", "final_notebooks")}


def execute_notebook(name: str, run_dir: Path, params: dict, worker: KernelWorker) -> NotebookResult:
    pm = _papermill()

    result = NotebookResult(name)
    source = NOTEBOOK_DIR / f"{name}.ipynb"
    target = run_dir / "notebooks" / f"{name}.ipynb"
    nb_params = notebook_parameters(source, params)
    nb_params["output_dir"] = str(run_dir)
    start = time.perf_counter()
    try:
        km = worker.kernel()
        pm.execute_notebook(
            str(source), str(target), parameters=nb_params, kernel_name="python3",
            progress_bar=False, log_output=False, km=km,
        )
        result.status = "ok"
    except pm.PapermillExecutionError as exc:
        result.status = "failed"
        result.error = {"cell_index": exc.cell_index, "execution_count": exc.exec_count,
                        "cell_source": _cell_source(target),
                        "error": exc.ename, "message": str(exc.evalue)[:2000]}
    except Exception as exc:  # kernel died, notebook missing, ...
        result.status = "failed"
        result.error = {"cell_index": None, "error": type(exc).__name__, "message": str(exc)[:2000]}
    if result.status != "ok":
        worker.close()  # the next notebook of this worker gets a new kernel
    result.seconds = round(time.perf_counter() - start, 2)
    return result


def longest_first(names: list[str], out_root: Path) -> list[str]:
    """The notebooks in the order to start them: longest first by the last successful run's
    durations (`latest/manifest.json`), so that the workers finish close together; notebooks
    without a duration keep their given order, after those with one. The report's order is
    not affected."""
    try:
        manifest = json.loads((out_root / "latest" / "manifest.json").read_text(encoding="utf-8"))
        seconds = {k: float(v["seconds"]) for k, v in manifest.get("notebooks", {}).items()}
    except (OSError, ValueError, KeyError, TypeError):
        seconds = {}
    return sorted(names, key=lambda n: (n not in seconds, -seconds.get(n, 0.0)))


def run_notebooks(
    names: list[str], run_dir: Path, params: dict, jobs: int, fresh_kernels: bool = False,
    finals: list[str] | tuple[str, ...] = (), between=None,
) -> tuple[list[NotebookResult], list[NotebookResult]]:
    """Execute `names` on `jobs` worker threads, each with its own kernel; then `finals`.

    A worker takes the next notebook from a shared queue, so the notebooks run in parallel, up to
    `jobs` at a time, in the order given. Kernels are bound to their thread (their event loop
    lives there), which is why the workers are plain threads and not an executor's pool.
    When every worker has finished the first phase, `between(results)` runs once (it records the
    results and collects the estimates; it returns False to stop), and the first worker then
    executes `finals` one after another on its kernel, already warm. Returns the results of both
    phases, each in the order given.
    """
    names, finals = list(names), list(finals)
    n_threads = max(1, jobs)
    queues: list[queue.Queue[str]] = [queue.Queue(), queue.Queue()]
    for q, phase in zip(queues, (names, finals), strict=True):
        for n in phase:
            q.put(n)
    results: dict[str, NotebookResult] = {}
    done = [0, 0]
    lock = threading.Lock()
    proceed = [True]

    def after_first_phase() -> None:
        if between is not None:
            proceed[0] = bool(between([results[n] for n in names]))

    barrier = threading.Barrier(n_threads, action=after_first_phase)

    def run_queue(k: int, worker: KernelWorker) -> None:
        total = len(names) if k == 0 else len(finals)
        while True:
            try:
                name = queues[k].get_nowait()
            except queue.Empty:
                return
            r = execute_notebook(name, run_dir, params, worker)
            with lock:
                results[r.name] = r
                done[k] += 1
                i = done[k]
            if r.status == "ok":
                log.info("[%d/%d] %s ok (%.1f s)", i, total, r.name, r.seconds)
            else:
                log.error("[%d/%d] %s FAILED in cell %s: %s: %s", i, total, r.name,
                          r.error.get("cell_index"), r.error.get("error"), r.error.get("message"))

    def work(index: int) -> None:
        worker = KernelWorker(fresh=fresh_kernels)
        try:
            try:
                run_queue(0, worker)
            finally:
                if finals:
                    barrier.wait()  # every worker arrives, also after an unexpected error
            if finals and index == 0 and proceed[0]:
                run_queue(1, worker)
        finally:
            worker.close()

    threads = [threading.Thread(target=work, args=(k,), name=f"tpj-worker-{k}")
               for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[n] for n in names], [results[n] for n in finals if n in results]


def collect_estimates(run_dir: Path) -> Path:
    """Merge the notebooks' `results/estimates_<notebook>.csv` parts into `results/estimates.csv`
    and remove the parts. Idempotent: an existing estimates.csv (from an earlier collection in the
    same run) is kept and the new parts appended; a row already there is not added twice."""
    import csv

    path = run_dir / "results" / "estimates.csv"
    parts = sorted((run_dir / "results").glob("estimates_*.csv"))
    rows: dict[tuple[str, ...], None] = {}  # ordered and without duplicates
    for source in ([path] if path.exists() else []) + parts:
        with source.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ESTIMATE_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise RunError(f"{source}: estimates without the columns {', '.join(missing)}")
            for row in reader:
                rows.setdefault(tuple(row[c] for c in ESTIMATE_COLUMNS))
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(ESTIMATE_COLUMNS)
        writer.writerows(rows)
    os.replace(tmp, path)
    for p in parts:
        p.unlink()
    return path


def check_notebooks(params: dict) -> None:
    """Every notebook named in `notebooks` and `final_notebooks` exists, and none is named twice:
    a misspelt name stops the run before any work, not after the analyses."""
    names = [*(params.get("notebooks") or []), *(params.get("final_notebooks") or [])]
    missing = [n for n in names if not (NOTEBOOK_DIR / f"{n}.ipynb").is_file()]
    if missing:
        raise RunError(f"no notebook {', '.join(missing)} in {NOTEBOOK_DIR} "
                       "(parameters notebooks / final_notebooks)")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RunError(f"notebook(s) {', '.join(twice)} named more than once in notebooks / final_notebooks")


def point_latest(out_root: Path, run_dir: Path) -> None:
    link = out_root / "latest"
    tmp = out_root / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, link)


def write_manifest(run_dir: Path, manifest: dict) -> None:
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


# --------------------------------------------------------------------------- orchestration


def run(
    params_path: Path | str = DEFAULT_PARAMS,
    data_dir: str | None = None,
    out_root: Path | str | None = None,
    jobs: int | None = None,
    render: bool = True,
    fresh_kernels: bool = False,
    quiet: bool = False,
) -> RunResult:
    params = read_params(params_path, data_dir)
    out_root = resolve(out_root) if out_root is not None else REPO_ROOT / "output"
    data_path = resolve_data_dir(params["data_dir"], params["demo_seed"], params["demo_scale"])
    params["data_dir"] = str(data_path)
    run_dir = new_run_dir(out_root)
    handler = _setup_logging(run_dir, quiet)
    started = datetime.now().astimezone()
    manifest = {
        "run_id": run_dir.name, "status": "running", "started": started.isoformat(),
        "params_file": str(resolve(params_path)), "params": params,
        "inputs_sha256": input_hashes(data_path, params), "versions": versions(),
        "git": git_commit(), "platform": platform.platform(), "notebooks": {}, "report": {},
    }
    write_manifest(run_dir, manifest)
    log.info("run %s on %s", run_dir.name, data_path)
    all_results: list[NotebookResult] = []
    try:
        check_notebooks(params)
        # Validate the data once, up front: a broken file stops here with the contract message,
        # and the notebooks then read the validated data from the cache.
        t = time.perf_counter()
        synthetic = validate_data(params["data_dir"], params["dream_score_map"],
                                  params["survey_codebook"], params["phases"],
                                  params["demo_seed"], params["demo_scale"])
        manifest["synthetic"] = synthetic
        manifest["data_seconds"] = round(time.perf_counter() - t, 2)
        log.info("data validated (%.1f s)%s", manifest["data_seconds"], "; SYNTHETIC data" if synthetic else "")

        names = list(params["notebooks"])
        finals = list(params.get("final_notebooks") or [])
        jobs = jobs or min(os.cpu_count() or 1, len(names))
        manifest["execution"] = {"jobs": jobs, "kernels": "fresh per notebook" if fresh_kernels
                                 else "one per worker, reset between notebooks"}
        # Phase 1: the analysis notebooks, in parallel. Phase 2 (after their estimates are
        # collected): the final notebooks, which read the run folder (e.g. the resumé).

        def record(results: list[NotebookResult]) -> RunError | None:
            all_results.extend(results)
            manifest["notebooks"].update(
                {r.name: {"status": r.status, "seconds": r.seconds, **({"error": r.error} if r.error else {})}
                 for r in results})
            failed = [r for r in results if r.status != "ok"]
            if not failed:
                return None
            first = failed[0]
            source = first.error.get("cell_source", "").splitlines()
            return RunError(
                f"notebook {first.name} failed in cell {first.error.get('cell_index')}"
                f"{' (' + source[0] + ')' if source else ''}: "
                f"{first.error.get('error')}: {first.error.get('message')}"
            )

        first_error: list[RunError | None] = [None]

        def between(results: list[NotebookResult]) -> bool:
            first_error[0] = record(sorted(results, key=lambda r: names.index(r.name)))
            if first_error[0] is None:
                collect_estimates(run_dir)
            return first_error[0] is None

        analysis, final = run_notebooks(
            longest_first(names, out_root), run_dir, params, min(jobs, max(len(names), 1)),
            fresh_kernels, finals=finals, between=between)
        if not finals:
            between(analysis)
        if first_error[0] is not None:
            raise first_error[0]
        if finals:
            error = record(final)
            if error is not None:
                raise error
            collect_estimates(run_dir)
        # Disclosure audit of everything published (tpj_helpers/publish/audit.py): a hidden cell
        # that the published files pin down fails the run, naming table, row and column.
        from tpj_helpers.publish.audit import audit_run

        audit = audit_run(run_dir)
        manifest["disclosure_audit"] = audit.summary()
        if audit.summary()["breaches"]:
            raise RunError(audit.message())
        log.info("disclosure audit: %s hidden cells, no breach", audit.summary()["hidden"])
        if render:
            from tpj_helpers.report.render import render_report

            t = time.perf_counter()
            rendered = render_report(run_dir, synthetic=synthetic)
            manifest["report"] = {"html": str(rendered.html), "pdf": str(rendered.pdf),
                                  "engine": rendered.engine,
                                  "seconds": round(time.perf_counter() - t, 2)}
            log.info("report rendered (%.1f s, %s)", manifest["report"]["seconds"], rendered.engine)
        manifest["status"] = "ok"
    except Exception as exc:
        manifest["status"] = "failed"
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        log.error("run failed: %s", exc)
        raise
    finally:
        manifest["finished"] = datetime.now().astimezone().isoformat()
        write_manifest(run_dir, manifest)
        log.removeHandler(handler)
        handler.close()
    point_latest(out_root, run_dir)
    return RunResult(run_dir=run_dir, ok=True, notebooks=all_results, manifest=manifest)
