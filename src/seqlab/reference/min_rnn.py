"""minGRU and minLSTM (Feng et al. 2024) from scratch: the sequential form, and for minGRU
the backward pass by hand. Independent of the torch model's log-space scan.

minGRU, per layer, with [k_z | k_h] = x_t Wᵀ + b (W (2H, D_l), b (2H,)), from h_{−1} = 0:

    z = σ(k_z)      c = g(k_h)      h_t = (1 − z) ⊙ h_{t−1} + z ⊙ c
    g(k) = k + ½ (k ≥ 0), σ(k) (k < 0);      g'(k) = 1 (k ≥ 0), σ(k)(1 − σ(k)) (k < 0)

Backward, t = T−1 … 0, with ∂L/∂h_t = dy_t + (1 − z_{t+1}) ⊙ ∂L/∂h_{t+1}:

    ∂L/∂k_z = ∂L/∂h_t ⊙ (c − h_{t−1}) ⊙ z(1 − z)        ∂L/∂k_h = ∂L/∂h_t ⊙ z ⊙ g'(k_h)
    ∂L/∂W = Σ_t ∂L/∂k_tᵀ x_t      ∂L/∂b = Σ_t Σ_batch ∂L/∂k_t      ∂L/∂x_t = ∂L/∂k_t W

minLSTM ([k_f | k_i | k_h], W (3H, D_l)): f = σ(k_f), i = σ(k_i), f' = f/(f+i), i' = i/(f+i),
h_t = f' ⊙ h_{t−1} + i' ⊙ g(k_h) (forward only).

Parameters as the torch model: ``weight_ih_l{l}``, ``bias_ih_l{l}``. Shapes (B, T, ·).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.reference.activations import sigmoid


def g(k: np.ndarray) -> np.ndarray:
    return np.where(k >= 0, k + 0.5, sigmoid(np.minimum(k, 0.0)))


def g_grad(k: np.ndarray) -> np.ndarray:
    s = sigmoid(np.minimum(k, 0.0))
    return np.where(k >= 0, 1.0, s * (1.0 - s))


@dataclass
class LayerCache:
    x: np.ndarray  # (T, B, D_l)
    k: np.ndarray  # (T, B, G·H) pre-activations
    h: np.ndarray  # (T+1, B, H), h[0] = 0
    w: np.ndarray


def _layer(x, w, b, kind):
    T, B, _ = x.shape
    k = x @ w.T + b  # (T, B, G·H)
    H = w.shape[0] // (2 if kind == "mingru" else 3)
    h = np.zeros((T + 1, B, H), dtype=k.dtype)
    for t in range(T):
        if kind == "mingru":
            z, c = sigmoid(k[t, :, :H]), g(k[t, :, H:])
            h[t + 1] = (1 - z) * h[t] + z * c
        else:
            f, i, c = sigmoid(k[t, :, :H]), sigmoid(k[t, :, H : 2 * H]), g(k[t, :, 2 * H :])
            h[t + 1] = f / (f + i) * h[t] + i / (f + i) * c
    return h[1:], LayerCache(x, k, h, w)


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], num_layers: int = 1, kind: str = "mingru"
) -> tuple[np.ndarray, list[LayerCache]]:
    """``(B, T, D) -> (B, T, H)`` the top layer's h_t; ``kind`` is mingru or minlstm."""
    if kind not in ("mingru", "minlstm"):
        raise ValueError(f"unknown kind {kind!r}; mingru or minlstm")
    h = x.transpose(1, 0, 2)  # (T, B, D)
    caches = []
    for layer in range(num_layers):
        h, cache = _layer(h, params[f"weight_ih_l{layer}"], params[f"bias_ih_l{layer}"], kind)
        caches.append(cache)
    return h.transpose(1, 0, 2), caches


def backward(caches: list[LayerCache], dy: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """minGRU only: ``dy`` (B, T, H) -> (gradients keyed like params, ∂L/∂x (B, T, D))."""
    grads = {}
    d = dy.transpose(1, 0, 2)  # (T, B, H)
    for layer in reversed(range(len(caches))):
        c = caches[layer]
        T, B, H = d.shape
        if c.k.shape[-1] != 2 * H:
            raise ValueError("the hand-written backward covers minGRU only")
        dk = np.empty_like(c.k)  # (T, B, 2H)
        carry = np.zeros((B, H), dtype=d.dtype)
        for t in reversed(range(T)):
            k_z, k_h = c.k[t, :, :H], c.k[t, :, H:]
            z, cand = sigmoid(k_z), g(k_h)
            dh = d[t] + carry
            dk[t, :, :H] = dh * (cand - c.h[t]) * z * (1 - z)
            dk[t, :, H:] = dh * z * g_grad(k_h)
            carry = dh * (1 - z)
        rows = dk.reshape(T * B, -1)
        grads[f"weight_ih_l{layer}"] = rows.T @ c.x.reshape(T * B, -1)
        grads[f"bias_ih_l{layer}"] = rows.sum(axis=0)
        d = dk @ c.w  # (T, B, D_l)
    return grads, d.transpose(1, 0, 2)
