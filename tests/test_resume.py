"""Exact resume: a run stopped by a real signal, or killed mid-write, finishes identically.

The interrupted runs are real ``seqlab train`` processes; the test process sends the
signal. The uninterrupted reference and the resumptions run in-process (same thread count
as the children: 1), which keeps the number of slow torch imports down.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from procs import wait_for
from seqlab import rundir
from seqlab.atomic import PAUSE_ENV
from seqlab.checkpoint import load_checkpoint
from seqlab.config import TrainConfig
from seqlab.errors import TrainingDiverged
from seqlab.train import TrainingInterrupted, run_config, run_dir, train

pytestmark = pytest.mark.slow

FLAT = {
    "task": "adding",
    "model": "lstm",
    "seq_len": 30,
    "hidden_size": 24,
    "batch_size": 16,
    "steps": 400,
    "eval_every": 50,
    "dropout": 0.1,  # so the dropout RNG stream must be restored too
    "seed": 3,
}
ARGV = [f"--{k.replace('_', '-')}={v}" for k, v in FLAT.items()]


@pytest.fixture(scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, one_thread):
    """The uninterrupted run."""
    out = tmp_path_factory.mktemp("reference")
    result = run_config(FLAT, str(out))
    return Path(result["run_dir"])


def _child(out: Path, env_extra: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **(env_extra or {})}
    cmd = [sys.executable, "-m", "seqlab", "train", *ARGV, f"--out={out}", "--quiet"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _metrics(folder: Path) -> list[dict]:
    """metrics.jsonl rows without the wall-clock field (the only one that may differ)."""
    rows = [json.loads(line) for line in (folder / rundir.METRICS_JSONL).read_text().splitlines()]
    for row in rows:
        row.pop("seconds")
    return rows


def _assert_same_run(folder: Path, reference: Path) -> None:
    assert (folder / rundir.WEIGHTS).read_bytes() == (reference / rundir.WEIGHTS).read_bytes()
    assert _metrics(folder) == _metrics(reference)
    mine, ref = rundir.read_result(folder), rundir.read_result(reference)
    for key in ("value", "valid_value", "best_step", "steps", "final_train_loss", "params"):
        assert mine[key] == ref[key], key
    assert not (folder / rundir.CHECKPOINT).exists()


def test_sigint_at_a_random_step_then_resume_is_bit_identical(tmp_path, reference):
    proc = _child(tmp_path)
    folder = run_dir(TrainConfig.from_flat(FLAT), tmp_path)
    wait_for(folder / rundir.METRICS_JSONL, proc)  # training has made progress
    time.sleep(random.uniform(0.0, 0.15))  # short: a fast machine must not finish first
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert b"resume" in err
    stopped_at = load_checkpoint(folder / rundir.CHECKPOINT)["step"]
    assert 0 < stopped_at < FLAT["steps"]
    assert rundir.read_result(folder) is None

    run_config(FLAT, str(tmp_path))  # "rerun the same command"
    _assert_same_run(folder, reference)


def test_sigkill_during_a_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, reference):
    marker = tmp_path / "paused"
    proc = _child(tmp_path / "out", {PAUSE_ENV: f"{rundir.CHECKPOINT}:2:{marker}"})
    folder = run_dir(TrainConfig.from_flat(FLAT), tmp_path / "out")
    wait_for(marker, proc)  # the 2nd checkpoint's temp file is complete, not yet in place
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert list(folder.glob(f".{rundir.CHECKPOINT}.tmp-*")), "the half-finished write"
    assert load_checkpoint(folder / rundir.CHECKPOINT)["step"] == FLAT["eval_every"]

    run_config(FLAT, str(tmp_path / "out"))
    _assert_same_run(folder, reference)
    assert not list(folder.glob(".*.tmp-*"))


class _SignalAt:
    """Wraps a task: sends ``signum`` to this process while drawing batch ``at``."""

    def __init__(self, task, signum: int, at: int) -> None:
        self._task, self._signum, self._at, self._n = task, signum, at, 0

    def __getattr__(self, name):
        return getattr(self._task, name)

    def train_batch(self, batch_size, generator):
        self._n += 1
        if self._n == self._at:
            os.kill(os.getpid(), self._signum)
        return self._task.train_batch(batch_size, generator)


def test_sigterm_saves_a_checkpoint_and_raises_exit_code_143(tmp_path, reference, monkeypatch):
    import seqlab.train as trainer

    real = trainer.build_task
    monkeypatch.setattr(
        trainer, "build_task", lambda *a: _SignalAt(real(*a), signal.SIGTERM, at=123)
    )
    with pytest.raises(TrainingInterrupted) as e:
        run_config(FLAT, str(tmp_path))
    assert e.value.exit_code == 143
    folder = run_dir(TrainConfig.from_flat(FLAT), tmp_path)
    assert load_checkpoint(folder / rundir.CHECKPOINT)["step"] == 123  # batch 123 finished
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored

    monkeypatch.setattr(trainer, "build_task", real)
    run_config(FLAT, str(tmp_path))
    _assert_same_run(folder, reference)


def test_absurd_learning_rate_stops_with_a_clear_message_and_keeps_the_checkpoint(tmp_path):
    flat = {**FLAT, "optimizer": "sgd", "lr": 1e6, "clip": 0, "eval_every": 2, "dropout": 0}
    with pytest.raises(TrainingDiverged) as e:
        train(TrainConfig.from_flat(flat), tmp_path, progress="quiet")
    msg = str(e.value)
    assert e.value.exit_code == 3
    assert "diverged" in msg and "learning rate" in msg and "clipping off" in msg
    step = int(msg.split(" at step ")[1].split()[0])
    folder = run_dir(TrainConfig.from_flat(flat), tmp_path)
    kept = load_checkpoint(folder / rundir.CHECKPOINT)
    assert kept["step"] == (step - 1) // 2 * 2 >= 2
    assert all(torch.isfinite(v).all() for v in kept["model"].values())
    assert rundir.read_result(folder) is None
