"""The training runs the claims ask for, as flat ``seqlab train`` configs keyed by role.

Each function here is a *run group*: ``group(profile) -> {key: flat config}``. A claim names
the groups it needs in its ``RUNS``; the suite calls every group once, merges them (a key
two groups share must hold the same config) and trains the union through the sweep
machinery, so finished runs are reused, on any executor. Keys name a run's role, e.g.
``recall/ffnn-k5/d10/s0`` or ``adding/lstm/s0``. A group that needs a data package which is
not installed raises ``SeqlabError`` naming the package; the suite notes it and runs the rest.
"""

from __future__ import annotations

from typing import Any

from seqlab.claims.profiles import Profile
from seqlab.defaults import apply_task_defaults
from seqlab.models import ABLATIONS, RECURRENT
from seqlab.tasks import build_task

ALICE_WINDOW = 5  # "a 5-word FFNN window"
RECALL_LR = 1e-2  # recall is learned several times faster than at the trainer's default
# The TCN and the Transformer train recall at the trainer's default rate instead: at 1e-2
# some seeds stalled at chance or part-way for the whole run (TCN at d = 30 and 100,
# Transformer at d = 100: 0.49 / 0.75 / 0.74 in seeds 0-2), where at 3e-3 every seed tried
# reached 1.0 by the first check (benchmarks/RESULTS.md, "tcn-sees-far: why d = 30 was not
# learned").
FEEDFORWARD_RECALL_LR = 3e-3
RECALL_FORGET_BIAS = 2.0  # f ≈ 0.88 at init: the cell carries the cue over the gap from step 0
# Recall runs stop at the first check with perfect validation accuracy. The trainer keeps only
# strictly better checks, so no later one could replace those weights: the kept weights, the
# test accuracy and everything the claims read from them are the same as after all the
# steps; only the time is saved (in quick most LSTM, GRU, TCN and Transformer runs were
# perfect at a fifth of their steps).
RECALL_STOP_AT = 1.0
# Shortest sequence of a fixed-distance recall run: at T = 5 (d = 3 after a lead of 2) the
# 4 × 16³ possible inputs repeat too often among 2 × 1,000 held-out examples to keep them
# disjoint (the task refuses); T = 8 gives 4 × 16⁶. A range's T is 2 + its largest d.
MIN_FIXED_RECALL_LEN = 8


