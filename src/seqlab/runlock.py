"""One trainer per run directory: an exclusive lock on ``<run dir>/.lock``.

    with hold(folder, wait=True) as lock:   # blocks while another process trains it
        ...                                 # re-read result.json here: it may be done now

Two processes (two shells, two sweep workers, two machines over a shared folder) that start
the same config map to the same run directory. The first takes the lock and trains; the
second waits, then finds ``result.json`` and reuses it — or, with ``wait=False``, raises
``RunLocked`` naming the holder.

The lock is ``flock(2)`` on a file that is never deleted: the kernel drops it when its
holder exits, however it exits (SIGKILL included), so a killed trainer's lock is taken over
by the next process, which is told who held it (``Lock.stale``). Deleting the file would
let a waiter lock an unlinked inode while a newcomer locks a fresh one: two holders. The
file's content (pid, host, start time, as JSON) only names the holder; the lock itself is
the kernel's. On NFS, Linux maps ``flock`` to the lock manager's byte-range locks.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError

LOCK = ".lock"
POLL_S = 0.2  # how often a waiter retries; a blocking flock could not be interrupted cleanly


class RunLocked(SeqlabError):
    """Another live process holds the run directory's lock (raised with ``wait=False``)."""

    def __init__(self, folder: Path, holder: dict[str, Any] | None) -> None:
        self.folder, self.holder = folder, holder
        super().__init__(
            f"{folder} is being trained by {describe(holder)} (lock file {folder / LOCK}). "
            "Fix: run the same command without --no-wait to wait for it and reuse its "
            "result, or pass another --seed or --out DIR to train a separate run."
        )


@dataclass(frozen=True)
class Lock:
    """A held lock. ``waited``: seconds spent waiting for it; ``stale``: the holder recorded
    in the file when we took it over from a process that had died without releasing it."""

    path: Path
    waited: float
    stale: dict[str, Any] | None


def describe(holder: dict[str, Any] | None) -> str:
    """``pid 123 on host h since 2026-12-02 15:02:11 UTC`` (or a neutral phrase)."""
    if not holder:
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.get("since", 0)))
    return f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} since {since}"


def read_holder(folder: str | Path) -> dict[str, Any] | None:
    """The holder named in the lock file (it may be gone: only the kernel lock is proof)."""
    try:
        text = (Path(folder) / LOCK).read_text()
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def hold(
    folder: str | Path,
    *,
    wait: bool = True,
    on_wait: Callable[[dict[str, Any] | None], None] | None = None,
) -> Iterator[Lock]:
    """Hold the run directory's lock for the ``with`` block (the folder must exist).

    ``wait=False``: raise ``RunLocked`` at once when another process holds it. ``on_wait``
    is called once, with the holder, before waiting starts (e.g. to print a note).
    """
    folder = Path(folder)
    path = folder / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        t0 = time.monotonic()
        if not _try_lock(fd):
            holder = read_holder(folder)
            if not wait:
                raise RunLocked(folder, holder)
            if on_wait is not None:
                on_wait(holder)
            while not _try_lock(fd):
                time.sleep(POLL_S)  # Ctrl-C raises KeyboardInterrupt here, holding nothing
        previous = read_holder(folder)  # a non-empty file under a free lock: its holder died
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        try:
            yield Lock(path, time.monotonic() - t0, previous)
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # released cleanly: nobody to name
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
