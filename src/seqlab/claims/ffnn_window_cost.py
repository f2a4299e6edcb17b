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
from seqlab.claims.base import Claim, Decision, Part, from_parts, inconclusive
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
        "Four parts, on the parameter counts of real models (hidden size 128): (1) the FFNN's "
        "count grows linearly in k for both input kinds (least-squares r² > 0.99, slope > 0; "
        "refuted if a slope is ≤ 0); (2) it grows faster for frames than for words (slope "
        "for 784-pixel frames > slope for 300-d word vectors, else refuted); (3) the RNN's "
        "and LSTM's counts are the same for every k (else refuted); (4) the FFNN whose window "
        "covers the whole sequence has more parameters than the LSTM (else inconclusive). "
        "The claim is supported only if all four parts are, refuted if any is."
    ),
)


RUNS = (plan.images,)
PARTS = (
    "the FFNN grows linearly with its window",
    "it grows faster for big inputs (frames)",
    "the RNN and LSTM do not grow with the sequence",
    "a whole-sequence window is larger than the LSTM",
)
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
    fits, parts = {}, []
    for kind in ("words", "frames"):
        rows = evidence.get(kind) or []
        if len(rows) < 2:
            return inconclusive(f"fewer than two windows measured for {kind}")
        fits[kind] = linear_fit([r["window"] for r in rows], [r["ffnn"] for r in rows])
    text = "; ".join(
        f"{kind}: +{f['slope']:,.0f} parameters per step of window, r²={f['r2']:.4f}"
        for kind, f in fits.items()
    )
    if any(f["slope"] <= 0 for f in fits.values()):
        parts.append(Part(PARTS[0], "refuted", text))
    else:
        ok = all(f["r2"] > 0.99 for f in fits.values())
        parts.append(Part(PARTS[0], "supported" if ok else "inconclusive", text))
    words, frames = fits["words"]["slope"], fits["frames"]["slope"]
    text = f"{frames:,.0f} per step for 784-pixel frames vs {words:,.0f} for 300-d words"
    parts.append(Part(PARTS[1], "supported" if frames > words else "refuted", text))
    fixed = all(len({r[m] for r in evidence[kind]}) == 1 for kind in fits for m in ("rnn", "lstm"))
    widest = {k: max(evidence[k], key=lambda r: r["window"]) for k in fits}
    text = ", ".join(
        f"{k}: LSTM {w['lstm']:,}, RNN {w['rnn']:,} for every k" for k, w in widest.items()
    )
    parts.append(Part(PARTS[2], "supported" if fixed else "refuted", text))
    text = ", ".join(
        f"{k}: FFNN k={w['window']} {w['ffnn']:,} vs LSTM {w['lstm']:,} "
        f"({w['ffnn'] / w['lstm']:.1f}×)"
        for k, w in widest.items()
    )
    larger = all(w["ffnn"] > w["lstm"] for w in widest.values())
    parts.append(Part(PARTS[3], "supported" if larger else "inconclusive", text))
    return from_parts(*parts)
