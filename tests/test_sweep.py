"""`seqlab sweep`: grid validation, expansion, skipping finished runs, failures, resume.

The process tests train real (tiny) runs through ``seqlab.train.run_config``: the adding
problem at T=8 with an 8-unit model for a few dozen steps, a fraction of a second each.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqlab.cli import main
from seqlab.config import TrainConfig
from seqlab.sweep import RunOutcome, SweepResult, load_grid, run_sweep
from seqlab.sweep.summary import group_rows, run_rows

TESTS = Path(__file__).parent
GRIDS = TESTS / "grids"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["sweep", *map(str, args)])
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ----- the grid file -------------------------------------------------------------------


def test_grid_expands_to_axes_product_then_includes():
    runs = load_grid(GRIDS / "tiny.toml")
    base = {"task": "adding", "seq_len": 8, "steps": 30, "hidden_size": 8}
    assert runs == [
        {**base, "model": "lstm", "seed": 1},
        {**base, "model": "lstm", "seed": 2},
        {**base, "model": "gru", "seed": 1},
        {**base, "model": "gru", "seed": 2},
    ]
    extra = load_grid(GRIDS / "with_failures.toml")
    assert extra[-2:] == [
        {**base, "model": "rnn", "seed": 1, "seq_len": 1},
        {**base, "model": "lstm", "seed": 1, "task": "series", "data": str(GRIDS / "nope.csv")},
    ]


def test_relative_data_path_is_taken_from_the_grid_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    grid = write(
        tmp_path / "sub" / "g.toml",
        '[base]\ntask = "series"\nmodel = "lstm"\n[axes]\ndata = ["a.csv", "/abs/b.csv"]\n',
    )
    runs = load_grid(grid)
    assert [r["data"] for r in runs] == [str(tmp_path / "sub" / "a.csv"), "/abs/b.csv"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ('[base]\ntask = "adding"\nmodel = \n', "line 3, column"),
        ('[bases]\ntask = "adding"\n', "unknown top-level key(s) bases"),
        ('[base]\ntask = "adding"\nmodel = "lstm"\n[axes]\nseed = []\n', "axis 'seed' is empty"),
        (
            '[base]\ntask = "adding"\nmodel = "lstm"\n[axes]\nseed = 3\n',
            "axis 'seed' is not a list",
        ),
        ('[base]\ntask = "adding"\nmodel = "lstm"\n', "the grid has no runs"),
        ('[base]\ntask = "adding"\nmodel = "lstm"\n[axes]\n', "the grid has no runs"),
        (
            '[base]\ntask = "adding"\nmodel = "lstm"\nseed = 1\n[axes]\nseed = [1, 2]\n',
            "'seed' is both in [base] and in [axes]",
        ),
        (
            '[base]\ntask = "adding"\nmodel = "lstm"\nhiden_size = 8\n[axes]\nseed = [1]\n',
            "unknown option(s) hiden_size for task 'adding'",
        ),
        ('[base]\ntask = "adding"\n[axes]\nseed = [1]\n', "has no model"),
        ('[base]\ntask = "adding"\nmodel = "lstm"\nlr = [1, 2]\n[axes]\nseed = [1]\n', "is not a"),
    ],
)
def test_bad_grid_exits_2_naming_the_file_and_the_problem(tmp_path, capsys, text, message):
    grid = tmp_path / "grid.toml"
    if text is not None:
        write(grid, text)
    code, out, err = cli(capsys, grid, "--out", tmp_path / "out")
    assert code == 2
    assert str(grid) in err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_address_without_ray_executor_exits_2(tmp_path, capsys):
    code, _, err = cli(capsys, GRIDS / "tiny.toml", "--out", tmp_path, "--address", "h:6379")
    assert code == 2
    assert "--address is for --executor ray" in err


def test_ray_executor_without_ray_installed_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    code, _, err = cli(capsys, GRIDS / "tiny.toml", "--out", tmp_path, "--executor", "ray")
    assert code == 2
    assert "pip install 'seqlab[ray]'" in err


# ----- the driver without workers ------------------------------------------------------


def test_finished_runs_are_skipped_and_never_rewritten(tmp_path):
    runs = load_grid(GRIDS / "tiny.toml")
    run_dir = tmp_path / TrainConfig.from_flat(runs[0]).run_id()
    run_dir.mkdir()
    stored = {"metric": "mse", "value": 0.123, "note": "written by hand"}
    (run_dir / "result.json").write_text(json.dumps(stored))
    before = (run_dir / "result.json").stat().st_mtime_ns
    sweep = run_sweep(runs[:1] * 2, tmp_path, progress=False)  # the same run twice: one run
    assert [(r.status, r.result) for r in sweep.runs] == [("skipped", stored)]
    assert sweep.counts == {"total": 1, "executed": 0, "skipped": 1, "failed": 0, "duplicates": 1}
    assert (run_dir / "result.json").stat().st_mtime_ns == before


def test_config_that_cannot_be_named_fails_alone_with_its_error(tmp_path):
    bad = {"task": "adding", "model": "lstm", "hidden_size": 0}
    sweep = run_sweep([bad], tmp_path, progress=False)
    (run,) = sweep.runs
    assert run.status == "failed"
    assert "hidden-size: must be >= 1, got 0" in run.error


def test_summary_groups_seeds_with_mean_and_sample_sd():
    values = {("lstm", 1): 0.1, ("lstm", 2): 0.3, ("lstm", 3): 0.35, ("gru", 1): 0.2}
    sweep = SweepResult(
        [
            RunOutcome(
                {"task": "adding", "model": m, "seed": s},
                f"/o/adding-{m}-{s}",
                "finished",
                result={"metric": "mse", "value": v, "valid_value": v / 2, "params": 7},
            )
            for (m, s), v in values.items()
        ]
        + [RunOutcome({"task": "adding", "model": "gru", "seed": 2}, "", "failed", error="boom")]
    )
    lstm, gru = group_rows(sweep)
    assert (lstm["model"], lstm["n"], lstm["failed"]) == ("lstm", 3, 0)
    assert lstm["value_mean"] == pytest.approx(statistics.mean([0.1, 0.3, 0.35]))
    assert lstm["value_sd"] == pytest.approx(statistics.stdev([0.1, 0.3, 0.35]))
    assert (gru["n"], gru["failed"], gru["value_mean"], gru["value_sd"]) == (1, 1, 0.2, None)
    assert [r["status"] for r in run_rows(sweep)] == ["finished"] * 4 + ["failed"]
    assert run_rows(sweep)[-1]["error"] == "boom"


# ----- with worker processes -----------------------------------------------------------


@pytest.mark.slow
def test_failing_runs_are_reported_and_the_others_finish(tmp_path, capsys):
    code, out, err = cli(
        capsys, GRIDS / "with_failures.toml", "--out", tmp_path, "--json", "-j", "2"
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["counts"] == {"total": 6, "executed": 4, "skipped": 0, "failed": 2, "duplicates": 0}
    failed = [r for r in doc["runs"] if r["status"] == "failed"]
    assert "seq_len" in failed[0]["error"] and "got 1" in failed[0]["error"]
    assert "nope.csv" in failed[1]["error"]
    assert all(r["attempts"] == 1 for r in failed)  # bad input is not retried
    for run in doc["runs"]:
        if run["status"] == "finished":
            assert json.loads((Path(run["run_dir"]) / "result.json").read_text()) == run["result"]
    assert "2 of 6 runs failed" in err and "nope.csv" in err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts"] == doc["counts"]
    assert len((tmp_path / "summary.csv").read_text().splitlines()) == 1 + 6


@pytest.mark.slow
def test_a_dead_worker_is_replaced_and_its_run_retried_a_bounded_number_of_times(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SEQLAB_TEST_CRASH_ONCE", str(tmp_path / "deaths"))
    once, always = load_grid(GRIDS / "tiny.toml")[:2]
    runs = [{**once, "crashes": 1}, {**always, "crashes": 9}]
    sweep = run_sweep(runs, tmp_path, jobs=1, retries=1, progress=False,
                      runner="_sweep_crash_once")  # fmt: skip
    assert [(r.status, r.attempts) for r in sweep.runs] == [("finished", 2), ("failed", 2)]
    assert "worker process died (exit code 3)" in sweep.runs[1].error
    assert (
        sweep.runs[0].result["value"]
        == json.loads((Path(sweep.runs[0].run_dir) / "result.json").read_text())["value"]
    )


@pytest.mark.slow
def test_interrupted_sweep_resumes_running_only_unfinished_runs(tmp_path):
    command = [sys.executable, "-m", "seqlab", "sweep", str(GRIDS / "resume.toml"),
               "--out", str(tmp_path), "--jobs", "1", "--cpus-per-run", "1", "--json"]  # fmt: skip
    driver = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*/result.json")):
        assert driver.poll() is None, driver.communicate()
        assert time.monotonic() < deadline, "no run finished in time"
        time.sleep(0.05)
    os.kill(driver.pid, signal.SIGINT)
    out, err = driver.communicate(timeout=60)
    assert driver.returncode == 130, err
    assert "Rerun the same command" in err
    finished = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("*/result.json")}
    assert 1 <= len(finished) < 4

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    counts = json.loads(rerun.stdout)["counts"]
    assert counts["skipped"] == len(finished)
    assert counts["executed"] == 4 - len(finished)
    for path, (data, mtime) in finished.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (data, mtime)
    assert len(list(tmp_path.glob("*/result.json"))) == 4
