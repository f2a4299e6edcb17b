"""Parameters counted by hand: every part of a model, its formula, its count, and the total.

Symbols: ``D`` input size, ``H`` hidden size, ``L`` layers, ``K`` window (``ffnn``),
``O`` output size (the read-out), ``V`` vocabulary size and ``E`` embedding size (token
inputs: the core then sees ``E`` inputs instead of ``D``). ``G`` is the number of gate
blocks a recurrent layer stacks: 1 (rnn), 4 (lstm, i|f|g|o), 3 (gru, r|z|n), 3 (each LSTM
ablation: the removed gate has no rows).

Recurrent layer ``l`` (``D_0 = D``, ``D_l = H`` above) has ``W_ih`` (G·H, D_l),
``W_hh`` (G·H, H) and the biases:

    torch:  G·H·(D_l + H) + 2·G·H      b_ih and b_hh, both (G·H,)
    keras:  G·H·(D_l + H) +   G·H      one bias (G·H,)

Why they differ: a gate sees ``W_ih·x + b_ih + W_hh·h + b_hh``, so only the sum
``b_ih + b_hh`` matters; torch keeps the two (cuDNN's layout), keras one.

GRU is the exception. Its candidate is ``n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))``:
the reset gate multiplies ``b_hn``, so ``b_hn`` is *not* redundant (only ``b_hr`` and
``b_hz`` are). Keras's GRU since TF 2 (and Keras 3) defaults to ``reset_after=True``, this
same model, and keeps both biases (shape ``(2, 3H)``). So ``convention="keras"`` counts a
GRU exactly as torch does, ``3·H·(D_l + H) + 6·H`` per layer. (Keras's older
``reset_after=False`` GRU has one bias, ``3·H``, but it applies ``r`` before ``W_hn`` —
a different model from the one seqlab builds, so it is not counted here.)

Feed-forward parts have one bias in both conventions:

    ffnn hidden layer 1:   K·D·H + H       (the window flattens K steps of D inputs)
    ffnn hidden layer j>1: H·H + H         (layers = 0: no hidden layer, a linear window)
    embedding:             V·E
    read-out (head):       O·H + O         (O·K·D + O after a linear window)

    count_params("lstm", 300, 512, layers=2).total == 3_768_320
    count_params("ffnn", 3, 4, output_size=2).total == 26

The newer families (tcn, transformer, mingru, minlstm) are counted in
``seqlab.params_newer``, part by part in the same way.

This module imports nothing from torch: the counts are independent of the model code, and
the tests hold them against ``sum(p.numel() for p in model.parameters())``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from seqlab import params_newer
from seqlab.errors import ConfigError

CONVENTIONS = ("torch", "keras")

# Gate blocks each recurrent model stacks in W_ih / W_hh, in torch's order.
GATES: dict[str, tuple[str, ...]] = {
    "rnn": ("h",),
    "lstm": ("i", "f", "g", "o"),
    "gru": ("r", "z", "n"),
    "lstm-nig": ("f", "g", "o"),
    "lstm-nfg": ("i", "g", "o"),
    "lstm-nog": ("i", "f", "g"),
    "lstm-cifg": ("f", "g", "o"),
}
MODELS = ("ffnn", *GATES, *params_newer.NEWER)

CONVENTION_DIFFERENCE = (
    "torch keeps two bias vectors per gate block, b_ih (added to W_ih·x) and b_hh (added to "
    "W_hh·h); only their sum b_ih + b_hh enters the gate, so one is redundant; keras keeps one."
)


@dataclass(frozen=True)
class Part:
    """One group of parameters: what it is, its formula (symbols, then numbers), its count."""

    name: str
    formula: str
    count: int


@dataclass(frozen=True)
class ParamCount:
    """A model's parameters part by part. ``symbols``: the sizes the formulas use."""

    model: str
    convention: str
    parts: tuple[Part, ...]
    total: int
    symbols: tuple[tuple[str, int], ...] = ()

    @property
    def note(self) -> str:
        """One line: why torch and keras counts differ (or not) for this model."""
        return convention_note(self.model)

    def to_dict(self) -> dict:
        """``{"model", "convention", "parts": [{"name", "formula", "count"}], "total"}``."""
        return {
            "model": self.model,
            "convention": self.convention,
            "parts": [asdict(p) for p in self.parts],
            "total": self.total,
        }


