"""Incremental runs: a notebook is reused when its source, declared parameters, data and code are
unchanged, executed otherwise; a reused run folder is the same as an executed one; `--only` and
a `notebooks` subset execute one notebook and still render the whole report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from test_runner import params_file, tree_digest

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run import cache as nbcache
from tpj_helpers.run import cli, runner

TABLE = (
    "import pandas as pd\nfrom tpj_helpers.publish.publisher import Publisher\n"
    "pub = Publisher(output_dir, '{nb}', 1)\n"
    "pub.table(pd.DataFrame({{'gruppe': ['a'], 'n': [{n}]}}), '{nb}', source='test')\n"
    "pub.estimates(pd.DataFrame([dict(analysis='t', model='{nb}', subgroup='all', term='x', "
    "estimate={n}, std_error=None, conf_low=None, conf_high=None, p_value=None, stars=None, "
    "n_persons=3, n_obs=3)]))\n"
)
FINAL = (
    "import pandas as pd\nfrom pathlib import Path\n"
    "est = pd.read_csv(Path(output_dir) / 'results' / 'estimates.csv')\n"
    "pd.DataFrame({'total': [est['estimate'].sum()]}).to_csv(Path(output_dir) / 'tables' / 'total.csv', index=False)\n"
)


def notebook(path: Path, body: str, declared: str = "") -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("output_dir = 'output/dev'\ndata_dir = 'demo'\n" + declared)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def sources(result) -> dict[str, str]:
    return {k: v["source"] for k, v in result.manifest["notebooks"].items()}


def test_unchanged_inputs_reuse_and_each_dependency_reexecutes(tmp_path, small_demo, monkeypatch):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    notebook(nb_dir / "a.ipynb", TABLE.format(nb="a", n=7), declared="quotes_per_theme = 2")
    notebook(nb_dir / "b.ipynb", TABLE.format(nb="b", n=9))
    notebook(nb_dir / "z.ipynb", FINAL)
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    out = tmp_path / "out"

    def run(**overrides):
        params = params_file(tmp_path, notebooks=["a", "b"], final_notebooks=["z"], **overrides)
        return runner.run(params, data_dir=str(data), out_root=out, render=False, quiet=True)

    data = tmp_path / "data"
    shutil.copytree(small_demo, data)

    first = run()
    assert sources(first) == {"a": "run", "b": "run", "z": "run"}
    assert sorted(first.manifest["notebooks"]["a"]["outputs"]) == [
        "results/disclosure/tables__a.json",
        "results/estimates_a.csv",
        "tables/a.csv",
    ]
    assert first.manifest["notebooks"]["z"]["outputs"] == ["tables/total.csv"]

    second = run()
    assert sources(second) == {"a": "cache", "b": "cache", "z": "cache"}
    assert second.manifest["data_check"].startswith("skipped")
    assert second.manifest["synthetic"] is True
    for sub in ("notebooks", "tables", "results"):
        assert tree_digest(second.run_dir / sub) == tree_digest(first.run_dir / sub)
    assert pd.read_csv(second.run_dir / "tables" / "total.csv")["total"].tolist() == [16.0]
    assert not (second.run_dir / ".stage").exists()

    # A parameter `a` declares: only `a` runs again; `z` reads the same run folder, so is reused.
    assert sources(run(quotes_per_theme=3)) == {"a": "run", "b": "cache", "z": "cache"}
    # A parameter no notebook declares and the runner does not pass: all reused.
    assert sources(run(triangulation="params/triangulation.yaml", quotes_per_theme=2)) == {
        "a": "cache",
        "b": "cache",
        "z": "cache",
    }
    # A changed notebook: it runs; the final notebook sees a changed estimate and runs too.
    notebook(nb_dir / "b.ipynb", TABLE.format(nb="b", n=10))
    changed = run()
    assert sources(changed) == {"a": "cache", "b": "run", "z": "run"}
    assert pd.read_csv(changed.run_dir / "tables" / "total.csv")["total"].tolist() == [17.0]
    # A parameter every notebook receives (min_cell): all run.
    assert set(sources(run(min_cell=4)).values()) == {"run"}
    # Changed data content: all run.
    enrol = data / "enrolments.csv"
    enrol.write_text(enrol.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert set(sources(run()).values()) == {"run"}
    # --no-cache: all run.
    params = params_file(tmp_path, notebooks=["a", "b"], final_notebooks=["z"])
    res = runner.run(
        params, data_dir=str(data), out_root=out, render=False, quiet=True, cache=False
    )
    assert set(sources(res).values()) == {"run"}


def test_changed_code_changes_every_key(tmp_path):
    pkg = tmp_path / "tpj_helpers"
    pkg.mkdir()
    (pkg / "m.py").write_text("x = 1\n")
    (tmp_path / "requirements.lock").write_text("pandas==2.0\n")
    before = nbcache.code_hash(tmp_path)
    (pkg / "m.py").write_text("x = 2\n")
    assert nbcache.code_hash(tmp_path) != before
    (pkg / "m.py").write_text("x = 1\n")
    assert nbcache.code_hash(tmp_path) == before
    (tmp_path / "requirements.lock").write_text("pandas==2.1\n")
    assert nbcache.code_hash(tmp_path) != before


def test_a_file_parameter_enters_the_key_by_content(tmp_path):
    source = tmp_path / "n.ipynb"
    source.write_text("{}")
    table = tmp_path / "map.csv"
    table.write_text("a,1\n")

    def key():
        return nbcache.notebook_key(
            source, {"dream_score_map": str(table), "data_dir": "/x"}, "data", "code", Path
        )

    before = key()
    assert (
        nbcache.notebook_key(
            source, {"dream_score_map": str(table), "data_dir": "/elsewhere"}, "data", "code", Path
        )
        == before
    )  # the data by content only
    table.write_text("a,2\n")
    assert key() != before


@pytest.mark.parametrize("how", ["only", "subset"])
def test_one_notebook_runs_and_the_report_is_complete(full_run, small_demo, tmp_path, how):
    out = full_run.run_dir.parent
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    if how == "only":
        argv = ["--only", "20_who5"]
    else:
        params.update(notebooks=["20_who5"], final_notebooks=[])
        argv = []
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    assert (
        cli.main(
            ["run", "--params", str(path), "--data-dir", str(small_demo), "--out", str(out), *argv]
        )
        == 0
    )
    latest = (out / "latest").resolve()
    assert latest != full_run.run_dir.resolve()
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    got = {k: v["source"] for k, v in manifest["notebooks"].items()}
    assert got.pop("20_who5") == "run"
    assert set(got) == set(full_run.manifest["notebooks"]) - {"20_who5"}
    assert set(got.values()) == {"cache"}
    assert manifest["status"] == "ok" and manifest["report"]["source"] == "run"
    assert (latest / "report" / "index.html").stat().st_size > 0 and (
        latest / "report" / "report.pdf"
    ).is_file()
    for sub in ("tables", "figures", "results"):
        assert tree_digest(latest / sub) == tree_digest(full_run.run_dir / sub)
