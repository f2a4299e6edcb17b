"""lstm-gates-roles: input gate admits, forget gate keeps, output gate exposes.

Experiment: a trained LSTM's gates on recall sequences, averaged over units and examples, at
the cue step, over the gap, and at the query step; plus ablations (no input / forget /
output gate, coupled input-forget) trained on the same task.

Evidence: ``{"distance", "lstm_accuracy": est, "gates": {gate: {position: est}},
"ablations": [{"model", "accuracy": est}]}`` with positions "cue", "gap", "query"; each
gate estimate is a t interval over the test examples' means (``probes.gate_statistics``).
Figure: the gates and the cell state of the LSTM trained on the Alice sentences, on one
sentence.
"""

from __future__ import annotations

from typing import Any

import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, fmt, inconclusive, refuted, supported
from seqlab.claims.common import Runs, trained_model
from seqlab.claims.stats import difference, mean_interval
from seqlab.models import ABLATIONS
from seqlab.probes import gate_matrix, gate_statistics
from seqlab.report import plots

CLAIM = Claim(
    id="lstm-gates-roles",
    title="Input gate admits, forget gate keeps, output gate exposes",
    statement=(
        "The LSTM's input gate admits new information (the cue), its forget gate keeps the "
        "cell state over the gap, and its output gate exposes the cell when it is needed."
    ),
    rule=(
        "Gates are read off an LSTM that has learned the task (test accuracy >= 0.9; else "
        "inconclusive). Three checks, each on 95% intervals over examples: (a) the input "
        "gate is more open at the cue than over the gap; (b) the forget gate over the gap is "
        "above 0.5 (at each gap step the cell keeps more than it drops); "
        "(c) the output gate is more open at the query than over the gap. supported if all "
        "three hold; refuted if any holds significantly the other way round; otherwise "
        "inconclusive. Ablation accuracies are reported beside it."
    ),
)


RUNS = (plan.recall_ablations, plan.alice)
EXAMPLES = 512  # test sequences the gates are read on
SENTENCE_SEED = 7  # which Alice sentence the figure shows


def evidence(runs: Runs) -> tuple[dict, Figure | None]:
    d = runs.profile.ablation_distance
    ev: dict[str, Any] = {"distance": d, "lstm_accuracy": runs.accuracy(f"recall/lstm/d{d}")}
    r = runs.first(f"recall/lstm/d{d}")
    if r is not None:
        _, model, task = trained_model(r)
        batch = next(iter(task.eval_batches("test", EXAMPLES)))
        with torch.no_grad():
            tr = model.trace(batch.x)
        T = batch.x.shape[1]
        positions = {
            "cue": task.cue_index(batch.x),  # (B,)
            "gap": slice(T - d + 1, T - 1),
            "query": T - 1,
        }
        stats = gate_statistics(tr, positions, gates=("i", "f", "o"))
        ev["gates"] = {
            g: {w: mean_interval(stats[w][g]["per_example"], "examples") for w in positions}
            for g in ("i", "f", "o")
        }
    ev["ablations"] = [
        {"model": m, "accuracy": est}
        for m in ("lstm", *ABLATIONS)
        if (est := runs.accuracy(f"recall/{m}/d{d}")) is not None
    ]
    return ev, _figure(runs)


def _figure(runs: Runs) -> Figure | None:
    r = runs.first("alice/lstm")
    if r is None:
        return None
    _, model, task = trained_model(r)
    words = task.sentence(
        0, runs.profile.alice_distance, torch.Generator().manual_seed(SENTENCE_SEED)
    )
    with torch.no_grad():
        tr = model.trace(torch.tensor([task.encode(words)]))
    mats = gate_matrix(tr, example=0, states=True)  # (T, H) each
    panels = {name: mats[name].T for name in ("i", "f", "o")}
    panels["cell c"] = mats["c"].T
    return plots.heatmaps(
        panels,
        words,
        title="LSTM gates and cell state on an Alice sentence (rows: units, columns: words)",
    )


def _shift(est: dict, c: float) -> dict:
    return {**est, "mean": est["mean"] - c, "lo": est["lo"] - c, "hi": est["hi"] - c}


LEARNED = 0.9  # a model below this accuracy has not learned the task: its gates mean little


def decide(evidence: dict) -> Decision:
    acc = evidence.get("lstm_accuracy")
    if acc is not None and acc["mean"] < LEARNED:
        return inconclusive(
            f"the LSTM reached only {fmt(acc)} on the task, below {LEARNED}: it has not learned "
            "it, so its gates say little about their roles"
        )
    if "gates" not in evidence:
        return inconclusive("the LSTM's gates were not measured (no trained LSTM)")
    g = evidence["gates"]
    checks = {
        "input admits (i at cue > i over gap)": difference(g["i"]["cue"], g["i"]["gap"]),
        "forget keeps (f over gap > 0.5)": _shift(g["f"]["gap"], 0.5),
        "output exposes (o at query > o over gap)": difference(g["o"]["query"], g["o"]["gap"]),
    }
    text = "; ".join(f"{name}: Δ={fmt(d)}" for name, d in checks.items())
    if any(d["hi"] < 0 for d in checks.values()):
        return refuted(text)
    if all(d["lo"] > 0 for d in checks.values()):
        return supported(text)
    return inconclusive(text)
