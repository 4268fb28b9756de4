"""The special-answer leak (issue 12): an item's special answers are the wave's fully submitted
questionnaires (Tabel 2) minus the item's answers on the scale (its N).

Each test publishes a small survey through the suite's own code into a run folder and attacks the
written files: with the suite's audit (the relation declared) and with the independent output
checker (`benchmarks/output_checker.py`, which guesses the relation itself) against a truth run of
the same data published with `min_cell = 1`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from tests.hand_runs import publish_response, response_frame
from tpj_helpers.analysis.survey_outcomes import disclosure as sd
from tpj_helpers.analysis.survey_outcomes import special
from tpj_helpers.analysis.survey_outcomes import tables as st
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run
from tpj_helpers.publish.publisher import Publisher
from tpj_helpers.publish.sidecars import add_relations

_SPEC = importlib.util.spec_from_file_location(
    "output_checker", Path(__file__).resolve().parents[1] / "benchmarks" / "output_checker.py"
)
oc = importlib.util.module_from_spec(_SPEC)
sys.modules["output_checker"] = oc
_SPEC.loader.exec_module(oc)

LABEL = "Lige efter kurset"
ITEMS = "tables/survey-items.csv"


def _dist(scale: list[int], special_n: int, item: str = "sat_overall") -> pd.DataFrame:
    """One item after the course: answers 1..k on the scale with counts `scale` (most negative
    first), and «Ikke relevant» (98) with `special_n`."""
    n_scale = sum(scale)
    n_answered = n_scale + special_n
    rows = [
        (item, "Samlet tilfreds", "efter", LABEL, k + 1, f"svar {k + 1}", k + 1, False, n,
         n_scale, n_answered, n / n_scale)
        for k, n in enumerate(scale)
    ]  # fmt: skip
    if special_n:
        rows.append(
            (item, "Samlet tilfreds", "efter", LABEL, 98, "Ikke relevant", None, True, special_n,
             n_scale, n_answered, special_n / n_answered)
        )  # fmt: skip
    return pd.DataFrame(rows, columns=st.DIST_COLUMNS).astype(
        {"position": "Int64", "special": "bool"}
    )


def _response(complete: int, sent: int = 324) -> pd.DataFrame:
    return response_frame(LABEL, complete, sent, partial=16)


CODEBOOK = SimpleNamespace(item=lambda _id: SimpleNamespace(parent=None, parent_codes=()))


_publish_response = publish_response


def _publish_as_before(run: Path, dist: pd.DataFrame, complete: int, min_cell: int = 5) -> None:
    """survey-items.csv as the suite published it before the fix (notebook 10 at c30a063)."""
    pub = Publisher(run, "t", min_cell=min_cell)
    _publish_response(pub, _response(complete))
    pub.table(
        dist,
        "survey-items",
        source="x",
        count_cols=st.DIST_COUNTS,
        linked=st.DIST_LINKED,
        decimals={"share": 3},
        relations=sd.distribution_relations(dist),
        hide_cols=sd.HIDE_COLS,
    )


def _publish_now(run: Path, dist: pd.DataFrame, complete: int, min_cell: int = 5):
    pub = Publisher(run, "t", min_cell=min_cell)
    response = _response(complete)
    _publish_response(pub, response)
    plan = special.plan(dist, response, CODEBOOK, min_cell)
    special.publish_items(pub, dist, plan, "survey-items", source="x")
    return plan


# 220 complete questionnaires after the course; 218 answers on the scale and 2 «Ikke relevant»
SCALE_218 = [44, 68, 50, 40, 16]


# --------------------------------------------------------------------------- the leak


def test_the_leak_before_the_fix_once_the_relation_is_declared(tmp_path):
    """What the suite published before: n_answered hidden to protect the 2 «Ikke relevant», the
    scale N 218 shown. Declared that n_answered is Tabel 2's 220, the audit recovers the 2."""
    dist = _dist(SCALE_218, 2)
    _publish_as_before(tmp_path, dist, 220)
    shown = pd.read_csv(tmp_path / ITEMS)
    assert shown["n_scale"].tolist() == [218] * 6 and shown["n_answered"].isna().all()
    assert audit_run(tmp_path).summary()["breaches"] == 0  # the relation not yet declared
    plan = special.plan(dist, _response(220), CODEBOOK, 5)
    add_relations(tmp_path, ITEMS, special.base_relations(dist, plan))
    result = audit_run(tmp_path)
    bad = result.breaches
    assert bad[["table", "row", "column"]].values.tolist() == [[ITEMS, 5, "n"]]
    assert bad[["lower", "upper"]].values.tolist() == [[2.0, 2.0]]  # 220 - 218


