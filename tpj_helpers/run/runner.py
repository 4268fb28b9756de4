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
import re
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

from tpj_helpers.data.formats import describe_folder
from tpj_helpers.data.study import REPO_ROOT, resolve, resolve_data_dir, validate_data
from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS
from tpj_helpers.run import cache as nbcache
from tpj_helpers.run import lifecycle
from tpj_helpers.run.errors import ParameterError, RenderFailed, RunError
from tpj_helpers.run.lifecycle import RunInterrupted
from tpj_helpers.run.params import check_params

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEFAULT_PARAMS = REPO_ROOT / "params" / "default.yaml"
# Parameters every notebook receives (the run folder is added as output_dir); a notebook also
# receives any other run parameter its parameters cell declares (e.g. deep_dive_municipalities).
NOTEBOOK_PARAMS = (
    "data_dir",
    "demo_seed",
    "demo_scale",
    "phases",
    "survey_phase",
    "min_cell",
    "min_group_size",
    "dream_score_map",
    "survey_codebook",
)
# Every parameter of params/default.yaml is known; a run's file may set only these.
KNOWN_PARAMS = {
    *NOTEBOOK_PARAMS,
    "notebooks",
    "final_notebooks",
    *(yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8")) or {}),
}
PACKAGES = (
    "tpj",
    "pandas",
    "numpy",
    "polars",
    "pyarrow",
    "pandera",
    "statsmodels",
    "scipy",
    "seaborn",
    "matplotlib",
    "babel",
    "papermill",
    "nbclient",
    "ipykernel",
    "pypandoc-binary",
    "typst",
)

log = logging.getLogger("tpj.run")


# The run's SIGINT/SIGTERM handler while a run is going on (its kernels register there).
_STOPPER: lifecycle.Stopper | None = None
# The live status line on a terminal while notebooks execute (None in logs and CI).
_PROGRESS = None


@dataclass
class NotebookResult:
    name: str
    status: str = "pending"
    seconds: float = 0.0
    error: dict = field(default_factory=dict)
    source: str = "run"  # "run" (executed) | "cache" (reused)
    key: str = ""
    outputs: list = field(default_factory=list)
    run_seconds: float | None = None  # of the execution a reused result comes from


@dataclass
class RunResult:
    run_dir: Path
    ok: bool
    notebooks: list[NotebookResult]
    manifest: dict


# --------------------------------------------------------------------------- stages


def _params_file(path: Path | str) -> Path:
    """A parameter file: absolute as given, else in the current directory, else in the repo."""
    p = Path(path).expanduser()
    return p if p.is_absolute() or p.exists() else REPO_ROOT / p


def read_params(path: Path | str, data_dir: str | None = None) -> dict:
    """The run's parameters over the documented defaults, checked (`run.params`): unknown names,
    types, ranges and paths stop here, before any work."""
    path = _params_file(path)
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ParameterError(f"parameter file {path} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"parameter file {path} is not valid YAML: {exc}") from None
    if not isinstance(params, dict):
        raise ParameterError(f"parameter file {path}: expected 'name: value' lines")
    defaults = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    user_keys = set() if path == DEFAULT_PARAMS else set(params)
    if data_dir is not None:
        params["data_dir"] = str(data_dir)
        user_keys.add("data_dir")
    return check_params({**defaults, **params}, defaults, user_keys, where=str(path))


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def input_hashes(data_dir: Path, params: dict) -> dict[str, str]:
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    out = {str(p.relative_to(data_dir)): sha256(p) for p in files}
    for key in ("dream_score_map", "survey_codebook"):
        out[f"params:{params[key]}"] = sha256(resolve(params[key]))
    return out


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
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
    consoles = [
        h
        for h in log.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    if consoles:  # a run in the same process before: write to the stdout of now, not of then
        with consoles[0].lock:  # not setStream: it flushes the old stream, which may be closed
            consoles[0].stream = sys.stdout
    elif not quiet:
        console = logging.StreamHandler(sys.stdout)
        console.setFormatter(logging.Formatter("tpj: %(message)s"))
        console.addFilter(lambda record: not getattr(record, "file_only", False))
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
            # The connection file (it holds the HMAC key) in the same folder, removed with it.
            kwargs.setdefault("connection_file", os.path.join(socket_dir, "kernel.json"))
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


def kernel_env() -> dict[str, str]:
    """The environment of a notebook kernel: the run's own, with a fixed hash seed. Python
    randomises the order of sets of strings per process, and libraries that build a model's
    columns from such sets (formulaic, under pyfixest) then sum in another order: the last digits
    of an estimate changed from run to run. With the seed fixed, the same data and code give the
    same estimates.csv byte for byte."""
    return {**os.environ, "PYTHONHASHSEED": "0"}


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
            self._socket_dir = tempfile.TemporaryDirectory(
                prefix=f"{lifecycle.KERNEL_DIR_PREFIX}{os.getpid()}-"
            )
            self.km = _ipc_kernel_manager(self._socket_dir.name)(kernel_name="python3")
            run_sync(self.km.start_kernel)(cwd=str(REPO_ROOT), env=kernel_env())
            if _STOPPER is not None:
                _STOPPER.add_kernel(self.km)
            self._run_code(KERNEL_INIT)
            self.used = 0
        elif self.used:
            self._run_code(KERNEL_RESET)
        self.used += 1
        return self.km

    def close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is not None:
            if _STOPPER is not None:
                _STOPPER.discard_kernel(self.km)
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


class _ExitHooks:
    """Stands in for `atexit` in nbclient's module: nbclient registers a clean-up hook for each
    notebook and removes it when the notebook ends, but not when the kernel dies while it starts
    (as when a stopped run kills its kernels); that hook then fails at exit with an AssertionError
    traceback, its kernel already cleaned up. The worker drops its thread's leftover hooks after
    each notebook (`drop_leftovers`)."""

    def __init__(self):
        self._local = threading.local()

    def _hooks(self) -> list:
        if not hasattr(self._local, "hooks"):
            self._local.hooks = []
        return self._local.hooks

    def register(self, fn, *args, **kwargs):
        import atexit

        self._hooks().append(fn)
        return atexit.register(fn, *args, **kwargs)

    def unregister(self, fn) -> None:
        import atexit

        hooks = self._hooks()
        if fn in hooks:
            hooks.remove(fn)
        atexit.unregister(fn)

    def drop_leftovers(self) -> None:
        import atexit

        for fn in self._hooks():
            atexit.unregister(fn)
        self._local.hooks = []


EXIT_HOOKS = _ExitHooks()


def _papermill():
    """papermill, imported without `rfc3987_syntax`: jsonschema (via nbformat) loads it only for
    an optional 'iri' format check that notebook validation never uses, and building its grammar
    costs about a second of CPU at import, on the critical path of every run."""
    if "papermill" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    import nbclient.client
    import papermill

    nbclient.client.atexit = EXIT_HOOKS  # type: ignore[assignment]
    return papermill


def declared_parameters(source: Path, store: nbcache.Store | None = None) -> set[str]:
    """The names a notebook's parameters cell declares (papermill's reading of it), remembered
    in the cache by the notebook's content: importing papermill costs seconds that a run whose
    notebooks are all reused should not spend."""
    memo = None
    if store is not None:
        memo = store.root / "declared" / f"{nbcache.file_sha(source)}.json"
        with contextlib.suppress(OSError, ValueError):
            return set(json.loads(memo.read_text(encoding="utf-8")))
    pm = _papermill()
    try:
        declared = set(pm.inspect_notebook(str(source)))
    except Exception:  # a notebook papermill cannot read fails later, with context
        return set()
    if memo is not None:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sorted(declared)), encoding="utf-8")
        os.replace(tmp, memo)
    return declared


def notebook_parameters(source: Path, params: dict, declared: set[str] | None = None) -> dict:
    """The run parameters for one notebook: the common ones, plus every other run parameter that
    its parameters cell declares."""
    if declared is None:
        declared = declared_parameters(source)
    keys = [*NOTEBOOK_PARAMS, *(k for k in params if k in declared and k not in NOTEBOOK_PARAMS)]
    return {k: params[k] for k in keys if k in params and k not in ("notebooks", "final_notebooks")}


def execute_notebook(
    name: str, run_dir: Path, params: dict, worker: KernelWorker, output_dir: Path | None = None
) -> NotebookResult:
    """Execute one notebook into `run_dir/notebooks/`; it publishes into `output_dir` (default
    the run folder; a staging folder when the runner needs to know which files it wrote)."""
    pm = _papermill()

    result = NotebookResult(name)
    source = NOTEBOOK_DIR / f"{name}.ipynb"
    target = run_dir / "notebooks" / f"{name}.ipynb"
    nb_params = notebook_parameters(source, params)
    nb_params["output_dir"] = str(output_dir or run_dir)
    start = time.perf_counter()
    try:
        km = worker.kernel()
        pm.execute_notebook(
            str(source),
            str(target),
            parameters=nb_params,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            km=km,
        )
        result.status = "ok"
    except pm.PapermillExecutionError as exc:
        result.status = "failed"
        result.error = {
            "cell_index": exc.cell_index,
            "execution_count": exc.exec_count,
            "cell_source": _cell_source(target),
            "error": exc.ename,
            "message": str(exc.evalue)[:2000],
        }
    except Exception as exc:  # kernel died, notebook missing, ...
        result.status = "failed"
        result.error = {"cell_index": None, "error": type(exc).__name__, "message": str(exc)[:2000]}
    EXIT_HOOKS.drop_leftovers()
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
        seconds = {
            k: float(v.get("run_seconds") or v["seconds"])
            for k, v in manifest.get("notebooks", {}).items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        seconds = {}
    return sorted(names, key=lambda n: (n not in seconds, -seconds.get(n, 0.0)))


def run_notebooks(
    names: list[str],
    run_dir: Path,
    params: dict,
    jobs: int,
    fresh_kernels: bool = False,
    finals: list[str] | tuple[str, ...] = (),
    between=None,
    output_dirs: dict | None = None,
    on_done=None,
) -> tuple[list[NotebookResult], list[NotebookResult]]:
    """Execute `names` on `jobs` worker threads, each with its own kernel; then `finals`.

    A worker takes the next notebook from a shared queue, so the notebooks run in parallel, up to
    `jobs` at a time, in the order given. Kernels are bound to their thread (their event loop
    lives there), which is why the workers are plain threads and not an executor's pool.
    When every worker has finished the first phase, `between(results)` runs once (it records the
    results and collects the estimates; it returns False to stop), and the first worker then
    executes `finals` one after another on its kernel, already warm. Returns the results of both
    phases, each in the order given. `between` may also return a list: the finals still to
    execute (the others were reused). `output_dirs`: where a notebook publishes (default the run
    folder); `on_done(result)` runs in the worker after each notebook. After SIGINT/SIGTERM no
    worker takes another notebook.
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
        if _STOPPER is not None and _STOPPER.stopped:
            proceed[0] = False
        elif between is not None:
            answer = between([results[n] for n in names if n in results])
            if isinstance(answer, list):
                while not queues[1].empty():
                    queues[1].get_nowait()
                for n in answer:
                    queues[1].put(n)
            proceed[0] = bool(answer) or isinstance(answer, list)

    barrier = threading.Barrier(n_threads, action=after_first_phase)

    def run_queue(k: int, worker: KernelWorker) -> None:
        total = len(names) if k == 0 else len(finals)
        while True:
            if _STOPPER is not None and _STOPPER.stopped:
                return
            try:
                name = queues[k].get_nowait()
            except queue.Empty:
                return
            log.info("%s started", name)
            if _PROGRESS is not None:
                _PROGRESS.start(name)
            r = execute_notebook(name, run_dir, params, worker, (output_dirs or {}).get(name))
            if on_done is not None and r.status == "ok":
                on_done(r)
            if _PROGRESS is not None:
                _PROGRESS.done(name)
            with lock:
                results[r.name] = r
                done[k] += 1
                i = done[k]
            if _STOPPER is not None and _STOPPER.stopped and r.status != "ok":
                r.status = "interrupted"
                log.info("[%d/%d] %s stopped (%s)", i, total, r.name, _STOPPER.stopped)
            elif r.status == "ok":
                log.info("[%d/%d] %s ok (%.1f s)", i, total, r.name, r.seconds)
            else:
                log.error(
                    "[%d/%d] %s FAILED in cell %s: %s: %s",
                    i,
                    total,
                    r.name,
                    r.error.get("cell_index"),
                    r.error.get("error"),
                    r.error.get("message"),
                )

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

    threads = [
        threading.Thread(target=work, args=(k,), name=f"tpj-worker-{k}") for k in range(n_threads)
    ]
    for t in threads:
        t.start()
    for t in threads:
        # Short joins: a signal may reach a worker thread at OS level, and Python runs the
        # handler only when the main thread executes, not while it blocks in one long join.
        while t.is_alive():
            t.join(0.2)
    return (
        [results[n] for n in names if n in results],
        [results[n] for n in finals if n in results],
    )


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
    # Holm-adjusted p-values within the families of subgroup and item tests (publish/multiple.py).
    from tpj_helpers.publish.multiple import OUTPUT_COLUMNS, holm_column

    p_holm = holm_column([dict(zip(ESTIMATE_COLUMNS, r, strict=True)) for r in rows])
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows((*r, p) for r, p in zip(rows, p_holm, strict=True))
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
        raise ParameterError(
            f"no notebook {', '.join(missing)} in {NOTEBOOK_DIR} "
            "(parameters notebooks / final_notebooks)"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ParameterError(
            f"notebook(s) {', '.join(twice)} named more than once in notebooks / final_notebooks"
        )


def point_latest(out_root: Path, run_dir: Path | None = None) -> None:
    """`latest` -> the newest successful run by start time (`run_dir` is not needed)."""
    lifecycle.point_latest(out_root)


def write_manifest(run_dir: Path, manifest: dict) -> None:
    (run_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8"
    )


# --------------------------------------------------------------------------- orchestration


EMBED = re.compile(r"\{\{<\s*embed\s+notebooks/([^/#\s]+)\.ipynb")


def report_notebooks(report_src: Path = REPO_ROOT / "report") -> list[str]:
    """The notebooks the report source embeds, in order of first embedding."""
    names: list[str] = []
    for qmd in sorted(Path(report_src).glob("*.qmd")):
        for name in EMBED.findall(qmd.read_text(encoding="utf-8")):
            if name not in names:
                names.append(name)
    return names


def plan_notebooks(
    params: dict, render: bool, only: list[str] | None
) -> tuple[list[str], list[str], set[str]]:
    """The analysis and final notebooks of the run, and those that must execute (not be reused).

    `only` (`tpj run --only`): these execute, the others are reused when possible. A rendered
    run whose `notebooks` / `final_notebooks` leave out notebooks the report embeds gets them
    added (in the default parameters' order and phase), reused when possible; the listed ones
    then execute.
    """
    names = list(params["notebooks"])
    finals = list(params.get("final_notebooks") or [])
    forced = set(only or [])
    unknown = sorted(forced - set(names) - set(finals))
    if unknown:
        # --only may name a notebook the parameters leave out, if it exists.
        missing = [n for n in unknown if not (NOTEBOOK_DIR / f"{n}.ipynb").is_file()]
        if missing:
            raise ParameterError(f"--only: no notebook {', '.join(missing)} in {NOTEBOOK_DIR}")
        names += unknown
    if render:
        default = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
        default_finals = default.get("final_notebooks") or []
        needed = [
            n
            for n in report_notebooks()
            if n not in names and n not in finals and (NOTEBOOK_DIR / f"{n}.ipynb").is_file()
        ]
        order = [*(default.get("notebooks") or []), *default_finals, *needed]
        added = [n for n in dict.fromkeys(order) if n in needed]
        if added:
            log.info("the report embeds %s too: taken from the cache or executed", ", ".join(added))
            if not only:
                forced |= set(names) | set(finals)
            names += [n for n in added if n not in default_finals]
            finals += [n for n in added if n in default_finals]
    return names, finals, forced


def _entry(r: NotebookResult) -> dict:
    out = {"status": r.status, "seconds": r.seconds, "source": r.source}
    if r.run_seconds is not None:
        out["run_seconds"] = r.run_seconds
    if r.key:
        out["key"] = r.key
    if r.outputs:
        out["outputs"] = list(r.outputs)
    if r.error:
        out["error"] = r.error
    return out


def run(
    params_path: Path | str = DEFAULT_PARAMS,
    data_dir: str | None = None,
    out_root: Path | str | None = None,
    jobs: int | None = None,
    render: bool = True,
    fresh_kernels: bool = False,
    quiet: bool = False,
    only: list[str] | None = None,
    cache: bool = True,
    cache_dir: Path | str | None = None,
) -> RunResult:
    """One run. `only`: notebooks to execute even when the cache has them (the others are
    reused when their inputs are unchanged). `cache=False`: execute everything and store
    nothing. `cache_dir`: the store of executed notebooks and renders (default
    `<out_root>/.cache`; a batch shares one)."""
    global _STOPPER
    params = read_params(params_path, data_dir)
    # --out: a relative folder is meant from the current directory (as --data-dir)
    out_root = (
        Path.cwd() / Path(out_root).expanduser() if out_root is not None else REPO_ROOT / "output"
    )
    data_path = resolve_data_dir(params["data_dir"], params["demo_seed"], params["demo_scale"])
    params["data_dir"] = str(data_path)
    abandoned = lifecycle.mark_abandoned(out_root, write_manifest)
    lifecycle.remove_stale_kernel_dirs()
    run_dir = new_run_dir(out_root)
    handler = _setup_logging(run_dir, quiet)
    started = datetime.now().astimezone()
    manifest = {
        "run_id": run_dir.name,
        "status": "running",
        "started": started.isoformat(),
        "process": lifecycle.process_identity(),
        "params_file": str(resolve(params_path)),
        "params": params,
        "inputs_sha256": input_hashes(data_path, params),
        "input_formats": describe_folder(data_path),
        "versions": versions(),
        "git": git_commit(),
        "platform": platform.platform(),
        "notebooks": {},
        "report": {},
    }
    write_manifest(run_dir, manifest)
    log.info("run %s on %s", run_dir.name, data_path)
    for name in abandoned:
        log.info("run %s: its process is gone; marked abandoned", name)
    store = (
        nbcache.Store(resolve(cache_dir) if cache_dir else out_root / ".cache") if cache else None
    )
    all_results: list[NotebookResult] = []
    stopper = _STOPPER = lifecycle.Stopper()
    stopper.__enter__()
    try:
        check_notebooks(params)
        names, finals, forced = plan_notebooks(params, render, only)
        code = nbcache.code_hash()
        data_hash = nbcache.digest(manifest["inputs_sha256"])
        keys: dict[str, str] = {}
        reused: list[NotebookResult] = []

        def reuse(name: str, key: str) -> NotebookResult | None:
            entry = store.get(key) if store is not None and name not in forced else None
            if entry is None:
                return None
            t = time.perf_counter()
            outputs = store.restore_notebook(entry, run_dir)
            r = NotebookResult(
                name,
                "ok",
                round(time.perf_counter() - t, 2),
                source="cache",
                key=key,
                outputs=outputs,
                run_seconds=entry.meta.get("seconds"),
            )
            log.info("%s reused from the cache (unchanged)", name)
            return r

        for n in names:
            source = NOTEBOOK_DIR / f"{n}.ipynb"
            nb_params = notebook_parameters(source, params, declared_parameters(source, store))
            keys[n] = nbcache.notebook_key(source, nb_params, data_hash, code, resolve)
            r = reuse(n, keys[n])
            if r is not None:
                reused.append(r)
        to_run = [n for n in names if n not in {r.name for r in reused}]

        if to_run:
            # Validate the data once, up front: a broken file stops here with the contract
            # message, and the notebooks then read the validated data from the cache.
            t = time.perf_counter()
            synthetic = validate_data(
                params["data_dir"],
                params["dream_score_map"],
                params["survey_codebook"],
                params["phases"],
                params["demo_seed"],
                params["demo_scale"],
                allow_missing_waves=params.get("allow_missing_waves", False),
            )
            manifest["data_seconds"] = round(time.perf_counter() - t, 2)
            log.info(
                "data validated (%.1f s)%s",
                manifest["data_seconds"],
                "; SYNTHETIC data" if synthetic else "",
            )
        else:
            # Every analysis notebook is reused: they ran on data with this content hash and
            # this code, so the data passed this check then.
            synthetic = bool(store.get(keys[names[0]]).meta.get("synthetic")) if names else False
            manifest["data_check"] = "skipped: every notebook reused (same data hash and code)"
        manifest["synthetic"] = synthetic

        jobs = jobs or min(os.cpu_count() or 1, max(len(to_run), 1))
        manifest["execution"] = {
            "jobs": jobs,
            "kernels": "fresh per notebook"
            if fresh_kernels
            else "one per worker, reset between notebooks",
        }
        stage_root = run_dir / ".stage"
        output_dirs = {n: stage_root / n for n in to_run}
        before: list[dict] = [{}]  # the run folder's published files before the next final

        def on_done(r: NotebookResult) -> None:
            """Move a notebook's published files into the run folder and store it in the cache."""
            r.key = keys.get(r.name, "")
            if r.name in output_dirs:
                r.outputs = nbcache.move_into(output_dirs[r.name], run_dir)
            else:  # a final notebook publishes into the run folder: what changed is its own
                now = nbcache.tree_hashes(run_dir, nbcache.PUBLISHED)
                r.outputs = [k for k, v in now.items() if before[0].get(k) != v]
                before[0] = now
            if store is not None and r.key:
                store.put_notebook(
                    r.key,
                    r.name,
                    run_dir / "notebooks" / f"{r.name}.ipynb",
                    {rel: run_dir / rel for rel in r.outputs},
                    {"seconds": r.seconds, "synthetic": synthetic},
                )

        def record(results: list[NotebookResult]) -> RunError | None:
            all_results.extend(results)
            manifest["notebooks"].update({r.name: _entry(r) for r in results})
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
        final_reused: list[NotebookResult] = []

        def between(results: list[NotebookResult]):
            """After the analysis notebooks: record them, collect the estimates, reuse the
            final notebooks whose run-folder inputs are unchanged; returns the finals to run."""
            done = {r.name: r for r in [*reused, *results]}
            first_error[0] = record([done[n] for n in names if n in done])
            if first_error[0] is not None or stopper.stopped:
                return False
            collect_estimates(run_dir)
            before[0] = nbcache.tree_hashes(run_dir, nbcache.PUBLISHED)
            # A final's inputs: the analyses' published files and the finals before it, each
            # named by its key (a final is a function of its key). Keys are taken here, before
            # any final executes, so a final's key is the same whether the ones before it were
            # executed or reused.
            chain = dict(before[0])
            todo: list[str] = []
            for f in finals:
                source = NOTEBOOK_DIR / f"{f}.ipynb"
                nb_params = notebook_parameters(source, params, declared_parameters(source, store))
                keys[f] = nbcache.notebook_key(
                    source, nb_params, data_hash, code, resolve, run_folder=chain
                )
                chain = {**chain, f"final:{f}": keys[f]}
                r = None if todo else reuse(f, keys[f])  # after one executes, the rest do too
                if r is None:
                    todo.append(f)
                else:
                    final_reused.append(r)
                    before[0] = nbcache.tree_hashes(run_dir, nbcache.PUBLISHED)
            return todo

        stopper.in_notebooks = True
        if to_run or finals:
            with _live_progress(quiet, len(to_run) + len(finals)):
                analysis, final = run_notebooks(
                    longest_first(to_run, out_root),
                    run_dir,
                    params,
                    min(jobs, max(len(to_run), 1)),
                    fresh_kernels,
                    finals=finals,
                    between=between,
                    output_dirs=output_dirs,
                    on_done=on_done,
                )
        else:
            analysis, final = [], []
        if not finals:
            between(analysis)
        stopper.in_notebooks = False
        if stopper.stopped:  # what ran before the stop, for the manifest
            manifest["notebooks"].update(
                {
                    r.name: _entry(r)
                    for r in [*reused, *analysis, *final]
                    if r.name not in manifest["notebooks"]
                }
            )
        stopper.check()
        if first_error[0] is not None:
            raise first_error[0]
        if finals:
            done = {r.name: r for r in [*final_reused, *final]}
            error = record([done[n] for n in finals if n in done])
            if error is not None:
                raise error
            collect_estimates(run_dir)
        audit_stage(run_dir, store, code, manifest)
        if render:
            render_run(run_dir, synthetic, store, code, manifest)
        manifest["status"] = "ok"
    except RunInterrupted as exc:
        manifest["status"] = "interrupted"
        manifest["error"] = f"stopped by {exc}"
        log.error("run interrupted (%s): the queue was stopped and the kernels shut down", exc)
        raise
    except Exception as exc:
        manifest["status"] = "failed"
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        # In run.log; on screen the command line prints the message once (on stderr).
        log.error("run failed: %s", exc, extra={"file_only": True})
        raise
    finally:
        stopper.in_notebooks = True  # a signal now no longer interrupts the bookkeeping
        _STOPPER = None
        lifecycle.remove_partial_files(run_dir)
        manifest["finished"] = datetime.now().astimezone().isoformat()
        write_manifest(run_dir, manifest)
        log.removeHandler(handler)
        handler.close()
        stopper.__exit__(None, None, None)
    point_latest(out_root)
    return RunResult(run_dir=run_dir, ok=True, notebooks=all_results, manifest=manifest)


@contextlib.contextmanager
def _live_progress(quiet: bool, total: int):
    """On a terminal: a live status line, the console log lines printed above it."""
    global _PROGRESS
    from tpj_helpers.run import progress

    console = [
        h
        for h in log.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    if not progress.wanted(quiet) or not console:
        yield
        return
    with progress.LiveProgress(total) as live:
        old = console[0].setStream(progress.ProgressStream(live))
        _PROGRESS = live
        try:
            yield
        finally:
            _PROGRESS = None
            console[0].setStream(old)


def audit_stage(run_dir: Path, store, code: str, manifest: dict) -> None:
    """Disclosure audit of everything published (tpj_helpers/publish/audit.py): a hidden cell that
    the published files pin down fails the run, naming table, row and column. An audit of the same
    published files by the same code is taken from the cache."""
    key = nbcache.digest({"audit": nbcache.tree_hashes(run_dir, nbcache.PUBLISHED), "code": code})
    entry = store.get(key) if store is not None else None
    if entry is not None:
        store.restore_notebook(entry, run_dir)
        manifest["disclosure_audit"] = {**entry.meta["summary"], "source": "cache"}
        log.info(
            "disclosure audit reused from the cache (same published files): %s hidden cells, no breach",
            entry.meta["summary"]["hidden"],
        )
        return
    _papermill()  # nbformat without the rfc3987 grammar build, as for the notebooks
    from tpj_helpers.publish.audit import AUDIT_FILE, AUDIT_NOTEBOOK, audit_run

    audit = audit_run(run_dir)
    summary = audit.summary()
    manifest["disclosure_audit"] = {**summary, "source": "run"}
    if summary["breaches"]:
        raise RunError(audit.message())
    log.info("disclosure audit: %s hidden cells, no breach", summary["hidden"])
    if store is not None:
        store.put_notebook(
            key,
            AUDIT_NOTEBOOK,
            run_dir / "notebooks" / f"{AUDIT_NOTEBOOK}.ipynb",
            {AUDIT_FILE: run_dir / AUDIT_FILE},
            {"summary": summary},
        )


def render_run(run_dir: Path, synthetic: bool, store, code: str, manifest: dict) -> None:
    """Render the report, or reuse the render of the same notebooks, files and report source."""
    from tpj_helpers.report.render import REPORT_SRC, RenderError, render_report

    t = time.perf_counter()
    key = nbcache.digest(
        {
            "render": nbcache.render_key(run_dir, REPORT_SRC, code, synthetic),
            "date": datetime.now().date().isoformat(),
        }
    )  # the report says today's date
    entry = store.get(key) if store is not None else None
    report = run_dir / "report"
    if entry is not None:
        store.restore_render(entry, run_dir)
        manifest["report"] = {
            "html": str(report / "index.html"),
            "pdf": str(report / "report.pdf"),
            "engine": entry.meta.get("engine"),
            "source": "cache",
            "seconds": round(time.perf_counter() - t, 2),
        }
        log.info("report reused from the cache (same notebooks, tables and report source)")
        return
    try:
        rendered = render_report(run_dir, synthetic=synthetic)
    except RenderError as exc:
        raise RenderFailed(f"render failed: {exc}") from exc
    manifest["report"] = {
        "html": str(rendered.html),
        "pdf": str(rendered.pdf),
        "engine": rendered.engine,
        "source": "run",
        "seconds": round(time.perf_counter() - t, 2),
    }
    log.info("report rendered (%.1f s, %s)", manifest["report"]["seconds"], rendered.engine)
    if store is not None:
        store.put_render(
            key, run_dir, {"engine": rendered.engine, "seconds": manifest["report"]["seconds"]}
        )
