"""The report source and the run folder: where the source is, its copy into the run, synthetic or not.

The report source (`report/_quarto.yml`, `index.qmd`, `style.css`, `typst-template.typ`, any other
assets) is copied into `run_dir/_report_src/`, so a run folder keeps the exact source its report
was made from. The embeds in `index.qmd` are written relative to it
(`notebooks/<name>.ipynb#<label>`), so `_report_src/notebooks` is a relative symlink to the run's
`../notebooks` (a copy where symlinks are not possible).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.report.errors import RenderError

REPORT_SRC = REPO_ROOT / "report"
SRC_DIR = "_report_src"
QMD = "index.qmd"
PROJECT_YML = "_quarto.yml"
CSS = "style.css"
TYPST_TEMPLATE = "typst-template.typ"
SYNTHETIC_MARKER = "SYNTHETIC"  # = tpj_helpers.synthetic.generate.MARKER (not imported: heavy)


def is_synthetic(run_dir: Path) -> bool:
    """Whether the run's data folder (manifest `params.data_dir`) carries the SYNTHETIC marker.

    No manifest -> False. If the data folder no longer exists, the flag the run recorded in the
    manifest (`synthetic`) decides.
    """
    path = Path(run_dir) / "manifest.json"
    if not path.is_file():
        return False
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RenderError(f"{path}: cannot read the manifest: {exc}") from exc
    data_dir = (manifest.get("params") or {}).get("data_dir")
    if data_dir:
        folder = Path(data_dir) if Path(data_dir).is_absolute() else REPO_ROOT / data_dir
        if folder.is_dir():
            return (folder / SYNTHETIC_MARKER).is_file()
    return bool(manifest.get("synthetic", False))


# --------------------------------------------------------------------------- the run folder


def stage_source(run_dir: Path, report_src: Path) -> Path:
    """Copy the report source into `run_dir/_report_src/` and link its `notebooks/` to the run's."""
    report_src = Path(report_src)
    if not (report_src / QMD).is_file():
        raise RenderError(f"{report_src}: no {QMD} (is this the report source folder?)")
    if not (run_dir / "notebooks").is_dir():
        raise RenderError(f"{run_dir}: no notebooks/ folder (is this a run folder?)")
    src = run_dir / SRC_DIR
    if src.is_symlink() or src.is_file():
        src.unlink()
    elif src.exists():
        shutil.rmtree(src)  # does not follow the notebooks symlink
    # Not copied: a local `notebooks` link (for previewing report/ with Quarto), Quarto's caches
    # and outputs of such previews, and the fallback's intermediate files.
    shutil.copytree(
        report_src,
        src,
        symlinks=False,
        ignore=shutil.ignore_patterns(
            "notebooks",
            ".quarto",
            "_freeze",
            "_site",
            "index_files",
            "__pycache__",
            ".ipynb_checkpoints",
            "index.html",
            "index.pdf",
            "index.md",
            "index.typ",
        ),
    )
    link = src / "notebooks"
    try:
        link.symlink_to(Path("..") / "notebooks", target_is_directory=True)
    except OSError:  # no symlinks on this file system: copy instead
        shutil.copytree(run_dir / "notebooks", link)
    return src


def replace_file(tmp: Path, final: Path) -> Path:
    os.replace(tmp, final)
    return final
