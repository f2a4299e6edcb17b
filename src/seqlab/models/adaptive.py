"""Adaptive softmax read-out (Grave et al., 2017) for large vocabularies.

A full softmax over V words costs ``H·V`` multiply-adds per token, which dominates a
word-level language model (H=200, V=11,817: 2.4M per token against the LSTM's 0.3M per
layer). The adaptive softmax splits the vocabulary, ordered by frequency (``Vocab.build``
orders it so), into a head of the ``c_0`` most frequent words plus one entry per tail
cluster, and tail clusters ``[c_i, c_{i+1})`` reached through a projection of width
``H / div^(i+1)``::

    p(w) = p_head(w)                               w < c_0
    p(w) = p_head(cluster i) · p_tail_i(w)          c_i <= w < c_{i+1}

It is an exact, normalised distribution over all V words: perplexities are comparable with
a full softmax. Training needs only the head for every token and each tail for the tokens
that fall in it (~5–15% of tokens in natural text), so the read-out gets about 10× cheaper.

    forward(h)            h (B, T, H) -> log p (B, T, V)   (every word; evaluation, predict)
    loss(h, y, mask)      mean −log p(y) over the scored steps (training; no (B, T, V) tensor)
    scores(h, y, mask)    −log p(y) and top-guess hits per scored step (evaluation, same)

Parameters keep torch's names (``AdaptiveLogSoftmaxWithLoss``): ``head.weight``
``(c_0 + n_clusters, H)`` without bias, ``tail.i.0.weight`` ``(H/div^(i+1), H)`` and
``tail.i.1.weight`` ``(c_{i+1} − c_i, H/div^(i+1))``.
"""

from __future__ import annotations

import torch
from torch import nn

#: Cluster boundaries tried in order; those below ``V − 1`` are used (see ``cutoffs_for``).
CUTOFFS = (500, 2000, 8000)
DIV_VALUE = 4.0


def cutoffs_for(vocab_size: int) -> list[int]:
    """The cluster boundaries for a vocabulary of ``vocab_size`` words (ids by frequency).

    KJV train (V = 11,817): the 500 most frequent words cover 85% of the tokens, 2,000
    cover 95% and 8,000 cover 99.5%."""
    return [c for c in CUTOFFS if c < vocab_size - 1]


class AdaptiveSoftmax(nn.AdaptiveLogSoftmaxWithLoss):
    """torch's adaptive softmax with seqlab's read-out interface (see the module docstring)."""

    def __init__(self, in_features: int, vocab_size: int, device=None, dtype=None) -> None:
        cutoffs = cutoffs_for(vocab_size)
        if not cutoffs:
            raise ValueError(
                f"an adaptive softmax needs a vocabulary of more than {CUTOFFS[0] + 1} words, "
                f"got {vocab_size}"
            )
        super().__init__(
            in_features, vocab_size, cutoffs, div_value=DIV_VALUE, device=device, dtype=dtype
        )
        self.out_features = vocab_size

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """``(B, T, H) -> (B, T, V)`` log-probabilities."""
        return self.log_prob(h.flatten(0, -2)).view(*h.shape[:-1], self.n_classes)

    def loss(self, h: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean ``−log p(y)`` over ``mask``; ``h`` (B, T, H), ``y`` and ``mask`` (B, T)."""
        return super().forward(h[mask], y[mask]).loss

    @torch.no_grad()
    def scores(
        self, h: torch.Tensor, y: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per scored step: ``−log p(y)`` and whether ``argmax_w p(w) == y`` (both ``(n,)``)."""
        h, y = h[mask], y[mask]
        return -super().forward(h, y).output, self.predict(h) == y
