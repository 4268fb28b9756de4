"""Tabel 6's N in the week before the course is printed in the text (issue 12, part 4).

`register_reading` opens "Analysen omfatter <N> kursister" with the persons who have data in the
week before the course, and the captions print the same N. On the demo (min_cell 5) the means
table hid that N as a secondary cell, and with "Heraf med en score" (265) shown the hidden count
without a score at that week (3) followed from the text: 268 - 265. The relations of Tabel 6 now
pin that N to the printed value, so the protection chooses other complements and the audit knows
what a reader knows.
"""

from __future__ import annotations

from test_disclosure_small import frederikshavn, publish_like_notebook_30

from tpj_helpers.analysis.register_regressions import disclosure as t6d
from tpj_helpers.analysis.register_regressions.models import N_LABEL
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import audit_run
from tpj_helpers.publish.publisher import Publisher


def test_n_before_the_course_is_pinned_to_the_printed_value():
    table, means, weekly = frederikshavn()
    rels, _ = t6d.tabel6_relations(table, means, weekly)
    n_row = table.iloc[:, 0].astype(str).tolist().index(N_LABEL)
    pinned = [
        r
        for r in rels
        if len(r.terms) == 1 and r.terms[0].cell == dc.Cell("", n_row, "Ugen før kursus")
    ]
    assert len(pinned) == 1
    assert pinned[0].lo == pinned[0].hi == float(means.iloc[1]["Kursister med data"]) == 23


def test_with_the_printed_n_every_hidden_count_still_allows_1_to_4(tmp_path):
    table, means, weekly = frederikshavn()
    publish_like_notebook_30(
        Publisher(tmp_path, "30_register_regressions", min_cell=5), table, means, weekly
    )
    result = audit_run(tmp_path)
    assert result.summary()["breaches"] == 0
    cells = result.cells.set_index(["table", "row", "column"])
    n_row = table.iloc[:, 0].astype(str).tolist().index(N_LABEL)
    key = ("tables/register_tabel6.csv", n_row, "Ugen før kursus")
    if key in cells.index:  # hidden: then the audit knows it exactly, as a reader does
        assert cells.loc[key, "lower"] == cells.loc[key, "upper"] == 23
    na = cells.loc["tables/register_tabel6.csv"]
    prim = na[na["kind"] == dc.PRIMARY]
    assert (prim["lower"] <= 1).all() and (prim["upper"] >= 4).all()
