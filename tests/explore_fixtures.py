"""Tiny trained runs for the explore tests (a few seconds of training in all).

``explore_runs(base)`` trains them under ``base``; identical configs map to the same run
directory, so a second call (another test module in the same session) only reads them.
"""

from __future__ import annotations

from pathlib import Path

import torch

DATA = Path(__file__).parent / "data"
ALICE = "on a rainy tuesday alice is hungry , then she drives to the nearest store to buy"
RECALL = {"task": "recall", "distance": 10, "classes": 4, "lr": 1e-2, "eval_every": 40}
RECALL_MODELS = {
    "lstm": {"model": "lstm", "hidden_size": 8},
    "gru": {"model": "gru", "hidden_size": 8},
    "rnn": {"model": "rnn", "hidden_size": 8},
    "ffnn": {"model": "ffnn", "hidden_size": 8, "window": 5},
}


def explore_runs(base: Path) -> dict[str, str]:
    """Run directories by name: ``recall-<model>`` for the four recall models, ``text-lstm``
    (a corpus with ``<unk>``) and ``series-gru`` (float inputs, regression)."""
    from seqlab.train import run_config

    configs = {f"recall-{k}": RECALL | v | {"steps": 40} for k, v in RECALL_MODELS.items()}
    configs["text-lstm"] = {
        "task": "text",
        "data": str(DATA / "corpus.txt"),
        "seq_len": 12,
        "model": "lstm",
        "hidden_size": 8,
        "steps": 10,
        "eval_every": 10,
    }
    configs["series-gru"] = {
        "task": "series",
        "data": str(DATA / "series.csv"),
        "target": "value",
        "seq_len": 16,
        "model": "gru",
        "hidden_size": 6,
        "steps": 10,
        "eval_every": 10,
    }
    out = {}
    with torch.random.fork_rng():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for name, flat in configs.items():
                out[name] = run_config(flat, str(base))["run_dir"]
        finally:
            torch.set_num_threads(threads)
    return out
