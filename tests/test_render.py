"""The report renderer: embeds by label, Danish numbering and cross-references, HTML and PDF.

The notebooks are tiny executed notebooks built here with nbformat in the shapes the notebooks
produce (see `tpj_helpers/publish/publisher.py`): a figure cell with a PNG and a source line, a table cell
with a Markdown/HTML bundle, a text cell with Markdown, plus papermill's parameters cell.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tpj_helpers.report.banner import BANNER_TEXT
from tpj_helpers.report.notebooks import cell_options
from tpj_helpers.report.render import RenderError, render_report
from tpj_helpers.report.resolve import ResolvedReport, resolve_report
from tpj_helpers.report.source import REPORT_SRC, is_synthetic, stage_source

REPO_REPORT = Path(REPORT_SRC)
TABLE_MD = (
    "| Kommune | Kursister | Andel |\n"
    "|:---|---:|---:|\n"
    "| Århus | 1.234 | 12,5 % |\n"
    "| Køge | <5 | |\n\n"
    "*Kilde: Kommunernes tilmeldinger, N = 1.239 kursister.*"
)


# --------------------------------------------------------------------------- building blocks


def small_png() -> str:
    fig, ax = plt.subplots(figsize=(2, 1.2))
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_title("Æblegrød på øen")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


PNG = small_png()


def fig_cell(label: str, caption: str, source: str = "*Kilde: DREAM, N = 268 kursister.*"):
    cell = new_code_cell(f'#| label: {label}\n#| fig-cap: "{caption}"\npub.figure(df, "{label}")')
    cell.outputs = [
        new_output("stream", name="stderr", text="FutureWarning: noget\n"),
        new_output("display_data", data={"image/png": PNG, "text/plain": "<Image>"}),
        new_output("display_data", data={"text/markdown": source, "text/plain": "<Markdown>"}),
    ]
    return cell


def tbl_cell(label: str, caption: str, markdown: str = TABLE_MD):
    cell = new_code_cell(f'#| label: {label}\n#| tbl-cap: "{caption}"\npub.table(df, "{label}")')
    cell.outputs = [
        new_output(
            "display_data",
            data={
                "text/markdown": markdown,
                "text/html": "<table></table>",
                "text/plain": "<table>",
            },
        )
    ]
    return cell


def txt_cell(label: str, markdown: str):
    cell = new_code_cell(f"#| label: {label}\npub.text(summary)")
    cell.outputs = [new_output("display_data", data={"text/markdown": markdown, "text/plain": "x"})]
    return cell


def write_notebook(path: Path, cells: list) -> None:
    nb = new_notebook()
    injected = new_code_cell("# Parameters\noutput_dir = 'x'\n")
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells = [new_markdown_cell("# Notebook"), injected, *cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


QUARTO_YML = "lang: da\nformat:\n  html:\n    toc: true\n  typst:\n    toc: true\n"
QMD_HEAD = '---\ntitle: "Prøverapport om æøå"\nlang: da\ndate: 2025-03-04\n---\n\n'


def make_run(
    tmp_path: Path,
    body: str,
    notebooks: dict[str, list],
    synthetic: bool | None = None,
    assets: bool = True,
) -> tuple[Path, Path]:
    """A run folder with executed notebooks and a report source folder; returns (run, src)."""
    run = tmp_path / "run"
    for sub in ("notebooks", "tables", "figures", "results", "report"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    for name, cells in notebooks.items():
        write_notebook(run / "notebooks" / f"{name}.ipynb", cells)
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "_quarto.yml").write_text(QUARTO_YML, encoding="utf-8")
    (src / "index.qmd").write_text(QMD_HEAD + body, encoding="utf-8")
    if assets:
        for name in ("style.css", "typst-template.typ"):
            shutil.copy(REPO_REPORT / name, src / name)
    if synthetic is not None:
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        if synthetic:
            (data / "SYNTHETIC").write_text("{}", encoding="utf-8")
        (run / "manifest.json").write_text(json.dumps({"params": {"data_dir": str(data)}}), "utf-8")
    return run, src


def resolve(run: Path, src: Path) -> ResolvedReport:
    return resolve_report(stage_source(run, src))


STANDARD_NOTEBOOKS = {
    "00_a": [
        txt_cell("txt-summary", "**Status:** datakvaliteten er gennemgået, se @fig-first."),
        fig_cell("fig-first", "Kursister pr. uge"),
        tbl_cell("tbl-counts", "Kursister fordelt på kommune"),
    ],
    "10_b": [fig_cell("fig-second", "Beskæftigelsesscore før og efter kurset")],
}
STANDARD_BODY = """\
# Datagrundlag

