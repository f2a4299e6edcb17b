"""``text``: word-level next-word prediction on a corpus.

Sources (``corpus`` / ``data``): the King James Bible (default), the English or German
fortune files, or the user's UTF-8 text file or folder (see ``seqlab.data.corpus``).
Every item (verse, fortune, line) is tokenised into words and punctuation marks and ends
with ``<eos>``.

Split: a folder with ``train.txt``/``valid.txt``/``test.txt`` is used as given; otherwise
the token stream is cut contiguously, at item boundaries, into about 90/5/5 % (never
shuffled). ``limit`` keeps the first ``limit`` tokens (whole items) of the stream — of each
given split file — for fast slices. The vocabulary is built on train: ``<unk>``,
``<eos>``, then words seen at least ``min_count`` times (default 2, so that ``<unk>``
occurs in training and the model learns how likely an unseen word is); other tokens map
to ``<unk>``.

Each split is a stream ``s = [<eos>, w_1, …, w_n]`` (the leading ``<eos>`` is context:
the split starts at an item boundary). Inputs are token ids, ``x_t = s_t`` and the target
is the next token ``y_t = s_{t+1}``; every step is scored:

    train  random contiguous chunks of ``seq_len`` (default 35) tokens from the train stream
    eval   contiguous, non-overlapping chunks of ``seq_len`` scored targets covering the
           split; w_1 … w_n are each a target exactly once (the last chunk is padded,
           padding unscored). Each chunk is preceded by the ``context`` (default ``seq_len``)
           tokens before it, fed but not scored, so that every word is predicted from at
           least that much history, as a model carrying its state through the text would
           (the first chunks get what the split has; no padding is fed)

    x (B, T) int64, y (B, T) int64, mask (B, T) bool      (eval: T = context + seq_len)

Metric: perplexity. Baseline (``chance``): the unigram model from train counts with
add-one smoothing over the vocabulary, ``p(w) = (c(w) + 1) / (N + V)``, evaluated on the
test targets: ``exp(−mean log p(y))``. ``baselines()`` also gives the uniform model
(perplexity ``V``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from seqlab.data.corpus import (
    CORPORA,
    EOS,
    Vocab,
    load_corpus,
    split_items,
    tokenize,
    tokenize_items,
)
from seqlab.data.options import as_bool, as_choice, as_int, as_optional_int
from seqlab.errors import DataValidationError
from seqlab.tasks.base import SPLITS, Batch, Task


class TextTask(Task):
    name = "text"
    kind = "classification"
    metric = "perplexity"

    def __init__(
        self,
        seed: int = 0,
        data: str | None = None,
        corpus: str = "kjv",
        seq_len: int = 35,
        min_count: int = 2,
        lowercase: bool = True,
        limit: int | None = None,
        context: int | None = None,
    ) -> None:
        self.seed = int(seed)
        self.corpus = as_choice("text", "corpus", corpus, CORPORA)
        self.data = None if data is None else str(data)
        self.seq_len = as_int("text", "seq_len", seq_len, 1)
        self.min_count = as_int("text", "min_count", min_count, 1)
        self.lowercase = as_bool("text", "lowercase", lowercase)
        self.limit = as_optional_int("text", "limit", limit, 1)
        context = self.seq_len if context is None else context
        self.context = as_int("text", "context", context, 0)

        source = load_corpus(self.corpus, self.data)
        self.source = source.source
        tokens = self._split_tokens(source)
        self.vocabulary = Vocab.build(tokens["train"], self.min_count)
        self.vocab: list[str] = list(self.vocabulary.itos)
        self.vocab_size = len(self.vocab)
        self.output_size = self.vocab_size
        self.input_size = self.vocab_size
        eos = self.vocabulary.id(EOS)
        self.streams = {  # (1 + n_s,) per split: context <eos>, then the split's tokens
            s: torch.tensor([eos, *self.vocabulary.ids(tokens[s])]) for s in SPLITS
        }
        self._baselines = self._compute_baselines()

    # -- data ---------------------------------------------------------------------------

    def _split_tokens(self, source) -> dict[str, list[str]]:
        """Tokens of each split; sets ``token_ranges`` (positions in the whole stream)."""
        if source.given_splits is not None:
            tokens = {s: self._limited(source.given_splits[s]) for s in SPLITS}
            how = "the given split files"
        else:
            items = self._limited_items(source.items)
            per_item = [tokenize_items([it], self.lowercase) for it in items]
            if len(per_item) < 3:
                self._too_small(source.source, len(per_item), sum(map(len, per_item)))
            a, b = split_items([len(t) for t in per_item])
            tokens = {
                "train": [t for it in per_item[:a] for t in it],
                "valid": [t for it in per_item[a:b] for t in it],
                "test": [t for it in per_item[b:] for t in it],
            }
            how = "a contiguous 90/5/5 split"
        start, self.token_ranges = 0, {}
        for s in SPLITS:
            self.token_ranges[s] = (start, start + len(tokens[s]))
            start += len(tokens[s])
        if len(tokens["train"]) < self.seq_len + 1 or not tokens["valid"] or not tokens["test"]:
            sizes = ", ".join(f"{s} {len(tokens[s]):,}" for s in SPLITS)
            raise DataValidationError(
                f"{source.source}: corpus too small: {how} gives {sizes} tokens, but training "
                f"chunks of --seq-len {self.seq_len} need at least {self.seq_len + 1:,} train "
                "tokens and valid and test need at least one line each. Fix: use a longer text"
                f"{', a larger --limit' if self.limit else ''} or a smaller --seq-len."
            )
        return tokens

    def _limited_items(self, items) -> list[str]:
        if self.limit is None:
            return list(items)
        kept, n = [], 0
        for it in items:
            n += len(tokenize(it, self.lowercase)) + 1
            if n > self.limit and kept:
                break
            kept.append(it)
        return kept

    def _limited(self, items) -> list[str]:
        return tokenize_items(self._limited_items(items), self.lowercase)

    def _too_small(self, source: str, n_items: int, n_tokens: int) -> None:
        raise DataValidationError(
            f"{source}: corpus too small: {n_items} non-blank line(s), {n_tokens:,} tokens; a "
            "train/valid/test split needs at least 3 lines (and train at least "
            f"--seq-len + 1 = {self.seq_len + 1} tokens). Fix: use a longer text"
            f"{' or a larger --limit' if self.limit else ''}."
        )

    # -- Task interface -----------------------------------------------------------------

    @property
    def chance(self) -> float:
        return self._baselines["unigram"]

    def baselines(self) -> dict[str, float]:
        return dict(self._baselines)

    def _compute_baselines(self) -> dict[str, float]:
        V = self.vocab_size
        train = self.streams["train"][1:]  # the split's own tokens, not the context <eos>
        counts = torch.bincount(train, minlength=V).double()
        logp = torch.log((counts + 1) / (counts.sum() + V))
        test = self.streams["test"][1:]
        unigram = math.exp(-logp[test].mean().item())
        return {"chance": unigram, "unigram": unigram, "uniform": float(V)}

    @property
    def train_size(self) -> int:
        """Training sequences per epoch: the training stream cut into ``seq_len`` pieces."""
        return max(1, (len(self.streams["train"]) - 1) // self.seq_len)

    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        s, T = self.streams["train"], self.seq_len
        starts = torch.randint(0, len(s) - T, (batch_size,), generator=generator)
        idx = starts[:, None] + torch.arange(T)  # (B, T)
        x, y = s[idx], s[idx + 1]
        return Batch(x, y, torch.ones_like(x, dtype=torch.bool))

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        s, T, C = self.streams[split], self.seq_len, self.context
        n = len(s) - 1  # targets
        chunks = math.ceil(n / T)
        # chunk i scores targets i·T … i·T+T−1 and is preceded by up to C unscored inputs
        x = torch.zeros(C + chunks * T, dtype=torch.int64)
        y = torch.zeros(C + chunks * T, dtype=torch.int64)
        mask = torch.zeros(C + chunks * T, dtype=torch.bool)
        x[C : C + n], y[C : C + n], mask[C : C + n] = s[:-1], s[1:], True
        idx = torch.arange(chunks)[:, None] * T + torch.arange(C + T)  # (chunks, C + T)
        scored = torch.arange(C + T) >= C  # the context part of every chunk is unscored
        x, y, mask = x[idx], y[idx], mask[idx] & scored
        first = min(chunks, math.ceil(C / T))  # chunks whose context starts before the split
        for i in range(first):  # one at a time, without the padding before the split's start
            pad = C - i * T
            yield Batch(x[i : i + 1, pad:], y[i : i + 1, pad:], mask[i : i + 1, pad:])
        for i in range(first, chunks, batch_size):
            j = min(chunks, i + batch_size)
            yield Batch(x[i:j], y[i:j], mask[i:j])

    # -- for `seqlab predict` -------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (tokenised like the corpus; no ``<eos>`` appended)."""
        return self.vocabulary.ids(tokenize(text, self.lowercase))

    def decode(self, ids) -> str:
        return " ".join(self.vocabulary.tokens(ids))

    def describe(self) -> dict:
        return {
            **super().describe(),
            "source": self.source,
            "corpus": self.corpus,
            "data": self.data,
            "min_count": self.min_count,
            "lowercase": self.lowercase,
            "limit": self.limit,
            "context": self.context,
            "tokens": {s: len(self.streams[s]) - 1 for s in SPLITS},
            "baselines": self.baselines(),
        }


TASK = TextTask
