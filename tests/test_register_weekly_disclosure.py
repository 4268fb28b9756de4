"""The weekly register figures and Tabel 6 against each other and against the cohort.

Two leaks found on the demo (seed 11) by arithmetic on the published files:
- each weekly figure printed, per week, the persons the extract covers beside the persons with a
  score: their difference is the persons coded out of DREAM that week (3 in most weeks before the
  course), a count below `min_cell` that no cell held;
- the weekly figure by status repeated the total line for the completers without any relation to
  it, and printed the week before the course's covered persons (268), which Tabel 6 hides («..»):
  268 - 265 gave Tabel 6's hidden "Ingen score i ugen (NA)" back exactly.
And one the audit did not know: every N of Tabel 6 is at most the cohort the source lines print
(268), so with 265 persons with a score that week the hidden NA was 1..3 whatever Tabel 6 hid.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from tests.hand_runs import TABEL6_COLUMNS, tabel6_and_means
from tpj_helpers.analysis.register_regressions import disclosure as t6d
from tpj_helpers.analysis.register_regressions.models import SCORES, TABEL6_SUMS
from tpj_helpers.analysis.subgroup_models import disclosure as sgd
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run, load_model
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


# --------------------------------------------------------------------------- Tabel 6 and its cohort

T6_COLUMNS = TABEL6_COLUMNS
# the published evaluation's Tabel 6 (reference/report-figures.yaml): 268 completers
T6_COUNTS = {
    10: [9, 1, 1, 8],
    9: [0, 0, 0, 2],
    8: [0, 0, 0, 1],
    7: [38, 22, 34, 50],
    6: [0, 0, 1, 2],
    5: [1, 0, 0, 0],
    3: [18, 2, 13, 12],
    2: [118, 156, 115, 67],
    1: [74, 84, 73, 49],
}
T6_NA = [10, 3, 3, 6]
COHORT = 268


def tabel6_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return tabel6_and_means(T6_COUNTS, T6_NA, T6_COLUMNS)


def publish_tabel6(run, cohort: int | None, left_out: bool) -> None:
    table, means = tabel6_frames()
    rels, known = t6d.tabel6_relations(table, means, cohort=cohort)
    unpublished = t6d.left_out(table, means, COHORT, MIN_CELL) if left_out else {}
    pub = Publisher(run, "30_register_regressions", min_cell=MIN_CELL)
    pub.table(
        table,
        "register_tabel6",
        "s",
        count_cols=table.columns[1:],
        relations=rels,
        known=known,
        hide_later=t6d.HIDE_LATER,
        hidden=unpublished,
        **TABEL6_SUMS,
    )
    pub.table(
        means,
        "register_tabel6_means",
        "s",
        count_cols=["Kursister med data", "Heraf med en score"],
        linked={"Gennemsnitlig score": "Heraf med en score"},
        hidden=unpublished,
    )


def test_the_reference_tabel6_adds_up():
    _, means = tabel6_frames()
    assert means["Kursister med data"].tolist() == [268, 268, 240, 197]
    assert means["Heraf med en score"].tolist() == [258, 265, 237, 191]
    assert round(means["Gennemsnitlig score"][1], 2) == 2.14


def test_the_cohort_bound_narrows_the_week_befores_na_cell_unless_it_is_left_out(tmp_path):
    # Before: NA and N declared only against each other. The persons with data in the week
    # before the course (hidden «..») are at most the cohort of 268 the source lines print, so
    # the hidden NA (3, «<5») is N - 265 <= 3: narrower than 1..4. The audit did not know it.
    before = tmp_path / "before"
    publish_tabel6(before, cohort=None, left_out=False)
    assert audit_run(before).summary()["breaches"] == 0
    model = load_model(before)
    table, _ = tabel6_frames()
    model.relations += [
        dc.Relation(
            [
                dc.Term(
                    r.terms[0].coef,
                    dc.Cell(
                        "tables/register_tabel6.csv", r.terms[0].cell.row, r.terms[0].cell.column
                    ),
                )
            ],
            r.lo,
            r.hi,
            r.note,
        )
        for r in t6d.cohort_relations(table, COHORT)
    ]
    na = ("tables/register_tabel6.csv", len(SCORES), "Ugen før kursus")
    assert model.hidden[na] == dc.PRIMARY
    assert dc.intervals(model, only={na})[na] == (1.0, 3.0)
    # Declared, with nothing left out, the protection must hide the week's 265 persons with a
    # score (and the mean with them): the week before the course, the base of the main model
    declared = tmp_path / "declared"
    publish_tabel6(declared, cohort=COHORT, left_out=False)
    got = pd.read_csv(declared / "tables" / "register_tabel6_means.csv")
    assert pd.isna(got["Heraf med en score"][1]) and pd.isna(got["Gennemsnitlig score"][1])
    assert audit_run(declared).summary()["breaches"] == 0
    # Left out: NA and N of that week (and the means table's persons with data) read «i.o.»,
    # any value from 0; the 265 and the mean stay; nothing says anybody was coded out
    after = tmp_path / "after"
    publish_tabel6(after, cohort=COHORT, left_out=True)
    t6 = pd.read_csv(after / "tables" / "register_tabel6.csv", dtype=str, keep_default_na=False)
    assert t6["Ugen før kursus"].tolist()[-2:] == ["i.o.", "i.o."]
    assert t6["26 uger før kursus"].tolist()[-2:] == ["10", "268"]
    got = pd.read_csv(
        after / "tables" / "register_tabel6_means.csv", dtype=str, keep_default_na=False
    )
    assert got.loc[1, "Kursister med data"] == "i.o."
    assert got.loc[1, "Heraf med en score"] == "265"
    result = audit_run(after)
    assert result.summary()["breaches"] == 0
    cells = result.cells.set_index(["table", "row", "column"])
    assert tuple(cells.loc[na, ["kind", "lower", "upper"]]) == (dc.UNPUBLISHED, 0.0, 3.0)


def test_left_out_reads_published_counts_only():
    table, means = tabel6_frames()
    got = t6d.left_out(table, means, COHORT, MIN_CELL)
    na_row, n_row = len(SCORES), len(SCORES) + 1
    assert got == {
        dc.Cell("tables/register_tabel6.csv", na_row, "Ugen før kursus"): dc.UNPUBLISHED,
        dc.Cell("tables/register_tabel6.csv", n_row, "Ugen før kursus"): dc.UNPUBLISHED,
        dc.Cell(t6d.MEANS_FILE, 1, "Kursister med data"): dc.UNPUBLISHED,
    }
    # the same published counts with nobody coded out (all 3 without data): the same cells
    means0 = means.assign(**{"Kursister med data": [268, 265, 240, 197]})
    assert t6d.left_out(table, means0, COHORT, MIN_CELL) == got
    # a cohort where everybody has a score, or 5 or more have none: nothing left out
    assert t6d.left_out(table, means, 265, MIN_CELL) == {}
    assert t6d.left_out(table, means, 270, MIN_CELL) == {}


def test_a_cohort_the_source_lines_do_not_print_bounds_nothing():
    # two completers: the source lines say «færre end 5», so no N is bounded by the cohort and
    # nothing is left out for it (declaring the bound would claim what nobody can read)
    persons = pd.DataFrame({"person_id": ["a", "b"]})
    assert t6d.published_cohort(persons, MIN_CELL) is None
    assert t6d.published_cohort(pd.DataFrame({"person_id": list("abcde")}), MIN_CELL) == 5
    table, means = tabel6_frames()
    assert t6d.left_out(table, means, None, MIN_CELL) == {}
    rels, _ = t6d.tabel6_relations(table, means, cohort=None)
    assert not [r for r in rels if "cohort" in r.note]
