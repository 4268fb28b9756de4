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
    assert (
        some.exclusions.count("enrolments", REASON) == len(everyone.persons) - counts[chosen].sum()
    )
    assert set(some.panel.weeks["person_id"]) <= set(some.persons["person_id"])
    # The default leaves everyone in and records no such exclusion.
    assert everyone.exclusions.count("enrolments", REASON) == 0


def test_every_notebook_that_loads_the_data_declares_and_passes_kommuner():
    import nbformat

    from tpj_helpers.paths import REPO_ROOT

    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        if "load_data(" not in code:
            continue
        params = next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))
        assert "kommuner = None" in params.splitlines(), path.name
        assert "kommuner=kommuner" in code, path.name
