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

from tpj_helpers.analysis.data_quality import published_tests
from tpj_helpers.analysis.data_quality import representativeness as rep

_SPEC = importlib.util.spec_from_file_location(
    "output_checker", Path(__file__).resolve().parents[1] / "benchmarks" / "output_checker.py"
)
oc = importlib.util.module_from_spec(_SPEC)
sys.modules["output_checker"] = oc
_SPEC.loader.exec_module(oc)


def _write(run: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = run / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (run / "tables").mkdir(exist_ok=True)
    (run / "figures").mkdir(exist_ok=True)
    return run


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
