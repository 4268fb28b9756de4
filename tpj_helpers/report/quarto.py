"""Rendering with Quarto when `quarto` is on PATH: `quarto render index.qmd` in the staged source."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tpj_helpers.report.banner import banner_html, typst_banner
from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.source import PROJECT_YML, QMD


def _quarto_banner(src: Path) -> None:
    """Add the synthetic banner to the copied `_quarto.yml` (HTML: before the body; Typst: a red
    band in every page's background). Untested here: Quarto is not installed on the dev machines."""
    (src / "_banner.html").write_text(banner_html() + "\n", encoding="utf-8")
    (src / "_banner.typ").write_text(typst_banner() + "\n", encoding="utf-8")
    path = src / PROJECT_YML
    project = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    project = project or {}
    formats = project.setdefault("format", {})
    html = formats.setdefault("html", {})
    html["include-before-body"] = [*_as_list(html.get("include-before-body")), "_banner.html"]
    typ = formats.setdefault("typst", {})
    typ["include-in-header"] = [*_as_list(typ.get("include-in-header")), "_banner.typ"]
    path.write_text(yaml.safe_dump(project, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _as_list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def render_with_quarto(
    quarto: str, src: Path, report_dir: Path, synthetic: bool
) -> tuple[Path, Path]:
    if synthetic:
        _quarto_banner(src)
    proc = subprocess.run(
        [quarto, "render", QMD], cwd=src, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise RenderError(f"quarto render failed in {src} (exit {proc.returncode}):\n{tail}")
    html, pdf = src / "index.html", src / "index.pdf"
    for produced in (html, pdf):
        if not produced.is_file():
            raise RenderError(
                f"quarto render did not produce {produced}; check the formats in "
                f"{PROJECT_YML} (html and typst)"
            )
    shutil.rmtree(src / "index_files", ignore_errors=True)
    return (
        Path(shutil.move(html, report_dir / "index.html")),
        Path(shutil.move(pdf, report_dir / "report.pdf")),
    )