Se @tbl-counts og @fig-second, samt [@fig-first; @fig-second] og figur -@fig-first.
Koden `@fig-ukendt` og adressen evaluering@tbl-eksempel.dk er ikke henvisninger.

{{< embed notebooks/00_a.ipynb#fig-first >}}

{{< embed notebooks/00_a.ipynb#tbl-counts >}}

# Resultater

{{< embed notebooks/10_b.ipynb#fig-second >}}

```python
# a code block keeps its text: @fig-first {{< embed notebooks/none.ipynb#x >}}
```

{{< embed notebooks/00_a.ipynb#txt-summary >}}
"""


# --------------------------------------------------------------------------- cell options


def test_cell_options_read_the_quarto_header_of_a_cell():
    src = (
        '#| label: fig-x\n#| fig-cap: "Andel i job: æøå"\n#| fig-width: 7\n'
        "import x\n#| label: not-this"
    )
    assert cell_options(src) == {"label": "fig-x", "fig-cap": "Andel i job: æøå", "fig-width": 7}
    assert cell_options("x = 1\n#| label: late") == {}
    # One broken line does not hide the label.
    assert cell_options('#| label: tbl-y\n#| tbl-cap: "open quote\n')["label"] == "tbl-y"


# --------------------------------------------------------------------------- embeds and numbers


def test_embeds_are_found_by_label_in_any_cell_order(tmp_path):
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS)
    report = resolve(run, src)
    body = report.body
    # The text cell is embedded as Markdown, in its own anchored block.
    assert "::: {#txt-summary .tpj-text}\n**Status:** datakvaliteten" in body
    # The table's pipe table and source line are there, with the caption before the table.
    assert ": **Tabel 1:** Kursister fordelt på kommune\n\n| Kommune | Kursister | Andel |" in body
    assert "*Kilde: Kommunernes tilmeldinger, N = 1.239 kursister.*" in body
    # The figure's PNG is the notebook's image; its source line follows the figure.
    filename, payload = report.figures["fig-first"]
    assert filename == "fig-first.png" and payload == base64.b64decode(PNG)
    assert "](figures/fig-first.png)\n\n*Kilde: DREAM, N = 268 kursister.*" in body
    # Papermill's parameters cell and stderr warnings are not embedded.
    assert "Parameters" not in body and "FutureWarning" not in body
    assert report.meta.title == "Prøverapport om æøå" and report.meta.date == "4. marts 2025"


def test_figures_and_tables_are_numbered_separately_in_order_of_appearance(tmp_path):
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS)
    report = resolve(run, src)
    body = report.body
    assert report.numbers == {
        "fig-first": "Figur 1",
        "tbl-counts": "Tabel 1",
        "fig-second": "Figur 2",
    }
    assert "![**Figur 1:** Kursister pr. uge](figures/fig-first.png)" in body
    assert "![**Figur 2:** Beskæftigelsesscore før og efter kurset](figures/fig-second.png)" in body
    assert body.index("**Figur 1:**") < body.index("**Tabel 1:**") < body.index("**Figur 2:**")
    # References: plain, bracketed lists, number only (-@), and inside embedded Markdown.
    assert "Se [Tabel 1](#tbl-counts) og [Figur 2](#fig-second)" in body
    assert "samt [Figur 1](#fig-first) og [Figur 2](#fig-second) og figur [1](#fig-first)." in body
    assert "se [Figur 1](#fig-first)." in body
    # Not references: code spans, code blocks, e-mail-like text.
    assert "`@fig-ukendt`" in body and "evaluering@tbl-eksempel.dk" in body
    assert "# a code block keeps its text: @fig-first {{< embed" in body
    outside_code = re.sub(r"```.*?```", "", body, flags=re.S)
    assert not re.search(r"(?<![\w`@])@(fig|tbl)-(first|second|counts)", outside_code)


def test_a_missing_label_names_the_line_the_notebook_and_its_labels(tmp_path):
    body = "# A\n\nTekst.\n\n{{< embed notebooks/00_a.ipynb#fig-missing >}}\n"
    run, src = make_run(tmp_path, body, STANDARD_NOTEBOOKS)
    with pytest.raises(RenderError) as err:
        resolve(run, src)
    msg = str(err.value)
    qmd_line = QMD_HEAD.count("\n") + 5
    assert f"index.qmd line {qmd_line}" in msg
    assert "00_a.ipynb" in msg and "'fig-missing'" in msg
    assert "fig-first, tbl-counts, txt-summary" in msg


def test_a_missing_notebook_is_named(tmp_path):
    run, src = make_run(tmp_path, "{{< embed notebooks/99_x.ipynb#fig-a >}}\n", STANDARD_NOTEBOOKS)
    with pytest.raises(RenderError, match=r"99_x\.ipynb does not exist.*00_a\.ipynb, 10_b\.ipynb"):
        resolve(run, src)


def test_an_unknown_reference_stops_the_render(tmp_path):
    body = "Se @fig-first og @fig-nowhere.\n\n{{< embed notebooks/00_a.ipynb#fig-first >}}\n"
    run, src = make_run(tmp_path, body, STANDARD_NOTEBOOKS)
    with pytest.raises(RenderError, match=r"line \d+: @fig-nowhere refers to no figure.*fig-first"):
        resolve(run, src)
    (src / "index.qmd").write_text(QMD_HEAD + "Se @sec-metode.\n", encoding="utf-8")
    with pytest.raises(RenderError, match="numbers only figures"):
        resolve(run, src)


def test_a_label_embedded_twice_is_refused(tmp_path):
    body = "{{< embed notebooks/10_b.ipynb#fig-second >}}\n\n" * 2
    run, src = make_run(tmp_path, body, STANDARD_NOTEBOOKS)
    with pytest.raises(RenderError, match="used twice"):
        resolve(run, src)


def test_a_figure_cell_without_an_image_is_refused(tmp_path):
    broken = fig_cell("fig-empty", "Tom")
    broken.outputs = broken.outputs[-1:]  # the source line only
    run, src = make_run(tmp_path, "{{< embed notebooks/n.ipynb#fig-empty >}}\n", {"n": [broken]})
    with pytest.raises(RenderError, match="shows no image"):
        resolve(run, src)


# --------------------------------------------------------------------------- HTML and PDF


class Fetched(HTMLParser):
    """src/href of script, link and img elements; and whether the banner is there."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.banner = False
        self.images = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])
        self.images += tag == "img"
        self.banner |= "tpj-banner" in (a.get("class") or "").split()


def parse_html(path: Path) -> tuple[Fetched, str]:
    text = path.read_text(encoding="utf-8")
    parser = Fetched()
    parser.feed(text)
    return parser, text


def test_synthetic_render_gives_a_self_contained_html_and_a_pdf(tmp_path):
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS, synthetic=True)
    result = render_report(run, src, engine="pandoc")  # synthetic=None: read from the manifest
    assert result.html == run / "report" / "index.html"
    assert result.pdf == run / "report" / "report.pdf"

    page, text = parse_html(result.html)
    assert page.images == 2
    assert not [u for u in page.urls if u.startswith(("http://", "https://", "//"))]
    assert all(u.startswith("data:") for u in page.urls)
    assert page.banner and BANNER_TEXT in text
    assert 'lang="da"' in text
    assert "Prøverapport om æøå" in text
    assert '<a href="#fig-second">Figur 2</a>' in text and 'id="fig-second"' in text

    pdf = result.pdf.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(result.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Prøverapport om æøå" in words and "Figur 2: Beskæftigelsesscore" in words
        assert BANNER_TEXT in words
    else:
        typ = (run / "_report_src" / "index.typ").read_text(encoding="utf-8")
        assert "æøå" in typ and "Figur 2:" in typ
    # The figures the report shows are kept by label next to it.
    assert sorted(p.name for p in (run / "report" / "figures").iterdir()) == [
        "fig-first.png",
        "fig-second.png",
    ]


def test_real_data_render_has_no_banner(tmp_path):
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS, synthetic=False)
    result = render_report(run, src, engine="pandoc")
    page, text = parse_html(result.html)
    assert not page.banner and BANNER_TEXT not in text
    assert result.pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", str(result.pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Syntetiske" not in words


def test_rendering_again_replaces_the_source_copy_and_keeps_the_notebooks(tmp_path):
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS, synthetic=False)
    stage_source(run, src)
    (run / "report" / "figures").mkdir()
    (run / "report" / "figures" / "stale.png").write_bytes(b"x")
    (src / "index.qmd").write_text(
        QMD_HEAD + "{{< embed notebooks/10_b.ipynb#fig-second >}}\n", encoding="utf-8"
    )
    result = render_report(run, src, synthetic=False, engine="pandoc")
    copy = run / "_report_src"
    assert (copy / "notebooks").is_symlink() and (copy / "notebooks" / "00_a.ipynb").is_file()
    assert sorted(p.name for p in (run / "notebooks").iterdir()) == ["00_a.ipynb", "10_b.ipynb"]
    assert "fig-second" in (copy / "index.qmd").read_text(encoding="utf-8")
    assert [p.name for p in (run / "report" / "figures").iterdir()] == ["fig-second.png"]
    assert result.markdown == copy / "index.md"


def test_is_synthetic_reads_the_data_folder_of_the_manifest(tmp_path):
    run, _ = make_run(tmp_path, "", {}, synthetic=True)
    assert is_synthetic(run)
    (tmp_path / "data" / "SYNTHETIC").unlink()
    assert not is_synthetic(run)
    # The data folder is gone: the flag the run recorded decides.
    shutil.rmtree(tmp_path / "data")
    (run / "manifest.json").write_text(
        json.dumps({"params": {"data_dir": str(tmp_path / "data")}, "synthetic": True}), "utf-8"
    )
    assert is_synthetic(run)
    (run / "manifest.json").unlink()
    assert not is_synthetic(run)


def test_quarto_is_used_when_on_path(tmp_path, monkeypatch):
    """A stand-in `quarto` checks it runs in the source copy and can reach the notebooks."""
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS, synthetic=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        "assert sys.argv[1:] == ['render', 'index.qmd'], sys.argv\n"
        "assert pathlib.Path('notebooks/00_a.ipynb').is_file()\n"
        "cfg = pathlib.Path('_quarto.yml').read_text()\n"
        "assert '_banner.html' in cfg and '_banner.typ' in cfg\n"
        "pathlib.Path('index.html').write_text('<html>quarto</html>')\n"
        "pathlib.Path('index.pdf').write_bytes(b'%PDF-1.7 quarto')\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = render_report(run, src)
    assert result.engine == "quarto"
    assert result.html.read_text() == "<html>quarto</html>"
    assert result.pdf.read_bytes().startswith(b"%PDF")
    assert not (run / "_report_src" / "index.html").exists()


# --------------------------------------------------------------------------- the committed report


def test_the_committed_report_source_resolves(tmp_path):
    """report/index.qmd with stand-in notebooks: every embed follows the label conventions, every
    figure and table is referenced in the text, and the agreed sections and embeds are there."""
    qmd = (REPO_REPORT / "index.qmd").read_text(encoding="utf-8")
    embeds = re.findall(r"\{\{< embed notebooks/(\w+)\.ipynb#([\w-]+) >\}\}", qmd)
    required = {
        "00_data_quality": {
            "tbl-enrolment",
            "fig-municipalities",
            "txt-quality-summary",
            "tbl-bilag1-per-hold",
            "tbl-exclusions",
            "tbl-consistency",
        },
        "10_survey_outcomes": {"tbl-response", "fig-likert-beskaeftigelse", "tbl-survey-paired"},
        "20_who5": {"tbl-who5-means", "fig-who5-distribution"},
        "30_register_regressions": {"tbl-tabel6", "fig-weekly-score"},
        "40_subgroup_models": {"tbl-subgroup-two-point", "fig-subgroup-gender"},
        "50_deep_dive_synthesis": {
            "txt-qual-status",
            "tbl-deep-dive-municipalities",
            "fig-deep-dive-municipalities",
        },
    }
    for name, labels in required.items():
        assert labels <= {label for nb, label in embeds if nb == name}, name
    notebooks: dict[str, list] = {}
    for name, label in embeds:
        kind = label.split("-")[0]
        cell = (
            fig_cell(label, "Tekst")
            if kind == "fig"
            else tbl_cell(label, "Tekst")
            if kind == "tbl"
            else txt_cell(label, "Tekst.")
        )
        notebooks.setdefault(name, []).append(cell)
    run = tmp_path / "run"
    for name, cells in notebooks.items():
        write_notebook(run / "notebooks" / f"{name}.ipynb", cells)
    report = resolve_report(stage_source(run, REPO_REPORT))
    figures_tables = [label for _, label in embeds if label.startswith(("fig-", "tbl-"))]
    assert sorted(report.numbers) == sorted(figures_tables)
    prose = re.sub(r"\{\{<.*?>\}\}", "", qmd)
    assert all(f"@{label}" in prose for label in figures_tables)
    # Top-level sections in the agreed order (attributes such as {.unnumbered} stripped).
    headings = [re.sub(r"\s*\{.*\}\s*$", "", h) for h in re.findall(r"^# (.+)$", qmd, flags=re.M)]
    sections = [
        "Resumé",
        "Baggrund og formål",
        "Fremgangsmåde og datagrundlag",
        "Resultatmål 1",
        "Resultatmål 2",
        "Deep dives",
        "Anbefalinger",
        "Metode og forbehold",
        "Bilag",
    ]
    assert headings == sections
    # The summary and the theory of change are embedded; the score scale is explained.
    # The resumé of conclusions replaced the list of key figures (issue 16); every results
    # section opens with its finding.
    for name, label in [
        ("90_summary", "txt-resume"),
        ("90_summary", "txt-finding-satisfaction"),
        ("90_summary", "txt-finding-who5"),
        ("90_summary", "txt-finding-register"),
        ("90_summary", "txt-finding-subgroups"),
        ("90_summary", "txt-finding-recommendations"),
        ("00_data_quality", "fig-theory-of-change"),
        ("30_register_regressions", "tbl-score-scale"),
    ]:
        assert (name, label) in embeds, label
    # No result numbers in the prose: digits only in scale and week definitions.
    for line in prose.splitlines():
        if re.search(r"\d", line) and not line.startswith(("#", "---", "date:")):
            assert re.search(
                r"(0 til 10|0 til 100|uge -?−?\d|Resultatmål \d|\d\. \*\*|"
                r"resultatmål \d|95 %|@\w+-\w*\d)",
                line,
            ), line
    assert report.meta.title == "Evaluering af Tættere På Job" and report.meta.lang == "da"


def test_the_banner_does_not_depend_on_the_report_assets(tmp_path):
    """Without style.css and typst-template.typ (pandoc's own layouts) the banner is still there."""
    run, src = make_run(tmp_path, STANDARD_BODY, STANDARD_NOTEBOOKS, assets=False)
    result = render_report(run, src, synthetic=True, engine="pandoc")
    page, text = parse_html(result.html)
    assert page.banner and "position:sticky" in text
    typ = (run / "_report_src" / "index.typ").read_text(encoding="utf-8")
    assert BANNER_TEXT in typ and "background" in typ
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", str(result.pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert BANNER_TEXT in words
