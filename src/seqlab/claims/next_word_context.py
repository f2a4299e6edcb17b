"""next-word-context: "When Alice is hungry, she drives to the store to buy …".

Experiment: (1) templated sentences whose last word depends on a cue word d > 5 words back:
accuracy of a 5-word FFNN window, an RNN and an LSTM; (2) word-level perplexity on a real
corpus (the King James Bible) for the same three at a matched parameter count.

Evidence: ``{"templates": [{"model", "distance", "accuracy": est, "chance"}],
"corpus": [{"model", "params", "perplexity", "unigram"}], "example": {...}}``.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.stats import difference

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