def test_the_checker_recovers_the_special_answer_published_before_the_fix(tmp_path):
    """The output checker, without our declarations, guesses that the wave's 220 questionnaires
    answered the item; against the truth run (min_cell 1) the recovery is real."""
    dist = _dist(SCALE_218, 2)
    run, truth = tmp_path / "run", tmp_path / "truth"
    _publish_as_before(run, dist, 220)
    _publish_as_before(truth, dist, 220, min_cell=1)
    findings, _ = oc.check(run, 5, oc.blanks_of(run, truth))
    oc.judge(findings, truth)
    got = {(f["file"], f["row"], f["column"]): f for f in findings}
    f = got[(ITEMS, 5, "n")]
    assert (f["kind"], f["value"], f["verdict"]) == ("exact", 2.0, "real")


# --------------------------------------------------------------------------- the fix


def test_the_fix_shows_rounded_shares_without_n_and_nothing_comes_back(tmp_path):
    dist = _dist(SCALE_218, 2)
    run, truth = tmp_path / "run", tmp_path / "truth"
    plan = _publish_now(run, dist, 220)
    _publish_now(truth, dist, 220, min_cell=1)
    assert plan.affected == {("sat_overall", "efter")} and not plan.withdrawn
    shown = pd.read_csv(run / ITEMS)
    # N and every count out of view; the shares to whole percent (44/218 = 20.2 % -> 0.20, ...)
    assert shown[["n", "n_scale"]].isna().all().all()
    assert shown["n_answered"].tolist() == [220] * 6  # Tabel 2's count: shown
    expected = [0.20, 0.31, 0.23, 0.18, 0.07]
    kept = shown["share"].iloc[:5]
    for got, want, hidden in zip(
        kept,
        expected,
        [("sat_overall", "efter", k + 1) in plan.hidden_shares for k in range(5)],
        strict=True,
    ):
        assert pd.isna(got) if hidden else got == want
    assert kept.notna().sum() >= 4
    assert pd.isna(shown["share"].iloc[5])  # the special answer's share goes with it
    # the relation to Tabel 2 and the rounding are declared, and the audit holds
    result = audit_run(run)
    assert result.summary()["breaches"] == 0
    cell = result.cells.set_index(["table", "row", "column"]).loc[(ITEMS, 5, "n")]
    assert (cell["lower"], cell["upper"]) == (1.0, 4.0)
    # the checker, with the special-answer attack and the rounded shares, recovers nothing real
    findings, _ = oc.check(run, 5, oc.blanks_of(run, truth))
    oc.judge(findings, truth)
    real = [f for f in findings if f["verdict"] == "real" and f["kind"] in ("exact", "narrowed")]
    assert real == [], [(f["row"], f["column"], f["value"], f["equation"][:90]) for f in real]


def test_at_small_n_the_rounded_shares_pin_the_special_answer_and_are_withheld(tmp_path):
    """23 questionnaires: 12 and 10 on the scale, 1 «Ikke relevant». Shown as 55 % and 45 %, the
    scale N (19..22 for a special answer of 1..4) can only be 22 or 20 (12/22, 10/22 and 11/20,
    9/20 round to them; 21 and 19 fit no integer count), so the special answer is 1 or 3: both
    shares together or either alone. The shares are withheld."""
    dist = _dist([0, 12, 10], 1)
    plan = _publish_now(tmp_path, dist, 23)
    assert plan.withdrawn == {("sat_overall", "efter")}
    shown = pd.read_csv(tmp_path / ITEMS)
    assert shown["share"].isna().all()  # with the N they rest on
    assert shown["n"].tolist()[0] == 0 and shown["n"].iloc[1:].isna().all()
    assert audit_run(tmp_path).summary()["breaches"] == 0


