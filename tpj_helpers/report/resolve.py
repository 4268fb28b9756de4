"""One pass over `index.qmd`: front matter, embeds, shortcodes, numbering, then the references.

`resolve_report` reads the staged source and returns the report as pandoc Markdown (nothing is
written); `resolved_markdown` gives it a clean YAML header. The embeds are resolved by
`embeds.EmbedResolver`, the numbers and references kept by `xref.Numbering`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tpj_helpers.report.embeds import EMBED, EmbedResolver
from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.meta import TOC_TITLE, ReportMeta, read_meta, split_front_matter
from tpj_helpers.report.source import PROJECT_YML, QMD
from tpj_helpers.report.xref import FENCE, Chunk, Numbering, closes

SHORTCODE = re.compile(r"(?<!\{)\{\{<\s*(?P<name>[\w-]+)(?P<args>.*?)\s*>\}\}(?!\})")
# A figure written directly in the qmd: ![caption](file.png){#fig-x ...} on its own line.
DIRECT_FIGURE = re.compile(
    r"^\s*!\[(?P<cap>.*)\]\((?P<src>[^)]*)\)\{(?P<attrs>[^}]*?#(?P<label>fig-[^\s}]+)[^}]*)\}\s*$"
)


@dataclass
class ResolvedReport:
    meta: ReportMeta
    body: str  # Markdown without front matter, embeds resolved, references replaced
    figures: dict[str, tuple[str, bytes]]  # label -> (file name, bytes) to write
    numbers: dict[str, str]  # label -> "Figur 1" / "Tabel 1"
    embedded: list[str] = field(default_factory=list)  # "notebook#label" in order


class _Document:
    """The qmd's body line by line: code blocks kept, embeds resolved, shortcodes expanded."""

    def __init__(self, numbering: Numbering, embeds: EmbedResolver, meta: ReportMeta):
        self.numbering = numbering
        self.embeds = embeds
        self.meta = meta

    def _where(self, lineno: int) -> str:
        return self.numbering.where(lineno)

    def _shortcode(self, m: re.Match, lineno: int) -> str:
        name, args = m.group("name"), m.group("args").strip()
        if name == "pagebreak":
            return (
                '\n\n```{=html}\n<div style="break-after: page"></div>\n```\n\n'
                "```{=typst}\n#pagebreak()\n```\n\n"
            )
        if name == "meta":
            value = {
                "title": self.meta.title,
                "subtitle": self.meta.subtitle,
                "date": self.meta.date,
                "lang": self.meta.lang,
                "author": ", ".join(self.meta.authors),
            }.get(args)
            if value is None:
                raise RenderError(
                    f"{self._where(lineno)}: {{{{< meta {args} >}}}}: the renderer "
                    "knows only title, subtitle, author, date and lang"
                )
            return value
        raise RenderError(
            f"{self._where(lineno)}: the shortcode {{{{< {name} >}}}} is not supported "
            "by the project's renderer (embed, meta and pagebreak are)"
        )

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
                if closes(fence, line):
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
                        f"{self._where(lineno)}: an embed must stand alone on its line"
                    )
                flush(lineno)
                chunks.append(self.embeds.embed(em.group("args"), lineno))
                buf_start = lineno + 1
                continue
            fig = DIRECT_FIGURE.match(line)
            if fig:
                label = fig.group("label")
                self.numbering.claim(label, self._where(lineno))
                number = self.numbering.number("fig", label)
                cap = " ".join(fig.group("cap").split())
                line = f"![**{number}:** {cap}]({fig.group('src')}){{{fig.group('attrs')}}}"
            line = SHORTCODE.sub(lambda m, n=lineno: self._shortcode(m, n), line)
            # Quarto's escape for a literal shortcode: {{{< x >}}} -> {{< x >}}
            line = line.replace("{{{<", "{{<").replace(">}}}", ">}}")
            buf.append(line)
        flush(0)
        return chunks


def resolve_report(
    src_dir: Path, figure_prefix: str = "figures", shown_name: str | None = None
) -> ResolvedReport:
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
    numbering = Numbering(shown_name or str(qmd))
    embeds = EmbedResolver(qmd.parent, figure_prefix, numbering)
    chunks = _Document(numbering, embeds, meta).resolve(body, header_lines + 1)
    text = numbering.references(chunks)
    return ResolvedReport(meta, text, embeds.figures, numbering.numbers, embeds.embedded)


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
