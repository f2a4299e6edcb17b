"""The metrics every task reports, from sums accumulated over masked (scored) steps.

accuracy      = correct / n                 (classification, higher is better)
cross_entropy = Σ −log p(y) / n   (nats)    (classification, lower is better)
perplexity    = exp(cross_entropy)          (language modelling, lower is better)
mse           = Σ (ŷ − y)² / n              (regression, lower is better)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

HIGHER_IS_BETTER = {"accuracy": True, "cross_entropy": False, "perplexity": False, "mse": False}


def masked_loss(
    output: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, kind: str
) -> torch.Tensor:
    """Mean loss over scored steps. ``output`` (B, T, O); ``y`` (B, T) class ids for
    ``kind="classification"`` or (B, T, O) values for ``"regression"``; ``mask`` (B, T) bool."""
    if kind == "classification":  # unscored targets are ignored, not gathered out (no copy)
        target = torch.where(mask, y, -100)
        return F.cross_entropy(output.flatten(0, 1), target.flatten(), ignore_index=-100)
    return F.mse_loss(output[mask], y[mask])


@dataclass
class MetricSums:
    """Running sums over batches; ``value(metric)`` turns them into the metric."""

    n: float = 0.0
    loss_sum: float = 0.0  # Σ CE (nats) or Σ squared error (per value)
    correct: float = 0.0

    @torch.no_grad()
    def add(self, output: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, kind: str) -> None:
        out, tgt = output[mask], y[mask]
        if kind == "classification":
            nll = F.cross_entropy(out, tgt, reduction="none")
            self.add_scores(nll, out.argmax(-1) == tgt)
        else:
            self.loss_sum += F.mse_loss(out, tgt, reduction="sum").item()
            self.n += tgt.numel()

    @torch.no_grad()
    def add_scores(self, nll: torch.Tensor, hits: torch.Tensor) -> None:
        """Classification, per scored step: ``−log p(y)`` and whether the top guess was ``y``."""
        self.loss_sum += nll.sum().item()
        self.correct += hits.sum().item()
        self.n += nll.numel()

    def value(self, metric: str) -> float:
        if self.n == 0:
            return float("nan")
        if metric == "accuracy":
            return self.correct / self.n
        if metric == "perplexity":
            return math.exp(min(self.loss_sum / self.n, 700.0))
        if metric in ("cross_entropy", "mse"):
            return self.loss_sum / self.n
        raise ValueError(f"unknown metric {metric!r}")
