"""Disclosure control, Danish formatting and what the Publisher writes."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from tpj_helpers.publish.present import num, pct, signed
from tpj_helpers.publish.publisher import (
    Publisher,
    format_table,
    stars,
    suppress_small,
    to_pipe_table,
)


def test_danish_numbers():
    assert num(1234.5, 1) == "1.234,5"
    assert num(2.14, 2) == "2,14"
    assert num(524) == "524"
    assert num(float("nan")) == ""
    assert num(-0.674, 2) == "\u22120,67"  # a true minus sign, as signed() writes it
    assert pct(0.093, 1) == "9,3\xa0%"
    assert pct(0.83) == "83\xa0%"
    assert signed(-0.67) == "\u22120,67" and signed(1.46) == "+1,46"


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0004, "***"),
        (0.001, "**"),
        (0.009, "**"),
        (0.01, "*"),
        (0.049, "*"),
        (0.05, ""),
        (math.nan, ""),
    ],
)
def test_stars(p, expected):
    assert stars(p) == expected


def test_suppression_of_small_counts_and_their_shares():
    df = pd.DataFrame(
        {"kommune": ["A", "B", "C", "D"], "n": [12, 3, 0, 5], "andel": [0.6, 0.15, 0.0, 0.25]}
    )
    safe, mask = suppress_small(df, ["n"], min_cell=5, linked={"andel": "n"})
    assert mask["n"].tolist() == [False, True, False, False]  # 0 and 5 are not suppressed
    assert mask["andel"].tolist() == [False, True, False, False]
    assert safe.loc[1, "n"] is None and safe.loc[1, "andel"] is None
    assert safe.loc[0, "n"] == 12 and safe.loc[3, "n"] == 5
    # a stricter threshold suppresses more
    _, mask10 = suppress_small(df, ["n"], min_cell=10)
    assert mask10["n"].tolist() == [False, True, False, True]


def test_publisher_writes_the_suppressed_table_and_shows_danish_markdown(
    tmp_path, capsys, monkeypatch
):
    shown = []
    monkeypatch.setattr(
        "tpj_helpers.publish.publisher.display", lambda obj, raw=False, **_: shown.append(obj)
    )
    pub = Publisher(tmp_path, "nb", min_cell=5, synthetic=True)
    df = pd.DataFrame(
        {"Gruppe": ["Kvinder", "Mænd"], "Antal": [212, 3], "Gennemsnit": [2.806, 2.5]}
    )
    pub.table(
        df,
        "test",
        "DREAM. N = 215",
        count_cols=["Antal"],
        linked={"Gennemsnit": "Antal"},
        decimals={"Gennemsnit": 2},
    )
    written = pd.read_csv(tmp_path / "tables" / "test.csv")
    assert written["Antal"].tolist()[0] == 212 and pd.isna(written["Antal"].tolist()[1])
    assert pd.isna(written["Gennemsnit"].tolist()[1])
    md = shown[0]["text/markdown"]
    assert "| Kvinder | 212 | 2,81 |" in md
    assert "| Mænd | <5 | <5 |" in md
    assert "Kilde: DREAM. N = 215. Syntetiske data." in md
    assert "færre end 5" in md


def test_publisher_figure_uses_suppressed_data(tmp_path, monkeypatch):
    monkeypatch.setattr("tpj_helpers.publish.publisher.display", lambda obj, raw=False, **_: None)
    pub = Publisher(tmp_path, "nb", min_cell=5)
    seen = {}

    def plot(data):
        seen["n"] = data["n"].tolist()
        fig, ax = plt.subplots()
        ax.bar(data["k"], pd.to_numeric(data["n"]).fillna(0))
        return fig

    pub.figure(pd.DataFrame({"k": ["a", "b"], "n": [9, 2]}), "fig", "Test", plot, count_cols=["n"])
    assert seen["n"] == [9, None]
    assert (tmp_path / "figures" / "fig.png").read_bytes()[:4] == b"\x89PNG"


def test_pipe_table_escapes_bars():
    t = to_pipe_table(pd.DataFrame({"a": ["x|y"], "b": ["1"]}))
    assert t.splitlines()[2] == "| x\\|y | 1 |"


def test_estimates_need_the_contract_columns(tmp_path):
    pub = Publisher(tmp_path, "nb")
    with pytest.raises(ValueError, match="lack columns"):
        pub.estimates(pd.DataFrame({"analysis": ["who5"]}))


def test_a_rerun_notebook_replaces_its_estimates_instead_of_appending(tmp_path):
    def row(term, value):
        return pd.DataFrame(
            [
                dict(
                    analysis="who5",
                    model="m",
                    subgroup="all",
                    term=term,
                    estimate=value,
                    std_error=None,
                    conf_low=None,
                    conf_high=None,
                    p_value=None,
                    stars=None,
                    n_persons=5,
                    n_obs=5,
                )
            ]
        )

    for _ in range(3):  # the same notebook run three times, each run two calls
        pub = Publisher(tmp_path, "20_who5")
        pub.estimates(row("a", 1.5))
        path = pub.estimates(row("b", 2.5))
    est = pd.read_csv(path)
    assert est["term"].tolist() == ["a", "b"] and est["estimate"].tolist() == [1.5, 2.5]
    Publisher(tmp_path, "10_survey").estimates(row("c", 3.0))  # another notebook: its own file
    assert pd.read_csv(path)["term"].tolist() == ["a", "b"]


def test_pipe_table_aligns_numbers_right_and_text_left():
    shown = pd.DataFrame(
        {
            "Dimension": ["Køn", "Køn"],
            "Gruppe": ["Kvinder", "Mænd"],
            "N": ["191", "<5"],
            "Ændring": ["\u22120,79***", "+1,11**"],
            "KI": ["1,12 til 2,09", ""],
            "Bemærkning": ["", "Ingen model"],
        }
    )
    # Dashes = the column's longest cell or header word (at least 4), plus 3 for the cell padding:
    # relative widths for pandoc.
    widths = [
        12,
        10,
        7,
        11,
        16,
        14,
    ]  # "Dimension", "Kvinder", min 4, "−0,79***", "1,12 til 2,09", "Ingen model"
    expected = [
        ":" + "-" * 11,
        ":" + "-" * 9,
        "------:",
        "-" * 10 + ":",
        "-" * 15 + ":",
        ":" + "-" * 13,
    ]
    assert [len(x) for x in expected] == widths
    assert to_pipe_table(shown).splitlines()[1] == "|" + "|".join(expected) + "|"


def test_p_value_columns_read_below_one_per_mille():
    df = pd.DataFrame({"Led": ["a", "b", "c"], "p-værdi": [0.0004, 0.0342, np.nan]})
    shown = format_table(df, pd.DataFrame(False, index=df.index, columns=df.columns), 5)
    assert shown["p-værdi"].tolist() == ["<0,001", "0,034", ""]


def test_a_wide_table_can_be_shown_on_its_side(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        "tpj_helpers.publish.publisher.display", lambda obj, raw=False, **_: shown.append(obj)
    )
    pub = Publisher(tmp_path, "nb", min_cell=5)
    df = pd.DataFrame({"Sammenligning": ["A", "B"], "Par": [162, 3], "Forskel": [8.89, 1.0]})
    pub.table(df, "wide", "Test", count_cols=["Par"], transpose="Mål")
    lines = shown[0]["text/markdown"].splitlines()
    assert lines[0] == "| Mål | A | B |"
    assert lines[2:4] == ["| Par | 162 | <5 |", "| Forskel | 8,9 | 1,0 |"]
    saved = pd.read_csv(tmp_path / "tables" / "wide.csv")
    assert list(saved.columns) == ["Sammenligning", "Par", "Forskel"]  # the CSV keeps its layout


def test_complementary_suppression_protects_the_sums():
    # Hold, enrolled = completed + withdrawn, and a total row over the holds.
    df = pd.DataFrame(
        {
            "Hold": ["A", "B", "C", "I alt"],
            "Tilmeldte": [12, 20, 9, 41],
            "Gennemført": [8, 18, 9, 35],
            "Afmeldt": [4, 2, 0, 6],
        }
    )
    cols = ["Tilmeldte", "Gennemført", "Afmeldt"]
    _, primary = suppress_small(df, cols, 5)
    assert primary["Afmeldt"].tolist() == [True, True, False, False]  # 4 and 2; zero stays
    safe, mask = suppress_small(
        df, cols, 5, col_sums=[("Tilmeldte", ["Gennemført", "Afmeldt"])], row_sums=[("I alt", None)]
    )
    # A: 4 hidden -> 8 (the smallest other) too; B: 2 hidden -> 18 too. Column Afmeldt: 4 and 2
    # hidden, 0 and 6 shown: two hidden, protected. Column Gennemført: 8 and 18 hidden: protected.
    assert mask.loc[0, cols].tolist() == [False, True, True]
    assert mask.loc[1, cols].tolist() == [False, True, True]
    assert not mask.loc[[2, 3], cols].to_numpy().any()
    # No sum has exactly one hidden cell left.
    for i in df.index:
        assert mask.loc[i, cols].sum() != 1
    for c in cols:
        assert mask[c].sum() != 1
    assert safe.loc[0, "Gennemført"] is None


def test_a_lone_hidden_part_hides_the_smallest_part_or_the_total():
    df = pd.DataFrame({"Række": ["x", "y", "N"], "n": [3, 0, 3]})
    _, mask = suppress_small(df, ["n"], 5, row_sums=[("N", None)])
    assert mask["n"].tolist() == [True, False, True]  # 3 = N - 0: the total is hidden too
    with pytest.raises(ValueError, match="no single row"):
        suppress_small(df, ["n"], 5, row_sums=[("I alt", None)])


def test_complementary_suppression_with_missing_counts():
    df = pd.DataFrame(
        {"Hold": ["A", "B", "I alt"], "n": pd.array([3, pd.NA, 10], dtype="Int64"), "m": [7, 2, 9]}
    )
    _, mask = suppress_small(df, ["n", "m"], 5, row_sums=[("I alt", None)])
    assert mask["n"].tolist() == [True, False, True]  # 3 hidden; NA is no cell to hide
    assert mask["m"].tolist() == [True, True, False]  # 2 hidden -> the smallest other, 7


def test_the_table_marks_cells_hidden_to_protect_a_sum(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(
        "tpj_helpers.publish.publisher.display", lambda obj, raw=False, **_: shown.append(obj)
    )
    df = pd.DataFrame(
        {"Hold": ["A", "I alt"], "Tilmeldte": [12, 12], "Gennemført": [8, 8], "Afmeldt": [4, 4]}
    )
    Publisher(tmp_path, "nb", min_cell=5).table(
        df,
        "t",
        "Test",
        count_cols=["Tilmeldte", "Gennemført", "Afmeldt"],
        col_sums=[("Tilmeldte", ["Gennemført", "Afmeldt"])],
        label_col="Hold",
    )
    md = shown[0]["text/markdown"]
    assert "| A | 12 | .. | <5 |" in md  # 8 = 12 - 4 would give the 4 away
    assert "«..»: skjult" in md


def test_suppression_of_an_empty_frame():
    safe, mask = suppress_small(pd.DataFrame(), [], 5)
    assert safe.empty and mask.empty
