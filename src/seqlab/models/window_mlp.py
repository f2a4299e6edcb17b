"""The feed-forward network of the comparison: an MLP over a window of the last k steps.

At step t the net sees only ``[x_{t-k+1}, …, x_t]`` (zeros before the start), flattened
oldest first into a vector of ``k·D`` numbers:

    w_t = [x_{t-k+1}; …; x_t]                    (k·D,)
    a_1 = relu(W_1 w_t + b_1), …, a_L = relu(W_L a_{L-1} + b_L)      (H,)

It is memoryless: nothing from step t-k or earlier can reach step t. The window is applied
at every position at once, with no Python loop over time: the first layer is a causal
convolution, ``W_1 w_t = Σ_j W_1[:, j·D:(j+1)·D] x_{t-k+1+j}`` = ``conv1d`` of the
left-padded sequence with kernel ``W_1.view(H, k, D).permute(0, 2, 1)`` (the same numbers;
its backward is ≈1.6× faster than unfolding the (B, T, k·D) windows, measured at B=64,
T=32, D=64, k=15 on 1 thread). ``windows`` builds them explicitly, for ``layers=0`` and for
``seqlab.reference.window_mlp``. ``layers=0`` is a
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
    def receptive_field(self) -> int:
        """How many of the latest inputs reach an output: the window k."""
        return self.window

    def last_output(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, 1, H)``: the output at the last step alone, from its window
        ``x[:, -k:]`` (zeros before the start), flattened oldest first as in ``windows``."""
        B, T, D = x.shape
        w = F.pad(x, (0, 0, max(0, self.window - T), 0))[:, -self.window :]  # (B, k, D)
        a = w.reshape(B, 1, self.window * D)
        for lin in self.layers:
            a = torch.relu(lin(a))
        return a

    @property
    def output_size(self) -> int:
        return self.hidden_size if self.num_layers else self.window * self.input_size

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, H)`` (``(B, T, k·D)``, the windows, when ``layers=0``)."""
        if not self.layers:
            return windows(x, self.window)
        first, k, D = self.layers[0], self.window, self.input_size
        kernel = first.weight.view(-1, k, D).permute(0, 2, 1)  # (H, D, k), oldest first
        xp = F.pad(x.transpose(1, 2), (k - 1, 0))  # (B, D, T+k-1), zeros before the start
        a = torch.relu(F.conv1d(xp, kernel, first.bias).transpose(1, 2))  # (B, T, H)
        for lin in self.layers[1:]:
            a = torch.relu(lin(a))
        return a
