"""How long a run trains and at which learning rate: steps from epochs, warm-up, schedule.

    lr_at(config, step, total)   # linear warm-up over ``warmup`` steps, then the schedule

Schedules: ``constant``; ``cosine`` (to 0 at the last step); ``step`` (×0.1 at 50% and
again at 75% of the steps after warm-up).
"""

from __future__ import annotations

import math

from seqlab.config import TrainConfig
from seqlab.errors import ConfigError
from seqlab.tasks import Task


def resolve_steps(config: TrainConfig, task: Task) -> int:
    """``config.steps``, or ``epochs`` over the task's ``train_size`` examples."""
    if config.epochs is None:
        return config.steps
    n = getattr(task, "train_size", None)
    if not n:
        raise ConfigError(
            f"--epochs needs a task with a finite training set; {config.task!r} generates "
            "fresh examples every step. Use --steps N instead."
        )
    return max(1, math.ceil(config.epochs * n / config.batch_size))


def lr_at(config: TrainConfig, step: int, total: int) -> float:
    """Learning rate for (0-based) ``step``: linear warm-up, then the schedule."""
    base = config.lr
    if config.warmup and step < config.warmup:
        return base * (step + 1) / config.warmup
    if config.schedule == "constant":
        return base
    progress = (step - config.warmup) / max(1, total - config.warmup)  # in [0, 1)
    if config.schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))
    return base * (0.1 ** ((progress >= 0.5) + (progress >= 0.75)))  # "step"
