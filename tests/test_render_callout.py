"""Callout boxes (`::: {.callout-warning title="..."}`) through the fallback renderer: a visible,
framed box with its title as the first line, in the HTML and in the PDF.

pandoc alone would keep the title only as an HTML tooltip and give the Typst output no frame at
all; `callouts.CALLOUT_FILTER` fixes both (Quarto draws callouts itself).
"""

from __future__ import annotations

import re
import shutil
import subprocess

from test_render import make_run, txt_cell

from tpj_helpers.analysis.data_quality import consistency as c
from tpj_helpers.report.render import render_report

BODY = """\
# Datakvalitet

{{< embed notebooks/00_a.ipynb#txt-checks >}}

{{< embed notebooks/00_a.ipynb#txt-ok >}}

Brødtekst efter boksene.
"""


def _boxes() -> tuple[str, str]:
    failing = [
        c.check_sum(
            "T2-sum-efter",
            "Tabel 2",
            "række 'Lige efter kurset'",
            {"Fuldt besvaret": 220, "Manglende besvarelse": 173},
            "Udsendt",
            324,
        ),
        c.check_age_bins("ALDER-grupper", ["Under 25", "26-35", "Over 35"]),
        c.check_sum("OK", "T", "r", {"a": 1}, "i alt", 1),
    ]
    passing = [c.check_sum("OK", "T", "r", {"a": 1}, "i alt", 1)]
    return c.warning_box(failing), c.warning_box(passing)


def test_warning_box_is_a_visible_box_in_html_and_pdf(tmp_path):
    warning, ok = _boxes()
    notebooks = {"00_a": [txt_cell("txt-checks", warning), txt_cell("txt-ok", ok)]}
    run, src = make_run(tmp_path, BODY, notebooks, synthetic=False)
    result = render_report(run, src, engine="pandoc")

    html = result.html.read_text(encoding="utf-8")
    # The box keeps the class the stylesheet frames, and the title is text inside it (not only
    # a title="" tooltip).
    box = re.search(r'<div class="callout-warning"[^>]*>(.*?)</ul>\s*</div>', html, re.S)
    assert box, "no callout-warning div in the HTML"
    assert '<div class="callout-title">' in box.group(1)
    assert "<strong>Datakvalitet: advarsler</strong>" in box.group(1)
    assert "2 af 3 kontroller fejlede" in box.group(1)
    assert "giver 393, men Udsendt er 324" in box.group(1)
    assert 'title="Datakvalitet' not in html
    assert re.search(r"\.callout-warning[^{]*\{[^}]*border-left-color:\s*#b35c00", html)
    assert '<div class="callout-note">' in html and "Alle 1 kontroller bestået" in html

    # PDF: the Typst source draws a filled block with a coloured rule around the title and
    # the list; the text reaches the PDF.
    typ = (run / "_report_src" / "index.typ").read_text(encoding="utf-8")
    block = typ.index('fill: rgb("#fdf5ec"), stroke: (left: 3pt + rgb("#b35c00"))')
    assert block < typ.index("Datakvalitet: advarsler") < typ.index("T2-sum-efter")
    assert 'fill: rgb("#f1f6f8"), stroke: (left: 3pt + rgb("#0b5d7a"))' in typ
    assert result.pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        words = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(result.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Datakvalitet: advarsler" in words
        assert "alder 25 ligger ikke i nogen gruppe" in " ".join(words.split())
        assert "Brødtekst efter boksene." in words


def test_plain_divs_are_left_alone(tmp_path):
    notebooks = {
        "00_a": [
            txt_cell("txt-checks", "::: {.andet}\nAlmindelig tekst.\n:::\n"),
            txt_cell("txt-ok", "Intet."),
        ]
    }
    run, src = make_run(tmp_path, BODY, notebooks, synthetic=False)
    result = render_report(run, src, engine="pandoc")
    assert '<div class="andet">' in result.html.read_text(encoding="utf-8")
    typ = (run / "_report_src" / "index.typ").read_text(encoding="utf-8")
    assert "Almindelig tekst." in typ
    assert 'rgb("#fdf5ec")' not in typ and 'rgb("#f1f6f8")' not in typ
