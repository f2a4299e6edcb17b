"""Gated recurrent unit, gate order r|z|n as torch.nn.GRU."""

from __future__ import annotations

import torch

from seqlab.models._recurrent import RecurrentCore
from seqlab.models.fused_seq import gru_layer


class GRU(RecurrentCore):
    r"""Gated recurrent unit with torch.nn.GRU's parameters, gate order and equations.

    For each layer, at each step t (``x`` the layer's input, ``h`` the previous state)::

        r = σ(W_ir x + b_ir + W_hr h + b_hr)        z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 − z) ⊙ n + z ⊙ h

    Shapes: input ``(B, T, D)``; output ``(B, T, H)``, the top layer's ``h`` at every step;
    the state starts at zero. B = batch, T = steps, D = ``input_size``, H = ``hidden_size``.

    Parameters of layer ``l`` (``D_0 = D``, ``D_l = H`` above), the gate blocks stacked
    ``W_r | W_z | W_n`` as torch.nn.GRU; every entry ~ U(−1/√H, 1/√H) at init:

        weight_ih_l{l}  (3H, D_l)      weight_hh_l{l}  (3H, H)
        bias_ih_l{l}    (3H,)          bias_hh_l{l}    (3H,)
    """

    gate_blocks = 3
    auto_table_model = "gru"

    def _fused(self, x: torch.Tensor) -> torch.Tensor:
        h0 = x.new_zeros(self.num_layers, x.shape[0], self.hidden_size)
        out, _ = torch._VF.gru(
            x, h0, self.flat_weights(), True, self.num_layers, 0.0, self.training, False, True
        )
        return out

    @property
    def has_sequence_kernel(self) -> bool:
        return True

    def _seq_layer(self, x, layer, gates):
        h, acts = gru_layer(x, *self.layer_params(layer))
        if not gates:
            return h, None, {}
        return h, None, dict(zip("rzn", acts.split(self.hidden_size, dim=-1), strict=True))

    def _step(self, xw_t, h, c, layer):
        _, w_hh, _, b_hh = self.layer_params(layer)
        hw = h @ w_hh.T + b_hh  # (B, 3H)
        xr, xz, xn = xw_t.chunk(3, dim=-1)
        hr, hz, hn = hw.chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        return h, c, {"r": r, "z": z, "n": n}
