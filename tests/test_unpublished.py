"""Small deliveries: an item-wave of a few questionnaires that no suppression protects (issue 12).

Frederikshavn's three-month wave has 7 fully submitted questionnaires (Tabel 2). An item answered
1, 2, 2, 1 and 1 times on its five answers is pinned by that 7 whatever the table hides, because
the markers say which cells are small («<5» = 1..4, «..» = at least 5): five cells of at least 1
adding up to 7 are each 1..3. Such an item-wave is left unpublished in every file that shows it
(N, counts and shares, zeros too, marked «i.o.»: any value from 0), and its relation to Tabel 2
is declared. Each test builds the wave by hand, publishes it through the suite's own code and
attacks the written files with the audit and with the independent output checker against a truth
run (`min_cell = 1`).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tests.hand_runs import publish_response, response_frame
from tpj_helpers.analysis.survey_outcomes import disclosure as sd
from tpj_helpers.analysis.survey_outcomes import special
from tpj_helpers.analysis.survey_outcomes import tables as st
from tpj_helpers.analysis.who5 import unpublished as wu
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run, summary_table
from tpj_helpers.publish.hidden_marks import UNPUBLISHED_MARK
from tpj_helpers.publish.publisher import Publisher
from tpj_helpers.publish.sidecars import add_relations

_SPEC = importlib.util.spec_from_file_location(
    "output_checker_unpublished",
    Path(__file__).resolve().parents[1] / "benchmarks" / "output_checker.py",
)
oc = importlib.util.module_from_spec(_SPEC)
sys.modules["output_checker_unpublished"] = oc
_SPEC.loader.exec_module(oc)

LABEL = "3 måneder efter kurset"
ITEMS = "tables/survey-items.csv"
KEY = ("job_prospects", "3mdr")
CODEBOOK = SimpleNamespace(item=lambda _id: SimpleNamespace(parent=None, parent_codes=()))


def _dist(scale: list[int], special_n: int = 0) -> pd.DataFrame:
    """One item three months after: answers 1..k on the scale with counts `scale`, and «Ved
    ikke» (99) with `special_n`."""
    n_scale = sum(scale)
    n_answered = n_scale + special_n
    rows = [
        ("job_prospects", "Jobudsigter", "3mdr", LABEL, k + 1, f"svar {k + 1}", k + 1, False, n,
         n_scale, n_answered, n / n_scale)
        for k, n in enumerate(scale)
    ]  # fmt: skip
    rows.append(
        ("job_prospects", "Jobudsigter", "3mdr", LABEL, 99, "Ved ikke", None, True, special_n,
         n_scale, n_answered, special_n / n_answered)
    )  # fmt: skip
    return pd.DataFrame(rows, columns=st.DIST_COLUMNS).astype(
        {"position": "Int64", "special": "bool"}
    )


def _response(complete: int, sent: int = 28) -> pd.DataFrame:
    return response_frame(LABEL, complete, sent)


_publish_response = publish_response


def _publish(run: Path, dist: pd.DataFrame, complete: int, min_cell: int = 5, plot=None):
    pub = Publisher(run, "t", min_cell=min_cell)
    response = _response(complete)
    _publish_response(pub, response)
    plan = special.plan(dist, response, CODEBOOK, min_cell)
    special.publish_items(pub, dist, plan, "survey-items", source="x")
    if plot is not None:
        special.publish_items(pub, dist, plan, "likert-x", source="x", plot=plot)
    return plan, pub


def _real(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["verdict"] == "real" and f["kind"] in ("exact", "narrowed")]


def _primary_real(findings: list[dict], truth: Path) -> list[tuple]:
    """Real recoveries of a count under 5 (what the rule protects)."""
    out = []
    for f in _real(findings):
        v = oc.truth_value(truth, f)
        if v is not None and 0 < v < 5:
            out.append((f["file"], f["row"], f["column"], f["kind"], f["lo"], f["hi"]))
    return out


# --------------------------------------------------------------------------- the leak


def test_the_markers_pin_the_answers_once_the_relation_is_declared(tmp_path):
    """Published with every count hidden as the protection chose («<5» / «..») and the relation to
    Tabel 2's 7 declared, the audit finds the answers narrowed below 1..4: the markers alone say
    which cells are small. (Why hiding more cannot help.)"""
    dist = _dist([1, 2, 2, 1, 1])
    pub = Publisher(tmp_path, "t", min_cell=5)
    _publish_response(pub, _response(7))
    pub.table(
        dist,
        "survey-items",
        source="x",
        count_cols=st.DIST_COUNTS,
        linked=st.DIST_LINKED,
        relations=sd.distribution_relations(dist),
        hide_cols=sd.HIDE_COLS,
    )
    n = pd.read_csv(tmp_path / ITEMS)["n"]
    assert n.iloc[:5].isna().all() and n.iloc[5] == 0
    plan = special.Plan(5, bases={KEY: special.Base(7, True, wave_label=LABEL)})
    plan.response_rows = {LABEL: 0}
    add_relations(tmp_path, ITEMS, special.base_relations(dist, plan))
    bad = audit_run(tmp_path).breaches
    assert sorted(bad["row"]) == [0, 1, 2, 3, 4]
    assert set(bad["upper"]) == {3.0}  # 7 - 4 x 1


def test_a_wave_of_few_questionnaires_is_unpublished_and_nothing_comes_back(tmp_path):
    """Written first (it failed on 034eb87: the checker narrowed all five answers to 1..3 and
    the relation was not declared). Now: N, counts and shares read «i.o.», the relation to Tabel
    2 is in the sidecar, the audit holds with the cells as 0.. and the checker finds nothing."""
    dist = _dist([1, 2, 2, 1, 1])
    run, truth = tmp_path / "run", tmp_path / "truth"
    plan, _ = _publish(run, dist, 7)
    _publish(truth, dist, 7, min_cell=1)
    findings, _ = oc.check(run, 5, oc.blanks_of(run, truth))
    oc.judge(findings, truth)
    assert _primary_real(findings, truth) == []
    # what comes back is the item-wave's 7 answers: Tabel 2's published count, nothing more
    assert {(f["column"], f["value"]) for f in _real(findings)} == {("n_answered", 7.0)}
    assert plan.unpublished == {KEY}
    raw = pd.read_csv(run / ITEMS, dtype=str, keep_default_na=False)
    for col in ("n", "n_scale", "n_answered", "share"):
        assert raw[col].tolist() == [UNPUBLISHED_MARK] * 6, col  # the zero of «Ved ikke» too
    assert raw["answer"].tolist()[:2] == ["svar 1", "svar 2"]  # every row kept
    doc = json.loads((run / "results/disclosure/tables__survey-items.json").read_text())
    notes = [r["note"] for r in doc["relations"]]
    assert any(
        n.startswith("answered job_prospects 3mdr: the wave's questionnaires") for n in notes
    )
    assert {h["kind"] for h in doc["hidden"]} == {dc.UNPUBLISHED}
    result = audit_run(run)
    s = result.summary()
    assert (s["breaches"], s["primary"], s["unpublished"], s["hidden"]) == (0, 0, 24, 0)
    cells = result.cells[result.cells["kind"] == dc.UNPUBLISHED]
    n = cells[cells["column"] == "n"]
    assert set(zip(n["lower"], n["upper"], strict=True)) == {(0.0, 7.0)}  # any of 0..7
    assert cells[cells["column"] == "n_answered"]["lower"].eq(7.0).all()  # Tabel 2's 7
    rows = summary_table(result)["Celler"].tolist()
    assert rows[-1] == f"Ikke offentliggjort, nuller medregnet («{UNPUBLISHED_MARK}»)"


def test_the_table_and_the_figure_say_why_and_the_figure_drops_the_bar(tmp_path, monkeypatch):
    drawn = []

    def plot(d: pd.DataFrame) -> plt.Figure:
        drawn.append(d.copy())
        fig, _ = plt.subplots()
        return fig

    shown = []
    monkeypatch.setattr(
        "tpj_helpers.publish.publisher.display", lambda *a, **k: shown.append((a, k))
    )
    other = _dist([9, 8, 7, 6, 5]).assign(item="trust", wave="efter", wave_label="Lige efter")
    dist = pd.concat([_dist([1, 2, 2, 1, 1]), other], ignore_index=True)
    response = pd.concat(
        [_response(7), _response(35).assign(**{st.WAVE_COLUMN: ["Lige efter"]})],
        ignore_index=True,
    )
    pub = Publisher(tmp_path, "t", min_cell=5)
    _publish_response(pub, response)
    plan = special.plan(dist, response, CODEBOOK, 5)
    assert plan.unpublished == {KEY}
    special.publish_items(pub, dist, plan, "survey-items", source="x")
    special.publish_items(pub, dist, plan, "likert-x", source="x", plot=plot)
    (d,) = drawn
    assert set(d["item"]) == {"trust"}  # the unpublished item-wave's bars are not drawn
    texts = [
        (a[0].get("text/markdown") if isinstance(a[0], dict) else getattr(a[0], "data", ""))
        for a, _k in shown
    ]
    texts = [t for t in texts if isinstance(t, str)]
    table_md = next(t for t in texts if t and "| item |" in t)
    assert f"| {UNPUBLISHED_MARK} |" in table_md
    assert "ikke offentliggjort" in table_md and "for få skemaer" in table_md
    assert any(t and "udeladt (ikke offentliggjort: for få skemaer)" in t for t in texts)
    fig_csv = pd.read_csv(tmp_path / "figures/likert-x.csv", dtype=str, keep_default_na=False)
    assert fig_csv["n"].tolist()[:6] == [UNPUBLISHED_MARK] * 6
    assert fig_csv["n"].tolist()[6:11] == ["9", "8", "7", "6", "5"]
    assert audit_run(tmp_path).summary()["breaches"] == 0


# --------------------------------------------------------------------------- the model


def test_an_unpublished_cell_is_any_value_from_zero_and_pins_nothing():
    """p (primary, true 2) + u (unpublished) = 7 shown: p stays 1..4. Read as a hidden count
    instead (at least 5 beside it), p would be at most 2."""
    m = dc.Model(5)
    m.shown[("t", 0, "total")] = 7.0
    m.hidden[("t", 1, "n")] = dc.PRIMARY
    m.hidden[("t", 2, "n")] = dc.UNPUBLISHED
    m.relations = [
        dc.total_of(dc.Cell("t", 0, "total"), [dc.Cell("t", 1, "n"), dc.Cell("t", 2, "n")])
    ]
    assert dc.bounds_of(dc.UNPUBLISHED, 5) == (0.0, dc.BIG)
    got = dc.intervals(m)
    assert got[("t", 1, "n")] == (1.0, 4.0)
    assert got[("t", 2, "n")] == (3.0, 6.0)  # 7 - (1..4)
    assert dc.breaches(m) == []
    m.hidden[("t", 2, "n")] = dc.SECONDARY
    assert dc.intervals(m)[("t", 1, "n")] == (1.0, 2.0)


def test_protect_never_picks_an_unpublished_cell_nor_searches_through_it():
    """p (primary, 2) = total 9 - s (7): p is pinned and needs a complement. u (unpublished, 5)
    sits in a second relation with p and s2 (p + u + s2 = 13) and in a third with the complement
    z (u + y + z = 20). Hiding s2 (the smaller) cannot widen p while s is shown; hiding s does,
    since u is any value from 0: `protect` hides s, never u. The search for complements does not
    pass through u to the third relation."""
    c = dc.Cell
    m = dc.Model(5)
    m.shown.update({("t", 0, "total"): 9.0, ("t", 1, "s"): 7.0})
    m.shown.update({("t", 3, "s2"): 6.0, ("t", 4, "total2"): 13.0})
    m.shown.update({("t", 7, "total3"): 20.0, ("t", 8, "y"): 6.0})
    m.hidden.update({("t", 2, "p"): dc.PRIMARY, ("t", 6, "z"): dc.SECONDARY})
    m.hidden[("t", 5, "u")] = dc.UNPUBLISHED
    m.relations = [
        dc.total_of(c("t", 0, "total"), [c("t", 1, "s"), c("t", 2, "p")]),
        dc.total_of(c("t", 4, "total2"), [c("t", 2, "p"), c("t", 5, "u"), c("t", 3, "s2")]),
        dc.total_of(c("t", 7, "total3"), [c("t", 5, "u"), c("t", 8, "y"), c("t", 6, "z")]),
    ]
    assert dc.breaches(m) == [("t", 2, "p")]
    reach = dc._reach(m, ("t", 2, "p"))
    assert ("t", 5, "u") in reach and not {("t", 7, "total3"), ("t", 8, "y")} & reach
    added = dc.protect(m, [("t", 3, "s2"), ("t", 8, "y"), ("t", 1, "s")])
    assert added == [("t", 1, "s")]
    assert m.hidden[("t", 5, "u")] == dc.UNPUBLISHED
    assert dc.intervals(m)[("t", 2, "p")] == (1.0, 4.0)


def test_the_checker_reads_the_marker_as_from_zero(tmp_path):
    """Five unknown answers adding up to 7: read as hidden counts (at least 1) each is 1..3, a
    narrowing; marked «i.o.» each is 0..7."""
    (tmp_path / "tables").mkdir()
    text = "item,wave_label,answer,n\nI alt,x,alle,7\n" + "".join(
        f"q,x,{a},{{v}}\n" for a in "abcde"
    )
    cell = ("tables/t.csv", 1, "n")
    (tmp_path / "tables/t.csv").write_text(text.format(v=""), encoding="utf-8")
    findings, sys_ = oc.check(tmp_path, 5)
    assert (sys_.lo[cell], sys_.hi[cell]) == (1, 3)
    assert len([f for f in findings if f["kind"] == "narrowed"]) == 5
    (tmp_path / "tables/t.csv").write_text(text.format(v=UNPUBLISHED_MARK), encoding="utf-8")
    findings, sys_ = oc.check(tmp_path, 5)
    assert (sys_.lo[cell], sys_.hi[cell]) == (0, 7)
    assert [f for f in findings if f["kind"] in ("exact", "narrowed")] == []


# --------------------------------------------------------------------------- WHO-5


def _who5_items(counts: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for item, ns in counts.items():
        for code, n in zip(range(5, -1, -1), ns, strict=True):
            rows.append((item, item, "3mdr", LABEL, code, f"svar {code}", n, sum(ns), n / sum(ns)))
    cols = ["item", "item_label", "wave", "wave_label", "code", "answer", "n", "n_item", "share"]
    return pd.DataFrame(rows, columns=cols)


def test_who5_statements_pinned_by_the_wave_are_unpublished_and_declared():
    """Frederikshavn's three-month WHO-5 answers (truth run): «Glad og i godt humør» 0, 1, 2, 1,
    2, 1 (five cells of 1-2 adding up to 7: each 1..3) is unpublished; «Rolig» 0, 0, 1, 2, 4, 0
    (three cells of at least 1 adding up to 7 may each be 1..4) is not."""
    items = _who5_items({"who5_1": [0, 1, 2, 1, 2, 1], "who5_2": [0, 0, 1, 2, 4, 0]})
    response = _response(7)
    assert wu.unpublished_items(items, response, 5) == {("who5_1", "3mdr")}
    rels = wu.item_relations(items, response)
    assert [[(t.coef, t.cell.key()) for t in r.terms] for r in rels] == [
        [(1.0, ("", 0, "n_item")), (-1.0, (special.RESPONSE_FILE, 0, special.COMPLETE))],
        [(1.0, ("", 6, "n_item")), (-1.0, (special.RESPONSE_FILE, 0, special.COMPLETE))],
    ]
    hidden = wu.item_hidden(items, {("who5_1", "3mdr")})
    assert {c.row for c in hidden} == set(range(6)) and set(hidden.values()) == {dc.UNPUBLISHED}


def test_who5_statement_published_through_the_publisher_leaks_nothing(tmp_path):
    items = _who5_items({"who5_1": [0, 1, 2, 1, 2, 1], "who5_2": [0, 0, 1, 2, 4, 0]})
    response = _response(7)
    from tpj_helpers.analysis.who5 import disclosure as wd

    def publish(run: Path, min_cell: int):
        pub = Publisher(run, "t", min_cell=min_cell)
        _publish_response(pub, response)
        gone = wu.unpublished_items(items, response, min_cell)
        pub.figure(
            items,
            "who5-items",
            source="x",
            plot=wu.drop_rows(lambda d: plt.subplots()[0], items, gone),
            count_cols=["n", "n_item"],
            linked={"share": "n"},
            relations=wd.item_relations(items) + wu.item_relations(items, response),
            hide_cols=wd.HIDE_COLS,
            hidden=wu.item_hidden(items, gone),
        )

    run, truth = tmp_path / "run", tmp_path / "truth"
    publish(run, 5)
    publish(truth, 1)
    assert audit_run(run).summary()["breaches"] == 0
    findings, _ = oc.check(run, 5, oc.blanks_of(run, truth))
    oc.judge(findings, truth)
    assert _primary_real(findings, truth) == []


def test_who5_wave_with_a_few_questionnaires_without_a_score_is_unpublished():
    """«Skemaer uden alle fem svar» is Tabel 2's fully submitted minus the scores: 2 of 7
    questionnaires without a score come back as 7 - 5. The wave is unpublished in the means
    table (every column but the label) and its estimate rows carry no numbers."""
    means = pd.DataFrame(
        {
            "Måling": ["Før kurset", LABEL],
            wu.N_SCORES: [24, 5],
            "Gennemsnit": [40.0, 30.0],
            wu.N_INCOMPLETE: [0, 2],
        }
    )
    gone = wu.unpublished_waves(means, 5)
    assert gone == {LABEL}
    hidden = wu.means_hidden(means, gone)
    assert sorted((c.row, c.column) for c in hidden) == [
        (1, wu.N_SCORES),
        (1, "Gennemsnit"),
        (1, wu.N_INCOMPLETE),
    ]
    response = pd.concat(
        [_response(24).assign(**{st.WAVE_COLUMN: ["Før kurset"]}), _response(7)],
        ignore_index=True,
    )
    rels = wu.means_relations(means, response)
    assert [r.note for r in rels][
        1
    ] == f"WHO-5 {LABEL}: scores + without all five = fully submitted"
    est = pd.DataFrame(
        {
            "subgroup": ["wave:foer", "wave:3mdr"],
            "estimate": [40.0, 30.0],
            "std_error": [1.0, 2.0],
            "conf_low": [38.0, 26.0],
            "conf_high": [42.0, 34.0],
            "p_value": [np.nan, np.nan],
            "n_persons": pd.array([24, 5], dtype="Int64"),
            "n_obs": pd.array([24, 5], dtype="Int64"),
        }
    )
    out = wu.wave_estimates(est, means, gone, {"foer": "Før kurset", "3mdr": LABEL})
    assert out["estimate"].tolist()[0] == 40.0 and pd.isna(out["estimate"].iloc[1])
    assert pd.isna(out["n_persons"].iloc[1]) and out["n_persons"].iloc[0] == 24
    assert "ikke offentliggjort 3 måneder" in wu.means_source(means, 5, gone)


def test_the_likert_figure_labels_an_unpublished_wave_without_a_bar():
    other = _dist([9, 8, 7, 6, 5]).assign(wave="efter", wave_label="Lige efter kurset")
    dist = pd.concat([other, _dist([1, 2, 2, 1, 1])], ignore_index=True)
    response = pd.concat(
        [_response(35).assign(**{st.WAVE_COLUMN: ["Lige efter kurset"]}), _response(7)],
        ignore_index=True,
    )
    plan = special.plan(dist, response, CODEBOOK, 5)
    assert plan.unpublished == {KEY}
    got = []
    draw = special.without_unpublished(
        lambda d: got.append(st.likert_figure(d, min_cell=5)) or got[-1], dist, plan
    )
    fig = draw(dist)
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "3 måneder efter kurset (ikke offentliggjort)" in labels
    assert any(lbl.startswith("Lige efter kurset (N = 35)") for lbl in labels)
    plt.close(fig)


def test_who5_weighted_table_follows_an_unpublished_three_month_wave():
    """The weighted table's "Besvarelser med WHO-5-score" is the three-month wave's scores: with
    that wave unpublished, every cell but the label and the invitations is unpublished too."""
    waves = {"foer": "Før kurset", "3mdr": LABEL}
    assert wu.ipw_unpublished({LABEL}, waves) and not wu.ipw_unpublished({"Før kurset"}, waves)
    table = pd.DataFrame(
        {
            "Beregning": ["Uvægtet (de, der svarede)"],
            "Besvarelser med WHO-5-score": [5],
            "Inviterede": [28],
            "Gennemsnit": [30.0],
        }
    )
    hidden = wu.ipw_hidden(table, True)
    assert sorted(c.column for c in hidden) == ["Besvarelser med WHO-5-score", "Gennemsnit"]
    assert wu.ipw_hidden(table, False) == {}
    source = wu.ipw_source(SimpleNamespace(n_invited=28, n_responded=5), 5)
    assert "ikke offentliggjort" in source and " 5 " not in source


def test_who5_follows_the_waves_whose_questionnaires_tabel_2_hides():
    """Holbæk, three months after: Tabel 2 hides "Fuldt besvaret" (11 of 15 sent, 4 missing).
    Every WHO-5 count of that wave adds up to the 11, which would give the 4 back, so notebook 20
    (in parallel with notebook 10) recomputes Tabel 2's protection, takes only its shown counts
    as known and leaves that wave's WHO-5 data unpublished."""
    response = pd.concat(
        [_response(12, sent=17).assign(**{st.WAVE_COLUMN: ["Før kurset"]}), _response(11, 15)],
        ignore_index=True,
    )
    hidden = wu.response_hidden(response, 5)
    f, m = special.COMPLETE, st.RESPONSE_COLUMNS["missing"]
    assert hidden == {
        dc.Cell(special.RESPONSE_FILE, 1, f): dc.SECONDARY,
        dc.Cell(special.RESPONSE_FILE, 1, m): dc.PRIMARY,
    }
    assert wu.hidden_waves(response, hidden) == {LABEL}
    known = wu.known(response, hidden)
    assert dc.Cell(special.RESPONSE_FILE, 1, f) not in known
    assert known[dc.Cell(special.RESPONSE_FILE, 0, f)] == 12.0
    means = pd.DataFrame(
        {"Måling": ["Før kurset", LABEL], wu.N_SCORES: [12, 11], wu.N_INCOMPLETE: [0, 0]}
    )
    gone = wu.unpublished_waves(means, 5, wu.hidden_waves(response, hidden))
    assert gone == {LABEL}
    items = _who5_items({"who5_1": [3, 2, 2, 2, 1, 1]})  # 11 answers, three months after
    assert wu.unpublished_items(items, response, 5, gone) == {("who5_1", "3mdr")}
    assert wu.unpublished_items(items, response, 5, set()) == set()