def convention_note(model: str) -> str:
    """Why torch and keras counts differ for ``model``, in one line."""
    if model in params_newer.NEWER:
        return params_newer.note(model)
    if model == "ffnn":
        return (
            "torch = keras here: a feed-forward (Linear/Dense) layer and an embedding have at "
            "most one bias vector in both."
        )
    if model == "gru":
        return (
            "torch = keras for GRU: keras's default GRU (reset_after=True, TF 2 / Keras 3) also "
            "keeps b_ih and b_hh, because in n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)) the "
            "reset gate multiplies b_hn, so it is not redundant (only b_hr and b_hz are)."
        )
    G = len(GATES[model])
    return f"{CONVENTION_DIFFERENCE} So torch counts {_times(G, 'H')} more per layer."


# ---------------------------------------------------------------------------------- formulas
def _times(k: int, sym: str) -> str:
    """``k·sym``, or just ``sym`` when k is 1."""
    return sym if k == 1 else f"{k}·{sym}"


def _check_size(
    name: str, flag: str, value: int | None, minimum: int = 1, optional: bool = False
) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{name} must be an integer >= {minimum}, got {value!r}; pass {flag} {minimum} or more."
        )


def _recurrent_layer(model: str, layer: int, d_sym: str, d: int, H: int, convention: str) -> Part:
    gates = GATES[model]
    G = len(gates)
    two_biases = convention == "torch" or model == "gru"
    nb = 2 * G if two_biases else G
    src_sym, src = (d_sym, d) if layer == 0 else ("H", H)
    symbolic = f"{_times(G, 'H')}·({src_sym}+H) + {_times(nb, 'H')}"
    numeric = f"{_times(G, str(H))}·({src}+{H}) + {_times(nb, str(H))}"
    kind = "tanh" if model == "rnn" else "|".join(gates)
    if two_biases:
        biases = "b_ih, b_hh" + (" as reset_after=True" if convention == "keras" else "")
    else:
        biases = "one bias"
    gh = "H" if G == 1 else f"{G}H"
    name = f"layer {layer} ({kind}; W_ih {gh}×{src_sym}, W_hh {gh}×H, {biases})"
    return Part(name, f"{symbolic} = {numeric}", G * H * (src + H) + nb * H)


def _ffnn_layers(d_sym: str, D: int, H: int, layers: int, window: int) -> list[Part]:
    kd_sym = f"K·{d_sym}"
    kd_num = f"{window}·{D}"
    parts = [Part(f"window ({kd_sym} = {kd_num} = {window * D} inputs; no weights)", "0", 0)]
    for j in range(1, layers + 1):
        if j == 1:
            symbolic, numeric, n_in = f"{kd_sym}·H + H", f"{kd_num}·{H} + {H}", window * D
            name = f"hidden layer 1 ({kd_sym} → H, ReLU)"
        else:
            symbolic, numeric, n_in = "H·H + H", f"{H}·{H} + {H}", H
            name = f"hidden layer {j} (H → H, ReLU)"
        parts.append(Part(name, f"{symbolic} = {numeric}", n_in * H + H))
    return parts


