"""Response rates (Tabel 2), answer distributions along the scale and the diverging Likert figure,
on a tiny survey whose shares are worked out by hand.

Persons: s1-s6 in udbredelse, q1 in pilot (the phase of the counted enrolment).

    dispatch   foer: s1-s6, q1      efter: s1-s4      3mdr: s1, s2 (no 3mdr file: no returns)
    foer       s1, s2, s3, s5, q1 complete; s4 partial
    efter      s1, s3, s4 complete; s2 partial

self_rated_health (answers Fremragende=1 ... Dårligt=5, positive first), wave foer:
    s1 5 Dårligt, s2 4 Mindre godt, s3 4 Mindre godt, s5 1 Fremragende, s4 (partial) 5, q1 2
gain_goals (agree scale, Meget enig=1 ... Meget uenig=5, special 98 "Ikke relevant"), wave efter:
    s1 98, s3 1 Meget enig, s4 2 Enig, s2 (partial) 5
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from helpers import write_survey_dispatch, write_survey_wave

from tpj_helpers.analysis.survey_outcomes import tables as st
from tpj_helpers.data.survey import load_codebook, load_surveys
from tpj_helpers.publish.publisher import suppress_small

matplotlib.use("Agg")

CODEBOOK = load_codebook()

DISPATCH = [
    *[(p, "foer", "2024-08-04") for p in ("s1", "s2", "s3", "s4", "s5", "s6", "q1")],
    *[(p, "efter", "2024-09-20") for p in ("s1", "s2", "s3", "s4")],
    *[(p, "3mdr", "2024-12-20") for p in ("s1", "s2")],
]
FOER = [  # person, complete, self_rated_health
    ("s1", 1, 5),
    ("s2", 1, 4),
    ("s3", 1, 4),
    ("s4", 0, 5),
    ("s5", 1, 1),
    ("q1", 1, 2),
]
EFTER = [  # person, complete, gain_goals
    ("s1", 1, 98),
    ("s2", 0, 5),
    ("s3", 1, 1),
    ("s4", 1, 2),
]


def write_wave(folder: Path, wave: str, rows: list[dict]) -> None:
    write_survey_wave(folder, wave, rows, CODEBOOK)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey")
    write_survey_dispatch(folder, DISPATCH)
    write_wave(
        folder,
        "foer",
        [{"person_id": p, "complete": c, "self_rated_health": v} for p, c, v in FOER],
    )
    write_wave(
        folder, "efter", [{"person_id": p, "complete": c, "gain_goals": v} for p, c, v in EFTER]
    )
    persons = pd.DataFrame(
        {
            "person_id": ["s1", "s2", "s3", "s4", "s5", "s6", "q1"],
            "phase": ["udbredelse"] * 6 + ["pilot"],
        }
    )
    return SimpleNamespace(persons=persons, surveys=load_surveys(folder, CODEBOOK))


# --------------------------------------------------------------------------- Tabel 2


def test_response_rates_by_hand(data):
    t = st.response_rates(data, "udbredelse")
    assert list(t.columns) == [
        "Måling",
        "Udsendt",
        "Fuldt besvaret",
        "Svarprocent",
        "Manglende besvarelse",
        "Pct. manglende",
        "Heraf delvist besvaret",
    ]
    assert t["Måling"].tolist() == ["Før kurset", "Lige efter kurset", "3 måneder efter kurset"]
    assert t["Udsendt"].tolist() == [6, 4, 2]
    assert t["Fuldt besvaret"].tolist() == [4, 3, 0]  # q1 is pilot; s4 / s2 are partial
    assert t["Manglende besvarelse"].tolist() == [2, 1, 2]  # sent - fully submitted
    assert t["Heraf delvist besvaret"].tolist() == [1, 1, 0]
    # 3mdr has invitations but no file: its response rate is unknown, not 0 % (issue 13)
    assert t["Svarprocent"].tolist() == pytest.approx([400 / 6, 75.0, np.nan], nan_ok=True)
    assert t["Pct. manglende"].tolist() == pytest.approx([200 / 6, 25.0, np.nan], nan_ok=True)


def test_response_rates_all_phases(data):
    t = st.response_rates(data, None)
    assert t["Udsendt"].tolist() == [7, 4, 2]
    assert t["Fuldt besvaret"].tolist() == [5, 3, 0]


def test_response_table_hides_complete_and_missing_together(data):
    t = st.response_rates(data, "udbredelse")
    _, mask = suppress_small(t, st.RESPONSE_COUNTS, 2, st.RESPONSE_LINKED)
    # efter: missing = 1 is small; complete = 3 would give it away (4 - 3) and is hidden too
    assert mask.loc[
        1, ["Manglende besvarelse", "Fuldt besvaret", "Svarprocent", "Pct. manglende"]
    ].all()
    assert not mask.loc[1, "Udsendt"]
    # foer: only the single partial return is hidden
    assert mask.loc[0][mask.loc[0]].index.tolist() == ["Heraf delvist besvaret"]


# --------------------------------------------------------------------------- distributions


def rows(dist: pd.DataFrame, item: str, wave: str) -> pd.DataFrame:
    return dist[(dist["item"] == item) & (dist["wave"] == wave)]


def test_item_distribution_along_the_scale(data):
    d = st.item_distribution(data, ["self_rated_health"], waves=["foer"], phase="udbredelse")
    assert list(d.columns) == st.DIST_COLUMNS
    # from the most negative answer (Dårligt, code 5) to the most positive (Fremragende, 1)
    assert d["answer"].tolist() == ["Dårligt", "Mindre godt", "Godt", "Vældig godt", "Fremragende"]
    assert d["code"].tolist() == [5, 4, 3, 2, 1]
    assert d["position"].tolist() == [1, 2, 3, 4, 5]
    assert d["n"].tolist() == [1, 2, 0, 0, 1]  # fully submitted only: s1, s2, s3, s5
    assert d["share"].tolist() == pytest.approx([0.25, 0.5, 0.0, 0.0, 0.25])
    assert (d["n_scale"] == 4).all() and not d["special"].any()
    assert d["question"].iloc[0] == "Selvvurderet helbred"
    assert d["wave_label"].iloc[0] == "Før kurset"


def test_item_distribution_partial_returns_and_phases(data):
    d = st.item_distribution(
        data, ["self_rated_health"], ["foer"], "udbredelse", include_partial=True
    )
    assert d["n"].tolist() == [2, 2, 0, 0, 1]  # + s4 (partial, Dårligt)
    assert d["share"].tolist() == pytest.approx([0.4, 0.4, 0, 0, 0.2])
    d = st.item_distribution(data, ["self_rated_health"], ["foer"], phase=None)
    assert d["n"].tolist() == [1, 2, 0, 1, 1]  # + q1 (pilot, Vældig godt)


def test_special_codes_are_counted_apart(data):
    d = st.item_distribution(data, ["gain_goals"], phase="udbredelse")
    assert d["wave"].unique().tolist() == ["efter"]  # the item's own waves
    scale, special = d[~d["special"]], d[d["special"]]
    assert scale["answer"].tolist() == [
        "Meget uenig",
        "Uenig",
        "Hverken enig eller uenig",
        "Enig",
        "Meget enig",
    ]
    assert scale["n"].tolist() == [0, 0, 0, 1, 1]  # s3 Meget enig, s4 Enig (s2 is partial)
    assert scale["share"].tolist() == pytest.approx([0, 0, 0, 0.5, 0.5])  # of 2 on the scale
    assert special["answer"].tolist() == ["Ikke relevant"]
    assert special["position"].isna().all()
    assert special["n"].item() == 1 and special["share"].item() == pytest.approx(1 / 3)
    assert (d["n_scale"] == 2).all() and (d["n_answered"] == 3).all()


def test_missing_wave_file_gives_zero(data):
    d = st.item_distribution(data, ["self_rated_health"], ["3mdr"], "udbredelse")
    assert (d["n"] == 0).all() and (d["n_scale"] == 0).all() and d["share"].isna().all()


def test_item_not_asked_in_wave_is_refused(data):
    with pytest.raises(ValueError, match="not asked in wave 'foer'"):
        st.item_distribution(data, ["gain_goals"], ["foer"])


# --------------------------------------------------------------------------- figure


def test_diverging_offsets_by_hand():
    assert st.diverging_offsets([0.1, 0.2, 0.4, 0.2, 0.1]) == pytest.approx(
        [-0.5, -0.4, -0.2, 0.2, 0.4]
    )
    assert st.diverging_offsets([0.1, 0.2, 0.3, 0.4]) == pytest.approx([-0.3, -0.2, 0.0, 0.3])
    assert st.diverging_offsets([np.nan, 0.5, 0.5]) == pytest.approx([-0.25, -0.25, 0.25])
    # a hidden share takes the marker's width: [0.04, 0.5, 0.5] -> start -0.04 - 0.25
    assert st.diverging_offsets([np.nan, 0.5, 0.5], hidden_width=0.04) == pytest.approx(
        [-0.29, -0.25, 0.25]
    )


def test_scale_colours_have_a_neutral_middle():
    colours = st.scale_colours(5)
    assert len(colours) == 5 and colours[2] == st.NEUTRAL_COLOUR
    assert len(set(st.scale_colours(4))) == 4


def test_legend_names_answers_only_when_items_share_them(data):
    d = st.item_distribution(data, ["gain_goals", "sat_overall"], ["efter"], "udbredelse")
    labels, shared = st.legend_labels(d)
    assert shared and labels[0] == "Meget uenig" and labels[-1] == "Meget enig"
    d = st.item_distribution(data, ["self_rated_health", "job_manage"], ["foer"], "udbredelse")
    labels, shared = st.legend_labels(d)
    assert not shared
    assert labels == [
        "Svar 1 (mest negativt)",
        "Svar 2",
        "Svar 3 (midten)",
        "Svar 4",
        "Svar 5 (mest positivt)",
    ]


def figure_texts(fig) -> list[str]:
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.texts]
        texts += [t.get_text() for t in ax.get_yticklabels()]
        texts.append(ax.get_title(loc="left"))
    return texts


def test_likert_figure_draws_one_panel_per_item(data):
    d = st.item_distribution(
        data, ["self_rated_health", "job_manage"], ["foer", "efter"], "udbredelse"
    )
    fig = st.likert_figure(d)
    assert len(fig.axes) == 2
    texts = figure_texts(fig)
    assert "Før kurset (N = 4)" in texts
    # the question heads its panel's legend, which sits above the bars
    assert fig.axes[0].get_legend().get_title().get_text() == "Selvvurderet helbred"
    # the items have different answer lists: each panel's legend names its own answers (codebook),
    # from the most negative to the most positive, never "Svar 1 (mest negativt)"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Dårligt", "Mindre godt", "Godt", "Vældig godt", "Fremragende"]
    assert not any("Svar 1" in t for t in texts)
    assert "25\u00a0%" in texts and "50\u00a0%" in texts  # Danish percentages on the segments
    # 3 non-empty segments of self_rated_health before the course, none after (no answers)
    bars = [p for p in fig.axes[0].patches if p.get_width() > 0]
    assert sorted(round(p.get_width(), 6) for p in bars) == [0.25, 0.25, 0.5]
    assert min(p.get_x() for p in bars) == pytest.approx(-0.75)  # Dårligt + Mindre godt left


def test_likert_figure_special_codes_and_suppression(data):
    d = st.item_distribution(data, ["gain_goals"], phase="udbredelse")
    safe, _ = suppress_small(d, st.DIST_COUNTS, 2, st.DIST_LINKED)
    fig = st.likert_figure(safe, min_cell=2)
    texts = figure_texts(fig)
    # special code apart, suppressed: «skjult», never «<2» (the figure cannot tell a primary
    # cell from a secondary one)
    assert "Ikke relevant: skjult" in texts
    assert any("Rækken har skjulte svarkategorier" in t for t in texts)
    # every hidden share on the scale is a hatched marker of the fixed width, in its place
    hidden = safe[~safe["special"] & safe["share"].isna() & safe["n_scale"].notna()]
    marks = [p for ax in fig.axes for p in ax.patches if p.get_hatch()]
    assert len(marks) == len(hidden) > 0
    assert {round(p.get_width(), 6) for p in marks} == {0.04}
    fig = st.likert_figure(d, title="Udbytte")
    texts = figure_texts(fig)
    assert "Ikke relevant: 33\u00a0%" in texts
    assert "Lige efter kurset (N = 2)" in texts


def test_source_lines_carry_n(data):
    t = st.response_rates(data, "udbredelse")
    assert st.response_source(t, "udbredelse") == (
        "Kursistspørgeskema, udbredelsesfasen. N = 12 udsendte og 7 fuldt besvarede spørgeskemaer"
    )
    d = st.item_distribution(data, ["self_rated_health"], ["foer", "efter"], "udbredelse")
    assert st.distribution_source(d, 1).endswith("N = 4 før kurset; 0 lige efter kurset")
    assert st.distribution_source(d, 5).endswith("N = færre end 5 før kurset; 0 lige efter kurset")
    assert set(st.PROGRESSION_ITEMS) <= set(CODEBOOK.item_ids())


def test_source_line_explains_the_bars_n_when_special_answers_exist(data):
    # gain_goals has an "Ikke relevant" answer: the bars' N (answers on the scale) is smaller
    # than the respondents' N of the source line, and the line says so
    d = st.item_distribution(data, ["gain_goals"], phase="udbredelse")
    assert d["special"].any()
    assert st.distribution_source(d, 1).endswith(
        "N ved søjlerne er de svar, der ligger på svarskalaen (uden »Ved ikke« og lignende)"
    )
