"""The four architectures behind one interface, and the registry that builds them by name.

    build_model(ModelSpec("lstm", hidden_size=64), input_size=3, output_size=2)

Names: ``ffnn`` (window MLP), ``rnn`` (Elman), ``lstm``, ``gru``, and the LSTM ablations
``lstm-nig``, ``lstm-nfg``, ``lstm-nog``, ``lstm-cifg``; the newer families ``tcn`` (dilated
causal convolutions), ``transformer`` (causal, pre-LN) and ``mingru`` / ``minlstm``
(parallel-scan recurrences).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from seqlab.models.elman import RNN
from seqlab.models.gru import GRU
from seqlab.models.lstm import LSTM, VARIANT_BLOCKS
from seqlab.models.min_rnn import MinGRU, MinLSTM
from seqlab.models.network import SeqModel
from seqlab.models.newer import build_newer, check_newer
from seqlab.models.tcn import TCN
from seqlab.models.trace import Trace
from seqlab.models.transformer import Transformer
from seqlab.models.window_mlp import WindowMLP

RECURRENT = ("rnn", "lstm", "gru")
ABLATIONS = tuple(f"lstm-{v}" for v in VARIANT_BLOCKS if v != "full")
# the newer families (issue 18): each with its own options and defaults (seqlab.models.newer)
NEWER = ("tcn", "transformer", "mingru", "minlstm")
MODEL_NAMES = ("ffnn", *RECURRENT, *ABLATIONS, *NEWER)

__all__ = [
    "ABLATIONS",
    "GRU",
    "LSTM",
    "MODEL_NAMES",
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
    """What to build. ``layers``: hidden layers for ``ffnn`` (0 = linear window), stacked
    layers for the recurrent models. ``window`` is used by ``ffnn`` only. ``embed_dim``
    applies to token inputs (default: ``hidden_size``). ``forget_bias`` (LSTM family, also
    the keep gate of mingru / minlstm): a number, or ``"chrono"`` with ``max_lag`` the
    longest lag to provide for (the training sequence length); see
    ``seqlab.models.lstm.LSTM.reset_parameters``. A spec alone knows no sequence length, so
    its default is the constant 1.0; the trainer's default is chrono
    (``TrainConfig.model_spec`` passes the task's T)."""

    name: str
    hidden_size: int = 64
    layers: int = 1
    window: int = 5
    embed_dim: int | None = None
    forget_bias: float | str = 1.0
    max_lag: int | None = None
    dropout: float = 0.0
    head: str = "linear"
    # newer families (None: the model's default, seqlab.models.newer.MODEL_DEFAULTS)
    levels: int | None = None
    kernel_size: int | None = None
    heads: int | None = None
    context: int | None = None

    def __post_init__(self) -> None:
        if self.name not in MODEL_NAMES:
            raise ValueError(f"unknown model {self.name!r}; choose one of {', '.join(MODEL_NAMES)}")
        if self.hidden_size < 1:
            raise ValueError(f"hidden size must be >= 1, got {self.hidden_size}")
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        min_layers = 0 if self.name == "ffnn" else 1
        if self.layers < min_layers:
            raise ValueError(f"{self.name} needs layers >= {min_layers}, got {self.layers}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        check_newer(self)


def build_core(spec: ModelSpec, input_size: int) -> nn.Module:
    """The core alone: ``(B, T, input_size) -> (B, T, H)``."""
    H, L = spec.hidden_size, spec.layers
    if spec.name in NEWER:
        return build_newer(spec, input_size)
    if spec.name == "ffnn":
        return WindowMLP(input_size, H, window=spec.window, layers=L)
    if spec.name == "rnn":
        return RNN(input_size, H, L)
    if spec.name == "gru":
        return GRU(input_size, H, L)
    variant = spec.name.split("-", 1)[1] if "-" in spec.name else "full"
    return LSTM(
        input_size, H, L, variant=variant, forget_bias=spec.forget_bias, max_lag=spec.max_lag
    )


def build_model(
    spec: ModelSpec, *, input_size: int, output_size: int, vocab_size: int | None = None
) -> SeqModel:
    """A full model. With ``vocab_size`` the input is ``(B, T)`` token ids, embedded to
    ``embed_dim`` first (``input_size`` is then ignored)."""
    if vocab_size:
        embed_dim = spec.embed_dim or spec.hidden_size
        core = build_core(spec, embed_dim)
        return SeqModel(
            core, output_size, vocab_size, embed_dim, dropout=spec.dropout, head=spec.head
        )
    return SeqModel(build_core(spec, input_size), output_size, dropout=spec.dropout, head=spec.head)
