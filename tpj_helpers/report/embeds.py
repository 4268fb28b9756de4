"""Embed resolution: `{{< embed notebooks/NAME.ipynb#LABEL >}}` -> the outputs of that cell.

`fig-*` -> the image as a captioned figure plus the Markdown after it (source line); `tbl-*` ->
the caption and the cell's `text/markdown` (pipe table and source line); `txt-*` (or any other
label) -> the cell's Markdown. Each embed is wrapped in a div with the label as its id. Tables
and figures end with the source line of `trace.py` (notebook, cell, CSV).
"""

from __future__ import annotations

import base64
import logging
import os
import re
from pathlib import Path

from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.notebooks import LabelledCell, markdown_outputs, notebook_labels
from tpj_helpers.report.trace import published_files, source_block
from tpj_helpers.report.xref import Chunk, Numbering

EMBED = re.compile(r"\{\{<\s*embed\s+(?P<args>.*?)\s*>\}\}")
TABLE_START = re.compile(r"^\s*(\||\+[-=:+]+\+\s*$)")
IMAGE_TYPES = (("image/png", "png"), ("image/svg+xml", "svg"), ("image/jpeg", "jpg"))
# Output metadata key of the note a notebook shows in place of a figure withheld for small groups
# (tpj_helpers.publish.withhold.WITHHELD_KEY; the renderer imports no pandas).
WITHHELD_KEY = "tpj_withheld"

# A child of the run logger: warnings reach run.log when rendering inside `tpj run`.
log = logging.getLogger("tpj.run.render")


def div(label: str, cls: str, content: str) -> str:
    return f"::: {{#{label} .{cls}}}\n{content}\n:::"


