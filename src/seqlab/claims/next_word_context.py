"""next-word-context: "When Alice is hungry, she drives to the store to buy …".

Experiment: (1) templated sentences whose last word depends on a cue word d > 5 words back:
accuracy of a 5-word FFNN window, an RNN and an LSTM; (2) word-level perplexity on a real
corpus (the King James Bible) for the same three at a matched parameter count.

Evidence: ``{"templates": [{"model", "window", "distance", "accuracy": est, "chance"}],
"corpus": [{"model", "params", "perplexity", "unigram"}], "example": {...}}``; ``example``
is each model's answer to one templated sentence. Figure: template accuracy per model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, trained_model
from seqlab.claims.plan import ALICE_WINDOW, model_label
from seqlab.claims.stats import difference
from seqlab.report import plots

CLAIM = Claim(
    id="next-word-context",
    title='"When Alice is hungry … she buys": context from early words',
    statement=(
        'In "When Alice is hungry, she drives to the nearest store to buy …" an LSTM uses '
        'the early word ("hungry" → "food"), an RNN drifts, and a 5-word FFNN window never '
        "saw it."
    ),
    rule=(
        "On the templated sentences: supported if the LSTM beats the 5-word FFNN (interval of "
        "the accuracy difference above 0) and the FFNN is not above chance (the lower end of its "
        "interval at or below chance); refuted if the FFNN matches or beats the LSTM "
        "(difference interval below or containing 0 with the FFNN above chance); otherwise "
        "inconclusive. The corpus perplexities are reported "
        "beside it (lower is better)."
    ),
)


RUNS = (plan.alice, plan.text)
LABELS = (f"ffnn-k{ALICE_WINDOW}", "rnn", "lstm")
SENTENCE_SEED = 7  # which Alice sentence the example shows


def _model(label: str) -> str:
    return "ffnn" if label.startswith("ffnn") else label


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    templates = []
    for label in LABELS:
        est = runs.accuracy(f"alice/{label}")
        if est is not None:
            templates.append(
                {
                    "model": _model(label),
                    "window": ALICE_WINDOW if label.startswith("ffnn") else None,
                    "distance": p.alice_distance,
                    "accuracy": est,
                    "chance": runs.first(f"alice/{label}")["chance"],
                }
            )
    corpus = []
    for label in LABELS:
        rs = runs.seeds(f"text/{label}")
        if rs:
            corpus.append(
                {
                    "model": _model(label),
                    "params": rs[0]["params"],
                    "perplexity": float(np.mean([x["value"] for x in rs])),
                    "unigram": rs[0]["baselines"].get("unigram", rs[0]["chance"]),
                }
            )
    ev = {"templates": templates, "corpus": corpus, "example": _example(runs)}
    figure = plots.bars(
        {"templates (accuracy)": {t["model"]: t["accuracy"] for t in templates}},
        "test accuracy",
        title=f'"When Alice is hungry … buy": cue {p.alice_distance} words back',
        hline=templates[0]["chance"] if templates else None,
    )
    return ev, figure


def _example(runs: Runs) -> dict:
    """Each model's answer to one real templated sentence (the first seed's models)."""
    ex: dict[str, Any] = {}
    for label in LABELS:
        r = runs.first(f"alice/{label}")
        if r is None:
            continue
        cfg, model, task = trained_model(r)
        g = torch.Generator().manual_seed(SENTENCE_SEED)
        words = task.sentence(0, runs.profile.alice_distance, g)
        with torch.no_grad():
            probs = model(torch.tensor([task.encode(words)]))[0, -1].softmax(-1)
        top = int(probs.argmax())
        ex["sentence"] = " ".join(words)
        ex["expected"] = task.answers[0]
        ex[model_label(cfg.model, cfg.window if cfg.model == "ffnn" else None)] = (
            f"{task.answers[top]} ({probs[top].item():.2f})"
        )
    return ex


def decide(evidence: dict) -> Decision:
    at = {r["model"]: r for r in evidence["templates"]}
    if "lstm" not in at or "ffnn" not in at:
        return inconclusive("LSTM and FFNN were not both run on the templates")
    lstm, ffnn = at["lstm"], at["ffnn"]
    diff = difference(lstm["accuracy"], ffnn["accuracy"])
    text = (
        f"d={lstm['distance']}: LSTM {fmt(lstm['accuracy'])}, FFNN(5) {fmt(ffnn['accuracy'])}"
        + (f", RNN {fmt(at['rnn']['accuracy'])}" if "rnn" in at else "")
        + f" (chance {ffnn['chance']:.3g})"
    )
    corpus = evidence.get("corpus") or []
    if corpus:
        text += "; corpus perplexity: " + ", ".join(
            f"{r['model']} {r['perplexity']:.1f}" for r in corpus
        )
    ffnn_at_chance = ffnn["accuracy"]["lo"] <= ffnn["chance"]
    if diff["lo"] > 0 and ffnn_at_chance:
        return supported(text)
    if diff["hi"] <= 0 or (
        diff["lo"] <= 0 <= diff["hi"] and ffnn["accuracy"]["lo"] > ffnn["chance"]
    ):
        return refuted(text)
    return inconclusive(text)
