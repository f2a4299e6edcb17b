"""lstm-gates-roles: the input gate writes the cue, the forget gate keeps it, the output gate
reads it out — tested causally, on trained LSTMs, at inference.

Experiment: the LSTMs trained on recall (plain symbols) at the ablation distance d, one per
seed. On the test set each is run with one gate held at 0 at one step
(``seqlab.probes.interventions``), and with the same clamp at a control step where that role
should not matter:

    part     clamp    at the role's step             control step
    input    i = 0    the cue (not written)          the middle of the gap
    forget   f = 0    the middle of the gap (wiped)  the step before the cue
    output   o = 0    the query (cell hidden)        the middle of the gap

Units, not means over all units: each unit's cue selectivity η² (the share of its cell
state's variance across examples that the cue's class explains, ``probes.cue_selectivity``)
at every step from the cue to the step before the query, read on the validation set; then
on the test set the k = H/8 most selective units are switched off (c = 0 at every step)
against k units drawn at random among the rest. The LSTM ablations trained from scratch (no
input / forget / output gate, coupled) are reported beside each part.

Evidence: ``{"distance", "seeds", "lstm_accuracy": est, "clean": est, "interventions":
{part: {"gate", "at", "control_at", "intervention": est, "control": est, "effect": est}},
"units": {...}, "ablations": [{"model", "accuracy": est}]}``; ``effect`` = accuracy at the
control minus accuracy at the role's step, paired per seed (t over seeds; over examples when
there is one seed). Figure: accuracy per intervention vs its control, and the units' cue
selectivity across the gap.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, fmt, from_parts, inconclusive
from seqlab.claims.common import Runs, trained_model
from seqlab.claims.stats import accuracy_interval, mean_interval
from seqlab.models import ABLATIONS
from seqlab.probes import Clamp, clamped_correct, cue_selectivity, run_lstm
from seqlab.report import plots

LEARNED = 0.9  # a model below this accuracy has not learned the task: its gates mean little
MARGIN = 0.1  # an effect must cost at least 10 accuracy points more than its control
MIN_SEEDS = 3  # a verdict rests on intervals over seeds, not on one trained network

CLAIM = Claim(
    id="lstm-gates-roles",
    title="Input gate writes the cue, forget gate keeps it, output gate reads it out",
    statement=(
        "In an LSTM that has learned to recall a cue, the input gate writes the cue into the "
        "cell, the forget gate keeps it there over the gap, and the output gate reads it out "
        "at the query: closing each gate at its step costs accuracy, closing it elsewhere "
        "does not."
    ),
    rule=(
        f"On LSTMs that learned the task (test accuracy >= {LEARNED}; else inconclusive), "
        f"with >= {MIN_SEEDS} seeds (else inconclusive). Each part compares accuracy with the "
        "gate held at 0 at its step against the same clamp at a control step (input: i = 0 at "
        "the cue vs mid-gap; forget: f = 0 mid-gap vs the step before the cue; output: o = 0 "
        "at the query vs mid-gap); effect = control − intervention, 95% t interval over seeds. "
        f"A part is supported if the effect's interval lies above {MARGIN}, refuted if it lies "
        f"below {MARGIN} (the gate is not needed there), otherwise inconclusive. The claim is "
        "supported if all three parts are, refuted if any is. The ablations trained without "
        "a gate are reported in each part, not decided on: they test whether a network can "
        "learn the task another way, not what a full LSTM's gate does."
    ),
)


RUNS = (plan.recall_ablations,)
EXAMPLES = 1000  # test (and validation) sequences per seed
UNIT_SHARE = 8  # the k = H / 8 most selective units are switched off
PARTS = {  # part -> (gate, the role's step, the control step, ablation without that gate)
    "input": ("i", "cue", "mid-gap", "lstm-nig"),
    "forget": ("f", "mid-gap", "pre-cue", "lstm-nfg"),
    "output": ("o", "query", "mid-gap", "lstm-nog"),
}
CLAUSES = {
    "input": "the input gate writes the cue",
    "forget": "the forget gate keeps it over the gap",
    "output": "the output gate reads it out at the query",
}


def _steps(cue: torch.Tensor, T: int) -> dict[str, torch.Tensor]:
    """The steps the clamps go to, per example ``(B,)``."""
    if bool((cue < 1).any()) or bool((cue > T - 4).any()):
        raise ValueError("the interventions need a step before the cue and a gap of >= 2 steps")
    return {
        "cue": cue,
        "pre-cue": cue - 1,
        "mid-gap": cue + (T - 1 - cue) // 2,  # the middle of the gap, strictly inside it
        "query": torch.full_like(cue, T - 1),
    }


def _batch(task, split: str):
    return next(iter(task.eval_batches(split, EXAMPLES)))


def _selectivity(model, task) -> np.ndarray:
    """``(K, H)`` η² of each unit's cell state at the K steps from the cue to the step before
    the query (validation set)."""
    b = _batch(task, "valid")
    cue = task.cue_index(b.x)  # (B,)
    with torch.no_grad():
        cell = run_lstm(model.core, model._inputs(b.x)).cell[0]  # (B, T, H)
    K = int((b.x.shape[1] - 1 - cue).min())
    idx = (cue[:, None] + torch.arange(K)[None, :])[..., None].expand(-1, -1, cell.shape[-1])
    labels = b.y[torch.arange(b.x.shape[0]), -1]  # the answer is the cue's class
    return cue_selectivity(cell.gather(1, idx), labels)  # (K, H)


def _one_seed(r: dict) -> dict[str, Any]:
    """Per-example correctness of every clamp, and the unit analysis, for one trained LSTM."""
    cfg, model, task = trained_model(r)
    model.eval()  # inference: no dropout
    b = _batch(task, "test")
    T = b.x.shape[1]
    at = _steps(task.cue_index(b.x), T)
    correct = {"clean": clamped_correct(model, b)}
    for part, (gate, role, control, _) in PARTS.items():
        correct[f"{part}@role"] = clamped_correct(model, b, (Clamp(gate, at[role]),))
        correct[f"{part}@control"] = clamped_correct(model, b, (Clamp(gate, at[control]),))
    eta = _selectivity(model, task)  # (K, H)
    per_unit = eta.mean(axis=0)  # (H,) selectivity over the gap
    H = per_unit.size
    k = max(1, H // UNIT_SHARE)
    top = np.argsort(-per_unit, kind="stable")[:k]
    rest = np.setdiff1d(np.arange(H), top)
    g = torch.Generator().manual_seed(cfg.seed)
    rand = rest[torch.randperm(rest.size, generator=g)[:k].numpy()]
    for name, units in (("top units", top), ("random units", rand)):
        mask = torch.zeros(H, dtype=torch.bool)
        mask[torch.as_tensor(units)] = True
        correct[name] = clamped_correct(model, b, (Clamp("c", None, units=mask),))
    return {"correct": correct, "eta": eta, "per_unit": per_unit, "top": top.tolist(), "k": k}


def _accuracy(per_seed: list[torch.Tensor]) -> dict:
    """Accuracy: t over seeds (>= 2), else Wilson over the one seed's examples."""
    accs = [float(c.double().mean()) for c in per_seed]
    return accuracy_interval(accs, per_seed[0].numel())


