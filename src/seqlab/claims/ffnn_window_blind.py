"""ffnn-window-blind: a feed-forward net sees only its window.

Experiment: the recall task (plain symbols) with the cue d inputs before the query; window
MLPs with windows k. An FFNN with k < d cannot see the cue, so the best it can do is guess.

Evidence: ``{"rows": [{"window", "distance", "sees_cue", "accuracy": est, "chance"}]}``.
"""

from __future__ import annotations

from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported

CLAIM = Claim(
    id="ffnn-window-blind",
    title="A feed-forward network is blind beyond its window",
    statement=(
        "A feed-forward net sees only its window of the last k inputs: a cue further back "
        "than k steps is lost, and its accuracy falls to chance."
    ),
    rule=(
        "supported if every FFNN whose window misses the cue (k < d) has a 95% interval that "
        "contains chance, and every FFNN whose window covers it (k ≥ d) is above chance (so "
        "the failure is blindness, not an inability to learn); refuted if any FFNN with "
        "k < d is above chance; otherwise inconclusive."
    ),
)


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    blind = [r for r in rows if not r["sees_cue"]]
    seeing = [r for r in rows if r["sees_cue"]]
    if not blind or not seeing:
        return inconclusive("the experiment needs windows both shorter and longer than d")
    leaks = [r for r in blind if r["accuracy"]["lo"] > r["chance"]]
    if leaks:
        r = leaks[0]
        return refuted(
            f"FFNN k={r['window']} at d={r['distance']} scored {fmt(r['accuracy'])}, above "
            f"chance {r['chance']:.3g}, though its window cannot contain the cue"
        )
    off = [r for r in blind if r["accuracy"]["hi"] < r["chance"]]
    weak = [r for r in seeing if r["accuracy"]["lo"] <= r["chance"]]
    if weak:
        r = weak[0]
        return inconclusive(
            f"FFNN k={r['window']} at d={r['distance']} sees the cue but only reached "
            f"{fmt(r['accuracy'])} (chance {r['chance']:.3g}): blindness cannot be told "
            "apart from a failure to learn"
        )
    if off:
        r = off[0]
        return inconclusive(
            f"FFNN k={r['window']} at d={r['distance']} is below chance ({fmt(r['accuracy'])})"
            "— an odd result that the claim does not explain"
        )
    worst_seeing = min(seeing, key=lambda r: r["accuracy"]["mean"])
    return supported(
        f"all {len(blind)} FFNNs with k < d stay at chance (intervals contain "
        f"{blind[0]['chance']:.3g}); all {len(seeing)} with k ≥ d beat it (lowest "
        f"{fmt(worst_seeing['accuracy'])})"
    )