def _run(p: Profile, task: str, model: str, seed: int, steps: int, **opts: Any) -> dict[str, Any]:
    flat = {
        "task": task,
        "model": model,
        "seed": seed,
        "steps": steps,
        "hidden_size": p.hidden,
        "eval_every": max(1, steps // 5),
    }
    flat.update({k: v for k, v in opts.items() if v is not None})
    return flat


def model_label(model: str, window: int | None) -> str:
    return f"{model}-k{window}" if model == "ffnn" else model


def _recall(p: Profile, model: str, k: int | None, distance: int | str, seed: int) -> dict:
    """A plain-symbol recall run; ``distance`` an int or a range ``"lo-hi"`` (every sequence
    draws its own d); T = 2 + the largest d, and at least ``MIN_FIXED_RECALL_LEN``."""
    lead = 2 if isinstance(distance, str) else max(2, MIN_FIXED_RECALL_LEN - distance)
    return _run(
        p,
        "recall",
        model,
        seed,
        p.recall_steps,
        lr=RECALL_LR,
        forget_bias=RECALL_FORGET_BIAS,
        variant="symbols",
        distance=distance,
        classes=4,
        eval_size=p.eval_size,
        window=k,
        lead=lead,
        stop_at=RECALL_STOP_AT,
    )


def recall_key(label: str, p: Profile) -> str:
    """The key prefix (without ``/s{seed}``) of the distance-sweep recall run of ``label``
    (``ffnn-k5``, ``rnn``, …): trained on every d of its range, evaluated per d."""
    return f"recall/{label}/d{p.ffnn_range if label.startswith('ffnn') else p.recall_range}"


# ----- plain-symbol recall: accuracy vs distance d -----------------------------------------


def recall_ffnn(p: Profile) -> dict[str, dict]:
    """Window MLPs of every window k, trained on d = 2 … ``ffnn_max_distance``."""
    return {
        f"{recall_key(model_label('ffnn', k), p)}/s{seed}": _recall(
            p, "ffnn", k, p.ffnn_range, seed
        )
        for seed in p.seeds
        for k in p.windows
    }


def recall_recurrent(p: Profile) -> dict[str, dict]:
    """RNN, LSTM and GRU, each trained on d = 2 … max(distances)."""
    return {
        f"{recall_key(m, p)}/s{seed}": _recall(p, m, None, p.recall_range, seed)
        for seed in p.seeds
        for m in RECURRENT
    }


def recall_noclip(p: Profile) -> dict[str, dict]:
    """The plain RNN once more, without gradient clipping: clipping bounds exploding
    gradients, it cannot revive vanished ones. One comparison run (the first seed)."""
    runs = {}
    for seed in p.seeds[:1]:
        flat = _recall(p, "rnn", None, p.recall_range, seed)
        flat["clip"] = 0
        runs[f"{recall_key('rnn-noclip', p)}/s{seed}"] = flat
    return runs


def recall_ablations(p: Profile) -> dict[str, dict]:
    """The LSTM and its ablations (no input / forget / output gate, coupled) at the ablation
    distance (fixed d)."""
    d = p.ablation_distance
    return {
        f"recall/{m}/d{d}/s{seed}": _recall(p, m, None, d, seed)
        for seed in p.seeds
        for m in ("lstm", *ABLATIONS)
    }


def recall_runs(p: Profile) -> dict[str, dict]:
    """Every recall run of the profile (the union of the four recall groups)."""
    return {**recall_ffnn(p), **recall_recurrent(p), **recall_noclip(p), **recall_ablations(p)}


# ----- the other tasks ---------------------------------------------------------------------


def alice(p: Profile) -> dict[str, dict]:
    """The templated "When Alice is hungry … to buy" sentences, trained on every cue distance
    d = 2 … max(alice_distances) at once (evaluated per d, like recall)."""
    runs = {}
    for seed in p.seeds:
        for model, k in (("ffnn", ALICE_WINDOW), ("rnn", None), ("lstm", None)):
            runs[f"alice/{model_label(model, k)}/s{seed}"] = _run(
                p,
                "recall",
                model,
                seed,
                p.alice_steps,
                variant="words",
                distance=p.alice_range,
                classes=4,
                eval_size=p.eval_size,
                window=k,
                lr=RECALL_LR,
                forget_bias=RECALL_FORGET_BIAS,
                stop_at=RECALL_STOP_AT,
            )
    return runs


def adding(p: Profile) -> dict[str, dict]:
    """The adding problem at length ``p.adding_len``: the models of ``p.adding_models``."""
    return {
        f"adding/{m}/s{seed}": _run(p, "adding", m, seed, p.adding_steps, seq_len=p.adding_len)
        for seed in p.seeds
        for m in p.adding_models
    }


def text_task_options(p: Profile, corpus: str) -> dict[str, Any]:
    return {"corpus": corpus, "limit": p.text_limit, "min_count": 2}


def text_key(corpus: str, label: str) -> str:
    """The key prefix (without ``/s{seed}``) of a next-word run on ``corpus``."""
    return f"text/{corpus}/{label}"


def text(p: Profile) -> dict[str, dict]:
    """Next-word prediction on every corpus of ``p.text_corpora`` (KJV, German fortunes): a
    5-word FFNN, an RNN and an LSTM, each trained with the text recipe of ``seqlab train``
    (``seqlab.defaults``: SGD lr 20 with a cosine, clip 0.25, dropout 0.2, batches of 20
    × 35 tokens) at the profile's size (``text_hidden`` × ``text_layers``, the same for all
    three, as in ``benchmarks/RESULTS.md``) and budget; validated at every quarter of
    training, so the claim can tell whether a model was still improving. Raises
    ``SeqlabError`` when a corpus is not installed."""
    return text_runs(p, ("ffnn", "rnn", "lstm"), p.text_seeds)


def text_runs(p: Profile, models: tuple[str, ...], seeds: tuple[int, ...]) -> dict[str, dict]:
    """``models`` on every corpus of ``p``, as ``text`` trains its three (each model with
    its own entries of ``seqlab train``'s text recipe, ``seqlab.defaults``)."""
    runs = {}
    for corpus in p.text_corpora:
        build_task("text", text_task_options(p, corpus), 0)  # a missing corpus fails here
        for seed in seeds:
            for model in models:
                k = ALICE_WINDOW if model == "ffnn" else None
                flat = apply_task_defaults(
                    {
                        "task": "text",
                        "model": model,
                        "seed": seed,
                        "steps": p.text_steps,
                        "eval_every": max(1, p.text_steps // 4),
                        "hidden_size": p.text_hidden,
                        "layers": p.text_layers,
                        "window": k,
                        **text_task_options(p, corpus),
                    }
                )
                flat.pop("defaults_applied")
                runs[f"{text_key(corpus, model_label(model, k))}/s{seed}"] = flat
    return runs


def images(p: Profile) -> dict[str, dict]:
    """Fashion-MNIST as 28 rows: FFNNs over the last k rows, an LSTM over all rows. Raises
    ``SeqlabError`` when the data set is not installed."""
    build_task("images", {"limit": p.image_limit}, 0)
    runs = {}
    for seed in p.seeds:
        for k in p.image_windows:
            runs[f"images/ffnn-k{k}/s{seed}"] = _run(
                p,
                "images",
                "ffnn",
                seed,
                p.image_steps,
                order="rows",
                limit=p.image_limit,
                window=k,
            )
        runs[f"images/lstm/s{seed}"] = _run(
            p, "images", "lstm", seed, p.image_steps, order="rows", limit=p.image_limit
        )
    return runs
