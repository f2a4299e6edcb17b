"""The newer families behind the common interface: their options, defaults, and reach.

    tcn          --levels L --kernel-size k   (channels = --hidden-size)   models/tcn.py
    transformer  --layers --heads --context                                models/transformer.py
    mingru       --layers                                                  models/min_rnn.py
    minlstm      --layers                                                  models/min_rnn.py

``MODEL_DEFAULTS`` holds the defaults that differ from the trainer's (``TrainConfig``), per
model. The TCN's are locuslab/TCN's adding sizes but for depth: 30 channels, kernel 7,
6 levels, a receptive field of 1 + 2·6·(2⁶ − 1) = 757 inputs (covers adding T = 600; pass
``--levels 7`` for T = 1000), 70,561 parameters with a 1-output read-out. Measured at adding
T = 100 (``benchmarks/RESULTS.md``, "TCN on the adding problem", one seed each): kernel 3
with 6 levels stayed at chance for 600 steps under three optimiser settings; kernel 7 with
4 levels solved it by step 500–600 with 30 channels, not by step 700 with 24 (unless the
read-out started at N(0, 0.01²), which the TCN's read-out now does: ``models/tcn.py``, with
its He-initialised convolutions). On ``adding`` the trainer also takes locuslab/TCN's recipe
at half its rate (Adam 2e-3, batch 32, no clipping) with a cosine schedule over 10,000 steps
(``seqlab.defaults.TASK_MODEL_DEFAULTS``); the loss reads the last step only, which the TCN
computes alone (``TCN.last_output``). At T = 600 the default command reached test MSE
below 0.001 in seeds 0, 1 and 2 (4e-3, the paper's rate, left seed 1 at chance; RESULTS.md,
"The TCN's adding rate").

``reach(spec)`` is how many of the most recent inputs one output can see (the receptive
field of a TCN, the context of a Transformer, the window of an FFNN; None for recurrent
models, unbounded); ``start_notes`` turns it, against a task's dependency span, into the
lines the trainer prints at the start of a run.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from seqlab.models.min_rnn import MinGRU, MinLSTM
from seqlab.models.tcn import TCN, receptive_field
from seqlab.models.transformer import Transformer

MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "tcn": {"hidden_size": 30, "levels": 6, "kernel_size": 7},
    "transformer": {"heads": 4},
}


def default(model: str, name: str, fallback: Any = None) -> Any:
    """The default of option ``name`` for ``model`` (``fallback`` when it has none)."""
    return MODEL_DEFAULTS.get(model, {}).get(name, fallback)


def option(spec: Any, name: str) -> Any:
    """``spec.name``, or the model's default when it is None."""
    value = getattr(spec, name)
    return default(spec.name, name) if value is None else value


def check_newer(spec: Any) -> None:
    """Raise ValueError naming the option when a newer model's option is out of range."""
    for name in ("levels", "heads", "context"):
        v = getattr(spec, name)
        if v is not None and v < 1:
            raise ValueError(f"--{name} must be >= 1, got {v}")
    if spec.kernel_size is not None and spec.kernel_size < 2:
        raise ValueError(f"--kernel-size must be >= 2, got {spec.kernel_size}")
    if spec.name == "transformer" and spec.hidden_size % option(spec, "heads"):
        raise ValueError(
            f"--hidden-size {spec.hidden_size} is not divisible by --heads "
            f"{option(spec, 'heads')}; pick a hidden size that is a multiple of the heads"
        )


def build_newer(spec: Any, input_size: int, generator: Any = None) -> nn.Module:
    """The core ``(B, T, input_size) -> (B, T, H)`` of a newer model."""
    H = spec.hidden_size
    if spec.name == "tcn":
        return TCN(
            input_size,
            H,
            option(spec, "levels"),
            option(spec, "kernel_size"),
            dropout=spec.dropout,
            generator=generator,
        )
    if spec.name == "transformer":
        return Transformer(
            input_size,
            H,
            spec.layers,
            option(spec, "heads"),
            context=spec.context,
            dropout=spec.dropout,
            generator=generator,
        )
    cls = MinGRU if spec.name == "mingru" else MinLSTM
    chrono_ok = spec.forget_bias != "chrono" or (spec.max_lag or 0) >= 2
    return cls(
        input_size,
        H,
        spec.layers,
        generator=generator,
        forget_bias=spec.forget_bias if chrono_ok else None,
        max_lag=spec.max_lag,
    )


def reach(spec: Any) -> int | None:
    """Inputs one output sees (the step itself included); None when unbounded."""
    if spec.name == "tcn":
        return receptive_field(option(spec, "kernel_size"), option(spec, "levels"))
    if spec.name == "transformer":
        return spec.context
    if spec.name == "ffnn":
        return spec.window
    return None


def start_notes(spec: Any, span: int | None) -> list[str]:
    """What a run prints at its start about how far back the model sees, given ``span``
    (the inputs the task needs one output to see, ``seqlab.tasks.span``; None if open)."""
    seen = reach(spec)
    notes = []
    if spec.name == "tcn":
        k, L = option(spec, "kernel_size"), option(spec, "levels")
        notes.append(f"tcn receptive field 1 + 2·({k}−1)·(2^{L} − 1) = {seen} inputs")
    if seen is not None and span is not None and seen < span:
        what = {"tcn": "receptive field", "transformer": "context", "ffnn": "window"}
        fix = {
            "tcn": "raise --levels or --kernel-size",
            "transformer": "raise --context",
            "ffnn": "raise --window",
        }
        notes.append(
            f"the {what[spec.name]} ({seen} inputs) is shorter than the task's dependency "
            f"({span} inputs): this {spec.name} cannot see all the inputs the answer depends on "
            f"(it will stay near chance where they matter); {fix[spec.name]} to cover it."
        )
    return notes
