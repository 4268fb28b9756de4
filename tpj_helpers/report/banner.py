"""The synthetic-data banner, as HTML and as Typst code."""

from __future__ import annotations

from html import escape

BANNER_TEXT = "Syntetiske data – ikke rigtige resultater"
BANNER_DETAIL = (
    "Rapporten er lavet på kunstige demodata. Tallene siger intet om de rigtige kursister."
)

BANNER_CSS = (
    ".tpj-banner{position:sticky;top:0;z-index:100;padding:.5rem 1rem;"
    "background:#a4161a;color:#fff;text-align:center}.tpj-banner small{display:block}"
)


def banner_html() -> str:
    return (
        f'<div class="tpj-banner" role="note"><strong>{escape(BANNER_TEXT)}</strong>'
        f"<small>{escape(BANNER_DETAIL)}</small></div>"
    )


def typst_banner() -> str:
    """The banner as Typst code for layouts other than report/typst-template.typ."""
    return (
        "#set page(background: place(top, block(width: 100%, height: 1.1cm, "
        'fill: rgb("#a4161a"), align(center + horizon, text(fill: white, weight: "bold")['
        + BANNER_TEXT
        + "]))))"
    )
