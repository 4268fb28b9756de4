"""Presentation: Danish number formatting (babel) and the figure theme shared by all notebooks."""

from __future__ import annotations

import math

import matplotlib as mpl
import seaborn as sns
from babel.numbers import format_decimal, format_percent

LOCALE = "da_DK"
# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DPI = 200


def num(x, decimals: int = 0) -> str:
    """A number in Danish notation: 1.234,5 and −0,5 with a true minus sign (empty for missing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(x, format=fmt, locale=LOCALE)
    return "\u2212" + text[1:] if text.startswith("-") else text


def pct(share, decimals: int = 0) -> str:
    """A share 0-1 as a Danish percentage: 0,093 -> '9 %' (decimals=0) or '9,3 %'."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    fmt = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    # A no-break space keeps the number and the % sign on one line.
    return format_percent(share, format=fmt, locale=LOCALE).replace(" %", "\u00a0%")


def signed(x, decimals: int = 2) -> str:
    """A change with an explicit sign: +1,46 / -0,67 (with a true minus sign)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    text = num(abs(x), decimals)
    return ("+" if x >= 0 else "\u2212") + text


def set_theme() -> None:
    """Seaborn/matplotlib defaults for every figure of the report."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=1.0)
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "figure.figsize": (7.5, 4.2),
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.formatter.use_locale": False,
            "legend.frameon": False,
        }
    )


def danish_axis(ax, axis: str = "y", decimals: int = 0, percent: bool = False) -> None:
    """Tick labels with decimal comma (and % when the values are shares)."""
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: pct(v, decimals) if percent else num(v, decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
