"""Text corpora as lists of lines (verses, fortune entries, lines of a user file), the
tokeniser and the vocabulary.

Sources (none downloaded at run time; see DATA.md):

    kjv          King James Bible, extracted with ``bible -f Gen1:1-Rev22:21`` (Debian
                 ``bible-kjv``), one verse per line with its reference ("Ge1:1 ") stripped;
                 cached under ``cache_dir()/kjv.txt`` (written atomically)
    fortunes     English fortune files (``fortunes``), one entry per item
    fortunes-de  German fortune files (``fortunes-de``), one entry per item
    a path       a UTF-8 text file (one item per non-blank line), or a folder: with
                 ``train.txt``/``valid.txt``/``test.txt`` that split as given, otherwise every
                 ``*.txt`` in it (sorted by name) as one text

Tokens: words (with an inner apostrophe: ``don't``, ``Lord's``) and single punctuation
marks, ``\\w+(?:'\\w+)*|[^\\w\\s]``; optionally lower-cased; ``<eos>`` ends every item.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seqlab.atomic import OutputError, atomic_write_text
from seqlab.data.files import cache_dir, read_text, require_package
from seqlab.errors import DataValidationError

UNK, EOS = "<unk>", "<eos>"
TOKEN_RE = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
KJV_PACKAGE = "bible-kjv"
KJV_FILES = ("/usr/bin/bible", "/usr/lib/bible.data")
KJV_RANGE = "Gen1:1-Rev22:21"
FORTUNES_DIR = Path("/usr/share/games/fortunes")
FORTUNES_DE_DIR = FORTUNES_DIR / "de"
ASCII_ART = frozenset({"ascii-art", "asciiart"})  # pictures, not prose
CORPORA = ("kjv", "fortunes", "fortunes-de")
_VERSE_REF = re.compile(r"^\d?[A-Za-z]+\d+:\d+\s+")


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Words and punctuation marks of ``text`` (no ``<eos>``)."""
    return TOKEN_RE.findall(text.lower() if lowercase else text)


def tokenize_items(items: Iterable[str], lowercase: bool = True) -> list[str]:
    """All tokens of ``items``, each item followed by ``<eos>``."""
    out: list[str] = []
    for item in items:
        out.extend(tokenize(item, lowercase))
        out.append(EOS)
    return out


@dataclass(frozen=True)
class Vocab:
    """Token ↔ id. Ids 0 and 1 are ``<unk>`` and ``<eos>``; then the words with count
    ``>= min_count`` on the training tokens, most frequent first (ties alphabetical)."""

    itos: tuple[str, ...]

    @classmethod
    def build(cls, tokens: Iterable[str], min_count: int = 1) -> Vocab:
        counts = Counter(t for t in tokens if t not in (UNK, EOS))
        kept = [w for w, c in counts.items() if c >= min_count]
        kept.sort(key=lambda w: (-counts[w], w))
        return cls((UNK, EOS, *kept))

    def __post_init__(self) -> None:
        object.__setattr__(self, "_stoi", {t: i for i, t in enumerate(self.itos)})

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def id(self, token: str) -> int:
        return self._stoi.get(token, 0)

    def ids(self, tokens: Iterable[str]) -> list[int]:
        stoi = self._stoi
        return [stoi.get(t, 0) for t in tokens]

    def tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]


@dataclass(frozen=True)
class Corpus:
    """Items of text, either one sequence to split (``given_splits`` None) or three given
    splits; ``source`` names where it came from (for messages and run configs)."""

    source: str
    items: tuple[str, ...] = ()
    given_splits: dict[str, tuple[str, ...]] | None = None


def kjv_verses() -> list[str]:
    """The 31,102 verses of the King James Bible, references stripped (cached)."""
    cache = cache_dir() / "kjv.txt"
    try:
        text = cache.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    if text.count("\n") < 1000:  # no cache (or not one this function wrote): extract
        require_package(KJV_PACKAGE, list(KJV_FILES), "King James Bible")
        try:
            out = subprocess.run(
                [KJV_FILES[0], "-f", KJV_RANGE], capture_output=True, check=True, timeout=120
            ).stdout.decode("utf-8", errors="replace")
        except (OSError, subprocess.SubprocessError) as e:
            raise DataValidationError(
                f"`bible -f {KJV_RANGE}` failed ({e}). Fix: reinstall it with "
                f"`apt-get install --reinstall -y {KJV_PACKAGE}`."
            ) from None
        verses = [_VERSE_REF.sub("", line).strip() for line in out.splitlines() if line.strip()]
        if len(verses) < 1000:
            raise DataValidationError(
                f"`bible -f {KJV_RANGE}` printed only {len(verses)} verses. Fix: reinstall "
                f"`{KJV_PACKAGE}` (`apt-get install --reinstall -y {KJV_PACKAGE}`)."
            )
        text = "\n".join(verses) + "\n"
        with contextlib.suppress(OutputError):  # an unwritable cache costs 0.1 s next time
            atomic_write_text(cache, text)
    return text.splitlines()


