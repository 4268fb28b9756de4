"""pandoc -> standalone, self-contained HTML5 (every resource inlined, checked for none external)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from tpj_helpers.report.banner import BANNER_CSS, banner_html
from tpj_helpers.report.callouts import callout_filter
from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.meta import ReportMeta
from tpj_helpers.report.source import CSS, replace_file

# pandoc input: Markdown without citations (an '@word' must never become a Typst #cite).
PANDOC_FROM = "markdown-citations"
# pandoc's default line width (72): a pipe table with a longer row takes the full text width, its
# columns sized by the dashes of its separator line (the Publisher sets them from the content);
# narrower tables keep their natural width.
PANDOC_COMMON = ["--standalone", "--wrap=none"]


class _ExternalResources(HTMLParser):
    """Collects resources a browser would fetch (scripts, styles, images, frames, media)."""

    FETCHED: ClassVar[dict[str, str]] = {
        "img": "src",
        "script": "src",
        "iframe": "src",
        "source": "src",
        "video": "src",
        "audio": "src",
        "embed": "src",
        "link": "href",
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


def render_html(markdown: str, src: Path, out: Path, meta: ReportMeta, synthetic: bool) -> Path:
    import pypandoc

    args = [
        *PANDOC_COMMON,
        "--embed-resources",
        "--section-divs",
        f"--resource-path={src}",
        f"--lua-filter={callout_filter(src)}",
    ]
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
        pypandoc.convert_text(
            markdown,
            "html5",
            format=PANDOC_FROM,
            outputfile=str(tmp),
            extra_args=args,
            cworkdir=str(src),
        )
    except RuntimeError as exc:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"pandoc could not write the HTML report: {exc}") from exc
    external = external_resources(tmp.read_text(encoding="utf-8"))
    if external:
        tmp.unlink(missing_ok=True)
        raise RenderError(
            "the HTML report would load external resources (it must open offline): "
            + ", ".join(external[:5])
        )
    return replace_file(tmp, out)
