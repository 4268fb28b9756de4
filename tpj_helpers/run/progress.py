"""Progress of a run on a terminal: one live line (tqdm) with the notebooks done and the elapsed
time of each one executing. Without a terminal (logs, CI) nothing is drawn: the runner's plain
log lines ("<notebook> started", "[i/n] <notebook> ok (s)") are the progress.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time


class LiveProgress:
    """A status line refreshed twice a second while notebooks execute (use as a context manager)."""

    def __init__(self, total: int, stream=None):
        from tqdm import tqdm

        self._tqdm = tqdm
        self.stream = stream or sys.stdout
        self.running: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        size = shutil.get_terminal_size((100, 20))  # a pty without a size reports 0 x 0
        self.bar = tqdm(
            total=total,
            file=self.stream,
            unit="nb",
            ncols=size.columns or 100,
            nrows=size.lines or 20,
            leave=False,
            bar_format="{n_fmt}/{total_fmt} notebooks {elapsed} | {desc}",
        )
        self._thread = threading.Thread(target=self._refresh, name="tpj-progress", daemon=True)

    def __enter__(self) -> LiveProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.bar.close()

    def start(self, name: str) -> None:
        with self._lock:
            self.running[name] = time.monotonic()

    def done(self, name: str) -> None:
        with self._lock:
            self.running.pop(name, None)
            self.bar.update(1)

    def describe(self) -> str:
        now = time.monotonic()
        with self._lock:
            return ", ".join(f"{n} {now - t:.0f} s" for n, t in self.running.items()) or "waiting"

    def write(self, text: str) -> None:
        """A log line above the status line."""
        self._tqdm.write(text.rstrip("\n"), file=self.stream)

    def _refresh(self) -> None:
        while not self._stop.wait(0.5):
            self.bar.set_description_str(self.describe(), refresh=True)


class ProgressStream:
    """A file-like stream for the console log handler: lines go above the live status line."""

    def __init__(self, progress: LiveProgress):
        self.progress = progress

    def write(self, text: str) -> None:
        if text.strip():
            self.progress.write(text)

    def flush(self) -> None:
        pass


def wanted(quiet: bool, stream=None) -> bool:
    """A live line only on a terminal."""
    stream = stream or sys.stdout
    return not quiet and hasattr(stream, "isatty") and stream.isatty()
