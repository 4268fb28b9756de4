"""The validated-data cache: kept small, because on real data it holds microdata."""

from __future__ import annotations

import os

from tpj_helpers.data.study import _prune_cache


def test_prune_keeps_the_newest_copies(tmp_path):
    for i in range(6):
        p = tmp_path / f"k{i}.pkl"
        p.write_bytes(b"x")
        os.utime(p, (1_000 + i, 1_000 + i))  # k5 newest
    (tmp_path / "other.txt").write_text("not a cache entry")
    _prune_cache(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k4.pkl", "k5.pkl", "other.txt"]


def test_demo_folder_is_generated_again_when_the_generator_changes(tmp_path, monkeypatch):
    import json

    from tpj_helpers.data import study as data
    from tpj_helpers.synthetic import generate

    monkeypatch.setattr(data, "REPO_ROOT", tmp_path)
    folder = data.demo_data_dir(seed=3, scale=0.2)
    assert folder == tmp_path / ".cache" / "demo-data" / "seed-3-scale-0.2"
    marker = json.loads((folder / generate.MARKER).read_text(encoding="utf-8"))
    assert marker["generator_version"] == generate.generator_version()

    (folder / "stale.csv").write_text("left by an older generator")
    assert data.demo_data_dir(seed=3, scale=0.2) == folder
    assert (folder / "stale.csv").exists()  # same version: the cached folder is reused

    from tpj_helpers.synthetic import marker

    monkeypatch.setattr(marker, "generator_version", lambda: "another-version")
    monkeypatch.setattr(data, "generator_version", lambda: "another-version")
    monkeypatch.setattr(generate, "generator_version", lambda: "another-version")
    data.demo_data_dir(seed=3, scale=0.2)
    assert not (folder / "stale.csv").exists()  # regenerated from scratch
    marker = json.loads((folder / generate.MARKER).read_text(encoding="utf-8"))
    assert marker["generator_version"] == "another-version"
