"""The token embedding (``nn.Embedding``): a lookup table, one row per token id.

    e[b, t] = E[x[b, t]]        x (B, T) ints   E (V, E_dim)   e (B, T, E_dim)

Backward: each row of E collects the gradients of every position that looked it up,

    ∂L/∂E[v] = Σ_{(b, t): x[b, t] = v} ∂L/∂e[b, t]

(``np.add.at`` accumulates repeated ids; a plain ``dE[x] += de`` would keep only one).
Parameter named as ``nn.Embedding``: ``weight``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class EmbeddingCache:
    ids: np.ndarray  # (B, T)
    shape: tuple[int, int]  # (V, E_dim)


def forward(ids: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, EmbeddingCache]:
    """``(B, T)`` ids -> ``(B, T, E_dim)`` vectors."""
    table = params["weight"]
    return table[ids], EmbeddingCache(ids, table.shape)


def backward(cache: EmbeddingCache, de: np.ndarray) -> dict[str, np.ndarray]:
    """``de`` (B, T, E_dim) -> ``{"weight": ∂L/∂E}`` (the ids have no gradient)."""
    d_table = np.zeros(cache.shape, dtype=de.dtype)
    np.add.at(d_table, cache.ids, de)
    return {"weight": d_table}
