"""One run's configuration: typed, validated once at the edge, immutable, JSON round-trip.

    cfg = TrainConfig.from_flat({"task": "adding", "model": "lstm", "seq_len": 50})
    cfg.task_options            # {"seq_len": 50}  (every key that is not a field)
    cfg.run_id()                # "adding-lstm-3f9a1c2e7b"

``from_flat`` takes the long option names of ``seqlab train`` with ``_`` for ``-`` (the
same keys a sweep grid uses). Keys that are fields of ``TrainConfig`` configure the model
and the trainer; every other key is a task option, validated by ``build_task``. The model
fields are ``ModelSpec``'s (``seqlab.models.MODEL_OPTIONS``): declared, defaulted and
validated there once; each field's help text is its ``seqlab train`` option's.

The run id is a hash of everything that can change the numbers (all fields, task options
included), so identical configs share one run directory and reruns skip finished work.
``device="auto"`` hashes as ``"auto"``: the device actually used is recorded in the run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError
from seqlab.models import MODEL_OPTIONS, NEWER_OPTIONS, ModelSpec
from seqlab.options import bad, coerce, one_of, option, positive

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("constant", "cosine", "step")
DEVICES = ("auto", "cpu", "cuda")
#: ``--path`` values: the recurrent forward paths the trainer may use (not the depth
#: probe's ``loop``, see ``seqlab.models._recurrent.FORWARD_PATHS``).
TRAIN_PATHS = ("auto", "fused", "trace")
#: trainer options added after runs were first stored: left out of the config (and so of the
#: run id) while unset, so the ids of runs without them stay valid
LATER_OPTIONS = ("stop_at",)
# Task options that name files: stored absolute so the run id does not depend on the cwd.
PATH_OPTIONS = ("data",)

# TrainConfig's model fields, made from ModelSpec's (keyword-only: after the trainer's).
_ModelOptions = dataclasses.make_dataclass(
    "_ModelOptions",
    [
        (
            f.name,
            typing.get_type_hints(ModelSpec)[f.name],
            field(default=f.default, metadata=f.metadata, kw_only=True),
        )
        for f in MODEL_OPTIONS
    ],
    frozen=True,
)


@dataclass(frozen=True)
class TrainConfig(_ModelOptions):
    """Task, model, optimisation and bookkeeping of one training run.

    The defaults are the ones measured to work across the tasks (``benchmarks/RESULTS.md``):
    lr 3e-3 was the one rate stable everywhere tried; hidden size and batch 64 are
    conventional starting points, not tuned. ``epochs`` (when set) is resolved to steps
    from the task's training set size and overrides ``steps``; ``clip`` 0 is stored as
    ``None`` (off). The model fields (``hidden_size`` … ``head``) are ``ModelSpec``'s.
    """

    task: str
    model: str
    task_options: dict[str, Any] = field(default_factory=dict)
    # optimisation
    steps: int = option(1000, "Optimizer steps.")
    epochs: float | None = option(None, "Passes over a finite training set (instead of --steps).")
    batch_size: int = option(64, "Sequences per step.")
    lr: float = option(3e-3, "Learning rate.")
    optimizer: str = option("adamw", "adamw or sgd.")
    weight_decay: float = option(0.0, "Weight decay.")
    clip: float | None = option(1.0, "Global gradient-norm clipping; 0 turns it off.")
    schedule: str = option(
        "constant",
        "Learning-rate schedule: constant, cosine (to 0 at the last step) or step (x0.1 at "
        "50% and again at 75% of the steps).",
    )
    warmup: int = option(0, "Linear warm-up steps, before the schedule.")
    # evaluation and bookkeeping
    eval_every: int = option(100, "Validate and checkpoint every N steps (and at the end).")
    eval_batch_size: int = option(256, "Sequences per validation / test batch.")
    eval_batches: int | None = option(
        None, "At most N validation batches per check (default: all; the test uses all)."
    )
    patience: int | None = option(
        None, "Stop after N checks without improvement (default: never stop early)."
    )
    stop_at: float | None = option(
        None,
        "Stop at the first check whose validation value reaches N (an accuracy >= N; a "
        "loss, MSE or perplexity <= N). Default: train all the steps.",
    )
    checkpoint_every: int | None = option(
        None, "Also checkpoint every N steps (default: at checks only)."
    )
    seed: int = option(0, "Random seed of the data, the initial weights and dropout.")
    device: str = option("auto", "auto (CUDA when present, else CPU), cpu or cuda.")
    path: str = option("auto", "Recurrent kernels: auto, fused (torch's) or trace (step loop).")
    max_seconds: float | None = option(
        None, "Stop training after this many seconds (results then depend on the machine)."
    )
    # provenance, not an option: the names seqlab.defaults.apply_task_defaults filled in from
    # the per-task table (`seqlab train` only); part of the run id only when not empty
    defaults_applied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.task, str) or not self.task:
            raise bad("task", "missing", "Name a task, e.g. --task adding.")
        coerce(self)
        for name, owner in NEWER_OPTIONS.items():  # elsewhere they would change only the id
            if getattr(self, name) is not None and self.model != owner:
                raise bad(name, f"applies to --model {owner} only", "Leave it out for this model.")
        if self.clip == 0:
            object.__setattr__(self, "clip", None)
        spec = self.model_spec()  # validates the model fields (ModelSpec's one validation)
        for f in MODEL_OPTIONS:
            object.__setattr__(self, f.name, getattr(spec, f.name))
        positive(
            self,
            ("steps", "batch_size", "eval_every", "eval_batch_size"),
            optional=("eval_batches", "patience", "checkpoint_every"),
        )
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise bad("lr", f"must be a positive number, got {self.lr}", "E.g. --lr 3e-3.")
        if self.epochs is not None and not (math.isfinite(self.epochs) and self.epochs > 0):
            raise bad("epochs", f"must be > 0, got {self.epochs}", "E.g. --epochs 1.")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise bad("weight_decay", f"must be >= 0, got {self.weight_decay}", "E.g. 0.01.")
        if self.clip is not None and not (math.isfinite(self.clip) and self.clip >= 0):
            raise bad("clip", f"must be >= 0, got {self.clip}", "Use 0 to disable clipping.")
        if self.warmup < 0:
            raise bad("warmup", f"must be >= 0, got {self.warmup}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise bad("max_seconds", f"must be > 0, got {self.max_seconds}")
        if self.stop_at is not None and not math.isfinite(self.stop_at):
            raise bad(
                "stop_at", f"must be a finite number, got {self.stop_at}", "E.g. --stop-at 1."
            )
        one_of(
            self,
            {
                "optimizer": OPTIMIZERS,
                "schedule": SCHEDULES,
                "device": DEVICES,
                "path": TRAIN_PATHS,
            },
        )
        if not isinstance(self.task_options, dict):
            raise ConfigError(
                f"task_options must be a dict, got {type(self.task_options).__name__}"
            )
        object.__setattr__(self, "task_options", dict(self.task_options))
        object.__setattr__(
            self, "defaults_applied", tuple(sorted(map(str, self.defaults_applied or ())))
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
        d["defaults_applied"] = list(self.defaults_applied)
        for name in (*NEWER_OPTIONS, *LATER_OPTIONS):  # unset: left out, so ids stay as before
            if d[name] is None:
                del d[name]
        return d

    def model_spec(self, max_lag: int | None = None) -> ModelSpec:
        """The model to build; ``max_lag`` (the task's training sequence length) sizes the
        chrono initialisation (``forget_bias="chrono"``)."""
        return ModelSpec(
            self.model,
            **{f.name: getattr(self, f.name) for f in MODEL_OPTIONS},
            max_lag=max(2, max_lag) if max_lag else None,
        )

    def run_id(self) -> str:
        """``task-model-<10 hex>``: a hash of the whole config, stable across processes."""
        d = self.to_dict()
        if not d["defaults_applied"]:  # run ids from before the field existed stay valid
            del d["defaults_applied"]
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(blob.encode()).hexdigest()[:10]
        return f"{self.task}-{self.model}-{digest}"