def test_a_rounded_share_beside_hidden_counts_leaves_a_range_computed_by_hand():
    """n_scale + special = 220, special 1..4: n_scale 216..219; a count shown as 67 % of it lies
    in [0.665 x 216, 0.675 x 219] = [143.64, 147.825] -> 144..147."""
    m = dc.Model(5)
    m.shown = {("f", 0, "C"): 220.0, ("f", 0, "share"): 0.67}
    m.hidden = {("f", 0, "n"): dc.SECONDARY, ("f", 0, "n_scale"): dc.SECONDARY,
                ("f", 1, "n"): dc.PRIMARY}  # fmt: skip
    m.relations = [
        dc.total_of(dc.Cell("f", 0, "C"), [dc.Cell("f", 0, "n_scale"), dc.Cell("f", 1, "n")]),
        *special.rounding_relations(
            dc.Cell("f", 0, "n"), dc.Cell("f", 0, "n_scale"), dc.Cell("f", 0, "share"), "x"
        ),
    ]
    got = dc.intervals(m)
    assert got[("f", 0, "n")] == (144.0, 147.0)
    assert got[("f", 1, "n")] == (1.0, 4.0)


@pytest.mark.parametrize(
    ("share", "half"), [("0.67", 0.005), ("67.0", 0.5), ("0.5", 0.05), ("0.6666666666666666", None)]
)
def test_the_checker_reads_few_decimals_as_rounded(share, half):
    got = oc.rounding_half(share)
    assert got == pytest.approx(half) if half is not None else got is None


def test_the_likert_figure_draws_rounded_shares_beside_a_hidden_n(tmp_path):
    dist = _dist(SCALE_218, 2)
    pub = Publisher(tmp_path, "t", min_cell=5)
    response = _response(220)
    _publish_response(pub, response)
    plan = special.plan(dist, response, CODEBOOK, 5)
    special.publish_items(pub, dist, plan, "survey-items", source="x")
    drawn = {}

    def plot(d):
        drawn["frame"] = d
        return st.likert_figure(d)

    special.publish_items(pub, dist, plan, "likert-x", source="x", plot=plot)
    fig_data = pd.read_csv(tmp_path / "figures" / "likert-x.csv")
    items = pd.read_csv(tmp_path / ITEMS)
    assert fig_data[["n", "n_scale", "share"]].equals(items[["n", "n_scale", "share"]])
    fig = st.likert_figure(drawn["frame"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert labels[0].startswith(f"{LABEL} (N skjult)")
    assert audit_run(tmp_path).summary()["breaches"] == 0


# --------------------------------------------------------------------------- text and deep dive


def _indicator_run(tmp_path: Path, row: str) -> Path:
    from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "estimates.csv").write_text(",".join(ESTIMATE_COLUMNS) + "\n")
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "survey-indicators.csv").write_text(
        "Gruppe,Indikator,Måling,Andel (%),Antal,N\n" + row + "\n", encoding="utf-8"
    )
    return tmp_path


def test_the_resume_prints_no_hidden_n(tmp_path):
    from tpj_helpers.analysis.summary.findings import SurveyShares, satisfaction
    from tpj_helpers.analysis.summary.resume import RunFolder

    run = RunFolder(
        _indicator_run(tmp_path, "Tilfredshed,Samlet tilfreds,Lige efter kurset,67.0,,")
    )
    values: dict = {}
    text = satisfaction(
        run, values, SurveyShares(run, {"overall_satisfied_agree": "Samlet tilfreds"})
    )
    assert "(67\u00a0% af dem, der svarede)" in text
    assert values["share_overall_satisfied_agree"] == pytest.approx(0.67)
    assert pd.isna(values["n_overall_satisfied_agree"])


