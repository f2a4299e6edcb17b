"""One trainer per run directory, with real processes: the second one waits and reuses the
finished run, or with --no-wait exits 2 naming the holder; a SIGKILLed holder's lock is
taken over. The holder is paused inside its first checkpoint write (``PAUSE_ENV``) so that
every interleaving below is forced, not hoped for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from procs import wait_for
from seqlab import rundir, runlock
from seqlab.atomic import PAUSE_ENV
from seqlab.config import TrainConfig

FLAT = {
    "task": "adding",
    "model": "gru",
    "seq_len": 12,
    "hidden_size": 8,
    "batch_size": 8,
    "steps": 40,
    "eval_every": 10,
    "seed": 5,
}
ARGV = [f"--{k.replace('_', '-')}={v}" for k, v in FLAT.items()]


def folder_of(out: Path) -> Path:
    return rundir.run_dir(TrainConfig.from_flat(FLAT), out)


def launch(out: Path, *extra: str, pause: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if pause is not None:
        env[PAUSE_ENV] = f"{rundir.CHECKPOINT}:1:{pause}"
    cmd = [sys.executable, "-m", "seqlab", "train", *ARGV, f"--out={out}", "--json", *extra]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ----- in one process -----------------------------------------------------------------


def test_a_held_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    with runlock.hold(tmp_path) as lock:
        assert lock.stale is None
        assert runlock.read_holder(tmp_path)["pid"] == os.getpid()
        with pytest.raises(runlock.RunLocked) as e, runlock.hold(tmp_path, wait=False):
            pass
        assert f"pid {os.getpid()}" in str(e.value) and "--no-wait" in str(e.value)
    assert runlock.read_holder(tmp_path) is None  # released cleanly: nobody named
    with runlock.hold(tmp_path, wait=False) as again:
        assert again.stale is None


# ----- real processes ------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_launch_waits_for_the_first_then_reuses_its_result(tmp_path):
    paused = tmp_path / "paused"
    first = launch(tmp_path / "out", pause=paused)
    wait_for(paused, first)  # the first holds the lock, inside its first checkpoint write
    second = launch(tmp_path / "out")
    line = ""
    while "being trained by" not in line and second.poll() is None:
        line = second.stderr.readline()  # blocks until the second has found the lock held
    assert "being trained by" in line and f"pid {first.pid}" in line and "waiting" in line
    paused.unlink()  # let the first go on
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, err1 + err2
    assert json.loads(out1) == json.loads(out2) == rundir.read_result(folder_of(tmp_path / "out"))
    assert "step " in err1 and "step " not in err2  # the second trained nothing


@pytest.mark.slow
def test_no_wait_exits_2_naming_the_holder_and_leaves_its_run_alone(tmp_path):
    paused = tmp_path / "paused"
    first = launch(tmp_path / "out", pause=paused)
    wait_for(paused, first)
    second = launch(tmp_path / "out", "--no-wait")
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 2 and out2 == ""
    assert f"pid {first.pid}" in err2 and "without --no-wait" in err2
    assert "Traceback" not in err2
    paused.unlink()
    _, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1


@pytest.mark.slow
def test_the_lock_of_a_sigkilled_trainer_is_taken_over_and_the_run_finishes(tmp_path):
    paused = tmp_path / "paused"
    first = launch(tmp_path / "out", pause=paused)
    wait_for(paused, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert runlock.read_holder(folder_of(tmp_path / "out"))["pid"] == first.pid  # left behind
    second = launch(tmp_path / "out", "--no-wait")  # a dead holder does not block
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 0, err2
    assert f"took over the lock of pid {first.pid}" in err2
    assert json.loads(out2) == rundir.read_result(folder_of(tmp_path / "out"))


@pytest.mark.slow
def test_concurrent_launches_of_one_config_train_it_once(tmp_path):
    procs = [launch(tmp_path / "out") for _ in range(3)]
    done = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in done]
    results = [json.loads(out) for out, _ in done]
    assert results[0] == results[1] == results[2]
    trainers = [err for _, err in done if "step " in err]
    assert len(trainers) == 1, "exactly one process trained"
