"""The theory-of-change figure (tpj_helpers/analysis/data_quality/programme.py) from params/theory_of_change.yaml."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pytest

from tpj_helpers.analysis.data_quality import programme

matplotlib.use("Agg")


def test_the_committed_theory_of_change_runs_from_resources_to_the_long_term_goal():
    df = programme.load_theory_of_change()
    titles = df.drop_duplicates("stage_order")["title"].tolist()
    assert titles == ["Ressourcer", "Aktiviteter", "Output", "Resultatmål", "Langsigtet mål"]
    outcomes = " ".join(df.loc[df["stage"] == "outcomes", "text"])
    assert "Resultatmål 1" in outcomes and "Resultatmål 2" in outcomes
    assert list(df.columns) == programme.COLUMNS


def test_the_figure_draws_a_box_per_item_and_an_arrow_between_stages():
    spec = {
        "stages": [
            {"key": "a", "title": "Ressourcer", "boxes": ["Én", "To"]},
            {"key": "b", "title": "Aktiviteter", "boxes": ["Tre"]},
            {"key": "c", "title": "Mål", "boxes": ["Fire æøå"]},
        ]
    }
    df = programme.theory_of_change_frame(spec)
    fig = programme.theory_of_change_figure(df)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, programme.FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, programme.FancyArrowPatch)]
    assert len(boxes) == 4 and len(arrows) == 2
    texts = {t.get_text() for t in ax.texts}
    assert {"Ressourcer", "Aktiviteter", "Mål", "Fire æøå"} <= texts
    plt.close(fig)


def test_a_stage_without_boxes_is_refused():
    with pytest.raises(ValueError, match="stage 2"):
        programme.theory_of_change_frame(
            {"stages": [{"title": "A", "boxes": ["x"]}, {"title": "B", "boxes": []}]}
        )
    with pytest.raises(ValueError, match="stages"):
        programme.theory_of_change_frame({})
