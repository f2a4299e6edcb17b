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
    "unroll",
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
        parts = dict(zip(core.blocks, (xw + hw).chunk(len(core.blocks), dim=-1), strict=True))
        g = torch.tanh(parts["g"])
        f = torch.sigmoid(parts["f"]) if "f" in parts else None  # None: f = 1
        if "i" in parts:
            i = torch.sigmoid(parts["i"])
        elif core.variant == "cifg":
            i = 1 - f  # coupled: admit what is forgotten
        else:
            i = None  # no input gate: i = 1
        c = (c if f is None else f * c) + (g if i is None else i * g)
        tc = torch.tanh(c)
        return (tc if "o" not in parts else torch.sigmoid(parts["o"]) * tc), c
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
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no hidden state to unroll")
    B, T, _ = x.shape
    hidden: list[list[torch.Tensor]] = []
    inputs = [x[:, t] for t in range(T)]
    for layer in range(core.num_layers):
        h = c = x.new_zeros(B, core.hidden_size)
        hs = []
        for t in range(T):
            h, c = _step(core, inputs[t], h, c, layer)
            hs.append(h)
        hidden.append(hs)
        inputs = hs
    return hidden


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
    core = _core(model)
    if not isinstance(core, RNN | LSTM | GRU):
        raise TypeError(f"{type(core).__name__} has no hidden state to differentiate")
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            hs = unroll(core, model._inputs(batch.x))[-1]
            out = model.head(torch.stack(hs, dim=1))  # (B, T, O)
            loss = masked_loss(out, batch.y, batch.mask, kind)
            grads = torch.autograd.grad(loss, hs, allow_unused=True)
    finally:
        model.train(was_training)
    norms = [
        torch.zeros(()) if g is None else g.detach().norm(dim=-1).mean() for g in reversed(grads)
    ]
    return torch.stack(norms).double().cpu().numpy()


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
