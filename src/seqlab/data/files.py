"""Reading the user's files safely: every problem becomes a ``DataValidationError``.

A message names the file, what is wrong and how to fix it, e.g.

    data/prices.csv: not UTF-8 text: byte 0xe9 at offset 1,204 (looks like latin-1 /
    cp1252). Fix: re-save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in > out`.

Writes that other runs may read (the corpus cache) go through ``seqlab.atomic``.
"""

from __future__ import annotations

import os
from pathlib import Path

from seqlab.errors import DataValidationError

_SNIFF_BYTES = 8192


def check_file(path: str | os.PathLike, what: str = "data file") -> Path:
    """``path`` as a Path after checking it exists, is a regular file and is not empty."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataValidationError(
            f"{p}: {what} not found. Fix: check the path (relative paths start at {Path.cwd()})."
        )
    if p.is_dir():
        raise DataValidationError(
            f"{p}: is a directory, but a {what} is needed here. Fix: name a file inside it."
        )
    if not p.is_file():
        raise DataValidationError(f"{p}: not a regular file. Fix: name a regular {what}.")
    if p.stat().st_size == 0:
        raise DataValidationError(
            f"{p}: the {what} is empty (0 bytes). Fix: name a file with data."
        )
    return p


def check_dir_or_file(path: str | os.PathLike, what: str = "data") -> Path:
    """``path`` as a Path after checking it exists (a folder or a non-empty file)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataValidationError(
            f"{p}: {what} not found. Fix: check the path (relative paths start at {Path.cwd()})."
        )
    return p if p.is_dir() else check_file(p, what)


def _likely_encoding(raw: bytes) -> str:
    """A cheap guess at a non-UTF-8 encoding (BOMs, then UTF-16 by NUL pattern, else cp1252)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 (byte-order mark)"
    head = raw[:_SNIFF_BYTES]
    if head and head[1::2].count(0) > 0.4 * len(head[1::2]):
        return "UTF-16-LE"
    try:
        raw.decode("cp1252")
        return "latin-1 / cp1252"
    except UnicodeDecodeError:
        return "an 8-bit code page (latin-1?)"


def read_text(path: str | os.PathLike, what: str = "text file") -> str:
    """The file decoded as UTF-8 (a leading BOM is dropped), after the checks of
    ``check_file``; binary files and other encodings raise ``DataValidationError``."""
    p = check_file(path, what)
    raw = p.read_bytes()
    encoding = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:_SNIFF_BYTES]:
        guess = _likely_encoding(raw)
        if guess.startswith("UTF-16"):
            raise DataValidationError(
                f"{p}: not UTF-8 text: it looks like {guess}. Fix: re-save it as UTF-8, e.g. "
                f"`iconv -f UTF-16 -t UTF-8 {p.name} > {p.stem}-utf8{p.suffix}`."
            )
        offset = raw.index(b"\x00")
        raise DataValidationError(
            f"{p}: looks binary, not text (NUL byte at offset {offset:,}). "
            f"Fix: name a plain-text {what} (UTF-8)."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        encoding = _likely_encoding(raw)
        line = raw[: e.start].count(b"\n") + 1
        raise DataValidationError(
            f"{p}: not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start:,} (line {line}) "
            f"is invalid; the file looks like {encoding}. Fix: re-save it as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {p.name} > {p.stem}-utf8{p.suffix}`."
        ) from None
    return text.removeprefix("\ufeff")


def cache_dir() -> Path:
    """seqlab's cache folder: ``$SEQLAB_CACHE``, else ``$XDG_CACHE_HOME/seqlab``, else
    ``~/.cache/seqlab`` (created on first write, not here)."""
    if os.environ.get("SEQLAB_CACHE"):
        return Path(os.environ["SEQLAB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqlab"


def require_package(package: str, paths: list[str | os.PathLike], what: str) -> None:
    """Raise if any of ``paths`` (files a Debian data package installs) is missing."""
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise DataValidationError(
            f"{what}: not installed ({missing[0]} not found; it comes with the Debian "
            f"package `{package}`). Fix: `sudo apt-get install -y {package}` (or, as root, "
            f"`apt-get install -y {package}`), or `make data` in the seqlab checkout."
        )