class EmbedResolver:
    """Looks up embedded cells in the run's notebooks and turns their outputs into Markdown.

    `base` is the folder the embed paths are relative to (the staged source); `figure_prefix` the
    path, relative to the Markdown's folder, under which the figures will be written. The images
    found are kept in `figures` (label -> (file name, bytes)), the embeds in `embedded`.
    """

    def __init__(self, base: Path, figure_prefix: str, numbering: Numbering):
        self.base = base
        self.figure_prefix = figure_prefix.rstrip("/")
        self.numbering = numbering
        self.notebooks: dict[Path, dict[str, list[LabelledCell]]] = {}
        self.figures: dict[str, tuple[str, bytes]] = {}
        self.embedded: list[str] = []  # "notebook#label" in order

    def _caption(self, cell: LabelledCell, key: str, number: str) -> str:
        cap = cell.options.get(key)
        if cap is None or not str(cap).strip():
            log.warning(
                "%s#%s has no %s; the caption reads only '%s'",
                cell.notebook.name,
                cell.label,
                key,
                number,
            )
            return f"**{number}**"
        text = " ".join(str(cap).split())
        return f"**{number}:** {text}"

    # ----------------------------------------------------------------- embeds

    def _lookup(self, target: str, lineno: int) -> LabelledCell:
        where = self.numbering.where(lineno)
        path_part, sep, label = target.partition("#")
        if not sep or not label:
            raise RenderError(
                f"{where}: embed '{target}' names no cell label; write "
                "{{< embed notebooks/NAME.ipynb#LABEL >}} (whole notebooks are not embedded)"
            )
        path = (self.base / path_part).resolve()
        if path not in self.notebooks:
            if not path.is_file():
                present = sorted(p.name for p in (self.base / path_part).parent.glob("*.ipynb"))
                raise RenderError(
                    f"{where}: embed '{target}': notebook {path_part} does not exist in the run "
                    f"(notebooks there: {', '.join(present) or 'none'}); did that notebook run?"
                )
            self.notebooks[path] = notebook_labels(path)
        labels = self.notebooks[path]
        if label not in labels:
            have = ", ".join(sorted(labels)) or "no labelled cells"
            raise RenderError(
                f"{where}: embed '{target}': notebook {path_part} has no cell labelled "
                f"'{label}'; its labels: {have}"
            )
        if len(labels[label]) > 1:
            cells = ", ".join(str(c.index) for c in labels[label])
            raise RenderError(
                f"{where}: embed '{target}': label '{label}' is on more than one "
                f"cell of {path_part} (cells {cells})"
            )
        cell = labels[label][0]
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            e = errors[0]
            raise RenderError(
                f"{where}: embed '{target}': the cell raised {e.get('ename')}: {e.get('evalue')}"
            )
        return cell

    def _trace(self, cell: LabelledCell) -> str:
        """The source line: the notebook relative to the run folder (the staged source's parent)."""
        notebook = Path(os.path.relpath(cell.notebook, self.base.resolve().parent)).as_posix()
        return source_block(notebook, cell.label, published_files(cell))

    def _figure(self, cell: LabelledCell, where: str) -> str:
        # One image per output bundle (a bundle may carry PNG and SVG of the same figure).
        unique = []
        for o in cell.outputs:
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue
            found = next(((m, e) for m, e in IMAGE_TYPES if m in o.get("data", {})), None)
            if found:
                unique.append((o, *found))
        withheld = [
            o
            for o in cell.outputs
            if WITHHELD_KEY in (o.get("metadata") or {}) and "text/markdown" in o.get("data", {})
        ]
        if not unique and withheld:
            # a figure withheld for small groups (tpj_helpers.publish.withhold): the caption,
            # numbered as the figure would be, and the note in its place
            number = self.numbering.number("fig", cell.label)
            caption = self._caption(cell, "fig-cap", number)
            parts = [caption, *(o["data"]["text/markdown"].strip() for o in withheld)]
            return div(cell.label, "tpj-figure", "\n\n".join(parts))
        if not unique:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} is a figure label but the "
                "cell shows no image (image/png output)"
            )
        if len(unique) > 1:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} shows {len(unique)} images; a "
                "figure cell must show exactly one (give each its own labelled cell)"
            )
        out, mime, ext = unique[0]
        data = out["data"][mime]
        payload = data.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(data)
        filename = f"{cell.label}.{ext}"
        self.figures[cell.label] = (filename, payload)
        number = self.numbering.number("fig", cell.label)
        caption = self._caption(cell, "fig-cap", number)
        parts = [f"![{caption}]({self.figure_prefix}/{filename})"]
        parts += markdown_outputs(cell)
        parts.append(self._trace(cell))
        return div(cell.label, "tpj-figure", "\n\n".join(parts))

    def _table(self, cell: LabelledCell, where: str) -> str:
        md = markdown_outputs(cell)
        if not md:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} is a table label but the "
                "cell shows no Markdown (text/markdown output with the pipe table)"
            )
        number = self.numbering.number("tbl", cell.label)
        caption = self._caption(cell, "tbl-cap", number)
        lines = md[0].splitlines()
        start = next((i for i, line in enumerate(lines) if TABLE_START.match(line)), None)
        if start is None:  # no Markdown table: the caption stands as a paragraph above
            md[0] = f"{caption}\n\n{md[0]}"
        else:  # pandoc table caption (': ...') on the line before the table
            before = "\n".join(lines[:start]).strip()
            table = "\n".join(lines[start:])
            md[0] = (before + "\n\n" if before else "") + f": {caption}\n\n{table}"
        md.append(self._trace(cell))
        return div(cell.label, "tpj-table", "\n\n".join(md))

    def _text(self, cell: LabelledCell, where: str) -> str:
        md = markdown_outputs(cell)
        if not md:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} shows no Markdown "
                "(text/markdown output)"
            )
        return div(cell.label, "tpj-text", "\n\n".join(md))

    def embed(self, args: str, lineno: int) -> Chunk:
        where = self.numbering.where(lineno)
        target = args.split()[0] if args.split() else ""
        cell = self._lookup(target, lineno)
        self.numbering.claim(cell.label, where)
        kind = cell.label.split("-", 1)[0]
        if kind == "fig":
            text = self._figure(cell, where)
        elif kind == "tbl":
            text = self._table(cell, where)
        else:
            text = self._text(cell, where)
        self.embedded.append(target)
        return Chunk(text, f"{where} (output of {target})")
