"""Traceability: every table and figure in the report names the notebook and cell that made it
and the CSV it was published as; in the HTML as links into the run folder, in the PDF as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from nbformat.v4 import new_code_cell, new_output
from test_render import PNG, TABLE_MD, make_run, txt_cell

from tpj_helpers.publish import publisher as publisher_module
from tpj_helpers.publish.publisher import PUBLISHED_KEY, Publisher
from tpj_helpers.report import trace
from tpj_helpers.report.render import render_report

BODY = """\
# Resultater

Se @tbl-kommuner og @fig-score.

{{< embed notebooks/30_reg.ipynb#tbl-kommuner >}}

{{< embed notebooks/40_sub.ipynb#fig-score >}}

{{< embed notebooks/30_reg.ipynb#txt-note >}}
"""


def published_table_cell(label: str, csv: str):
    cell = new_code_cell(f'#| label: {label}\n#| tbl-cap: "Kommuner"\npub.table(df, "x")')
    cell.outputs = [
        new_output(
            "display_data",
            metadata={PUBLISHED_KEY: csv},
            data={
                "text/markdown": TABLE_MD,
                "text/html": "<table></table>",
                "text/plain": "<table>",
            },
        )
    ]
    return cell


def published_figure_cell(label: str, csv: str):
    cell = new_code_cell(f'#| label: {label}\n#| fig-cap: "Score pr. uge"\npub.figure(df, "x")')
    cell.outputs = [
        new_output(
            "display_data",
            metadata={PUBLISHED_KEY: csv},
            data={"image/png": PNG, "text/plain": "<Image>"},
        ),
        new_output("display_data", data={"text/markdown": "*Kilde: DREAM.*", "text/plain": "x"}),
    ]
    return cell


NOTEBOOKS = {
    "30_reg": [
        published_table_cell("tbl-kommuner", "tables/municipality_counts.csv"),
        txt_cell("txt-note", "Bemærk: ingen tabel her."),
    ],
    "40_sub": [published_figure_cell("fig-score", "figures/weekly_score.csv")],
}


class SourceLines(HTMLParser):
    """The <p class="tpj-source"> paragraphs: their text and their links."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "p" and attrs.get("class") == "tpj-source":
            self._in = True
            self.lines.append({"text": "", "links": []})
        elif tag == "a" and self._in:
            self.lines[-1]["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "p":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.lines[-1]["text"] += data


def test_each_table_and_figure_has_a_source_line_with_notebook_cell_and_csv(tmp_path):
    run, src = make_run(tmp_path, BODY, NOTEBOOKS, synthetic=False)
    (run / "tables" / "municipality_counts.csv").write_text("a\n1\n", encoding="utf-8")
    (run / "figures" / "weekly_score.csv").write_text("a\n1\n", encoding="utf-8")
    result = render_report(run, src, engine="pandoc")

    parser = SourceLines()
    parser.feed(result.html.read_text(encoding="utf-8"))
    assert [" ".join(line["text"].split()) for line in parser.lines] == [
        "Lavet i notebooks/30_reg.ipynb, celle tbl-kommuner · tal: tables/municipality_counts.csv",
        "Lavet i notebooks/40_sub.ipynb, celle fig-score · tal: figures/weekly_score.csv",
    ]  # the text embed gets none
    assert [line["links"] for line in parser.lines] == [
        ["../notebooks/30_reg.ipynb", "../tables/municipality_counts.csv"],
        ["../notebooks/40_sub.ipynb", "../figures/weekly_score.csv"],
    ]
    # The links are relative to report/index.html and reach the run's own files.
    for line in parser.lines:
        for href in line["links"]:
            assert (result.html.parent / href).resolve().is_file(), href

    # The source line sits inside the table's / figure's block, after its own Kilde line.
    html = result.html.read_text(encoding="utf-8")
    table_block = re.search(r'<div id="tbl-kommuner" class="tpj-table">(.*?)</div>', html, re.S)
    assert table_block and "Kilde: Kommunernes tilmeldinger" in table_block.group(1)
    assert table_block.group(1).index("Kilde:") < table_block.group(1).index("tpj-source")
    assert '<div id="fig-score" class="tpj-figure">' in html

    # PDF: the same line as text (grey, small) in the Typst source and in the PDF.
    typ = (result.source_dir / "index.typ").read_text(encoding="utf-8")
    assert (
        'text(size: 7pt, fill: luma(115), "Lavet i notebooks/30_reg.ipynb, celle '
        'tbl-kommuner · tal: tables/municipality_counts.csv")'
    ) in typ
    assert "celle fig-score · tal: figures/weekly_score.csv" in typ
    assert "<p class" not in typ
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(result.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "celle tbl-kommuner · tal: tables/municipality_counts.csv" in " ".join(words.split())


def test_a_cell_without_publisher_metadata_names_notebook_and_cell_only():
    cell = new_code_cell("#| label: tbl-x\nshow(df)")
    cell.outputs = [new_output("display_data", data={"text/markdown": "| a |\n|---|\n| 1 |"})]
    labelled = trace.LabelledCell(Path("nb.ipynb"), 0, "tbl-x", {}, cell.outputs)
    assert trace.published_files(labelled) == []
    assert (
        trace.source_text("notebooks/nb.ipynb", "tbl-x", [])
        == "Lavet i notebooks/nb.ipynb, celle tbl-x"
    )


def test_typst_text_is_escaped():
    block = trace.source_block('notebooks/a "b".ipynb', "tbl-x", ["tables/c\\d.csv"])
    assert '"Lavet i notebooks/a \\"b\\".ipynb, celle tbl-x · tal: tables/c\\\\d.csv"' in block
    assert '<a href="../notebooks/a%20%22b%22.ipynb">notebooks/a &quot;b&quot;.ipynb</a>' in block


def test_the_publisher_records_the_csv_in_the_output_metadata(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        publisher_module, "display", lambda obj, raw=False, metadata=None: shown.append(metadata)
    )
    pub = Publisher(tmp_path, "30_reg")
    df = pd.DataFrame({"Kommune": ["A", "B"], "Kursister": [12, 30]})
    pub.table(df, "municipality_counts", "Test", count_cols=["Kursister"])
    pub.figure(df, "weekly_score", "Test", lambda d: d.plot.bar(x="Kommune").figure)
    assert shown == [
        {PUBLISHED_KEY: "tables/municipality_counts.csv"},
        {PUBLISHED_KEY: "figures/weekly_score.csv"},
        None,
    ]
    assert (tmp_path / "tables" / "municipality_counts.csv").is_file()
    assert (tmp_path / "figures" / "weekly_score.csv").is_file()
    assert trace.PUBLISHED_KEY == PUBLISHED_KEY
