"""minGRU and minLSTM (Feng, Tung, Ahmed, Bengio & Hajimirsadeghi 2024, "Were RNNs All We
Needed?"): gates that read x_t only, so the recurrence is linear in h and trains by a
parallel scan.

minGRU, per layer (weights ``weight_ih_l{l}`` (2H, D_l), blocks z|h̃, bias ``bias_ih_l{l}`` (2H,)):

    [k_z | k_h] = W x_t + b          z_t = σ(k_z)          h̃_t = g(k_h)
    h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t

minLSTM (``weight_ih_l{l}`` (3H, D_l), blocks f|i|h̃, bias (3H,)):

    [k_f | k_i | k_h] = W x_t + b    f_t = σ(k_f)   i_t = σ(k_i)   h̃_t = g(k_h)
    f'_t = f_t / (f_t + i_t)         i'_t = i_t / (f_t + i_t)
    h_t = f'_t ⊙ h_{t−1} + i'_t ⊙ h̃_t

with h_{−1} = 0 and the paper's positive candidate activation (its log-space version, the
one it trains): g(k) = k + ½ for k ≥ 0, σ(k) for k < 0, so h̃ > 0 and every h_t > 0.

**Parallel scan in log space** (the paper's Appendix, after Heinsen 2023). Both are
h_t = a_t ⊙ h_{t−1} + b_t with a_t, b_t > 0 depending on x only, so

    h_t = Σ_{s≤t} (Π_{r=s+1}^{t} a_r) b_s = exp(A_t + logcumsumexp_s(log b_s − A_s)),
    A_t = Σ_{r≤t} log a_r

computed for all t at once with ``cumsum`` and ``logcumsumexp`` (no Python loop over time).
Precision: |A_t| grows with t and A_t + logcumsumexp(…) cancels, so float32 loses digits
on long sequences; measured at T = 1000 (2 layers, H = 8, init weights) against float64:
outputs within 1e-4 relative, parameter gradients within 0.6% (norm of the difference).
The logs come straight from the pre-activations: log z = −softplus(−k_z),
log(1 − z) = −softplus(k_z), log g(k) = log(relu(k) + ½) for k ≥ 0 else −softplus(−k); for
minLSTM, with δ = softplus(−k_f) − softplus(−k_i), log f' = −softplus(δ), log i' = −softplus(−δ).

Paths: ``auto`` / ``fused`` run the scan; ``trace`` / ``loop`` and ``trace()`` run the
sequential step (``step``), the form for inference one token at a time; ``trace`` returns
every gate (minGRU ``z`` and the candidate ``g`` = h̃; minLSTM the normalised ``f`` = f',
``i`` = i' and ``g``), each ``(B, T, H)``. Stacked layers feed h of layer l to layer l+1.
Initialisation as ``nn.Linear``: weights and biases ~ U(−1/√D_l, 1/√D_l); then, with
``forget_bias`` (as the LSTM's, ``seqlab.models.lstm``), the bias of the keep gate: the
keep logit κ is the number, or with ``"chrono"`` (Tallec & Ollivier 2018) κ_j = log u_j,
u_j ~ U[1, max_lag − 1] per unit. minGRU: b_z = −κ, so 1 − z = σ(κ); minLSTM: b_f = κ,
b_i = −κ, so f' ≈ σ(κ). A unit then keeps its state for ≈ 1 + u steps. With the paper's
plain init (``forget_bias=None``) 1 − z ≈ ½ everywhere, so a cue 20 steps back reaches the
output scaled by ≈ 2⁻²⁰: a one-layer minGRU (H = 64, trainer defaults, seed 0) had valid
accuracy 0.256 (chance 0.25) on recall d = 20 at step 200, where the transformer had 1.0
at step 100. The trainer's default is chrono, as for the LSTM.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.lstm import CHRONO
from seqlab.models.trace import Trace


def g(k: torch.Tensor) -> torch.Tensor:
    """The positive candidate activation: k + ½ (k ≥ 0), σ(k) (k < 0)."""
    return torch.where(k >= 0, k + 0.5, torch.sigmoid(k))


def log_g(k: torch.Tensor) -> torch.Tensor:
    """log g(k), computed stably from k."""
    return torch.where(k >= 0, torch.log(torch.relu(k) + 0.5), -F.softplus(-k))


def scan_log(log_a: torch.Tensor, log_b: torch.Tensor) -> torch.Tensor:
    """h_t = a_t h_{t−1} + b_t from h_{−1} = 0, for all t: ``(B, T, H)`` logs -> h ``(B, T, H)``."""
    a_star = torch.cumsum(log_a, dim=1)  # (B, T, H) A_t
    return torch.exp(a_star + torch.logcumsumexp(log_b - a_star, dim=1))


class MinRNN(nn.Module):
    """Base of minGRU / minLSTM: ``weight_ih_l{l}`` (G·H, D_l), ``bias_ih_l{l}`` (G·H,)."""

    gate_blocks: int = 2
    gate_names: tuple[str, ...] = ()

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        forget_bias: float | str | None = None,
        max_lag: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if min(input_size, hidden_size, num_layers) < 1:
            raise ValueError("input_size, hidden_size and num_layers must be >= 1")
        if forget_bias == CHRONO and (max_lag is None or max_lag < 2):
            raise ValueError(f"chrono initialisation needs max_lag >= 2, got {max_lag}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.forget_bias, self.max_lag = forget_bias, max_lag
        GH = self.gate_blocks * hidden_size
        for layer in range(num_layers):
            d = input_size if layer == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{layer}", nn.Parameter(torch.empty(GH, d)))
            self.register_parameter(f"bias_ih_l{layer}", nn.Parameter(torch.empty(GH)))
        self.reset_parameters(generator)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """As ``nn.Linear``: U(−1/√D_l, 1/√D_l); then the keep gate's bias (module docstring)."""
        H = self.hidden_size
        for layer in range(self.num_layers):
            w, b = self.layer_params(layer)
            bound = 1.0 / math.sqrt(w.shape[1])
            nn.init.uniform_(w, -bound, bound, generator=generator)
            nn.init.uniform_(b, -bound, bound, generator=generator)
            if self.forget_bias is None:
                continue
            with torch.no_grad():
                if self.forget_bias == CHRONO:
                    u = torch.empty(H).uniform_(1.0, self.max_lag - 1.0, generator=generator)
                    keep = torch.log(u)  # (H,) κ
                else:
                    keep = torch.full((H,), float(self.forget_bias))
                self._set_keep_bias(b, keep)

    def _set_keep_bias(self, b: torch.Tensor, keep: torch.Tensor) -> None:  # pragma: no cover
        raise NotImplementedError

    def layer_params(self, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
        return getattr(self, f"weight_ih_l{layer}"), getattr(self, f"bias_ih_l{layer}")

    def _logs(self, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover
        """Pre-activations ``(…, G·H)`` -> (log a, log b), each ``(…, H)``."""
        raise NotImplementedError

    def _gates(self, k: torch.Tensor) -> dict[str, torch.Tensor]:  # pragma: no cover
        """Pre-activations ``(B, G·H)`` -> the gates by name, with ``a`` and ``b``."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, H)``: the scan (``auto``, ``fused``) or the step loop."""
        if path in ("trace", "loop"):
            return self.trace(x).hidden[-1]
        if path not in ("auto", "fused"):
            raise ValueError(f"unknown path {path!r}; one of auto, fused, trace, loop")
        h = x
        for layer in range(self.num_layers):
            w, b = self.layer_params(layer)
            log_a, log_b = self._logs(F.linear(h, w, b))  # (B, T, H) each
            h = scan_log(log_a, log_b)
        return h

    def step(self, x_t: torch.Tensor, h: torch.Tensor, layer: int = 0):
        """One step of one layer: ``x_t`` (B, D_l), ``h`` (B, H) -> (h', gates)."""
        w, b = self.layer_params(layer)
        gates = self._gates(F.linear(x_t, w, b))
        return gates.pop("a") * h + gates.pop("b"), gates

    def trace(self, x: torch.Tensor, unrolled: bool = True) -> Trace:
        """The sequential form from h = 0: every hidden state and gate, each ``(B, T, H)``.
        (Always the step loop; ``unrolled`` is accepted for the recurrent cores' interface.)"""
        hidden, gates = [], []
        inp = x
        for layer in range(self.num_layers):
            h = x.new_zeros(x.shape[0], self.hidden_size)
            hs, gs = [], []
            for t in range(x.shape[1]):
                h, gt = self.step(inp[:, t], h, layer)
                hs.append(h)
                gs.append(gt)
            inp = torch.stack(hs, dim=1)  # (B, T, H)
            hidden.append(inp)
            gates.append({n: torch.stack([gt[n] for gt in gs], dim=1) for n in self.gate_names})
        return Trace(output=hidden[-1], hidden=hidden, gates=gates)


class MinGRU(MinRNN):
    gate_blocks = 2
    gate_names = ("z", "g")

    def _set_keep_bias(self, b, keep):
        b[: self.hidden_size] = -keep  # 1 − z = σ(κ)

    def _logs(self, k):
        k_z, k_h = k.chunk(2, dim=-1)
        return -F.softplus(k_z), -F.softplus(-k_z) + log_g(k_h)  # log(1 − z), log(z ⊙ h̃)

    def _gates(self, k):
        k_z, k_h = k.chunk(2, dim=-1)
        z, cand = torch.sigmoid(k_z), g(k_h)
        return {"z": z, "g": cand, "a": 1 - z, "b": z * cand}


class MinLSTM(MinRNN):
    gate_blocks = 3
    gate_names = ("f", "i", "g")

    def _set_keep_bias(self, b, keep):
        H = self.hidden_size
        b[:H], b[H : 2 * H] = keep, -keep  # f' = σ(κ)/(σ(κ) + σ(−κ)) = σ(κ)

    def _logs(self, k):
        k_f, k_i, k_h = k.chunk(3, dim=-1)
        delta = F.softplus(-k_f) - F.softplus(-k_i)
        return -F.softplus(delta), -F.softplus(-delta) + log_g(k_h)  # log f', log(i' ⊙ h̃)

    def _gates(self, k):
        k_f, k_i, k_h = k.chunk(3, dim=-1)
        f, i, cand = torch.sigmoid(k_f), torch.sigmoid(k_i), g(k_h)
        f, i = f / (f + i), i / (f + i)
        return {"f": f, "i": i, "g": cand, "a": f, "b": i * cand}
