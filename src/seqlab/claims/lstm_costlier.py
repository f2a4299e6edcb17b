"""lstm-costlier: LSTM units cost more compute and train slower.

Evidence: ``{"batch_size", "seq_len", "input_size", "threads", "equal_hidden": [{"model",
"hidden", "params", "flops_per_step", "activation_bytes", "fwd_bwd_ms": est}],
"equal_params": [...same...], "adding_training": [{"model", "seed", "test_mse",
"train_seconds", "steps", "ms_per_step"}], "activation_memory_vs_T": [{"model", "seq_len",
"activation_mb"}]}``. Time per step is measured ``cost_repeats`` times interleaved (the
interval is t over them), FLOPs by formula, activation memory measured; at equal hidden size
and at the LSTM's parameter count. Figure: ms per step per model in both settings.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, fmt, from_parts, inconclusive
from seqlab.claims.common import TIMING_THREADS, Runs, interleaved_ms, seeded_model
from seqlab.claims.stats import difference
from seqlab.models import RECURRENT, ModelSpec
from seqlab.params import count_params, hidden_for_params
from seqlab.probes import activation_memory, flops_per_step
from seqlab.report import plots

# "more time": at least this fraction of the RNN's time per step more. A margin, not 0: the
# two fused training steps are within a few percent of each other on this CPU, and a rule at
# 0 flipped between two fresh quick runs (LSTM − RNN 0.001 [−0.004, 0.006] ms, then 0.007
# [0.004, 0.010]). Chosen after seeing that flip (issue 15's "effects far from the
# threshold"); 10% is the smallest slow-down a user would notice in a training run's time.
# It reduced the flips but did not remove them: over five runs the LSTM took 0.99-1.12x the
# RNN's time, and a full-profile run at 1.12x [1.01, 1.23] was inconclusive
# (docs/results/full/README.md); a tighter timing (more repeats) would settle it.
MORE_TIME = 0.10

CLAIM = Claim(
    id="lstm-costlier",
    title="An LSTM costs more per step than an RNN",
    statement=(
        "LSTM units cost more: four gate blocks instead of one mean about 4× the parameters "
        "and FLOPs of an RNN of the same hidden size, more time per training step and more "
        "memory held for backpropagation."
    ),
    rule=(
        "At equal hidden size, three parts: (1) about 4× the parameters and FLOPs: supported "
        "if both ratios LSTM / RNN lie in [3, 5] (the shared output layer keeps them below 4), "
        "refuted if both are ≤ 1; (2) more time per training step: supported if the 95% "
        "interval of LSTM − RNN forward+backward time per step (over interleaved repetitions) "
        f"lies above {MORE_TIME:.0%} of the RNN's time, refuted if it lies below it (the LSTM "
        "is not measurably that much slower); (3) more memory held for backpropagation: supported "
        "if the measured activation memory is larger, else refuted. Otherwise inconclusive. "
        "Equal-parameter-count costs are reported beside it."
    ),
)


RUNS = (plan.adding,)
ABOUT_4X = (3.0, 5.0)
PARTS = (
    "about 4× the parameters and FLOPs",
    "more time per training step",
    "more memory held for backpropagation",
)
TIMING_DEPENDENT = (
    "equal_hidden.*.fwd_bwd_ms",
    "equal_params.*.fwd_bwd_ms",
    "adding_training.*.train_seconds",
    "adding_training.*.ms_per_step",
)
TIMING_PARTS = (PARTS[1],)
D, O, B, WINDOW = 32, 10, 32, 5  # input size, outputs, batch, the FFNN's window
MODELS = ("ffnn", "rnn", "gru", "lstm")


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    T, H = p.cost_seq_len, p.hidden
    lstm_params = count_params("lstm", D, H, O).total
    ev: dict[str, Any] = {"batch_size": B, "seq_len": T, "input_size": D, "threads": TIMING_THREADS}
    for setting in ("equal_hidden", "equal_params"):
        rows, cases = [], {}
        for m in MODELS:
            h = (
                H
                if setting == "equal_hidden" or m == "lstm"
                else hidden_for_params(m, lstm_params, D, O, window=WINDOW)
            )
            model = seeded_model(
                ModelSpec(m, hidden_size=h, window=WINDOW), 0, input_size=D, output_size=O
            )
            cases[m] = (model, B, T, D)
            rows.append(
                {
                    "model": m,
                    "hidden": h,
                    "params": count_params(m, D, h, O, window=WINDOW).total,
                    "flops_per_step": flops_per_step(m, D, h, O, window=WINDOW)["fwd_bwd"],
                    "activation_bytes": activation_memory(model, B, T, D),
                }
            )
        ms = interleaved_ms(cases, p.cost_repeats)
        for row in rows:
            row["fwd_bwd_ms"] = ms[row["model"]]
        ev[setting] = rows
    ev["adding_training"] = [
        {
            "model": m,
            "seed": r["seed"],
            "test_mse": r["value"],
            "train_seconds": r["train_seconds"],
            "steps": r["steps"],
            "ms_per_step": 1000.0 * r["train_seconds"] / max(1, r["steps"]),
        }
        for m in RECURRENT
        for r in runs.seeds(f"adding/{m}")
    ]
    # memory held for backpropagation grows with T for every model that is unrolled
    vs_t = []
    for m in ("ffnn", "rnn", "lstm"):
        model = seeded_model(
            ModelSpec(m, hidden_size=H, window=WINDOW), 0, input_size=D, output_size=O
        )
        for t in (T // 4, T // 2, T, 2 * T):
            vs_t.append(
                {
                    "model": m,
                    "seq_len": t,
                    "activation_mb": activation_memory(model, B, t, D) / 2**20,
                }
            )
    ev["activation_memory_vs_T"] = vs_t
    groups = {
        setting.replace("_", " "): {r["model"]: r["fwd_bwd_ms"] for r in ev[setting]}
        for setting in ("equal_hidden", "equal_params")
    }
    figure = plots.bars(
        groups,
        "forward+backward ms per time step",
        title=f"Cost per step (B={B}, T={T}, D={D}, H={H})",
    )
    return ev, figure


def decide(evidence: dict) -> Decision:
    rows = {r["model"]: r for r in evidence["equal_hidden"]}
    if "lstm" not in rows or "rnn" not in rows:
        return inconclusive("LSTM and RNN costs were not both measured")
    lstm, rnn = rows["lstm"], rows["rnn"]
    ratios = {
        "parameters": lstm["params"] / rnn["params"],
        "FLOPs": lstm["flops_per_step"] / rnn["flops_per_step"],
    }
    text = ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items())
    lo, hi = ABOUT_4X
    if all(lo <= v <= hi for v in ratios.values()):
        size = Part(PARTS[0], "supported", text)
    elif all(v <= 1 for v in ratios.values()):
        size = Part(PARTS[0], "refuted", text)
    else:
        size = Part(PARTS[0], "inconclusive", text + f", not all within [{lo}, {hi}]")

    diff = difference(lstm["fwd_bwd_ms"], rnn["fwd_bwd_ms"])
    margin = MORE_TIME * rnn["fwd_bwd_ms"]["mean"]
    text = (
        f"LSTM {fmt(lstm['fwd_bwd_ms'])} ms vs RNN {fmt(rnn['fwd_bwd_ms'])} ms per time step; "
        f"LSTM − RNN {fmt(diff)} against the margin {margin:.3g} ({MORE_TIME:.0%} of the RNN's)"
    )
    v = "supported" if diff["lo"] > margin else "refuted" if diff["hi"] < margin else "inconclusive"
    time = Part(PARTS[1], v, text)

    mem = lstm["activation_bytes"] / rnn["activation_bytes"]
    v = "supported" if mem > 1 else "refuted"
    memory = Part(PARTS[2], v, f"activation memory {mem:.2f}× the RNN's")
    return from_parts(size, time, memory)
