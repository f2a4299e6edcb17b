"""The runner: what a sweep calls to name, check and train one run.

A runner is a module (named by its import path, so that a worker process or a Ray task on
another machine can import it) with three functions:

    run_config(flat, out, progress="quiet") -> dict   train one run; its result dict
    run_id(flat) -> str                               its run directory's name, no training
    known_keys(task) -> set[str] | None               options a run of ``task`` accepts
                                                      (None: cannot tell cheaply)

This module is the default runner: the trainer (``seqlab.train.run_config``) and the
content-addressed name of ``seqlab.config.TrainConfig``. A run is finished iff
``out/run_id(flat)/result.json`` exists; the trainer writes that file last, and returns it
without training when it is already there.

The environment variable ``SEQLAB_SWEEP_RUNNER`` names another runner module for the CLI
(tests use it to sweep a stand-in trainer); it must be importable on every worker.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import os
from types import ModuleType
from typing import Any

__all__ = ["DEFAULT", "known_keys", "load_runner", "run_config", "run_id", "runner_from_env"]

DEFAULT = "seqlab.sweep.runner"
ENV_VAR = "SEQLAB_SWEEP_RUNNER"


def run_config(flat: dict[str, Any], out: str, progress: str = "quiet") -> dict:
    """Train one run (``seqlab.train.run_config``); returns its result dict."""
    from seqlab.train import run_config as train_run_config

    return train_run_config(flat, out, progress=progress)


def run_id(flat: dict[str, Any]) -> str:
    """The run directory's name (``TrainConfig.from_flat(flat).run_id()``)."""
    from seqlab.config import TrainConfig

    return TrainConfig.from_flat(flat).run_id()


def known_keys(task: str) -> set[str] | None:
    """Flat option names a run of ``task`` accepts: TrainConfig's fields and the task's own
    keyword options. ``None`` when that cannot be told without building anything."""
    try:
        from seqlab.config import TrainConfig
        from seqlab.tasks import task_class

        cls = task_class(task)
    except ImportError:  # the trainer or this task's module is not there to ask
        return None
    except Exception:  # an unknown task name: the run's own setup reports it
        return None
    keys = {f.name for f in dataclasses.fields(TrainConfig)} - {"task_options"}
    params = inspect.signature(cls.__init__).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    keys |= {p.name for p in params if p.name not in ("self", "seed")}
    return keys | {"seed"}


def load_runner(name: str) -> ModuleType:
    """Import runner module ``name`` and check it has the three functions."""
    module = importlib.import_module(name)
    missing = [f for f in ("run_config", "run_id", "known_keys") if not hasattr(module, f)]
    if missing:
        raise ImportError(f"runner module {name} lacks {', '.join(missing)}")
    return module


def runner_from_env() -> str:
    """The runner module's name: ``$SEQLAB_SWEEP_RUNNER`` or this module."""
    return os.environ.get(ENV_VAR) or DEFAULT
