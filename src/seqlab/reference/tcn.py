"""The TCN (``seqlab.models.tcn``) from scratch: forward only.

Per block i (dilation d = 2^i, kernel k), channel-last, zeros before the start:

    conv(x)_t = b + Σ_{j<k} x_{t − (k−1−j)·d} W[:, :, j]ᵀ       W = g · V / ‖V‖ (per output channel)
    a = relu(conv1(x))    o = relu(conv2(a))    y = relu(o + res(x))   (res: 1×1 conv or x)

Parameters keyed as the torch model's ``state_dict()`` (``blocks.{i}.conv1.bias``,
``blocks.{i}.conv1.parametrizations.weight.original0`` g (C, 1, 1), ``….original1`` V
(C, C_in, k), ``blocks.{i}.downsample.weight`` (C, C_in, 1)); the number of levels and the
kernel size are read from them.
"""

from __future__ import annotations

import numpy as np


def causal_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, dilation: int) -> np.ndarray:
    """``x`` (B, T, C_in), ``w`` (C, C_in, k) -> (B, T, C)."""
    B, T, _ = x.shape
    k = w.shape[2]
    pad = (k - 1) * dilation
    xp = np.concatenate([np.zeros((B, pad, x.shape[2]), dtype=x.dtype), x], axis=1)
    y = np.broadcast_to(b, (B, T, w.shape[0])).copy()
    for j in range(k):
        y += xp[:, j * dilation : j * dilation + T] @ w[:, :, j].T
    return y


def normed_weight(params: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    g = params[f"{prefix}.parametrizations.weight.original0"]  # (C, 1, 1)
    v = params[f"{prefix}.parametrizations.weight.original1"]  # (C, C_in, k)
    return g * v / np.sqrt((v**2).sum(axis=(1, 2), keepdims=True))


def forward(x: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, None]:
    """``(B, T, D) -> (B, T, C)``."""
    levels = len({k.split(".")[1] for k in params if k.startswith("blocks.")})
    h = x
    for i in range(levels):
        p = f"blocks.{i}"
        a = np.maximum(
            causal_conv(h, normed_weight(params, f"{p}.conv1"), params[f"{p}.conv1.bias"], 2**i), 0
        )
        o = np.maximum(
            causal_conv(a, normed_weight(params, f"{p}.conv2"), params[f"{p}.conv2.bias"], 2**i), 0
        )
        if f"{p}.downsample.weight" in params:
            res = causal_conv(
                h, params[f"{p}.downsample.weight"], params[f"{p}.downsample.bias"], 1
            )
        else:
            res = h
        h = np.maximum(o + res, 0)
    return h, None
