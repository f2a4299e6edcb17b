"""``images``: Fashion-MNIST classification with an image read as a sequence.

Data: the Debian package ``dataset-fashion-mnist`` (or ``data``: a folder holding the four
``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`` files), read by ``seqlab.data.idx``.
Splits: train = the first 55,000 training images, valid = the last 5,000 training images,
test = the 10,000 ``t10k`` images; ``limit`` keeps the first ``limit`` of each split (fast
CI slices). Pixels are scaled to [0, 1].

``order`` chooses the sequence:

    rows      T = 28 steps of D = 28 pixels — the "video frames" view (default)
    pixels    T = 784 steps of D = 1 pixel, in reading order
    permuted  T = 784 steps of D = 1, pixels in a fixed random order drawn from ``seed``

    x (B, T, D) float32, y (B, T) int64 with the label at the last step, mask (B, T) bool
    true only at the last step (the whole sequence is classified once)

Metric: accuracy. ``chance`` is the accuracy of a uniform random guess over the K = 10
classes, Σ_k p_test(k) · 1/K = 1/K whatever the label distribution; ``baselines()`` adds
the majority class of train evaluated on test (0.1 on the balanced full test set).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.data.idx import CLASS_NAMES, fashion_mnist
from seqlab.data.options import as_choice, as_int, as_optional_int
from seqlab.errors import DataValidationError
from seqlab.tasks.base import SPLITS, Batch, Task

ORDERS = ("rows", "pixels", "permuted")
VALID_SIZE = 5000


class ImagesTask(Task):
    name = "images"
    kind = "classification"
    metric = "accuracy"

    def __init__(
        self,
        seed: int = 0,
        order: str = "rows",
        limit: int | None = None,
        data: str | None = None,
        valid_size: int = VALID_SIZE,
    ) -> None:
        self.seed = int(seed)
        self.order = as_choice("images", "order", order, ORDERS)
        self.limit = as_optional_int("images", "limit", limit, 1)
        self.valid_size = as_int("images", "valid_size", valid_size, 1)
        self.data = None if data is None else str(data)

        train_x, train_y = fashion_mnist("train", self.data)
        test_x, test_y = fashion_mnist("t10k", self.data)
        n_train = len(train_x) - self.valid_size
        if n_train < 1 or len(test_x) < 1:
            raise DataValidationError(
                f"{self.data or 'Fashion-MNIST'}: {len(train_x):,} training images cannot give "
                f"a validation split of {self.valid_size:,} and a training split. "
                "Fix: a smaller --task-opt valid_size=N or a larger data set."
            )
        parts = {
            "train": (train_x[:n_train], train_y[:n_train]),
            "valid": (train_x[n_train:], train_y[n_train:]),
            "test": (test_x, test_y),
        }
        # index ranges into (train file, t10k file), for the no-overlap guarantee
        self.index_ranges = {
            "train": ("train", 0, n_train),
            "valid": ("train", n_train, len(train_x)),
            "test": ("t10k", 0, len(test_x)),
        }
        if self.limit is not None:
            parts = {s: (x[: self.limit], y[: self.limit]) for s, (x, y) in parts.items()}
            self.index_ranges = {
                s: (f, a, min(b, a + self.limit)) for s, (f, a, b) in self.index_ranges.items()
            }
        h, w = train_x.shape[1:]
        self.permutation = np.random.default_rng(self.seed).permutation(h * w)
        self.input_size = w if self.order == "rows" else 1
        self.seq_len = h if self.order == "rows" else h * w
        self.output_size = len(CLASS_NAMES)
        self.classes = list(CLASS_NAMES)
        self.images = {s: torch.from_numpy(x.copy()) for s, (x, _) in parts.items()}
        self.labels = {s: torch.from_numpy(y.copy()) for s, (_, y) in parts.items()}

    def _sequences(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 (B, H, W) → float32 (B, T, D) in [0, 1] in the chosen order."""
        x = images.float() / 255.0
        B = x.shape[0]
        if self.order == "rows":
            return x  # (B, 28, 28)
        x = x.reshape(B, -1)  # (B, 784)
        if self.order == "permuted":
            x = x[:, torch.from_numpy(self.permutation)]
        return x.unsqueeze(-1)  # (B, 784, 1)

    def _batch(self, images: torch.Tensor, labels: torch.Tensor) -> Batch:
        x = self._sequences(images)
        B, T = x.shape[:2]
        y = torch.zeros(B, T, dtype=torch.int64)
        y[:, -1] = labels
        mask = torch.zeros(B, T, dtype=torch.bool)
        mask[:, -1] = True
        return Batch(x, y, mask)

    @property
    def chance(self) -> float:
        return self.baselines()["chance"]

    def baselines(self) -> dict[str, float]:
        K = self.output_size
        test = self.labels["test"]
        p_test = torch.bincount(test, minlength=K).double() / len(test)
        majority = int(torch.bincount(self.labels["train"], minlength=K).argmax())
        return {
            "chance": float((p_test * (1.0 / K)).sum()),  # uniform guess: = 1/K
            "majority": float(p_test[majority]),
        }

    @property
    def train_size(self) -> int:
        """Training images per epoch."""
        _, a, b = self.index_ranges["train"]
        return b - a

    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        n = len(self.labels["train"])
        idx = torch.randint(0, n, (batch_size,), generator=generator)
        return self._batch(self.images["train"][idx], self.labels["train"][idx])

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        images, labels = self.images[split], self.labels[split]
        for i in range(0, len(labels), batch_size):
            yield self._batch(images[i : i + batch_size], labels[i : i + batch_size])

    def describe(self) -> dict:
        return {
            **super().describe(),
            "order": self.order,
            "limit": self.limit,
            "data": self.data,
            "sizes": {s: len(self.labels[s]) for s in SPLITS},
            "baselines": self.baselines(),
        }


TASK = ImagesTask
