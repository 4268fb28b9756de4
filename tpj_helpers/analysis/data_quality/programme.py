"""The programme itself: the theory of change of Tættere På Job as a simple box-and-arrow figure.

The stages and their boxes are read from `params/theory_of_change.yaml` (stages left to right:
resources -> activities -> outputs -> result goals -> long-term goal). `theory_of_change_frame`
turns the file into a small table (one row per box), which the Publisher saves next to the
figure; `theory_of_change_figure` draws that table.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import yaml
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from tpj_helpers.paths import PARAMS_DIR

DEFAULT_SPEC = PARAMS_DIR / "theory_of_change.yaml"
COLUMNS = ["stage_order", "stage", "title", "box_order", "text"]
STAGE_FILL = "#e8f1f5"
OUTCOME_FILL = "#fdf1e3"  # the result goals and the long-term goal stand out
EDGE = "#0b5d7a"
WRAP = 22  # characters per line in a box


def load_theory_of_change(path: str | Path = DEFAULT_SPEC) -> pd.DataFrame:
    """The theory of change as one row per box (columns `COLUMNS`), stages in file order."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return theory_of_change_frame(spec)


def theory_of_change_frame(spec: dict) -> pd.DataFrame:
    stages = spec.get("stages") if isinstance(spec, dict) else None
    if not stages:
        raise ValueError("the theory of change needs a non-empty list 'stages'")
    rows = []
    for i, stage in enumerate(stages):
        boxes = stage.get("boxes") or []
        if not stage.get("title") or not boxes:
            raise ValueError(f"stage {i + 1} needs a 'title' and at least one box")
        for j, text in enumerate(boxes):
            rows.append(
                {
                    "stage_order": i,
                    "stage": str(stage.get("key", i)),
                    "title": str(stage["title"]),
                    "box_order": j,
                    "text": str(text),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def theory_of_change_figure(df: pd.DataFrame, wrap: int = WRAP) -> plt.Figure:
    """One row per stage from top to bottom (title on the left, its boxes side by side) and an
    arrow from each stage to the next: tall rather than wide, so it reads on a page and a phone."""
    stages = df.sort_values(["stage_order", "box_order"]).groupby("stage_order", sort=True)
    n_stages = df["stage_order"].nunique()
    n_max = int(df.groupby("stage_order").size().max())
    title_w, box_w, h_gap, box_h, v_gap = 1.35, 2.05, 0.18, 0.86, 0.42
    width = title_w + n_max * box_w + (n_max - 1) * h_gap
    height = n_stages * box_h + (n_stages - 1) * v_gap
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width + 0.05)  # room for the last box's border
    ax.set_ylim(-0.02, height + 0.02)
    ax.axis("off")
    area_mid = title_w + (width - title_w) / 2
    last = n_stages - 1
    for k, (_, stage) in enumerate(stages):
        y = height - k * (box_h + v_gap) - box_h
        ax.text(
            0.02,
            y + box_h / 2,
            textwrap.fill(stage["title"].iloc[0], 12),
            ha="left",
            va="center",
            fontsize=10.5,
            fontweight="bold",
            color=EDGE,
        )
        n = len(stage)
        row_w = n * box_w + (n - 1) * h_gap
        x0 = area_mid - row_w / 2
        fill = OUTCOME_FILL if k >= last - 1 else STAGE_FILL
        for j, text in enumerate(stage["text"]):
            x = x0 + j * (box_w + h_gap)
            ax.add_patch(
                FancyBboxPatch(
                    (x, y),
                    box_w,
                    box_h,
                    boxstyle="round,pad=0.01,rounding_size=0.06",
                    facecolor=fill,
                    edgecolor=EDGE,
                    linewidth=1.0,
                )
            )
            ax.text(
                x + box_w / 2,
                y + box_h / 2,
                textwrap.fill(text, wrap),
                ha="center",
                va="center",
                fontsize=8.8,
                linespacing=1.2,
            )
        if k < last:
            ax.add_patch(
                FancyArrowPatch(
                    (area_mid, y - 0.04),
                    (area_mid, y - v_gap + 0.04),
                    arrowstyle="-|>",
                    mutation_scale=14,
                    color=EDGE,
                    linewidth=1.5,
                )
            )
    return fig


__all__ = ["load_theory_of_change", "theory_of_change_figure", "theory_of_change_frame"]
