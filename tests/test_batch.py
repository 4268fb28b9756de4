"""`tpj batch`: variants as independent runs with a shared cache, a failure that does not stop
the others, the index page; locally and on a two-worker Dask LocalCluster."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run import batch


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory, small_demo) -> Path:
    tmp = tmp_path_factory.mktemp("batch")
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    params.update(data_dir=str(small_demo), notebooks=["20_who5"], final_notebooks=[])
    (tmp / "base.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    spec = {
        "base": str(tmp / "base.yaml"),
        "batch_min_persons": 40,
        "variants": [{"by": "phase"}, {"name": "ukendt-parameter", "params": {"min_cel": 3}}],
    }
    (tmp / "batch.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return tmp / "batch.yaml"


def test_variants_per_phase_and_per_municipality_over_the_threshold(tmp_path, small_demo):
    counts = batch.kommune_counts(small_demo)
    threshold = sorted(counts.values())[-3]  # the three largest municipalities (no ties assumed)
    assert len([k for k, n in counts.items() if n >= threshold]) == 3
    spec = {
        "base": "params/default.yaml",
        "batch_min_persons": threshold,
        "variants": [{"by": "phase"}, {"by": "kommune"}],
    }
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    base = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    base["data_dir"] = str(small_demo)
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    spec["base"] = str(tmp_path / "base.yaml")
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    _, variants, _ = batch.read_batch(path)
    largest = sorted(counts, key=counts.get)[-3:]
    assert {v.name: v.params for v in variants} == {
        "fase-pilot": {"phases": ["pilot"]},
        "fase-udbredelse": {"phases": ["udbredelse"]},
        **{f"kommune-{batch._slug(k)}": {"kommuner": [k]} for k in largest},
    }


def test_a_bad_batch_file_is_refused(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump({"variants": [{"by": "region"}]}), encoding="utf-8")
    with pytest.raises(batch.BatchError, match="variant 1 needs"):
        batch.read_batch(path)


def check(batch_dir: Path, results) -> None:
    by_name = {r.name: r for r in results}
    assert list(by_name) == ["fase-pilot", "fase-udbredelse", "ukendt-parameter"]
    assert by_name["fase-pilot"].ok and by_name["fase-udbredelse"].ok
    assert by_name["ukendt-parameter"].exit_code == 2  # bad parameters; the others still ran
    for name in ("fase-pilot", "fase-udbredelse"):
        manifest = json.loads(
            (Path(by_name[name].run_dir) / "manifest.json").read_text(encoding="utf-8")
        )
        assert manifest["status"] == "ok" and manifest["params"]["phases"] == [name.split("-")[1]]
    page = (batch_dir / "index.html").read_text(encoding="utf-8")
    parser = Links()
    parser.feed(page)
    assert len(parser.links) == 2  # each successful variant's run (no render in these tests)
    for link in parser.links:
        assert (batch_dir / link).resolve().is_file()
    assert (
        "ukendt-parameter" in page and "FEJLET (2" in page and "Fejlede: ukendt-parameter" in page
    )


def test_local_batch(batch_file, tmp_path_factory):
    out = batch_file.parent / "out"
    batch_dir, results = batch.run_batch(batch_file, out_root=out, jobs=2, quiet=True, render=False)
    check(batch_dir, results)


def test_dask_batch_on_a_local_cluster_reuses_the_shared_cache(batch_file):
    from distributed import LocalCluster

    out = batch_file.parent / "out"  # the local batch's output root: its cache is shared
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        batch_dir, results = batch.run_batch(
            batch_file, out_root=out, cluster=cluster, quiet=True, render=False
        )
    check(batch_dir, results)
    for r in results[:2]:
        manifest = json.loads((Path(r.run_dir) / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["notebooks"]["20_who5"]["source"] == "cache"
