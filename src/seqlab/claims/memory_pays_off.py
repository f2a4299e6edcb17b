"""memory-pays-off: on long dependencies the LSTM's success justifies its cost — and the
honest converse: on short-range data a window FFNN is as good and cheaper.

Experiment: the LSTM against the FFNN with the smallest window, at the longest and the
shortest recall distance: test accuracy, and forward+backward time per step of the trained
models on a training-sized batch (``cost_repeats`` interleaved measurements, t interval).

Evidence: ``{"long": {"distance", "lstm": row, "ffnn": row}, "short": {...}}`` where a row is
``{"accuracy": est, "params": int, "window": k or None, "ms_per_step": float,
"ms_per_step_interval": est}``. Figure: accuracy of both models in both halves.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, interleaved_ms
from seqlab.claims.stats import difference
from seqlab.report import plots
from seqlab.rundir import load_model

CLAIM = Claim(
    id="memory-pays-off",
    title="Memory pays off on long dependencies — and only there",
    statement=(
        "On temporal data with long dependencies the LSTM's success justifies its cost; on "
        "short-range data a window FFNN is as good and cheaper."
    ),
    rule=(
        "supported if both halves hold: (long) the LSTM beats the window FFNN at the long "
        "distance (interval of the accuracy difference above 0); (short) at the short "
        "distance the FFNN is not worse than the LSTM (difference interval reaches 0 or the "
        "FFNN is better) while costing less time per training step. refuted if the LSTM does "
        "not beat the FFNN at the long distance or is clearly better at the short one; "
        "otherwise inconclusive."
    ),
)


RUNS = (plan.recall_ffnn, plan.recall_recurrent)
TIMING_BATCH = 64


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    k = min(p.windows)
    halves = {}
    for half, d in (("long", p.long_distance), ("short", p.short_distance)):
        rows, cases = {}, {}
        for label, name in (("lstm", "lstm"), (f"ffnn-k{k}", "ffnn")):
            r = runs.first(f"recall/{label}/d{d}")
            if r is None:
                continue
            _, model, meta = load_model(r["run_dir"])
            cases[name] = (model, TIMING_BATCH, meta["task"]["seq_len"], None)
            rows[name] = {
                "accuracy": runs.accuracy(f"recall/{label}/d{d}"),
                "params": r["params"],
                "window": k if name == "ffnn" else None,
            }
        for name, est in interleaved_ms(cases, p.cost_repeats).items():
            rows[name]["ms_per_step"] = est["mean"]
            rows[name]["ms_per_step_interval"] = est
        halves[half] = {"distance": d, **rows}
    groups = {
        f"{half} (d={h['distance']})": {n: h[n]["accuracy"] for n in ("ffnn", "lstm") if n in h}
        for half, h in halves.items()
    }
    figure = plots.bars(
        groups, "test accuracy", title=f"LSTM vs FFNN (k={k}): long and short range"
    )
    return halves, figure


def decide(evidence: dict) -> Decision:
    long, short = evidence["long"], evidence["short"]
    missing = [
        f"{m} at d={h['distance']}" for h in (long, short) for m in ("lstm", "ffnn") if m not in h
    ]
    if missing:
        return inconclusive("not measured: " + ", ".join(missing))
    d_long = difference(long["lstm"]["accuracy"], long["ffnn"]["accuracy"])
    d_short = difference(short["lstm"]["accuracy"], short["ffnn"]["accuracy"])
    f_ms = short["ffnn"].get("ms_per_step_interval")
    l_ms = short["lstm"].get("ms_per_step_interval")
    if f_ms and l_ms:  # cheaper with its interval: the difference lies below 0
        cheaper = difference(f_ms, l_ms)["hi"] < 0
    else:
        cheaper = short["ffnn"]["ms_per_step"] < short["lstm"]["ms_per_step"]
    text = (
        f"long (d={long['distance']}): LSTM {fmt(long['lstm']['accuracy'])} vs FFNN "
        f"{fmt(long['ffnn']['accuracy'])}; short (d={short['distance']}): LSTM "
        f"{fmt(short['lstm']['accuracy'])} vs FFNN {fmt(short['ffnn']['accuracy'])}, FFNN "
        f"{short['ffnn']['ms_per_step']:.3g} vs LSTM {short['lstm']['ms_per_step']:.3g} ms/step"
    )
    if d_long["hi"] <= 0 or d_short["lo"] > 0:
        return refuted(text)
    if d_long["lo"] > 0 and d_short["lo"] <= 0 and cheaper:
        return supported(text)
    return inconclusive(text)
