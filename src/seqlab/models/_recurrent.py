"""Shared machinery of the recurrent cores: torch's parameter layout and the trace loop.

Every core owns, per layer ``l``, ``weight_ih_l{l}`` ``(G·H, D_l)``, ``weight_hh_l{l}``
``(G·H, H)``, ``bias_ih_l{l}`` and ``bias_hh_l{l}`` ``(G·H,)``, with ``G`` gate blocks stacked
in torch's order, ``D_0 = input_size`` and ``D_l = H`` above. That is exactly torch.nn's
layout, so ``core.load_state_dict(torch_module.state_dict())`` gives identical numbers.

Three execution paths share these parameters:

* fused: torch's own kernels (``torch._VF.rnn_tanh / lstm / gru``; cuDNN on a GPU);
* trace: every gate kept, and the LSTM ablations the kernels lack. LSTM and GRU run the
  sequence-level layers of ``seqlab.models.fused_seq`` (one autograd node per layer, backward
  through time by hand; the full LSTM's compiled in C++, ``seqlab.models.lstm_ext``, where
  it builds); the RNN runs the step loop;
* loop: the input projection of all steps as one product, then an explicit autograd-recorded
  loop over steps (``trace(x, unrolled=True)``). Same numbers as ``trace``; its autograd
  graph has nodes per step.

``auto`` picks the fastest correct path measured for the device (``auto_path``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from seqlab.models import auto_table
from seqlab.models.trace import Trace

#: Every value ``forward(x, path)`` accepts; ``loop`` is for the depth probe, not training.
FORWARD_PATHS = ("auto", "fused", "trace", "loop")


def auto_choice(core: RecurrentCore, x: torch.Tensor) -> tuple[str, str]:
    """``(path, reason)``: the path ``auto`` runs, the fastest correct one as measured.

    * no fused kernel (LSTM ablations): ``trace``; a GPU: ``fused`` (cuDNN);
    * CPU inference (no grad): ``fused``, whose forward alone is faster;
    * CPU training: the core's ``cpu_training_choice(B, T, threads)``, read from the measured
      table ``seqlab.models.auto_table`` at the sizes (B, T, H, I) and the thread count this
      process runs with (the RNN has no sequence-level layer: ``fused``).

    Why each choice: ``benchmarks/RESULTS.md``, "How the trainer picks its path". The choice
    depends only on the device, the grad mode, the model, the input's shape and the thread
    count, never on a timing taken at run time, so a run stays bit-for-bit repeatable.
    """
    if not core.supports_fused:
        return "trace", f"{type(core).__name__} variant has no fused kernel"
    if x.device.type != "cpu":
        return "fused", f"{x.device.type}: torch's fused kernel (cuDNN)"
    if not core.has_sequence_kernel:
        return "fused", f"{type(core).__name__} has no sequence-level layer"
    training = torch.is_grad_enabled() and any(p.requires_grad for p in core.parameters())
    if not training:
        return "fused", "CPU inference: oneDNN's forward alone is faster"
    return core.cpu_training_choice(x.shape[0], x.shape[1], torch.get_num_threads())


def auto_path(core: RecurrentCore, x: torch.Tensor) -> str:
    """The path ``auto`` runs (``auto_choice`` without the reason)."""
    return auto_choice(core, x)[0]


class RecurrentCore(nn.Module):
    """Base class: parameters laid out as torch.nn, plus the layer-by-layer trace loop.

    Subclasses set ``gate_blocks`` (number of stacked gate blocks G), implement
    ``_fused(x)`` and ``_step(xw_t, h, c, layer)``, and, for the sequence-level trace,
    ``_seq_layer(x, layer, gates)`` on time-major ``(T, B, D)`` input.
    """

    gate_blocks: int = 1
    has_cell: bool = False
    #: The model's rows in ``seqlab.models.auto_table`` (None: no sequence-level layer).
    auto_table_model: str | None = None

    def cpu_training_choice(self, batch: int, steps: int, threads: int) -> tuple[str, str]:
        """``(path, reason)``: what ``auto`` trains with on a CPU for ``(batch, steps)`` inputs
        at ``threads`` threads, from the measured table (see auto_choice)."""
        if self.auto_table_model is None:
            return "fused", f"{type(self).__name__} has no sequence-level layer"
        return auto_table.lookup(
            self.auto_table_model, batch, steps, self.hidden_size, self.input_size, threads
        )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError("input_size, hidden_size and num_layers must be >= 1")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        #: What ``path="auto"`` last chose, per mode (``"train"``: grad enabled, ``"eval"``):
        #: ``{"chosen": path, "reason": why}``; the trainer records it in ``result.json``.
        self.auto_record: dict[str, dict[str, str]] = {}
        G, H = self.gate_blocks, hidden_size
        for layer in range(num_layers):
            d = input_size if layer == 0 else H
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(G * H, d)))
            self.register_parameter(f"weight_hh_l{layer}", nn.Parameter(torch.empty(G * H, H)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(G * H)))
            self.register_parameter(f"bias_hh_l{layer}", nn.Parameter(torch.empty(G * H)))
        self.reset_parameters(generator)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """torch.nn's initialisation: every parameter ~ U(-1/√H, 1/√H), drawn from
        ``generator`` (the global RNG when ``None``) in torch.nn's parameter order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound, generator=generator)

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

    @property
    def has_sequence_kernel(self) -> bool:
        return False

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, H)``: the top layer's hidden state at every step.

        ``path`` is ``"fused"``, ``"trace"``, ``"loop"`` or ``"auto"`` (the fastest path
        measured for this device among those that exist for this variant).
        """
        if path == "auto":
            path, reason = auto_choice(self, x)
            mode = "train" if torch.is_grad_enabled() else "eval"
            self.auto_record[mode] = {"chosen": path, "reason": reason}
        if path == "trace" and self.has_sequence_kernel:
            out = x.transpose(0, 1)  # (T, B, D)
            for layer in range(self.num_layers):
                out = self._seq_layer(out, layer, gates=False)[0]
            return out.transpose(0, 1)  # (B, T, H)
        if path in ("trace", "loop"):
            return self._trace_loop(x).hidden[-1]
        if path != "fused":
            raise ValueError(f"unknown path {path!r}; one of {FORWARD_PATHS}")
        if not self.supports_fused:
            raise ValueError(f"{type(self).__name__} variant has no fused kernel; use trace")
        return self._fused(x)

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], self.hidden_size)

    def trace(self, x: torch.Tensor, unrolled: bool = False) -> Trace:
        """Run from a zero state; return every hidden/cell state and gate, each ``(B, T, H)``.

        ``unrolled=True`` records the step loop in autograd (a graph with nodes per step, as
        the depth probe needs); otherwise LSTM and GRU use the sequence-level layers (same
        numbers, one autograd node per layer).
        """
        if unrolled or not self.has_sequence_kernel:
            return self._trace_loop(x)
        hidden, cells, gates = [], [], []
        out = x.transpose(0, 1)  # (T, B, D)
        for layer in range(self.num_layers):
            out, c, g = self._seq_layer(out, layer, gates=True)
            hidden.append(out.transpose(0, 1))  # (B, T, H)
            if c is not None:
                cells.append(c.transpose(0, 1))
            gates.append({k: v.transpose(0, 1) for k, v in g.items()})
        return Trace(output=hidden[-1], hidden=hidden, cell=cells, gates=gates)

    def _seq_layer(self, x, layer, gates):  # pragma: no cover - abstract
        """Time-major ``(T, B, D)`` -> ``(h (T, B, H), c or None, {gate: (T, B, H)})``."""
        raise NotImplementedError

    def _trace_loop(self, x: torch.Tensor) -> Trace:
        """The step loop, every step recorded by autograd."""
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
