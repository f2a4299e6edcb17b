"""Temporal convolutional network (Bai, Kolter & Koltun 2018, locuslab/TCN): dilated causal
convolutions in residual blocks. Feed-forward, yet it sees far back.

Block i (i = 0 … L−1, dilation d = 2^i, kernel size k, C = hidden size channels):

    conv(x)_t = b + Σ_{j=0}^{k−1} W[:, :, j] x_{t − (k−1−j)·d}    (zeros before the start)
    a = dropout(relu(conv1(x)))          conv1: C_in -> C
    o = dropout(relu(conv2(a)))          conv2: C -> C
    y = relu(o + res(x))                 res: 1×1 convolution C_in -> C where C_in ≠ C, else x

Every convolution is causal (padded with (k−1)·d zeros on the left only), so output t
depends on inputs t − r + 1 … t, with the receptive field (two convolutions per block)

    r = 1 + 2 (k − 1) (2^L − 1)          (``receptive_field(k, L)``)

The weights of conv1 and conv2 are weight-normalised, W = g · V / ‖V‖ (norm per output
channel), with ``torch.nn.utils.parametrizations.weight_norm``; the 1×1 convolution is not.

Initialisation. conv1 and conv2: V ~ U(−1/√fan_in, 1/√fan_in) (torch's default, fan_in =
C_in·k) and g = √6 ‖V‖, so that W = √6 V ~ U(−√(6/fan_in), √(6/fan_in)) is He (Kaiming)
uniform for ReLU, while V keeps torch's scale (Adam's steps on V are sized relative to it);
biases torch's default U(−1/√fan_in, 1/√fan_in); the 1×1 convolution N(0, 0.01²) (locuslab/
TCN's). The read-out that ``SeqModel`` puts on a TCN starts at N(0, 0.01²)
(``readout_std``, locuslab/TCN's). locuslab/TCN in effect ran torch's default U(−1/√fan_in,
1/√fan_in) on conv1 and conv2 (its ``init_weights`` sets N(0, 0.01²), but the old
``weight_norm`` recomputes the weight from g and V before every forward, so that assignment
never took effect): √6 ≈ 2.45 times smaller than He. Why He: with torch's default each
residual block's convolution branch is much weaker than its identity path, so an output
hears far inputs only faintly. For the default adding TCN (30 channels, kernel 7, 6 levels,
T = 600) the mean |∂h_T/∂x_t| over channels fell about 200-fold from the last 100 inputs to
the first 100 under torch's default, about 6-fold under He; and the adding task at T = 600 needs
the first half. Measured (adding, 1 thread, seed 0, Adam 4e-3, batch 32, read-out N(0,
0.01²), ``benchmarks/RESULTS.md``, "TCN on the adding problem"): at T = 200 the training
MSE left chance at step ~550 with He and ~950 with torch's default. Earlier, at T = 20,
N(0, 0.01²) on the weight-normed convolutions stayed at chance for 400 steps where torch's
default solved it: small is worse, not better.

Parameters of block i (``blocks.{i}.``): ``conv1.parametrizations.weight.original0`` g
(C, 1, 1), ``….original1`` V (C, C_in, k), ``conv1.bias`` (C,); the same for ``conv2`` with
C_in = C; ``downsample.weight`` (C, C_in, 1) and ``downsample.bias`` where C_in ≠ C.
Shapes: ``(B, T, D) -> (B, T, C)``; convolutions run channel-first, ``(B, C, T)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from seqlab.models.init import construct

INIT_STD = 0.01  # locuslab/TCN: the 1×1 convolution and the read-out ~ N(0, 0.01²)
HE_GAIN = math.sqrt(6.0)  # He uniform's bound √(6/fan_in) over torch's default 1/√fan_in


def receptive_field(kernel_size: int, levels: int) -> int:
    """Inputs that one output sees: ``1 + 2 (k − 1) (2^L − 1)`` (two convolutions per block)."""
    return 1 + 2 * (kernel_size - 1) * (2**levels - 1)


def levels_for(span: int, kernel_size: int) -> int:
    """The fewest levels whose receptive field covers ``span`` inputs."""
    levels = 1
    while receptive_field(kernel_size, levels) < span:
        levels += 1
    return levels


class CausalConv1d(nn.Conv1d):
    """A 1-D convolution padded on the left only: ``(B, C_in, T) -> (B, C_out, T)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (self.kernel_size[0] - 1) * self.dilation[0]
        return super().forward(F.pad(x, (pad, 0)))


