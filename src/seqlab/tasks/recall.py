"""The "Alice" task: a cue word early in a sentence decides the answer at its very end.

    … on a rainy tuesday alice is HUNGRY , after work she drives to the nearest store to buy
                                  ^ cue (step T − d)                       query (T − 1) ^
    answer: food

Every sequence has T = ``lead`` + d_max token inputs. Exactly one of them is a cue (one
per answer class: hungry → food, thirsty → water, tired → coffee, cold → coat …); the last
input is always the query word ``buy``, and the target at that step, the only scored step,
is the answer class of the cue. Everything else is filler drawn independently of the cue,
so the answer is a function of the cue alone.

**Distance.** ``d`` is the number of inputs from the cue to the query, both included: the
cue is input ``T − d`` (0-based) and the query input ``T − 1``. A feed-forward window over
the last ``k`` inputs (``T − k … T − 1``) therefore contains the cue if and only if
``k >= d``; with ``k < d`` nothing it sees depends on the answer and it is at chance,
1 / ``classes``. ``d >= 2``. With a range ``"lo-hi"`` every sequence draws its own ``d``
uniformly from ``lo … hi``; ``cue_index(x)`` finds the cue of each row (the cue tokens occur
nowhere else), ``distance(x)`` gives ``T − cue_index(x)``.

**Variants.**

``words`` (default): English filler phrases ("after work", "on a rainy tuesday",
"she drives to the nearest store" …) fill the ``lead`` − 2 + d_max − d words before
"alice is" and the d − 2 words between the cue and the query, each stretch filled exactly
by whole phrases that fit (drawn in proportion to their length). ``symbols``: no
language — the cue is one of ``c0 …``, every other input but the query ``?`` is a random
distractor symbol ``x0 … x{m-1}``, for clean experiments. The filler before the cue keeps
the input space large even for d = 2, so train / valid / test can be disjoint.

Shapes: x (B, T) int64 token ids (``vocab``), y (B, T) int64 (the answer class at T − 1,
0 elsewhere), mask (B, T) bool (only T − 1). Metric: accuracy; ``chance`` = 1 / classes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, ClassVar

import torch

from seqlab.errors import ConfigError
from seqlab.tasks._synthetic import SyntheticTask, as_int, as_int_range
from seqlab.tasks.base import Batch

# (cue, answer) in class order; ``classes`` = n uses the first n.
CUES: tuple[tuple[str, str], ...] = (
    ("hungry", "food"),
    ("thirsty", "water"),
    ("tired", "coffee"),
    ("cold", "coat"),
    ("sick", "medicine"),
    ("bored", "book"),
    ("dirty", "soap"),
    ("lost", "map"),
    ("hot", "ice"),
    ("wet", "towel"),
)
SUBJECT = ("alice", "is")  # the two words right before the cue (words variant)
QUERY = "buy"
# Real filler phrases, none containing a cue, the subject or the query. ``distractors`` = n
# uses the first n; the first is one word long so any stretch of words can be filled.
FILLER_PHRASES: tuple[str, ...] = (
    "then",
    ",",
    "after work",
    "on a rainy tuesday",
    "she drives to the nearest store",
    "in the morning",
    "with her friend",
    "and",
    "later that day",
    "as usual",
    "without a word",
    "she takes the bus",
    "past the old library",
    "down the street",
    "at the corner",
    "quickly",
    "again",
    "so",
    "she walks through the park",
    "to the market",
    "near the station",
    "on her way home",
    "finally",
    "she decides to go out",
    "she stops for a moment",
    "she drives to the nearest store to",
    "she goes out to",
    "today",
)
VARIANTS = ("words", "symbols")
MAX_SYMBOL_CLASSES = 100


class Recall(SyntheticTask):
    """Options: ``distance`` d (int or range "lo-hi", default 10), ``classes`` (default 4),
    ``variant`` ("words" | "symbols"), ``lead`` (inputs before the cue at the largest
    distance, default 8), ``distractors`` (filler phrases / distractor symbols to draw from;
    default all phrases / 16 symbols), ``eval_size`` (default 512)."""

    name: ClassVar[str] = "recall"
    kind: ClassVar[str] = "classification"
    metric: ClassVar[str] = "accuracy"
    richer_hint: ClassVar[str] = "raise lead (filler before the cue) or distractors"

    def __init__(
        self,
        seed: int = 0,
        distance: int | str | tuple[int, int] = 10,
        classes: int = 4,
        variant: str = "words",
        lead: int = 8,
        distractors: int | None = None,
        eval_size: int = 512,
    ) -> None:
        if variant not in VARIANTS:
            raise ConfigError(
                f"option variant: choose one of {', '.join(VARIANTS)}, got {variant!r}"
            )
        words = variant == "words"
        self.variant = variant
        self.seed = as_int(seed, "seed", 0)
        try:
            self.d_min, self.d_max = as_int_range(distance, "distance", 2)
        except ConfigError as e:
            raise ConfigError(
                f"{e}. d counts the inputs from the cue to the query, both included (so d >= 2); "
                f"give an integer like 10 or a range like 5-20"
            ) from None
        self.classes = as_int(classes, "classes", 2, len(CUES) if words else MAX_SYMBOL_CLASSES)
        self.lead = as_int(lead, "lead", len(SUBJECT) if words else 0)
        n_fill = len(FILLER_PHRASES) if words else 16
        self.distractors = (
            n_fill
            if distractors is None
            else as_int(distractors, "distractors", 1, len(FILLER_PHRASES) if words else None)
        )
        self.eval_size = as_int(eval_size, "eval_size", 1)
        self.seq_len = self.lead + self.d_max
        self.output_size = self.classes

        if words:
            self.cues = [c for c, _ in CUES[: self.classes]]
            self.answers = [a for _, a in CUES[: self.classes]]
            phrases = [tuple(p.split()) for p in FILLER_PHRASES[: self.distractors]]
            self._phrases = sorted(phrases, key=len)  # for "the phrases that fit": a prefix
            self._phrase_lengths = [len(p) for p in self._phrases]
            self._phrase_weights = list(accumulate(self._phrase_lengths))  # ∝ length
            rest = sorted({w for p in phrases for w in p} | set(SUBJECT))
            self.vocab = [*self.cues, QUERY, *rest]
        else:
            self.cues = [f"c{i}" for i in range(self.classes)]
            self.answers = [f"a{i}" for i in range(self.classes)]
            self.vocab = [*self.cues, "?", *(f"x{i}" for i in range(self.distractors))]
        self._ids = {w: i for i, w in enumerate(self.vocab)}
        self.query_id = self.classes  # cues are ids 0 … classes−1, the query comes next
        self.vocab_size = len(self.vocab)
        self.input_size = self.vocab_size

    def options(self) -> dict[str, Any]:
        distance = self.d_min if self.d_min == self.d_max else f"{self.d_min}-{self.d_max}"
        return {
            "distance": distance,
            "classes": self.classes,
            "variant": self.variant,
            "lead": self.lead,
            "distractors": self.distractors,
            "eval_size": self.eval_size,
        }

    @property
    def chance(self) -> float:
        """Accuracy of guessing: the classes are equally likely and independent of the filler."""
        return 1.0 / self.classes

    # -- vocabulary -----------------------------------------------------------------------

    def encode(self, words: str | Sequence[str]) -> list[int]:
        """Token ids of ``words`` (a list, or a string split on whitespace)."""
        tokens = words.split() if isinstance(words, str) else list(words)
        unknown = [w for w in tokens if w not in self._ids]
        if unknown:
            raise ConfigError(
                f"recall ({self.variant}): {', '.join(map(repr, unknown))} not in the vocabulary; "
                f"use words from: {' '.join(self.vocab)}"
            )
        return [self._ids[w] for w in tokens]

    def decode(self, ids: Sequence[int] | torch.Tensor) -> list[str]:
        return [self.vocab[int(i)] for i in ids]

    # -- where the cue is -----------------------------------------------------------------

    def cue_index(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B,) int64 step of each row's cue (its only cue token)."""
        is_cue = x < self.classes  # (B, T)
        if not torch.equal(is_cue.sum(dim=1), torch.ones(x.shape[0], dtype=torch.long)):
            raise ValueError("every row must hold exactly one cue token")
        return is_cue.long().argmax(dim=1)

    def distance(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T) ids -> (B,) int64 d = T − cue_index(x)."""
        return x.shape[1] - self.cue_index(x)

    # -- generation -----------------------------------------------------------------------

    def _filler(self, n: int, u: Iterator[float]) -> list[str]:
        """Exactly ``n`` words of whole phrases. Each is drawn among the phrases that fit,
        with probability proportional to its length (as if picking a word of the phrase
        list at random), so whole phrases dominate and one-word fillers only top up."""
        out: list[str] = []
        while len(out) < n:
            fitting = bisect_right(self._phrase_lengths, n - len(out))  # a prefix: sorted
            total = self._phrase_weights[fitting - 1]
            pick = bisect_right(self._phrase_weights, next(u) * total, hi=fitting - 1)
            out.extend(self._phrases[pick])
        return out

    def _compose(
        self, cls: torch.Tensor, dist: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """(n,) classes and (n,) distances -> (n, T) token ids."""
        n, T = cls.shape[0], self.seq_len
        if self.variant == "symbols":
            x = torch.randint(self.classes + 1, self.vocab_size, (n, T), generator=generator)
            x[torch.arange(n), T - dist] = cls
        else:
            u = torch.rand(n, T, generator=generator).tolist()  # (n, T) phrase choices
            rows = []
            for c, d, u_row in zip(cls.tolist(), dist.tolist(), u, strict=True):
                pick = iter(u_row)
                words = [
                    *self._filler(T - d - len(SUBJECT), pick),
                    *SUBJECT,
                    self.cues[c],
                    *self._filler(d - 2, pick),
                ]
                rows.append([self._ids[w] for w in words])
            x = torch.tensor(rows, dtype=torch.long).reshape(n, T - 1)
            x = torch.cat([x, torch.zeros(n, 1, dtype=torch.long)], dim=1)  # (n, T)
        x[:, -1] = self.query_id
        return x

    def _draw(self, n: int, generator: torch.Generator) -> Batch:
        cls = torch.randint(0, self.classes, (n,), generator=generator)
        dist = torch.randint(self.d_min, self.d_max + 1, (n,), generator=generator)
        x = self._compose(cls, dist, generator)
        y = torch.zeros(n, self.seq_len, dtype=torch.long)
        y[:, -1] = cls
        mask = torch.zeros(n, self.seq_len, dtype=torch.bool)
        mask[:, -1] = True
        return Batch(x, y, mask)

    def sentence(self, cue_class: int, distance: int, generator: torch.Generator) -> list[str]:
        """One example input as words (length T), with the given cue class and distance."""
        c = as_int(cue_class, "cue_class", 0, self.classes - 1)
        d = as_int(distance, "distance", self.d_min, self.d_max)
        x = self._compose(torch.tensor([c]), torch.tensor([d]), generator)
        return self.decode(x[0])


TASK = Recall
