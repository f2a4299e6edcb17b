"""Tasks by name. ``build_task(name, options, seed)`` validates options and builds one.

recall    the "Alice" task: a cue word d steps before the query decides the answer
adding    Hochreiter & Schmidhuber's adding problem (regression, baseline MSE 1/6)
copy      copy memory: reproduce a symbol string after a blank gap
text      next-word prediction on a corpus (KJV Bible, fortunes, or the user's text)
images    Fashion-MNIST as sequences of rows / pixels
series    forecasting a user's CSV time series
classify  the user's labelled sequences (CSV or .npz)
"""

from __future__ import annotations

import importlib
from typing import Any

from seqlab.errors import ConfigError
from seqlab.tasks.base import SPLITS, Batch, Task

_MODULES = {
    "recall": "seqlab.tasks.recall",
    "adding": "seqlab.tasks.adding",
    "copy": "seqlab.tasks.copy_memory",
    "text": "seqlab.tasks.text",
    "images": "seqlab.tasks.images",
    "series": "seqlab.tasks.series",
    "classify": "seqlab.tasks.classify",
}
TASK_NAMES = tuple(_MODULES)

__all__ = ["SPLITS", "TASK_NAMES", "Batch", "Task", "build_task", "task_class"]


def task_class(name: str) -> type[Task]:
    if name not in _MODULES:
        raise ConfigError(f"unknown task {name!r}; choose one of {', '.join(TASK_NAMES)}")
    return importlib.import_module(_MODULES[name]).TASK


def build_task(name: str, options: dict[str, Any] | None = None, seed: int = 0) -> Task:
    """Build task ``name`` with keyword ``options`` (unknown or bad ones raise ConfigError)."""
    cls = task_class(name)
    try:
        return cls(seed=seed, **(options or {}))
    except TypeError as e:  # an option this task does not take
        raise ConfigError(f"task {name!r}: {e}. See `seqlab train --help` for its options.") from e
