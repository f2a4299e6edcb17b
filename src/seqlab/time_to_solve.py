"""Time to solve: how long a model with its defaults takes to solve the adding problem.

    time_to_solve(seq_len=100, budget_s=300, out="runs", seed=0)            # the LSTM
    time_to_solve(seq_len=600, budget_s=300, out="runs", model="tcn")

``seqlab.train`` with ``seqlab train``'s defaults for ``model`` on ``adding`` (the task
defaults of ``seqlab.defaults`` included, e.g. the TCN's recipe) at each T, under a
wall-clock budget, in a child process, stopped (SIGTERM: the trainer checkpoints and stops)
at the first evaluation whose validation MSE is below ``SOLVED_MSE``; ``seconds`` is the
trainer's wall time at that evaluation; ``history`` lists every evaluation as
[step, seconds, validation MSE]. Part of ``seqlab bench``.

How long a run may go. With a constant learning rate (every model's ``adding`` default but
the TCN's) the run has no step limit (``steps`` = 10^7): only the budget stops it. A
recipe with a schedule (the TCN's cosine to 0 over 10,000 steps) keeps its own steps, so
the rate anneals as in the user's command. With 10^7 steps the cosine would stay at its
starting rate for the whole budget. Such a run can end before the budget; ``ended`` says
which limit stopped it ("solved", "steps" or "budget").
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

SOLVED_MSE = 0.01


def time_to_solve(
    seq_len: int,
    budget_s: float,
    out: str,
    seed: int = 0,
    model: str = "lstm",
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train ``model`` with its defaults on ``adding`` in a child process until validation
    MSE < 0.01 (then SIGTERM: the trainer checkpoints and stops) or until ``budget_s``.
    ``seed`` sets the initial weights (chrono's draws included) and the training batches;
    ``options`` (flat ``seqlab train`` options, e.g. ``{"levels": 7}``) replace defaults."""
    from seqlab.config import TrainConfig
    from seqlab.defaults import apply_task_defaults
    from seqlab.rundir import METRICS_JSONL, run_dir

    flat = {"task": "adding", "model": model, "seq_len": seq_len, **(options or {})}
    flat = apply_task_defaults(flat)
    scheduled = flat.get("schedule", "constant") != "constant"
    steps = flat.get("steps", TrainConfig.steps) if scheduled else 10**7
    config = TrainConfig.from_flat({**flat, "steps": steps, "seed": seed})
    config = replace(config, max_seconds=budget_s)
    folder = run_dir(config, out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "seqlab.time_to_solve", json.dumps(config.to_dict()), out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hit = None
    deadline = time.monotonic() + budget_s + 120
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(1.0)
        hit = _first_solved(folder / METRICS_JSONL)
        if hit is not None:
            proc.send_signal(signal.SIGTERM)
            break
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    hit = hit or _first_solved(folder / METRICS_JSONL)
    rows = _history(folder / METRICS_JSONL)
    last = rows[-1]["step"] if rows else 0
    ended = "solved" if hit else "steps" if last >= config.steps else "budget"
    return {
        "task": "adding",
        "model": model,
        "seq_len": seq_len,
        "seed": seed,
        "seconds": hit["seconds"] if hit else None,
        "steps": hit["step"] if hit else (rows[-1]["step"] if rows else 0),
        "solved": hit is not None,
        "ended": ended,
        "best_valid_mse": min((r["valid_value"] for r in rows), default=None),
        "history": [[r["step"], r["seconds"], r["valid_value"]] for r in rows],
        "budget_s": budget_s,
        "settings": {
            k: config.to_dict().get(k)
            for k in (
                "hidden_size",
                "layers",
                "levels",
                "kernel_size",
                "lr",
                "batch_size",
                "clip",
                "schedule",
                "steps",
                "forget_bias",
                "path",
            )
        },
    }


def _history(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError):
        return []


def _first_solved(path: Path) -> dict | None:
    for row in _history(path):
        if row["valid_value"] is not None and row["valid_value"] < SOLVED_MSE:
            return row
    return None


if __name__ == "__main__":  # the child: python -m seqlab.time_to_solve CONFIG_JSON OUT
    from seqlab.config import TrainConfig
    from seqlab.train import TrainingInterrupted, train

    with contextlib.suppress(TrainingInterrupted):
        train(TrainConfig.from_dict(json.loads(sys.argv[1])), sys.argv[2], progress="quiet")
