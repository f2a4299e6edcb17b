"""The linear read-out (``nn.Linear``): one affine map applied at every step.

    y = x Wᵀ + b        x (B, T, H)   W (O, H)   b (O,)   y (B, T, O)

Backward, with δ = ∂L/∂y (B, T, O) and the B·T positions stacked as rows:

    ∂L/∂W = δᵀ x   (O, H)      ∂L/∂b = Σ_rows δ   (O,)      ∂L/∂x = δ W   (B, T, H)

Parameters are named as ``nn.Linear``'s state_dict: ``weight``, ``bias``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LinearCache:
    x: np.ndarray  # (B, T, H) the input
    weight: np.ndarray  # (O, H)


def forward(x: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, LinearCache]:
    """``(B, T, H) -> (B, T, O)``; returns the output and what backward needs."""
    w, b = params["weight"], params["bias"]
    return x @ w.T + b, LinearCache(x, w)


def backward(cache: LinearCache, dy: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``dy`` (B, T, O) -> (``{"weight", "bias"}`` gradients, dx (B, T, H))."""
    x, w = cache.x, cache.weight
    rows_dy = dy.reshape(-1, dy.shape[-1])  # (B·T, O)
    rows_x = x.reshape(-1, x.shape[-1])  # (B·T, H)
    grads = {"weight": rows_dy.T @ rows_x, "bias": rows_dy.sum(axis=0)}
    return grads, dy @ w
