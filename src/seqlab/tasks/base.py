"""What every task provides: batches ``(x, y, mask)``, its metric, and its chance level.

A task is built once (``build_task(name, options, seed)``), then the trainer draws
training batches and iterates fixed evaluation batches:

    x     (B, T, D) float32, or (B, T) int64 token ids when ``vocab_size`` is set
    y     (B, T) int64 class ids (classification) or (B, T, O) float32 (regression)
    mask  (B, T) bool: the steps that are scored

Generation is deterministic given the seed; train, validation and test never overlap.
``chance`` is the chance level / trivial baseline in the task's own metric, computed in
code (tested against a Monte-Carlo estimate), never copied from a paper.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

import torch

SPLITS = ("train", "valid", "test")


@dataclass
class Batch:
    x: torch.Tensor
    y: torch.Tensor
    mask: torch.Tensor

    def to(self, device: torch.device | str) -> Batch:
        return Batch(self.x.to(device), self.y.to(device), self.mask.to(device))


class Task(ABC):
    """Base class. Subclasses set the class attributes and the instance sizes."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "classification" | "regression"
    metric: ClassVar[str]  # "accuracy" | "cross_entropy" | "perplexity" | "mse"

    input_size: int  # D of float inputs (ignored when vocab_size is set)
    output_size: int  # number of classes, or regression outputs per step
    vocab_size: int | None = None  # token-id inputs when set
    seq_len: int  # T of training batches
    # training sequences per epoch for tasks with a finite training set (``--epochs``);
    # None for generated tasks, which draw fresh examples every step
    train_size: int | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"

    @property
    @abstractmethod
    def chance(self) -> float:
        """Chance level / best trivial baseline, in ``self.metric``."""

    def baselines(self) -> dict[str, float]:
        """Named trivial baselines in ``self.metric`` (e.g. persistence, mean, unigram)."""
        return {"chance": self.chance}

    @abstractmethod
    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        """A random training batch; all randomness from ``generator``."""

    @abstractmethod
    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        """The fixed evaluation set of ``split`` ("valid" or "test"), in batches."""

    def describe(self) -> dict:
        """Options and sizes, recorded in a run's config (JSON-serialisable)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "metric": self.metric,
            "input_size": self.input_size,
            "output_size": self.output_size,
            "vocab_size": self.vocab_size,
            "seq_len": self.seq_len,
            "chance": self.chance,
        }
