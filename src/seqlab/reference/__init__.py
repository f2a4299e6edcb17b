"""seqlab's models from scratch in NumPy: forward, and backward written out by hand (BPTT).

This package never imports torch. It is the second, independent implementation the tests
compare ``seqlab.models`` against, and the code to read for the math: each module's
docstring has the forward equations, the backward equations and the shapes.

    window_mlp   the FFNN over a window of the last k steps
    rnn          Elman RNN (tanh)
    lstm         LSTM and its ablations (nig, nfg, nog, cifg)
    gru          GRU
    linear       the read-out;  embedding  the token lookup
    tcn, transformer, min_rnn   the newer families (forward; minGRU also backward)
    losses       masked softmax cross-entropy and masked MSE, each with its gradient

Every core has ``forward(x, params, num_layers=…, [variant= | window=]) -> (y, cache)`` with
x (B, T, D) and y (B, T, H), and ``backward(cache, dy) -> (grads, dx)``; ``params`` and
``grads`` are dicts keyed by torch's parameter names (``weight_ih_l0`` …). Arrays may be
float64 (the tests) or float32.

For a whole ``SeqModel`` (embed -> core -> head -> loss), keyed like its ``state_dict()``:

    loss, grads = model_loss_and_grads("lstm", x, y, mask, params, "classification", layers=2)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.reference import (
    embedding,
    gru,
    linear,
    losses,
    lstm,
    min_rnn,
    rnn,
    tcn,
    transformer,
    window_mlp,
)

__all__ = [
    "CORES",
    "core_for",
    "embedding",
    "gru",
    "linear",
    "losses",
    "lstm",
    "min_rnn",
    "model_forward",
    "model_loss_and_grads",
    "rnn",
    "tcn",
    "transformer",
    "window_mlp",
]

CORES = {"ffnn": window_mlp, "rnn": rnn, "lstm": lstm, "gru": gru}


def _split(params: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def core_for(
    name: str, layers: int = 1, window: int = 5, heads: int = 4, context: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """The core module for a model name and its keyword options, e.g. ``"lstm-cifg"`` ->
    ``(lstm, {"num_layers": layers, "variant": "cifg"})``; ``window`` is used by ffnn only,
    ``heads`` and ``context`` by transformer (a tcn's sizes are read from its parameters)."""
    if name == "tcn":
        return tcn, {}
    if name == "transformer":
        return transformer, {"num_layers": layers, "heads": heads, "context": context}
    if name in ("mingru", "minlstm"):
        return min_rnn, {"num_layers": layers, "kind": name}
    if name == "ffnn":
        return window_mlp, {"num_layers": layers, "window": window}
    if name.startswith("lstm"):
        variant = name.split("-", 1)[1] if "-" in name else "full"
        return lstm, {"num_layers": layers, "variant": variant}
    if name in ("rnn", "gru"):
        return CORES[name], {"num_layers": layers}
    raise ValueError(f"unknown model {name!r}; one of ffnn, rnn, gru, lstm, lstm-<variant>")


def _check_spec(dropout: float) -> None:
    if dropout:
        raise ValueError("the reference has no dropout: compare against a model with dropout=0")


def _forward(name, x, params, layers, window, newer=None):
    caches = {}
    if "embed.weight" in params:
        x, caches["embed"] = embedding.forward(x, _split(params, "embed."))
    newer = {k: v for k, v in (newer or {}).items() if k in ("heads", "context") and v}
    core, options = core_for(name, layers, window, **newer)
    hidden, caches["core"] = core.forward(x, _split(params, "core."), **options)
    out, caches["head"] = linear.forward(hidden, _split(params, "head."))
    return out, core, caches


def model_forward(
    name: str,
    x: np.ndarray,
    params: dict[str, np.ndarray],
    *,
    layers: int = 1,
    window: int = 5,
    dropout: float = 0.0,
    **implied: Any,
) -> np.ndarray:
    """A ``SeqModel``'s output ``(B, T, O)`` from its ``state_dict()`` as NumPy arrays.

    ``x`` is (B, T, D) floats, or (B, T) token ids when ``params`` has ``embed.weight``.
    ``layers`` and ``window`` mean what they mean in ``ModelSpec``, so do ``heads`` and
    ``context`` (transformer) in ``implied``; its other fields (``hidden_size``,
    ``embed_dim``, ``forget_bias``, a tcn's sizes) are implied by ``params`` and ignored.
    """
    _check_spec(dropout)
    return _forward(name, x, params, layers, window, implied)[0]


def model_loss_and_grads(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    params: dict[str, np.ndarray],
    kind: str,
    *,
    layers: int = 1,
    window: int = 5,
    dropout: float = 0.0,
    **implied: Any,
) -> tuple[float, dict[str, np.ndarray]]:
    """The masked loss of a ``SeqModel`` and its gradient w.r.t. every parameter.

    ``kind`` is ``"classification"`` (softmax cross-entropy, ``y`` (B, T) ids) or
    ``"regression"`` (MSE, ``y`` (B, T, O)); ``mask`` (B, T) bool marks the scored steps,
    as ``seqlab.metrics.masked_loss``. Returns ``(loss, grads)`` with ``grads`` keyed
    exactly as ``params`` (``core.weight_ih_l0``, ``head.weight`` …).
    """
    _check_spec(dropout)
    if kind not in losses.LOSSES:
        raise ValueError(f"unknown kind {kind!r}; one of {sorted(losses.LOSSES)}")
    out, core, caches = _forward(name, x, params, layers, window)
    loss, d_out = losses.LOSSES[kind](out, y, mask)
    head_grads, d_hidden = linear.backward(caches["head"], d_out)
    core_grads, dx = core.backward(caches["core"], d_hidden)
    grads = {f"head.{k}": v for k, v in head_grads.items()}
    grads.update({f"core.{k}": v for k, v in core_grads.items()})
    if "embed" in caches:
        grads.update({f"embed.{k}": v for k, v in embedding.backward(caches["embed"], dx).items()})
    return loss, {k: grads[k] for k in params}
