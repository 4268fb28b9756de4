"""Front matter: the `index.qmd` YAML header merged over `_quarto.yml`, dates in Danish."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import yaml

from tpj_helpers.report.errors import RenderError
from tpj_helpers.report.source import QMD

TOC_TITLE = "Indhold"
DANISH_MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


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
            return meta, lines[end + 1 :], end + 1
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
