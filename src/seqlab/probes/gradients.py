"""How far back a gradient reaches: ‖∂L/∂h_{T−1−k}‖ and ‖∂h_{T−1}/∂x_{T−1−k}‖ against lag k.

Unrolled over T steps, a recurrent net is a chain ``h_t = φ(x_t, h_{t−1})``. The loss at
the last step reaches an earlier state only through every state in between, so the
*total* derivative obeys the backward recursion (BPTT)

    ∂L/∂h_t = ∂ℓ_t/∂h_t + (∂h_{t+1}/∂h_t)ᵀ ∂L/∂h_{t+1}

and, when only the last step is scored, ∂L/∂h_{T−1−k} is a product of k Jacobians. For the
Elman RNN ``∂h_{t+1}/∂h_t = diag(1 − h_{t+1}²) W_hh``, so with spectral norm σ(W_hh)

    ‖∂L/∂h_{T−1−k}‖ ≤ σ(W_hh)^k ‖∂L/∂h_{T−1}‖               (tanh' ≤ 1)

— the "vanishing gradient" when σ < 1 (and possible explosion when the radius exceeds 1).
The LSTM's cell path has ``∂c_{t+1}/∂c_t = diag(f_{t+1})``, which is close to the
identity when the forget gate is open: the gradient survives many more steps.

Functions here measure these norms on a real model (``seqlab.models.SeqModel``) and fit the
exponential decay ``norm ≈ A·exp(−rate·k)``. Whether the model is fresh or trained is the
caller's business.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from seqlab.metrics import masked_loss
from seqlab.models import GRU, LSTM, RNN, SeqModel
from seqlab.tasks.base import Batch

__all__ = [
    "fit_decay",
    "hidden_grad_norms",
    "input_jacobian_norms",
    "spectral_radius",
    "state_grad_norms",
    "state_jacobian_norms",
    "unroll",
    "unroll_states",
]


def _core(model: nn.Module) -> nn.Module:
    return model.core if isinstance(model, SeqModel) else model


def _step(core: nn.Module, x_t, h, c, layer: int):
    """One step of layer ``layer`` of ``core``: ``(B, D_l), (B, H), (B, H) -> h', c'``.

    The equations of ``seqlab.models`` (elman.py, lstm.py with its ablations, gru.py) on the
    core's own parameters, written out again here so that every step is a few plain autograd
    nodes whatever execution path the model itself uses (the fused kernels and any
    sequence-level autograd Function are one node per layer, with no h_t to hold on to).
    """
    w_ih, w_hh, b_ih, b_hh = (
        getattr(core, f"{n}_l{layer}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    )
    xw = x_t @ w_ih.T + b_ih  # (B, G·H)
    hw = h @ w_hh.T + b_hh  # (B, G·H)
    if isinstance(core, GRU):
        xr, xz, xn = xw.chunk(3, dim=-1)
        hr, hz, hn = hw.chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    if isinstance(core, LSTM):
        gate = core.gate_values(xw + hw)
        c = gate["f"] * c + gate["i"] * gate["g"]
        return gate["o"] * torch.tanh(c), c
    return torch.tanh(xw + hw), c  # Elman RNN


def unroll(core: nn.Module, x: torch.Tensor) -> list[list[torch.Tensor]]:
    """Run a recurrent ``core`` (RNN, LSTM or an ablation, GRU) step by step on ``(B, T, D)``
    floats from a zero state; return ``hidden[layer][t]``, one ``(B, H)`` tensor per step.

    Every h_t is its own graph node that all later steps use, and each step projects its own
    input (``x_t W_ihᵀ + b_ih``), so the autograd graph has exactly the dependencies of the
    unrolled network: ``torch.autograd.grad(loss, hidden[-1])`` gives total derivatives
    ∂L/∂h_t, and a path in the graph is a chain of computations that really depend on
    each other.
    """
    return unroll_states(core, x)[0]


def unroll_states(
    core: nn.Module, x: torch.Tensor
) -> tuple[list[list[torch.Tensor]], list[list[torch.Tensor]]]:
    """:func:`unroll`, returning ``(hidden, cells)``: ``cells[layer][t]`` the LSTM's c_t, each
    its own graph node too (an empty list per layer for the RNN and GRU)."""
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no hidden state to unroll")
    B, T, _ = x.shape
    hidden: list[list[torch.Tensor]] = []
    cells: list[list[torch.Tensor]] = []
    inputs = [x[:, t] for t in range(T)]
    for layer in range(core.num_layers):
        h = c = x.new_zeros(B, core.hidden_size)
        hs, cs = [], []
        for t in range(T):
            h, c = _step(core, inputs[t], h, c, layer)
            hs.append(h)
            if isinstance(core, LSTM):
                cs.append(c)
        hidden.append(hs)
        cells.append(cs)
        inputs = hs
    return hidden, cells


def hidden_grad_norms(model: SeqModel, batch: Batch, kind: str) -> np.ndarray:
    """``(T,)``: entry k is ‖∂L/∂h_{T−1−k}‖, the total derivative, mean over the batch of the
    per-example Euclidean norms.

    ``L = masked_loss(model(x), y, mask, kind)`` — the trainer's loss, a mean over the
    scored steps of the batch (so the norms scale with 1/number-of-scored-steps; compare
    models on the same batch). Use a batch whose last step is scored; if earlier steps are
    scored as well their direct terms enter the norms too. ``h`` is the top layer's hidden
    state, recomputed by :func:`unroll` so that every step's state is a graph node. Dropout
    is switched off for the measurement (the model's mode is restored afterwards).

    Raises TypeError for a model without recurrent state (the FFNN window has no h_t).
    """
    return _grad_norms(model, batch, kind, with_cell=False)


def state_grad_norms(model: SeqModel, batch: Batch, kind: str) -> np.ndarray:
    """``(T,)``: entry k is ‖∂L/∂s_{T−1−k}‖ for the whole recurrent state s_t: h_t for the RNN
    and GRU, ``(h_t, c_t)`` for the LSTM, i.e. ``sqrt(‖∂L/∂h_t‖² + ‖∂L/∂c_t‖²)`` with both
    total derivatives (the ``∂L/∂h_t`` and ``∂L/∂c_t`` of backpropagation through time,
    ``seqlab.reference.lstm``), per example, mean over the batch.

    This is the quantity BPTT carries from step to step: the LSTM's memory is its cell, and
    a trained LSTM may well make its hidden state irrelevant over a gap of distractors
    (``∂L/∂h`` small there) while the cell path keeps ``∂L/∂c`` alive. Otherwise as
    :func:`hidden_grad_norms`.
    """
    return _grad_norms(model, batch, kind, with_cell=True)


def _grad_norms(model: SeqModel, batch: Batch, kind: str, with_cell: bool) -> np.ndarray:
    core = _core(model)
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no hidden state to differentiate")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            hidden, cells = unroll_states(core, model._inputs(batch.x))
            hs, cs = hidden[-1], (cells[-1] if with_cell else [])
            out = model.head(torch.stack(hs, dim=1))  # (B, T, O)
            loss = masked_loss(out, batch.y, batch.mask, kind)
            grads = torch.autograd.grad(loss, [*hs, *cs], allow_unused=True)
    finally:
        model.train(was_training)
    T = len(hs)
    B = batch.x.shape[0]
    sq = torch.zeros(T, B, dtype=torch.float64)  # (T, B) squared norm per step and example
    for j, g in enumerate(grads):
        if g is not None:
            sq[j % T] += g.detach().double().cpu().pow(2).sum(dim=-1)
    return sq.sqrt().mean(dim=1).flip(0).numpy()


def state_jacobian_norms(model: SeqModel, x: torch.Tensor) -> np.ndarray:
    """``(T,)``: entry t is ‖∂s_t/∂s_{t−1}‖₂, the spectral norm of one step's Jacobian of the
    state (h for RNN and GRU, ``(h, c)`` for the LSTM, the ``(S, S)`` matrix with S = H or
    2H), at the states the model reaches on ``x``, mean over the batch (entry 0: at the zero
    initial state). Single-layer cores.

    BPTT multiplies these matrices: ``∂L/∂s_{t−k} = J_{t−k+1}ᵀ ⋯ J_tᵀ ∂L/∂s_t``, so a norm
    below 1 at every step bounds the gradient by a geometric decay. For the Elman RNN
    ``J_t = diag(1 − h_t²) W_hh``; for the LSTM the cell block is ``diag(f_t)`` (the cell
    path), which stays near the identity while the forget gate is open.
    """
    core = _core(model)
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no recurrent state")
    if core.num_layers != 1:
        raise ValueError("state_jacobian_norms measures single-layer cores")
    H = core.hidden_size
    lstm = isinstance(core, LSTM)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            inputs = model._inputs(x) if isinstance(model, SeqModel) else x
            hidden, cells = unroll_states(core, inputs)
        B, T, _ = inputs.shape
        zero = inputs.new_zeros(1, B, H)
        prev_h = torch.cat([zero, torch.stack(hidden[0][:-1])])  # (T, B, H): h_{t−1}
        prev = (
            torch.cat([prev_h, torch.cat([zero, torch.stack(cells[0][:-1])])], dim=-1)
            if lstm
            else prev_h
        )  # (T, B, S)
        S = prev.shape[-1]
        # every step's state as one batch of T·B independent rows: S backward passes give
        # row j of all T·B Jacobians at once (no row depends on another)
        s = prev.reshape(T * B, S).detach().requires_grad_(True)
        x_t = inputs.transpose(0, 1).reshape(T * B, -1).detach()
        with torch.enable_grad():
            h, c = (s[:, :H], s[:, H:]) if lstm else (s, s)
            h2, c2 = _step(core, x_t, h, c, 0)
            out = torch.cat([h2, c2], dim=-1) if lstm else h2  # (T·B, S)
            rows = [torch.autograd.grad(out[:, j].sum(), s, retain_graph=True)[0] for j in range(S)]
        J = torch.stack(rows, dim=1).double()  # (T·B, S, S): J[n, j, :] = ∂out_j/∂s
        norms = torch.linalg.matrix_norm(J, ord=2).reshape(T, B).mean(dim=1)  # (T,)
    finally:
        model.train(was_training)
    return norms.detach().cpu().numpy()


def input_jacobian_norms(model: SeqModel, x: torch.Tensor, path: str = "auto") -> np.ndarray:
    """``(T,)``: entry k is ‖∂h_{T−1}/∂x_{T−1−k}‖_F, the Frobenius norm of the ``(H, D)``
    Jacobian of the last top-layer state (the core's output) with respect to the input k
    steps earlier, mean over the batch.

    Works for every core, the FFNN window included (its Jacobian is exactly zero beyond the
    window). Token models are differentiated with respect to their embedded inputs. Costs
    H backward passes (examples are independent, so one pass gives row j for all of them).
    """
    core = _core(model)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            inputs = model._inputs(x) if isinstance(model, SeqModel) else x
            xi = inputs.detach().requires_grad_(True)
            h_last = core(xi, path=path)[:, -1]  # (B, H)
            sq = torch.zeros_like(xi)  # (B, T, D): Σ_j (∂h_j/∂x)²
            for j in range(h_last.shape[1]):
                (g,) = torch.autograd.grad(h_last[:, j].sum(), xi, retain_graph=True)
                sq += g.detach() ** 2
    finally:
        model.train(was_training)
    fro = sq.sum(dim=-1).sqrt().mean(dim=0)  # (T,)
    return fro.flip(0).double().cpu().numpy()


def fit_decay(lags, norms, tiny: float = 1e-30) -> dict:
    """Least-squares fit of ``log(norm) = a − rate·lag`` over the points with norm > ``tiny``.

    Returns ``{"rate", "half_life", "r2", "intercept", "n"}``: ``rate > 0`` is a vanishing
    gradient, ``rate < 0`` an exploding one; ``half_life = ln 2 / rate`` lags (``inf`` when
    rate <= 0); ``r2`` the coefficient of determination of the fit in log space (1.0 when the
    logs are constant and fitted exactly). With fewer than two usable points every number
    is NaN.
    """
    lags = np.asarray(lags, dtype=np.float64).ravel()
    norms = np.asarray(norms, dtype=np.float64).ravel()
    if lags.shape != norms.shape:
        raise ValueError(f"lags {lags.shape} and norms {norms.shape} differ in length")
    keep = np.isfinite(norms) & (norms > tiny)
    lx, ly = lags[keep], np.log(norms[keep])
    if lx.size < 2 or np.ptp(lx) == 0:
        nan = float("nan")
        return {"rate": nan, "half_life": nan, "r2": nan, "intercept": nan, "n": int(lx.size)}
    slope, intercept = np.polyfit(lx, ly, 1)
    resid = ly - (intercept + slope * lx)
    ss_tot = float(np.sum((ly - ly.mean()) ** 2))
    ss_res = float(np.sum(resid**2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    rate = float(-slope)
    half_life = math.log(2) / rate if rate > 0 else math.inf
    return {
        "rate": rate,
        "half_life": half_life,
        "r2": r2,
        "intercept": float(intercept),
        "n": int(lx.size),
    }


def spectral_radius(model: nn.Module) -> float | dict[str, float]:
    """max |eigenvalue| of the recurrent weights of layer 0.

    RNN: one float, ρ(W_hh). LSTM / GRU: a dict gate -> ρ of that gate's ``(H, H)`` block of
    ``weight_hh_l0`` (LSTM ``i f g o`` — or the blocks an ablation keeps —, GRU ``r z n``),
    since the gated recurrences have no single W_hh: each block acts through its own
    nonlinearity. The RNN bound above uses the spectral *norm*; the radius is the number
    that decides growth or decay of W^k for large k.
    """
    core = _core(model)
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no recurrent weights")
    w_hh = core.weight_hh_l0.detach().double().cpu().numpy()
    H = core.hidden_size

    def rho(w: np.ndarray) -> float:
        return float(np.max(np.abs(np.linalg.eigvals(w))))

    if isinstance(core, RNN):
        return rho(w_hh)
    names = core.blocks if isinstance(core, LSTM) else ("r", "z", "n")
    return {name: rho(w_hh[k * H : (k + 1) * H]) for k, name in enumerate(names)}
