"""Task-specific defaults of ``seqlab train``: the one table, applied only to options not given.

    flat = apply_task_defaults({"task": "text", "model": "lstm", "lr": 1.0})
    flat["optimizer"], flat["lr"]          # "sgd" (table), 1.0 (the user's)
    flat["defaults_applied"]               # ("batch_size", "clip", ..., "steps")

``TASK_MODEL_DEFAULTS`` adds entries for one model on one task (the TCN on ``adding``),
applied over the task's.

``TrainConfig``'s field defaults (AdamW 3e-3, hidden 64, batch 64, 1,000 steps) are generic:
measured on the synthetic tasks, they are a poor recipe for word-level text. There the
user who typed ``seqlab train --task text --data KJV_SPLIT --min-count 1 --model lstm`` got
test perplexity 154.6 in 379 s, where this recipe reached 88.3 in 394 s at 8,000 steps on the
same 90/5/5 verse split (``benchmarks/RESULTS.md``, "Quality at equal time").

The ``text`` recipe (pytorch/examples' ``word_language_model`` with a cosine schedule and an
adaptive softmax): 2 layers of 200 units, dropout 0.2, SGD at lr 20 decayed to 0 by a cosine
over 5,000 steps, gradient clipping 0.25, batches of 20 chunks, validation every 1,000 steps.
5,000 steps, not 8,000, so that the short command finishes within 7 minutes on the slower of
the 2-core machines the project runs on (an Intel Xeon trains 15.5 steps/s, an AMD EPYC 21).
``head="auto"`` is the adaptive softmax when the vocabulary is large enough for it (more
than 501 words, ``seqlab.models.adaptive.cutoffs_for``), else the full softmax.

Per model family: the same values for every model. ``hidden_size`` 200 and ``layers`` 2 mean
two stacked recurrent layers of 200 for ``rnn`` / ``lstm`` / ``gru`` (and the ablations), and
two hidden layers of 200 over the window for ``ffnn`` — the sizes the RESULTS.md comparison
used for all three (FFNN(5) 151.1, RNN 160.0, LSTM 89.8 at about equal time). The recipe was
made for the LSTM; the RNN and FFNN train stably with it but it is not tuned for them. The
newer models (TCN, Transformer, minGRU, minLSTM) train poorly with SGD at lr 20 (perplexity
153–244 against AdamW's 128–133 in a 600-step pilot), so ``TASK_MODEL_DEFAULTS`` gives them
AdamW 3e-3 with clipping 1, and the TCN a kernel-3, 4-level stack.

Where it applies: ``seqlab train`` (``seqlab.cli.train``) resolves the user's options
through ``apply_task_defaults`` before ``TrainConfig.from_flat``; the applied names are kept
in the config (``TrainConfig.defaults_applied``) and so in ``config.json`` and
``result.json``. Programmatic callers (the suite, the advisor, sweep grids) state their own
options and get ``TrainConfig``'s generic defaults unless they call this function.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TASK_DEFAULTS", "TASK_MODEL_DEFAULTS", "apply_task_defaults", "describe_defaults"]

# task -> option -> value (TrainConfig field names)
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "text": {
        "hidden_size": 200,
        "layers": 2,
        "dropout": 0.2,
        "head": "auto",
        "optimizer": "sgd",
        "lr": 20.0,
        "clip": 0.25,
        "batch_size": 20,
        "schedule": "cosine",
        "steps": 5000,
        "eval_every": 1000,
    },
}

# (task, model) -> option -> value: over the task's entries, for one model on one task.
# adding + tcn: locuslab/TCN's adding recipe at half its rate (Adam 2e-3 where it has 4e-3,
# batch 32, no clipping; it anneals the rate, here a cosine to 0) with the TCN's own
# defaults (30 channels, kernel 7, 6 levels, He-initialised weight-normed convolutions,
# read-out N(0, 0.01²): seqlab.models.newer, seqlab.models.tcn), 10,000 steps, validation
# every 1,000. Measured (benchmarks/RESULTS.md, "TCN on the adding problem", 1 thread, seed
# 0): at T = 200 the training MSE left chance at step ~550 and reached 0.011 by step 1,000
# (constant 4e-3); at T = 600 a 3,500-step cosine left chance by step 1,000 (validation MSE
# 0.018) and flattened at 0.0037 (test 0.0032) as its rate ran out. 10,000 steps fit because
# the adding loss reads the last step only and the TCN computes it alone
# (``TCN.last_output``: block i on every 2^i-th step), about 3.5× cheaper per step than the
# whole sequence at T = 600. The command at T = 600 with 4e-3 (2026-12-03, 2 threads, quiet
# 2-core Intel Xeon, seed 0): test MSE 6.2e-5 (validation 5.3e-5; locuslab/TCN's Table 1:
# 5.8e-5) in 10 min 42 s of wall time, 0.063 s per step; validation 0.020 / 0.0022 / 0.00059
# / 0.00014 at steps 1,000 / 3,000 / 5,000 / 7,000. Why 2e-3: at 4e-3, seeds 1 and 2 of that
# command (1 thread, two runs side by side) gave test MSE 0.176 (at chance for all 10,000
# steps) and 2.4e-4 (off chance only at step 6,000); at 2e-3 seeds 0, 1 and 2 all left
# chance by step 2,000 and ended at 4.2e-4, 6.6e-5 and 4.1e-5, in 7.2-7.7 minutes each
# (RESULTS.md, "The TCN's adding rate"). A TCN trained too fast can stall at chance:
# tcn-sees-far measured the same on recall at 1e-2.
#
# text + the newer models: AdamW 3e-3 with clipping 1 instead of the LSTM's SGD at lr 20,
# the rest of the text recipe kept (2 × 200, dropout 0.2, cosine, batches of 20 × 35
# tokens). One seed at 600 steps is a pilot, not a tuning; it ranks the recipes. A pilot
# on the KJV (whole corpus, default split, 600 steps, seed 0, 1 thread; test perplexity;
# benchmarks/RESULTS.md, "Text recipes for the newer models"): the LSTM with its SGD recipe
# 128.7; TCN SGD lr 20 160.9, SGD lr 4 with clip 0.35 (locuslab/TCN's word-level recipe)
# 162.8, AdamW 1e-3 147.9, AdamW 3e-3 132.5; Transformer SGD lr 20 153.0, AdamW 1e-3
# 137.7, AdamW 3e-3 129.9; minGRU SGD lr 20 244.0, AdamW 3e-3 128.1. The TCN on text is
# locuslab/TCN's word-level stack: kernel 3, 4 levels, a receptive field of 61 tokens, which
# covers the 35-token training chunks (the default 7 × 6 stack sees 757 and has 3.4 M
# convolution weights at 200 channels). The minLSTM takes the minGRU's entry (not piloted).
_TEXT_ADAMW = {"optimizer": "adamw", "lr": 3e-3, "clip": 1.0}
TASK_MODEL_DEFAULTS: dict[tuple[str, str], dict[str, Any]] = {
    ("adding", "tcn"): {
        "batch_size": 32,
        "lr": 2e-3,
        "clip": 0,
        "schedule": "cosine",
        "steps": 10000,
        "eval_every": 1000,
    },
    ("text", "tcn"): {**_TEXT_ADAMW, "kernel_size": 3, "levels": 4},
    ("text", "transformer"): _TEXT_ADAMW,
    ("text", "mingru"): _TEXT_ADAMW,
    ("text", "minlstm"): _TEXT_ADAMW,
}

# options that, when given, stand for another table entry (a user's --epochs replaces steps)
_REPLACES = {"epochs": "steps"}


def apply_task_defaults(flat: dict[str, Any]) -> dict[str, Any]:
    """``flat`` with the task's table entries added for every option it does not set.

    An option counts as given when its key is present with a value other than ``None``
    (``-`` or ``_`` spelling). Adds ``defaults_applied``: the sorted names filled in."""
    out = {k.replace("-", "_"): v for k, v in flat.items()}
    task, model = str(out.get("task")), str(out.get("model"))
    table = TASK_DEFAULTS.get(task, {}) | TASK_MODEL_DEFAULTS.get((task, model), {})
    given = {k for k, v in out.items() if v is not None}
    given |= {_REPLACES[k] for k in given if k in _REPLACES}
    applied = sorted(k for k in table if k not in given)
    for key in applied:
        out[key] = table[key]
    out["defaults_applied"] = tuple(applied)
    return out


def describe_defaults(name: str) -> str:
    """``"text: 200"`` — the per-task defaults of one option, for help texts ('' if none)."""
    tables = list(TASK_DEFAULTS.items()) + [
        (f"{task} --model {model}", table) for (task, model), table in TASK_MODEL_DEFAULTS.items()
    ]
    return "; ".join(f"{where}: {_fmt(table[name])}" for where, table in tables if name in table)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