def _effect(control: list[torch.Tensor], treated: list[torch.Tensor]) -> dict:
    """Accuracy at the control minus with the intervention, paired on the same examples:
    t over seeds (>= 2 seeds), else t over the one seed's examples."""
    diffs = [(c.double() - t.double()) for c, t in zip(control, treated, strict=True)]
    if len(diffs) >= 2:
        return mean_interval([float(d.mean()) for d in diffs], "seeds")
    return mean_interval(diffs[0].tolist(), "examples (1 seed)")


def evidence(runs: Runs) -> tuple[dict, Figure | None]:
    p = runs.profile
    d = p.ablation_distance
    ev: dict[str, Any] = {
        "distance": d,
        "lstm_accuracy": runs.accuracy(f"recall/lstm/d{d}"),
        "ablations": [
            {"model": m, "accuracy": est}
            for m in ("lstm", *ABLATIONS)
            if (est := runs.accuracy(f"recall/{m}/d{d}")) is not None
        ],
    }
    seeds = [_one_seed(r) for r in runs.seeds(f"recall/lstm/d{d}")]
    ev["seeds"] = len(seeds)
    if not seeds:
        return ev, None
    col = {name: [s["correct"][name] for s in seeds] for name in seeds[0]["correct"]}
    ev["clean"] = _accuracy(col["clean"])
    ev["interventions"] = {
        part: {
            "gate": gate,
            "at": role,
            "control_at": control,
            "intervention": _accuracy(col[f"{part}@role"]),
            "control": _accuracy(col[f"{part}@control"]),
            "effect": _effect(col[f"{part}@control"], col[f"{part}@role"]),
        }
        for part, (gate, role, control, _) in PARTS.items()
    }
    per_unit = np.stack([s["per_unit"] for s in seeds])  # (seeds, H)
    ev["units"] = {
        "k": seeds[0]["k"],
        "top_units": [s["top"] for s in seeds],
        "top_ablated": _accuracy(col["top units"]),
        "random_ablated": _accuracy(col["random units"]),
        "effect": _effect(col["random units"], col["top units"]),
        "selectivity_sorted": np.sort(per_unit, axis=1)[:, ::-1].tolist(),
        "top_share": _top_share(per_unit, seeds[0]["k"]),
    }
    return ev, _figure(ev, seeds[0]["eta"], runs.first(f"recall/lstm/d{d}")["chance"])


