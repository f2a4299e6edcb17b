"""Long short-term memory, gate order i|f|g|o as torch.nn.LSTM, plus the classic ablations."""

from __future__ import annotations

import math

import torch

from seqlab.models._recurrent import RecurrentCore
from seqlab.models.lstm_ext import lstm_layer

CHRONO = "chrono"  # forget_bias value: chrono initialisation (see LSTM.reset_parameters)
#: The one default of ``forget_bias`` (``LSTM``, ``ModelSpec``, ``TrainConfig``, ``--forget-bias``):
#: chrono solved adding at T=1000 in minutes where a bias of 1 had not in an hour (RESULTS.md).
FORGET_BIAS = CHRONO


def parse_forget_bias(value: object) -> float | str:
    """``"chrono"``, or ``value`` as a finite float (``"2"`` -> 2.0); ValueError otherwise."""
    if value == CHRONO:
        return CHRONO
    try:
        fb = float(value)  # type: ignore[arg-type]
        if isinstance(value, bool) or not math.isfinite(fb):
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"expected a number or {CHRONO!r}, got {value!r}") from None
    return fb


VARIANT_BLOCKS: dict[str, tuple[str, ...]] = {
    "full": ("i", "f", "g", "o"),
    "nig": ("f", "g", "o"),
    "nfg": ("i", "g", "o"),
    "nog": ("i", "f", "g"),
    "cifg": ("f", "g", "o"),
}


