"""Traceability: under every table and figure, the notebook and cell that made it and its CSV.

The line reads, in Danish, "Lavet i notebooks/30_register_regressions.ipynb, celle
tbl-two-point · tal: tables/register_two_point.csv". In the HTML (`run/report/index.html`) the
notebook and the CSV are relative links into the run folder (`../notebooks/...`,
`../tables/...`), so they work when the run folder is opened or copied as a whole; the PDF shows
the same as a small grey line of text. The CSV comes from the output metadata the `Publisher`
sets on a table's bundle and a figure's image (`PUBLISHED_KEY`); a cell that shows a table or a
figure without the Publisher gets the notebook and cell only.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from tpj_helpers.report.notebooks import LabelledCell

# = tpj_helpers.publish.publisher.PUBLISHED_KEY (not imported: that module imports pandas).
PUBLISHED_KEY = "tpj_published"
MADE_IN, CELL_WORD, NUMBERS_WORD = "Lavet i", "celle", "tal"
SEPARATOR = " · "
# Where the HTML is, relative to the run folder: links go up one level.
RUN_FROM_HTML = ".."
TYPST_STYLE = "size: 7pt, fill: luma(115)"


def published_files(cell: LabelledCell) -> list[str]:
    """The CSVs (relative to the run folder) the cell's outputs say they were published as."""
    files = []
    for out in cell.outputs:
        value = (out.get("metadata") or {}).get(PUBLISHED_KEY)
        for path in value if isinstance(value, list) else [value]:
            if isinstance(path, str) and path and path not in files:
                files.append(path)
    return files


def _link(path: str) -> str:
    href = quote(f"{RUN_FROM_HTML}/{path}")
    return f'<a href="{escape(href)}">{escape(path)}</a>'


def source_html(notebook: str, label: str, files: list[str]) -> str:
    """The line as an HTML paragraph with relative links (`notebook` relative to the run folder)."""
    text = f"{MADE_IN} {_link(notebook)}, {CELL_WORD} <code>{escape(label)}</code>"
    if files:
        text += f"{SEPARATOR}{NUMBERS_WORD}: " + ", ".join(_link(f) for f in files)
    return f'<p class="tpj-source">{text}</p>'


def source_text(notebook: str, label: str, files: list[str]) -> str:
    """The line as plain text (the PDF)."""
    text = f"{MADE_IN} {notebook}, {CELL_WORD} {label}"
    if files:
        text += f"{SEPARATOR}{NUMBERS_WORD}: " + ", ".join(files)
    return text


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def source_block(notebook: str, label: str, files: list[str]) -> str:
    """pandoc Markdown: the line as a raw HTML block and a raw Typst block (each format its own)."""
    typst = (
        f"#block(above: 0.35em, below: 1em, text({TYPST_STYLE}, "
        f"{_typst_string(source_text(notebook, label, files))}))"
    )
    return (
        f"```{{=html}}\n{source_html(notebook, label, files)}\n```\n\n```{{=typst}}\n{typst}\n```"
    )
