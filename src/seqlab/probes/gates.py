"""What the gates do at the steps that matter: statistics at cue, gap and query positions.

The claim ``lstm-gates-roles`` says the input gate admits (i high at the cue), the forget
gate keeps (f high through the gap) and the output gate exposes (o high at the query).
A trace (``SeqModel.trace(x)``) holds every gate at every step, ``(B, T, H)`` per gate per
layer; these functions reduce it to numbers (with per-example means, for an interval over
examples) and to matrices for heatmaps.

Gates, in torch's names: LSTM ``i f o`` (``g`` is the candidate cell value, not a gate),
GRU ``r z`` (``n`` is the candidate state). A gate an ablation removed appears in the trace
as its fixed value (ones, or ``1 − f`` for the coupled variant) and is reported as such.

A position is one of:

* an ``int`` — the same step for every example (negative counts from the end);
* a ``(B,)`` integer tensor — one step per example (e.g. each example's cue);
* a ``slice`` — a range of steps for every example (e.g. the gap);
* a ``(B, T)`` bool tensor — any set of steps per example.
"""

from __future__ import annotations

import numpy as np
import torch

from seqlab.models import Trace

__all__ = ["GATES", "LOW", "HIGH", "cue_selectivity", "gate_matrix", "gate_statistics"]

GATES = ("i", "f", "o", "r", "z")  # the sigmoid gates; g and n are candidate values
LOW, HIGH = 0.1, 0.9  # saturation thresholds: "closed" below LOW, "open" above HIGH

Position = int | slice | torch.Tensor


def _select(gate: torch.Tensor, pos: Position) -> tuple[torch.Tensor, torch.Tensor]:
    """The values of ``gate`` ``(B, T, H)`` at ``pos`` as ``(values (B, S, H), weight (B, S))``:
    ``S`` selected steps per example, ``weight`` 1 where a step is selected (a bool position
    selects a different number of steps per example; the others select the same for all)."""
    B, T, _ = gate.shape
    if isinstance(pos, torch.Tensor):
        pos = pos.to(gate.device)
        if pos.dtype == torch.bool:
            if pos.shape != (B, T):
                raise ValueError(
                    f"a bool position must be (B, T) = {(B, T)}, got {tuple(pos.shape)}"
                )
            return gate, pos.to(gate.dtype)
        if pos.dim() == 0:
            pos = int(pos)
        else:
            if pos.shape != (B,):
                raise ValueError(
                    f"a step-index tensor must be (B,) = ({B},), got {tuple(pos.shape)}"
                )
            idx = pos.long() % T
            values = gate[torch.arange(B, device=gate.device), idx][:, None]  # (B, 1, H)
            return values, values.new_ones(B, 1)
    if isinstance(pos, slice):
        values = gate[:, pos]  # (B, S, H)
        return values, values.new_ones(values.shape[:2])
    if isinstance(pos, int | np.integer):
        if not -T <= int(pos) < T:
            raise ValueError(f"step {pos} is outside a sequence of length {T}")
        return gate[:, int(pos)][:, None], gate.new_ones(B, 1)
    raise TypeError(f"a position is an int, slice, (B,) or (B, T) tensor; got {type(pos)}")


def gate_statistics(
    trace: Trace,
    positions: dict[str, Position],
    layer: int = 0,
    gates: tuple[str, ...] | None = None,
) -> dict[str, dict[str, dict]]:
    """``{position_name: {gate: {"mean", "sd", "low", "high", "n", "per_example"}}}`` for one
    layer, in float64.

    ``mean`` and ``sd`` (population standard deviation) over all selected examples, steps
    and units; ``low`` and ``high`` the fractions of those values below ``LOW`` = 0.1 and
    above ``HIGH`` = 0.9 (saturated closed / open); ``n`` how many values. ``per_example``
    is each example's mean over its selected steps and units, ``B`` independent values for
    an interval over examples (NaN for an example with no step selected). ``gates``
    defaults to the sigmoid gates present in the trace (LSTM ``i f o``, GRU ``r z``).
    """
    if not trace.gates or not trace.gates[layer]:
        raise TypeError("this trace has no gates (an RNN or FFNN); nothing to summarise")
    layer_gates = trace.gates[layer]
    names = gates if gates is not None else tuple(g for g in GATES if g in layer_gates)
    stats: dict[str, dict[str, dict]] = {}
    for where, pos in positions.items():
        stats[where] = {}
        for name in names:
            values, weight = _select(layer_gates[name].detach().double(), pos)
            H = values.shape[-1]
            v = values[weight.bool()].reshape(-1)  # (N·H,) every selected value
            per_example = (values * weight[..., None]).sum(dim=(1, 2)) / (weight.sum(1) * H)
            n = v.numel()
            nan = float("nan")
            stats[where][name] = {
                "mean": v.mean().item() if n else nan,
                "sd": v.std(correction=0).item() if n else nan,
                "low": (v < LOW).double().mean().item() if n else nan,
                "high": (v > HIGH).double().mean().item() if n else nan,
                "n": n,
                "per_example": per_example.tolist(),
            }
    return stats


def gate_matrix(
    trace: Trace, example: int = 0, layer: int = 0, states: bool = False
) -> dict[str, np.ndarray]:
    """``{gate: (T, H) array}`` of one example and layer, for heatmaps (steps down, units
    across). Every gate of the trace (``g`` / ``n`` included); with ``states`` also ``"h"``
    and, for an LSTM, the cell ``"c"``."""
    mats = {k: v[example].detach().cpu().numpy() for k, v in trace.gates[layer].items()}
    if states:
        mats["h"] = trace.hidden[layer][example].detach().cpu().numpy()
        if trace.cell:
            mats["c"] = trace.cell[layer][example].detach().cpu().numpy()
    return mats


def cue_selectivity(states: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """``(T, H)`` float64: for each step and unit, the share of the variance of that unit's
    value across examples that the class of the cue explains (η², the correlation ratio)::

        η²_{t,j} = Σ_k n_k (m_{k,t,j} − m_{t,j})² / Σ_b (v_{b,t,j} − m_{t,j})²

    with ``states`` ``(B, T, H)`` (e.g. the cell c), ``labels`` ``(B,)`` the cue's class, n_k
    the examples of class k, m_k their mean and m the mean over all. 1: the unit's value is a
    function of the cue alone (it carries the cue); 0: the cue does not move its mean. A unit
    whose value does not vary at that step gets 0.
    """
    v = states.detach().double().cpu()
    y = labels.detach().long().cpu()
    if v.dim() != 3 or y.shape != (v.shape[0],):
        raise ValueError(f"expected states (B, T, H) and labels (B,), got {tuple(v.shape)}, "
                         f"{tuple(y.shape)}")  # fmt: skip
    m = v.mean(dim=0)  # (T, H)
    total = ((v - m) ** 2).sum(dim=0)
    between = torch.zeros_like(m)
    for k in y.unique():
        vk = v[y == k]
        between += vk.shape[0] * (vk.mean(dim=0) - m) ** 2
    eta = torch.where(total > 0, between / total.clamp_min(1e-300), torch.zeros_like(m))
    return eta.numpy()