def test_the_deep_dive_keeps_a_rounded_share_and_withholds_its_hidden_n(tmp_path):
    from tpj_helpers.analysis.deep_dive_synthesis import withheld

    _indicator_run(tmp_path, "G,Tilfreds,Lige efter kurset,67.0,,")
    values = pd.DataFrame(
        {
            "id": ["share"],
            "text": ["67 %"],
            "where": [
                withheld.where(
                    withheld.SURVEY_INDICATORS,
                    {"Indikator": "Tilfreds", "Måling": "Lige efter kurset"},
                    ["Andel (%)"],
                    n_columns=["Antal", "N"],
                )
            ],
        }
    )
    ids = withheld.withheld_ids(tmp_path, values)
    assert ids == {"share": False}  # N withheld, the value kept
    assert withheld.mask(values, ids)["text"].tolist() == ["67 %"]


def test_a_wave_too_small_to_protect_against_its_questionnaires_is_unpublished_and_declared():
    """Five answers of 1-2 persons and the wave's 7 questionnaires (Frederikshavn, three months
    after): declared, each would be 1..3 whatever the table hides. The item-wave is left
    unpublished (tests/test_unpublished.py) and its relation declared like every other's."""
    dist = _dist([1, 2, 2, 1, 1], 0)
    plan = special.plan(dist, _response(7, sent=28), CODEBOOK, 5)
    assert plan.unpublished == {("sat_overall", "efter")}
    assert plan.affected == set() and not plan.rounded(("sat_overall", "efter"))
    (rel,) = special.base_relations(dist, plan)
    assert [(t.coef, t.cell.key()) for t in rel.terms] == [
        (1.0, ("", 0, "n_answered")),
        (-1.0, (special.RESPONSE_FILE, 0, special.COMPLETE)),
    ]
    assert (rel.lo, rel.hi) == (0.0, 0.0)
    # with 9 questionnaires (2 + 2 + 2 + 2 + 1) every answer may still be 1..4
    wider = _dist([2, 2, 2, 2, 1], 0)
    assert special.plan(wider, _response(9, sent=28), CODEBOOK, 5).unpublished == set()


def test_a_zero_indicator_count_beside_a_hidden_n_stays_shown(tmp_path):
    """Found on Frederikshavn (three months after, 7 questionnaires): the indicator «poor health»
    counted 0 persons; its N was hidden, and the count hidden with it as «..» (at least 5), which
    contradicted the 0 shown in survey-items (the audit found the published values infeasible)."""
    from tpj_helpers.analysis.survey_outcomes import change

    dist = _dist([0, 6, 1], 0)  # answers 1..3: 0, 6 and 1 person(s)
    response = _response(7, sent=28)
    pub = Publisher(tmp_path, "t", min_cell=5)
    _publish_response(pub, response)
    indicators = [{"id": "poor", "item": "sat_overall", "codes": [1], "label": "Dårligt"}]
    plan = special.plan(dist, response, CODEBOOK, 5, indicators)
    special.publish_items(pub, dist, plan, "survey-items", source="x")
    shares = pd.DataFrame(
        [{"id": "poor", "group": "G", "item": "sat_overall", "wave": "efter", "wave_label": LABEL,
          "label": "Dårligt", "n": 0, "n_scale": 7, "share": 0.0, "published": float("nan")}]
    )  # fmt: skip
    table, rels, hidden, share_rels, linked = special.indicator_protection(
        pub, change.indicator_table(shares), shares, indicators, dist, change.INDICATOR_COUNTS, plan
    )
    pub.table(
        table,
        "survey-indicators",
        source="x",
        count_cols=change.INDICATOR_COUNTS,
        linked=linked,
        relations=rels,
        hidden=hidden,
    )
    sd.add_share_relations(tmp_path, share_rels)
    # since the small-delivery fix the item-wave (6 + 1 = 7: the 1 pinned) is left unpublished:
    # the zero reads «i.o.» in both files, never «..», and nothing contradicts it
    assert plan.unpublished == {("sat_overall", "efter")}
    shown = pd.read_csv(tmp_path / "tables" / "survey-indicators.csv", dtype=str)
    assert shown[["Antal", "N", "Andel (%)"]].values.tolist() == [["i.o."] * 3]
    items = pd.read_csv(tmp_path / ITEMS, dtype=str)
    assert items["n"].tolist() == ["i.o."] * 3
    assert audit_run(tmp_path).summary()["breaches"] == 0
