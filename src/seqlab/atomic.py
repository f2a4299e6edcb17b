"""Atomic file writes: every file seqlab writes for others to read goes through here.

A file is written into a temporary file in the same folder, flushed and fsynced, then
``os.replace``d over the target (atomic on POSIX), and the folder fsynced. A reader
therefore sees the old file or the new one, never half of one; a crash leaves at most a
stray ``.NAME.tmp-*`` file, which ``clean_temporaries`` removes. New files get the mode the
umask allows (``mkstemp`` alone would make them private). Any ``OSError`` becomes an
``OutputError`` naming the file and the fix.

Test hook: ``SEQLAB_TEST_PAUSE_WRITE="NAME:N:MARKER"`` makes the N-th write of a file
called NAME stop after its temporary file is complete and before the replace: it creates
the file MARKER and waits until a test deletes it (at most 120 s), so the test can SIGKILL
the process exactly there, or act while it is paused and then let it go on.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError

__all__ = [
    "PAUSE_ENV",
    "OutputError",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_writable",
    "clean_temporaries",
]

PAUSE_ENV = "SEQLAB_TEST_PAUSE_WRITE"
_write_counts: dict[str, int] = {}
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class OutputError(SeqlabError):
    """The output folder cannot be written (permissions, disk full, read-only …)."""


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, ``os.replace``)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    except OSError as e:
        raise _output_error(path, e) from e
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would hide results from others
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _maybe_pause(path)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _output_error(path, e) from e
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=True) + "\n")


def clean_temporaries(folder: str | Path) -> list[Path]:
    """Remove temporary files a crash left behind in ``folder``; return what was removed."""
    removed = []
    for p in Path(folder).glob(".*.tmp-*"):
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


def check_writable(folder: str | Path) -> None:
    """Fail early, with a clear message, when ``folder`` cannot be created or written."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as e:
        raise _output_error(folder / ".write-test", e) from e


# ----- internals ---------------------------------------------------------------------


def _output_error(path: Path, e: OSError) -> OutputError:
    folder = path.parent
    return OutputError(
        f"cannot write {path.name} in the output folder {folder}: {e.strerror or e}. "
        "Check that the folder is writable and the disk is not full, or choose another "
        "folder with --out DIR."
    )


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _maybe_pause(path: Path) -> None:
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    name, n, marker = spec.split(":", 2)
    if path.name != name:
        return
    _write_counts[name] = _write_counts.get(name, 0) + 1
    if _write_counts[name] == int(n):
        Path(marker).write_text(str(path))
        deadline = time.monotonic() + 120
        while Path(marker).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
