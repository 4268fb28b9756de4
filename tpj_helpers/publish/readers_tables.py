"""Readers' tables: `tables/report_tables.xlsx`, one sheet per table of the report, as shown.

The tables are taken from what the report embeds — the pipe tables the executed notebooks
displayed (after disclosure control, with Danish headers) — in the order of the report source
(`report/index.qmd`), so sheet "Tabel 3" is the report's Tabel 3. Danish numbers become numbers
("1.234,5" -> 1234.5, "−0,67" -> -0.67, "45 %" -> 0.45 shown as a percentage, "+1,46***" keeps its
stars as text); hidden cells («<5», «..») stay as they are shown and are marked with a fill and a
note under the table. The machine-readable CSVs beside it are unchanged.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

EMBED = re.compile(r"\{\{<\s*embed\s+(?P<nb>[^#\s]+)#(?P<label>tbl-[\w-]+)\s*>\}\}")
NUMBER = re.compile(
    r"^(?P<sign>[+\u2212-]?)(?P<int>\d{1,3}(?:\.\d{3})*|\d+)(?:,(?P<dec>\d+))?"
    r"(?P<pct>\u00a0?\s?%)?(?P<stars>\**)$"
)
HIDDEN = re.compile(r"^(?:<\s?\d+|\.\.|«\.\.»|\u00ab<\d+\u00bb)$")
HIDDEN_FILL = PatternFill("solid", fgColor="FFF2CC")


@dataclass
class ShownTable:
    number: int
    label: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str]


def parse_value(text: str):
    """A shown cell as a number (float; percentages as shares) or the text itself."""
    t = text.strip().replace("\\*", "*")
    m = NUMBER.match(t)
    if not m:
        return t, None
    value = float(
        m.group("int").replace(".", "") + ("." + m.group("dec") if m.group("dec") else "")
    )
    if m.group("sign") in ("\u2212", "-"):
        value = -value
    decimals = "." + "0" * len(m.group("dec")) if m.group("dec") else ""
    stars = f'"{m.group("stars")}"' if m.group("stars") else ""
    if m.group("pct"):
        return value / 100, f"0{decimals} %{stars}"
    if m.group("sign") == "+" or stars:  # a change: keep the sign and the stars as shown
        return value, f"+0{decimals}{stars};-0{decimals}{stars};0{decimals}{stars}"
    return value, None


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def parse_pipe_table(markdown: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(header, rows, the lines after the table: source and notes) of the first pipe table."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    if start is None:
        return [], [], []
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    header = _cells(lines[start])
    rows = [_cells(line) for line in lines[start + 2 : end]]
    notes = [
        re.sub(r"\*\s*\*", " ", line).strip().strip("*").strip().replace("\\*", "*")
        for line in lines[end:]
        if line.strip()
    ]
    return header, rows, notes


def _notebook_tables(path: Path) -> dict[str, tuple[str, str]]:
    """label -> (caption, displayed Markdown) of an executed notebook's table cells."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for cell in nb.get("cells", []):
        src = "".join(cell.get("source", []))
        label = re.search(r"^#\|\s*label:\s*(tbl-[\w-]+)", src, re.M)
        if not label:
            continue
        cap = re.search(r'^#\|\s*tbl-cap:\s*"?(.*?)"?\s*$', src, re.M)
        md = [
            o["data"]["text/markdown"]
            for o in cell.get("outputs", [])
            if "text/markdown" in o.get("data", {})
        ]
        md = ["".join(m) if isinstance(m, list) else m for m in md]
        if md:
            out[label.group(1)] = (cap.group(1) if cap else "", md[0])
    return out


def report_tables(qmd: Path, notebooks_dir: Path) -> list[ShownTable]:
    """The report's tables in the order the report embeds them (numbered as in the report)."""
    cache: dict[str, dict] = {}
    out = []
    for m in EMBED.finditer(Path(qmd).read_text(encoding="utf-8")):
        name = Path(m.group("nb")).name
        if name not in cache:
            path = Path(notebooks_dir) / name
            cache[name] = _notebook_tables(path) if path.is_file() else {}
        hit = cache[name].get(m.group("label"))
        if hit is None:
            continue
        header, rows, notes = parse_pipe_table(hit[1])
        if header:
            out.append(ShownTable(len(out) + 1, m.group("label"), hit[0], header, rows, notes))
    return out


def write_xlsx(tables: list[ShownTable], path: Path) -> Path:
    """One sheet per table: caption, header, rows (numbers as numbers), notes; hidden cells
    filled and explained."""
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(f"Tabel {t.number}")
        ws.append([f"Tabel {t.number}: {t.caption}"])
        ws["A1"].font = Font(bold=True)
        ws.append(t.header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        hidden = False
        for row in t.rows:
            ws.append([parse_value(c)[0] for c in row])
            r = ws.max_row
            for j, c in enumerate(row, 1):
                value, fmt = parse_value(c)
                if fmt:
                    ws.cell(r, j).number_format = fmt
                if isinstance(value, str) and HIDDEN.match(value.strip()):
                    ws.cell(r, j).fill = HIDDEN_FILL
                    hidden = True
        ws.append([])
        for note in t.notes:
            ws.append([note])
        if hidden:
            ws.append(["Gult felt: cellen er skjult i rapporten (diskretionering), som vist."])
        for j, h in enumerate(t.header, 1):
            width = max([len(str(h))] + [len(r[j - 1]) for r in t.rows if len(r) >= j])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
    wb.properties.created = wb.properties.modified = FIXED_TIME
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    _zip_without_times(buffer, Path(path))
    return Path(path)


# A fixed document time and zip entry time: two runs on the same data write the same bytes, so
# the readers' workbook can be compared (and cached) like every other published file.
FIXED_TIME = datetime.datetime(2000, 1, 1)
FIXED_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _zip_without_times(buffer: io.BytesIO, path: Path) -> None:
    """Copy the workbook's zip archive with every entry stamped FIXED_TIME."""
    buffer.seek(0)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps `modified` at save
                data = MODIFIED.sub(rb"\g<1>" + FIXED_STAMP + rb"\g<2>", data)
            dst.writestr(entry, data)
