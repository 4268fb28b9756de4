"""Fixtures shared by the test modules that need a whole `tpj run` (they are slow: one per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run import runner
from tpj_helpers.synthetic.generate import generate_demo_data


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """Demo data, seed 7, half size."""
    return generate_demo_data(tmp_path_factory.mktemp("data") / "demo", seed=7, scale=0.5)


@pytest.fixture(scope="session")
def full_run(tmp_path_factory, small_demo):
    """One complete run (every notebook, the final ones and the report) on `small_demo`."""
    tmp = tmp_path_factory.mktemp("run")
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    (tmp / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return runner.run(
        tmp / "params.yaml", data_dir=str(small_demo), out_root=tmp / "out", quiet=True
    )
