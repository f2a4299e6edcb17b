"""A full disk, for real: exit 2 with a clear message, no partial file, and the previous
checkpoint intact when a later write fails.

The disk is a small tmpfs mounted for the test where it runs as root; elsewhere the trainer
runs under ``RLIMIT_FSIZE`` (a write past the limit fails with EFBIG, as a full disk fails
with ENOSPC: the same code path). Only where neither is possible is the test skipped, with
the reason printed by ``-ra``.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from procs import wait_for
from seqlab import rundir
from seqlab.atomic import PAUSE_ENV
from seqlab.checkpoint import load_checkpoint, load_weights
from seqlab.config import TrainConfig

pytestmark = pytest.mark.slow

FLAT = {
    "task": "adding",
    "model": "lstm",
    "seq_len": 10,
    "hidden_size": 64,  # weights ~70 KB, checkpoint (with AdamW's moments) ~210 KB
    "batch_size": 8,
    "steps": 60,
    "eval_every": 20,
    "seed": 1,
}
ARGV = [f"--{k.replace('_', '-')}={v}" for k, v in FLAT.items()]


@dataclass
class SmallDisk:
    """An output folder that can be made full: ``fill()`` before a command, ``free()`` after."""

    out: Path
    kind: str  # "tmpfs" or "rlimit"
    limit: int | None = None  # RLIMIT_FSIZE in bytes while "full"

    def fill(self, leave: int = 0) -> None:
        if self.kind == "rlimit":
            self.limit = max(leave, 1)
            return
        filler = open(self.out / "filler", "wb", buffering=0)  # noqa: SIM115
        with filler, contextlib.suppress(OSError):
            while True:  # until the disk refuses
                filler.write(b"\0" * 4096)
        if leave:
            os.truncate(self.out / "filler", max(0, os.path.getsize(self.out / "filler") - leave))

    def free(self) -> None:
        self.limit = None
        with contextlib.suppress(FileNotFoundError):
            (self.out / "filler").unlink()

    def run(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        limit = self.limit

        def preexec() -> None:
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        cmd = [sys.executable, "-m", "seqlab", "train", *ARGV, f"--out={self.out}", *extra]
        return subprocess.Popen(
            cmd,
            env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=preexec,
        )


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture(params=["tmpfs", "rlimit"])
def disk(request, tmp_path) -> Iterator[SmallDisk]:
    out = tmp_path / "disk"
    out.mkdir()
    if request.param == "tmpfs":
        if not _mount_tmpfs(out, "4m"):
            pytest.skip("cannot mount a tmpfs here (needs root and mount rights); rlimit covers it")
        try:
            yield SmallDisk(out, "tmpfs")
        finally:
            subprocess.run(["umount", "-l", str(out)], check=False)
    else:
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        if hard != resource.RLIM_INFINITY and hard < 1 << 20:
            pytest.skip(f"RLIMIT_FSIZE hard limit already {hard} bytes")
        yield SmallDisk(out, "rlimit")


def folder_of(out: Path) -> Path:
    return rundir.run_dir(TrainConfig.from_flat(FLAT), out)


def assert_clear_disk_error(proc: subprocess.Popen, err: str, out: Path) -> None:
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert "cannot write" in err and str(out) in err
    assert "disk is not full" in err and "--out DIR" in err  # the problem and the fix


def test_a_full_disk_exits_2_with_a_message_and_leaves_no_partial_file(disk):
    disk.fill(leave=20_000)  # room for config and metrics, not for the weights
    proc = disk.run("--quiet")
    _, err = proc.communicate(timeout=240)
    assert_clear_disk_error(proc, err, disk.out)
    folder = folder_of(disk.out)
    assert not list(folder.glob(".*.tmp-*")), "a half-written temporary file was left"
    assert not (folder / rundir.RESULT).exists()
    if (folder / rundir.WEIGHTS).exists():  # only ever a complete file
        assert load_weights(folder / rundir.WEIGHTS)


def test_a_failed_later_write_keeps_the_previous_checkpoint_intact(disk, tmp_path):
    marker = tmp_path / "paused"
    first = disk.run("--quiet", env={PAUSE_ENV: f"{rundir.CHECKPOINT}:2:{marker}"})
    wait_for(marker, first)  # the first checkpoint is in place, the second half-done
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    folder = folder_of(disk.out)
    for tmp in folder.glob(".*.tmp-*"):
        tmp.unlink()
    ckpt = folder / rundir.CHECKPOINT
    before = ckpt.read_bytes()
    assert load_checkpoint(ckpt)["step"] == FLAT["eval_every"]

    disk.fill(leave=len(before) // 2)  # the next checkpoint cannot be written
    resumed = disk.run("--quiet")
    _, err = resumed.communicate(timeout=240)
    assert_clear_disk_error(resumed, err, disk.out)
    assert ckpt.read_bytes() == before, "the previous checkpoint was damaged"
    assert load_checkpoint(ckpt)["step"] == FLAT["eval_every"]
    assert not list(folder.glob(".*.tmp-*")) and not (folder / rundir.RESULT).exists()

    disk.free()  # with room again, the same command resumes and finishes
    again = disk.run("--quiet")
    _, err = again.communicate(timeout=240)
    assert again.returncode == 0, err
    assert rundir.read_result(folder)["steps"] == FLAT["steps"]
