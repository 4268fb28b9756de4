"""Reading executed notebooks: the labelled code cells (Quarto `#| label:`) and their outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from tpj_helpers.report.errors import RenderError

# Outputs that are not content: papermill's parameter cells, warnings on stderr.
SKIPPED_TAGS = {"injected-parameters", "parameters"}


@dataclass(frozen=True)
class LabelledCell:
    notebook: Path
    index: int  # position among the notebook's cells
    label: str
    options: dict
    outputs: list


def cell_options(source: str) -> dict:
    """The Quarto cell options (`#| key: value` lines at the top of a code cell) as a dict.

    The block is read as YAML; if it is not valid YAML as a whole, each line is read on its own
    (a malformed line keeps its raw text) so that one bad option cannot hide a cell's label.
    """
    lines = []
    for line in source.splitlines():
        if line.startswith("#|"):
            lines.append(line[2:].removeprefix(" "))
        elif line.strip() or lines:
            break
    if not lines:
        return {}
    try:
        opts = yaml.safe_load("\n".join(lines))
        if isinstance(opts, dict):
            return {str(k): v for k, v in opts.items()}
    except yaml.YAMLError:
        pass
    opts = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep:
            continue
        try:
            opts[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            opts[key.strip()] = value.strip()
    return opts


def _joined(value) -> str:
    """nbformat stores multi-line strings either whole or as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def notebook_labels(path: Path) -> dict[str, list[LabelledCell]]:
    """Every labelled code cell of an (executed) notebook, by label (a list: labels may repeat).

    The .ipynb is read as plain JSON (nbformat 4): importing nbformat costs seconds (its JSON
    schema validator) and the renderer needs no validation, only sources and outputs.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RenderError(f"{path}: cannot read the notebook (not JSON): {exc}") from exc
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise RenderError(f"{path}: not a notebook in nbformat 4")
    labels: dict[str, list[LabelledCell]] = {}
    for i, cell in enumerate(nb["cells"]):
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if cell.get("cell_type") != "code" or SKIPPED_TAGS & tags:
            continue
        opts = cell_options(_joined(cell.get("source")))
        label = opts.get("label")
        if isinstance(label, str) and label:
            outputs = []
            for o in cell.get("outputs") or []:
                if "data" in o:
                    o = {
                        **o,
                        "data": {
                            k: (v if isinstance(v, dict) else _joined(v))
                            for k, v in o["data"].items()
                        },
                    }
                outputs.append(o)
            labels.setdefault(label, []).append(LabelledCell(path, i, label, opts, outputs))
    return labels


def markdown_outputs(cell: LabelledCell) -> list[str]:
    return [
        o["data"]["text/markdown"].strip()
        for o in cell.outputs
        if o.get("output_type") in ("display_data", "execute_result")
        and "text/markdown" in o.get("data", {})
    ]
