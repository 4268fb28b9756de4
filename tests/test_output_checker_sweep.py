"""Attacks added to the output checker by the delivery-shaped sweep (issue 12, engineer C), and
the leaks they found, closed in the suite.

Each attack is tested on a small hand-made run folder whose hidden cells can be worked out on
paper; the statistics printed in those folders are computed here by scipy, an independent route
from the checker's own arithmetic.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import expected_freq

from tests.hand_runs import write_run
from tpj_helpers.analysis.data_quality import published_tests
from tpj_helpers.analysis.data_quality import representativeness as rep

_SPEC = importlib.util.spec_from_file_location(
    "output_checker", Path(__file__).resolve().parents[1] / "benchmarks" / "output_checker.py"
)
oc = importlib.util.module_from_spec(_SPEC)
sys.modules["output_checker"] = oc
_SPEC.loader.exec_module(oc)


_write = write_run


def _found(run: Path, min_cell: int = 5) -> dict[tuple, dict]:
    findings, _ = oc.check(run, min_cell)
    return {(f["file"], f["row"], f["column"]): f for f in findings}


# The true 2 x 3 table: group A 30 / 26 / 4, group B 20 / 19 / 1 (100 persons). Published with
# 'Midt' and 'Gammel' hidden in both columns (the margins would give one hidden cell back).
TRUE = np.array([[30, 26, 4], [20, 19, 1]])
COUNTS = (
    'Variabel,Kategori,"A, antal","B, antal"\n'
    "I alt,N (personer),60,40\n"
    "Alder,Ung,30,20\n"
    "Alder,Midt,,\n"
    "Alder,Gammel,,\n"
)


def _tests_csv(statistic: float, dof: float, p: float, min_expected: float, name: str) -> str:
    return (
        "Variabel,Test,Teststørrelse,Frihedsgrader,p-værdi,Mindste forventede antal\n"
        f'Alder,"{name}",{statistic!r},{dof!r},{p!r},{min_expected!r}\n'
    )


def test_a_test_statistic_gives_back_the_hidden_cells_of_its_table(tmp_path):
    # computed on the data: chi² and the smallest expected count of the true table
    res = stats.chi2_contingency(TRUE, correction=False)
    me = float(expected_freq(TRUE).min())
    assert me == 5 * 40 / 100  # 'Gammel' has 5 persons; group B 40 of 100
    run = _write(
        tmp_path,
        {
            "tables/x_counts.csv": COUNTS,
            "tables/x_tests.csv": _tests_csv(
                float(res.statistic), 2.0, 0.5, me, "Eksakt test (Monte Carlo), 9.999 tabeller"
            ),
        },
    )
    got = _found(run)
    # 29 x 19 = 551 fills keep the margins; four print the same chi² and smallest expected count:
    # (Midt, Gammel) = (26, 4 | 19, 1), (28, 2 | 17, 3) and the two with the hidden categories
    # swapped. Read with its «<5» marker, 'Gammel' is 2..4 in A (never 1) and 1..3 in B
    a = got[("tables/x_counts.csv", 3, "A, antal")]
    b = got[("tables/x_counts.csv", 3, "B, antal")]
    assert (a["kind"], a["lo"], a["hi"]) == ("narrowed", 2.0, 4.0)
    assert (b["kind"], b["lo"], b["hi"]) == ("narrowed", 1.0, 3.0)
    assert "fit 4 of 551 fills" in a["equation"]


def test_a_pearson_p_value_alone_is_enough(tmp_path):
    # p printed to 3 decimals (the report's rounding) and nothing else: the interval of p still
    # singles out the fill pair
    res = stats.chi2_contingency(TRUE, correction=False)
    p = round(float(res.pvalue), 3)
    text = (
        "Variabel,Test,Teststørrelse,Frihedsgrader,p-værdi,Mindste forventede antal\n"
        f'Alder,"Pearsons chi²-test",,2.0,{p},\n'
    )
    run = _write(tmp_path, {"tables/x_counts.csv": COUNTS, "tables/x_tests.csv": text})
    got = _found(run)
    finding = got.get(("tables/x_counts.csv", 3, "B, antal"))
    assert finding is not None
    assert finding["lo"] <= 1 <= finding["hi"]
    assert finding["hi"] < 4  # narrower than 1..4


def test_tests_on_the_published_table_give_nothing_back(tmp_path):
    """The fix: the block's hidden categories merged into one, whose counts (A: 60 - 30 = 30,
    B: 40 - 20 = 20) the margins already give; the test of [[30, 30], [20, 20]] is chi² = 0."""
    published = pd.read_csv(pd.io.common.StringIO(COUNTS))
    tests = pd.DataFrame(
        [
            {
                "variable": "age_group",
                **rep.test_table(TRUE).__dict__,  # computed on the data first
            }
        ]
    )
    published[rep.VARIABLE_COLUMN] = published[rep.VARIABLE_COLUMN].replace(
        {"Alder": rep.VARIABLE_LABELS["age_group"]}
    )
    out, changed = published_tests.tests_on_published(
        tests, published, ("A, antal", "B, antal"), subset=False
    )
    assert changed
    r = out.iloc[0]
    assert r["test"] == "chi2"  # every expected count of the merged table is >= 5
    assert r["statistic"] == 0.0
    assert r["p_value"] == 1.0
    assert r["dof"] == 1.0
    assert r["min_expected"] == 20.0  # 50 x 40 / 100
    shown = rep.tests_table(out)
    text = shown.to_csv(index=False).replace(rep.VARIABLE_LABELS["age_group"], "Alder")
    run = _write(tmp_path, {"tables/x_counts.csv": COUNTS, "tables/x_tests.csv": text})
    got = _found(run)
    assert [k for k, f in got.items() if f["kind"] in ("exact", "narrowed")] == []


def test_the_subset_reading_merges_against_the_rest(tmp_path):
    """Tabel 3: the sample (A) within all registered (B); the test compares A with B - A."""
    published = pd.DataFrame(
        {
            rep.VARIABLE_COLUMN: ["I alt", "Alder", "Alder", "Alder"],
            rep.CATEGORY_COLUMN: ["N (personer)", "Ung", "Midt", "Gammel"],
            "A, antal": [60, 30, np.nan, np.nan],
            "B, antal": [100, 50, np.nan, np.nan],
        }
    )
    published[rep.VARIABLE_COLUMN] = published[rep.VARIABLE_COLUMN].replace(
        {"Alder": rep.VARIABLE_LABELS["age_group"]}
    )
    tests = pd.DataFrame([{"variable": "age_group", **rep.test_table(TRUE).__dict__}])
    out, changed = published_tests.tests_on_published(
        tests, published, ("A, antal", "B, antal"), subset=True
    )
    assert changed
    # merged: A 60 - 30 = 30, B 100 - 50 = 50, rest 20; table [[30, 30], [20, 20]]
    assert out.iloc[0]["statistic"] == 0.0
    assert out.iloc[0]["min_expected"] == 20.0


def test_a_block_without_hidden_cells_keeps_its_test():
    published = pd.DataFrame(
        {
            rep.VARIABLE_COLUMN: ["I alt"] + [rep.VARIABLE_LABELS["age_group"]] * 3,
            rep.CATEGORY_COLUMN: ["N (personer)", "Ung", "Midt", "Gammel"],
            "A, antal": [60, 30, 26, 4],
            "B, antal": [40, 20, 19, 1],
        }
    )
    tests = pd.DataFrame([{"variable": "age_group", **rep.test_table(TRUE).__dict__}])
    out, changed = published_tests.tests_on_published(
        tests, published, ("A, antal", "B, antal"), subset=False
    )
    assert not changed
    pd.testing.assert_frame_equal(out, tests)


def test_a_hidden_margin_leaves_the_variable_untested():
    published = pd.DataFrame(
        {
            rep.VARIABLE_COLUMN: ["I alt"] + [rep.VARIABLE_LABELS["age_group"]] * 4,
            rep.CATEGORY_COLUMN: ["N (personer)", "Ung", "Midt", "Gammel", rep.UNKNOWN_LABEL],
            "A, antal": [62, 30, np.nan, np.nan, np.nan],
            "B, antal": [40, 20, np.nan, np.nan, 0],
        }
    )
    tests = pd.DataFrame([{"variable": "age_group", **rep.test_table(TRUE).__dict__}])
    out, changed = published_tests.tests_on_published(
        tests, published, ("A, antal", "B, antal"), subset=False
    )
    assert changed
    assert out.iloc[0]["test"] == "none"
    assert np.isnan(out.iloc[0]["statistic"]) and np.isnan(out.iloc[0]["min_expected"])


# --------------------------------------------------------------------------- sharper attacks


def _notebook(run: Path, outputs: list[tuple[str, str]]) -> None:
    """An executed notebook whose displayed outputs name their CSV (as `Publisher` writes)."""
    import json

    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": "",
            "outputs": [
                {
                    "output_type": "display_data",
                    "metadata": {oc.PUBLISHED_KEY: file},
                    "data": {"text/markdown": md},
                }
            ],
        }
        for file, md in outputs
    ]
    (run / "notebooks").mkdir(parents=True, exist_ok=True)
    (run / "notebooks" / "x.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")


def test_the_report_markers_bound_the_hidden_cells(tmp_path):
    # B + C = 7: each 1..6 from the CSV alone; the report shows B «<5» and C «..» (>= 5), so B is
    # 1..2 and C 5..6
    run = _write(tmp_path, {"tables/t.csv": "Gruppe,n\nA,10\nB,\nC,\nI alt,17\n"})
    assert ("tables/t.csv", 1, "n") not in _found(run)
    _notebook(
        run,
        [
            (
                "tables/t.csv",
                "| Gruppe | n |\n|:--|--:|\n| A | 10 |\n| B | <5 |\n| C | .. |\n| I alt | 17 |\n",
            )
        ],
    )
    got = _found(run)
    b = got[("tables/t.csv", 1, "n")]
    assert (b["kind"], b["lo"], b["hi"]) == ("narrowed", 1.0, 2.0)


def test_means_beside_counts_add_up_to_the_total_mean(tmp_path):
    # b + c = 4 (I alt 14 - 10); 10 x 2 + 4 b + 1 c = 14 x 33/14 = 33: b = 3, c = 1
    text = f'Gruppe,"Score, antal","Score, gns."\nA,10,2.0\nB,,4.0\nC,,1.0\nI alt,14,{33 / 14!r}\n'
    got = _found(_write(tmp_path, {"tables/m.csv": text}))
    assert got[("tables/m.csv", 1, "Score, antal")]["value"] == 3
    assert got[("tables/m.csv", 1, "Score, antal")]["kind"] == "exact"
    assert got[("tables/m.csv", 2, "Score, antal")]["value"] == 1


def test_n_printed_under_a_figure_is_the_total_of_its_rows(tmp_path):
    run = _write(tmp_path, {"figures/f.csv": "option,n\nX,50\nY,\nZ,30\n"})
    assert ("figures/f.csv", 1, "n") not in _found(run)
    _notebook(run, [("figures/f.csv", "*Kilde: Spørgeskema. N = 83 kursister. Syntetiske data.*")])
    got = _found(run)
    assert got[("figures/f.csv", 1, "n")]["value"] == 3  # 83 - 50 - 30


def test_n_printed_under_a_multiple_choice_figure_is_not_taken_as_its_total(tmp_path):
    # several answers a person: the shown options already add up to more than N
    run = _write(tmp_path, {"figures/f.csv": "option,n\nX,50\nY,\nZ,40\n"})
    _notebook(run, [("figures/f.csv", "*N = 83 kursister.*")])
    assert ("figures/f.csv", 1, "n") not in _found(run)


def test_a_rounded_share_with_its_base_gives_the_count(tmp_path):
    # 37 persons: 10 = 27.0 %, 24 = 64.9 %, the hidden one 8.1 %: 8.05..8.15 % of 37 = 2.98..3.02
    text = "Gruppe,n,N,pct\nA,10,37,27.0\nB,,37,8.1\nC,24,37,64.9\n"
    got = _found(_write(tmp_path, {"tables/r.csv": text}))
    assert got[("tables/r.csv", 1, "n")]["value"] == 3
    assert "(rounded)" in got[("tables/r.csv", 1, "n")]["equation"]


def test_a_readers_table_that_shows_what_the_csv_hides(tmp_path):
    from openpyxl import Workbook

    run = _write(tmp_path, {"tables/t.csv": "Gruppe,n\nA,10\nB,\nC,\nI alt,17\n"})
    wb = Workbook()
    ws = wb.active
    ws.title = "Tabel 1"
    for row in (["Tabel 1: x"], ["Gruppe", "n"], ["A", 10], ["B", "<5"], ["C", 5], ["I alt", 17]):
        ws.append(row)
    wb.save(run / "tables" / "report_tables.xlsx")
    got = _found(run)
    c = got[("tables/t.csv", 2, "n")]
    assert (c["kind"], c["value"]) == ("exact", 5.0)
    assert "report_tables.xlsx" in c["equation"]


def test_the_same_counts_under_the_same_keys_in_two_files(tmp_path):
    """Found on the demo (notebooks 10 and 20 run in parallel): the WHO-5 answers in survey-items
    and in who5-items, each file hiding other cells. survey-items hides the answer with 8 (to
    protect the 2 beside it); who5-items shows the 8 and hides the 2 with another count."""
    head = "item,wave,answer,n,n_item\n"
    items = head + "w1,3mdr,a,30,40\nw1,3mdr,b,,40\nw1,3mdr,c,,40\nw1,efter,a,50,50\n"
    who5 = head + "w1,3mdr,a,30,40\nw1,3mdr,b,8,40\nw1,3mdr,c,,40\nw1,efter,a,50,50\n"
    # survey-items alone: b + c = 10, each 1..9; who5-items gives b = 8, so c = 2
    run = _write(tmp_path, {"tables/survey-items.csv": items})
    assert ("tables/survey-items.csv", 2, "n") not in _found(run)
    (tmp_path / "figures" / "who5-items.csv").write_text(who5, encoding="utf-8")
    got = _found(run)
    assert got[("tables/survey-items.csv", 1, "n")]["value"] == 8
    assert got[("tables/survey-items.csv", 2, "n")]["value"] == 2


def test_the_all_items_table_leaves_out_what_the_who5_chapter_publishes():
    from tpj_helpers.analysis.survey_outcomes import repeated

    all_items = pd.DataFrame(
        {
            "group": ["Trivsel", "Trivsel", "Teknik", "Teknik"],
            "type": ["who5", "who5", "ordinal", "ordinal"],
            "item": ["who5_1", "who5_1", "tech", "tech"],
            "n": [3, 40, 10, 12],
        }
    )
    out = repeated.without_repeated(all_items)
    assert out["item"].tolist() == ["tech", "tech"]
    assert out.index.tolist() == [0, 1]  # rows renumbered: relations address rows by position
    assert repeated.note(all_items) == repeated.NOTE
    assert repeated.note(out) == ""


# --------------------------------------------------------------------------- nested populations


def _notebook_showing(file: str, text: str) -> str:
    """A minimal executed notebook whose one displayed output shows `file` with `text` under it."""
    import json

    out = {
        "output_type": "display_data",
        "data": {"text/markdown": text},
        "metadata": {oc.PUBLISHED_KEY: file},
    }
    cell = {"cell_type": "code", "source": "", "outputs": [out], "metadata": {}}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_part_is_at_most_its_whole_in_a_row_where_one_is_hidden(tmp_path):
    # "Heraf med en score" is at most "Kursister med data" in every row showing both (and most
    # of it): in row D, where the part is hidden («..», at least 5), it is at most the 12 shown.
    # Pilot and roll-out side by side are not nested (the smaller is a third of the larger).
    run = _write(
        tmp_path,
        {
            "tables/t.csv": (
                "Tidspunkt,Kursister med data,Heraf med en score\n"
                "A,50,45\nB,60,52\nC,70,66\nD,12,..\n"
            ),
            "tables/phases.csv": (
                'Opgørelse,"Pilot, antal","Udbredelse, antal"\np1,10,30\np2,20,61\np3,9,28\np4,..,40\n'
            ),
        },
    )
    _, sys_ = oc.check(run, 5)
    assert (
        sys_.lo[("tables/t.csv", 3, "Heraf med en score")],
        sys_.hi[("tables/t.csv", 3, "Heraf med en score")],
    ) == (1, 12)
    assert sys_.hi.get(("tables/phases.csv", 3, "Pilot, antal"), float("inf")) == float("inf")


def test_counts_under_a_printed_n_are_at_most_n(tmp_path):
    # Tabel 6's shape: the N row hidden («..»), the persons without a score hidden («<5»); the
    # source line prints the population, N = 30. The hidden N is at most 30, so the hidden
    # "Ingen score" = N - 26 is at most 4 (here it allows 1..4: the rule holds, nothing found),
    # and with 27 persons with a score it would be at most 3.
    def table(scored_a: int, scored_b: int) -> str:
        return (
            "Score,Uge 1\n"
            f"Score 1,{scored_a}\nScore 2,{scored_b}\n"
            "Ingen score (NA),<5\nKursister med data i ugen (N),..\n"
        )

    for scored, hi in ((26, 4), (27, 3)):
        run = _write(
            tmp_path / str(scored),
            {
                "tables/t6.csv": table(scored - 10, 10),
                "notebooks/30.ipynb": _notebook_showing("tables/t6.csv", "Kilde: N = 30 kursister"),
            },
        )
        found, sys_ = oc.check(run, 5)
        assert sys_.hi[("tables/t6.csv", 2, "Uge 1")] == hi
        narrowed = [f for f in found if f["kind"] == "narrowed"]
        assert [(f["row"], f["lo"], f["hi"]) for f in narrowed] == ([] if hi == 4 else [(2, 1, 3)])


def test_a_means_table_beside_tabel6_and_the_population_narrow_its_na_cell(tmp_path):
    # Tabel 6's shape at two timepoints, 30 persons (printed under the table). At "Uge A" the
    # score rows (3 and 24) and the persons without a score (3) are hidden, and so is N (30). The
    # means table beside it shows, per timepoint, the persons with data and those with a score:
    # 27 at "Uge A", so "Ingen score" = N - 27 with N at most 30: 1..3, narrower than «<5».
    t6 = (
        "Score,Uge A,Uge B\n"
        "Score 0,0,0\nScore 1,<5,20\nScore 2,..,10\nIngen score (NA),<5,0\n"
        "Kursister med data (N),..,30\n"
    )
    means = "Tidspunkt,Kursister med data,Heraf med en score\nUge A,..,27\nUge B,30,30\n"
    run = _write(
        tmp_path,
        {
            "tables/t6.csv": t6,
            "tables/t6_means.csv": means,
            "notebooks/30.ipynb": _notebook_showing("tables/t6.csv", "Kilde: N = 30 kursister"),
        },
    )
    found, sys_ = oc.check(run, 5)
    na = ("tables/t6.csv", 3, "Uge A")
    assert (sys_.lo[na], sys_.hi[na]) == (1, 3)
    assert [(f["file"], f["row"], f["column"], f["kind"]) for f in found] == [(*na, "narrowed")]
