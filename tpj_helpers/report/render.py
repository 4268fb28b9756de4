"""Render the report of a run: `report/` (Quarto source) + executed notebooks -> HTML and PDF.

`render_report(run_dir)` writes `run_dir/report/index.html` (self-contained) and
`run_dir/report/report.pdf`.

Where the source goes. The report source (`report/_quarto.yml`, `index.qmd`, `style.css`,
`typst-template.typ`, any other assets) is copied into `run_dir/_report_src/`, so a run folder
keeps the exact source its report was made from. The embeds in `index.qmd` are written relative
to it (`notebooks/<name>.ipynb#<label>`), so `_report_src/notebooks` is a relative symlink to the
run's `../notebooks` (a copy where symlinks are not possible). The run folder then holds:

    _report_src/            copy of report/ + notebooks -> ../notebooks
                            (+ index.md and index.typ, the intermediate files of the fallback)
    report/index.html       self-contained HTML
    report/report.pdf       A4 PDF
    report/figures/*.png    the report's figures by label (fallback only)

Engines. With `quarto` on PATH the copy is rendered by `quarto render index.qmd` and the results
are moved to `report/`. Without it, the fallback does what Quarto would for this report:

1. Front matter from `_quarto.yml` and the `index.qmd` header (title, subtitle, author, date,
   lang; per format toc, toc-depth, number-sections).
2. Every `{{< embed notebooks/NAME.ipynb#LABEL >}}` is replaced by the outputs of the cell whose
   `#| label:` option is LABEL: `fig-*` -> the image as a captioned figure plus the Markdown after
   it (source line); `tbl-*` -> the caption and the cell's `text/markdown` (pipe table and source
   line); `txt-*` (or any other label) -> the cell's Markdown.
3. Figures and tables are numbered separately in order of appearance; captions become
   "Figur 1: ..." / "Tabel 1: ...", and `@fig-x` / `@tbl-x` in the text become links "Figur 1" /
   "Tabel 1" (`-@fig-x` gives the number alone). Unknown labels and references stop the render
   with a `RenderError` saying where.
4. pandoc (pypandoc) writes standalone HTML5 with every resource inlined, and Typst source, which
   the `typst` package compiles to PDF. The synthetic-data banner is added to both when the run
   is on synthetic data.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import yaml

from tpj_helpers.paths import REPO_ROOT

REPORT_SRC = REPO_ROOT / "report"
SRC_DIR = "_report_src"
QMD = "index.qmd"
PROJECT_YML = "_quarto.yml"
CSS = "style.css"
TYPST_TEMPLATE = "typst-template.typ"
SYNTHETIC_MARKER = "SYNTHETIC"  # = tpj_helpers.synthetic.generate.MARKER (not imported: heavy)

BANNER_TEXT = "Syntetiske data – ikke rigtige resultater"
BANNER_DETAIL = (
    "Rapporten er lavet på kunstige demodata. Tallene siger intet om de rigtige kursister."
)
FIGURE_WORD, TABLE_WORD = "Figur", "Tabel"
TOC_TITLE = "Indhold"
DANISH_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
    "oktober", "november", "december",
)

# pandoc input: Markdown without citations (an '@word' must never become a Typst #cite).
PANDOC_FROM = "markdown-citations"
# pandoc's default line width (72): a pipe table with a longer row takes the full text width, its
# columns sized by the dashes of its separator line (the Publisher sets them from the content);
# narrower tables keep their natural width.
PANDOC_COMMON = ["--standalone", "--wrap=none"]
# Outputs that are not content: papermill's parameter cells, warnings on stderr.
SKIPPED_TAGS = {"injected-parameters", "parameters"}
IMAGE_TYPES = (("image/png", "png"), ("image/svg+xml", "svg"), ("image/jpeg", "jpg"))

# A child of the run logger: warnings reach run.log when rendering inside `tpj run`.
log = logging.getLogger("tpj.run.render")


class RenderError(RuntimeError):
    """The report cannot be rendered; the message says where and why."""


@dataclass(frozen=True)
class RenderResult:
    html: Path
    pdf: Path
    engine: str  # "quarto" or "pandoc"
    source_dir: Path  # run_dir/_report_src
    markdown: Path | None = None  # the resolved Markdown (fallback only)


# --------------------------------------------------------------------------- notebooks


@dataclass(frozen=True)
class LabelledCell:
    notebook: Path
    index: int  # position among the notebook's cells
    label: str
    options: dict
    outputs: list


def cell_options(source: str) -> dict:
    """The Quarto cell options (`#| key: value` lines at the top of a code cell) as a dict.

    The block is read as YAML; if it is not valid YAML as a whole, each line is read on its own
    (a malformed line keeps its raw text) so that one bad option cannot hide a cell's label.
    """
    lines = []
    for line in source.splitlines():
        if line.startswith("#|"):
            lines.append(line[2:].removeprefix(" "))
        elif line.strip() or lines:
            break
    if not lines:
        return {}
    try:
        opts = yaml.safe_load("\n".join(lines))
        if isinstance(opts, dict):
            return {str(k): v for k, v in opts.items()}
    except yaml.YAMLError:
        pass
    opts = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            continue
        try:
            opts[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            opts[key.strip()] = value.strip()
    return opts


def _joined(value) -> str:
    """nbformat stores multi-line strings either whole or as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def notebook_labels(path: Path) -> dict[str, list[LabelledCell]]:
    """Every labelled code cell of an (executed) notebook, by label (a list: labels may repeat).

    The .ipynb is read as plain JSON (nbformat 4): importing nbformat costs seconds (its JSON
    schema validator) and the renderer needs no validation, only sources and outputs.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RenderError(f"{path}: cannot read the notebook (not JSON): {exc}") from exc
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise RenderError(f"{path}: not a notebook in nbformat 4")
    labels: dict[str, list[LabelledCell]] = {}
    for i, cell in enumerate(nb["cells"]):
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if cell.get("cell_type") != "code" or SKIPPED_TAGS & tags:
            continue
        opts = cell_options(_joined(cell.get("source")))
        label = opts.get("label")
        if isinstance(label, str) and label:
            outputs = []
            for o in cell.get("outputs") or []:
                if "data" in o:
                    o = {**o, "data": {k: (v if isinstance(v, dict) else _joined(v))
                                       for k, v in o["data"].items()}}
                outputs.append(o)
            labels.setdefault(label, []).append(LabelledCell(path, i, label, opts, outputs))
    return labels


def _markdown_outputs(cell: LabelledCell) -> list[str]:
    return [o["data"]["text/markdown"].strip() for o in cell.outputs
            if o.get("output_type") in ("display_data", "execute_result")
            and "text/markdown" in o.get("data", {})]


# --------------------------------------------------------------------------- front matter


def split_front_matter(text: str) -> tuple[dict, list[str], int]:
    """(YAML header, body lines, number of lines the header takes) of a .qmd file."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, lines, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                raise RenderError(f"{QMD}: the YAML header is not valid YAML: {exc}") from exc
            if not isinstance(meta, dict):
                raise RenderError(f"{QMD}: the YAML header is not a mapping")
            return meta, lines[end + 1:], end + 1
    raise RenderError(f"{QMD}: the YAML header opened on line 1 is never closed with '---'")


