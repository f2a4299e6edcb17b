"""The two training losses, averaged over the scored (masked) steps, with their gradients.

Only steps with ``mask[b, t]`` true count; ``n`` is their number. Both functions return
``(loss, d_output)`` where ``d_output = ∂loss/∂output`` has the output's shape and is zero at
unscored steps. They equal ``seqlab.metrics.masked_loss``.

Softmax cross-entropy (classification), logits z (B, T, O), class ids y (B, T):

    p = softmax(z) = e^(z − max z) / Σ e^(z − max z)
    loss = (1/n) Σ_scored −log p[y]          ∂loss/∂z = (p − onehot(y)) / n   at scored steps

Mean squared error (regression), output ŷ and target y (B, T, O), averaged over every
value of every scored step (n·O values, as ``F.mse_loss``):

    loss = (1/(n·O)) Σ_scored Σ_o (ŷ − y)²   ∂loss/∂ŷ = 2 (ŷ − y) / (n·O)   at scored steps
"""

from __future__ import annotations

import numpy as np


def _count(mask: np.ndarray) -> int:
    n = int(mask.sum())
    if n == 0:
        raise ValueError("the mask scores no step: the mean loss over zero steps is undefined")
    return n


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, mask: np.ndarray
) -> tuple[float, np.ndarray]:
    """``logits`` (B, T, O), ``y`` (B, T) ints, ``mask`` (B, T) bool -> (loss, d_logits)."""
    mask = mask.astype(bool)
    n = _count(mask)
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (B, T, O), max 0: no overflow
    log_z = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (B, T, 1)
    log_p = shifted - log_z  # (B, T, O) log-softmax
    target = np.where(mask, y, 0)[..., None]  # (B, T, 1); unscored ids may be anything
    picked = np.take_along_axis(log_p, target, axis=-1)[..., 0]  # (B, T)
    loss = -picked[mask].sum() / n
    d_logits = np.exp(log_p)  # p
    np.put_along_axis(d_logits, target, np.take_along_axis(d_logits, target, -1) - 1.0, -1)
    d_logits *= mask[..., None] / n
    return float(loss), d_logits


def mse(output: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """``output`` and ``y`` (B, T, O), ``mask`` (B, T) bool -> (loss, d_output)."""
    mask = mask.astype(bool)
    count = _count(mask) * output.shape[-1]
    err = np.where(mask[..., None], output - y, 0.0)  # (B, T, O), zero at unscored steps
    return float((err * err).sum() / count), 2.0 * err / count


LOSSES = {"classification": softmax_cross_entropy, "regression": mse}
