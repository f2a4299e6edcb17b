"""The Elman RNN (``torch.nn.RNN``, tanh) from scratch: forward and backpropagation through time.

Forward, per layer, from h_{−1} = 0:

    a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh        h_t = tanh(a_t)        (B, H)

Backward through time. The loss reaches h_t twice: directly (dy_t, from the layer above or
the read-out) and through h_{t+1}. Sweeping t = T−1 … 0 with r_T = 0:

    ∂L/∂h_t = dy_t + r_{t+1}
    δ_t     = ∂L/∂a_t = ∂L/∂h_t ⊙ (1 − h_t²)
    r_t     = δ_t W_hh                   (what h_{t−1} receives from step t)
    ∂L/∂x_t = δ_t W_ih

The product with W_hh once per step is why gradients vanish or explode over long lags:
∂h_t/∂h_{t−k} is a product of k Jacobians diag(1 − h²) W_hh. The weight gradients are sums
over steps, done once after the sweep (``stacked.layer_grads``).

Parameters as torch.nn.RNN: ``weight_ih_l{l}`` (H, D_l), ``weight_hh_l{l}`` (H, H), biases (H,).
"""

from __future__ import annotations

import numpy as np

from seqlab.reference import stacked


def _layer_forward(x, w_ih, w_hh, b_ih, b_hh):
    T, B, _ = x.shape
    H = w_hh.shape[0]
    a = stacked.input_projection(x, w_ih, b_ih + b_hh)  # (T, B, H)
    h = np.zeros((T + 1, B, H), dtype=a.dtype)  # (T+1, B, H)
    for t in range(T):
        a_t = a[t]
        a_t += h[t] @ w_hh.T
        np.tanh(a_t, out=h[t + 1])
    return h[1:], stacked.LayerCache(x, h, w_ih, w_hh)


def _layer_backward(cache: stacked.LayerCache, dy):
    x, h, w_hh = cache.x, cache.h, cache.w_hh
    T, B, H = dy.shape
    delta = np.empty_like(dy)  # (T, B, H) ∂L/∂a_t for every step
    r = np.zeros((B, H), dtype=dy.dtype)  # gradient arriving from step t+1
    for t in reversed(range(T)):
        h_t = h[t + 1]
        np.multiply(dy[t] + r, 1.0 - h_t * h_t, out=delta[t])
        r = delta[t] @ w_hh
    return stacked.layer_grads(delta, x, delta, h[:-1], cache.w_ih)


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], num_layers: int = 1
) -> tuple[np.ndarray, stacked.StackCache]:
    """``(B, T, D) -> (B, T, H)``, the top layer's h_t; ``params`` named as torch.nn.RNN."""
    return stacked.forward(x, params, num_layers, _layer_forward, _layer_backward)


#: ``backward(cache, dy)``: ``dy`` = ∂L/∂y (B, T, H) -> (gradients keyed like params, ∂L/∂x
#: (B, T, D)); the cache carries this module's ``_layer_backward``.
backward = stacked.backward
