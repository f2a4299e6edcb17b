"""Test helpers for real child processes (``from procs import wait_for``)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Block until ``path`` exists; fail if ``proc`` ends first or ``timeout`` passes."""
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child ended early: {proc.communicate()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.02)
