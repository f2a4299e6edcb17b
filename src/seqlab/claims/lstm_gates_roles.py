"""lstm-gates-roles: input gate admits, forget gate keeps, output gate exposes.

Experiment: a trained LSTM's gates on recall sequences, averaged over units and examples, at
the cue step, over the gap, and at the query step; plus ablations (no input / forget /
output gate, coupled input-forget) trained on the same task.

Evidence: ``{"gates": {gate: {position: est}}, "ablations": [{"model", "accuracy": est}]}``
with positions "cue", "gap", "query".
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.stats import difference

CLAIM = Claim(
    id="lstm-gates-roles",
    title="Input gate admits, forget gate keeps, output gate exposes",
    statement=(
        "The LSTM's input gate admits new information (the cue), its forget gate keeps the "
        "cell state over the gap, and its output gate exposes the cell when it is needed."
    ),
    rule=(
        "Gates are read off an LSTM that has learned the task (test accuracy >= 0.9; else "
        "inconclusive). Three checks, each on 95% intervals over examples: (a) the input "
        "gate is more open at the cue than over the gap; (b) the forget gate over the gap is "
        "above 0.5 (at each gap step the cell keeps more than it drops); "
        "(c) the output gate is more open at the query than over the gap. supported if all "
        "three hold; refuted if any holds significantly the other way round; otherwise "
        "inconclusive. Ablation accuracies are reported beside it."
    ),
)


def _shift(est: dict, c: float) -> dict:
    return {**est, "mean": est["mean"] - c, "lo": est["lo"] - c, "hi": est["hi"] - c}


LEARNED = 0.9  # a model below this accuracy has not learned the task: its gates mean little


def decide(evidence: dict) -> Decision:
    acc = evidence.get("lstm_accuracy")
    if acc is not None and acc["mean"] < LEARNED:
        return inconclusive(
            f"the LSTM reached only {fmt(acc)} on the task, below {LEARNED}: it has not learned "
            "it, so its gates say little about their roles"
        )
    g = evidence["gates"]
    checks = {
        "input admits (i at cue > i over gap)": difference(g["i"]["cue"], g["i"]["gap"]),
        "forget keeps (f over gap > 0.5)": _shift(g["f"]["gap"], 0.5),
        "output exposes (o at query > o over gap)": difference(g["o"]["query"], g["o"]["gap"]),
    }
    text = "; ".join(f"{name}: Δ={fmt(d)}" for name, d in checks.items())
    if any(d["hi"] < 0 for d in checks.values()):
        return refuted(text)
    if all(d["lo"] > 0 for d in checks.values()):
        return supported(text)
    return inconclusive(text)