def fortune_files(folder: Path) -> list[Path]:
    """The prose fortune files of ``folder``: no ``*.dat``/``*.u8`` indexes, no ASCII art."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix not in (".dat", ".u8") and p.name not in ASCII_ART
    )


def fortune_entries(german: bool = False) -> list[str]:
    """Entries of the English (or German) fortune files, in file-name order; an entry's
    lines are joined by spaces."""
    if german:
        folder, package, probe, what = (
            FORTUNES_DE_DIR,
            "fortunes-de",
            "zitate",
            "German fortune files",
        )
    else:
        folder, package, probe, what = FORTUNES_DIR, "fortunes", "people", "English fortune files"
    require_package(package, [folder / probe], what)
    entries: list[str] = []
    for path in fortune_files(folder):
        entries.extend(split_fortunes(read_text(path, "fortune file")))
    return entries


def split_fortunes(text: str) -> list[str]:
    """Entries of one fortune file: separated by lines holding only ``%``."""
    entries, lines = [], []
    for line in [*text.splitlines(), "%"]:
        if line.strip() == "%":
            entry = " ".join(s.strip() for s in lines if s.strip())
            if entry:
                entries.append(entry)
            lines = []
        else:
            lines.append(line)
    return entries


def text_items(text: str) -> list[str]:
    """Non-blank lines of a user's text."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_corpus(corpus: str = "kjv", data: str | os.PathLike | None = None) -> Corpus:
    """The corpus named by ``corpus``, or the user's ``data`` (a file or folder) if given."""
    if data is None:
        if corpus == "kjv":
            return Corpus("kjv", tuple(kjv_verses()))
        if corpus in ("fortunes", "fortunes-de"):
            return Corpus(corpus, tuple(fortune_entries(german=corpus == "fortunes-de")))
        raise DataValidationError(f"unknown corpus {corpus!r}; choose one of {', '.join(CORPORA)}")
    path = Path(data).expanduser()
    if not path.is_dir():
        return Corpus(str(path), tuple(text_items(read_text(path))))
    named = {s: path / f"{s}.txt" for s in ("train", "valid", "test")}
    present = [s for s, p in named.items() if p.exists()]
    if present and len(present) < 3:
        missing = sorted(set(named) - set(present))
        raise DataValidationError(
            f"{path}: has {', '.join(f'{s}.txt' for s in present)} but not "
            f"{', '.join(f'{s}.txt' for s in missing)}. Fix: provide all three split files, "
            "or none (then the folder's *.txt files are split 90/5/5)."
        )
    if present:
        return Corpus(
            str(path),
            given_splits={s: tuple(text_items(read_text(p))) for s, p in named.items()},
        )
    files = sorted(path.glob("*.txt"))
    if not files:
        raise DataValidationError(
            f"{path}: is a folder without *.txt files. Fix: name a UTF-8 text file, or a folder "
            "holding *.txt files (or train.txt, valid.txt and test.txt)."
        )
    items: list[str] = []
    for f in files:
        items.extend(text_items(read_text(f)))
    return Corpus(str(path), tuple(items))


def split_items(
    token_counts: Sequence[int], fractions: tuple[float, float] = (0.9, 0.05)
) -> tuple[int, int]:
    """Item boundaries ``(a, b)`` so items ``[:a]``, ``[a:b]``, ``[b:]`` hold about
    ``fractions`` of the tokens (train, valid, rest = test): the first item boundaries at
    or after those shares of the running token count, moved so that valid and test keep
    at least one item each (needs three items or more)."""
    total = sum(token_counts)
    a = b = None
    running = 0
    for i, c in enumerate(token_counts):
        running += c
        if a is None and running >= fractions[0] * total:
            a = i + 1
        if b is None and running >= (fractions[0] + fractions[1]) * total:
            b = i + 1
    n = len(token_counts)
    # keep at least one item for valid and for test when there are three or more
    a = max(1, min(a if a is not None else n, n - 2))
    b = min(max(b if b is not None else n, a + 1), n - 1)
    return a, b
