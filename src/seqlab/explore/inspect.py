"""What one model does with one input: next-step predictions, internal panels, saliency.

Panels are read generically from the model's ``Trace`` (``seqlab.models.trace``), so a new
model with a ``trace`` plugs in without changes here: every gate in ``trace.gates[layer]``
(LSTM ``i f g o``, GRU ``r z n``, or whatever names a newer core uses), the cell state
``c`` when the trace has one, and the hidden state ``h``. A model without ``trace`` (the
window MLP) shows ``a``, the activations its read-out sees (``model.features``). Each panel
is ``(H, T)``: units × steps.

Saliency says how much the output at position p depends on each step t's input vector
e_t (the embedding for token runs, the raw input otherwise). Two methods:

    occlusion (Zeiler & Fergus 2014):   s_t = y_p(e) − y_p(e with e_t ← 0)
    gradient × input (Shrikumar et al. 2016):   s_t = Σ_d e_{t,d} · ∂ y_p / ∂ e_{t,d}

    y_p = log softmax(out_p)[k], k = the top class of the intact input   (classification)
    y_p = out_p[0]                                                      (regression)

Occlusion is the default: it reads at a glance (an LSTM sure of "food" loses most of its
log-probability when "hungry" is blanked), where the gradient of a nearly certain
prediction is close to 0 everywhere. Both give exactly 0 for steps after p (every model is
causal) and for every step outside a window MLP's window: it cannot see them.
"""

from __future__ import annotations

from typing import Any

import torch

from seqlab.explore.runs import LoadedRun

TOP_K = 5
PANEL_ORDER = ("i", "f", "o", "c", "g", "r", "z", "n", "h", "a")
PANEL_LABELS = {
    "i": "input gate i",
    "f": "forget gate f",
    "o": "output gate o",
    "g": "candidate g",
    "c": "cell state c",
    "r": "reset gate r",
    "z": "update gate z",
    "n": "candidate n",
    "h": "hidden state h",
    "a": "hidden activations (window MLP)",
}


def panel_label(name: str) -> str:
    return PANEL_LABELS.get(name, f"{name}")


def _ordered(names: list[str]) -> list[str]:
    known = [n for n in PANEL_ORDER if n in names]
    return known + sorted(n for n in names if n not in PANEL_ORDER)


@torch.no_grad()
def panels_of(run: LoadedRun, x: torch.Tensor, layer: int) -> tuple[torch.Tensor, dict]:
    """``(output (B, T, O), {name: (B, T, H)})`` of one input batch at ``layer``."""
    model = run.model
    tr = model.trace(x) if model.has_trace else None
    depth = max(len(tr.hidden), len(tr.gates), len(tr.cell)) if tr is not None else 0
    if tr is None or depth == 0:  # no state to show: the activations the read-out sees
        feats = model.features(x)  # (B, T, H)
        return model.head(feats), {"a": feats}
    layer = min(layer, depth - 1)
    panels: dict[str, torch.Tensor] = dict(tr.gates[layer]) if layer < len(tr.gates) else {}
    if layer < len(tr.cell):
        panels["c"] = tr.cell[layer]
    if layer < len(tr.hidden):
        panels["h"] = tr.hidden[layer]
    panels = {n: p for n, p in panels.items() if p.dim() == 3}  # (B, T, H) ones only
    return tr.output, {n: panels[n] for n in _ordered(list(panels))}


def analyze(run: LoadedRun, x: torch.Tensor, layer: int) -> dict[str, Any]:
    """Per-step predictions and every panel of one input ``x`` (batch of one)."""
    out, panels = panels_of(run, x, layer)
    result: dict[str, Any] = {
        "panels": [
            {
                "name": name,
                "label": panel_label(name),
                "values": _round(p[0].T),  # (H, T)
            }
            for name, p in panels.items()
        ]
    }
    if run.kind == "classification":
        probs = out[0].float().softmax(-1)  # (T, O); log-probs of an adaptive head too
        p, idx = probs.topk(min(TOP_K, probs.shape[-1]), dim=-1)  # (T, K)
        result["predictions"] = [
            [{"label": run.class_label(k), "p": round(q, 5)} for q, k in zip(ps, ks, strict=True)]
            for ps, ks in zip(p.tolist(), idx.tolist(), strict=True)
        ]
    else:
        result["outputs"] = _round(out[0])  # (T, O)
    return result


def saliency(run: LoadedRun, x: torch.Tensor, position: int, method: str) -> dict[str, Any]:
    """Occlusion or gradient × input of every step for the output at ``position``."""
    model = run.model
    e = (model.embed(x) if model.embed is not None else x).detach().float()  # (1, T, E)

    def score(out: torch.Tensor, k: int | None) -> torch.Tensor:  # (B, T, O) -> (B,)
        if run.kind != "classification":
            return out[:, position, 0]
        return out[:, position].float().log_softmax(-1)[:, k]

    def forward(inputs: torch.Tensor) -> torch.Tensor:
        return model.head(model.drop(model.core(inputs)))  # (B, T, O)

    with torch.no_grad():
        out = forward(e)
    k = int(out[0, position].argmax()) if run.kind == "classification" else None
    if run.kind == "classification":
        target = run.class_label(k)
    else:
        target = f"output {float(out[0, position, 0]):.4g}"
    if method == "occlusion":
        T = e.shape[1]
        blanked = e.repeat(T, 1, 1)  # (T, T, E): row t has step t zeroed
        blanked[torch.arange(T), torch.arange(T)] = 0.0
        with torch.no_grad():
            scores = score(out, k)[0] - score(forward(blanked), k)  # (T,)
    else:
        with torch.enable_grad():
            e = e.requires_grad_(True)
            (grad,) = torch.autograd.grad(score(forward(e), k)[0], e)
        scores = (grad * e.detach()).sum(-1)[0]  # (T,)
    return {"target": target, "scores": [round(float(s), 6) for s in scores]}


def _round(t: torch.Tensor, digits: int = 4) -> list[list[float]]:
    return torch.round(t.detach().double(), decimals=digits).tolist()
