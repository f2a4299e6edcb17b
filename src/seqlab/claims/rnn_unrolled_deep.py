"""rnn-unrolled-deep: an RNN unrolled over T steps is a T-layer deep network.

Evidence: ``{"rows": [{"model", "seq_len", "depth", "matmuls"}]}``: the longest path from the
loss at the last step back to the first input in the autograd graph (trace path), and the
number of matrix products on it.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, inconclusive, refuted, supported
from seqlab.claims.stats import linear_fit

CLAIM = Claim(
    id="rnn-unrolled-deep",
    title="Unrolled over T steps, an RNN is T layers deep",
    statement=(
        "An RNN feeds its state back; unrolled over T steps it is a T-layer deep network, so "
        "backpropagation through time runs through T layers."
    ),
    rule=(
        "supported if the RNN's number of matrix products between the first input and the "
        "output grows linearly with T (r² > 0.99, about one product per step: slope in "
        "[0.9, 1.1]) while the window FFNN's stays constant; refuted if the RNN's does not "
        "grow with T; otherwise inconclusive."
    ),
)


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    rnn = sorted((r for r in rows if r["model"] == "rnn"), key=lambda r: r["seq_len"])
    ffnn = [r for r in rows if r["model"] == "ffnn"]
    if len(rnn) < 3:
        return inconclusive("fewer than three sequence lengths measured")
    fit = linear_fit([r["seq_len"] for r in rnn], [r["matmuls"] for r in rnn])
    if fit["slope"] <= 0:
        return refuted("the RNN's path length does not grow with T")
    ffnn_const = len({r["matmuls"] for r in ffnn}) <= 1
    if fit["r2"] > 0.99 and 0.9 <= fit["slope"] <= 1.1 and ffnn_const:
        lo, hi = rnn[0], rnn[-1]
        return supported(
            f"RNN: {lo['matmuls']} matrix products on the path at T={lo['seq_len']}, "
            f"{hi['matmuls']} at T={hi['seq_len']} (slope {fit['slope']:.2f} per step, "
            f"r²={fit['r2']:.4f}); the FFNN's path stays at "
            f"{ffnn[0]['matmuls'] if ffnn else 'n/a'} for every T"
        )
    return inconclusive(
        f"slope {fit['slope']:.2f}, r²={fit['r2']:.3f}, FFNN constant: {ffnn_const}"
    )
