"""ffnn-window-blind: a feed-forward net sees only its window.

Experiment: the recall task (plain symbols) with the cue d inputs before the query; window
MLPs (FFNNs over the last k inputs) with windows k, each trained on every d of
``2 … ffnn_max_distance`` and evaluated at each d of the grid (``Runs.sweep``). An FFNN
with k < d cannot see the cue, so the best it can do is guess.

Evidence: ``{"rows": [{"window", "distance", "sees_cue", "accuracy": est, "chance"}],
"forgetting": {"ffnn-k5": forgetting distance, …}}``. Figure: recall accuracy vs d for
every window and the recurrent models, the windows marked.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, from_parts, inconclusive
from seqlab.claims.common import AT_CHANCE, Runs, recall_figure, window_parts

CLAIM = Claim(
    id="ffnn-window-blind",
    title="A feed-forward network is blind beyond its window",
    statement=(
        "A feed-forward net (a window MLP over the last k inputs) sees only its window: a cue "
        "further back than k steps is lost, and its accuracy falls to chance."
    ),
    rule=(
        "Two parts, over every window k and distance d measured (95% intervals over seeds). "
        "(1) beyond the window (d > k) the accuracy is at chance: supported if every such "
        f"interval lies within chance ± {AT_CHANCE}, refuted if any lies wholly above "
        f"chance + {AT_CHANCE} (lower end > chance + {AT_CHANCE}). (2) within the window "
        "(d ≤ k) it recalls, so the "
        "failure is blindness, not an inability to learn: supported if every such interval "
        "lies above chance, else inconclusive (a model that did not learn what it sees says "
        "nothing about what it cannot see). Otherwise inconclusive."
    ),
)


RUNS = (plan.recall_ffnn, plan.recall_recurrent)


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    rows, forgetting = [], {}
    for k in p.windows:
        label = f"ffnn-k{k}"
        sweep = runs.sweep(plan.recall_key(label, p), p.distances)
        if sweep is None:
            continue
        forgetting[label] = sweep["forgetting"]
        for row in sweep["rows"]:
            d = row["distance"]
            rows.append(
                {
                    "window": k,
                    "distance": d,
                    "sees_cue": k >= d,
                    "accuracy": row["accuracy"],
                    "chance": sweep["chance"],
                }
            )
    return {"rows": rows, "forgetting": forgetting}, recall_figure(runs, with_ffnn=True)


def decide(evidence: dict) -> Decision:
    rows = evidence["rows"]
    if not any(r["sees_cue"] for r in rows) or all(r["sees_cue"] for r in rows):
        return inconclusive("the experiment needs distances both within and beyond a window")
    return from_parts(*window_parts(rows))
