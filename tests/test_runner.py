"""`tpj run`: the output contract, failure handling, and the committed notebooks."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS
from tpj_helpers.run import runner

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def params_file(tmp_path: Path, **overrides) -> Path:
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    params.update(overrides)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def tiny_notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("output_dir = 'output/dev'\ndata_dir = 'demo'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- committed notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs_and_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert any("parameters" in c.metadata.get("tags", []) for c in code)


def test_the_default_parameters_name_every_notebook():
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    assert sorted(params["notebooks"] + params["final_notebooks"]) == [p.stem for p in NOTEBOOKS]
    assert params["final_notebooks"] == ["50_deep_dive_synthesis", "90_summary"]
    assert params["min_cell"] == 5 and params["data_dir"] == "demo"


def test_unknown_parameter_is_refused(tmp_path):
    with pytest.raises(runner.RunError, match="unknown parameter"):
        runner.read_params(params_file(tmp_path, min_cel=3))


# --------------------------------------------------------------------------- failure handling


def test_failing_notebook_stops_the_run_and_leaves_earlier_runs_alone(
    tmp_path, small_demo, monkeypatch
):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "ok.ipynb", "x = 1 + 1")
    tiny_notebook(nb_dir / "broken.ipynb", "raise ValueError('boom: the data disagree')")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    out = tmp_path / "out"

    good = runner.run(
        params_file(tmp_path, notebooks=["ok"], final_notebooks=[]),
        data_dir=str(small_demo),
        out_root=out,
        render=False,
        quiet=True,
    )
    assert good.ok and (out / "latest").resolve() == good.run_dir.resolve()
    before = tree_digest(good.run_dir)

    with pytest.raises(
        runner.RunError, match=r"broken failed in cell 2 \(raise ValueError.*\): ValueError: boom"
    ):
        runner.run(
            params_file(tmp_path, notebooks=["ok", "broken"], final_notebooks=[]),
            data_dir=str(small_demo),
            out_root=out,
            render=False,
            quiet=True,
        )

    runs = sorted(
        p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
    )
    assert len(runs) == 2
    failed = next(p for p in runs if p != good.run_dir)
    manifest = json.loads((failed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    assert manifest["notebooks"]["ok"]["status"] == "ok"
    err = manifest["notebooks"]["broken"]
    # Index in the executed notebook: papermill inserts its injected-parameters cell after ours.
    assert err["status"] == "failed" and err["error"]["cell_index"] == 2
    assert err["error"]["cell_source"].startswith("raise ValueError")
    assert err["error"]["error"] == "ValueError" and "boom" in err["error"]["message"]
    assert (
        failed / "notebooks" / "broken.ipynb"
    ).is_file()  # the executed notebook, with the error
    assert tree_digest(good.run_dir) == before
    assert (out / "latest").resolve() == good.run_dir.resolve()


ESTIMATE_ROW = (
    "import pandas as pd\nfrom tpj_helpers.publish.publisher import Publisher\n"
    "Publisher(output_dir, '{nb}').estimates(pd.DataFrame([dict(analysis='t', model='{nb}', "
    "subgroup='all', term='x', estimate=1.5, std_error=None, conf_low=None, conf_high=None, "
    "p_value=None, stars=None, n_persons=30, n_obs=30)]))\n"
)


def test_final_notebooks_run_after_the_estimates_are_collected(tmp_path, small_demo, monkeypatch):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "a.ipynb", ESTIMATE_ROW.format(nb="a"))
    tiny_notebook(
        nb_dir / "z_final.ipynb",
        (
            "from pathlib import Path\nimport pandas as pd\n"
            "est = pd.read_csv(Path(output_dir) / 'results' / 'estimates.csv')\n"
            "assert list(est['model']) == ['a'], 'the first phase was not collected'\n"
            + ESTIMATE_ROW.format(nb="z_final")
        ),
    )
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    result = runner.run(
        params_file(tmp_path, notebooks=["a"], final_notebooks=["z_final"]),
        data_dir=str(small_demo),
        out_root=tmp_path / "out",
        render=False,
        quiet=True,
    )
    assert [r.name for r in result.notebooks] == ["a", "z_final"]
    assert set(result.manifest["notebooks"]) == {"a", "z_final"}
    est = pd.read_csv(result.run_dir / "results" / "estimates.csv")
    assert list(est["model"]) == ["a", "z_final"] and list(est.columns) == [
        *ESTIMATE_COLUMNS,
        "p_holm",
    ]
    assert not list((result.run_dir / "results").glob("estimates_*.csv"))
    runner.collect_estimates(result.run_dir)  # idempotent: nothing new, nothing doubled
    assert pd.read_csv(result.run_dir / "results" / "estimates.csv").equals(est)


def test_final_notebooks_do_not_run_after_a_failure_and_reuse_a_warm_kernel(
    tmp_path, small_demo, monkeypatch
):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "a.ipynb", "import os\nprint(os.getpid())")
    tiny_notebook(nb_dir / "bad.ipynb", "raise ValueError('boom')")
    tiny_notebook(nb_dir / "z_final.ipynb", "import os\nprint(os.getpid())")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    with pytest.raises(runner.RunError, match="bad failed"):
        runner.run(
            params_file(tmp_path, notebooks=["a", "bad"], final_notebooks=["z_final"]),
            data_dir=str(small_demo),
            out_root=tmp_path / "out1",
            render=False,
            quiet=True,
        )
    failed = next(
        p for p in (tmp_path / "out1").iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    assert not (failed / "notebooks" / "z_final.ipynb").exists()  # never started

    result = runner.run(
        params_file(tmp_path, notebooks=["a"], final_notebooks=["z_final"]),
        data_dir=str(small_demo),
        out_root=tmp_path / "out2",
        jobs=1,
        render=False,
        quiet=True,
    )

    def pid(name: str) -> str:
        nb = nbformat.read(result.run_dir / "notebooks" / f"{name}.ipynb", as_version=4)
        return nb.cells[-1].outputs[0]["text"].strip()

    assert pid("z_final") == pid("a")  # the final phase ran on the worker's warm kernel


def test_a_missing_final_notebook_stops_the_run_before_any_notebook(tmp_path, small_demo):
    with pytest.raises(runner.RunError, match="no notebook 99_nothing"):
        runner.run(
            params_file(tmp_path, final_notebooks=["99_nothing"]),
            data_dir=str(small_demo),
            out_root=tmp_path / "out",
            render=False,
            quiet=True,
        )
    manifest = json.loads(
        next((tmp_path / "out").glob("*/manifest.json")).read_text(encoding="utf-8")
    )
    assert manifest["status"] == "failed" and manifest["notebooks"] == {}


def test_collect_estimates_merges_with_an_existing_file(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    row = dict.fromkeys(ESTIMATE_COLUMNS, None) | {"analysis": "t", "term": "x", "estimate": 0.1}
    pd.DataFrame([row | {"model": "m1"}]).to_csv(results / "estimates_a.csv", index=False)
    runner.collect_estimates(tmp_path)
    pd.DataFrame([row | {"model": "m2"}, row | {"model": "m1"}]).to_csv(
        results / "estimates_b.csv", index=False
    )
    runner.collect_estimates(tmp_path)
    runner.collect_estimates(tmp_path)
    est = pd.read_csv(results / "estimates.csv")
    assert list(est["model"]) == ["m1", "m2"] and list(est.columns) == [*ESTIMATE_COLUMNS, "p_holm"]


def test_a_reused_kernel_starts_each_notebook_clean(tmp_path, small_demo, monkeypatch):
    """One worker (jobs=1) runs three notebooks in one kernel: the second sees nothing of the
    first (variables, figures, matplotlib settings), and the third still runs after a failure."""
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(
        nb_dir / "a_dirty.ipynb",
        (
            "import os, matplotlib as mpl, matplotlib.pyplot as plt\n"
            "leftover = 42\nplt.figure()\nmpl.rcParams['lines.linewidth'] = 9.0\n"
            "print(os.getpid())"
        ),
    )
    tiny_notebook(
        nb_dir / "b_check.ipynb",
        (
            "import os, matplotlib as mpl, matplotlib.pyplot as plt\n"
            "assert 'leftover' not in globals(), 'namespace not reset'\n"
            "assert plt.get_fignums() == [], 'figures left open'\n"
            "assert mpl.rcParams['lines.linewidth'] != 9.0, 'rcParams not reset'\n"
            "raise RuntimeError(f'pid {os.getpid()}')"
        ),
    )
    tiny_notebook(nb_dir / "c_after.ipynb", "import os\nprint(os.getpid())")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    run_dir = tmp_path / "run"
    (run_dir / "notebooks").mkdir(parents=True)
    params = yaml.safe_load(params_file(tmp_path).read_text(encoding="utf-8"))
    results, _ = runner.run_notebooks(["a_dirty", "b_check", "c_after"], run_dir, params, jobs=1)

    status = {r.name: r.status for r in results}
    assert status == {"a_dirty": "ok", "b_check": "failed", "c_after": "ok"}
    b = results[1].error
    assert b["error"] == "RuntimeError", b  # not one of the AssertionErrors: the reset worked

    def printed_pid(name: str) -> str:
        nb = nbformat.read(run_dir / "notebooks" / f"{name}.ipynb", as_version=4)
        return nb.cells[-1].outputs[0]["text"].strip()

    assert b["message"] == f"pid {printed_pid('a_dirty')}"  # the same kernel process ran a and b
    assert printed_pid("c_after") != printed_pid("a_dirty")  # after the failure: a new kernel


def test_bad_data_stops_before_any_notebook(tmp_path, small_demo):
    bad = tmp_path / "bad"
    shutil.copytree(small_demo, bad)
    holds = (bad / "holds.csv").read_text(encoding="utf-8").replace("afholdt", "holdt", 1)
    (bad / "holds.csv").write_text(holds, encoding="utf-8")
    with pytest.raises(Exception, match=r"holds.csv does not match the data contract"):
        runner.run(
            params_file(tmp_path),
            data_dir=str(bad),
            out_root=tmp_path / "out",
            render=False,
            quiet=True,
        )
    manifest = json.loads(
        next((tmp_path / "out").glob("*/manifest.json")).read_text(encoding="utf-8")
    )
    assert manifest["status"] == "failed" and "holds.csv" in manifest["error"]
    assert manifest["notebooks"] == {}


# --------------------------------------------------------------------------- end to end


class _Resources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        url = a.get("src") or (a.get("href") if tag == "link" else None)
        if url and url.startswith(("http://", "https://", "//")):
            self.external.append(f"{tag} {url}")


def test_run_writes_the_output_contract(full_run):
    run_dir = full_run.run_dir
    for rel in (
        "manifest.json",
        "run.log",
        "results/estimates.csv",
        "report/index.html",
        "report/report.pdf",
    ):
        assert (run_dir / rel).is_file(), rel
    names = {p.stem for p in (run_dir / "notebooks").glob("*.ipynb")}
    assert names == {p.stem for p in NOTEBOOKS} | {"95_disclosure_audit"}  # the audit's appendix
    assert list((run_dir / "tables").glob("*.csv")) and list((run_dir / "figures").glob("*.png"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok" and manifest["synthetic"] is True
    assert all(v["status"] == "ok" and v["seconds"] > 0 for v in manifest["notebooks"].values())
    assert list(manifest["notebooks"])[-1] == "90_summary"  # the final phase, after the others
    assert set(manifest["inputs_sha256"]) >= {"holds.csv", "dream.csv", "SYNTHETIC"}
    assert manifest["versions"]["pandas"] and "commit" in manifest["git"]
    assert manifest["params"]["min_cell"] == 5


def test_estimates_have_the_contract_columns(full_run):
    est = pd.read_csv(full_run.run_dir / "results" / "estimates.csv")
    assert list(est.columns) == [*ESTIMATE_COLUMNS, "p_holm"]
    # Holm within families: never below the raw p-value, empty outside a family
    fam = est["p_holm"].notna()
    assert fam.any() and (est.loc[fam, "p_holm"] >= est.loc[fam, "p_value"] - 1e-12).all()
    assert est.loc[est["subgroup"] == "all", "p_holm"].isna().all()
    assert len(est) > 0 and est["analysis"].notna().all()


def test_html_is_self_contained_and_pdf_has_danish_text(full_run):
    html = (full_run.run_dir / "report" / "index.html").read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(html)
    assert parser.external == []
    assert "yntetiske data" in html
    pdf = full_run.run_dir / "report" / "report.pdf"
    assert pdf.read_bytes()[:4] == b"%PDF"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Tættere På Job" in text and "æ" in text
        info = subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert (
            int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
            >= 3
        )


def test_no_microdata_in_published_tables(full_run):
    ids = set(
        pd.read_csv(Path(full_run.manifest["params"]["data_dir"]) / "enrolments.csv")["person_id"]
    )
    for csv in list((full_run.run_dir / "tables").glob("*.csv")) + list(
        (full_run.run_dir / "figures").glob("*.csv")
    ):
        text = csv.read_text(encoding="utf-8")
        assert not any(pid in text for pid in ids), csv.name


def test_notebooks_start_longest_first_by_the_last_run(tmp_path):
    names = ["00_a", "10_b", "20_c", "30_new"]
    assert runner.longest_first(names, tmp_path) == names  # no earlier run: the given order
    (tmp_path / "run1").mkdir()
    (tmp_path / "run1" / "manifest.json").write_text(
        json.dumps(
            {
                "notebooks": {
                    "00_a": {"seconds": 8.6},
                    "10_b": {"seconds": 13.0},
                    "20_c": {"seconds": 3.2},
                }
            }
        )
    )
    (tmp_path / "latest").symlink_to("run1")
    assert runner.longest_first(names, tmp_path) == ["10_b", "00_a", "20_c", "30_new"]
