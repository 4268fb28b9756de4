"""Disclosure model and audit: hand cases for the intervals, crafted runs with the leaks of issue 12
(what the suite published before: only primary suppression, or complements chosen per sum), and
the Publisher's complementary suppression against declared relations."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run, load_model
from tpj_helpers.publish.publisher import Publisher, suppress_cells

C = dc.Cell


def _two_by_two(hidden: dict[tuple[int, str], str]) -> dc.Model:
    """Rows x, y and total; columns a, b and total t:  [[3, 10, 13], [7, 8, 15], [10, 18, 28]]."""
    values = {
        (0, "a"): 3,
        (0, "b"): 10,
        (0, "t"): 13,
        (1, "a"): 7,
        (1, "b"): 8,
        (1, "t"): 15,
        (2, "a"): 10,
        (2, "b"): 18,
        (2, "t"): 28,
    }
    m = dc.Model(5)
    for (r, c), v in values.items():
        if (r, c) in hidden:
            m.hidden[("t.csv", r, c)] = hidden[(r, c)]
        else:
            m.shown[("t.csv", r, c)] = v
    for r in range(3):
        m.relations.append(
            dc.total_of(C("t.csv", r, "t"), [C("t.csv", r, "a"), C("t.csv", r, "b")])
        )
    for c in "abt":
        m.relations.append(dc.total_of(C("t.csv", 2, c), [C("t.csv", 0, c), C("t.csv", 1, c)]))
    return m


def test_one_hidden_cell_of_a_table_with_margins_is_exact():
    m = _two_by_two({(0, "a"): dc.PRIMARY})
    assert dc.intervals(m) == {("t.csv", 0, "a"): (3.0, 3.0)}  # 13 - 10
    assert dc.breaches(m) == [("t.csv", 0, "a")]


def test_four_hidden_cells_leave_the_whole_interval():
    m = _two_by_two(
        {
            (0, "a"): dc.PRIMARY,
            (0, "b"): dc.SECONDARY,
            (1, "a"): dc.SECONDARY,
            (1, "b"): dc.SECONDARY,
        }
    )
    found = dc.intervals(m)
    # a00 = x in 1..4 (marker); b00 = 13 - x in 9..12; a10 = 10 - x in 6..9; b10 = 8 - 10 + 13 - ...
    assert found[("t.csv", 0, "a")] == (1.0, 4.0)
    assert found[("t.csv", 0, "b")] == (9.0, 12.0)
    assert found[("t.csv", 1, "a")] == (6.0, 9.0)
    assert found[("t.csv", 1, "b")] == (6.0, 9.0)  # 15 - (10 - x)
    assert dc.breaches(m) == []


def test_a_secondary_cell_must_be_at_least_min_cell():
    # two hidden cells of one row sum: 3 + 10 = 13; the secondary being >= 5 caps the primary at 8,
    # which is above 4: still 1..4
    m = dc.Model(5)
    m.hidden = {("t", 0, "a"): dc.PRIMARY, ("t", 0, "b"): dc.SECONDARY}
    m.shown = {("t", 0, "t"): 7.0}
    m.relations = [dc.total_of(C("t", 0, "t"), [C("t", 0, "a"), C("t", 0, "b")])]
    # a + b = 7, b >= 5 -> a in 1..2: narrower than 1..4
    assert dc.intervals(m)[("t", 0, "a")] == (1.0, 2.0)
    assert dc.breaches(m) == [("t", 0, "a")]


def test_a_mean_beside_its_count_pins_a_hidden_count():
    # Tabel 6 in small: scores 2, 1, 0 with counts 3 (hidden), 20, 30 (N scored 53, mean 26/53);
    # the NA row 2 is hidden too, so the row sum to N alone leaves 2 unknowns
    m = dc.Model(5)
    f = "t6.csv"
    m.hidden = {(f, 0, "c"): dc.PRIMARY, (f, 3, "c"): dc.PRIMARY}
    m.shown = {
        (f, 1, "c"): 20.0,
        (f, 2, "c"): 30.0,
        (f, 4, "c"): 55.0,
        ("m.csv", 0, "n"): 53.0,
        ("m.csv", 0, "mean"): 26 / 53,
    }
    m.relations = [
        dc.total_of(C(f, 4, "c"), [C(f, i, "c") for i in range(4)]),
        dc.Relation(
            [
                dc.Term(2.0, C(f, 0, "c")),
                dc.Term(1.0, C(f, 1, "c")),
                dc.Term(0.0, C(f, 2, "c")),
                dc.Term(-1.0, C("m.csv", 0, "n"), factor=C("m.csv", 0, "mean")),
            ]
        ),
    ]
    found = dc.intervals(m)
    assert found[(f, 0, "c")] == (3.0, 3.0)  # (26 - 20) / 2
    assert found[(f, 3, "c")] == (2.0, 2.0)  # 55 - 3 - 20 - 30
    # without the mean (hidden with its count) the two are only known to add up to 5
    m.hidden[("m.csv", 0, "mean")] = dc.PRIMARY
    m.relations = m.relations[:1]
    del m.hidden[("m.csv", 0, "mean")]
    assert dc.intervals(m)[(f, 0, "c")] == (1.0, 4.0)


def test_publisher_protects_against_sums_and_the_audit_agrees(tmp_path):
    pub = Publisher(tmp_path, "t", min_cell=5)
    df = pd.DataFrame(
        {"g": ["x", "y", "I alt"], "a": [3, 7, 10], "b": [10, 8, 18], "t": [13, 15, 28]}
    )
    safe, primary, secondary = pub.protect(
        df,
        "tables/t.csv",
        ["a", "b", "t"],
        col_sums=[("t", ["a", "b"])],
        row_sums=[("I alt", None)],
        label_col="g",
        write=True,
    )
    assert primary["a"].tolist() == [True, False, False]
    # the smallest complements: 7 (same column), then 8 and 10 to close the rectangle
    assert secondary.loc[[0, 1], ["a", "b"]].to_numpy().sum() == 3
    safe.to_csv(tmp_path / "tables" / "t.csv", index=False)
    result = audit_run(tmp_path)
    assert result.summary()["breaches"] == 0
    assert result.summary()["primary"] == 1 and result.summary()["secondary"] == 3
    got = pd.read_csv(tmp_path / "results" / "disclosure_audit.csv")
    assert got.loc[got["kind"] == "primary", ["lower", "upper"]].to_numpy().tolist() == [[1, 4]]


def _crafted_run(
    tmp_path, tables: dict[str, pd.DataFrame], hidden: dict[str, dict], relations: dict[str, list]
):
    for name, df in tables.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(tmp_path / name, index=False)
        dc.write_sidecar(tmp_path, name, 5, hidden.get(name, {}), relations.get(name, []))
    return tmp_path


def test_the_leaks_of_issue_12_fail_the_audit(tmp_path):
    """What the suite published before: the survey items (n_answered - the shown n), Tabel 6 with
    its means (complement chosen for the row sum only) and a group left out of a by-group figure."""
    # survey-items: one item and wave, the hidden 3 = 50 - 20 - 27
    items = pd.DataFrame(
        {
            "item": ["q"] * 3,
            "wave": ["w"] * 3,
            "code": [1, 2, 3],
            "special": [False] * 3,
            "n": [None, 20, 27],
            "n_scale": [50] * 3,
            "n_answered": [50] * 3,
        }
    )
    items_rel = dc.group_totals(
        items, ["item", "wave"], "n", "n_answered", file="tables/survey-items.csv"
    )
    # Tabel 6 in small: scores 1 and 0, NA, N; column c: 3 (hidden), 40, 6 (secondary), 49;
    # means table: 43 with a score, mean 3/43
    t6 = pd.DataFrame({"s": ["1", "0", "NA", "N"], "c": [None, 40, None, 49]})
    means = pd.DataFrame({"t": ["c"], "n": [43], "mean": [3 / 43]})
    f6, fm = "tables/t6.csv", "tables/t6_means.csv"
    t6_rel = [
        dc.total_of(C(f6, 3, "c"), [C(f6, i, "c") for i in range(3)]),
        dc.total_of(C(fm, 0, "n"), [C(f6, 0, "c"), C(f6, 1, "c")]),
        dc.Relation(
            [dc.Term(1.0, C(f6, 0, "c")), dc.Term(-1.0, C(fm, 0, "n"), factor=C(fm, 0, "mean"))]
        ),
    ]
    # weekly by group: groups A (40) and B (50) shown, C (3) left out; the total line shows 93
    total = pd.DataFrame({"week_rel": [0], "n": [93], "mean": [2.0]})
    by = pd.DataFrame(
        {"g": ["A", "B", "C"], "week_rel": [0, 0, 0], "n": [40, 50, None], "mean": [2.0, 2.0, None]}
    )
    fb, ft = "figures/by.csv", "figures/total.csv"
    by_rel = [dc.total_of(C(ft, 0, "n"), [C(fb, i, "n") for i in range(3)])]
    run = _crafted_run(
        tmp_path,
        {"tables/survey-items.csv": items, f6: t6, fm: means, fb: by, ft: total},
        {
            "tables/survey-items.csv": {("tables/survey-items.csv", 0, "n"): dc.PRIMARY},
            f6: {(f6, 0, "c"): dc.PRIMARY, (f6, 2, "c"): dc.SECONDARY},
            fb: {(fb, 2, "n"): dc.PRIMARY},
        },
        {"tables/survey-items.csv": items_rel, f6: t6_rel, fb: by_rel},
    )
    result = audit_run(run)
    bad = {(r.table, r.row, r.column) for r in result.breaches.itertuples()}
    assert bad == {("tables/survey-items.csv", 0, "n"), (f6, 0, "c"), (fb, 2, "n")}
    got = result.cells.set_index(["table", "row", "column"])
    assert got.loc[("tables/survey-items.csv", 0, "n"), ["lower", "upper"]].tolist() == [3.0, 3.0]
    assert got.loc[(f6, 0, "c"), ["lower", "upper"]].tolist() == [3.0, 3.0]
    assert got.loc[(fb, 2, "n"), ["lower", "upper"]].tolist() == [3.0, 3.0]
    assert "tables/survey-items.csv row 1, column 'n'" in result.message()
    assert "1..4" in result.message() and "= 3" not in result.message()


def test_the_audit_finds_a_hidden_cell_that_is_not_empty(tmp_path):
    df = pd.DataFrame({"n": [3, 10]})
    _crafted_run(
        tmp_path, {"tables/x.csv": df}, {"tables/x.csv": {("tables/x.csv", 0, "n"): dc.PRIMARY}}, {}
    )
    with pytest.raises(ValueError, match="declared hidden but is not empty"):
        load_model(tmp_path)


def test_old_per_sum_complement_leaves_the_mean_leak_and_the_publisher_closes_it(tmp_path):
    """Tabel 6 with its means: suppress_cells' complement (smallest cell of the row sum) still lets
    the mean give the hidden count; Publisher.protect with the mean relation does not."""
    t6 = pd.DataFrame({"s": ["2", "1", "0", "NA", "N"], "c": [3, 20, 30, 6, 59]})
    _, _, secondary = suppress_cells(t6, ["c"], 5, row_sums=[("N", None)], label_col="s")
    assert secondary["c"].tolist() == [False, False, False, True, False]  # the NA row, 6
    fm = "tables/t6_means.csv"
    rels = [
        dc.total_of(C(fm, 0, "n"), [C("", i, "c") for i in range(3)]),
        dc.Relation(
            [
                dc.Term(2.0, C("", 0, "c")),
                dc.Term(1.0, C("", 1, "c")),
                dc.Term(-1.0, C(fm, 0, "n"), factor=C(fm, 0, "mean")),
            ]
        ),
    ]
    known = {C(fm, 0, "n"): 53.0, C(fm, 0, "mean"): 26 / 53}
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.table(
        t6,
        "t6",
        "x",
        count_cols=["c"],
        row_sums=[("N", None)],
        label_col="s",
        relations=rels,
        known=known,
        hide_later=[fm],
    )
    means = pd.DataFrame({"t": ["c"], "n": [53], "mean": [26 / 53]})
    pub.table(means, "t6_means", "x", count_cols=["n"], linked={"mean": "n"})
    result = audit_run(tmp_path)
    assert result.summary()["breaches"] == 0
    shown = pd.read_csv(tmp_path / "tables" / "t6.csv")
    assert shown["c"].isna().sum() >= 3
    side = json.loads((tmp_path / "results" / "disclosure" / "tables__t6.json").read_text())
    assert all("value" not in h for h in side["hidden"])


def test_cli_audit_fails_a_leaking_run_and_passes_a_protected_one(tmp_path, capsys):
    from tpj_helpers.run.cli import main

    leak = tmp_path / "leak"
    df = pd.DataFrame({"g": ["x", "y", "I alt"], "n": [None, 9, 12]})
    _crafted_run(
        leak,
        {"tables/t.csv": df},
        {"tables/t.csv": {("tables/t.csv", 0, "n"): dc.PRIMARY}},
        {
            "tables/t.csv": [
                dc.total_of(
                    C("tables/t.csv", 2, "n"),
                    [C("tables/t.csv", 0, "n"), C("tables/t.csv", 1, "n")],
                )
            ]
        },
    )
    assert main(["audit", str(leak)]) == 1
    err = capsys.readouterr().err
    assert "tables/t.csv row 1, column 'n'" in err
    ok = tmp_path / "ok"
    pub = Publisher(ok, "t", min_cell=5)
    pub.table(
        pd.DataFrame({"g": ["x", "y", "z", "I alt"], "n": [3, 9, 6, 18]}),
        "t",
        "x",
        count_cols=["n"],
        row_sums=[("I alt", None)],
        label_col="g",
    )
    assert main(["audit", str(ok)]) == 0
    shown = pd.read_csv(ok / "tables" / "t.csv")["n"].tolist()
    assert shown[0] != shown[0] and shown[2] != shown[2]  # 3 and its smallest complement 6 hidden
    assert shown[1] == 9 and shown[3] == 18
    assert (ok / "notebooks" / "95_disclosure_audit.ipynb").exists()


def test_a_total_below_min_cell_narrows_its_parts_by_the_markers_alone():
    # 2 + 2 = 4, all three «<5»: each part is 1..3 whatever else is shown; that is no breach,
    # but a shown part 1 next to the total would be
    f = "e.csv"
    m = dc.Model(5)
    m.hidden = {(f, 0, "a"): dc.PRIMARY, (f, 0, "b"): dc.PRIMARY, (f, 0, "t"): dc.PRIMARY}
    m.relations = [dc.total_of(C(f, 0, "t"), [C(f, 0, "a"), C(f, 0, "b")])]
    assert dc.intervals(m)[(f, 0, "a")] == (1.0, 3.0)
    assert dc.marker_interval(m, (f, 0, "a")) == (1.0, 3.0)
    assert dc.breaches(m) == []
    m.hidden = {(f, 0, "a"): dc.PRIMARY, (f, 0, "t"): dc.PRIMARY}
    m.shown = {(f, 0, "b"): 2.0}
    assert dc.intervals(m)[(f, 0, "a")] == (1.0, 2.0)
    assert dc.intervals(m)[(f, 0, "t")] == (3.0, 4.0)
    assert dc.breaches(m) == [(f, 0, "a"), (f, 0, "t")]