class TemporalBlock(nn.Module):
    def __init__(
        self,
        n_in: int,
        n_out: int,
        kernel_size: int,
        dilation: int,
        dropout: float,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        # built without drawing from the global RNG (construct), then initialised from
        # ``generator`` only
        self.conv1 = construct(CausalConv1d, n_in, n_out, kernel_size, dilation=dilation)
        self.conv2 = construct(CausalConv1d, n_out, n_out, kernel_size, dilation=dilation)
        for conv in (self.conv1, self.conv2):
            nn.init.kaiming_uniform_(conv.weight, a=math.sqrt(5), generator=generator)
            _uniform_bias(conv, generator)
            weight_norm(conv)  # g = ‖V‖, V = W
            with torch.no_grad():  # W = √6 V: He uniform, while V keeps torch's scale
                conv.parametrizations.weight.original0.mul_(HE_GAIN)
        self.downsample = construct(nn.Conv1d, n_in, n_out, 1) if n_in != n_out else None
        if self.downsample is not None:
            nn.init.normal_(self.downsample.weight, 0.0, INIT_STD, generator=generator)
            _uniform_bias(self.downsample, generator)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, strided: bool = False) -> torch.Tensor:
        """``(B, C_in, T) -> (B, C, T)``. ``strided``: ``x`` holds every d-th step only (d =
        the dilation), so the convolutions run with dilation 1 on it (``TCN.last_output``)."""
        conv1, conv2 = (
            (_undilated(self.conv1), _undilated(self.conv2))
            if strided
            else (self.conv1, self.conv2)
        )
        a = self.drop(torch.relu(conv1(x)))  # (B, C, T)
        o = self.drop(torch.relu(conv2(a)))
        res = x if self.downsample is None else self.downsample(x)
        return torch.relu(o + res)


def _undilated(conv: CausalConv1d):
    """``conv`` with dilation 1 (same weight, which weight norm computes once here)."""
    weight, pad = conv.weight, conv.kernel_size[0] - 1
    return lambda x: F.conv1d(F.pad(x, (pad, 0)), weight, conv.bias)


def _uniform_bias(conv: nn.Conv1d, generator: torch.Generator | None) -> None:
    """torch's default bias init, U(−1/√fan_in, 1/√fan_in), from ``generator``."""
    fan_in = conv.in_channels * conv.kernel_size[0]
    bound = 1.0 / math.sqrt(fan_in)
    nn.init.uniform_(conv.bias, -bound, bound, generator=generator)


class TCN(nn.Module):
    """``levels`` residual blocks of ``hidden_size`` channels, dilations 1, 2, 4, …"""

    readout_std = INIT_STD  # SeqModel draws the linear read-out's weight from N(0, 0.01²)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        levels: int,
        kernel_size: int,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if min(input_size, hidden_size, levels) < 1 or kernel_size < 2:
            raise ValueError("input_size, hidden_size, levels must be >= 1 and kernel_size >= 2")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.levels, self.kernel_size = levels, kernel_size
        self.blocks = nn.ModuleList(
            TemporalBlock(
                input_size if i == 0 else hidden_size,
                hidden_size,
                kernel_size,
                2**i,
                dropout,
                generator,
            )
            for i in range(levels)
        )

    @property
    def output_size(self) -> int:
        return self.hidden_size

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.kernel_size, self.levels)

    def last_output(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, D) -> (B, 1, C)``: the output at the last step alone, equal to
        ``forward(x)[:, -1:]`` at a fraction of the cost.

        Block i's convolutions have dilation 2^i, so the last output needs block i's
        output only at the steps t ≡ T−1 (mod 2^{i+1}) (what block i+1 reads), and these
        need block i's input only at t ≡ T−1 (mod 2^i). On that subsequence, every 2^i-th
        step ending at the last, the dilated convolution is an ordinary one (dilation 1,
        and the zeros before the start fall where the full sequence has them). So block i
        runs on ⌈T/2^i⌉ steps, and the stack costs Σ_i 2·T/2^i < 4T convolution steps
        instead of 2·L·T (T = 600, L = 6: about a third). Dropout draws a mask for the
        steps computed only: the same distribution, not the same draws as ``forward``."""
        h = x.transpose(1, 2)  # (B, D, T)
        for i, block in enumerate(self.blocks):
            if i:
                h = h[:, :, (h.shape[-1] - 1) % 2 :: 2]  # the steps ≡ T−1 (mod 2^i)
            h = block(h, strided=True)
        return h[:, :, -1:].transpose(1, 2)  # (B, 1, C)

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, C)``; ``path`` is accepted for the common interface."""
        h = x.transpose(1, 2)  # (B, D, T)
        for block in self.blocks:
            h = block(h)  # (B, C, T)
        return h.transpose(1, 2)  # (B, T, C)
