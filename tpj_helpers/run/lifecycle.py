"""A run's life beyond its notebooks: who runs it, stopping it cleanly, finding dead runs, `latest`.

- `process_identity()`: pid, host and the process's start time (from /proc, so that a reused pid
  is not taken for the run's process), stored in the manifest.
- `Stopper`: SIGINT/SIGTERM handlers for the duration of a run. The first signal sets `stopped`,
  kills the running kernels (their notebooks then fail at once, and the workers take no further
  notebook) and, outside the notebook phase, raises `RunInterrupted` in the main thread (a render's
  subprocess is killed by `subprocess.run` on the way out).
- `mark_abandoned(out_root)`: a run folder whose manifest still says `running` although its process
  is gone (SIGKILL, power cut) is marked `abandoned` and its partial files are removed.
- `point_latest(out_root)`: `latest` -> the successful run with the newest start time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
from datetime import datetime
from pathlib import Path

KERNEL_DIR_PREFIX = "tpj-kernel-"


class RunInterrupted(Exception):
    """The run was stopped by SIGINT or SIGTERM."""


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def process_identity() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "pid_start": _start_time(os.getpid())}


def process_alive(pid: int, pid_start: str | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    if pid_start is not None:
        now = _start_time(pid)
        if now is not None and now != pid_start:
            return False  # the pid was reused by another process
    return True


def remove_partial_files(run_dir: Path) -> list[str]:
    """Remove the partial files a stopped run can leave: `*.tmp` files and folders (renders,
    estimates) and notebook staging folders."""
    removed = []
    for p in sorted(Path(run_dir).rglob("*.tmp")):
        with contextlib.suppress(OSError):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
            removed.append(str(p.relative_to(run_dir)))
    stage = Path(run_dir) / ".stage"
    if stage.exists():
        shutil.rmtree(stage, ignore_errors=True)
        removed.append(".stage")
    return removed


def remove_stale_kernel_dirs() -> None:
    """Kernel socket/connection folders (`tpj-kernel-<pid>-*` in the temporary folder) of tpj
    processes that are gone: a killed run cannot remove them itself."""
    for p in Path(tempfile.gettempdir()).glob(f"{KERNEL_DIR_PREFIX}*"):
        try:
            pid = int(p.name[len(KERNEL_DIR_PREFIX) :].split("-", 1)[0])
        except ValueError:
            continue
        if not process_alive(pid):
            kill_processes_using(p)  # its orphaned kernels: they would write there again
            shutil.rmtree(p, ignore_errors=True)


def kill_processes_using(folder: Path) -> list[int]:
    """Kill the processes whose command line names `folder` (the kernels of a killed run, which
    were given their connection file there); Linux /proc only."""
    killed = []
    needle = str(folder).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            with contextlib.suppress(OSError):
                os.kill(int(proc.name), signal.SIGKILL)
                killed.append(int(proc.name))
    return killed


def read_manifest(run_dir: Path) -> dict | None:
    try:
        return json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_folders(out_root: Path):
    """(run folder, manifest) of every run folder under `out_root`."""
    out_root = Path(out_root)
    if not out_root.is_dir():
        return
    for d in sorted(out_root.iterdir()):
        if d.is_dir() and not d.is_symlink() and not d.name.startswith("."):
            manifest = read_manifest(d)
            if manifest is not None:
                yield d, manifest


def mark_abandoned(out_root: Path, write_manifest) -> list[str]:
    """Mark runs still `running` whose process is gone (same host) `abandoned`; returns their ids."""
    host = socket.gethostname()
    marked = []
    for run_dir, manifest in run_folders(out_root):
        if manifest.get("status") != "running":
            continue
        proc = manifest.get("process") or {}
        if proc.get("host") != host or not isinstance(proc.get("pid"), int):
            continue
        if process_alive(proc["pid"], proc.get("pid_start")):
            continue
        manifest["status"] = "abandoned"
        manifest["abandoned"] = {
            "found": datetime.now().astimezone().isoformat(),
            "by_pid": os.getpid(),
            "removed": remove_partial_files(run_dir),
        }
        write_manifest(run_dir, manifest)
        marked.append(run_dir.name)
    return marked


def newest_ok_run(out_root: Path) -> Path | None:
    best = None
    for run_dir, manifest in run_folders(out_root):
        if manifest.get("status") == "ok" and manifest.get("started"):
            try:
                started = datetime.fromisoformat(manifest["started"])
            except (TypeError, ValueError):
                continue
            if best is None or started > best[0]:
                best = (started, run_dir)
    return best[1] if best else None


def point_latest(out_root: Path) -> Path | None:
    """Point `out_root/latest` at the newest successful run by start time (atomic replace)."""
    out_root = Path(out_root)
    target = newest_ok_run(out_root)
    if target is None:
        return None
    link = out_root / "latest"
    tmp = out_root / f".latest-{os.getpid()}-{threading.get_ident()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.name)
    os.replace(tmp, link)
    return target


class Stopper:
    """SIGINT/SIGTERM handling for one run (a context manager; only in the main thread)."""

    def __init__(self):
        self.stopped: str | None = None
        self.in_notebooks = False
        self._kernels: set = set()
        self._lock = threading.Lock()
        self._old: dict = {}

    def add_kernel(self, km) -> None:
        with self._lock:
            self._kernels.add(km)
        if self.stopped:
            self._kill(km)

    def discard_kernel(self, km) -> None:
        with self._lock:
            self._kernels.discard(km)

    @staticmethod
    def _kill(km) -> None:
        proc = getattr(getattr(km, "provisioner", None), "process", None)
        with contextlib.suppress(Exception):
            if proc is not None and proc.poll() is None:
                proc.kill()

    def _handle(self, signum, frame) -> None:
        first = self.stopped is None
        self.stopped = signal.Signals(signum).name
        with self._lock:
            kernels = list(self._kernels)
        for km in kernels:
            self._kill(km)
        if first and not self.in_notebooks:
            raise RunInterrupted(self.stopped)

    def check(self) -> None:
        if self.stopped:
            raise RunInterrupted(self.stopped)

    def __enter__(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()
