"""The validated-data cache: kept small, because on real data it holds microdata."""

from __future__ import annotations

import os

from tpj_helpers.data import _prune_cache


def test_prune_keeps_the_newest_copies(tmp_path):
    for i in range(6):
        p = tmp_path / f"k{i}.pkl"
        p.write_bytes(b"x")
        os.utime(p, (1_000 + i, 1_000 + i))  # k5 newest
    (tmp_path / "other.txt").write_text("not a cache entry")
    _prune_cache(tmp_path, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k4.pkl", "k5.pkl", "other.txt"]
