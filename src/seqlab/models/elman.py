"""Elman RNN (torch.nn.RNN with tanh), the plain recurrent network."""

from __future__ import annotations

import torch

from seqlab.models._recurrent import RecurrentCore


class RNN(RecurrentCore):
    r"""Elman network with torch.nn.RNN's parameters and equation (``nonlinearity="tanh"``).

    For each layer, at each step t (``x`` the layer's input, ``h`` the previous state)::

        h' = tanh(W_ih x + b_ih + W_hh h + b_hh)

    Shapes: input ``(B, T, D)``; output ``(B, T, H)``, the top layer's ``h`` at every step;
    the state starts at zero. B = batch, T = steps, D = ``input_size``, H = ``hidden_size``.

    Parameters of layer ``l`` (``D_0 = D``, ``D_l = H`` above), every entry ~ U(−1/√H, 1/√H)
    at init:

        weight_ih_l{l}  (H, D_l)       weight_hh_l{l}  (H, H)
        bias_ih_l{l}    (H,)           bias_hh_l{l}    (H,)
    """

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
