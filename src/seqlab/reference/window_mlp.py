"""The feed-forward window network (FFNN) from scratch: forward and backward.

At step t the net sees the last k inputs, zero before the start, flattened oldest first:

    w_t = [x_{t−k+1}; …; x_t]                           (k·D,)
    a_0 = w_t,   a_j = relu(W_j a_{j−1} + b_j)  for j = 1 … L      (H,)

``L = num_layers`` hidden layers; with L = 0 the output is the raw window (B, T, k·D).
Every position is computed at once: the B·T windows are the rows of one matrix.

Backward, with δ_j = ∂L/∂(W_j a_{j−1} + b_j) over all B·T rows:

    δ_L = ∂L/∂a_L ⊙ [a_L > 0]                 δ_{j−1} = (δ_j W_j) ⊙ [a_{j−1} > 0]
    ∂L/∂W_j = δ_jᵀ a_{j−1}      ∂L/∂b_j = Σ_rows δ_j      ∂L/∂a_0 = δ_1 W_1

and the window's gradient is scattered back: x_s receives the slot of every window it sits
in, ∂L/∂x_s = Σ_{m=0}^{k−1} ∂L/∂w_{s+m}[slot k−1−m].

Parameters are named as ``seqlab.models.WindowMLP``: ``layers.{j}.weight`` (H, ·) and
``layers.{j}.bias`` (H,), j counting from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def windows(x: np.ndarray, k: int) -> np.ndarray:
    """``(B, T, D) -> (B, T, k·D)``: at each step the last ``k`` inputs, oldest first."""
    B, T, D = x.shape
    xp = np.concatenate([np.zeros((B, k - 1, D), dtype=x.dtype), x], axis=1)  # (B, T+k−1, D)
    return np.concatenate([xp[:, j : j + T] for j in range(k)], axis=-1)  # (B, T, k·D)


def windows_backward(dw: np.ndarray, k: int) -> np.ndarray:
    """The adjoint of ``windows``: ``(B, T, k·D) -> (B, T, D)``."""
    B, T, kD = dw.shape
    D = kD // k
    dxp = np.zeros((B, T + k - 1, D), dtype=dw.dtype)  # (B, T+k−1, D)
    for j in range(k):  # slot j of window t holds x_{t−k+1+j} = xp[t+j]
        dxp[:, j : j + T] += dw[:, :, j * D : (j + 1) * D]
    return dxp[:, k - 1 :]  # drop the zero padding


@dataclass
class WindowMLPCache:
    window: int
    activations: list[np.ndarray]  # a_0 … a_L, each (B·T, ·)
    weights: list[np.ndarray]  # W_1 … W_L
    shape: tuple[int, int]  # (B, T)


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], num_layers: int = 1, window: int = 5
) -> tuple[np.ndarray, WindowMLPCache]:
    """``(B, T, D) -> (B, T, H)`` (or ``(B, T, k·D)`` when ``num_layers`` is 0)."""
    B, T, _ = x.shape
    a = windows(x, window).reshape(B * T, -1)  # (B·T, k·D): one row per position
    acts, weights = [a], []
    for j in range(num_layers):
        w, b = params[f"layers.{j}.weight"], params[f"layers.{j}.bias"]
        a = np.maximum(a @ w.T + b, 0.0)  # (B·T, H)
        acts.append(a)
        weights.append(w)
    return a.reshape(B, T, -1), WindowMLPCache(window, acts, weights, (B, T))


def backward(cache: WindowMLPCache, dy: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``dy`` (B, T, H) -> (gradients keyed like params, dx (B, T, D))."""
    B, T = cache.shape
    grads: dict[str, np.ndarray] = {}
    da = dy.reshape(B * T, -1)  # (B·T, H)
    for j in reversed(range(len(cache.weights))):
        delta = da * (cache.activations[j + 1] > 0)  # relu' from the output: a > 0
        grads[f"layers.{j}.weight"] = delta.T @ cache.activations[j]
        grads[f"layers.{j}.bias"] = delta.sum(axis=0)
        da = delta @ cache.weights[j]  # (B·T, ·) gradient w.r.t. a_{j−1}
    dx = windows_backward(da.reshape(B, T, -1), cache.window)
    return grads, dx
