"""Relations an earlier file of the same run declared, read back from its disclosure sidecar.

The Publisher's model of one file holds that file's relations only (other files' cells taken as
known). A later file whose relations run into an earlier file's hidden cells must pass the earlier
file's relations along, or its protection cannot see how those cells are pinned; the sidecar
(`results/disclosure/<file>.json`) holds them exactly as declared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tpj_helpers.publish.disclosure import SIDECAR_DIR, Cell, Relation, Term
from tpj_helpers.publish.withhold import withheld_files


def sidecar_path(run_dir: Path | str, file: str) -> Path:
    return Path(run_dir) / SIDECAR_DIR / (file.replace("/", "__").removesuffix(".csv") + ".json")


def declared(run_dir: Path | str, file: str) -> list[Relation]:
    """The relations `file` was published with in `run_dir` ([] when it was not published),
    without those naming a cell of `file` that is neither a number nor hidden (an empty cell of a
    column that does not apply to the row): such a relation tells an attacker nothing (the audit
    skips it too), and a later file could not be protected against it."""
    path = sidecar_path(run_dir, file)
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    hidden = {(h["row"], h["column"]) for h in doc["hidden"]}
    csv = Path(run_dir) / file
    values = pd.read_csv(csv, dtype=str, keep_default_na=False) if csv.exists() else None

    def usable(cell) -> bool:
        if cell is None or cell.file != file or values is None:
            return True
        if (cell.row, cell.column) in hidden:
            return True
        if cell.column not in values.columns or cell.row >= len(values):
            return False
        return not pd.isna(pd.to_numeric(values.at[cell.row, cell.column], errors="coerce"))

    rels = [Relation.from_json(r) for r in doc["relations"]]
    return [r for r in rels if all(usable(t.cell) and usable(t.factor) for t in r.terms)]


def add_relations(run_dir: Path | str, file: str, relations: list[Relation]) -> None:
    """Append relations (cells of file "" are `file`'s) to the sidecar of a published file: for a
    relation the audit must check but the file's protection must not be given (see
    `analysis/survey_outcomes/disclosure.indicator_protection`)."""
    if file in withheld_files(run_dir):  # nothing of it published: no relation to check
        return
    path = sidecar_path(run_dir, file)
    doc = json.loads(path.read_text(encoding="utf-8"))
    for r in relations:
        fix = lambda c: c if c is None or c.file else Cell(file, c.row, c.column)  # noqa: E731
        rel = Relation(
            [Term(t.coef, fix(t.cell), fix(t.factor)) for t in r.terms], r.lo, r.hi, r.note
        )
        doc["relations"].append(rel.to_json())
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
