"""The architectures behind one interface, and the registry that builds them by name.

    build_model(ModelSpec("lstm", hidden_size=64), input_size=3, output_size=2, generator=g)

Names: ``ffnn`` (window MLP), ``rnn`` (Elman), ``lstm``, ``gru``, and the LSTM ablations
``lstm-nig``, ``lstm-nfg``, ``lstm-nog``, ``lstm-cifg``; the newer families ``tcn`` (dilated
causal convolutions), ``transformer`` (causal, pre-LN) and ``mingru`` / ``minlstm``
(parallel-scan recurrences). Initial weights are drawn from the
``generator`` passed (the global RNG when ``None``), so a seeded generator gives the same
model without touching anyone else's random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seqlab.models.adaptive import cutoffs_for
from seqlab.models.elman import RNN
from seqlab.models.gru import GRU
from seqlab.models.lstm import FORGET_BIAS, LSTM, VARIANT_BLOCKS, parse_forget_bias
from seqlab.models.min_rnn import MinGRU, MinLSTM
from seqlab.models.network import SeqModel
from seqlab.models.newer import build_newer, default
from seqlab.models.tcn import TCN
from seqlab.models.trace import Trace
from seqlab.models.transformer import Transformer
from seqlab.models.window_mlp import WindowMLP
from seqlab.options import bad, coerce, one_of, option, positive

RECURRENT = ("rnn", "lstm", "gru")
ABLATIONS = tuple(f"lstm-{v}" for v in VARIANT_BLOCKS if v != "full")
# the newer families: each with its own options and defaults (seqlab.models.newer)
NEWER = ("tcn", "transformer", "mingru", "minlstm")
MODEL_NAMES = ("ffnn", *RECURRENT, *ABLATIONS, *NEWER)
NEWER_OPTIONS = {"levels": "tcn", "kernel_size": "tcn", "heads": "transformer"}
NEWER_OPTIONS["context"] = "transformer"  # option -> the one model it applies to
HEADS = ("linear", "adaptive", "auto")

__all__ = [
    "ABLATIONS",
    "GRU",
    "HEADS",
    "LSTM",
    "MODEL_NAMES",
    "MODEL_OPTIONS",
    "NEWER",
    "RECURRENT",
    "RNN",
    "TCN",
    "MinGRU",
    "MinLSTM",
    "ModelSpec",
    "SeqModel",
    "Trace",
    "Transformer",
    "WindowMLP",
    "build_core",
    "build_model",
]


@dataclass(frozen=True)
class ModelSpec:
    """What to build: the one definition, default and validation of every model option.

    ``TrainConfig`` takes its model fields from here (``MODEL_OPTIONS``) and
    ``seqlab train`` one option per field, with the field's help text. ``max_lag`` is not
    an option: the trainer passes the task's training sequence length, which sizes chrono.
    Invalid values raise ``ConfigError`` (a ``ValueError``) naming the option and the fix.
    """

    name: str
    hidden_size: int | None = option(
        None, "Hidden units (default 64; tcn: 30 channels, seqlab.models.newer)."
    )
    layers: int = option(1, "Stacked recurrent layers, or ffnn hidden layers (0: linear).")
    window: int = option(5, "ffnn: the last k inputs it sees.")
    embed_dim: int | None = option(None, "Token embedding size (default: the hidden size).")
    forget_bias: float | str = option(
        FORGET_BIAS,
        "LSTM (and mingru/minlstm keep-gate) biases at init: a number (the forget-gate bias), "
        "or chrono (forget biases "
        "log U[1, T-1] over the units, T the task's length; input biases their negatives).",
    )
    max_lag: int | None = None
    dropout: float = option(0.0, "Dropout probability (embedding and read-out input).")
    head: str = option(
        "linear",
        "Read-out: linear, adaptive (adaptive softmax; large vocabularies) or auto "
        "(adaptive when the vocabulary allows).",
    )
    # the newer families (None: the model's default, seqlab.models.newer.MODEL_DEFAULTS)
    levels: int | None = option(
        None, "tcn: residual blocks, dilations 1, 2, ..., 2^(L-1) (default 6)."
    )
    kernel_size: int | None = option(
        None,
        "tcn: convolution width k (default 7). With 6 levels the receptive field is "
        "1 + 2(k-1)(2^L - 1) = 757 inputs.",
    )
    heads: int | None = option(None, "transformer: attention heads (default 4).")
    context: int | None = option(
        None, "transformer: inputs each step attends to (default: the whole sequence)."
    )

    def __post_init__(self) -> None:
        fix = "E.g. --forget-bias 1, or leave it out for chrono."
        coerce(self, {"forget_bias": (parse_forget_bias, fix)})
        if self.name not in MODEL_NAMES:
            raise bad(
                "model", f"unknown model {self.name!r}", f"Use one of {', '.join(MODEL_NAMES)}."
            )
        # resolved here, so configs store (and hash) the values a run used
        if self.hidden_size is None:
            object.__setattr__(self, "hidden_size", default(self.name, "hidden_size", 64))
        for name in ("levels", "kernel_size", "heads"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default(self.name, name))
        positive(self, ("hidden_size", "window"), optional=("embed_dim",))
        min_layers = 0 if self.name == "ffnn" else 1
        if self.layers < min_layers:
            raise bad("layers", f"{self.name} needs >= {min_layers}, got {self.layers}")
        if not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", f"must be in [0, 1), got {self.dropout}", "E.g. --dropout 0.1.")
        one_of(self, {"head": HEADS})
        for name in ("levels", "heads", "context"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise bad(name, f"too small: {v}", "Use a positive integer.")
        if self.kernel_size is not None and self.kernel_size < 2:
            raise bad("kernel_size", f"too small: {self.kernel_size}", "Use 2 or more.")
        if self.heads is not None and self.hidden_size % self.heads:
            raise bad(
                "heads",
                f"the hidden size {self.hidden_size} is not divisible by {self.heads} heads",
                "Pick --hidden-size as a multiple of --heads.",
            )


#: The model options (every field of ModelSpec but the name and the task-given ``max_lag``).
MODEL_OPTIONS = tuple(
    f for f in ModelSpec.__dataclass_fields__.values() if f.name not in ("name", "max_lag")
)


def build_core(
    spec: ModelSpec, input_size: int, *, generator: torch.Generator | None = None
) -> nn.Module:
    """The core alone: ``(B, T, input_size) -> (B, T, H)``, initialised from ``generator``."""
    H, L, g = spec.hidden_size, spec.layers, generator
    if spec.name in NEWER:
        return build_newer(spec, input_size, generator=g)
    if spec.name == "ffnn":
        return WindowMLP(input_size, H, window=spec.window, layers=L, generator=g)
    if spec.name == "rnn":
        return RNN(input_size, H, L, generator=g)
    if spec.name == "gru":
        return GRU(input_size, H, L, generator=g)
    variant = spec.name.split("-", 1)[1] if "-" in spec.name else "full"
    return LSTM(
        input_size,
        H,
        L,
        variant=variant,
        forget_bias=spec.forget_bias,
        max_lag=spec.max_lag,
        generator=g,
    )


def build_model(
    spec: ModelSpec,
    *,
    input_size: int,
    output_size: int,
    vocab_size: int | None = None,
    generator: torch.Generator | None = None,
) -> SeqModel:
    """A full model. With ``vocab_size`` the input is ``(B, T)`` token ids, embedded to
    ``embed_dim`` first (``input_size`` is then ignored). Draws, all from ``generator``:
    the core, then the embedding, then the head. ``head="auto"``: the adaptive softmax where
    the vocabulary is large enough for its clusters, else linear."""
    head = spec.head
    if head == "auto":
        head = "adaptive" if vocab_size and cutoffs_for(output_size) else "linear"
    embed_dim = (spec.embed_dim or spec.hidden_size) if vocab_size else None
    core = build_core(spec, embed_dim or input_size, generator=generator)
    return SeqModel(
        core,
        output_size,
        vocab_size,
        embed_dim,
        dropout=spec.dropout,
        head=head,
        generator=generator,
    )
