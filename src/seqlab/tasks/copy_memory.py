"""Copy memory: read a string of symbols, wait through a blank gap, then write it back.

With an alphabet of K ``symbols``, a string of L = ``length`` symbols and a gap of
G = ``seq_len`` blanks, every sequence has T = L + G + 1 + L token inputs::

    step        0 … L−1        L … L+G−1     L+G       L+G+1 … T−1
    x           s_1 … s_L      blank × G     go        blank × L
    y (scored)  –              –             –         s_1 … s_L

Token ids: 0 … K−1 are the symbols, K is ``blank``, K+1 is ``go`` (``vocab_size`` K + 2).
The model reproduces the string at the L steps after the go marker; only those steps are
scored (mask), and the output classes are the K symbols (``output_size`` K; unscored
targets are 0 and ignored). Symbol s_j is read at step j − 1 and written at step
L + G + j, so every symbol must be remembered for exactly L + G + 1 steps.

Shapes: x (B, T) int64, y (B, T) int64, mask (B, T) bool. Metric: cross-entropy in nats
per scored symbol.

Chance. The symbols are independent and uniform, so without memory of the string the best
prediction is the uniform distribution over the alphabet: cross-entropy log K nats
(``chance``), accuracy 1/K. Note the "gap" option is called ``seq_len`` to match the
``--seq-len`` flag shared with ``adding``; the task's ``seq_len`` attribute is the total T.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from seqlab.tasks._synthetic import SyntheticTask, as_int
from seqlab.tasks.base import Batch


class CopyMemory(SyntheticTask):
    """Options: ``symbols`` K (>= 2, default 8), ``length`` L (default 10), ``seq_len`` gap G
    (default 50), ``eval_size`` (default 512)."""

    name: ClassVar[str] = "copy"
    kind: ClassVar[str] = "classification"
    metric: ClassVar[str] = "cross_entropy"
    richer_hint: ClassVar[str] = "raise length or symbols (there are symbols ** length strings)"

    def __init__(
        self,
        seed: int = 0,
        symbols: int = 8,
        length: int = 10,
        seq_len: int = 50,
        eval_size: int = 512,
    ) -> None:
        self.seed = as_int(seed, "seed", 0)
        self.symbols = as_int(symbols, "symbols", 2)
        self.length = as_int(length, "length", 1)
        self.gap = as_int(seq_len, "seq_len", 0)
        self.eval_size = as_int(eval_size, "eval_size", 1)
        self.blank, self.go = self.symbols, self.symbols + 1
        self.vocab_size = self.symbols + 2
        self.input_size = self.vocab_size
        self.output_size = self.symbols
        self.seq_len = 2 * self.length + self.gap + 1

    def options(self) -> dict[str, Any]:
        return {
            "symbols": self.symbols,
            "length": self.length,
            "seq_len": self.gap,
            "eval_size": self.eval_size,
        }

    @property
    def vocab(self) -> list[str]:
        """Token names by id: symbols ``"0"`` … ``"K-1"``, then ``"_"`` (blank), ``">"`` (go)."""
        return [str(i) for i in range(self.symbols)] + ["_", ">"]

    @property
    def chance(self) -> float:
        """Cross-entropy of the uniform guess over K equally likely symbols: log K nats."""
        return math.log(self.symbols)

    @property
    def scored_slice(self) -> slice:
        """The steps where the string is reproduced (the last L)."""
        return slice(self.seq_len - self.length, self.seq_len)

    def _draw(self, n: int, generator: torch.Generator) -> Batch:
        L = self.length
        string = torch.randint(0, self.symbols, (n, L), generator=generator)
        x = torch.full((n, self.seq_len), self.blank, dtype=torch.long)
        x[:, :L] = string
        x[:, L + self.gap] = self.go
        y = torch.zeros(n, self.seq_len, dtype=torch.long)
        y[:, self.scored_slice] = string
        mask = torch.zeros(n, self.seq_len, dtype=torch.bool)
        mask[:, self.scored_slice] = True
        return Batch(x, y, mask)


TASK = CopyMemory
