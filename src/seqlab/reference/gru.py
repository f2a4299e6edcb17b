"""The GRU (``torch.nn.GRU``, gate order r|z|n) from scratch: forward and backprop through time.

Forward, per layer, from h_{−1} = 0, with the input terms x̂ = W_ih x_t + b_ih and the
recurrent terms ĥ = W_hh h_{t−1} + b_hh, each (B, 3H) split r|z|n:

    r = σ(x̂_r + ĥ_r)      z = σ(x̂_z + ĥ_z)      n = tanh(x̂_n + r ⊙ ĥ_n)
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

The reset gate multiplies ĥ_n *after* its bias, as torch does (the two biases of the n block
are not interchangeable, unlike in RNN and LSTM).

Backward through time, t = T−1 … 0, with r_T = 0:

    ∂L/∂h_t = dy_t + r_{t+1}
    ∂L/∂n = ∂L/∂h_t ⊙ (1 − z)      ∂L/∂z = ∂L/∂h_t ⊙ (h_{t−1} − n)
    δ_n = ∂L/∂n ⊙ (1 − n²)         ∂L/∂r = δ_n ⊙ ĥ_n
    δ_r = ∂L/∂r ⊙ r(1−r)           δ_z = ∂L/∂z ⊙ z(1−z)
    ∂L/∂x̂ = [δ_r | δ_z | δ_n]      ∂L/∂ĥ = [δ_r | δ_z | δ_n ⊙ r]
    r_t = ∂L/∂h_t ⊙ z + ∂L/∂ĥ W_hh          ∂L/∂x_t = ∂L/∂x̂ W_ih

Parameters as torch.nn.GRU: ``weight_ih_l{l}`` (3H, D_l), ``weight_hh_l{l}`` (3H, H), biases (3H,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.reference import stacked
from seqlab.reference.activations import sigmoid, sigmoid_grad, tanh_grad


@dataclass
class GRULayerCache(stacked.LayerCache):
    gates: np.ndarray  # (T, B, 3H) r|z|n values
    h_n: np.ndarray  # (T, B, H) ĥ_n = W_hn h_{t−1} + b_hn


def _layer_forward(x, w_ih, w_hh, b_ih, b_hh):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    gates = stacked.input_projection(x, w_ih, b_ih)  # (T, B, 3H) x̂; becomes r|z|n
    h = np.zeros((T + 1, B, H), dtype=gates.dtype)
    h_n = np.empty((T, B, H), dtype=gates.dtype)
    for t in range(T):
        hw = h[t] @ w_hh.T + b_hh  # (B, 3H) ĥ
        a = gates[t]
        rz = a[:, : 2 * H]
        rz += hw[:, : 2 * H]
        sigmoid(rz, out=rz)
        r, z = a[:, :H], a[:, H : 2 * H]
        h_n[t] = hw[:, 2 * H :]
        n = a[:, 2 * H :]
        n += r * h_n[t]
        np.tanh(n, out=n)
        np.add(n, z * (h[t] - n), out=h[t + 1])  # (1 − z) n + z h_{t−1}
    return h[1:], GRULayerCache(x, h, w_ih, w_hh, gates=gates, h_n=h_n)


def _layer_backward(cache: GRULayerCache, dy):
    gates, h = cache.gates, cache.h
    T, B, H = dy.shape
    d_x = np.empty_like(gates)  # (T, B, 3H) ∂L/∂x̂ for every step
    d_h = np.empty_like(gates)  # (T, B, 3H) ∂L/∂ĥ for every step
    rec = np.zeros((B, H), dtype=dy.dtype)
    for t in reversed(range(T)):
        r, z, n = gates[t, :, :H], gates[t, :, H : 2 * H], gates[t, :, 2 * H :]
        dh = dy[t] + rec
        delta_n = dh * (1.0 - z) * tanh_grad(n)
        d_x[t, :, :H] = delta_n * cache.h_n[t] * sigmoid_grad(r)
        d_x[t, :, H : 2 * H] = dh * (h[t] - n) * sigmoid_grad(z)
        d_x[t, :, 2 * H :] = delta_n
        d_h[t, :, : 2 * H] = d_x[t, :, : 2 * H]
        d_h[t, :, 2 * H :] = delta_n * r
        rec = dh * z + d_h[t] @ cache.w_hh
    return stacked.layer_grads(d_x, cache.x, d_h, h[:-1], cache.w_ih)


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], num_layers: int = 1
) -> tuple[np.ndarray, stacked.StackCache]:
    """``(B, T, D) -> (B, T, H)``, the top layer's h_t; ``params`` named as torch.nn.GRU."""
    return stacked.forward(x, params, num_layers, _layer_forward, _layer_backward)


#: ``backward(cache, dy)``: ``dy`` = ∂L/∂y (B, T, H) -> (gradients keyed like params, ∂L/∂x
#: (B, T, D)); the cache carries this module's ``_layer_backward``.
backward = stacked.backward
