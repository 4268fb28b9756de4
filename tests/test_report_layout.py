"""The renderer's modules: the old entry points still work, and rendering imports no pandas."""

from __future__ import annotations

import subprocess
import sys

from tpj_helpers.paths import REPO_ROOT


def test_render_keeps_the_public_names_of_the_single_module():
    from tpj_helpers.report import notebooks, render, resolve, source

    assert render.cell_options is notebooks.cell_options
    assert render.resolve_report is resolve.resolve_report
    assert render.stage_source is source.stage_source
    assert set(render.__all__) >= {"RenderError", "RenderResult", "render_report", "is_synthetic"}


def test_the_renderer_imports_neither_pandas_nor_matplotlib():
    code = (
        "import sys, tpj_helpers.report.render; "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
