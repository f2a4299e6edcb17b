"""What the trace path returns: every hidden state, cell state and gate at every step."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Trace:
    """Per-step internals of a model run on one batch.

    Attributes:
        output: ``(B, T, O)`` the model's per-step outputs (logits or regression values).
        hidden: one ``(B, T, H)`` tensor per layer: h_t for every step.
        cell: one ``(B, T, H)`` tensor per layer (LSTM only), else empty.
        gates: one dict per layer, gate name -> ``(B, T, H)``; LSTM ``i f g o``, GRU ``r z n``.
            A gate an ablation removed appears as its fixed value (ones, or ``1 - f``).
    """

    output: torch.Tensor
    hidden: list[torch.Tensor] = field(default_factory=list)
    cell: list[torch.Tensor] = field(default_factory=list)
    gates: list[dict[str, torch.Tensor]] = field(default_factory=list)