def _formats(value) -> dict[str, dict]:
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, dict):
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in value.items()}
    return {}


def danish_date(value) -> str:
    """Quarto's `date: today` and ISO dates as a Danish date ('3. februar 2026')."""
    if isinstance(value, str) and value.strip().lower() in ("today", "now", "last-modified"):
        value = date.today()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day}. {DANISH_MONTHS[value.month - 1]} {value.year}"
    return str(value)


def _authors(value) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for a in items:
        if isinstance(a, dict):
            a = a.get("name")
            a = " ".join(str(v) for v in a.values()) if isinstance(a, dict) else a
        if a:
            out.append(str(a))
    return out


@dataclass
class ReportMeta:
    title: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    date: str = ""
    lang: str = "da"
    formats: dict[str, dict] = field(default_factory=dict)

    def option(self, fmt: str, key: str, default):
        return self.formats.get(fmt, {}).get(key, default)


def read_meta(project: dict, header: dict) -> ReportMeta:
    """`_quarto.yml` first, the document header over it (as Quarto merges them)."""
    merged = {**project, **header}
    formats = _formats(project.get("format"))
    for name, opts in _formats(header.get("format")).items():
        formats[name] = {**formats.get(name, {}), **opts}
    return ReportMeta(
        title=str(merged.get("title") or ""),
        subtitle=str(merged.get("subtitle") or ""),
        authors=_authors(merged.get("author")) if merged.get("author") else [],
        date=danish_date(merged["date"]) if merged.get("date") else "",
        lang=str(merged.get("lang") or "da"),
        formats=formats,
    )


