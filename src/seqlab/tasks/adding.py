"""The adding problem (Hochreiter & Schmidhuber, 1997): add two numbers marked long ago.

Each step t of a sequence of length T carries two channels::

    x[:, t, 0] = v_t ~ U[0, 1]                 the value
    x[:, t, 1] = 1 at exactly two steps a, b   the marker, 0 elsewhere

    a ~ U{0, …, ⌊T/2⌋ − 1}   (first half)     b ~ U{⌊T/2⌋, …, T − 1}   (second half)

and the target, scored at the last step only, is ``y[:, T−1, 0] = v_a + v_b``.

Shapes: x (B, T, 2) float32, y (B, T, 1) float32 (zero where unscored), mask (B, T) bool
with only column T − 1 set. Metric: mean squared error.

Marker placement. We use the now-standard variant (one marker in each half, as in Le,
Jaitly & Hinton 2015 and Arjovsky, Shah & Bengio 2016) with values in [0, 1]. The 1997
paper drew values from [−1, 1], rescaled the target, and placed the first marker among the
first ten steps; either way the first marker is at least about T/2 steps before the end,
which is what makes the task long-range.

Baseline. A model that ignores the inputs does best by predicting the mean E[v_a + v_b] = 1;
its MSE is Var(v_a + v_b) = 2 Var(U[0, 1]) = 2 · (1 − 0)² / 12 = 1/6, computed below from the
distribution (``chance``). A model has learned the task only when it is far below that.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from seqlab.tasks._synthetic import SyntheticTask, as_int
from seqlab.tasks.base import Batch

VALUE_LOW, VALUE_HIGH = 0.0, 1.0  # v_t ~ U[VALUE_LOW, VALUE_HIGH]
N_MARKED = 2


def uniform_variance(low: float, high: float) -> float:
    """Var(U[low, high]) = (high − low)² / 12."""
    return (high - low) ** 2 / 12.0


class Adding(SyntheticTask):
    """Options: ``seq_len`` T (>= 2, default 50), ``eval_size`` (default 512)."""

    name: ClassVar[str] = "adding"
    kind: ClassVar[str] = "regression"
    metric: ClassVar[str] = "mse"

    def __init__(self, seed: int = 0, seq_len: int = 50, eval_size: int = 512) -> None:
        self.seed = as_int(seed, "seed", 0)
        self.seq_len = as_int(seq_len, "seq_len", 2)
        self.eval_size = as_int(eval_size, "eval_size", 1)
        self.input_size = 2
        self.output_size = 1

    def options(self) -> dict[str, Any]:
        return {"seq_len": self.seq_len, "eval_size": self.eval_size}

    @property
    def chance(self) -> float:
        """MSE of the best constant prediction, the mean: Var of a sum of independent values."""
        return N_MARKED * uniform_variance(VALUE_LOW, VALUE_HIGH)

    def baselines(self) -> dict[str, float]:
        return {"chance": self.chance, "predict_mean": self.chance}

    def _draw(self, n: int, generator: torch.Generator) -> Batch:
        T, half = self.seq_len, self.seq_len // 2
        values = VALUE_LOW + (VALUE_HIGH - VALUE_LOW) * torch.rand(n, T, generator=generator)
        first = torch.randint(0, half, (n,), generator=generator)
        second = torch.randint(half, T, (n,), generator=generator)
        rows = torch.arange(n)
        marker = torch.zeros(n, T)
        marker[rows, first] = 1.0
        marker[rows, second] = 1.0
        x = torch.stack([values, marker], dim=-1)  # (B, T, 2)
        y = torch.zeros(n, T, 1)
        y[:, -1, 0] = values[rows, first] + values[rows, second]
        mask = torch.zeros(n, T, dtype=torch.bool)
        mask[:, -1] = True
        return Batch(x, y, mask)


TASK = Adding