def _top_share(per_unit: np.ndarray, k: int) -> dict:
    """The share of all units' selectivity held by the k most selective, over seeds."""
    top = np.sort(per_unit, axis=1)[:, ::-1][:, :k].sum(axis=1)
    total = np.maximum(per_unit.sum(axis=1), 1e-300)
    return mean_interval((top / total).tolist(), "seeds")


def _figure(ev: dict, eta: np.ndarray, chance: float) -> Figure:
    iv, u = ev["interventions"], ev["units"]
    groups = {
        f"{v['gate']}=0\n{v['at']}\nvs {v['control_at']}": {
            "at the role's step": v["intervention"],
            "at the control step": v["control"],
        }
        for part, v in iv.items()
    }
    groups[f"c=0, {u['k']} units\nmost selective\nvs random"] = {
        "at the role's step": u["top_ablated"],
        "at the control step": u["random_ablated"],
    }
    fig = plots.bars(
        groups,
        "test accuracy",
        title=f"Gate clamped at its step vs a control step (recall d={ev['distance']}, "
        f"{ev['seeds']} seed(s), 95% intervals)",
        hline={"chance": chance},
    )
    ax = plots.add_panel(fig)
    order = np.argsort(-eta.mean(axis=0), kind="stable")
    im = ax.imshow(eta[:, order].T, aspect="auto", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xlabel("steps after the cue")
    ax.set_ylabel("unit (most selective first)")
    ax.set_title("Cue selectivity η² of each unit's cell (first seed)")
    fig.colorbar(im, ax=ax, label="η²")
    return fig


def _part(name: str, est: dict, ablation: dict | None, model: str) -> Part:
    v = est["effect"]
    numbers = (
        f"accuracy {fmt(est['intervention'])} with {est['gate']}=0 at {est['at']} vs "
        f"{fmt(est['control'])} at {est['control_at']}; effect {fmt(v)}"
    )
    if ablation is not None:
        numbers += f"; trained without it ({model}): {fmt(ablation)}"
    if v["lo"] > MARGIN:
        return Part(CLAUSES[name], "supported", numbers)
    if v["hi"] < MARGIN:
        return Part(CLAUSES[name], "refuted", numbers)
    return Part(CLAUSES[name], "inconclusive", numbers)


def decide(evidence: dict) -> Decision:
    acc = evidence.get("lstm_accuracy")
    if acc is not None and acc["mean"] < LEARNED:
        return inconclusive(
            f"the LSTM reached only {fmt(acc)} on the task, below {LEARNED}: it has not learned "
            "it, so its gates say little about their roles"
        )
    if "interventions" not in evidence:
        return inconclusive("no trained LSTM: the interventions were not run")
    abl = {r["model"]: r["accuracy"] for r in evidence.get("ablations") or []}
    parts = [
        _part(name, evidence["interventions"][name], abl.get(model), model)
        for name, (_, _, _, model) in PARTS.items()
    ]
    decision = from_parts(*parts)
    n = evidence.get("seeds", 0)
    if n < MIN_SEEDS:
        return Decision(
            "inconclusive",
            f"only {n} seed(s): a verdict needs intervals over >= {MIN_SEEDS} trained networks; "
            + decision.reason,
            decision.parts,
        )
    return decision
