"""The weekly register figures against Tabel 6 and against each other.

Two leaks found on the demo (seed 11) by arithmetic on the published files:
- each weekly figure printed, per week, the persons the extract covers beside the persons with a
  score: their difference is the persons coded out of DREAM that week (3 in most weeks before the
  course), a count below `min_cell` that no cell held;
- the weekly figure by status repeated the total line for the completers without any relation to
  it, and printed the week before the course's covered persons (268), which Tabel 6 hides («..»):
  268 - 265 gave Tabel 6's hidden "Ingen score i ugen (NA)" back exactly.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from tpj_helpers.analysis.subgroup_models import disclosure as sgd
from tpj_helpers.publish.audit import audit_run
from tpj_helpers.publish.disclosure import Cell, equal
from tpj_helpers.publish.publisher import Publisher

MIN_CELL = 5


def small_differences(frame: pd.DataFrame, columns: list[str], min_cell: int) -> list[tuple]:
    """(row, a, b, difference) for every two counts of a row, both shown, whose difference is a
    count of 1..min_cell-1 of the persons of one and not the other."""
    out = []
    for i, row in frame.iterrows():
        shown = [c for c in columns if c in frame.columns and pd.notna(row[c])]
        for a in shown:
            for b in shown:
                d = float(row[a]) - float(row[b])
                if 0 < d < min_cell:
                    out.append((i, a, b, d))
    return out


def test_the_helper_finds_a_small_difference():
    frame = pd.DataFrame({"n_covered": [268, 268, 197], "n": [258, 265, None]})
    assert small_differences(frame, ["n_covered", "n"], 5) == [(1, "n_covered", "n", 3.0)]


def test_weekly_figures_print_no_difference_below_min_cell(full_run):
    figures = sorted((full_run.run_dir / "figures").glob("register_weekly_*.csv"))
    # the total line, the weeks around the course, four dimensions and the status
    assert len(figures) == 7
    for path in figures:
        frame = pd.read_csv(path)
        assert "n_covered" not in frame.columns, path.name
        assert small_differences(frame, ["n_covered", "n"], MIN_CELL) == [], path.name


def test_the_completers_line_by_status_is_the_total_line(full_run):
    figures = full_run.run_dir / "figures"
    total = pd.read_csv(figures / "register_weekly_score.csv").set_index("week_rel")
    status = pd.read_csv(figures / "register_weekly_by_status.csv")
    completers = status[status["status"] == "gennemført"].set_index("week_rel")
    assert list(completers.index) == list(total.index)
    for col in ("n", "mean"):
        # the same persons: shown alike, hidden alike
        pd.testing.assert_series_equal(completers[col], total[col], check_names=False)


def _weekly(n: list[int], means: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"week_rel": [-2, -1, 0], "n": n, "mean": means})


def test_a_count_the_total_line_hides_is_hidden_on_the_status_line(tmp_path):
    """A hand case: a table shows 3 persons («<5») beside 40 others and their total 43; the total
    line's week -1 is those 40 (hidden «..» there, so that 43 - 40 does not give the 3 back).
    The status figure's completers' line is the same persons: undeclared, it printed the 40."""
    table = pd.DataFrame({"Gruppe": ["alle"], "X": [3], "Y": [40], "I alt": [43]})
    total = _weekly([12, 40, 14], [2.0, 3.0, 2.5])
    status = pd.concat(
        [
            total.assign(status="gennemført"),
            _weekly([6, 7, 8], [1.5, 2.5, 2.0]).assign(status="afmeldt"),
        ],
        ignore_index=True,
    )[["status", "week_rel", "n", "mean"]]
    got = {}
    for declare in (False, True):
        run = tmp_path / str(declare)
        pub = Publisher(run, "40_subgroup_models", min_cell=MIN_CELL)
        pub.table(table, "x", "s", count_cols=["X", "Y", "I alt"], col_sums=[("I alt", ["X", "Y"])])
        pub.figure(
            total,
            "register_weekly_score",
            "s",
            plot=lambda df: plt.figure(),
            count_cols=["n"],
            linked={"mean": "n"},
            relations=[equal(Cell("tables/x.csv", 0, "Y"), Cell("", 1, "n"))],
        )
        rels, known = sgd.status_relations(status, total) if declare else ([], {})
        pub.figure(
            status,
            "register_weekly_by_status",
            "s",
            plot=lambda df: plt.figure(),
            count_cols=["n"],
            linked={"mean": "n"},
            relations=rels,
            known=known,
        )
        fig = run / "figures"
        assert pd.isna(pd.read_csv(fig / "register_weekly_score.csv")["n"][1])
        got[declare] = pd.read_csv(fig / "register_weekly_by_status.csv").iloc[1]
        assert audit_run(run).summary()["breaches"] == 0  # the audit sees declared relations only
    assert got[False]["n"] == 40  # 43 - 40 = 3: the hidden X back
    assert pd.isna(got[True]["n"]) and pd.isna(got[True]["mean"])
    # the relations: per completers' week one equality and one score sum
    rels, known = sgd.status_relations(status, total)
    assert len(rels) == 6
    assert known[Cell(sgd.TOTAL_FIGURE, 1, "n")] == 40.0
