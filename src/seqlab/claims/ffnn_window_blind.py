"""ffnn-window-blind: a feed-forward net sees only its window.

Experiment: the recall task (plain symbols) with the cue d inputs before the query; window
MLPs with windows k. An FFNN with k < d cannot see the cue, so the best it can do is guess.

Evidence: ``{"rows": [{"window", "distance", "sees_cue", "accuracy": est, "chance"}]}``.
Figure: recall accuracy vs d for every window and the recurrent models.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, recall_figure

CLAIM = Claim(
    id="ffnn-window-blind",
    title="A feed-forward network is blind beyond its window",
    statement=(
        "A feed-forward net sees only its window of the last k inputs: a cue further back "
        "than k steps is lost, and its accuracy falls to chance."
    ),
    rule=(
        "supported if no FFNN whose window misses the cue (k < d) is above chance (the lower "
        "end of its 95% interval is at or below chance), and every FFNN whose window covers it "
        "(k ≥ d) is above chance (so "
        "the failure is blindness, not an inability to learn); refuted if any FFNN with "
        "k < d is above chance; otherwise inconclusive."
    ),
)


RUNS = (plan.recall_ffnn, plan.recall_recurrent)


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    rows = []
    for k in p.windows:
        for d in p.distances:
            est = runs.accuracy(f"recall/ffnn-k{k}/d{d}")
            if est is not None:
                chance = runs.first(f"recall/ffnn-k{k}/d{d}")["chance"]
                rows.append(
                    {
                        "window": k,
                        "distance": d,
                        "sees_cue": k >= d,
                        "accuracy": est,
                        "chance": chance,
                    }
                )
    return {"rows": rows}, recall_figure(runs, with_ffnn=True)


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
    weak = [r for r in seeing if r["accuracy"]["lo"] <= r["chance"]]
    if weak:
        r = weak[0]
        return inconclusive(
            f"FFNN k={r['window']} at d={r['distance']} sees the cue but only reached "
            f"{fmt(r['accuracy'])} (chance {r['chance']:.3g}): blindness cannot be told "
            "apart from a failure to learn"
        )
    worst_seeing = min(seeing, key=lambda r: r["accuracy"]["mean"])
    best_blind = max(blind, key=lambda r: r["accuracy"]["mean"])
    return supported(
        f"none of the {len(blind)} FFNNs with k < d beats chance {blind[0]['chance']:.3g} "
        f"(best {fmt(best_blind['accuracy'])}); all {len(seeing)} with k ≥ d beat it "
        f"(lowest {fmt(worst_seeing['accuracy'])})"
    )
