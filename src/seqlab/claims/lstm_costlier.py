"""lstm-costlier: LSTM units cost more compute and train slower.

Evidence: ``{"equal_hidden": [{"model", "params", "flops_per_step", "fwd_bwd_ms": est,
"activation_bytes"}], "equal_params": [...same...], "time_to_target": [...]}``.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.stats import difference

CLAIM = Claim(
    id="lstm-costlier",
    title="An LSTM costs more per step than an RNN",
    statement=(
        "LSTM units cost more: four gate blocks instead of one mean about 4× the parameters "
        "and FLOPs of an RNN of the same hidden size, more time per training step and more "
        "memory held for backpropagation."
    ),
    rule=(
        "At equal hidden size: supported if the LSTM's forward+backward time per step exceeds "
        "the RNN's (95% interval of the difference over repetitions above 0) and its FLOPs and "
        "activation memory are larger; refuted if the LSTM is faster (difference below 0); "
        "otherwise inconclusive. Equal-parameter-count costs are reported beside it."
    ),
)


def decide(evidence: dict) -> Decision:
    rows = {r["model"]: r for r in evidence["equal_hidden"]}
    if "lstm" not in rows or "rnn" not in rows:
        return inconclusive("LSTM and RNN costs were not both measured")
    lstm, rnn = rows["lstm"], rows["rnn"]
    diff = difference(lstm["fwd_bwd_ms"], rnn["fwd_bwd_ms"])
    text = (
        f"per step: LSTM {fmt(lstm['fwd_bwd_ms'])} ms vs RNN {fmt(rnn['fwd_bwd_ms'])} ms; "
        f"FLOPs {lstm['flops_per_step'] / rnn['flops_per_step']:.2f}×, "
        f"activation memory {lstm['activation_bytes'] / rnn['activation_bytes']:.2f}×, "
        f"parameters {lstm['params'] / rnn['params']:.2f}×"
    )
    if diff["hi"] < 0:
        return refuted(text)
    more = (
        lstm["flops_per_step"] > rnn["flops_per_step"]
        and lstm["activation_bytes"] > rnn["activation_bytes"]
    )
    if diff["lo"] > 0 and more:
        return supported(text)
    return inconclusive(text)