# --------------------------------------------------------------------------- resolving the qmd

EMBED = re.compile(r"\{\{<\s*embed\s+(?P<args>.*?)\s*>\}\}")
SHORTCODE = re.compile(r"(?<!\{)\{\{<\s*(?P<name>[\w-]+)(?P<args>.*?)\s*>\}\}(?!\})")
FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
LABEL_CHARS = r"[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_])?"
# `@fig-x`, `-@fig-x` (number only); not inside words or e-mail addresses.
REF = re.compile(rf"(?<![\w@.])(?P<minus>-?)@(?P<label>(?P<kind>[a-z]+)-{LABEL_CHARS})")
# `[@fig-a]`, `[@fig-a; @tbl-b]`: Quarto prints these without the brackets.
REF_GROUP = re.compile(rf"\[\s*(-?@[a-z]+-{LABEL_CHARS}(?:\s*;\s*-?@[a-z]+-{LABEL_CHARS})*)\s*\]")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)
# A figure written directly in the qmd: ![caption](file.png){#fig-x ...} on its own line.
DIRECT_FIGURE = re.compile(
    r"^\s*!\[(?P<cap>.*)\]\((?P<src>[^)]*)\)\{(?P<attrs>[^}]*?#(?P<label>fig-[^\s}]+)[^}]*)\}\s*$")
TABLE_START = re.compile(r"^\s*(\||\+[-=:+]+\+\s*$)")
XREF_KINDS = {"fig": FIGURE_WORD, "tbl": TABLE_WORD}
# Quarto cross-reference kinds the fallback does not number: a reference to one is an error.
UNSUPPORTED_XREF_KINDS = {
    "sec", "eq", "lst", "thm", "lem", "cor", "prp", "cnj", "def", "exm", "exr",
}


@dataclass
class Chunk:
    text: str
    origin: str  # for messages: "report/index.qmd line 12 (output of notebooks/x.ipynb#label)"
    line: int | None = None  # qmd line of the first line (None: an embedded output)


@dataclass
class ResolvedReport:
    meta: ReportMeta
    body: str  # Markdown without front matter, embeds resolved, references replaced
    figures: dict[str, tuple[str, bytes]]  # label -> (file name, bytes) to write
    numbers: dict[str, str]  # label -> "Figur 1" / "Tabel 1"
    embedded: list[str] = field(default_factory=list)  # "notebook#label" in order


