"""rnn-forgets: a plain RNN forgets information from many steps back; an LSTM keeps it.

Experiment: recall accuracy against the distance d between cue and query (RNN, LSTM, GRU);
the adding problem at length T (test MSE against the 1/6 baseline).

Evidence: ``{"recall": [{"model", "distance", "accuracy": est, "chance"}],
"adding": [{"model", "seq_len", "mse": est, "baseline", "solved (MSE < 0.01)"}]}``.
Figure: recall accuracy vs d of the recurrent models.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, recall_figure
from seqlab.claims.stats import difference
from seqlab.models import RECURRENT

CLAIM = Claim(
    id="rnn-forgets",
    title="A plain RNN forgets; an LSTM keeps information over long lags",
    statement=(
        "A plain RNN forgets information from many steps back, while an LSTM keeps it: at "
        "long distances the LSTM recalls the cue and the RNN does not."
    ),
    rule=(
        "At the longest distance measured: supported if LSTM accuracy − RNN accuracy has a 95% "
        "interval above 0 and the RNN is within reach of chance there (its interval's lower end "
        "below the midpoint between chance and the LSTM's mean); refuted if the RNN is better "
        "than the LSTM (interval of the difference below 0); otherwise inconclusive. The "
        "adding problem is shown beside it as a second task."
    ),
)


RUNS = (plan.recall_recurrent, plan.adding)
SOLVED_MSE = 0.01


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    recall = []
    for m in RECURRENT:
        for d in p.distances:
            est = runs.accuracy(f"recall/{m}/d{d}")
            if est is not None:
                chance = runs.first(f"recall/{m}/d{d}")["chance"]
                recall.append({"model": m, "distance": d, "accuracy": est, "chance": chance})
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
    return {"recall": recall, "adding": adding}, recall_figure(runs, with_ffnn=False)


def decide(evidence: dict) -> Decision:
    rows = evidence["recall"]
    if not rows:
        return inconclusive("no recall accuracy was measured")
    dmax = max(r["distance"] for r in rows)
    at = {r["model"]: r for r in rows if r["distance"] == dmax}
    if "rnn" not in at or "lstm" not in at:
        return inconclusive(f"RNN and LSTM were not both run at d={dmax}")
    rnn, lstm = at["rnn"], at["lstm"]
    diff = difference(lstm["accuracy"], rnn["accuracy"])
    text = f"at d={dmax}: LSTM {fmt(lstm['accuracy'])}, RNN {fmt(rnn['accuracy'])}"
    adding = evidence.get("adding") or []
    if adding:
        text += "; adding: " + ", ".join(
            f"{r['model']} MSE {r['mse']['mean']:.3g} (baseline {r['baseline']:.3g})"
            for r in adding
        )
    if diff["hi"] < 0:
        return refuted("the RNN recalls better than the LSTM " + text)
    midpoint = (rnn["chance"] + lstm["accuracy"]["mean"]) / 2
    if diff["lo"] > 0 and rnn["accuracy"]["lo"] < midpoint:
        return supported(text)
    return inconclusive("the difference is not settled " + text)
