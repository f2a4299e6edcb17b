"""A full model: optional token embedding -> core (FFNN window or recurrent) -> read-out."""

from __future__ import annotations

import torch
from torch import nn

from seqlab.metrics import masked_loss
from seqlab.models.adaptive import AdaptiveSoftmax
from seqlab.models.init import build
from seqlab.models.trace import Trace


class SeqModel(nn.Module):
    r"""Per-step outputs of a sequence: embed (token inputs) -> core -> dropout -> head.

    ::

        e_t = E[x_t]                  (token ids only; float inputs go to the core as they are)
        h_t = core(e_1 … e_t)         (B, T, H) — a window MLP sees only the last k steps
        y_t = W_o dropout(h_t) + b_o  (B, T, O) — logits, or regression values

    Shapes: ``x`` is ``(B, T, D)`` floats, or ``(B, T)`` integer ids when ``vocab_size`` is
    given; the output is ``(B, T, O)``. B = batch, T = steps, D = input size, H =
    ``core.output_size``, O = ``output_size``, V = ``vocab_size``, E = ``embed_dim``.

    Parameters: ``embed.weight`` (V, E) ~ N(0, 1) (token inputs only); the core's, under
    ``core.`` with torch.nn's names (``core.weight_ih_l0`` …, ``core.layers.0.weight`` for
    the window MLP); ``head.weight`` (O, H) and ``head.bias`` (O,) ~ U(−1/√H, 1/√H), as
    nn.Linear, except that a core with a ``readout_std`` attribute (the TCN's 0.01) gets
    ``head.weight`` ~ N(0, readout_std²), drawn after torch's default. With
    ``head="adaptive"`` (large vocabularies) the head is an adaptive softmax
    (``seqlab.models.adaptive``) whose outputs are log-probabilities — valid logits too, so
    evaluation and prediction treat both alike; training calls ``loss``, which then skips
    the (B, T, V) output.

    The embedding and the head are drawn from ``generator`` (the global RNG when ``None``),
    after the core, which the caller built first.
    """

    def __init__(
        self,
        core: nn.Module,
        output_size: int,
        vocab_size: int | None = None,
        embed_dim: int | None = None,
        dropout: float = 0.0,
        head: str = "linear",
        *,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.embed = (
            build(nn.Embedding, vocab_size, embed_dim, generator=generator) if vocab_size else None
        )
        self.core = core
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if head == "adaptive":
            self.head = build(AdaptiveSoftmax, core.output_size, output_size, generator=generator)
        elif head == "linear":
            self.head = build(nn.Linear, core.output_size, output_size, generator=generator)
            std = getattr(core, "readout_std", None)  # a core may ask for its own read-out init
            if std is not None:
                nn.init.normal_(self.head.weight, 0.0, std, generator=generator)
        else:
            raise ValueError(f"unknown head {head!r}; choose linear or adaptive")
        self.output_size = output_size

    @property
    def has_trace(self) -> bool:
        return hasattr(self.core, "trace")

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            if x.dtype not in (torch.int64, torch.int32):
                raise TypeError("this model embeds tokens: expected (B, T) integer ids")
            return self.drop(self.embed(x))
        if x.dim() != 3:
            raise TypeError(f"expected (B, T, D) floats, got shape {tuple(x.shape)}")
        return x

    def forward(self, x: torch.Tensor, path: str = "auto", last_only: bool = False) -> torch.Tensor:
        """``(B, T, D)`` floats or ``(B, T)`` ids -> ``(B, T, O)`` (``(B, 1, O)``, the last
        step alone, with ``last_only``: see ``features``)."""
        return self.head(self.features(x, path=path, last_only=last_only))

    def features(
        self, x: torch.Tensor, path: str = "auto", last_only: bool = False
    ) -> torch.Tensor:
        """What the head reads: the core's output after dropout, ``(B, T, H)``; with
        ``last_only`` only the last step's ``(B, 1, H)``, for cores that compute it alone
        (``core.last_output``: a window MLP's last window) and ``(B, T, H)`` for the others."""
        e = self._inputs(x)
        last = getattr(self.core, "last_output", None)
        return self.drop(last(e) if last_only and last else self.core(e, path=path))

    def scored_span(
        self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
        """``(x, y, mask, last_only)`` cut to what the score can depend on. When only the
        last step is scored and the core sees a bounded past of r inputs (a window MLP's
        k, a TCN's receptive field), nothing before the last r inputs reaches that output:
        the same numbers come from ``x[:, -r:]`` at a fraction of the cost (recall at T = 52
        with a window of 5: a tenth), and a core that computes its last step alone
        (``last_output``) gets ``y``, ``mask`` of that step only (``last_only``). Anything
        else is returned whole."""
        r = getattr(self.core, "receptive_field", None)
        if r is None or bool(mask[:, :-1].any()):
            return x, y, mask, False
        if x.shape[1] > r:
            x, y, mask = x[:, -r:], y[:, -r:], mask[:, -r:]
        if hasattr(self.core, "last_output"):
            return x, y[:, -1:], mask[:, -1:], True
        return x, y, mask, False

    def loss(
        self, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, kind: str, path: str = "auto"
    ) -> torch.Tensor:
        """The training loss: ``masked_loss`` of ``forward`` (mean over the scored steps)."""
        x, y, mask, last = self.scored_span(x, y, mask)
        if isinstance(self.head, AdaptiveSoftmax):
            return self.head.loss(self.features(x, path=path, last_only=last), y, mask)
        return masked_loss(self(x, path=path, last_only=last), y, mask, kind)

    @torch.no_grad()
    def add_scores(
        self, sums, x: torch.Tensor, y: torch.Tensor, mask: torch.Tensor, kind: str, path: str
    ) -> None:
        """Add one batch to ``sums`` (``seqlab.metrics.MetricSums``); the adaptive head
        scores the targets without the (B, T, V) output."""
        x, y, mask, last = self.scored_span(x, y, mask)
        if isinstance(self.head, AdaptiveSoftmax) and kind == "classification":
            sums.add_scores(*self.head.scores(self.features(x, path=path, last_only=last), y, mask))
        else:
            sums.add(self(x, path=path, last_only=last), y, mask, kind)

    def trace(self, x: torch.Tensor) -> Trace:
        """Outputs plus every hidden state, cell state and gate (recurrent cores only)."""
        if not self.has_trace:
            raise TypeError(f"{type(self.core).__name__} has no state to trace")
        tr = self.core.trace(self._inputs(x))
        tr.output = self.head(self.drop(tr.output))
        return tr
