"""rnn-forgets: a plain RNN forgets information from many steps back; an LSTM keeps it.

Experiment: recall accuracy against the distance d between cue and query (RNN, LSTM, GRU,
each trained on every d of ``2 … max(distances)`` and evaluated per d, ``Runs.sweep``), and
each model's forgetting distance d½ (where its accuracy falls halfway from perfect to
chance, with a bootstrap interval); the adding problem at length T (test MSE against the
1/6 baseline) beside it.

Evidence: ``{"recall": [{"model", "distance", "accuracy": est, "chance"}], "forgetting":
{model: forgetting distance}, "adding": [{"model", "seq_len", "mse": est, "baseline",
"solved (MSE < 0.01)"}], and beside them (not read by the rule) the min-RNNs' forgetting
distances and every model per fixed distance (``common.all_models_at``)}``. Figure: recall
accuracy vs d of the recurrent models and the min-RNNs.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, from_parts, inconclusive
from seqlab.claims.common import (
    MIN_RNNS,
    Runs,
    all_models_at,
    drifts,
    fixed_distances,
    keeps_longer,
    recall_figure,
)
from seqlab.models import RECURRENT

CLAIM = Claim(
    id="rnn-forgets",
    title="A plain RNN forgets; an LSTM keeps information over long lags",
    statement=(
        "A plain RNN forgets information from many steps back, while an LSTM keeps it "
        "longer: the RNN's recall accuracy falls to halfway between perfect and chance at a "
        "shorter distance than the LSTM's."
    ),
    rule=(
        "On the recall sweep, with each model's forgetting distance d½ (accuracy falls to "
        "(1 + chance)/2; 95% bootstrap interval over seeds and test examples). (1) the RNN "
        "forgets within the distances tested: supported if the upper end of its d½ interval "
        "lies within the grid; inconclusive if it never fell that far (the report says the RNN "
        "did not drift in range). (2) the LSTM keeps the cue longer: supported if the LSTM's "
        "d½ interval lies above the RNN's (LSTM lower end > RNN upper end), refuted if it "
        "lies below, otherwise inconclusive. The adding problem is shown beside it."
    ),
)


RUNS = (plan.recall_recurrent, plan.adding)
SOLVED_MSE = 0.01


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    recall, forgetting = [], {}
    for m in RECURRENT:
        sweep = runs.sweep(plan.recall_key(m, p), p.distances)
        if sweep is None:
            continue
        forgetting[m] = sweep["forgetting"]
        for row in sweep["rows"]:
            recall.append(
                {
                    "model": m,
                    "distance": row["distance"],
                    "accuracy": row["accuracy"],
                    "chance": sweep["chance"],
                }
            )
    adding = []
    for m in RECURRENT:
        est = runs.mean_of(f"adding/{m}")
        if est is not None:
            adding.append(
                {
                    "model": m,
                    "seq_len": p.adding_len,
                    "mse": est,
                    "baseline": runs.first(f"adding/{m}")["chance"],
                    "solved (MSE < 0.01)": est["mean"] < SOLVED_MSE,
                }
            )
    newer = {}  # beside the rule: the min-RNNs' forgetting distances, every model per d
    for m in MIN_RNNS:
        sweep = runs.sweep(plan.recall_key(m, p), p.distances)
        if sweep is not None:
            newer[m] = sweep["forgetting"]
    ev = {
        "recall": recall,
        "forgetting": forgetting,
        "adding": adding,
        "beside (not in the rule): min-RNN forgetting": newer,
        "beside (not in the rule): every model per distance": all_models_at(
            runs, fixed_distances(p)
        ),
    }
    return ev, recall_figure(runs, with_ffnn=False, extra=MIN_RNNS)


def decide(evidence: dict) -> Decision:
    fg = evidence.get("forgetting") or {}
    if "rnn" not in fg or "lstm" not in fg:
        return inconclusive("the RNN and the LSTM were not both measured against distance")
    return from_parts(drifts("RNN", fg["rnn"]), keeps_longer("LSTM", fg["lstm"], "RNN", fg["rnn"]))
