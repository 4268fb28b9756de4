"""Does Bilag 1 against Tabel 4 pin down a hidden cell? The audit of run folders with the relation
`analysis/data_quality/disclosure.bilag1_relations` added to what the run declares (issue 12).

For each run folder: the audit's model (`publish.audit.load_model`: shown values, hidden cells,
declared relations), plus Bilag 1's holds per phase adding up to Tabel 4's phase counts and its
'I alt' row repeating Tabel 4's total column; every hidden cell's interval by the audit's own
integer programme (`disclosure.intervals`), and the cells that the relation narrows compared to
the audit without it. A primary cell narrower than 1..min_cell-1 is a breach.

    .venv/bin/python benchmarks/bilag1_check.py RUN_DIR [RUN_DIR ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from tpj_helpers.analysis.data_quality.disclosure import (
    BILAG1_FILE,
    ENROLMENT_FILE,
    bilag1_relations,
)
from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish.audit import load_model


def _own(rel: dc.Relation, file: str) -> dc.Relation:
    """Cells named "" (the table being published) as cells of `file`."""
    terms = [
        dc.Term(
            t.coef,
            dc.Cell(t.cell.file or file, t.cell.row, t.cell.column),
            t.factor,
        )
        for t in rel.terms
    ]
    return dc.Relation(terms, rel.lo, rel.hi, rel.note)


# The files whose relations reach Bilag 1 and Tabel 4 (notebook 00); the model is cut down to them
# when the whole run's model is infeasible (a failed run's partial files)
DATA_QUALITY = (
    BILAG1_FILE,
    ENROLMENT_FILE,
    "tables/register_coverage.csv",
    "tables/tabel3_representativeness.csv",
    "figures/municipalities.csv",
    "tables/deep_dive_municipalities.csv",
)


def _cut(model: dc.Model) -> dc.Model:
    keep = [r for r in model.relations if all(t.cell.file in DATA_QUALITY for t in r.terms)]
    hidden = {k: v for k, v in model.hidden.items() if k[0] in DATA_QUALITY}
    return dc.Model(model.min_cell, model.shown, hidden, keep, model.linked)


def check(run_dir: Path) -> dict:
    model = load_model(run_dir)
    cut = False
    try:
        before = dc.intervals(model)
    except dc.Infeasible:
        model, cut = _cut(model), True
        before = dc.intervals(model)
    bilag1 = pd.read_csv(run_dir / BILAG1_FILE, dtype=str, keep_default_na=False)
    enrolment = pd.read_csv(run_dir / ENROLMENT_FILE, dtype=str, keep_default_na=False)
    rels = [_own(r, BILAG1_FILE) for r in bilag1_relations(bilag1, enrolment)]
    model.relations += rels
    after = dc.intervals(model)
    narrowed = [
        {"cell": list(k), "kind": model.hidden[k], "before": list(before[k]), "after": list(v)}
        for k, v in after.items()
        if k in before and (v[0] > before[k][0] + 1e-6 or v[1] < before[k][1] - 1e-6)
    ]
    breaches = dc.breaches(model, after)
    in_tables = {
        f: sum(1 for k in model.hidden if k[0] == f) for f in (BILAG1_FILE, ENROLMENT_FILE)
    }
    return {
        "run": str(run_dir),
        "min_cell": model.min_cell,
        "model": "notebook 00's files only (the run's whole model is infeasible)" if cut else "run",
        "relations_added": len(rels),
        "hidden_in": in_tables,
        "narrowed": narrowed,
        "breaches": [list(b) for b in breaches],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dirs", type=Path, nargs="+")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    out = []
    for d in a.run_dirs:
        r = check(d)
        out.append(r)
        print(
            f"{d}: {r['relations_added']} relations, hidden {r['hidden_in']}, "
            f"{len(r['narrowed'])} cells narrowed, {len(r['breaches'])} breaches"
        )
        for n in r["narrowed"]:
            print(f"   {n['cell']} {n['kind']}: {n['before']} -> {n['after']}")
    if a.json:
        a.json.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
