"""Readers' tables (`publish.readers_tables`): the report's tables as shown, numbered as in the
report, numbers as numbers, hidden cells marked."""

from __future__ import annotations

import json

import openpyxl
import pytest

from tpj_helpers.publish import readers_tables as R


@pytest.mark.parametrize(
    "shown,value,fmt",
    [
        ("1.234,5", 1234.5, None),
        ("\u22120,67", -0.67, None),
        ("45\u00a0%", 0.45, "0 %"),
        ("9,3 %", 0.093, "0.0 %"),
        ("<5", "<5", None),
        ("2024-W43", "2024-W43", None),
        ("+1,46\\*\\*\\*", 1.46, '+0.00"***";-0.00"***";0.00"***"'),
    ],
)
def test_parse_value(shown, value, fmt):
    got, got_fmt = R.parse_value(shown)
    assert got == pytest.approx(value) if isinstance(value, float) else got == value
    assert got_fmt == fmt


def _nb(cells):
    return {
        "cells": [
            {
                "cell_type": "code",
                "source": src,
                "outputs": [{"output_type": "display_data", "data": {"text/markdown": md}}],
            }
            for src, md in cells
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_report_tables_in_report_order_to_xlsx(tmp_path):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (nbdir / "a.ipynb").write_text(
        json.dumps(
            _nb(
                [
                    (
                        '#| label: tbl-x\n#| tbl-cap: "Første"\npub.table(...)',
                        "| Gruppe | Antal | Andel |\n|:--|--:|--:|\n| A | 1.203 | 45\u00a0% |\n| B | <5 | <5 |\n\n"
                        "*Kilde: test. Syntetiske data.* *Celler med færre end 5 personer er skjult.*",
                    ),
                    (
                        '#| label: tbl-y\n#| tbl-cap: "Anden"\npub.table(...)',
                        "| Model | Ændring |\n|:--|--:|\n| Efter | +1,46\\*\\*\\* |\n\n*Kilde: test.*",
                    ),
                ]
            )
        ),
        encoding="utf-8",
    )
    qmd = tmp_path / "index.qmd"
    qmd.write_text(
        "{{< embed notebooks/a.ipynb#tbl-y >}}\n\ntekst\n\n"
        "{{< embed notebooks/a.ipynb#tbl-x >}}\n{{< embed notebooks/a.ipynb#fig-z >}}\n",
        encoding="utf-8",
    )
    tables = R.report_tables(qmd, nbdir)
    assert [(t.number, t.label) for t in tables] == [(1, "tbl-y"), (2, "tbl-x")]
    path = R.write_xlsx(tables, tmp_path / "tables" / "report_tables.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Tabel 1", "Tabel 2"]
    ws = wb["Tabel 2"]
    assert ws["A1"].value == "Tabel 2: Første"
    assert [c.value for c in ws[2]] == ["Gruppe", "Antal", "Andel"]
    assert ws["B3"].value == 1203 and ws["C3"].value == pytest.approx(0.45)
    assert ws["C3"].number_format == "0 %"
    assert ws["B4"].value == "<5" and ws["B4"].fill.fgColor.rgb.endswith("FFF2CC")
    texts = [r[0] for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert texts[0] == "Kilde: test. Syntetiske data. Celler med færre end 5 personer er skjult."
    assert texts[-1].startswith("Gult felt")
    assert wb["Tabel 1"]["B3"].value == pytest.approx(1.46)


def test_xlsx_bytes_do_not_depend_on_when_it_is_written(tmp_path):
    """Two writes of the same tables, seconds apart, give the same file (no clock inside)."""
    import time

    table = R.ShownTable(1, "tbl-x", "Første", ["Gruppe", "Antal"], [["A", "12"]], ["Kilde: test."])
    first = R.write_xlsx([table], tmp_path / "a.xlsx").read_bytes()
    time.sleep(2.1)  # zip entry times have a resolution of two seconds: the clock moves on
    second = R.write_xlsx([table], tmp_path / "b.xlsx").read_bytes()
    assert first == second
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert wb["Tabel 1"]["B3"].value == 12
    assert wb.properties.created.year == 2000