def count_params(
    model: str,
    input_size: int | None,
    hidden_size: int,
    output_size: int | None = None,
    layers: int = 1,
    window: int = 1,
    convention: str = "torch",
    vocab_size: int | None = None,
    embed_dim: int | None = None,
    levels: int | None = None,
    kernel_size: int | None = None,
) -> ParamCount:
    """Count ``model``'s parameters by hand, part by part.

    ``layers``: hidden layers for ``ffnn`` (0 = linear window), stacked layers otherwise.
    ``window`` is used by ``ffnn`` only. ``output_size`` adds the linear read-out (``head``),
    ``vocab_size`` an embedding of ``embed_dim`` (default ``hidden_size``), which then
    replaces ``input_size`` (ignored, may be None). ``levels`` and ``kernel_size`` size a
    ``tcn`` (required for it, ignored otherwise). ``convention``: ``"torch"`` (two bias
    vectors per gate block) or ``"keras"`` (one; GRU keeps two, see the module docstring).

    Raises ConfigError on an unknown model or convention, or a size out of range.
    """
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}.")
    if convention not in CONVENTIONS:
        raise ConfigError(
            f"unknown convention {convention!r}; choose one of: {', '.join(CONVENTIONS)}."
        )
    _check_size("hidden size", "--hidden-size", hidden_size)
    _check_size("output size", "--output-size", output_size, optional=True)
    _check_size("window", "--window", window)
    _check_size("vocabulary size", "--vocab-size", vocab_size, optional=True)
    _check_size("embedding size", "--embed-dim", embed_dim, optional=True)
    min_layers = 0 if model == "ffnn" else 1
    _check_size(f"layers of {model}", "--layers", layers, minimum=min_layers)
    if embed_dim is not None and vocab_size is None:
        raise ConfigError(
            "an embedding size needs a vocabulary: pass --vocab-size V with --embed-dim."
        )
    if vocab_size is None:
        if input_size is None:
            raise ConfigError("the input size is missing: pass --input-size D (or --vocab-size).")
        _check_size("input size", "--input-size", input_size)

    H = hidden_size
    parts: list[Part] = []
    symbols: list[tuple[str, int]] = []
    if vocab_size is not None:
        E = embed_dim if embed_dim is not None else H
        d_sym, D = "E", E
        symbols += [("V", vocab_size), ("E", E)]
        parts.append(
            Part(
                f"embedding (V={vocab_size} tokens × E={E})",
                f"V·E = {vocab_size}·{E}",
                vocab_size * E,
            )
        )
    else:
        d_sym, D = "D", input_size
        symbols.append(("D", D))
    symbols += [("H", H), ("L", layers)]

    if model == "ffnn":
        symbols.append(("K", window))
        parts += _ffnn_layers(d_sym, D, H, layers, window)
        head_in_sym, head_in_num, head_in = (
            ("H", str(H), H) if layers else (f"K·{d_sym}", f"{window}·{D}", window * D)
        )
    elif model in params_newer.NEWER:
        core = params_newer.core_parts(model, d_sym, D, H, layers, levels, kernel_size)
        if model == "tcn":  # L counts its levels
            symbols[-1:] = [("L", levels), ("k", kernel_size)]
        parts += [Part(*p) for p in core]
        head_in_sym, head_in_num, head_in = "H", str(H), H
    else:
        parts += [_recurrent_layer(model, l, d_sym, D, H, convention) for l in range(layers)]
        head_in_sym, head_in_num, head_in = "H", str(H), H

    if output_size is not None:
        O = output_size
        symbols.append(("O", O))
        parts.append(
            Part(
                f"read-out ({head_in_sym} → O, linear)",
                f"O·{head_in_sym} + O = {O}·{head_in_num} + {O}",
                O * head_in + O,
            )
        )
    return ParamCount(
        model=model,
        convention=convention,
        parts=tuple(parts),
        total=sum(p.count for p in parts),
        symbols=tuple(symbols),
    )


def hidden_for_params(
    model: str,
    target_params: int,
    input_size: int | None,
    output_size: int | None,
    layers: int = 1,
    window: int = 1,
    vocab_size: int | None = None,
    embed_dim: int | None = None,
    levels: int | None = None,
    kernel_size: int | None = None,
) -> int:
    """The hidden size ``H >= 1`` whose torch-convention total is closest to ``target_params``
    (ties: the smaller H). Used to compare models at an equal parameter count.

    The total grows strictly with H, so a doubling bracket and a bisection find it.
    Raises ConfigError for ``ffnn`` with ``layers=0`` (no hidden size to choose).
    """
    _check_size("target parameter count", "target_params", target_params)
    if model == "ffnn" and layers == 0:
        raise ConfigError("ffnn with layers=0 is a linear window: it has no hidden size to choose.")

    def total(h: int) -> int:
        return count_params(
            model,
            input_size,
            h,
            output_size,
            layers,
            window,
            "torch",
            vocab_size,
            embed_dim,
            levels,
            kernel_size,
        ).total

    lo, hi = 1, 1
    while total(hi) < target_params:
        lo, hi = hi, hi * 2
    while lo < hi:  # smallest h in [lo, hi] with total(h) >= target
        mid = (lo + hi) // 2
        if total(mid) >= target_params:
            hi = mid
        else:
            lo = mid + 1
    if hi > 1 and target_params - total(hi - 1) <= total(hi) - target_params:
        return hi - 1
    return hi