class _Resolver:
    """One pass over the qmd: embeds resolved and figures/tables numbered; then the references."""

    def __init__(self, qmd: Path, shown_name: str, figure_prefix: str, meta: ReportMeta):
        self.qmd = qmd
        self.base = qmd.parent
        self.shown = shown_name
        self.figure_prefix = figure_prefix.rstrip("/")
        self.meta = meta
        self.notebooks: dict[Path, dict[str, list[LabelledCell]]] = {}
        self.numbers: dict[str, str] = {}
        self.anchors: dict[str, str] = {}  # every id this renderer created -> where
        self.figures: dict[str, tuple[str, bytes]] = {}
        self.embedded: list[str] = []
        self.counts = {"fig": 0, "tbl": 0}

    # ----------------------------------------------------------------- helpers

    def _where(self, lineno: int) -> str:
        return f"{self.shown} line {lineno}"

    def _claim(self, label: str, where: str) -> None:
        if label in self.anchors:
            raise RenderError(
                f"{where}: label '{label}' is used twice (first at {self.anchors[label]}); "
                "every figure, table and text label must be unique in the report")
        self.anchors[label] = where

    def _number(self, kind: str, label: str) -> str:
        self.counts[kind] += 1
        self.numbers[label] = f"{XREF_KINDS[kind]} {self.counts[kind]}"
        return self.numbers[label]

    def _caption(self, cell: LabelledCell, key: str, number: str) -> str:
        cap = cell.options.get(key)
        if cap is None or not str(cap).strip():
            log.warning("%s#%s has no %s; the caption reads only '%s'",
                        cell.notebook.name, cell.label, key, number)
            return f"**{number}**"
        text = " ".join(str(cap).split())
        return f"**{number}:** {text}"

    # ----------------------------------------------------------------- embeds

    def _lookup(self, target: str, lineno: int) -> LabelledCell:
        where = self._where(lineno)
        path_part, sep, label = target.partition("#")
        if not sep or not label:
            raise RenderError(
                f"{where}: embed '{target}' names no cell label; write "
                "{{< embed notebooks/NAME.ipynb#LABEL >}} (whole notebooks are not embedded)")
        path = (self.base / path_part).resolve()
        if path not in self.notebooks:
            if not path.is_file():
                present = sorted(p.name for p in (self.base / path_part).parent.glob("*.ipynb"))
                raise RenderError(
                    f"{where}: embed '{target}': notebook {path_part} does not exist in the run "
                    f"(notebooks there: {', '.join(present) or 'none'}); did that notebook run?")
            self.notebooks[path] = notebook_labels(path)
        labels = self.notebooks[path]
        if label not in labels:
            have = ", ".join(sorted(labels)) or "no labelled cells"
            raise RenderError(
                f"{where}: embed '{target}': notebook {path_part} has no cell labelled "
                f"'{label}'; its labels: {have}")
        if len(labels[label]) > 1:
            cells = ", ".join(str(c.index) for c in labels[label])
            raise RenderError(f"{where}: embed '{target}': label '{label}' is on more than one "
                              f"cell of {path_part} (cells {cells})")
        cell = labels[label][0]
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        if errors:
            e = errors[0]
            raise RenderError(f"{where}: embed '{target}': the cell raised "
                              f"{e.get('ename')}: {e.get('evalue')}")
        return cell

    def _figure(self, cell: LabelledCell, where: str) -> str:
        # One image per output bundle (a bundle may carry PNG and SVG of the same figure).
        unique = []
        for o in cell.outputs:
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue
            found = next(((m, e) for m, e in IMAGE_TYPES if m in o.get("data", {})), None)
            if found:
                unique.append((o, *found))
        if not unique:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} is a figure label but the "
                "cell shows no image (image/png output)")
        if len(unique) > 1:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} shows {len(unique)} images; a "
                "figure cell must show exactly one (give each its own labelled cell)")
        out, mime, ext = unique[0]
        data = out["data"][mime]
        payload = data.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(data)
        filename = f"{cell.label}.{ext}"
        self.figures[cell.label] = (filename, payload)
        number = self._number("fig", cell.label)
        caption = self._caption(cell, "fig-cap", number)
        parts = [f"![{caption}]({self.figure_prefix}/{filename})"]
        parts += _markdown_outputs(cell)
        return _div(cell.label, "tpj-figure", "\n\n".join(parts))

    def _table(self, cell: LabelledCell, where: str) -> str:
        md = _markdown_outputs(cell)
        if not md:
            raise RenderError(
                f"{where}: {cell.notebook.name}#{cell.label} is a table label but the "
                "cell shows no Markdown (text/markdown output with the pipe table)")
        number = self._number("tbl", cell.label)
        caption = self._caption(cell, "tbl-cap", number)
        lines = md[0].splitlines()
        start = next((i for i, line in enumerate(lines) if TABLE_START.match(line)), None)
        if start is None:  # no Markdown table: the caption stands as a paragraph above
            md[0] = f"{caption}\n\n{md[0]}"
        else:  # pandoc table caption (': ...') on the line before the table
            before = "\n".join(lines[:start]).strip()
            table = "\n".join(lines[start:])
            md[0] = (before + "\n\n" if before else "") + f": {caption}\n\n{table}"
        return _div(cell.label, "tpj-table", "\n\n".join(md))

    def _text(self, cell: LabelledCell, where: str) -> str:
        md = _markdown_outputs(cell)
        if not md:
            raise RenderError(f"{where}: {cell.notebook.name}#{cell.label} shows no Markdown "
                              "(text/markdown output)")
        return _div(cell.label, "tpj-text", "\n\n".join(md))

    def embed(self, args: str, lineno: int) -> Chunk:
        where = self._where(lineno)
        target = args.split()[0] if args.split() else ""
        cell = self._lookup(target, lineno)
        self._claim(cell.label, where)
        kind = cell.label.split("-", 1)[0]
        if kind == "fig":
            text = self._figure(cell, where)
        elif kind == "tbl":
            text = self._table(cell, where)
        else:
            text = self._text(cell, where)
        self.embedded.append(target)
        return Chunk(text, f"{where} (output of {target})")

    # ----------------------------------------------------------------- the document

    def _shortcode(self, m: re.Match, lineno: int) -> str:
        name, args = m.group("name"), m.group("args").strip()
        if name == "pagebreak":
            return ('\n\n```{=html}\n<div style="break-after: page"></div>\n```\n\n'
                    "```{=typst}\n#pagebreak()\n```\n\n")
        if name == "meta":
            value = {"title": self.meta.title, "subtitle": self.meta.subtitle,
                     "date": self.meta.date, "lang": self.meta.lang,
                     "author": ", ".join(self.meta.authors)}.get(args)
            if value is None:
                raise RenderError(f"{self._where(lineno)}: {{{{< meta {args} >}}}}: the renderer "
                                  "knows only title, subtitle, author, date and lang")
            return value
        raise RenderError(
            f"{self._where(lineno)}: the shortcode {{{{< {name} >}}}} is not supported "
            "by the project's renderer (embed, meta and pagebreak are)")

    def resolve(self, body: list[str], first_line: int) -> list[Chunk]:
        chunks: list[Chunk] = []
        buf: list[str] = []
        buf_start = first_line
        fence: str | None = None

        def flush(next_start: int) -> None:
            nonlocal buf, buf_start
            if buf:
                chunks.append(Chunk("\n".join(buf), self._where(buf_start), buf_start))
            buf, buf_start = [], next_start

        for offset, line in enumerate(body):
            lineno = first_line + offset
            fm = FENCE.match(line)
            if fence is not None:
                if _closes(fence, line):
                    fence = None
                buf.append(line)
                continue
            if fm:
                fence = fm.group("fence")
                buf.append(line)
                continue
            em = EMBED.search(line)
            if em:
                if line.strip() != em.group(0):
                    raise RenderError(
                        f"{self._where(lineno)}: an embed must stand alone on its line")
                flush(lineno)
                chunks.append(self.embed(em.group("args"), lineno))
                buf_start = lineno + 1
                continue
            fig = DIRECT_FIGURE.match(line)
            if fig:
                label = fig.group("label")
                self._claim(label, self._where(lineno))
                number = self._number("fig", label)
                cap = " ".join(fig.group("cap").split())
                line = f"![**{number}:** {cap}]({fig.group('src')}){{{fig.group('attrs')}}}"
            line = SHORTCODE.sub(lambda m, n=lineno: self._shortcode(m, n), line)
            # Quarto's escape for a literal shortcode: {{{< x >}}} -> {{< x >}}
            line = line.replace("{{{<", "{{<").replace(">}}}", ">}}")
            buf.append(line)
        flush(0)
        return chunks

    # ----------------------------------------------------------------- references

    def _ref_text(self, label: str, minus: str, origin: str) -> str:
        kind = label.split("-", 1)[0]
        if label not in self.numbers:
            if kind in UNSUPPORTED_XREF_KINDS:
                raise RenderError(
                    f"{origin}: @{label}: the project's renderer numbers only figures (@fig-) "
                    "and tables (@tbl-); write the reference as a link instead")
            known = ", ".join(sorted(self.numbers)) or "none"
            raise RenderError(f"{origin}: @{label} refers to no figure or table in the report "
                              f"(known: {known})")
        text = self.numbers[label].split()[-1] if minus else self.numbers[label]
        return f"[{text}](#{label})"

    def _replace_refs(self, line: str, origin: str) -> str:
        """Replace the references of one line (outside code spans)."""

        def group(m: re.Match) -> str:
            refs = [REF.fullmatch(r.strip()) for r in m.group(1).split(";")]
            kinds = {*XREF_KINDS, *UNSUPPORTED_XREF_KINDS}
            if not all(r and r.group("kind") in kinds for r in refs):
                return m.group(0)
            parts = [self._ref_text(r.group("label"), r.group("minus"), origin) for r in refs]
            return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]

        def single(m: re.Match) -> str:
            kind = m.group("kind")
            if kind not in XREF_KINDS and kind not in UNSUPPORTED_XREF_KINDS:
                return m.group(0)  # '@someone' is not a cross-reference
            return self._ref_text(m.group("label"), m.group("minus"), origin)

        pieces, last = [], 0
        for cm in CODE_SPAN.finditer(line):
            pieces.append(REF.sub(single, REF_GROUP.sub(group, line[last:cm.start()])))
            pieces.append(cm.group(0))
            last = cm.end()
        pieces.append(REF.sub(single, REF_GROUP.sub(group, line[last:])))
        return "".join(pieces)

    def references(self, chunks: list[Chunk]) -> str:
        """All chunks joined, with the references replaced outside code blocks and code spans."""
        texts = []
        for chunk in chunks:
            out, fence = [], None
            for i, line in enumerate(chunk.text.split("\n")):
                fm = FENCE.match(line)
                if fence is None and fm:
                    fence = fm.group("fence")
                elif fence is not None:
                    if _closes(fence, line):
                        fence = None
                else:
                    origin = chunk.origin if chunk.line is None else self._where(chunk.line + i)
                    line = self._replace_refs(line, origin)
                out.append(line)
            if "".join(out).strip():
                texts.append("\n".join(out).strip("\n"))
        return "\n\n".join(texts) + "\n"


