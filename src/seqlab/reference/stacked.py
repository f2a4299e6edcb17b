"""Stacking recurrent layers, shared by ``rnn``, ``lstm`` and ``gru``.

Layer l reads the hidden states of layer l−1 (layer 0 reads x) and owns, as torch.nn,

    weight_ih_l{l} (G·H, D_l)   weight_hh_l{l} (G·H, H)   bias_ih_l{l}, bias_hh_l{l} (G·H,)

with ``G`` gate blocks, ``D_0 = D`` and ``D_l = H`` above. Forward runs the layers bottom
up; backward runs them top down, the ``dx`` of layer l being the ``dy`` of layer l−1.

Inside, sequences are time-major ``(T, B, ·)`` so that step t is one contiguous block.
A cell module supplies two functions on one layer:

    layer_forward(x (T, B, D_l), w_ih, w_hh, b_ih, b_hh, **options) -> (h (T, B, H), cache)
    layer_backward(cache, dh (T, B, H)) -> ((dw_ih, dw_hh, db_ih, db_hh), dx (T, B, D_l))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@dataclass
class LayerCache:
    """What every cell keeps of one layer for its backward pass; cells add their own."""

    x: np.ndarray  # (T, B, D_l) the layer's input
    h: np.ndarray  # (T+1, B, H) h[0] = 0, h[t+1] = h_t
    w_ih: np.ndarray
    w_hh: np.ndarray


@dataclass
class StackCache:
    layer_backward: Callable
    layers: list[Any] = field(default_factory=list)  # one cell cache per layer, bottom first


def forward(
    x: np.ndarray,
    params: dict[str, np.ndarray],
    num_layers: int,
    layer_forward: Callable,
    layer_backward: Callable,
    **options: Any,
) -> tuple[np.ndarray, StackCache]:
    """``(B, T, D) -> (B, T, H)``: the top layer's hidden state at every step."""
    cache = StackCache(layer_backward)
    h = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, D) time-major
    for layer in range(num_layers):
        weights = [params[f"{n}_l{layer}"] for n in NAMES]
        h, layer_cache = layer_forward(h, *weights, **options)  # (T, B, H)
        cache.layers.append(layer_cache)
    return h.transpose(1, 0, 2), cache  # (B, T, H)


def backward(cache: StackCache, dy: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``dy`` (B, T, H) -> (gradients keyed like params, dx (B, T, D))."""
    grads: dict[str, np.ndarray] = {}
    d = np.ascontiguousarray(dy.transpose(1, 0, 2))  # (T, B, H)
    for layer in reversed(range(len(cache.layers))):
        layer_grads, d = cache.layer_backward(cache.layers[layer], d)
        grads.update({f"{n}_l{layer}": g for n, g in zip(NAMES, layer_grads, strict=True)})
    return grads, d.transpose(1, 0, 2)  # (B, T, D)


def input_projection(x: np.ndarray, w_ih: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """All steps' input terms as one product: ``(T, B, D) -> (T, B, G·H)``, ``x W_ihᵀ + bias``."""
    T, B, D = x.shape
    z = (x.reshape(T * B, D) @ w_ih.T).reshape(T, B, -1)  # (T, B, G·H)
    z += bias
    return z


def layer_grads(
    dz_x: np.ndarray, x: np.ndarray, dz_h: np.ndarray, h_prev: np.ndarray, w_ih: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """What ``layer_backward`` returns, from the per-step gradients of the backward sweep,
    as one product each.

    ``dz_x`` (T, B, G·H): ∂L/∂ of the input terms (x_t W_ihᵀ + b_ih) at every step;
    ``dz_h`` the same for the recurrent terms (h_{t−1} W_hhᵀ + b_hh) — equal for RNN and
    LSTM, different in the GRU's n block. ``x`` (T, B, D_l) is the layer's input, ``h_prev``
    (T, B, H) holds h_{t−1}, zero at t = 0.

        ∂L/∂W_ih = Σ_t dz_x,tᵀ x_t        ∂L/∂b_ih = Σ_t Σ_b dz_x,t
        ∂L/∂W_hh = Σ_t dz_h,tᵀ h_{t−1}    ∂L/∂b_hh = Σ_t Σ_b dz_h,t
        ∂L/∂x_t  = dz_x,t W_ih                                          (T, B, D_l)

    Returns ``((dw_ih, dw_hh, db_ih, db_hh), dx)``.
    """
    rows_x = dz_x.reshape(-1, dz_x.shape[-1])  # (T·B, G·H)
    rows_h = dz_h.reshape(-1, dz_h.shape[-1])  # (T·B, G·H)
    dw_ih = rows_x.T @ x.reshape(-1, x.shape[-1])
    dw_hh = rows_h.T @ h_prev.reshape(-1, h_prev.shape[-1])
    dx = (rows_x @ w_ih).reshape(*dz_x.shape[:2], -1)  # (T, B, D_l)
    return (dw_ih, dw_hh, rows_x.sum(axis=0), rows_h.sum(axis=0)), dx
