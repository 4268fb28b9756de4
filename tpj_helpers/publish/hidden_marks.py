"""How a figure shows a value that disclosure control has hidden: one look in every figure.

A figure gets the publisher's protected frame, where a hidden count or share is NA; it cannot
tell a primary cell (under `min_cell`) from a secondary one (hidden so that a primary cannot be
worked out), so it never writes «<5» for it: it draws a hatched outline of a fixed, small size
in the hidden category's place and writes «skjult» beside it (or names it in the legend where the
place is too narrow for text). The marker's size is no data; the note under the figure says so.
A hidden N is written «N skjult».
"""

from __future__ import annotations

import pandas as pd
from matplotlib.patches import Patch

from tpj_helpers.publish.present import num

HIDDEN_TEXT = "skjult"
HIDDEN_EDGE = "#737373"
HIDDEN_STYLE = {"facecolor": "white", "edgecolor": HIDDEN_EDGE, "hatch": "////", "linewidth": 0.6}
# The marker's length as a share of the value axis (bar charts) and of the scale (diverging bars).
MARK_SHARE = 0.025
DIVERGING_MARK = 0.04


def hidden_note(min_cell: int = 5) -> str:
    """The legend/note text that explains the marker (Danish)."""
    return (
        f"Skraveret felt: skjult tal (under {min_cell} personer, eller et tal de kunne regnes "
        "ud fra); feltets størrelse er ikke data"
    )


def hidden_patch(min_cell: int = 5, label: str | None = None) -> Patch:
    """A legend handle for the marker."""
    return Patch(**HIDDEN_STYLE, label=label or hidden_note(min_cell))


def n_text(n, min_cell: int = 5) -> str:
    """«N = 218», or «N skjult» when the count is hidden (NA). `min_cell` is kept for callers."""
    return f"N {HIDDEN_TEXT}" if pd.isna(n) else f"N = {num(int(n))}"


def mark_barh(
    ax,
    y: float,
    span: float = 1.0,
    height: float = 0.6,
    left: float = 0.0,
    text: bool = True,
    share: float = MARK_SHARE,
) -> None:
    """A hidden value in a horizontal bar chart: the marker from `left` along the x axis, whose
    data range is `span` long (1 for shares), `share` of it long (wider in a narrow panel)."""
    width = span * share
    ax.barh(y, width, left=left, height=height, **HIDDEN_STYLE)
    if text:
        ax.text(left + width, y, f" {HIDDEN_TEXT}", va="center", fontsize=7, color=HIDDEN_EDGE)


def mark_bar(ax, x: float, width: float, span: float = 1.0, text: bool = True) -> None:
    """A hidden value in a vertical bar chart (a histogram bin from `x`, `width` wide), whose y
    axis is `span` long."""
    height = span * MARK_SHARE * 2
    ax.bar(x, height, width=width, align="edge", **HIDDEN_STYLE)
    if text:
        ax.text(
            x + width / 2,
            height,
            HIDDEN_TEXT,
            ha="center",
            va="bottom",
            fontsize=7,
            color=HIDDEN_EDGE,
        )


# A value left unpublished on purpose (`disclosure.UNPUBLISHED`): an item and wave answered by so
# few questionnaires that no suppression protects its answers, or Tabel 6's persons without a
# score in a week where nearly the whole cohort has one. Not published, zeros included, so the
# marker says nothing about any count's size (unlike «<5», a count of 1..4, and «..», one of at
# least 5).
UNPUBLISHED_MARK = "i.o."
UNPUBLISHED_NOTE = (
    f"«{UNPUBLISHED_MARK}»: ikke offentliggjort. Tallet vises slet ikke (heller ikke et nul), "
    "fordi det sammen med de øvrige offentliggjorte tal ville afsløre enkeltpersoner, fx svarene "
    "i en måling med for få skemaer; markeringen siger intet om tallets størrelse."
)
UNPUBLISHED_FIGURE_NOTE = (
    "Søjler for spørgsmål og målinger med for få skemaer er udeladt (ikke offentliggjort: for få "
    "skemaer); udeladelsen siger intet om tallenes størrelse."
)
