"""Relations an earlier file of the same run declared, read back from its disclosure sidecar.

The Publisher's model of one file holds that file's relations only (other files' cells taken as
known). A later file whose relations run into an earlier file's hidden cells must pass the earlier
file's relations along, or its protection cannot see how those cells are pinned; the sidecar
(`results/disclosure/<file>.json`) holds them exactly as declared.
"""

from __future__ import annotations

import json
from pathlib import Path

from tpj_helpers.publish.disclosure import SIDECAR_DIR, Relation


def sidecar_path(run_dir: Path | str, file: str) -> Path:
    return Path(run_dir) / SIDECAR_DIR / (file.replace("/", "__").removesuffix(".csv") + ".json")


def declared(run_dir: Path | str, file: str) -> list[Relation]:
    """The relations `file` was published with in `run_dir` ([] when it was not published)."""
    path = sidecar_path(run_dir, file)
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [Relation.from_json(r) for r in doc["relations"]]
