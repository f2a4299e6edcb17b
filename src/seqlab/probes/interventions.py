"""Causal tests of the gates: hold a gate (or a unit's cell) at a value at one step and see
what the trained LSTM then gets right.

Reading gate values says what a gate *does* on average; it cannot say whether the answer
*depends* on it. An intervention can. Run the LSTM of ``seqlab.models.lstm`` step by step
(its own parameters, its own equations, every ablation variant)::

    z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh                      (B, G·H)
    i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)      (a removed gate fixed as 1 or 1 − f)
    c_t = f ⊙ c_{t−1} + i ⊙ g        h_t = o ⊙ tanh(c_t)

and replace, at the chosen step and units only, one of them by a constant:

* ``i = 0`` at the cue step: the cue is not written into the cell there;
* ``f = 0`` at one step of the gap: the cell keeps nothing of its past at that step;
* ``o = 0`` at the query: the cell is not shown to the output, h_t = 0;
* ``c = 0`` at every step for some units: those units are switched off (their h is 0 too).

Everything downstream is recomputed from the changed value, as the network would. The
same clamp at a step where the role should not matter (a gap step for ``i``, a step before
the cue for ``f``, a gap step for ``o``) is the control: a drop at the role's step and none
at the control says the network uses that gate there, for that purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seqlab.models import LSTM, SeqModel, Trace
from seqlab.tasks.base import Batch

__all__ = ["TARGETS", "Clamp", "clamped_correct", "run_lstm"]

TARGETS = ("i", "f", "o", "c")  # the three sigmoid gates and the cell state

Step = int | torch.Tensor | None


@dataclass(frozen=True)
class Clamp:
    """Hold ``target`` of layer ``layer`` at ``value`` at ``step`` for ``units``.

    ``step``: an ``int`` (the same step for every example; negative counts from the end), a
    ``(B,)`` integer tensor (one step per example, e.g. each example's cue) or ``None``
    (every step). ``units``: a ``(H,)`` bool tensor, ``None`` for all units.
    """

    target: str
    step: Step
    units: torch.Tensor | None = None
    value: float = 0.0
    layer: int = 0

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ValueError(f"clamp target must be one of {TARGETS}, got {self.target!r}")


def _where(clamp: Clamp, t: int, B: int, T: int, H: int, device) -> torch.Tensor | None:
    """``(B, H)`` bool: where ``clamp`` applies at step ``t`` (None: nowhere)."""
    if clamp.step is None:
        rows = torch.ones(B, dtype=torch.bool, device=device)
    elif isinstance(clamp.step, torch.Tensor):
        if clamp.step.shape != (B,):
            raise ValueError(f"a per-example step must be (B,) = ({B},), got {clamp.step.shape}")
        rows = (clamp.step.to(device).long() % T) == t
    else:
        if not -T <= clamp.step < T:
            raise ValueError(f"step {clamp.step} is outside a sequence of length {T}")
        if clamp.step % T != t:
            return None
        rows = torch.ones(B, dtype=torch.bool, device=device)
    units = (
        torch.ones(H, dtype=torch.bool, device=device)
        if clamp.units is None
        else clamp.units.to(device).bool()
    )
    if units.shape != (H,):
        raise ValueError(f"units must be a (H,) = ({H},) bool tensor, got {tuple(units.shape)}")
    return rows[:, None] & units[None, :]


def run_lstm(core: LSTM, x: torch.Tensor, clamps: tuple[Clamp, ...] = ()) -> Trace:
    """The LSTM ``core`` on ``(B, T, D)`` floats from a zero state, with ``clamps`` applied;
    a ``Trace`` of every layer's h, c and gates (``(B, T, H)`` each) as they were *after* the
    clamps. With no clamps it equals ``core.trace(x)``."""
    if not isinstance(core, LSTM):
        raise TypeError(f"gate interventions need an LSTM core, got {type(core).__name__}")
    B, T, _ = x.shape
    H = core.hidden_size
    hidden, cells, gates = [], [], []
    inp = x
    for layer in range(core.num_layers):
        w_ih, w_hh, b_ih, b_hh = core.layer_params(layer)
        xw = inp @ w_ih.T + b_ih  # (B, T, G·H)
        mine = [c for c in clamps if c.layer == layer]
        h = c = x.new_zeros(B, H)
        hs, cs, gs = [], [], []
        for t in range(T):
            gate = core.gate_values(xw[:, t] + h @ w_hh.T + b_hh)
            at = {k: _where(k, t, B, T, H, x.device) for k in mine}
            for k, m in at.items():
                if m is not None and k.target != "c":
                    held = gate[k.target].new_tensor(k.value)
                    gate[k.target] = torch.where(m, held, gate[k.target])
            c = gate["f"] * c + gate["i"] * gate["g"]
            for k, m in at.items():
                if m is not None and k.target == "c":
                    c = torch.where(m, c.new_tensor(k.value), c)
            h = gate["o"] * torch.tanh(c)
            hs.append(h)
            cs.append(c)
            gs.append(gate)
        out = torch.stack(hs, dim=1)  # (B, T, H)
        hidden.append(out)
        cells.append(torch.stack(cs, dim=1))
        gates.append({k: torch.stack([g[k] for g in gs], dim=1) for k in gs[0]})
        inp = out
    return Trace(output=hidden[-1], hidden=hidden, cell=cells, gates=gates)


@torch.no_grad()
def clamped_correct(model: SeqModel, batch: Batch, clamps: tuple[Clamp, ...] = ()) -> torch.Tensor:
    """``(B,)`` bool: whether the model, run with ``clamps``, predicts each example's class at
    its last scored step (the recall query). Dropout is off (the model's mode is restored)."""
    if not isinstance(model.core, LSTM):
        raise TypeError(f"gate interventions need an LSTM, got {type(model.core).__name__}")
    was_training = model.training
    model.eval()
    try:
        tr = run_lstm(model.core, model._inputs(batch.x), clamps)
        logits = model.head(tr.output)  # (B, T, O)
    finally:
        model.train(was_training)
    B, T = batch.mask.shape
    last = T - 1 - batch.mask.flip(1).long().argmax(dim=1)  # (B,) last scored step
    rows = torch.arange(B)
    return logits[rows, last].argmax(dim=-1) == batch.y[rows, last]
