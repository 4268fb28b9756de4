"""Small populations are protected, not refused (issue 12, part C).

The smallest case is a report variant for one small municipality: Tabel 6 of Frederikshavn in
the demo data (23 completers), typed in by hand, published as notebook 30 publishes it (Tabel 6,
then its means, then the two weekly figures) and attacked by the audit. Before this part the
protection gave up on it (every count of Tabel 6 hidden, the means and the weekly figures left
as they were) and the run's own audit refused the run: the mean score beside "Heraf med en
score" and N pinned 10 cells. Further: hand cases for the tiers of `disclosure.protect`, the
mean that is withheld with its count, and the last resort that never publishes a breach.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from tests.hand_runs import TABEL6_COLUMNS, tabel6_and_means
from tpj_helpers.analysis.register_regressions import disclosure as t6d
from tpj_helpers.analysis.register_regressions.models import (
    TABEL6_SUMS,
)
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run
from tpj_helpers.publish.publisher import Publisher

C = dc.Cell
COLUMNS = TABEL6_COLUMNS
# Frederikshavn, demo seed 2025: persons per score (10 .. 0), NA, at the four timepoints
COUNTS = {
    10: [1, 0, 0, 1],
    7: [4, 3, 2, 1],
    3: [2, 0, 0, 1],
    2: [6, 14, 13, 10],
    1: [7, 6, 6, 4],
}
NA = [3, 0, 1, 1]


def frederikshavn() -> tuple[pd.DataFrame, pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame]]:
    """(Tabel 6, its means table, the two weekly frames reduced to the weeks Tabel 6 shares)."""
    table, means = tabel6_and_means(COUNTS, NA, COLUMNS)
    n = means["Kursister med data"].tolist()
    scored = means["Heraf med en score"].tolist()
    sums = [sum(s * COUNTS[s][j] for s in COUNTS) for j in range(4)]
    weekly = pd.DataFrame(
        {
            "week_rel": [-26, -1, 26],
            "n_covered": [n[0], n[1], n[3]],
            "n": [scored[0], scored[1], scored[3]],
            "mean": [sums[0] / scored[0], sums[1] / scored[1], sums[3] / scored[3]],
        }
    )
    course = weekly.iloc[[1]].reset_index(drop=True)
    return table, means, (weekly, course)


def publish_like_notebook_30(pub: Publisher, table, means, weekly) -> pd.DataFrame:
    rels, known = t6d.tabel6_relations(table, means, weekly)
    safe = pub.table(
        table,
        "register_tabel6",
        "s",
        count_cols=table.columns[1:],
        relations=rels,
        known=known,
        hide_later=t6d.HIDE_LATER,
        **TABEL6_SUMS,
    )
    pub.table(
        means,
        "register_tabel6_means",
        "s",
        count_cols=["Kursister med data", "Heraf med en score"],
        linked={"Gennemsnitlig score": "Heraf med en score"},
    )
    for file, frame in zip(t6d.WEEKLY_FILES, weekly, strict=True):
        pub.figure(
            t6d.figure_frame(frame),
            file.removeprefix("figures/").removesuffix(".csv"),
            "s",
            plot=lambda df: plt.figure(),
            count_cols=["n"],
            linked={"mean": "n"},
        )
    return safe


def test_hand_typed_table_is_what_the_counts_say():
    table, means, _ = frederikshavn()
    assert table.iloc[-1, 1:].tolist() == [23, 23, 22, 18]
    assert means["Heraf med en score"].tolist() == [20, 23, 21, 17]
    assert means["Gennemsnitlig score"].round(4).tolist() == [3.15, 2.3913, 2.1905, 2.5882]


def test_one_small_municipality_is_protected_and_passes_its_audit(tmp_path):
    table, means, weekly = frederikshavn()
    pub = Publisher(tmp_path, "30_register_regressions", min_cell=5)
    publish_like_notebook_30(pub, table, means, weekly)
    result = audit_run(tmp_path)
    s = result.summary()
    # 12 counts between 1 and 4 in the table above (4 + 1 + 2 + 5 by column)
    assert s["primary"] == 12
    assert s["breaches"] == 0
    prim = result.cells[result.cells["kind"] == dc.PRIMARY]
    assert (prim["lower"] <= 1).all() and (prim["upper"] >= 4).all()
    # the mean beside "Heraf med en score" is what pinned the cells down: where that count is
    # hidden, the mean is not published either, here and in the weekly figure
    got = pd.read_csv(tmp_path / "tables" / "register_tabel6_means.csv")
    hidden_n = got["Heraf med en score"].isna()
    assert hidden_n.any()
    assert got.loc[hidden_n, "Gennemsnitlig score"].isna().all()
    fig = pd.read_csv(tmp_path / "figures" / "register_weekly_score.csv")
    assert fig.loc[fig["n"].isna(), "mean"].isna().all()
    # a shown mean always has its count shown
    assert got.loc[got["Gennemsnitlig score"].notna(), "Heraf med en score"].notna().all()


def test_the_protection_is_deterministic(tmp_path):
    out = []
    for name in ("a", "b"):
        table, means, weekly = frederikshavn()
        publish_like_notebook_30(Publisher(tmp_path / name, "t", min_cell=5), table, means, weekly)
        out.append(
            [
                (tmp_path / name / f).read_text(encoding="utf-8")
                for f in ("tables/register_tabel6.csv", "tables/register_tabel6_means.csv")
            ]
        )
    assert out[0] == out[1]


def test_a_mean_is_withheld_while_its_count_is_hidden():
    # scores 2 and 1: 3 (primary) and 20 persons, 23 with a score, mean 26/23; the means
    # table's count n is linked to the mean
    m = dc.Model(5)
    m.hidden = {("t", 0, "c"): dc.PRIMARY}
    m.shown = {("t", 1, "c"): 20.0, ("m", 0, "n"): 23.0, ("m", 0, "mean"): 26 / 23}
    m.relations = [
        dc.Relation(
            [
                dc.Term(2.0, C("t", 0, "c")),
                dc.Term(1.0, C("t", 1, "c")),
                dc.Term(-1.0, C("m", 0, "n"), factor=C("m", 0, "mean")),
            ]
        )
    ]
    m.linked = {("m", "mean"): "n"}
    assert dc.intervals(m)[("t", 0, "c")] == (3.0, 3.0)  # (26 - 20) / 2
    del m.shown[("m", 0, "n")]
    m.hidden[("m", 0, "n")] = dc.SECONDARY  # the mean goes with its count
    assert dc.intervals(m)[("t", 0, "c")] == (1.0, 4.0)
    assert dc.breaches(m) == []


def _chain_model() -> dc.Model:
    """t: a (primary 2) + b (7) = total (9, repeated in t row 1 'tot'); later file l: n = 9."""
    m = dc.Model(5)
    m.hidden = {("t", 0, "a"): dc.PRIMARY}
    m.shown = {("t", 0, "b"): 7.0, ("t", 0, "tot"): 9.0, ("l", 0, "n"): 9.0}
    m.relations = [
        dc.total_of(C("t", 0, "tot"), [C("t", 0, "a"), C("t", 0, "b")]),
        dc.equal(C("t", 0, "tot"), C("l", 0, "n")),
    ]
    return m


def test_protect_takes_own_cells_then_repeated_totals_then_later_files():
    # own free count b first: a + b = 9 with b >= 5 leaves a in 1..4
    m = _chain_model()
    assert dc.protect(m, [("t", 0, "b")], [("t", 0, "tot")], [("l", 0, "n")]) == [("t", 0, "b")]
    # b may not be hidden (not a candidate at all): the repeated total, and its copy in the
    # later file with it (the same count shown twice); a + 7 = tot >= 5 then allows a = 1..4
    m = _chain_model()
    added = dc.protect(m, [], [("t", 0, "tot")], [("l", 0, "n")])
    assert added == [("t", 0, "tot"), ("l", 0, "n")]
    assert dc.breaches(m) == []
    # only the later file's count may be hidden: that alone does not help (tot is shown), and
    # protect says so without naming a value
    m = _chain_model()
    with pytest.raises(ValueError, match="no cell of t left") as err:
        dc.protect(m, [], [], [("l", 0, "n")])
    assert "2" not in str(err.value).replace("row 1", "")


def test_later_files_wait_until_the_tables_own_cells_are_used_up():
    # a (primary, 2) is pinned twice: a + b = 12 (b a count of this table, 10) and a + x = 9
    # (x a count of a later file, 7). Neither alone widens a; the smaller x would come first if
    # the tiers were mixed, but the table's own b goes first, x only when no own cell is left.
    m = dc.Model(5)
    m.hidden = {("t", 0, "a"): dc.PRIMARY}
    m.shown = {("t", 0, "b"): 10.0, ("l", 0, "x"): 7.0}
    m.relations = [
        dc.Relation([dc.Term(1.0, C("t", 0, "a")), dc.Term(1.0, C("t", 0, "b"))], 12.0, 12.0),
        dc.Relation([dc.Term(1.0, C("t", 0, "a")), dc.Term(1.0, C("l", 0, "x"))], 9.0, 9.0),
    ]
    added = dc.protect(m, [], [("t", 0, "b")], [("l", 0, "x")])
    assert added == [("t", 0, "b"), ("l", 0, "x")]
    assert dc.intervals(m)[("t", 0, "a")] == (1.0, 4.0)


def test_last_resort_never_publishes_a_breach(tmp_path):
    # a table whose primary cell another notebook's published total pins down (a + b = 9 with
    # b = 7 there): no cell this table may hide helps, so it is refused, naming no value
    pub = Publisher(tmp_path, "t", min_cell=5)
    df = pd.DataFrame({"g": ["x"], "a": [2], "c": [40]})
    rel = dc.Relation(
        [dc.Term(1.0, C("", 0, "a")), dc.Term(1.0, C("other.csv", 0, "b"))],
        lo=9.0,
        hi=9.0,
        note="a + b = 9",
    )
    with pytest.raises(ValueError, match=r"tables/t\.csv cannot be published") as err:
        pub.protect(
            df, "tables/t.csv", ["a", "c"], relations=[rel], known={C("other.csv", 0, "b"): 7.0}
        )
    assert "2" not in str(err.value).replace("row 1", "")
    assert not (tmp_path / "results" / "disclosure" / "tables__t.json").exists()


def test_a_table_with_every_count_hidden_says_so_in_danish(tmp_path, capsys):
    # 2 + 4 = 6: with the total shown each part would be 2..4, so the total goes too
    pub = Publisher(tmp_path, "t", min_cell=5)
    df = pd.DataFrame({"Gruppe": ["a", "b", "I alt"], "Antal": [2, 4, 6]})
    safe = pub.table(
        df, "tiny", "s", count_cols=["Antal"], row_sums=[("I alt", None)], label_col="Gruppe"
    )
    assert safe["Antal"].isna().all()
    shown = capsys.readouterr().out
    assert "For få personer til at vise tallene" in shown
    assert audit_run(tmp_path).summary()["breaches"] == 0


def test_a_block_the_zeros_pin_down_is_hidden_whole_and_passes_the_audit(tmp_path, capsys):
    # Tabel 3 of a municipality with 2 persons: a man and a woman (1 + 1, so the total is 2..4
    # by the markers alone), both on one benefit (2, the others 0). With the zeros shown the
    # benefit's cell is the total: 2..4, narrower than the markers allow it (1..4). No non-zero
    # count is left to hide, so the whole table goes, zeros included («..», 0 or more).
    df = pd.DataFrame(
        {
            "Variabel": ["I alt", "Køn", "Køn", "Ydelse", "Ydelse", "Ydelse"],
            "Kategori": ["N", "Mænd", "Kvinder", "A", "B", "C"],
            "antal": [2, 1, 1, 2, 0, 0],
        }
    )
    rels = [
        dc.total_of(C("", 0, "antal"), [C("", 1, "antal"), C("", 2, "antal")]),
        dc.total_of(C("", 0, "antal"), [C("", i, "antal") for i in (3, 4, 5)]),
    ]
    pub = Publisher(tmp_path, "t", min_cell=5)
    safe = pub.table(df, "t3", "s", count_cols=["antal"], relations=rels)
    assert safe["antal"].isna().all()
    side = json.loads(
        (tmp_path / "results" / "disclosure" / "tables__t3.json").read_text(encoding="utf-8")
    )
    kinds = {h["row"]: h["kind"] for h in side["hidden"]}
    assert kinds == {
        0: dc.PRIMARY,
        1: dc.PRIMARY,
        2: dc.PRIMARY,
        3: dc.PRIMARY,
        4: dc.BLOCKED,
        5: dc.BLOCKED,
    }
    assert "For få personer til at vise tallene" in capsys.readouterr().out
    result = audit_run(tmp_path)
    assert result.summary()["breaches"] == 0
    assert result.summary()["blocked"] == 2
    a = result.cells.set_index("row")
    # the markers alone: a total «<5» of two parts «<5» is 2..4; a blocked «..» is 0 or >= 5, so
    # beside a total under 5 it is 0 and benefit A is the total, 2..4: no more than the markers
    assert (a.loc[0, "lower"], a.loc[0, "upper"]) == (2.0, 4.0)
    assert (a.loc[3, "lower"], a.loc[3, "upper"]) == (2.0, 4.0)
    assert (a.loc[4, "lower"], a.loc[4, "upper"]) == (0.0, 0.0)


def test_a_blocked_cell_is_zero_or_at_least_min_cell():
    # T = 10 + x (x «<5»); T = a + b + c + d with a, d «<5». As «..» (>= 5 each) b and c make
    # T >= 12, so x >= 2; blocked (0 or >= 5) they leave x all of 1..4.
    m = dc.Model(5)
    m.hidden = {
        ("g", 0, "x"): dc.PRIMARY,
        ("t", 0, "T"): dc.SECONDARY,
        ("a", 0, "a"): dc.PRIMARY,
        ("a", 0, "d"): dc.PRIMARY,
        ("a", 0, "b"): dc.SECONDARY,
        ("a", 0, "c"): dc.SECONDARY,
    }
    m.shown = {("g", 0, "ten"): 10.0}
    m.relations = [
        dc.total_of(C("t", 0, "T"), [C("g", 0, "ten"), C("g", 0, "x")]),
        dc.total_of(C("t", 0, "T"), [C("a", 0, k) for k in "abcd"]),
    ]
    assert dc.intervals(m)[("g", 0, "x")] == (2.0, 4.0)
    m.hidden[("a", 0, "b")] = m.hidden[("a", 0, "c")] = dc.BLOCKED
    found = dc.intervals(m)
    assert found[("g", 0, "x")] == (1.0, 4.0)
    assert found[("a", 0, "b")] == (0.0, 12.0)  # 14 - 1 - 1 - 0 at most
