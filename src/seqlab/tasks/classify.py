"""``classify``: the user's labelled sequences (CSV or ``.npz``, see
``seqlab.data.sequences``), one class per sequence.

Sequences are independent, so the split is by sequence: 70/15/15, stratified by class
(default) or random (``split="random"``), drawn from ``seed``. Stratified: each class's
sequences are shuffled and spread evenly over one ordering (sequence j of n_c in its class
gets key (j + ½) / n_c; ties in random order), whose first 15 % is valid, next 15 % test,
the rest train — every split then holds about the class proportions. An official split
(an ``.npz`` with a ``split`` array) is honoured (``split="given"``, the default then):
its test sequences are the test split; valid is its "valid" sequences, or, when it has
none, 15 % of its training sequences drawn stratified from ``seed``. ``limit`` keeps the
first ``limit`` sequences. Features are standardised with the mean and standard deviation
of the training sequences' real steps.

Variable lengths are right-padded with zeros to T = the longest sequence; the label is
scored at each sequence's last real step only:

    x (B, T, D) float32, y (B, T) int64 (label at the last real step), mask (B, T) bool

Labels may be strings or integers; ``classes`` keeps their names (sorted), class ids index
it. Metric: accuracy. Baseline (``chance``): the majority class of the training labels,
evaluated on test; ``baselines()`` adds the uniform guess 1/K.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.data.options import as_choice, as_names, as_optional_int
from seqlab.data.sequences import read_sequences
from seqlab.errors import ConfigError, DataValidationError
from seqlab.tasks.base import SPLITS, Batch, Task

FRACTIONS = {"valid": 0.15, "test": 0.15}
SPLIT_KINDS = ("stratified", "random", "given")


class ClassifyTask(Task):
    name = "classify"
    kind = "classification"
    metric = "accuracy"

    def __init__(
        self,
        seed: int = 0,
        data: str | None = None,
        label: str = "label",
        target: str | None = None,
        id_column: str | None = None,
        order_column: str | None = None,
        features: str | list[str] | None = None,
        split: str | None = None,
        limit: int | None = None,
    ) -> None:
        if data is None:
            raise ConfigError("task 'classify' needs --data PATH naming a CSV or .npz file")
        self.seed = int(seed)
        self.data = str(data)
        self.limit = as_optional_int("classify", "limit", limit, 1)
        label = target if target is not None else label  # --target names the label column too
        if split is not None:  # a bad option fails before the file is read
            as_choice("classify", "split", split, SPLIT_KINDS)
        seqs = read_sequences(self.data, label, id_column, order_column, as_names(features))
        default = "given" if seqs.split is not None else "stratified"
        self.split = as_choice("classify", "split", split or default, SPLIT_KINDS)
        if self.split == "given" and seqs.split is None:
            raise ConfigError("classify: split=given needs an .npz with a split array")
        self.given = seqs.split
        n = len(seqs.ids) if self.limit is None else min(self.limit, len(seqs.ids))
        self.source, self.features, self.notes = seqs.source, seqs.features, list(seqs.notes)
        self.ids = seqs.ids[:n]
        self.classes = [str(c) for c in sorted(set(seqs.labels[:n]))]
        class_of = {c: k for k, c in enumerate(sorted(set(seqs.labels[:n])))}
        self.label_ids = torch.tensor([class_of[c] for c in seqs.labels[:n]], dtype=torch.int64)
        if len(self.classes) < 2:
            raise DataValidationError(
                f"{self.source}: every sequence has the label {self.classes[0]!r}; there is "
                "nothing to classify. Fix: provide sequences of at least two classes."
            )
        self.split_index = self._split(n)
        self.split_ids = {s: [self.ids[i] for i in idx] for s, idx in self.split_index.items()}

        xs = seqs.x[:n]
        train_steps = np.concatenate([xs[i] for i in self.split_index["train"]])  # (ΣT_i, D)
        self.mean, self.std = train_steps.mean(axis=0), train_steps.std(axis=0)
        self.std[self.std == 0] = 1.0
        self.lengths = torch.tensor([len(x) for x in xs], dtype=torch.int64)
        self.seq_len = int(self.lengths.max())
        self.input_size = len(self.features)
        self.output_size = len(self.classes)
        self.x = torch.zeros(n, self.seq_len, self.input_size)  # (N, T, D), zero padding
        for i, xi in enumerate(xs):
            self.x[i, : len(xi)] = torch.from_numpy(
                ((xi - self.mean) / self.std).astype(np.float32)
            )

    def _split(self, n: int) -> dict[str, np.ndarray]:
        n_valid = max(1, round(FRACTIONS["valid"] * n))
        n_test = max(1, round(FRACTIONS["test"] * n))
        if n - n_valid - n_test < 1:
            raise DataValidationError(
                f"{self.source}: only {n} sequence(s); a train/valid/test split needs at least "
                "3 (about 20 for a meaningful score). Fix: provide more sequences"
                f"{' or a larger --limit' if self.limit else ''}."
            )
        rng = np.random.default_rng(self.seed)
        if self.split == "given":
            return self._given_split(n, rng)
        if self.split == "random":
            order = rng.permutation(n)
        else:
            labels = self.label_ids.numpy()
            key = np.empty(n)
            for k in range(len(self.classes)):
                members = rng.permutation(np.nonzero(labels == k)[0])
                key[members] = (np.arange(len(members)) + 0.5) / len(members)
            order = np.lexsort((rng.permutation(n), key))  # by key, ties at random
        return {
            "valid": np.sort(order[:n_valid]),
            "test": np.sort(order[n_valid : n_valid + n_test]),
            "train": np.sort(order[n_valid + n_test :]),
        }

    def _given_split(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        given = np.asarray(self.given[:n])
        test = np.nonzero(given == "test")[0]
        valid = np.nonzero(given == "valid")[0]
        train = np.nonzero(given == "train")[0]
        if not len(valid):  # stratified 15 % of the official training sequences
            labels = self.label_ids.numpy()[train]
            key = np.empty(len(train))
            for k in np.unique(labels):
                members = rng.permutation(np.nonzero(labels == k)[0])
                key[members] = (np.arange(len(members)) + 0.5) / len(members)
            order = np.lexsort((rng.permutation(len(train)), key))
            n_valid = max(1, round(FRACTIONS["valid"] * len(train)))
            valid, train = train[order[:n_valid]], train[order[n_valid:]]
        if not len(train) or not len(test):
            raise DataValidationError(
                f"{self.source}: the split array leaves {len(train)} training and {len(test)} "
                "test sequences; both need at least one. Fix: mark some sequences 'train' "
                "and some 'test'."
            )
        return {"valid": np.sort(valid), "test": np.sort(test), "train": np.sort(train)}

    def _batch(self, idx: torch.Tensor) -> Batch:
        x = self.x[idx]  # (B, T, D)
        B, T = len(idx), self.seq_len
        last = self.lengths[idx] - 1  # (B,) last real step
        y = torch.zeros(B, T, dtype=torch.int64)
        mask = torch.zeros(B, T, dtype=torch.bool)
        rows = torch.arange(B)
        y[rows, last] = self.label_ids[idx]
        mask[rows, last] = True
        return Batch(x, y, mask)

    @property
    def chance(self) -> float:
        return self.baselines()["majority"]

    def baselines(self) -> dict[str, float]:
        K = self.output_size
        train = self.label_ids[self.split_index["train"]]
        test = self.label_ids[self.split_index["test"]]
        majority = int(torch.bincount(train, minlength=K).argmax())  # ties: lowest id
        accuracy = float((test == majority).double().mean())
        return {"chance": accuracy, "majority": accuracy, "uniform": 1.0 / K}

    @property
    def train_size(self) -> int:
        """Training sequences per epoch."""
        return len(self.split_index["train"])

    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        train = torch.from_numpy(self.split_index["train"])
        pick = torch.randint(0, len(train), (batch_size,), generator=generator)
        return self._batch(train[pick])

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        idx = torch.from_numpy(self.split_index[split])
        for i in range(0, len(idx), batch_size):
            yield self._batch(idx[i : i + batch_size])

    def describe(self) -> dict:
        return {
            **super().describe(),
            "data": self.data,
            "source": self.source,
            "features": list(self.features),
            "classes": self.classes,
            "split": self.split,
            "limit": self.limit,
            "sizes": {s: len(self.split_index[s]) for s in SPLITS},
            "notes": list(self.notes),
            "baselines": self.baselines(),
        }


TASK = ClassifyTask
