"""What the generated tasks (recall, adding, copy) share: fixed, disjoint evaluation sets.

A synthetic task only has to say how to draw ``n`` random examples from a generator
(``_draw(n, generator) -> Batch``). This base class turns that into the Task interface:

* **valid / test** are drawn once, lazily, from their own generators seeded with
  ``derive_seed(seed, name, split)`` (independent streams), with duplicate rows removed and
  the valid set drawn *excluding* every test row;
* **train** batches come from the caller's ``torch.Generator``; any row whose input equals a
  valid or test input (compared by a 128-bit BLAKE2 digest of its bytes) is redrawn, so
  training never sees an evaluation input, whatever generator seed the caller picks;
* when the input space is so small that the evaluation sets alone are full of duplicates,
  disjoint splits would leave little to train on: that is a ``ConfigError`` naming the fix.

For every task here the input ``x`` determines the target, so "no overlap" is tested on
``x`` alone.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Iterator
from functools import cached_property
from typing import Any, ClassVar

import torch

from seqlab.errors import ConfigError
from seqlab.tasks.base import Batch, Task

EVAL_SPLITS = ("valid", "test")
# Duplicates allowed while drawing the evaluation sets, as a fraction of the rows drawn.
# By the birthday bound that fraction is about M / (2N) for M rows from N distinct inputs,
# so 5% means N >~ 10 M: training then rejects at most ~10% of its draws.
_MAX_DUPLICATE_FRACTION = 0.05
_MAX_REDRAW_ROUNDS = 1000


def derive_seed(seed: int, *parts: str) -> int:
    """A 63-bit seed for the stream named by ``parts``, independent of the others."""
    text = ":".join([str(seed), *parts]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


def row_digests(x: torch.Tensor) -> list[bytes]:
    """One 16-byte digest per row of ``x`` (B, ...): equal rows, equal digests."""
    rows = x.detach().cpu().contiguous().reshape(x.shape[0], -1).numpy()
    return [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows]


def as_int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer option (an int or a string of digits) within bounds, else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"option {name}: expected an integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"option {name}: expected an integer, got {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"option {name}: must be {bounds}, got {number}")
    return number


def as_int_range(value: Any, name: str, minimum: int) -> tuple[int, int]:
    """``7``, ``"7"``, ``"5-20"`` or ``(5, 20)`` -> ``(lo, hi)``, inclusive, minimum <= lo <= hi."""
    if isinstance(value, str) and "-" in value.strip().lstrip("-"):
        lo_text, _, hi_text = value.strip().partition("-")
        lo, hi = as_int(lo_text.strip(), name, minimum), as_int(hi_text.strip(), name, minimum)
    elif isinstance(value, tuple | list):
        if len(value) != 2:
            raise ConfigError(f"option {name}: a range is two integers (lo, hi), got {value!r}")
        lo, hi = as_int(value[0], name, minimum), as_int(value[1], name, minimum)
    else:
        lo = hi = as_int(value, name, minimum)
    if lo > hi:
        raise ConfigError(f"option {name}: range {lo}-{hi} is empty; write it as low-high")
    return lo, hi


def _take(batch: Batch, rows: torch.Tensor) -> Batch:
    return Batch(batch.x[rows], batch.y[rows], batch.mask[rows])


def _cat(batches: list[Batch]) -> Batch:
    return Batch(
        torch.cat([b.x for b in batches]),
        torch.cat([b.y for b in batches]),
        torch.cat([b.mask for b in batches]),
    )


class SyntheticTask(Task):
    """A generated task: subclasses implement ``_draw`` and set ``seed`` and ``eval_size``."""

    seed: int
    eval_size: int
    richer_hint: ClassVar[str] = "make the inputs longer or richer (see the task's options)"

    @abstractmethod
    def _draw(self, n: int, generator: torch.Generator) -> Batch:
        """``n`` independent random examples, all randomness from ``generator``."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """The constructor options (JSON-serialisable) that rebuild this task with ``seed``."""

    def describe(self) -> dict:
        return {**super().describe(), "seed": self.seed, "options": self.options()}

    # -- evaluation sets ------------------------------------------------------------------

    @cached_property
    def _eval(self) -> dict[str, Batch]:
        sets: dict[str, Batch] = {}
        seen: set[bytes] = set()
        duplicates = 0
        for split in ("test", "valid"):  # valid excludes test
            g = torch.Generator().manual_seed(derive_seed(self.seed, self.name, split))
            parts, have = [], 0
            while have < self.eval_size:
                batch = self._draw(self.eval_size - have, g)
                keep = []
                for i, d in enumerate(row_digests(batch.x)):
                    if d in seen:
                        duplicates += 1
                    else:
                        seen.add(d)
                        keep.append(i)
                if duplicates > _MAX_DUPLICATE_FRACTION * 2 * self.eval_size:
                    raise ConfigError(
                        f"task {self.name!r} with {self.options()} has too few distinct inputs "
                        f"for disjoint train/valid/test sets: {duplicates} repeats while drawing "
                        f"2 x {self.eval_size} evaluation examples. Fix: {self.richer_hint}, "
                        f"or lower eval_size."
                    )
                parts.append(_take(batch, torch.tensor(keep, dtype=torch.long)))
                have += len(keep)
            sets[split] = _cat(parts)
        self._eval_digests = seen
        return sets

    def eval_digests(self) -> frozenset[bytes]:
        """Digests of every valid and test input (what training must never draw)."""
        _ = self._eval
        return frozenset(self._eval_digests)

    def eval_set(self, split: str) -> Batch:
        """The whole fixed evaluation set of ``split`` as one batch (``eval_size`` rows)."""
        if split not in EVAL_SPLITS:
            raise ValueError(f"split must be one of {EVAL_SPLITS}, got {split!r}")
        return self._eval[split]

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        data = self.eval_set(split)
        for start in range(0, data.x.shape[0], batch_size):
            yield Batch(*(t[start : start + batch_size] for t in (data.x, data.y, data.mask)))

    # -- training -------------------------------------------------------------------------

    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        excluded = self._eval_digests if "_eval" in self.__dict__ else self.eval_digests()
        batch = self._draw(batch_size, generator)
        for _ in range(_MAX_REDRAW_ROUNDS):
            clash = [i for i, d in enumerate(row_digests(batch.x)) if d in excluded]
            if not clash:
                return batch
            rows = torch.tensor(clash, dtype=torch.long)
            fresh = self._draw(len(clash), generator)
            batch.x[rows], batch.y[rows], batch.mask[rows] = fresh.x, fresh.y, fresh.mask
        raise ConfigError(  # unreachable unless nearly every input is an evaluation input
            f"task {self.name!r}: could not draw training examples outside the evaluation sets; "
            f"lower eval_size or make the inputs richer"
        )
