"""The training runs a profile needs, as flat ``seqlab train`` configs keyed by role.

Every run is an ordinary run directory (``seqlab.train``), so the suite goes through the
sweep machinery: finished runs are reused, on any executor. Keys name a run's role in the
experiments, e.g. ``recall/ffnn-k5/d10/s0`` or ``adding/lstm/s0``.
"""

from __future__ import annotations

from typing import Any

from seqlab.params import hidden_for_params
from seqlab.suite.profiles import Profile

RECURRENT = ("rnn", "lstm", "gru")
ABLATIONS = ("lstm-nig", "lstm-nfg", "lstm-nog", "lstm-cifg")
ALICE_WINDOW = 5  # "a 5-word FFNN window"
# Recall is learned several times faster at 1e-2 than at the trainer's default 3e-3 (measured
# for the LSTM at d=20: solved by step ~150); the same rate for every model keeps it fair.
RECALL_LR = 1e-2
# A forget-gate bias of 2 (f ≈ 0.88 at init) lets the cell carry the cue across 30 steps of
# distractors from the start; with the trainer's former default of 1 (f ≈ 0.73, 0.73^30 ≈
# 1e-4) the LSTM sat at chance for all 600 steps on 3 of 3 seeds at d=30, with 2 it solved 3
# of 3 (calibration grid, this machine). It affects the LSTM family only. It stays explicit
# here, rather than the trainer's chrono default, because the recall experiments were
# calibrated with it. Chrono does as well on recall: d=30, quick-profile settings, seeds
# 0-2, test accuracy 1.0 by step 120 on each (2.0: by step 120-240; 1.0: 0.21 on seed 0).
RECALL_FORGET_BIAS = 2.0


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


def recall_runs(p: Profile) -> dict[str, dict]:
    """Accuracy vs distance on plain-symbol recall: FFNN windows, RNN, LSTM, GRU, ablations."""
    runs = {}
    models = [("ffnn", k) for k in p.windows] + [(m, None) for m in RECURRENT]
    for seed in p.seeds:
        for d in p.distances:
            for model, k in models:
                key = f"recall/{model_label(model, k)}/d{d}/s{seed}"
                runs[key] = _recall(p, model, k, d, seed)
        # the plain RNN once more without gradient clipping (the vanishing-gradient probe
        # compares both: clipping bounds exploding gradients, it cannot revive vanished ones)
        noclip = _recall(p, "rnn", None, p.long_distance, seed)
        noclip["clip"] = 0
        runs[f"recall/rnn-noclip/d{p.long_distance}/s{seed}"] = noclip
        for model in ABLATIONS:
            key = f"recall/{model}/d{p.ablation_distance}/s{seed}"
            runs[key] = _recall(p, model, None, p.ablation_distance, seed)
    return runs


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


def alice_runs(p: Profile) -> dict[str, dict]:
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


def adding_runs(p: Profile) -> dict[str, dict]:
    return {
        f"adding/{m}/s{seed}": _run(p, "adding", m, seed, p.adding_steps, seq_len=p.adding_len)
        for seed in p.seeds
        for m in RECURRENT
    }


def text_runs(p: Profile, vocab_size: int) -> dict[str, dict]:
    """KJV next-word prediction: a 5-word FFNN, an RNN and an LSTM at a matched parameter
    count (the LSTM's, at ``p.hidden``); all embed words in ``p.hidden`` dimensions."""
    E = p.hidden
    common = {"vocab_size": vocab_size, "embed_dim": E, "output_size": vocab_size}
    from seqlab.params import count_params

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
            flat = _run(
                p,
                "text",
                model,
                seed,
                p.text_steps,
                corpus="kjv",
                limit=p.text_limit,
                min_count=2,
                embed_dim=E,
                window=ALICE_WINDOW if model == "ffnn" else None,
                batch_size=32,
            )
            flat["hidden_size"] = hidden[model]
            runs[
                f"text/{model_label(model, ALICE_WINDOW if model == 'ffnn' else None)}/s{seed}"
            ] = flat
    return runs


def image_runs(p: Profile) -> dict[str, dict]:
    """Fashion-MNIST as 28 rows: FFNNs over the last k rows, an LSTM over all rows."""
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


def text_task_options(p: Profile) -> dict[str, Any]:
    return {"corpus": "kjv", "limit": p.text_limit, "min_count": 2}
