"""A run's life: SIGINT/SIGTERM stop a real `tpj run` cleanly, a SIGKILLed run is found
`abandoned` by the next run, exit codes, and `latest` = the newest successful run by start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from test_runner import params_file, tiny_notebook

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run import cli, lifecycle, runner

TPJ = [sys.executable, "-m", "tpj_helpers.run.cli"]


def start_run(tmp_path: Path, data: Path, notebooks: list[str]) -> tuple[subprocess.Popen, Path]:
    """A real `tpj run` (no render, one worker) that has started its first notebook."""
    params = params_file(tmp_path, notebooks=notebooks, final_notebooks=[])
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            *TPJ,
            "run",
            "--params",
            str(params),
            "--data-dir",
            str(data),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--no-render",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:  # wait until a notebook is executing
        if line.rstrip().endswith(f"{notebooks[0]} started"):
            break
    else:
        pytest.fail(f"the run ended before a notebook started: {proc.stderr.read()}")
    time.sleep(1.0)
    return proc, out


def only_run(out: Path) -> Path:
    runs = [
        p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink()
    ]
    assert len(runs) == 1
    return runs[0]


def kernel_dirs(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{lifecycle.KERNEL_DIR_PREFIX}{pid}-*"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_queue_marks_the_run_interrupted_and_exits_130(
    tmp_path, small_demo, sig
):
    proc, out = start_run(
        tmp_path, small_demo, ["00_data_quality", "20_who5", "30_register_regressions"]
    )
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert "interrupted" in stderr
    run_dir = only_run(out)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted"
    assert manifest["error"] == f"stopped by {sig.name}"
    assert (
        manifest["process"]["pid"] == proc.pid
        and manifest["process"]["host"] == socket.gethostname()
    )
    assert manifest["finished"]
    # The queue stopped: the notebooks after the interrupted one never started.
    log = (run_dir / "run.log").read_text(encoding="utf-8")
    assert "20_who5 started" not in log and "30_register_regressions started" not in log
    # No connection files, sockets, staging folders or partial files are left.
    assert kernel_dirs(proc.pid) == []
    assert not (run_dir / ".stage").exists() and not list(run_dir.rglob("*.tmp"))
    assert not (out / "latest").exists()  # no successful run


def test_a_killed_run_is_marked_abandoned_by_the_next_run(tmp_path, small_demo, monkeypatch):
    proc, out = start_run(tmp_path, small_demo, ["00_data_quality"])
    proc.kill()  # SIGKILL: no handler runs
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    killed = only_run(out)
    assert json.loads((killed / "manifest.json").read_text(encoding="utf-8"))["status"] == "running"
    (killed / "report" / "index.html.tmp").write_text("half a report")  # as a killed render leaves
    # The next run (in process, on a tiny notebook) finds it.
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "ok.ipynb", "x = 1 + 1")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    good = runner.run(
        params_file(tmp_path, notebooks=["ok"], final_notebooks=[]),
        data_dir=str(small_demo),
        out_root=out,
        render=False,
        quiet=True,
    )
    manifest = json.loads((killed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "abandoned"
    assert manifest["abandoned"]["by_pid"] == os.getpid()
    assert not (killed / "report" / "index.html.tmp").exists()
    assert kernel_dirs(proc.pid) == []  # the killed run's kernel folder was removed
    assert (out / "latest").resolve() == good.run_dir.resolve()


def test_a_running_run_whose_process_lives_is_left_alone(tmp_path):
    run_dir = tmp_path / "out" / "r1"
    run_dir.mkdir(parents=True)
    alive = {"status": "running", "process": lifecycle.process_identity()}
    (run_dir / "manifest.json").write_text(json.dumps(alive))
    other_host = tmp_path / "out" / "r2"
    other_host.mkdir()
    (other_host / "manifest.json").write_text(
        json.dumps({"status": "running", "process": {"pid": 999_999_999, "host": "elsewhere"}})
    )
    gone = tmp_path / "out" / "r3"
    gone.mkdir()
    (gone / "manifest.json").write_text(
        json.dumps(
            {"status": "running", "process": {"pid": 999_999_999, "host": socket.gethostname()}}
        )
    )
    assert lifecycle.mark_abandoned(tmp_path / "out", runner.write_manifest) == ["r3"]
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"
    assert json.loads((other_host / "manifest.json").read_text())["status"] == "running"


def test_a_reused_pid_is_not_the_run_process():
    me = lifecycle.process_identity()
    assert lifecycle.process_alive(me["pid"], me["pid_start"])
    if me["pid_start"] is not None:
        assert not lifecycle.process_alive(me["pid"], str(int(me["pid_start"]) + 1))


def test_latest_is_the_newest_successful_run_by_start_not_by_finish(tmp_path):
    out = tmp_path / "out"
    for name, status, started in [
        ("a", "ok", "2026-01-01T10:00:00+00:00"),
        ("b", "ok", "2026-01-01T09:00:00+00:00"),  # finished last
        ("c", "failed", "2026-01-01T11:00:00+00:00"),
        ("d", "interrupted", "2026-01-01T12:00:00+00:00"),
    ]:
        (out / name).mkdir(parents=True)
        (out / name / "manifest.json").write_text(
            json.dumps({"status": status, "started": started})
        )
    runner.point_latest(out, out / "b")
    assert os.readlink(out / "latest") == "a"


def _params(tmp_path: Path, **overrides) -> Path:
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    params.update(overrides)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def test_exit_codes_bad_parameters_2_failed_notebook_1_failed_render_3(
    tmp_path, small_demo, monkeypatch, capsys
):
    out = str(tmp_path / "out")
    assert cli.main(["run", "--params", str(_params(tmp_path, min_cel=3)), "--out", out]) == 2
    assert (
        cli.main(["run", "--params", str(_params(tmp_path, notebooks=["99_none"])), "--out", out])
        == 2
    )
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "broken.ipynb", "raise ValueError('boom')")
    tiny_notebook(nb_dir / "ok.ipynb", "x = 1")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    common = ["--data-dir", str(small_demo), "--out", out]
    assert (
        cli.main(
            [
                "run",
                "--params",
                str(_params(tmp_path, notebooks=["broken"], final_notebooks=[])),
                "--no-render",
                *common,
            ]
        )
        == 1
    )
    # The report embeds notebooks this folder does not have: the render fails, no traceback.
    assert (
        cli.main(
            [
                "run",
                "--params",
                str(_params(tmp_path, notebooks=["ok"], final_notebooks=[])),
                *common,
            ]
        )
        == 3
    )
    err = capsys.readouterr().err
    assert "render failed" in err and "Traceback" not in err


def test_kernels_run_with_a_fixed_hash_seed(tmp_path, small_demo, monkeypatch):
    """Notebook kernels start with PYTHONHASHSEED=0: the hash of a string in the kernel equals
    the one a separate interpreter with that seed computes (without it the effect estimates
    changed in their last digits from run to run)."""
    expected = subprocess.run(
        [sys.executable, "-c", "print(hash('tpj'))"],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "seed.ipynb", f"assert hash('tpj') == {expected}, hash('tpj')")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", nb_dir)
    result = runner.run(
        params_file(tmp_path, notebooks=["seed"], final_notebooks=[]),
        data_dir=str(small_demo),
        out_root=tmp_path / "out",
        render=False,
        quiet=True,
    )
    assert result.manifest["notebooks"]["seed"]["status"] == "ok"
