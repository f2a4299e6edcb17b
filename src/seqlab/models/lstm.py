"""Long short-term memory, gate order i|f|g|o as torch.nn.LSTM, plus the classic ablations.

    i = σ(W_ii x + b_ii + W_hi h + b_hi)      f = σ(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)   o = σ(W_io x + b_io + W_ho h + b_ho)
    c' = f ⊙ c + i ⊙ g                        h' = o ⊙ tanh(c')

Parameters per layer: ``weight_ih_l{l}`` (4H, D_l), ``weight_hh_l{l}`` (4H, H), ``bias_ih_l{l}``
and ``bias_hh_l{l}`` (4H,). An ablation drops the rows of the gate it removes, so its
parameter count is what it really has (3H rows instead of 4H):

    variant  learned blocks  fixed gate
    full     i f g o         -
    nig      f g o           i = 1           (no input gate)
    nfg      i g o           f = 1           (no forget gate: the cell only accumulates)
    nog      i f g           o = 1           (no output gate: the cell is always exposed)
    cifg     f g o           i = 1 − f       (coupled input and forget gate)

Ablations run on the trace path only (``seqlab.models.fused_seq.lstm_layer``, or the step
loop); the full LSTM also has the fused kernel.
"""

from __future__ import annotations

import torch

from seqlab.models._recurrent import RecurrentCore
from seqlab.models.fused_seq import lstm_layer

VARIANT_BLOCKS: dict[str, tuple[str, ...]] = {
    "full": ("i", "f", "g", "o"),
    "nig": ("f", "g", "o"),
    "nfg": ("i", "g", "o"),
    "nog": ("i", "f", "g"),
    "cifg": ("f", "g", "o"),
}


class LSTM(RecurrentCore):
    has_cell = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        variant: str = "full",
        forget_bias: float = 0.0,
    ) -> None:
        if variant not in VARIANT_BLOCKS:
            raise ValueError(f"unknown LSTM variant {variant!r}; one of {sorted(VARIANT_BLOCKS)}")
        self.variant = variant
        self.blocks = VARIANT_BLOCKS[variant]
        self.gate_blocks = len(self.blocks)
        self.forget_bias = forget_bias
        super().__init__(input_size, hidden_size, num_layers)

    def reset_parameters(self) -> None:
        """torch's U(-1/√H, 1/√H), then ``forget_bias`` added to ``bias_ih``'s f block.

        A positive forget bias (Gers et al. 2000; Jozefowicz et al. 2015) starts the cell
        remembering, which is what long lags need. 0 keeps torch's initialisation exactly.
        """
        super().reset_parameters()
        if self.forget_bias and "f" in self.blocks:
            k, H = self.blocks.index("f"), self.hidden_size
            with torch.no_grad():
                for layer in range(self.num_layers):
                    getattr(self, f"bias_ih_l{layer}")[k * H : (k + 1) * H] += self.forget_bias

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

    def cpu_training_path(self, batch: int, steps: int) -> str:
        # oneDNN's time grows faster than T; the sequence-level layer's linearly (auto_path)
        return "trace" if steps >= 400 and batch >= 64 else "fused"

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

    def _step(self, xw_t, h, c, layer):
        _, w_hh, _, b_hh = self.layer_params(layer)
        z = xw_t + h @ w_hh.T + b_hh  # (B, G·H)
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
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c, {"i": i, "f": f, "g": g, "o": o}