def test_the_recomputed_tabel_2_protection_is_the_published_one(tmp_path):
    """`response_hidden` must give the cells notebook 10's Tabel 2 really hides (its sidecar)."""
    response = pd.concat(
        [
            _response(12, sent=17).assign(**{st.WAVE_COLUMN: ["Før kurset"]}),
            _response(3, sent=15).assign(**{st.WAVE_COLUMN: ["Lige efter kurset"]}),
            _response(11, 15),
        ],
        ignore_index=True,
    )
    _publish_response(Publisher(tmp_path, "t", min_cell=5), response)
    doc = json.loads((tmp_path / "results/disclosure/tables__response.json").read_text())
    published = {
        (h["row"], h["column"]) for h in doc["hidden"] if h["column"] in st.RESPONSE_COUNTS
    }
    assert published == {(c.row, c.column) for c in wu.response_hidden(response, 5)}
    assert len(published) >= 4  # both small waves' counts


def test_the_audit_takes_tabel_2_as_unknown_when_its_notebook_did_not_run(tmp_path):
    """A run of notebook 20 alone (`notebooks: [20_who5]`): WHO-5's relations name Tabel 2,
    which nobody published; its cells are unknown (from 0), not an error. Another file a
    relation names and nobody published is still an error."""
    from tpj_helpers.publish.audit import AuditError

    items = _who5_items({"who5_2": [0, 0, 1, 2, 4, 0]})
    pub = Publisher(tmp_path, "t", min_cell=5)
    pub.figure(
        items,
        "who5-items",
        source="x",
        plot=lambda d: plt.subplots()[0],
        count_cols=["n", "n_item"],
        linked={"share": "n"},
        relations=wu.item_relations(items, _response(7)),
        known=wu.known(_response(7)),
    )
    result = audit_run(tmp_path)
    assert result.summary()["breaches"] == 0
    sidecar = tmp_path / "results/disclosure/figures__who5-items.json"
    doc = json.loads(sidecar.read_text())
    doc["relations"][0]["terms"][1][1][0] = "tables/nowhere.csv"
    sidecar.write_text(json.dumps(doc))
    try:
        audit_run(tmp_path)
    except AuditError as exc:
        assert "tables/nowhere.csv" in str(exc)
    else:
        raise AssertionError("a relation to an unknown file must fail the audit")


