"""pandoc -> Typst source (`_report_src/index.typ`) -> the `typst` package -> PDF."""

from __future__ import annotations

from pathlib import Path

from tpj_helpers.report.banner import BANNER_DETAIL, BANNER_TEXT, typst_banner
from tpj_helpers.report.callouts import callout_filter
from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.meta import ReportMeta
from tpj_helpers.report.source import TYPST_TEMPLATE, replace_file
from tpj_helpers.report.to_html import PANDOC_COMMON, PANDOC_FROM
from tpj_helpers.report.typst_keep import KEEP, keep_together


def render_pdf(
    markdown: str, src: Path, run_dir: Path, out: Path, meta: ReportMeta, synthetic: bool
) -> tuple[Path, Path]:
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
        pypandoc.convert_text(
            markdown,
            "typst",
            format=PANDOC_FROM,
            outputfile=str(typ),
            extra_args=args,
            cworkdir=str(src),
        )
    except RuntimeError as exc:
        raise RenderError(f"pandoc could not write the Typst source: {exc}") from exc
    # pandoc centres every table; the report sets tables flush left under their captions.
    source = typ.read_text(encoding="utf-8")
    source = source.replace("align(center)[#table(", "align(left)[#table(")
    if (src / TYPST_TEMPLATE).is_file():  # tables and figures kept with their notes
        source = keep_together(source).replace(
            f'#import "{TYPST_TEMPLATE}": conf', f'#import "{TYPST_TEMPLATE}": conf, {KEEP}', 1
        )
    typ.write_text(source, encoding="utf-8")
    inputs = {"tpj-banner": BANNER_TEXT, "tpj-banner-detail": BANNER_DETAIL} if synthetic else {}
    tmp = out.with_name(out.name + ".tmp")
    try:
        # root = the run folder: the figures live in report/figures, outside _report_src.
        typst.compile(
            str(typ),
            output=str(tmp),
            root=str(run_dir),
            ignore_system_fonts=True,
            sys_inputs=inputs,
        )
    except Exception as exc:  # typst.TypstError and friends
        tmp.unlink(missing_ok=True)
        raise RenderError(f"typst could not compile {typ}: {exc}") from exc
    return replace_file(tmp, out), typ