def _closes(fence: str, line: str) -> bool:
    """Whether `line` closes the code block opened by `fence` (same character, at least as long)."""
    m = FENCE.match(line)
    return bool(m) and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= len(fence) \
        and not line.strip().lstrip(fence[0])


def _div(label: str, cls: str, content: str) -> str:
    return f"::: {{#{label} .{cls}}}\n{content}\n:::"


def resolve_report(src_dir: Path, figure_prefix: str = "figures",
                   shown_name: str | None = None) -> ResolvedReport:
    """Read `src_dir/index.qmd` (+ `_quarto.yml`), resolve the embeds, number, cross-reference.

    `figure_prefix` is the path, relative to the Markdown's folder, under which the figures will
    be written; `shown_name` is how messages name the qmd (the repository's file, not the copy).
    Nothing is written.
    """
    qmd = src_dir / QMD
    if not qmd.is_file():
        raise RenderError(f"{qmd}: the report source has no {QMD}")
    project = {}
    if (src_dir / PROJECT_YML).is_file():
        try:
            project = yaml.safe_load((src_dir / PROJECT_YML).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise RenderError(f"{PROJECT_YML}: not valid YAML: {exc}") from exc
    header, body, header_lines = split_front_matter(qmd.read_text(encoding="utf-8"))
    meta = read_meta(project, header)
    resolver = _Resolver(qmd, shown_name or str(qmd), figure_prefix, meta)
    chunks = resolver.resolve(body, header_lines + 1)
    text = resolver.references(chunks)
    return ResolvedReport(meta, text, resolver.figures, resolver.numbers, resolver.embedded)


def resolved_markdown(report: ResolvedReport, synthetic: bool) -> str:
    """The resolved report as one pandoc Markdown document with a clean YAML header."""
    m = report.meta
    header: dict = {"lang": m.lang, "toc-title": TOC_TITLE}
    for key, value in (("title", m.title), ("subtitle", m.subtitle), ("date", m.date)):
        if value:
            header[key] = value
    if m.authors:
        header["author"] = m.authors
    if synthetic:
        header["pagetitle"] = f"{m.title or 'Rapport'} (syntetiske data)"
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n\n{report.body}"


# --------------------------------------------------------------------------- synthetic or not


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
    shutil.copytree(report_src, src, symlinks=False, ignore=shutil.ignore_patterns(
        "notebooks", ".quarto", "_freeze", "_site", "index_files", "__pycache__",
        ".ipynb_checkpoints", "index.html", "index.pdf", "index.md", "index.typ"))
    link = src / "notebooks"
    try:
        link.symlink_to(Path("..") / "notebooks", target_is_directory=True)
    except OSError:  # no symlinks on this file system: copy instead
        shutil.copytree(run_dir / "notebooks", link)
    return src


def _replace(tmp: Path, final: Path) -> Path:
    os.replace(tmp, final)
    return final


# --------------------------------------------------------------------------- callouts

# Quarto draws callouts (`::: {.callout-warning title="..."}`) itself. pandoc alone keeps them as
# plain divs: in HTML the title is only a tooltip, in Typst the box has no frame at all. This
# filter makes them visible boxes in both: the title becomes the box's first line (bold), HTML
# keeps the `callout-*` class that `style.css` frames, Typst gets a filled block with a coloured
# left rule (independent of the report's Typst template).
CALLOUT_FILTER_NAME = "_callouts.lua"
CALLOUT_COLOURS = {  # kind -> (fill, rule), as .callout-* in report/style.css
    "note": ("#f1f6f8", "#0b5d7a"),
    "tip": ("#f1f6f8", "#0b5d7a"),
    "important": ("#fdf5ec", "#b35c00"),
    "warning": ("#fdf5ec", "#b35c00"),
    "caution": ("#fdf5ec", "#b35c00"),
}
CALLOUT_FILTER = """\
local STYLE = {@STYLE@}

function Div(div)
  local kind
  for _, c in ipairs(div.classes) do
    local k = c:match("^callout%-(%a+)$")
    if k and STYLE[k] then kind = k end
  end
  if not kind then return nil end
  local content = pandoc.List(div.content)
  local title = div.attributes["title"]
  if title and title ~= "" then
    local parsed = pandoc.read(title, "markdown").blocks
    local inlines = #parsed > 0 and parsed[1].content or pandoc.Inlines({})
    content:insert(1, pandoc.Div({pandoc.Para({pandoc.Strong(inlines)})},
                                 pandoc.Attr("", {"callout-title"})))
    div.attributes["title"] = nil
  end
  if FORMAT:match("typst") then
    local s = STYLE[kind]
    local out = pandoc.List({pandoc.RawBlock("typst", string.format(
      '#block(width: 100%%, inset: (x: 10pt, y: 7pt), fill: rgb("%s"), '
      .. 'stroke: (left: 3pt + rgb("%s")), breakable: true)[', s[1], s[2]))})
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  div.content = content
  return div
end
""".replace("@STYLE@", ", ".join(
    f'{k} = {{"{fill}", "{rule}"}}' for k, (fill, rule) in CALLOUT_COLOURS.items()))


def callout_filter(src: Path) -> Path:
    """Write the callout filter next to the staged source (once); returns its path."""
    path = src / CALLOUT_FILTER_NAME
    if not path.is_file() or path.read_text(encoding="utf-8") != CALLOUT_FILTER:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(CALLOUT_FILTER, encoding="utf-8")
        os.replace(tmp, path)  # atomic: the HTML and PDF renders may ask at the same time
    return path


# --------------------------------------------------------------------------- HTML


class _ExternalResources(HTMLParser):
    """Collects resources a browser would fetch (scripts, styles, images, frames, media)."""

    FETCHED: ClassVar[dict[str, str]] = {
        "img": "src", "script": "src", "iframe": "src", "source": "src", "video": "src",
        "audio": "src", "embed": "src", "link": "href",
    }

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attr = self.FETCHED.get(tag)
        value = dict(attrs).get(attr) if attr else None
        if value and not value.startswith(("data:", "#")):
            self.found.append(f"<{tag} {attr}={value[:80]!r}>")


def external_resources(html: str) -> list[str]:
    parser = _ExternalResources()
    parser.feed(html)
    return parser.found


BANNER_CSS = (".tpj-banner{position:sticky;top:0;z-index:100;padding:.5rem 1rem;"
              "background:#a4161a;color:#fff;text-align:center}.tpj-banner small{display:block}")


def banner_html() -> str:
    return (f'<div class="tpj-banner" role="note"><strong>{escape(BANNER_TEXT)}</strong>'
            f"<small>{escape(BANNER_DETAIL)}</small></div>")


def render_html(markdown: str, src: Path, out: Path, meta: ReportMeta, synthetic: bool) -> Path:
    import pypandoc

    args = [*PANDOC_COMMON, "--embed-resources", "--section-divs", f"--resource-path={src}",
            f"--lua-filter={callout_filter(src)}"]
    if meta.option("html", "toc", True):
        args += ["--toc", f"--toc-depth={int(meta.option('html', 'toc-depth', 3))}"]
    if meta.option("html", "number-sections", True):
        args.append("--number-sections")
    css = meta.option("html", "css", CSS)
    sheets = [src / s for s in (css if isinstance(css, list) else [css]) if (src / s).is_file()]
    args += [f"--css={s}" for s in sheets]
    if synthetic:
        args += ["--variable", f"include-before={banner_html()}"]
        if not sheets:  # the banner must stay visible and on top without the report's CSS
            args += ["--variable", f"header-includes=<style>{BANNER_CSS}</style>"]
    tmp = out.with_name(out.name + ".tmp")
    try:
        pypandoc.convert_text(markdown, "html5", format=PANDOC_FROM, outputfile=str(tmp),
                              extra_args=args, cworkdir=str(src))
    except RuntimeError as exc:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"pandoc could not write the HTML report: {exc}") from exc
    external = external_resources(tmp.read_text(encoding="utf-8"))
    if external:
        tmp.unlink(missing_ok=True)
        raise RenderError("the HTML report would load external resources (it must open offline): "
                          + ", ".join(external[:5]))
    return _replace(tmp, out)


