"""memory-pays-off: on long dependencies the LSTM's success justifies its cost — and the
honest converse: on short-range data a window FFNN is as good and cheaper.

Experiment: the LSTM against the window MLP with the smallest window k (FFNN(k)) on the
recall sweep: accuracy at the longest distance both were measured at (beyond the window),
and at the longest distance within the window (d ≤ k); forward+backward time per time step
of the two trained models on a training-sized batch of the FFNN's sequence length
(``cost_repeats`` interleaved measurements, t interval).

Evidence: ``{"long": {"distance", "lstm": row, "ffnn": row}, "short": {...}}`` where a row is
``{"accuracy": est, "params": int, "window": k or None, "ms_per_step": float,
"ms_per_step_interval": est}``, and beside them (not read by the rule, which is about the
window MLP) every model's accuracy and parameters at those distances and at the fixed
distances where the TCN and the Transformer were trained (``common.all_models_at``).
Figure: accuracy of both models in both halves.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, fmt, from_parts, inconclusive
from seqlab.claims.common import Runs, all_models_at, fixed_distances, interleaved_ms
from seqlab.claims.stats import difference
from seqlab.report import plots
from seqlab.rundir import load_model

AS_GOOD = 0.05  # "as good": the LSTM's accuracy lead has a 95% interval below this

CLAIM = Claim(
    id="memory-pays-off",
    title="Memory pays off on long dependencies — and only there",
    statement=(
        "On temporal data with long dependencies the LSTM's success justifies its cost; on "
        "short-range data a window FFNN (window MLP) is as good and cheaper."
    ),
    rule=(
        "Three parts, LSTM against the window MLP of the smallest window k on the recall sweep "
        "(95% intervals over seeds). (1) long range: at the longest distance both were "
        "measured at (d > k) the LSTM is more accurate: supported if the interval of LSTM − "
        "FFNN lies above 0, refuted if below 0. (2) short range, as good: at the longest "
        f"d ≤ k the interval of LSTM − FFNN lies below {AS_GOOD} (supported) or above it "
        "(refuted). (3) short range, cheaper: the FFNN's forward+backward time per step is "
        "below the LSTM's (interval of the difference below 0; refuted if above 0). "
        "Otherwise each part is inconclusive; supported only if all three are."
    ),
)


RUNS = (plan.recall_ffnn, plan.recall_recurrent)
TIMING_BATCH = 64
TIMING_DEPENDENT = ("*.*.ms_per_step", "*.*.ms_per_step_interval")
TIMING_PARTS = ("the window MLP is cheaper per training step",)


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    k = min(p.windows)
    labels = {"lstm": "lstm", "ffnn": f"ffnn-k{k}"}
    sweeps = {n: runs.sweep(plan.recall_key(label, p), p.distances) for n, label in labels.items()}
    if any(s is None for s in sweeps.values()):
        return {"long": {}, "short": {}}, None
    acc = {n: {r["distance"]: r["accuracy"] for r in s["rows"]} for n, s in sweeps.items()}
    both = sorted(set(acc["lstm"]) & set(acc["ffnn"]))
    ds = {"long": max(both), "short": max(d for d in both if d <= k)}
    models, T = {}, None
    for name, label in labels.items():
        r = runs.first(plan.recall_key(label, p))
        _, model, meta = load_model(r["run_dir"])
        models[name] = (model, r["params"])
        if name == "ffnn":
            T = meta["task"]["seq_len"]
    ms = interleaved_ms(
        {n: (m, TIMING_BATCH, T, None) for n, (m, _) in models.items()}, p.cost_repeats
    )
    halves = {}
    for half, d in ds.items():
        halves[half] = {"distance": d, "seq_len": T}
        for name in labels:
            halves[half][name] = {
                "accuracy": acc[name][d],
                "params": models[name][1],
                "window": k if name == "ffnn" else None,
                "ms_per_step": ms[name]["mean"],
                "ms_per_step_interval": ms[name],
            }
    # beside the rule, which is about the window MLP: the strongest feed-forward models (a
    # dilated TCN, a causal Transformer) and the min-RNNs, wherever the suite trained them
    ds_all = tuple(sorted({*fixed_distances(p), *ds.values()}))
    halves["beside (not in the rule): every model per distance"] = all_models_at(runs, ds_all)
    groups = {
        f"{half} (d={h['distance']})": {n: h[n]["accuracy"] for n in ("ffnn", "lstm")}
        for half, h in halves.items()
        if half in ds
    }
    figure = plots.bars(
        groups, "test accuracy", title=f"LSTM vs window MLP (k={k}): long and short range"
    )
    return halves, figure


def decide(evidence: dict) -> Decision:
    long, short = evidence["long"], evidence["short"]
    missing = [
        h.get("distance", half)
        for half, h in ((half, evidence.get(half, {})) for half in ("long", "short"))
        if "lstm" not in h or "ffnn" not in h
    ]
    if missing:
        return inconclusive(f"the LSTM and the window MLP were not both measured ({missing})")
    k = short["ffnn"]["window"]

    d_long = difference(long["lstm"]["accuracy"], long["ffnn"]["accuracy"])
    text = (
        f"d={long['distance']}: LSTM {fmt(long['lstm']['accuracy'])}, FFNN(k={k}) "
        f"{fmt(long['ffnn']['accuracy'])}, difference {fmt(d_long)}"
    )
    v = "supported" if d_long["lo"] > 0 else "refuted" if d_long["hi"] < 0 else "inconclusive"
    pays = Part("the LSTM is more accurate beyond the window", v, text)

    d_short = difference(short["lstm"]["accuracy"], short["ffnn"]["accuracy"])
    text = (
        f"d={short['distance']}: LSTM {fmt(short['lstm']['accuracy'])}, FFNN(k={k}) "
        f"{fmt(short['ffnn']['accuracy'])}, LSTM − FFNN {fmt(d_short)} (margin {AS_GOOD})"
    )
    v = (
        "supported"
        if d_short["hi"] < AS_GOOD
        else "refuted"
        if d_short["lo"] > AS_GOOD
        else "inconclusive"
    )
    good = Part("the window MLP is as accurate within its window", v, text)

    f_ms, l_ms = short["ffnn"]["ms_per_step_interval"], short["lstm"]["ms_per_step_interval"]
    d_ms = difference(f_ms, l_ms)
    text = f"FFNN {fmt(f_ms)} vs LSTM {fmt(l_ms)} ms per time step (T={short.get('seq_len')})"
    v = "supported" if d_ms["hi"] < 0 else "refuted" if d_ms["lo"] > 0 else "inconclusive"
    cheaper = Part(TIMING_PARTS[0], v, text)
    return from_parts(pays, good, cheaper)
