"""Test scaffolding: a runner whose worker process dies (``os._exit``, as if killed) the
first ``crashes`` times it meets a run, then trains it normally. ``crashes`` is an extra
flat key (default 1), removed before naming or training; the count of deaths so far is
kept in ``$SEQLAB_TEST_CRASH_ONCE/<run id>``."""

from __future__ import annotations

import os
from pathlib import Path

from seqlab.sweep import runner

__all__ = ["known_keys", "run_config", "run_id"]


def known_keys(task: str) -> set[str] | None:
    keys = runner.known_keys(task)
    return None if keys is None else keys | {"crashes"}


def run_id(flat: dict) -> str:
    return runner.run_id({k: v for k, v in flat.items() if k != "crashes"})


def run_config(flat: dict, out: str, progress: str = "quiet") -> dict:
    flat = dict(flat)
    crashes = flat.pop("crashes", 1)
    count = Path(os.environ["SEQLAB_TEST_CRASH_ONCE"]) / runner.run_id(flat)
    count.parent.mkdir(parents=True, exist_ok=True)
    so_far = int(count.read_text()) if count.exists() else 0
    if so_far < crashes:
        count.write_text(str(so_far + 1))
        os._exit(3)  # no exception, no message to the driver: the process is just gone
    return runner.run_config(flat, out, progress)
