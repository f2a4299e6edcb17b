"""ffnn-window-cost: widening the window makes the FFNN large, worse for big inputs.

Evidence: ``{"words": rows, "frames": rows, "images": rows}``; ``words``/``frames`` rows are
``{"window", "ffnn", "rnn", "lstm", "gru"}`` parameter counts of real models (input = a word
embedding of size E, or a 28×28 frame flattened to 784), ``images`` the measured accuracy
of FFNNs over k rows and of an LSTM over all rows of Fashion-MNIST. Parameter counts are
by hand (``seqlab.params``, tested equal to the real models), hidden size 128.
Figure: parameters vs k for both input kinds, FFNN against LSTM.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, inconclusive, refuted, supported
from seqlab.claims.common import Runs
from seqlab.claims.stats import linear_fit
from seqlab.models import RECURRENT
from seqlab.params import count_params
from seqlab.report import plots

CLAIM = Claim(
    id="ffnn-window-cost",
    title="A wider window makes the feed-forward network large",
    statement=(
        "To cover more context the FFNN's window must widen, and its parameters grow with the "
        "window k times the input size — worse for big inputs such as video frames — while "
        "an RNN or LSTM has the same size for any sequence length."
    ),
    rule=(
        "supported if, for both input kinds, the FFNN's parameter count grows linearly in k "
        "(least-squares r² > 0.99, slope > 0), the recurrent counts do not change with k, and "
        "the FFNN whose window covers the whole sequence has more parameters than the LSTM of "
        "the same hidden size; refuted if the FFNN count does not grow with k; otherwise "
        "inconclusive."
    ),
)


RUNS = (plan.images,)
H = 128
INPUTS = (  # (kind, input size D, output size O, windows k)
    ("words", 300, 10_000, (1, 2, 5, 10, 20, 50)),
    ("frames", 784, 10, (1, 2, 4, 8, 16, 28)),
)


def evidence(runs: Runs) -> tuple[dict, Figure]:
    ev: dict[str, Any] = {}
    for kind, D, O, ks in INPUTS:
        rows = []
        for k in ks:
            row = {"window": k, "ffnn": count_params("ffnn", D, H, O, window=k).total}
            for m in RECURRENT:
                row[m] = count_params(m, D, H, O).total
            rows.append(row)
        ev[kind] = rows
    images = []
    for k in runs.profile.image_windows:
        est = runs.accuracy(f"images/ffnn-k{k}")
        if est is not None:
            r = runs.first(f"images/ffnn-k{k}")
            images.append(
                {"model": f"ffnn (last {k} rows)", "params": r["params"], "accuracy": est}
            )
    est = runs.accuracy("images/lstm")
    if est is not None:
        r = runs.first("images/lstm")
        images.append({"model": "lstm (all 28 rows)", "params": r["params"], "accuracy": est})
    ev["images"] = images
    return ev, _figure(ev)


def _figure(ev: dict) -> Figure:
    series = {}
    for kind, *_ in INPUTS:
        xs = [r["window"] for r in ev[kind]]
        series[f"ffnn, {kind}"] = {"x": xs, "y": [r["ffnn"] for r in ev[kind]], "style": "o-"}
        series[f"lstm, {kind}"] = {"x": xs, "y": [r["lstm"] for r in ev[kind]], "style": "--"}
    return plots.lines(
        series,
        "window k (steps the FFNN sees)",
        "parameters",
        logy=True,
        title=f"Parameters vs window: words (D=300) and 28×28 frames (D=784), H={H}",
    )


def decide(evidence: dict) -> Decision:
    notes = []
    for kind in ("words", "frames"):
        rows = evidence[kind]
        fit = linear_fit([r["window"] for r in rows], [r["ffnn"] for r in rows])
        if fit["slope"] <= 0:
            return refuted(f"FFNN parameters do not grow with the window ({kind})")
        if fit["r2"] <= 0.99:
            return inconclusive(
                f"FFNN parameters are not linear in k for {kind} (r²={fit['r2']:.3f})"
            )
        if len({r["lstm"] for r in rows}) != 1 or len({r["rnn"] for r in rows}) != 1:
            return inconclusive(f"recurrent parameter counts changed with k ({kind})")
        widest = max(rows, key=lambda r: r["window"])
        if widest["ffnn"] <= widest["lstm"]:
            return inconclusive(
                f"at k={widest['window']} the FFNN ({widest['ffnn']:,}) is not larger than the "
                f"LSTM ({widest['lstm']:,}) for {kind}"
            )
        notes.append(
            f"{kind}: +{fit['slope']:,.0f} parameters per extra step, FFNN k={widest['window']} "
            f"{widest['ffnn']:,} vs LSTM {widest['lstm']:,} "
            f"({widest['ffnn'] / widest['lstm']:.1f}×)"
        )
    return supported("; ".join(notes))
