"""One run's configuration: typed, validated once at the edge, immutable, JSON round-trip.

    cfg = TrainConfig.from_flat({"task": "adding", "model": "lstm", "seq_len": 50})
    cfg.task_options            # {"seq_len": 50}  (every key that is not a field)
    cfg.run_id()                # "adding-lstm-3f9a1c2e7b"

``from_flat`` takes the long option names of ``seqlab train`` with ``_`` for ``-`` (the
same keys a sweep grid uses). Keys that are fields of ``TrainConfig`` configure the model
and the trainer; every other key is a task option, validated by ``build_task``.

The run id is a hash of everything that can change the numbers (all fields, task options
included), so identical configs share one run directory and reruns skip finished work.
``device="auto"`` hashes as ``"auto"``: the device actually used is recorded in the run.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError
from seqlab.models.lstm import CHRONO

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("constant", "cosine", "step")
DEVICES = ("auto", "cpu", "cuda")
PATHS = ("auto", "fused", "trace")
HEADS = ("linear", "adaptive")
# Task options that name files: stored absolute so the run id does not depend on the cwd.
PATH_OPTIONS = ("data",)


@dataclass(frozen=True)
class TrainConfig:
    """Model, optimisation and bookkeeping of one training run.

    Defaults were measured (CPU, seed 0, AdamW, clipping 1.0, LSTM): lr 3e-3 is the one
    learning rate that worked everywhere we tried. On adding (T=50, H=64, batch 64) valid
    MSE fell below 0.01 by step ~950 at 3e-3 and by ~550-650 at 1e-2 (two seeds); recall
    (d=20) was solved by step 150 at 1e-2. But on KJV text (H=128, batch 32, limit 3000)
    1e-2 was unstable (best valid perplexity 41.8, then rising fast) where 3e-3 gave 35.7;
    on Fashion-MNIST rows the two were within 1 point (0.78 vs 0.77 after 300 steps).
    So the default is 3e-3; long-lag synthetic runs can pass ``lr=1e-2`` for speed.
    Hidden size 64 and batch 64 are conventional starting points, not tuned.

    forget_bias: ``"chrono"`` (default) or a number; LSTM family only
        (``seqlab.models.lstm.LSTM.reset_parameters``). Chrono spreads the units' memory
        times from ~2 steps to the task's training length T. With the former default of 1.0
        (memory ~4 steps) the LSTM never solved adding at T=1000 in 60 minutes (12,009 steps);
        with chrono it did in 1,400-1,900 steps (7-11 min, 3 seeds), and T=100 and T=200
        took half the steps (``benchmarks/RESULTS.md``).

    steps / epochs: ``epochs`` (when set) is resolved to steps from the task's training set
        size (finite-data tasks only) and overrides ``steps``.
    clip: global gradient-norm threshold; ``None`` or 0 disables clipping.
    schedule: ``constant``; ``cosine`` (to 0 at the last step); ``step`` (×0.1 at 50% and
        again at 75% of the steps). ``warmup`` steps of linear warm-up come first.
    eval_every: validate (and checkpoint) every this many steps, and always at the end.
    eval_batches: at most this many validation batches per evaluation (None = all);
        the final test always uses the whole test set.
    patience: stop after this many evaluations without a validation improvement
        (None = never stop early). The best-validation weights are kept either way.
    checkpoint_every: checkpoint every this many steps (None = at evaluations only).
    head: the read-out: ``linear`` (logits) or, for word-level text with a large vocabulary,
        ``adaptive`` (an adaptive softmax, ``seqlab.models.adaptive``: the same exact
        perplexity at about a tenth of the read-out's cost).
    max_seconds: wall-clock budget for training (makes results depend on the machine).
    """

    task: str
    model: str
    task_options: dict[str, Any] = field(default_factory=dict)
    # model (mirrors seqlab.models.ModelSpec)
    hidden_size: int | None = None  # None: DEFAULT_HIDDEN, or the model's own default
    layers: int = 1
    window: int = 5
    embed_dim: int | None = None
    forget_bias: float | str = "chrono"
    dropout: float = 0.0
    head: str = "linear"
    # newer families (issue 18; None: the model's default, seqlab.models.newer)
    levels: int | None = None  # tcn
    kernel_size: int | None = None  # tcn
    heads: int | None = None  # transformer
    context: int | None = None  # transformer (None: the whole sequence)
    # optimisation
    steps: int = 1000
    epochs: float | None = None
    batch_size: int = 64
    lr: float = 3e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.0
    clip: float | None = 1.0
    schedule: str = "constant"
    warmup: int = 0
    # evaluation and bookkeeping
    eval_every: int = 100
    eval_batch_size: int = 256
    eval_batches: int | None = None
    patience: int | None = None
    checkpoint_every: int | None = None
    seed: int = 0
    device: str = "auto"
    path: str = "auto"
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        _newer_defaults(self)
        _coerce(self)
        from seqlab.models import MODEL_NAMES

        def bad(name: str, problem: str, fix: str) -> ConfigError:
            return ConfigError(f"option --{name.replace('_', '-')}: {problem}. {fix}")

        if not isinstance(self.task, str) or not self.task:
            raise bad("task", "missing", "Name a task, e.g. --task adding.")
        if self.model not in MODEL_NAMES:
            raise bad(
                "model", f"unknown model {self.model!r}", f"Use one of {', '.join(MODEL_NAMES)}."
            )
        for name in (
            "hidden_size",
            "window",
            "steps",
            "batch_size",
            "eval_every",
            "eval_batch_size",
        ):
            if getattr(self, name) < 1:
                raise bad(
                    name, f"must be >= 1, got {getattr(self, name)}", "Use a positive integer."
                )
        min_layers = 0 if self.model == "ffnn" else 1
        if self.layers < min_layers:
            raise bad("layers", f"{self.model} needs >= {min_layers}, got {self.layers}", "")
        for name in ("embed_dim", "eval_batches", "patience", "checkpoint_every"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise bad(
                    name, f"must be >= 1 when given, got {v}", "Leave it out for the default."
                )
        _check_newer(self, bad)
        if not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", f"must be in [0, 1), got {self.dropout}", "E.g. --dropout 0.1.")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise bad("lr", f"must be a positive number, got {self.lr}", "E.g. --lr 3e-3.")
        if self.epochs is not None and not (math.isfinite(self.epochs) and self.epochs > 0):
            raise bad("epochs", f"must be > 0, got {self.epochs}", "E.g. --epochs 1.")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise bad("weight_decay", f"must be >= 0, got {self.weight_decay}", "E.g. 0.01.")
        if self.clip is not None and not (math.isfinite(self.clip) and self.clip >= 0):
            raise bad("clip", f"must be >= 0, got {self.clip}", "Use 0 to disable clipping.")
        if self.warmup < 0:
            raise bad("warmup", f"must be >= 0, got {self.warmup}", "")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise bad("max_seconds", f"must be > 0, got {self.max_seconds}", "")
        for name, allowed in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("device", DEVICES),
            ("path", PATHS),
            ("head", HEADS),
        ):
            if getattr(self, name) not in allowed:
                raise bad(
                    name,
                    f"unknown value {getattr(self, name)!r}",
                    f"Use one of {', '.join(allowed)}.",
                )
        try:
            json.dumps(self.task_options, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"task options must be plain JSON values: {e}") from e

    # ----- construction --------------------------------------------------------------

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_flat(cls, flat: dict[str, Any]) -> TrainConfig:
        """Split a flat option dict into fields and task options (``None`` values dropped)."""
        names = set(cls.field_names()) - {"task_options"}
        known, task_options = {}, dict(flat.get("task_options") or {})
        for key, value in flat.items():
            if key == "task_options" or value is None:
                continue
            key = key.replace("-", "_")
            (known if key in names else task_options)[key] = value
        for key in PATH_OPTIONS:
            if isinstance(task_options.get(key), str | Path):
                task_options[key] = str(Path(task_options[key]).expanduser().resolve())
        for required in ("task", "model"):
            if required not in known:
                raise ConfigError(
                    f"option --{required} is required (e.g. --task adding --model lstm)"
                )
        return cls(**known, task_options=task_options)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        unknown = set(d) - set(cls.field_names())
        if unknown:
            raise ConfigError(f"unknown config keys {sorted(unknown)}; known: {cls.field_names()}")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["task_options"] = dict(sorted(self.task_options.items()))
        for name in NEWER_OPTIONS:  # unset: left out, so older models keep their run ids
            if d[name] is None:
                del d[name]
        return d

    def model_spec(self, max_lag: int | None = None):  # -> seqlab.models.ModelSpec
        """The model to build; ``max_lag`` (the task's training sequence length) sizes the
        chrono initialisation (``forget_bias="chrono"``)."""
        from seqlab.models import ModelSpec

        return ModelSpec(
            self.model,
            hidden_size=self.hidden_size,
            layers=self.layers,
            window=self.window,
            embed_dim=self.embed_dim,
            forget_bias=self.forget_bias,
            max_lag=max(2, max_lag) if max_lag else None,
            dropout=self.dropout,
            head=self.head,
            levels=self.levels,
            kernel_size=self.kernel_size,
            heads=self.heads,
            context=self.context,
        )

    def run_id(self) -> str:
        """``task-model-<10 hex>``: a hash of the whole config, stable across processes."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
        return f"{self.task}-{self.model}-{digest}"


_POSITIVE = ("hidden_size", "window", "steps", "batch_size", "eval_every", "eval_batch_size")
_INTS = (
    "hidden_size",
    "layers",
    "window",
    "steps",
    "batch_size",
    "warmup",
    "eval_every",
    "eval_batch_size",
    "seed",
)
_OPT_INTS = (
    "embed_dim",
    "eval_batches",
    "patience",
    "checkpoint_every",
    "levels",
    "kernel_size",
    "heads",
    "context",
)
_FLOATS = ("dropout", "lr", "weight_decay")
_OPT_FLOATS = ("epochs", "clip", "max_seconds")


# ----- the newer families (issue 18): model-specific defaults and checks ------------------
DEFAULT_HIDDEN = 64
NEWER_OPTIONS = ("levels", "kernel_size", "heads", "context")


def _newer_defaults(cfg: TrainConfig) -> None:
    """Fill the options left as None with the model's defaults (``MODEL_DEFAULTS``), so a
    config stores and hashes resolved values (LSTM runs keep their run ids)."""
    from seqlab.models.newer import default

    if cfg.hidden_size is None:
        object.__setattr__(cfg, "hidden_size", default(cfg.model, "hidden_size", DEFAULT_HIDDEN))
    for name in ("levels", "kernel_size", "heads"):
        if getattr(cfg, name) is None:
            object.__setattr__(cfg, name, default(cfg.model, name))


def _check_newer(cfg: TrainConfig, bad) -> None:
    """Options of one family only: given to another model they would change nothing but
    the run id, so they are refused; and their ranges."""
    owners = {"levels": "tcn", "kernel_size": "tcn", "heads": "transformer"}
    owners["context"] = "transformer"
    for name, owner in owners.items():
        v = getattr(cfg, name)
        if v is not None and cfg.model != owner:
            raise bad(name, f"applies to --model {owner} only", "Leave it out for this model.")
        if v is not None and v < (2 if name == "kernel_size" else 1):
            raise bad(name, f"too small: {v}", "Use a positive integer (kernel size >= 2).")
    if cfg.model == "transformer" and cfg.hidden_size % cfg.heads:
        raise bad(
            "heads",
            f"the hidden size {cfg.hidden_size} is not divisible by {cfg.heads} heads",
            "Pick --hidden-size as a multiple of --heads.",
        )


def _coerce(cfg: TrainConfig) -> None:
    """Normalise types (``"3e-3"`` -> 0.003, ``64.0`` -> 64) so equal configs hash equally.

    ``clip=0`` means off and is stored as ``None`` for the same reason."""

    def conv(name: str, kind: type, optional: bool) -> None:
        v = getattr(cfg, name)
        if v is None and optional:
            return
        try:
            if kind is int:
                f = float(v)
                if not f.is_integer() or isinstance(v, bool):
                    raise ValueError
                out: Any = int(f)
            else:
                out = float(v)
        except (TypeError, ValueError):
            what = "an integer" if kind is int else "a number"
            raise ConfigError(
                f"option --{name.replace('_', '-')}: expected {what}, got {v!r}"
            ) from None
        object.__setattr__(cfg, name, out)

    for n in _INTS:
        conv(n, int, False)
    for n in _OPT_INTS:
        conv(n, int, True)
    for n in _FLOATS:
        conv(n, float, False)
    for n in _OPT_FLOATS:
        conv(n, float, True)
    if cfg.forget_bias != CHRONO:
        try:
            fb = float(cfg.forget_bias)
            if not math.isfinite(fb) or isinstance(cfg.forget_bias, bool):
                raise ValueError
        except (TypeError, ValueError):
            raise ConfigError(
                f"option --forget-bias: expected a number or {CHRONO!r}, got "
                f"{cfg.forget_bias!r}. E.g. --forget-bias 1, or leave it out for chrono."
            ) from None
        object.__setattr__(cfg, "forget_bias", fb)
    if cfg.clip == 0:
        object.__setattr__(cfg, "clip", None)
    if not isinstance(cfg.task_options, dict):
        raise ConfigError(f"task_options must be a dict, got {type(cfg.task_options).__name__}")
    object.__setattr__(cfg, "task_options", dict(cfg.task_options))