# --------------------------------------------------------------------------- PDF


def render_pdf(markdown: str, src: Path, run_dir: Path, out: Path, meta: ReportMeta,
               synthetic: bool) -> tuple[Path, Path]:
    """pandoc -> `src/index.typ` -> typst -> `out`. Returns (pdf, typst source)."""
    import pypandoc
    import typst

    args = [*PANDOC_COMMON, f"--lua-filter={callout_filter(src)}"]
    if (src / TYPST_TEMPLATE).is_file():  # the template draws the banner (from sys.inputs)
        args.append(f"--variable=template:{TYPST_TEMPLATE}")
    elif synthetic:  # pandoc's own layout: the banner as every page's background
        args.append(f"--variable=header-includes:{typst_banner()}")
    if meta.option("typst", "toc", True):
        args += ["--toc", f"--toc-depth={int(meta.option('typst', 'toc-depth', 3))}"]
    if meta.option("typst", "number-sections", True):
        args += ["--number-sections", "--variable=section-numbering:1.1.1"]
    typ = src / "index.typ"
    try:
        pypandoc.convert_text(markdown, "typst", format=PANDOC_FROM, outputfile=str(typ),
                              extra_args=args, cworkdir=str(src))
    except RuntimeError as exc:
        raise RenderError(f"pandoc could not write the Typst source: {exc}") from exc
    # pandoc centres every table; the report sets tables flush left under their captions.
    source = typ.read_text(encoding="utf-8")
    typ.write_text(source.replace("align(center)[#table(", "align(left)[#table("), encoding="utf-8")
    inputs = {"tpj-banner": BANNER_TEXT, "tpj-banner-detail": BANNER_DETAIL} if synthetic else {}
    tmp = out.with_name(out.name + ".tmp")
    try:
        # root = the run folder: the figures live in report/figures, outside _report_src.
        typst.compile(str(typ), output=str(tmp), root=str(run_dir), ignore_system_fonts=True,
                      sys_inputs=inputs)
    except Exception as exc:  # typst.TypstError and friends
        tmp.unlink(missing_ok=True)
        raise RenderError(f"typst could not compile {typ}: {exc}") from exc
    return _replace(tmp, out), typ


