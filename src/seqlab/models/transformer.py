"""A small decoder-only causal Transformer, pre-LayerNorm (as GPT-2 / nanoGPT).

    a_0 = x W_inᵀ + b_in                               (B, T, H)   input projection D -> H
    for each layer l:
        a = a + Attn(LN₁(a))                           causal multi-head self-attention
        a = a + W₂ gelu(W₁ LN₂(a) + b₁) + b₂           MLP H -> 4H -> H
    y = LN_f(a)                                        (B, T, H)

    Attn(u) = concat_heads(softmax(q kᵀ/√d_h + M) v) W_oᵀ + b_o,   [q|k|v] = u W_qkvᵀ + b_qkv
    d_h = H / heads;  M[t, s] = 0 if t − c < s ≤ t else −∞   (c = ``context``)

Attention runs in ``torch.nn.functional.scaled_dot_product_attention``: with ``is_causal=True``
when the context covers the sequence (T ≤ c, or c unset), else with the banded boolean mask
M above (a sliding window: step t attends to the last c inputs t − c + 1 … t, so, like a
window MLP or a TCN, it sees exactly c inputs; nothing beyond c steps back reaches step t).
The parameters do not depend on T or c; the cost per sequence grows as T·min(T, c).

**Position encoding: none (NoPE).** The causal mask alone lets a decoder infer positions
(Haviv et al. 2022, "Transformer language models without positional encodings still learn
positional information"), and on length generalisation a decoder-only model without
position encoding matched or beat learned absolute, sinusoidal, rotary and ALiBi encodings
(Kazemnejad et al. 2023, "The impact of positional encoding on length generalization in
transformers"). Learned absolute embeddings would also tie the parameter count to a
maximum length, and fail on any step past it. NoPE needs nothing beyond the mask and keeps
``is_causal=True``; recall and adding need content-based lookup (cue word, marker channel),
which NoPE provides. It cannot count positions exactly over long spans.

Parameters (``in_proj``, then ``layers.{l}.``): ``ln1`` / ``ln2`` weight, bias (H,);
``attn.qkv`` weight (3H, H) in q|k|v order, bias (3H,); ``attn.out`` weight (H, H), bias (H,);
``mlp.0`` weight (4H, H), bias (4H,); ``mlp.2`` weight (H, 4H), bias (H,); ``ln_f`` (H,) ×2.
Linear weights ~ N(0, 0.02²) (the residual outputs ``attn.out``, ``mlp.2``: N(0, 0.02²/(2L)),
as GPT-2), biases 0, LayerNorm 1 and 0.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.init import construct

MLP_RATIO = 4
INIT_STD = 0.02


def window_mask(T: int, context: int, device: torch.device | None = None) -> torch.Tensor:
    """``(T, T)`` bool, True where step t may attend to step s: t − context < s ≤ t."""
    t = torch.arange(T, device=device)
    lag = t[:, None] - t[None, :]  # (T, T) t − s
    return (lag >= 0) & (lag < context)


class CausalSelfAttention(nn.Module):
    def __init__(self, hidden_size: int, heads: int, context: int | None) -> None:
        super().__init__()
        self.heads, self.context = heads, context
        self.qkv = construct(nn.Linear, hidden_size, 3 * hidden_size)
        self.out = construct(nn.Linear, hidden_size, hidden_size)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        B, T, H = u.shape
        q, k, v = self.qkv(u).split(H, dim=-1)  # (B, T, H) each
        q, k, v = (z.view(B, T, self.heads, H // self.heads).transpose(1, 2) for z in (q, k, v))
        if self.context is None or self.context >= T:  # (B, heads, T, d_h)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            mask = window_mask(T, self.context, u.device)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out(a.transpose(1, 2).reshape(B, T, H))  # (B, T, H)


class Block(nn.Module):
    def __init__(self, hidden_size: int, heads: int, context: int | None, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden_size)
        self.attn = CausalSelfAttention(hidden_size, heads, context)
        self.ln2 = nn.LayerNorm(hidden_size)
        self.mlp = nn.Sequential(
            construct(nn.Linear, hidden_size, MLP_RATIO * hidden_size),
            nn.GELU(),
            construct(nn.Linear, MLP_RATIO * hidden_size, hidden_size),
        )
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        a = a + self.drop(self.attn(self.ln1(a)))
        return a + self.drop(self.mlp(self.ln2(a)))


class Transformer(nn.Module):
    """``(B, T, D) -> (B, T, H)``: ``layers`` pre-LN blocks of ``heads`` heads."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        layers: int,
        heads: int,
        context: int | None = None,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if min(input_size, hidden_size, layers, heads) < 1:
            raise ValueError("input_size, hidden_size, layers and heads must be >= 1")
        if hidden_size % heads:
            raise ValueError(f"hidden size {hidden_size} is not divisible by {heads} heads")
        if context is not None and context < 1:
            raise ValueError(f"context must be >= 1, got {context}")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.heads, self.context = layers, heads, context
        self.in_proj = construct(nn.Linear, input_size, hidden_size)
        self.layers = nn.ModuleList(
            Block(hidden_size, heads, context, dropout) for _ in range(layers)
        )
        self.ln_f = nn.LayerNorm(hidden_size)
        self.reset_parameters(generator)

    @property
    def output_size(self) -> int:
        return self.hidden_size

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        residual_std = INIT_STD / math.sqrt(2 * self.num_layers)
        for name, mod in self.named_modules():
            if isinstance(mod, nn.Linear):
                std = residual_std if name.endswith(("attn.out", "mlp.2")) else INIT_STD
                nn.init.normal_(mod.weight, 0.0, std, generator=generator)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.LayerNorm):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)

    def forward(self, x: torch.Tensor, path: str = "auto") -> torch.Tensor:
        """``(B, T, D) -> (B, T, H)``; ``path`` is accepted for the common interface."""
        a = self.in_proj(x)  # (B, T, H)
        for block in self.layers:
            a = block(a)
        return self.ln_f(a)
