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
from seqlab.models import ABLATIONS, RECURRENT
from seqlab.params import count_params, hidden_for_params
from seqlab.tasks import build_task

ALICE_WINDOW = 5  # "a 5-word FFNN window"
RECALL_LR = 1e-2  # recall is learned several times faster than at the trainer's default
RECALL_FORGET_BIAS = 2.0  # f ≈ 0.88 at init: the cell carries the cue over the gap from step 0


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


def _recall(p: Profile, model: str, k: int | None, d: int, seed: int) -> dict:
    return _run(
        p,
        "recall",
        model,
        seed,
        p.recall_steps,
        lr=RECALL_LR,
        forget_bias=RECALL_FORGET_BIAS,
        variant="symbols",
        distance=d,
        classes=4,
        eval_size=p.eval_size,
        window=k,
        lead=max(p.distances) - d + 2,  # the same T for every d: only the distance changes
    )


# ----- plain-symbol recall: accuracy vs distance d -----------------------------------------


def recall_ffnn(p: Profile) -> dict[str, dict]:
    """Window MLPs of every window k at every distance d."""
    return {
        f"recall/{model_label('ffnn', k)}/d{d}/s{seed}": _recall(p, "ffnn", k, d, seed)
        for seed in p.seeds
        for d in p.distances
        for k in p.windows
    }


def recall_recurrent(p: Profile) -> dict[str, dict]:
    """RNN, LSTM and GRU at every distance d."""
    return {
        f"recall/{m}/d{d}/s{seed}": _recall(p, m, None, d, seed)
        for seed in p.seeds
        for d in p.distances
        for m in RECURRENT
    }


def recall_noclip(p: Profile) -> dict[str, dict]:
    """The plain RNN at the longest distance once more, without gradient clipping: clipping
    bounds exploding gradients, it cannot revive vanished ones."""
    runs = {}
    for seed in p.seeds:
        flat = _recall(p, "rnn", None, p.long_distance, seed)
        flat["clip"] = 0
        runs[f"recall/rnn-noclip/d{p.long_distance}/s{seed}"] = flat
    return runs


def recall_ablations(p: Profile) -> dict[str, dict]:
    """The LSTM and its ablations (no input / forget / output gate, coupled) at the ablation
    distance."""
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
    """The templated "When Alice is hungry … to buy" sentences, cue d words back."""
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
                distance=p.alice_distance,
                classes=4,
                eval_size=p.eval_size,
                window=k,
                lr=RECALL_LR,
                forget_bias=RECALL_FORGET_BIAS,
            )
    return runs


def adding(p: Profile) -> dict[str, dict]:
    """The adding problem at length ``p.adding_len``: RNN, LSTM, GRU."""
    return {
        f"adding/{m}/s{seed}": _run(p, "adding", m, seed, p.adding_steps, seq_len=p.adding_len)
        for seed in p.seeds
        for m in RECURRENT
    }


def text_task_options(p: Profile) -> dict[str, Any]:
    return {"corpus": "kjv", "limit": p.text_limit, "min_count": 2}


def text(p: Profile) -> dict[str, dict]:
    """KJV next-word prediction: a 5-word FFNN, an RNN and an LSTM at a matched parameter
    count (the LSTM's, at ``p.hidden``); all embed words in ``p.hidden`` dimensions. Raises
    ``SeqlabError`` when the corpus is not installed."""
    vocab_size = build_task("text", text_task_options(p), 0).vocab_size
    E = p.hidden
    common = {"vocab_size": vocab_size, "embed_dim": E, "output_size": vocab_size}
    target = count_params("lstm", None, p.hidden, **common).total
    hidden = {
        "lstm": p.hidden,
        "rnn": hidden_for_params(
            "rnn", target, None, vocab_size, vocab_size=vocab_size, embed_dim=E
        ),
        "ffnn": hidden_for_params(
            "ffnn",
            target,
            None,
            vocab_size,
            window=ALICE_WINDOW,
            vocab_size=vocab_size,
            embed_dim=E,
        ),
    }
    runs = {}
    for seed in p.seeds:
        for model in ("ffnn", "rnn", "lstm"):
            k = ALICE_WINDOW if model == "ffnn" else None
            flat = _run(
                p,
                "text",
                model,
                seed,
                p.text_steps,
                **text_task_options(p),
                embed_dim=E,
                window=k,
                batch_size=32,
            )
            flat["hidden_size"] = hidden[model]
            runs[f"text/{model_label(model, k)}/s{seed}"] = flat
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
