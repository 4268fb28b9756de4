"""The `kommuner` run parameter (a report variant per municipality): only those persons stay, and
the ledger counts the others."""

from __future__ import annotations

from tpj_helpers.data.study import load_data

REASON = "municipality not selected in the run parameters (kommuner)"


def test_kommuner_keeps_that_municipalitys_persons_and_counts_the_rest(small_demo):
    everyone = load_data(small_demo, cache=False)
    counts = everyone.persons["kommune"].value_counts()
    chosen = [counts.index[0], counts.index[1]]
    some = load_data(small_demo, cache=False, kommuner=chosen)
    assert set(some.persons["kommune"]) == set(chosen)
    assert len(some.persons) == counts[chosen].sum()
    assert some.exclusions.count("enrolments", REASON) == len(everyone.persons) - counts[chosen].sum()
    assert set(some.panel.weeks["person_id"]) <= set(some.persons["person_id"])
    # The default leaves everyone in and records no such exclusion.
    assert everyone.exclusions.count("enrolments", REASON) == 0
