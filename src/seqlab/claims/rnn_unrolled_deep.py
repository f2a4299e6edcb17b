"""rnn-unrolled-deep: an RNN unrolled over T steps is a T-layer deep network.

Evidence: ``{"rows": [{"model", "seq_len", "depth", "matmuls"}]}``: the longest path from the
loss at the last step back to the first input in the autograd graph (trace path), and the
number of matrix products on it; measured on fresh models (D=4, H=16, the FFNN's window the
longest T), so the claim trains nothing. Figure: matrix products vs T per model.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims.base import Claim, Decision, Part, from_parts, inconclusive
from seqlab.claims.common import Runs, seeded_model
from seqlab.claims.stats import linear_fit
from seqlab.models import ModelSpec
from seqlab.probes import gradient_path_length
from seqlab.report import plots

CLAIM = Claim(
    id="rnn-unrolled-deep",
    title="Unrolled over T steps, an RNN is T layers deep",
    statement=(
        "An RNN feeds its state back; unrolled over T steps it is a T-layer deep network, so "
        "backpropagation through time runs through T layers."
    ),
    rule=(
        "Two parts: (1) the RNN's number of matrix products between the first input and the "
        "output grows linearly with T, about one per step: supported if r² > 0.99 and the "
        "slope is in [0.9, 1.1], refuted if it does not grow; (2) the window FFNN's stays "
        "constant: supported if it is the same for every T, else refuted. Otherwise "
        "inconclusive."
    ),
)


RUNS = ()
MODELS = ("rnn", "lstm", "ffnn")


def evidence(runs: Runs) -> tuple[dict, Figure]:
    D, H = 4, 16
    kmax = max(runs.profile.depth_lengths)
    rows = []
    for model in MODELS:
        m = seeded_model(
            ModelSpec(model, hidden_size=H, window=kmax), 0, input_size=D, output_size=1
        )
        for T in runs.profile.depth_lengths:
            rows.append(
                {
                    "model": model,
                    "window": kmax if model == "ffnn" else None,
                    "seq_len": T,
                    "matmuls": gradient_path_length(m, T, D),
                }
            )
    return {"rows": rows}, _figure(rows, kmax)


def _figure(rows: list[dict], kmax: int) -> Figure:
    series = {}
    for model in MODELS:
        pts = [r for r in rows if r["model"] == model]
        series[model if model != "ffnn" else f"ffnn (k={kmax})"] = {
            "x": [r["seq_len"] for r in pts],
            "y": [r["matmuls"] for r in pts],
            "style": "o-",
        }
    return plots.lines(
        series,
        "sequence length T",
        "matrix products from x₀ to the output",
        title="Depth of the unrolled graph",
    )


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    rnn = sorted((r for r in rows if r["model"] == "rnn"), key=lambda r: r["seq_len"])
    ffnn = [r for r in rows if r["model"] == "ffnn"]
    if len(rnn) < 3 or not ffnn:
        return inconclusive("fewer than three sequence lengths, or no FFNN, measured")
    fit = linear_fit([r["seq_len"] for r in rnn], [r["matmuls"] for r in rnn])
    lo, hi = rnn[0], rnn[-1]
    text = (
        f"{lo['matmuls']} matrix products at T={lo['seq_len']}, {hi['matmuls']} at "
        f"T={hi['seq_len']} (slope {fit['slope']:.2f} per step, r²={fit['r2']:.4f})"
    )
    if fit["r2"] > 0.99 and 0.9 <= fit["slope"] <= 1.1:
        deep = Part("the RNN's path grows one layer per step", "supported", text)
    elif fit["slope"] <= 0:
        deep = Part("the RNN's path grows one layer per step", "refuted", text)
    else:
        deep = Part("the RNN's path grows one layer per step", "inconclusive", text)
    counts = sorted({r["matmuls"] for r in ffnn})
    text = f"{counts} matrix products for T in {[r['seq_len'] for r in ffnn]}"
    shallow = Part(
        "the window FFNN's path does not grow with T",
        "supported" if len(counts) == 1 else "refuted",
        text,
    )
    return from_parts(deep, shallow)
