"""Reuse of executed notebooks and rendered reports between runs: a content-addressed store.

A notebook's entry is keyed by the SHA-256 of everything its execution depends on:

- the notebook's source file (a changed caption is a new key);
- the values of the parameters the run passes it (its parameters cell's declarations), a value
  naming a file also by that file's content; `data_dir` and `output_dir` by content only (the data
  folder's content hash), so the same data elsewhere is the same key;
- the installed code: every `tpj_helpers` source file, `requirements.lock` and the Python version;
- for a final notebook (which reads the run folder), the content of the run folder's tables,
  figures and results when it starts.

An entry is a folder `<cache>/<key>/` with the executed notebook, the files the notebook published
(`files/tables/...`, `files/figures/...`, `files/results/...`) and `entry.json` (what it holds,
how long the execution took, whether the data were synthetic). Entries are written into a
temporary folder and renamed into place, so runs sharing a cache (a batch) never see half an entry,
and an entry, once there, is never changed. A reused notebook is copied into the run folder, so a
run folder stays complete and independent of the cache (deleting the cache loses no report).

Why not jupyter-cache: it keys a notebook on its code cells and kernel only (parameters and data
would have to be injected into the notebook first, the data files and the installed code added by
hand), keeps its index in one SQLite database that the parallel runs of a batch would all write to,
and stores no files beyond its "artifacts" of one execution folder, while our notebooks publish
into a shared run folder. The key above is a few lines of hashing over files we already read, and
an atomic rename is the whole concurrency story.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

from tpj_helpers.paths import REPO_ROOT

PUBLISHED = ("tables", "figures", "results")
CODE_FILES = ("requirements.lock",)
# A render entry holds these folders of the run folder.
RENDERED = ("report", "_report_src")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tree_hashes(folder: Path, subfolders: tuple[str, ...] = ()) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder` (or under its `subfolders`)."""
    folder = Path(folder)
    roots = [folder / s for s in subfolders] if subfolders else [folder]
    out: dict[str, str] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for p in sorted(root.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".tmp"):
                out[p.relative_to(folder).as_posix()] = file_sha(p)
    return out


def digest(obj) -> str:
    """SHA-256 of a JSON-serialisable value, independent of key order."""
    return _sha(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))


def code_hash(repo_root: Path = REPO_ROOT) -> str:
    """The installed code: `tpj_helpers/**/*.py`, `requirements.lock`, the Python version."""
    pkg = repo_root / "tpj_helpers"
    parts = {
        p.relative_to(repo_root).as_posix(): file_sha(p)
        for p in sorted(pkg.rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    for name in CODE_FILES:
        if (repo_root / name).is_file():
            parts[name] = file_sha(repo_root / name)
    parts["python"] = platform.python_version()
    return digest(parts)


def _value_for_key(value, resolve_path):
    """A parameter value as it enters a key: a string naming an existing file also by its content."""
    if isinstance(value, str) and value:
        try:
            path = resolve_path(value)
        except (OSError, ValueError, TypeError):
            return value
        if path.is_file():
            return {"value": value, "sha256": file_sha(path)}
    return value


def notebook_key(
    source: Path,
    nb_params: dict,
    data_hash: str,
    code: str,
    resolve_path,
    run_folder: dict[str, str] | None = None,
) -> str:
    """The cache key of one notebook execution (see the module's docstring)."""
    params = {
        k: _value_for_key(v, resolve_path)
        for k, v in nb_params.items()
        if k not in ("data_dir", "output_dir")
    }
    return digest(
        {
            "notebook": file_sha(source),
            "params": params,
            "data": data_hash,
            "code": code,
            "run_folder": run_folder or {},
        }
    )


def render_key(run_dir: Path, report_src: Path, code: str, synthetic: bool) -> str:
    """The cache key of a render: the run folder's notebooks and published files, the report
    source, the code and the synthetic flag (it adds a warning to the report)."""
    return digest(
        {
            "run": tree_hashes(run_dir, ("notebooks", *PUBLISHED)),
            "report_src": tree_hashes(report_src),
            "code": code,
            "synthetic": synthetic,
        }
    )


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


@dataclass
class Entry:
    key: str
    path: Path
    meta: dict


class Store:
    """The content-addressed store under `root` (created on first write)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def get(self, key: str) -> Entry | None:
        path = self.root / key
        try:
            meta = json.loads((path / "entry.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Entry(key, path, meta)

    def _publish(self, key: str, fill) -> Entry | None:
        """Write an entry into a temporary folder with `fill(folder) -> meta` and rename it into
        place; an entry that another run wrote first is kept (same key, same content)."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{key}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            meta = fill(tmp)
            (tmp / "entry.json").write_text(
                json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            with contextlib.suppress(OSError):  # already there (a concurrent run): keep that one
                os.rename(tmp, self.root / key)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self.get(key)

    # ----------------------------------------------------------------- notebooks

    def put_notebook(
        self, key: str, name: str, executed: Path, files: dict[str, Path], meta: dict
    ) -> Entry | None:
        """Store an executed notebook and its published files ({relative path: file})."""

        def fill(folder: Path) -> dict:
            _copy(executed, folder / "notebook.ipynb")
            for rel, path in files.items():
                _copy(path, folder / "files" / rel)
            return {**meta, "kind": "notebook", "name": name, "files": sorted(files)}

        return self._publish(key, fill)

    def restore_notebook(self, entry: Entry, run_dir: Path) -> list[str]:
        """Copy an entry's notebook and files into `run_dir`; returns the files' relative paths."""
        name = entry.meta["name"]
        _copy(entry.path / "notebook.ipynb", run_dir / "notebooks" / f"{name}.ipynb")
        for rel in entry.meta["files"]:
            _copy(entry.path / "files" / rel, run_dir / rel)
        return list(entry.meta["files"])

    # ----------------------------------------------------------------- renders

    def put_render(self, key: str, run_dir: Path, meta: dict) -> Entry | None:
        def fill(folder: Path) -> dict:
            for sub in RENDERED:
                if (run_dir / sub).exists():
                    shutil.copytree(
                        run_dir / sub,
                        folder / sub,
                        symlinks=True,
                        ignore=shutil.ignore_patterns("*.tmp"),
                    )
            return {**meta, "kind": "render"}

        return self._publish(key, fill)

    def restore_render(self, entry: Entry, run_dir: Path) -> None:
        for sub in RENDERED:
            target = run_dir / sub
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.exists():
                shutil.rmtree(target)
            if (entry.path / sub).exists():
                shutil.copytree(entry.path / sub, target, symlinks=True)


def files_in(folder: Path) -> dict[str, Path]:
    """{relative path: file} of the files a notebook published into `folder` (a staging folder
    with tables/, figures/, results/)."""
    out = {}
    for sub in PUBLISHED:
        root = folder / sub
        if root.is_dir():
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    out[p.relative_to(folder).as_posix()] = p
    return out


def move_into(stage: Path, run_dir: Path) -> list[str]:
    """Move the files of a staging folder into the run folder; returns their relative paths."""
    moved = []
    for rel, path in files_in(stage).items():
        target = run_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved.append(rel)
    with contextlib.suppress(OSError):
        shutil.rmtree(stage)
    return moved
