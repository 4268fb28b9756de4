"""The SYNTHETIC marker of a demo data folder, without the generator's heavy imports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MARKER = "SYNTHETIC"


def is_synthetic(data_dir: Path | str) -> bool:
    return (Path(data_dir) / MARKER).is_file()


def generator_version() -> str:
    """A hash of the generator's code and calibration files: a cached demo folder made by another
    version is generated again (see `tpj_helpers.data.study.demo_data_dir`)."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".yaml", ".yml", ".csv") and path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def marker_info(data_dir: Path | str) -> dict:
    """The SYNTHETIC marker's content ({} when absent or unreadable)."""
    try:
        return json.loads((Path(data_dir) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


__all__ = ["MARKER", "generator_version", "is_synthetic", "marker_info"]
