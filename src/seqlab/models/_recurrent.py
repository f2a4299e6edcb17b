"""Shared machinery of the recurrent cores: torch's parameter layout and the trace loop.

Every core owns, per layer ``l``, ``weight_ih_l{l}`` ``(G·H, D_l)``, ``weight_hh_l{l}``
``(G·H, H)``, ``bias_ih_l{l}`` and ``bias_hh_l{l}`` ``(G·H,)``, with ``G`` gate blocks stacked
in torch's order, ``D_0 = input_size`` and ``D_l = H`` above. That is exactly torch.nn's
layout, so ``core.load_state_dict(torch_module.state_dict())`` gives identical numbers.

Two execution paths share these parameters:

* fused: torch's own kernels (``torch._VF.rnn_tanh / lstm / gru``; cuDNN on a GPU);
* trace: the input projection of all steps as one product, then an explicit loop over
  steps that keeps every gate (and that can run the LSTM ablations the kernels lack).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqlab.models.trace import Trace


class RecurrentCore(nn.Module):
    """Base class: parameters laid out as torch.nn, plus the layer-by-layer trace loop.

    Subclasses set ``gate_blocks`` (number of stacked gate blocks G), implement
    ``_fused(x, state)`` and ``_step(xw_t, h, c, layer)``.
    """

    gate_blocks: int = 1
    has_cell: bool = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError("input_size, hidden_size and num_layers must be >= 1")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        G, H = self.gate_blocks, hidden_size
        for layer in range(num_layers):
            d = input_size if layer == 0 else H
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(G * H, d)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(G * H, H)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(G * H)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(G * H)))
        self.reset_parameters()

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def reset_parameters(self) -> None:
        """torch.nn's initialisation: every parameter ~ U(-1/√H, 1/√H)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def layer_params(self, layer: int) -> tuple[torch.Tensor, ...]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of one layer."""
        return tuple(
            getattr(self, f"{n}_l{layer}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def flat_weights(self) -> list[torch.Tensor]:
        return [p for layer in range(self.num_layers) for p in self.layer_params(layer)]

    @property
    def supports_fused(self) -> bool:
        return True

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, H)``: the top layer's hidden state at every step.

        ``path`` is ``"fused"``, ``"trace"`` or ``"auto"`` (fused where the kernel exists).
        """
        if path == "trace" or (path == "auto" and not self.supports_fused):
            return self.trace(x).hidden[-1]
        if path == "fused" and not self.supports_fused:
            raise ValueError(f"{type(self).__name__} variant has no fused kernel; use trace")
        return self._fused(x)

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], self.hidden_size)

    def trace(self, x: torch.Tensor) -> Trace:
        """Run step by step from a zero state; return every hidden/cell state and gate."""
        hidden, cells, gates = [], [], []
        inp = x
        for layer in range(self.num_layers):
            w_ih, _, b_ih, _ = self.layer_params(layer)
            xw = inp @ w_ih.T + b_ih  # (B, T, G·H): all steps' input projections at once
            h = c = self._zeros(x)
            hs, cs, gs = [], [], []
            for t in range(x.shape[1]):
                h, c, g = self._step(xw[:, t], h, c, layer)
                hs.append(h)
                cs.append(c)
                gs.append(g)
            out = torch.stack(hs, dim=1)  # (B, T, H)
            hidden.append(out)
            if self.has_cell:
                cells.append(torch.stack(cs, dim=1))
            gates.append({k: torch.stack([g[k] for g in gs], dim=1) for k in gs[0]} if gs else {})
            inp = out
        return Trace(output=hidden[-1], hidden=hidden, cell=cells, gates=gates)

    def _fused(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _step(self, xw_t, h, c, layer):  # pragma: no cover - abstract
        raise NotImplementedError
