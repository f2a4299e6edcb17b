"""Elman RNN (torch.nn.RNN with tanh), the plain recurrent network.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)

Parameters per layer: ``weight_ih_l{l}`` (H, D_l), ``weight_hh_l{l}`` (H, H),
``bias_ih_l{l}`` (H,), ``bias_hh_l{l}`` (H,) — as torch.nn.RNN.
"""

from __future__ import annotations

import torch

from seqlab.models._recurrent import RecurrentCore


class RNN(RecurrentCore):
    gate_blocks = 1

    def _fused(self, x: torch.Tensor) -> torch.Tensor:
        h0 = x.new_zeros(self.num_layers, x.shape[0], self.hidden_size)
        out, _ = torch._VF.rnn_tanh(
            x, h0, self.flat_weights(), True, self.num_layers, 0.0, self.training, False, True
        )
        return out

    def _step(self, xw_t, h, c, layer):
        _, w_hh, _, b_hh = self.layer_params(layer)
        h = torch.tanh(xw_t + h @ w_hh.T + b_hh)  # (B, H)
        return h, c, {}