class LSTM(RecurrentCore):
    r"""Long short-term memory with torch.nn.LSTM's parameters, gate order and equations.

    For each layer, at each step t (``x`` the layer's input, ``h``, ``c`` the previous state)::

        i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
        c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')

    Shapes: input ``(B, T, D)``; output ``(B, T, H)``, the top layer's ``h`` at every step;
    the state starts at zero. B = batch, T = steps, D = ``input_size``, H = ``hidden_size``.

    Parameters of layer ``l`` (``D_0 = D``, ``D_l = H`` above), the gate blocks stacked
    ``W_i | W_f | W_g | W_o`` as torch.nn.LSTM:

        weight_ih_l{l}  (G·H, D_l)     weight_hh_l{l}  (G·H, H)
        bias_ih_l{l}    (G·H,)         bias_hh_l{l}    (G·H,)

    with G = 4, or G = 3 for an ablation, which drops the rows of the gate it removes (its
    parameter count is what it really has):

        variant  learned blocks  fixed gate
        full     i f g o         -
        nig      f g o           i = 1           (no input gate)
        nfg      i g o           f = 1           (no forget gate: the cell only accumulates)
        nog      i f g           o = 1           (no output gate: the cell is always exposed)
        cifg     f g o           i = 1 − f       (coupled input and forget gate)

    Ablations run on the trace path only; the full LSTM also has torch's fused kernel.
    Initialisation: ``reset_parameters`` (torch's, then the gate biases of ``forget_bias``).
    """

    has_cell = True
    auto_table_model = "lstm"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        variant: str = "full",
        forget_bias: float | str = FORGET_BIAS,
        max_lag: int | None = None,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        if variant not in VARIANT_BLOCKS:
            raise ValueError(f"unknown LSTM variant {variant!r}; one of {sorted(VARIANT_BLOCKS)}")
        self.variant = variant
        self.blocks = VARIANT_BLOCKS[variant]
        self.gate_blocks = len(self.blocks)
        if forget_bias == CHRONO and max_lag is not None and max_lag < 2:
            raise ValueError(f"chrono initialisation needs max_lag >= 2, got {max_lag}")
        try:
            self.forget_bias = parse_forget_bias(forget_bias)
        except ValueError as e:
            raise ValueError(f"forget_bias: {e}") from None
        self.max_lag = max_lag
        super().__init__(input_size, hidden_size, num_layers, generator=generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """torch's U(-1/√H, 1/√H), then the gate biases set by ``forget_bias`` (every draw
        from ``generator``, the global RNG when ``None``):

        - a number b: added to ``bias_ih``'s f block, so f ≈ σ(b) at init. A positive bias
          (Gers et al. 2000; Jozefowicz et al. 2015) starts the cell remembering, with a
          memory time of about 1/(1 − σ(b)) steps (b = 1: ~4 steps). 0 keeps torch's
          initialisation exactly.
        - ``"chrono"`` (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?"):
          per unit j, ``b_f[j] = log u_j`` with ``u_j ~ U[1, max_lag − 1]`` and
          ``b_i[j] = −b_f[j]`` (in ``bias_ih``; the ``bias_hh`` entries are zeroed). A cell
          with i = 0 and f = σ(log u) = u/(1 + u) forgets at rate 1/(1 + u), so the units'
          memory times spread from ~2 steps to ~``max_lag``, the task's sequence length.
          Long lags are then reachable from the first step instead of having to be learned.
          Without ``max_lag`` (a model built for counting or timing, outside training)
          there is no T to size it by and torch's initialisation is kept.
        """
        super().reset_parameters(generator)
        if "f" not in self.blocks or (self.forget_bias == CHRONO and self.max_lag is None):
            return
        H = self.hidden_size
        rows = {n: slice(k * H, (k + 1) * H) for k, n in enumerate(self.blocks)}
        f, i = rows["f"], rows.get("i")
        with torch.no_grad():
            for layer in range(self.num_layers):
                b_ih = getattr(self, f"bias_ih_l{layer}")
                b_hh = getattr(self, f"bias_hh_l{layer}")
                if self.forget_bias == CHRONO:
                    u = 1.0 + (self.max_lag - 2) * torch.rand(H, generator=generator)  # U[1, T−1]
                    log_u = torch.log(u)
                    b_ih[f], b_hh[f] = log_u, 0.0
                    if i is not None:
                        b_ih[i], b_hh[i] = -log_u, 0.0
                elif self.forget_bias:
                    b_ih[f] += self.forget_bias

    @property
    def supports_fused(self) -> bool:
        return self.variant == "full"

    def _fused(self, x: torch.Tensor) -> torch.Tensor:
        h0 = x.new_zeros(self.num_layers, x.shape[0], self.hidden_size)
        out, _, _ = torch._VF.lstm(
            x, (h0, h0), self.flat_weights(), True, self.num_layers, 0.0, self.training, False, True
        )
        return out

    @property
    def has_sequence_kernel(self) -> bool:
        return True

    def _seq_layer(self, x, layer, gates):
        h, c, acts = lstm_layer(
            x, *self.layer_params(layer), blocks=self.blocks, cifg=self.variant == "cifg"
        )
        if not gates:
            return h, c, {}
        learned = dict(zip(self.blocks, acts.split(self.hidden_size, dim=-1), strict=True))
        ones = h.new_ones(()).expand_as(h)  # a removed gate's fixed value, (T, B, H)
        f = learned.get("f", ones)
        i = learned.get("i", 1 - f if self.variant == "cifg" else ones)
        return h, c, {"i": i, "f": f, "g": learned["g"], "o": learned.get("o", ones)}

    def gate_values(self, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """``{i, f, g, o}`` from one step's pre-activations ``z`` ``(…, G·H)`` in this
        variant's block order; a gate the variant removed is its fixed value (ones, or
        ``1 − f`` for cifg). The step loop and the probes' step-by-step runs share it."""
        parts = dict(zip(self.blocks, z.chunk(self.gate_blocks, dim=-1), strict=True))
        g = torch.tanh(parts["g"])
        f = torch.sigmoid(parts["f"]) if "f" in parts else torch.ones_like(g)
        if "i" in parts:
            i = torch.sigmoid(parts["i"])
        elif self.variant == "cifg":
            i = 1 - f
        else:
            i = torch.ones_like(g)
        o = torch.sigmoid(parts["o"]) if "o" in parts else torch.ones_like(g)
        return {"i": i, "f": f, "g": g, "o": o}

    def _step(self, xw_t, h, c, layer):
        _, w_hh, _, b_hh = self.layer_params(layer)
        gates = self.gate_values(xw_t + h @ w_hh.T + b_hh)  # from z (B, G·H)
        c = gates["f"] * c + gates["i"] * gates["g"]
        h = gates["o"] * torch.tanh(c)
        return h, c, gates