def test_a_zero_hidden_with_a_blocked_tabel_2_may_be_zero():
    """Two completers (found on `small_sweep.py keep:2`): Tabel 2 is hidden whole, zeros too. The
    recomputed protection took the hidden zero "missing" of the first wave as «..» (at least
    5), which contradicted "sent = fully submitted + missing" and stopped notebook 20."""
    response = pd.concat(
        [
            _response(2, sent=2).assign(**{st.WAVE_COLUMN: ["Før kurset"]}),
            _response(1, sent=2),
        ],
        ignore_index=True,
    )
    hidden = wu.response_hidden(response, 5)
    m = st.RESPONSE_COLUMNS["missing"]
    assert hidden[dc.Cell(special.RESPONSE_FILE, 0, m)] == dc.BLOCKED  # 0: 0 or at least 5
    assert hidden[dc.Cell(special.RESPONSE_FILE, 1, m)] == dc.PRIMARY  # 1
    model = dc.Model(5, hidden={c.key(): k for c, k in hidden.items()})
    model.relations = [dc.Relation.from_json(r.to_json()) for r in wu.response_relations(response)]
    model.relations = [
        dc.Relation(
            [
                dc.Term(t.coef, dc.Cell(special.RESPONSE_FILE, t.cell.row, t.cell.column))
                for t in r.terms
            ],
            r.lo,
            r.hi,
            r.note,
        )
        if all(t.cell.file == "" for t in r.terms)
        else r
        for r in model.relations
    ]
    dc.intervals(model)  # feasible: no Infeasible raised


def test_an_unpublished_count_small_by_a_marker_alone_is_no_breach():
    # an unpublished item-wave's answers equal Tabel 2's «<5»: 1..4 by that marker alone
    t, u, s = ("t.csv", 0, "n"), ("u.csv", 0, "n"), ("s.csv", 0, "n")
    model = dc.Model(5, hidden={t: dc.PRIMARY, u: dc.UNPUBLISHED})
    model.relations = [dc.equal(dc.Cell(*u), dc.Cell(*t))]
    found = dc.intervals(model)
    assert found[u] == (1.0, 4.0)
    assert dc.unpublished_breaches(model, found) == []
    # pinned by a published value instead: 7 - 4 shown = 3, a breach
    model = dc.Model(5, shown={s: 4.0}, hidden={u: dc.UNPUBLISHED})
    model.relations = [
        dc.Relation([dc.Term(1.0, dc.Cell(*u)), dc.Term(1.0, dc.Cell(*s))], lo=7.0, hi=7.0)
    ]
    found = dc.intervals(model)
    assert found[u] == (3.0, 3.0)
    assert dc.unpublished_breaches(model, found) == [u]
