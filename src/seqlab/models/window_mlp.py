"""The feed-forward network of the comparison: an MLP over a window of the last k steps.

At step t the net sees only ``[x_{t-k+1}, …, x_t]`` (zeros before the start), flattened
oldest first into a vector of ``k·D`` numbers:

    w_t = [x_{t-k+1}; …; x_t]                    (k·D,)
    a_1 = relu(W_1 w_t + b_1), …, a_L = relu(W_L a_{L-1} + b_L)      (H,)

It is memoryless: nothing from step t-k or earlier can reach step t. The window is applied
at every position at once (``unfold``), with no Python loop over time. ``layers=0`` is a
linear autoregressive window: the core passes ``w_t`` through and only the read-out is
learned. Parameters: ``layers.{j}.weight`` / ``.bias`` as ``nn.Linear``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.init import build


def windows(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(B, T, D) -> (B, T, k·D)``: at each step the last ``k`` inputs, oldest first."""
    B, T, D = x.shape
    xp = F.pad(x, (0, 0, k - 1, 0))  # (B, T+k-1, D), zeros before the start
    w = xp.unfold(1, k, 1)  # (B, T, D, k)
    return w.transpose(2, 3).reshape(B, T, k * D)  # (B, T, k·D)


class WindowMLP(nn.Module):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        window: int,
        layers: int = 1,
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if window < 1 or input_size < 1 or hidden_size < 1 or layers < 0:
            raise ValueError("window, input_size, hidden_size must be >= 1 and layers >= 0")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.window, self.num_layers = window, layers
        dims = [window * input_size] + [hidden_size] * layers
        self.layers = nn.ModuleList(
            build(nn.Linear, a, b, generator=generator)  # torch's default init, from generator
            for a, b in zip(dims[:-1], dims[1:], strict=True)
        )

    @property
    def output_size(self) -> int:
        return self.hidden_size if self.num_layers else self.window * self.input_size

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        a = windows(x, self.window)
        for lin in self.layers:
            a = torch.relu(lin(a))
        return a
