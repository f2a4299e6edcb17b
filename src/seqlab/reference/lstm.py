"""The LSTM (``torch.nn.LSTM``, gate order i|f|g|o) from scratch, with the classic ablations.

Forward, per layer, from h_{−1} = c_{−1} = 0:

    z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh                  (B, G·H), split in G blocks
    i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)

The ablations drop the rows of one gate (``weight_ih_l{l}`` is (3H, D_l), not (4H, D_l))
and fix it, exactly as ``seqlab.models.lstm``:

    variant  learned blocks  fixed gate
    full     i f g o         -
    nig      f g o           i = 1
    nfg      i g o           f = 1
    nog      i f g           o = 1
    cifg     f g o           i = 1 − f

Backward through time, t = T−1 … 0, with r_T = 0 (into h) and e_T = 0 (into c):

    ∂L/∂h_t = dy_t + r_{t+1}
    ∂L/∂o   = ∂L/∂h_t ⊙ tanh(c_t)
    ∂L/∂c_t = e_{t+1} + ∂L/∂h_t ⊙ o ⊙ (1 − tanh²(c_t))
    ∂L/∂i = ∂L/∂c_t ⊙ g    ∂L/∂g = ∂L/∂c_t ⊙ i    ∂L/∂f = ∂L/∂c_t ⊙ c_{t−1}
    e_t = ∂L/∂c_t ⊙ f                                   (the cell's own path back in time)
    δ_t = ∂L/∂z_t = [∂L/∂i ⊙ i(1−i) | ∂L/∂f ⊙ f(1−f) | ∂L/∂g ⊙ (1−g²) | ∂L/∂o ⊙ o(1−o)]
    r_t = δ_t W_hh          ∂L/∂x_t = δ_t W_ih

A fixed gate has no block in δ; in cifg, i = 1 − f sends ∂L/∂i to f with a minus sign:
∂L/∂f = ∂L/∂c_t ⊙ (c_{t−1} − g). e_t = ∂L/∂c_t ⊙ f is the constant error carousel: with
f near 1 the cell gradient passes back unchanged, with no W_hh product in its path.

The input terms of all steps are one product before the loop, the weight gradients one
product after the sweep (``stacked``); per step only h W_hhᵀ and elementwise work remain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.reference import stacked
from seqlab.reference.activations import sigmoid, sigmoid_grad, tanh_grad

# Restated here, not imported from seqlab.models.lstm (which needs torch): the reference is
# the independent second implementation, and the tests check the two tables agree.
VARIANT_BLOCKS: dict[str, tuple[str, ...]] = {
    "full": ("i", "f", "g", "o"),
    "nig": ("f", "g", "o"),
    "nfg": ("i", "g", "o"),
    "nog": ("i", "f", "g"),
    "cifg": ("f", "g", "o"),
}


def _columns(blocks: tuple[str, ...], H: int) -> tuple[dict[str, slice], list[slice]]:
    """Each learned gate's column slice in z, and the σ columns merged into runs."""
    cols = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(blocks)}
    runs: list[slice] = []
    for k, name in enumerate(blocks):
        if name == "g":
            continue
        if runs and runs[-1].stop == k * H:
            runs[-1] = slice(runs[-1].start, (k + 1) * H)
        else:
            runs.append(slice(k * H, (k + 1) * H))
    return cols, runs


@dataclass
class LSTMLayerCache(stacked.LayerCache):
    variant: str
    gates: np.ndarray  # (T, B, G·H) the learned gates' values (σ or tanh applied)
    c: np.ndarray  # (T+1, B, H) c[0] = 0, c[t+1] = c_t
    tanh_c: np.ndarray  # (T, B, H) tanh(c_t)


def _gate_values(variant, cols, a):
    """i, f, g, o from one step's learned gates ``a`` (B, G·H); fixed gates as 1 or 1 − f."""
    g = a[:, cols["g"]]
    f = a[:, cols["f"]] if "f" in cols else 1.0
    if "i" in cols:
        i = a[:, cols["i"]]
    elif variant == "cifg":
        i = 1.0 - f
    else:
        i = 1.0
    o = a[:, cols["o"]] if "o" in cols else 1.0
    return i, f, g, o


def _layer_forward(x, w_ih, w_hh, b_ih, b_hh, variant="full"):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    cols, sigma_runs = _columns(VARIANT_BLOCKS[variant], H)
    a = stacked.input_projection(x, w_ih, b_ih + b_hh)  # (T, B, G·H); becomes the gates
    h = np.zeros((T + 1, B, H), dtype=a.dtype)
    c = np.zeros((T + 1, B, H), dtype=a.dtype)
    tanh_c = np.empty((T, B, H), dtype=a.dtype)
    for t in range(T):
        z = a[t]  # (B, G·H)
        z += h[t] @ w_hh.T
        for run in sigma_runs:  # in place: pre-activations -> gate values
            sigmoid(z[:, run], out=z[:, run])
        np.tanh(z[:, cols["g"]], out=z[:, cols["g"]])
        i, f, g, o = _gate_values(variant, cols, z)
        np.add(f * c[t], i * g, out=c[t + 1])
        np.tanh(c[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t + 1])
    return h[1:], LSTMLayerCache(x, h, w_ih, w_hh, variant=variant, gates=a, c=c, tanh_c=tanh_c)


def _layer_backward(cache: LSTMLayerCache, dy):
    variant, gates, c, tanh_c = cache.variant, cache.gates, cache.c, cache.tanh_c
    T, B, H = dy.shape
    cols, _ = _columns(VARIANT_BLOCKS[variant], H)
    delta = np.empty_like(gates)  # (T, B, G·H) ∂L/∂z_t for every step
    r = np.zeros((B, H), dtype=dy.dtype)  # into h_t from step t+1
    e = np.zeros((B, H), dtype=dy.dtype)  # into c_t from step t+1
    for t in reversed(range(T)):
        i, f, g, o = _gate_values(variant, cols, gates[t])
        dh = dy[t] + r
        dc = e + dh * o * tanh_grad(tanh_c[t])
        d = delta[t]
        if "o" in cols:
            d[:, cols["o"]] = dh * tanh_c[t] * sigmoid_grad(o)
        if "i" in cols:
            d[:, cols["i"]] = dc * g * sigmoid_grad(i)
        if "f" in cols:
            df = dc * (c[t] - g) if variant == "cifg" else dc * c[t]
            d[:, cols["f"]] = df * sigmoid_grad(f)
        d[:, cols["g"]] = dc * i * tanh_grad(g)
        e = dc * f
        r = d @ cache.w_hh
    return stacked.layer_grads(delta, cache.x, delta, cache.h[:-1], cache.w_ih)


def forward(
    x: np.ndarray, params: dict[str, np.ndarray], num_layers: int = 1, variant: str = "full"
) -> tuple[np.ndarray, stacked.StackCache]:
    """``(B, T, D) -> (B, T, H)``, the top layer's h_t; ``params`` named as torch.nn.LSTM."""
    if variant not in VARIANT_BLOCKS:
        raise ValueError(f"unknown LSTM variant {variant!r}; one of {sorted(VARIANT_BLOCKS)}")
    return stacked.forward(x, params, num_layers, _layer_forward, _layer_backward, variant=variant)


#: ``backward(cache, dy)``: ``dy`` = ∂L/∂y (B, T, H) -> (gradients keyed like params, ∂L/∂x
#: (B, T, D)); the cache carries this module's ``_layer_backward``.
backward = stacked.backward
