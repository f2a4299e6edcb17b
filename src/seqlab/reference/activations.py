"""The two squashing functions of the recurrent cells, and their derivatives.

    σ(a) = 1 / (1 + e^(−a))                          σ'(a) = σ(a) (1 − σ(a))
    tanh(a)                                          tanh'(a) = 1 − tanh(a)²

Both derivatives are written in terms of the function's *output*, which is what the
backward passes keep: a cell stores its gate values, never the pre-activations.

σ is computed in place where asked (``out=``), on a slice of a larger array, so that a cell
turns its pre-activations into gate values without new arrays. For very negative a, e^(−a)
overflows to inf and 1 / (1 + inf) = 0 is the right limit, so that warning is silenced.
(e^x is about twice as fast as tanh in NumPy, hence not σ(a) = ½ (1 + tanh(a/2)).)
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(a) = 1 / (1 + e^(−a)), elementwise; ``out=a`` computes it in place."""
    out = np.negative(a, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def sigmoid_grad(s: np.ndarray) -> np.ndarray:
    """dσ/da from the output s = σ(a): s (1 − s)."""
    return s * (1.0 - s)


def tanh_grad(t: np.ndarray) -> np.ndarray:
    """dtanh/da from the output t = tanh(a): 1 − t²."""
    return 1.0 - t * t
