"""Stopping a run cleanly: SIGINT / SIGTERM set a flag the training loop checks.

The loop checks the flag before each step; when it is set the trainer saves a checkpoint
and raises ``TrainingInterrupted``, whose ``exit_code`` (128 + signal: 130 for Ctrl-C,
143 for SIGTERM) the CLI exits with. Running the same command again resumes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError


class TrainingInterrupted(SeqlabError):
    """SIGINT / SIGTERM arrived; a checkpoint was saved. ``exit_code`` is 128 + signal."""

    def __init__(self, signum: int, step: int, folder: Path) -> None:
        self.signum, self.step, self.folder = signum, step, folder
        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(
            f"{name} received: stopped after step {step} and saved a checkpoint in {folder}. "
            "Run the same command again to resume where it stopped."
        )


@contextlib.contextmanager
def signal_flag() -> Iterator[dict[str, int | None]]:
    """SIGINT / SIGTERM set ``flag["signum"]`` instead of killing (main thread only)."""
    flag: dict[str, int | None] = {"signum": None}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, _frame: Any) -> None:
        flag["signum"] = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
