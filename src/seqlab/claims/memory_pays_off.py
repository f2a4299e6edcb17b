"""memory-pays-off: on long dependencies the LSTM's success justifies its cost — and the
honest converse: on short-range data a window FFNN is as good and cheaper.

Evidence: ``{"long": {"distance", "lstm": row, "ffnn": row}, "short": {...}}`` where a row is
``{"accuracy": est, "ms_per_step": float, "params": int, "window": k or None}``.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.stats import difference

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


def decide(evidence: dict) -> Decision:
    long, short = evidence["long"], evidence["short"]
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
