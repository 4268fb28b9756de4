"""Render the report of a run: `report/` (Quarto source) + executed notebooks -> HTML and PDF.

`render_report(run_dir)` writes `run_dir/report/index.html` (self-contained) and
`run_dir/report/report.pdf`. The run folder then holds:

    _report_src/            copy of report/ + notebooks -> ../notebooks   (source.py)
                            (+ index.md and index.typ, the intermediate files of the fallback)
    report/index.html       self-contained HTML                           (to_html.py)
    report/report.pdf       A4 PDF                                        (to_pdf.py)
    report/figures/*.png    the report's figures by label (fallback only)

Engines. With `quarto` on PATH the copy is rendered by `quarto render index.qmd` (quarto.py) and
the results are moved to `report/`. Without it, the fallback does what Quarto would for this
report, one module per step:

1. Front matter from `_quarto.yml` and the `index.qmd` header (meta.py).
2. Every `{{< embed notebooks/NAME.ipynb#LABEL >}}` is replaced by the outputs of the cell whose
   `#| label:` option is LABEL (notebooks.py reads the cells, embeds.py turns them into Markdown;
   resolve.py makes the one pass over the qmd).
3. Figures and tables are numbered in Danish and `@fig-x` / `@tbl-x` become links (xref.py).
4. pandoc (pypandoc) writes standalone HTML5 with every resource inlined (to_html.py), and Typst
   source, which the `typst` package compiles to PDF (to_pdf.py); callout boxes (callouts.py) and
   the synthetic-data banner (banner.py) in both.
"""

from __future__ import annotations

import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.report.banner import BANNER_TEXT
from tpj_helpers.report.callouts import callout_filter
from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.notebooks import cell_options, notebook_labels
from tpj_helpers.report.quarto import render_with_quarto
from tpj_helpers.report.resolve import resolve_report, resolved_markdown
from tpj_helpers.report.source import QMD, REPORT_SRC, is_synthetic, stage_source
from tpj_helpers.report.to_html import render_html
from tpj_helpers.report.to_pdf import render_pdf
from tpj_helpers.report.xref import TABLE_WORD

# A child of the run logger: warnings reach run.log when rendering inside `tpj run`.
log = logging.getLogger("tpj.run.render")


@dataclass(frozen=True)
class RenderResult:
    html: Path
    pdf: Path
    engine: str  # "quarto" or "pandoc"
    source_dir: Path  # run_dir/_report_src
    markdown: Path | None = None  # the resolved Markdown (fallback only)


def render_report(
    run_dir: Path,
    report_src: Path = REPORT_SRC,
    synthetic: bool | None = None,
    engine: str | None = None,
) -> RenderResult:
    """Render `run_dir/report/index.html` and `run_dir/report/report.pdf` from `report_src`.

    `synthetic=None` reads the run's manifest (see `is_synthetic`). `engine` forces "quarto" or
    "pandoc" (the project's renderer); by default Quarto is used when it is on PATH.
    """
    run_dir = Path(run_dir).resolve()
    report_src = Path(report_src).resolve()
    if synthetic is None:
        synthetic = is_synthetic(run_dir)
    quarto = shutil.which("quarto")
    if engine not in (None, "quarto", "pandoc"):
        raise ValueError(f"engine must be 'quarto' or 'pandoc', not {engine!r}")
    if engine == "quarto" and not quarto:
        raise RenderError("engine='quarto' but quarto is not on PATH")
    use_quarto = bool(quarto) and engine != "pandoc"

    src = stage_source(run_dir, report_src)
    report_dir = run_dir / "report"
    report_dir.mkdir(exist_ok=True)
    figure_dir = report_dir / "figures"
    if figure_dir.exists():  # figures of an earlier render of this run
        shutil.rmtree(figure_dir)
    # Messages name the repository's qmd (the file to edit), not the copy.
    shown = str(report_src / QMD)
    if report_src.is_relative_to(REPO_ROOT):
        shown = str((report_src / QMD).relative_to(REPO_ROOT))

    if use_quarto:
        # The project's resolver checks every embed and reference first: its messages name the
        # qmd line, the notebook and the labels it has.
        resolve_report(src, shown_name=shown)
        html, pdf = render_with_quarto(quarto, src, report_dir, synthetic)
        log.info("report rendered with quarto: %s, %s", html, pdf)
        return RenderResult(html=html, pdf=pdf, engine="quarto", source_dir=src)

    prefix = Path(os.path.relpath(figure_dir, src)).as_posix()
    report = resolve_report(src, figure_prefix=prefix, shown_name=shown)
    figure_dir.mkdir(parents=True)
    for filename, payload in report.figures.values():
        (figure_dir / filename).write_bytes(payload)
    markdown = resolved_markdown(report, synthetic)
    md_path = src / "index.md"
    md_path.write_text(markdown, encoding="utf-8")
    # HTML and PDF at the same time: pandoc runs as a subprocess, so the two overlap.
    callout_filter(src)
    with ThreadPoolExecutor(max_workers=2) as pool:
        html_job = pool.submit(
            render_html, markdown, src, report_dir / "index.html", report.meta, synthetic
        )
        pdf_job = pool.submit(
            render_pdf, markdown, src, run_dir, report_dir / "report.pdf", report.meta, synthetic
        )
        html, (pdf, _) = html_job.result(), pdf_job.result()
    log.debug(
        "report rendered (%d figures, %d tables): %s, %s",
        len(report.figures),
        sum(n.startswith(TABLE_WORD) for n in report.numbers.values()),
        html,
        pdf,
    )
    return RenderResult(html=html, pdf=pdf, engine="pandoc", source_dir=src, markdown=md_path)


__all__ = [
    "BANNER_TEXT",
    "REPORT_SRC",
    "RenderError",
    "RenderResult",
    "cell_options",
    "is_synthetic",
    "notebook_labels",
    "render_report",
    "resolve_report",
    "stage_source",
]
