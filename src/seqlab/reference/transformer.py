"""The causal pre-LN Transformer (``seqlab.models.transformer``) from scratch: forward only.

    a = x W_inᵀ + b_in;   y = LN_f(a) after, per layer:
        a += Attn(LN₁(a));   a += W₂ gelu(W₁ LN₂(a) + b₁) + b₂
    Attn(u): [q|k|v] = u W_qkvᵀ + b_qkv, per head softmax(q kᵀ/√d_h + M) v, then W_out
    M[t, s] = 0 where t − c < s ≤ t, else −∞ (c = context, or T);  gelu(u) = u Φ(u) (exact, erf)
    LN(u) = (u − mean) / √(var + 1e−5) · γ + β   (biased variance, as torch)

Parameters keyed as the torch model's ``state_dict()`` (``in_proj.weight``,
``layers.{l}.attn.qkv.weight`` …). Shapes (B, T, ·).
"""

from __future__ import annotations

import math

import numpy as np

EPS = 1e-5
_erf = np.vectorize(math.erf)


def layer_norm(u: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = u.mean(axis=-1, keepdims=True)
    var = ((u - mu) ** 2).mean(axis=-1, keepdims=True)
    return (u - mu) / np.sqrt(var + EPS) * w + b


def gelu(u: np.ndarray) -> np.ndarray:
    return 0.5 * u * (1.0 + _erf(u / math.sqrt(2.0)))


def attention(u, p, prefix, heads, context):
    B, T, H = u.shape
    dh = H // heads
    qkv = u @ p[f"{prefix}.qkv.weight"].T + p[f"{prefix}.qkv.bias"]  # (B, T, 3H)
    q, k, v = (
        qkv[..., i * H : (i + 1) * H].reshape(B, T, heads, dh).transpose(0, 2, 1, 3)
        for i in range(3)
    )
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)  # (B, heads, T, T)
    lag = np.arange(T)[:, None] - np.arange(T)[None, :]
    allowed = (lag >= 0) & (lag < (context or T))
    scores = np.where(allowed, scores, -np.inf)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    att = scores / scores.sum(axis=-1, keepdims=True)
    a = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
    return a @ p[f"{prefix}.out.weight"].T + p[f"{prefix}.out.bias"]


def forward(
    x: np.ndarray,
    params: dict[str, np.ndarray],
    num_layers: int = 1,
    heads: int = 4,
    context: int | None = None,
) -> tuple[np.ndarray, None]:
    """``(B, T, D) -> (B, T, H)``."""
    p = params
    a = x @ p["in_proj.weight"].T + p["in_proj.bias"]
    for l in range(num_layers):
        n = f"layers.{l}"
        a = a + attention(
            layer_norm(a, p[f"{n}.ln1.weight"], p[f"{n}.ln1.bias"]), p, f"{n}.attn", heads, context
        )
        u = layer_norm(a, p[f"{n}.ln2.weight"], p[f"{n}.ln2.bias"])
        u = gelu(u @ p[f"{n}.mlp.0.weight"].T + p[f"{n}.mlp.0.bias"])
        a = a + u @ p[f"{n}.mlp.2.weight"].T + p[f"{n}.mlp.2.bias"]
    return layer_norm(a, p["ln_f.weight"], p["ln_f.bias"]), None
