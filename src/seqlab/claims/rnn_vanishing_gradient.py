"""rnn-vanishing-gradient: in a plain RNN the gradient from far-back steps vanishes.

Experiment: ‖∂L/∂h_{T−1−k}‖ against the lag k for RNN, LSTM and GRU, at initialisation and
after training on the recall task; an exponential ``‖g_k‖ ≈ a·e^{−rate·k}`` fitted per model,
with a 95% bootstrap interval over examples.

Evidence: ``{"rows": [{"model", "stage" ("init"|"trained"), "rate": est, "half_life",
"spectral_radius"}], "curves": {...}}``.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.stats import difference

CLAIM = Claim(
    id="rnn-vanishing-gradient",
    title="A plain RNN's gradient vanishes over long lags",
    statement=(
        "Backpropagation through time multiplies one Jacobian per step, so in a plain RNN the "
        "gradient from far-back steps vanishes (or explodes); an LSTM's cell path keeps it."
    ),
    rule=(
        "For each stage (init, trained): the RNN's fitted decay rate must be non-zero (its "
        "95% interval excludes 0: vanishing if > 0, exploding if < 0) and exceed the LSTM's "
        "(the interval of RNN − LSTM above 0). supported if this holds after training; "
        "refuted if after training the RNN's rate is below the LSTM's (interval of the "
        "difference below 0); otherwise inconclusive."
    ),
)


def _get(rows, model, stage):
    return next((r for r in rows if r["model"] == model and r["stage"] == stage), None)


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    parts, trained_ok = [], None
    for stage in ("init", "trained"):
        rnn, lstm = _get(rows, "rnn", stage), _get(rows, "lstm", stage)
        if rnn is None or lstm is None:
            continue
        diff = difference(rnn["rate"], lstm["rate"])
        nonzero = rnn["rate"]["lo"] > 0 or rnn["rate"]["hi"] < 0
        ok = nonzero and diff["lo"] > 0
        parts.append(f"{stage}: RNN rate {fmt(rnn['rate'])}/step vs LSTM {fmt(lstm['rate'])}/step")
        if stage == "trained":
            trained_ok = ok
            if diff["hi"] < 0:
                return refuted(
                    "after training the RNN's gradient decays slower than the LSTM's: "
                    + "; ".join(parts)
                )
    if trained_ok is None:
        return inconclusive("no trained RNN/LSTM pair was measured")
    if trained_ok:
        return supported("; ".join(parts))
    return inconclusive("the intervals do not separate: " + "; ".join(parts))