# --------------------------------------------------------------------------- Quarto


def typst_banner() -> str:
    """The banner as Typst code for layouts other than report/typst-template.typ."""
    return ('#set page(background: place(top, block(width: 100%, height: 1.1cm, '
            'fill: rgb("#a4161a"), align(center + horizon, text(fill: white, weight: "bold")['
            + BANNER_TEXT + "]))))")


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


def render_with_quarto(quarto: str, src: Path, report_dir: Path,
                       synthetic: bool) -> tuple[Path, Path]:
    if synthetic:
        _quarto_banner(src)
    proc = subprocess.run([quarto, "render", QMD], cwd=src, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise RenderError(f"quarto render failed in {src} (exit {proc.returncode}):\n{tail}")
    html, pdf = src / "index.html", src / "index.pdf"
    for produced in (html, pdf):
        if not produced.is_file():
            raise RenderError(f"quarto render did not produce {produced}; check the formats in "
                              f"{PROJECT_YML} (html and typst)")
    shutil.rmtree(src / "index_files", ignore_errors=True)
    return (Path(shutil.move(html, report_dir / "index.html")),
            Path(shutil.move(pdf, report_dir / "report.pdf")))


# --------------------------------------------------------------------------- entry point


def render_report(run_dir: Path, report_src: Path = REPORT_SRC, synthetic: bool | None = None,
                  engine: str | None = None) -> RenderResult:
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
        html_job = pool.submit(render_html, markdown, src, report_dir / "index.html",
                               report.meta, synthetic)
        pdf_job = pool.submit(render_pdf, markdown, src, run_dir, report_dir / "report.pdf",
                              report.meta, synthetic)
        html, (pdf, _) = html_job.result(), pdf_job.result()
    log.debug("report rendered (%d figures, %d tables): %s, %s", len(report.figures),
             sum(n.startswith(TABLE_WORD) for n in report.numbers.values()), html, pdf)
    return RenderResult(html=html, pdf=pdf, engine="pandoc", source_dir=src, markdown=md_path)


__all__ = [
    "BANNER_TEXT", "REPORT_SRC", "RenderError", "RenderResult", "cell_options", "is_synthetic",
    "notebook_labels", "render_report", "resolve_report", "stage_source",
]
