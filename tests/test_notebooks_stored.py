"""Every notebook in notebooks/ is stored stripped and can be parameterised by Papermill."""

from __future__ import annotations

import json

import pytest

from tpj_helpers.paths import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs_and_execution_counts(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    with_outputs = [i for i, c in enumerate(nb["cells"]) if c.get("outputs")]
    counted = [i for i, c in enumerate(nb["cells"]) if c.get("execution_count") is not None]
    assert not with_outputs, f"{path.name}: cells {with_outputs} have outputs (nbstripout)"
    assert not counted, f"{path.name}: cells {counted} have execution counts (nbstripout)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_parameters_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    tagged = [
        i
        for i, c in enumerate(nb["cells"])
        if "parameters" in (c.get("metadata") or {}).get("tags", [])
    ]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters', expected 1"
    assert nb["cells"][tagged[0]]["cell_type"] == "code"
