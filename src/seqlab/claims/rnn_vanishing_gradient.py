"""rnn-vanishing-gradient: in a plain RNN the gradient from far-back steps vanishes.

Experiment: ‖∂L/∂h_{T−1−k}‖ against the lag k for RNN, LSTM and GRU, at initialisation and
after training on the recall task at the longest distance; an exponential
``‖g_k‖ ≈ a·e^{−rate·k}`` fitted on each of ``grad_batches`` independent batches, the
interval Student's t over those batches. Beside it the decay rate of
‖∂h_{T−1}/∂x_{T−1−k}‖ (one batch), and the RNN trained without clipping.

Evidence: ``{"distance", "rows": [{"model", "stage" ("init"|"trained"), "rate": est,
"half_life", "spectral_radius", "input_jacobian_rate", "clipping"}]}``.
Figure: the mean gradient norm vs lag of every model and stage.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, seeded_model, trained_model
from seqlab.claims.stats import difference, mean_interval
from seqlab.models import RECURRENT
from seqlab.probes import fit_decay, hidden_grad_norms, input_jacobian_norms, spectral_radius
from seqlab.report import plots

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


RUNS = (plan.recall_recurrent, plan.recall_noclip)
BATCH = 64  # examples per gradient batch


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    d = p.long_distance
    rows, series = [], {}
    for m in (*RECURRENT, "rnn-noclip"):
        r = runs.first(f"recall/{m}/d{d}")
        if r is None:
            continue
        cfg, trained, task = trained_model(r)
        fresh = seeded_model(
            cfg.model_spec(task.seq_len),
            cfg.seed,
            input_size=task.input_size,
            output_size=task.output_size,
            vocab_size=task.vocab_size,
        )
        g = torch.Generator().manual_seed(12345)
        batches = [task.train_batch(BATCH, g) for _ in range(p.grad_batches)]
        stages = (
            (("trained", trained),)
            if m == "rnn-noclip"
            else (("init", fresh), ("trained", trained))
        )
        for stage, model in stages:
            curves = np.stack([hidden_grad_norms(model, b, task.kind) for b in batches])  # (n, T)
            lags = np.arange(curves.shape[1])
            jac = input_jacobian_norms(model, batches[0].x, path="fused")  # (T,)
            rates = [fit_decay(lags, c)["rate"] for c in curves]
            rates = [x for x in rates if math.isfinite(x)]
            nan = float("nan")
            est = (
                mean_interval(rates, "independent batches")
                if rates
                else {"mean": nan, "lo": nan, "hi": nan, "n": 0}
            )
            rho = spectral_radius(model)
            rows.append(
                {
                    "model": m,
                    "stage": stage,
                    "rate": est,
                    "half_life": math.log(2) / est["mean"] if est["mean"] > 0 else float("inf"),
                    "spectral_radius": rho if isinstance(rho, float) else max(rho.values()),
                    "input_jacobian_rate": fit_decay(lags, jac)["rate"],
                    "clipping": cfg.clip or None,
                }
            )
            series[f"{m}, {stage}"] = {
                "x": lags.tolist(),
                "y": curves.mean(axis=0).tolist(),
                "style": "-" if stage == "trained" else ":",
            }
    figure = plots.lines(
        series,
        "lag k (steps back from the query)",
        "‖∂L/∂h_{T−1−k}‖",
        logy=True,
        title=f"Gradient norm vs lag (recall, d={d})",
    )
    return {"rows": rows, "distance": d}, figure


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
