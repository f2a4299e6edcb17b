"""rnn-vanishing-gradient: backpropagation through time multiplies one Jacobian per step, so a
plain RNN's gradient decays exponentially with the lag; the LSTM's cell path carries it.

Experiment: recall at the longest distance, RNN and LSTM (GRU beside them), every seed of the
profile, at four stages of one training trajectory: at initialisation (the trainer's own
initial weights), after ``CHECKPOINTS`` shares of the training steps (runs of the same
config stopped there: the schedule is constant and the batches come from the run's seed,
so they are that trajectory's checkpoints), and trained (the run's kept weights). At each,
on the same ``grad_batches`` × 64 training sequences:

* ‖∂L/∂s_{T−1−k}‖ against the lag k for the whole recurrent state s (h; the LSTM's
  ``(h, c)``: its memory is the cell), ``probes.state_grad_norms``, and the exponential
  ``‖g_k‖ ≈ a·e^{−rate·k}`` fitted to it (``probes.fit_decay``); ‖∂L/∂h‖ alone beside it;
* the per-step Jacobian ‖∂s_t/∂s_{t−1}‖₂ (geometric mean over steps,
  ``probes.state_jacobian_norms``), the factor BPTT multiplies by at each step, and the
  spectral radius of W_hh (the LSTM / GRU: the largest of its gate blocks').

Every number is one value per seed; intervals are Student's t over seeds. The RNN trained
without clipping is shown beside it.

Evidence: ``{"distance", "seq_len", "threshold", "seeds", "rows": [{"model", "stage",
"steps", "rate": est, "per_seed", "r2", "hidden_rate": est, "jacobian": est,
"spectral_radius": est, "clipping"}]}``. Figure: gradient norm vs lag per model and stage;
beside it the Jacobian norms and spectral radii through training.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, combine, fmt, from_parts, inconclusive
from seqlab.claims.common import Runs, trained_model
from seqlab.claims.profiles import Profile
from seqlab.claims.stats import mean_interval
from seqlab.models import RECURRENT
from seqlab.probes import fit_decay, spectral_radius, state_grad_norms, state_jacobian_norms
from seqlab.probes.gradients import hidden_grad_norms
from seqlab.report import plots
from seqlab.train import init_model

MIN_SEEDS = 3  # a verdict rests on intervals over seeds, not on one trained network
CHECKPOINTS = (0.1, 0.3)  # during training: after these shares of the recall steps
DECIDED = ("rnn", "lstm")  # the pair the statement compares (GRU is shown beside)

CLAIM = Claim(
    id="rnn-vanishing-gradient",
    title="A plain RNN's gradient vanishes over long lags; the LSTM's cell carries it",
    statement=(
        "Backpropagation through time multiplies one Jacobian per step, so in a plain RNN the "
        "gradient from far-back steps decays exponentially with the lag (or explodes); an "
        "LSTM's cell path carries it further."
    ),
    rule=(
        f"With >= {MIN_SEEDS} seeds (else inconclusive), at every stage (init, during training, "
        "trained), on the decay rate r of ‖∂L/∂s_{T−1−k}‖ (s the whole state) fitted per seed, "
        "95% t intervals over seeds, τ = ln 2 / T (a factor 2 over the whole sequence). "
        "(a) the RNN's gradient decays (or explodes) exponentially: supported at a stage if "
        "its r lies above τ (or below −τ), refuted if it lies within (−τ, τ). "
        "(b) the LSTM carries it further: r_RNN − r_LSTM, paired by seed, supported if it "
        "lies above τ, refuted if below 0 (the LSTM's decays faster). Each part is supported "
        "if it is at every stage, refuted if at any; the claim is supported if both parts "
        "are, refuted if either is."
    ),
)


def checkpoint_steps(p: Profile) -> tuple[int, ...]:
    """The distinct training steps the ``CHECKPOINTS`` shares of ``p.recall_steps`` fall on."""
    return tuple(sorted({max(1, round(share * p.recall_steps)) for share in CHECKPOINTS}))


def recall_checkpoints(p: Profile) -> dict[str, dict]:
    """RNN and LSTM at the longest distance stopped after ``CHECKPOINTS`` shares of the
    recall steps, validated only at their last step (so the weights kept are that step's)."""
    d = p.long_distance
    full = plan.recall_recurrent(p)
    runs = {}
    for seed in p.seeds:
        for m in DECIDED:
            for steps in checkpoint_steps(p):
                flat = {**full[f"recall/{m}/d{d}/s{seed}"], "steps": steps, "eval_every": steps}
                runs[f"recall/{m}/d{d}/t{steps}/s{seed}"] = flat
    return runs


RUNS = (plan.recall_recurrent, plan.recall_noclip, recall_checkpoints)
BATCH = 64  # examples per gradient batch
JACOBIAN_EXAMPLES = 16  # examples the per-step Jacobians are taken on


def _measure(model, batches, kind: str) -> dict[str, Any]:
    """One model at one stage of one seed: the state-gradient curve and its fitted rate, the
    hidden-state rate, the per-step Jacobian (geometric mean) and the spectral radius."""
    curve = np.mean([state_grad_norms(model, b, kind) for b in batches], axis=0)  # (T,)
    hidden = np.mean([hidden_grad_norms(model, b, kind) for b in batches], axis=0)
    lags = np.arange(curve.size)
    fit = fit_decay(lags, curve)
    jac = state_jacobian_norms(model, batches[0].x[:JACOBIAN_EXAMPLES])  # (T,)
    rho = spectral_radius(model)
    return {
        "curve": curve,
        "rate": fit["rate"],
        "r2": fit["r2"],
        "hidden_rate": fit_decay(lags, hidden)["rate"],
        "jacobian": float(np.exp(np.mean(np.log(np.maximum(jac, 1e-300))))),
        "spectral_radius": rho if isinstance(rho, float) else max(rho.values()),
    }


def _stages(runs: Runs, m: str, d: int) -> list[tuple[str, int | None, str]]:
    """``(stage, steps, run prefix)`` of model ``m``; ``init`` reads the trained run's config."""
    p = runs.profile
    if m == "rnn-noclip":
        return [("trained", p.recall_steps, f"recall/{m}/d{d}")]
    stages = [("init", 0, f"recall/{m}/d{d}")]
    if m in DECIDED:
        for steps in checkpoint_steps(p):
            stages.append((f"step {steps}", steps, f"recall/{m}/d{d}/t{steps}"))
    return [*stages, ("trained", p.recall_steps, f"recall/{m}/d{d}")]


def _interval(values: list[float]) -> dict:
    values = [v for v in values if math.isfinite(v)]
    if not values:
        nan = float("nan")
        return {"mean": nan, "lo": nan, "hi": nan, "n": 0, "method": "no finite value"}
    return mean_interval(values, "seeds")


def _measure_run(r: dict, init: bool, grad_batches: int) -> dict[str, Any]:
    """``_measure`` on run ``r``'s kept weights (``init``: on its initial weights), with
    ``grad_batches`` training batches drawn from a fixed seed; also the task's T and the
    run's clipping. Module-level, so ``Runs.map`` can run it in a worker process."""
    cfg, model, task = trained_model(r)
    if init:
        model = init_model(cfg, task)
    g = torch.Generator().manual_seed(12345)
    batches = [task.train_batch(BATCH, g) for _ in range(grad_batches)]
    return {**_measure(model, batches, task.kind), "T": task.seq_len, "clip": cfg.clip}


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    d = p.long_distance
    cells = [
        (m, stage, steps, r)
        for m in (*RECURRENT, "rnn-noclip")
        for stage, steps, prefix in _stages(runs, m, d)
        for r in runs.seeds(prefix)
    ]  # every (model, stage, seed) is measured independently: in runs.jobs processes
    measured = runs.map(
        _measure_run,
        [r for *_, r in cells],
        [stage == "init" for _, stage, _, _ in cells],
        [p.grad_batches] * len(cells),
    )
    rows, curves, T = [], {}, None
    groups: dict[tuple[str, str], tuple[int | None, list[dict]]] = {}
    for (m, stage, steps, _), s in zip(cells, measured, strict=True):
        groups.setdefault((m, stage), (steps, []))[1].append(s)
        T = s["T"]
    for (m, stage), (steps, per_seed) in groups.items():
        rows.append(
            {
                "model": m,
                "stage": stage,
                "steps": steps,
                "rate": _interval([s["rate"] for s in per_seed]),
                "per_seed": [s["rate"] for s in per_seed],
                "r2": float(np.mean([s["r2"] for s in per_seed])),
                "hidden_rate": _interval([s["hidden_rate"] for s in per_seed]),
                "jacobian": _interval([s["jacobian"] for s in per_seed]),
                "spectral_radius": _interval([s["spectral_radius"] for s in per_seed]),
                "clipping": per_seed[-1]["clip"] or None,
            }
        )
        curves[(m, stage)] = np.mean([s["curve"] for s in per_seed], axis=0)
    ev = {
        "distance": d,
        "seq_len": T,
        "threshold": math.log(2) / T if T else float("nan"),
        "seeds": len(p.seeds),
        "rows": rows,
    }
    return ev, _figure(ev, curves)


STYLE = {"init": ":", "trained": "-"}  # stages during training: dashed


def _figure(ev: dict, curves: dict) -> Figure:
    series = {}
    for (m, stage), y in curves.items():
        if m in DECIDED:  # the others are in the evidence
            series[f"{m}, {stage}"] = {
                "x": list(range(len(y))),
                "y": y.tolist(),
                "style": STYLE.get(stage, "--"),
            }
    fig = plots.lines(
        series,
        "lag k (steps back from the query)",
        "‖∂L/∂s_{T−1−k}‖ (s: h, or the LSTM's (h, c))",
        logy=True,
        title=f"Gradient vs lag, mean over {ev['seeds']} seed(s) (recall, d={ev['distance']})",
    )
    ax = plots.add_panel(fig)
    for m in DECIDED:
        rs = [r for r in ev["rows"] if r["model"] == m]
        x = [r["steps"] for r in rs]
        for key, label, fmt_ in (
            ("jacobian", "‖∂s_t/∂s_{t−1}‖₂", "o-"),
            ("spectral_radius", "ρ(W_hh)", "s--"),
        ):
            est = [r[key] for r in rs]
            y = np.array([e["mean"] for e in est])
            err = np.array([[e["mean"] - e["lo"] for e in est], [e["hi"] - e["mean"] for e in est]])
            ax.errorbar(x, y, yerr=err, fmt=fmt_, capsize=3, label=f"{m}: {label}")
    ax.axhline(1.0, color=plots.GREY, linewidth=1.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("training steps")
    ax.set_ylabel("per-step factor (geometric mean over steps)")
    ax.set_title("What BPTT multiplies by per step")
    ax.legend(loc="best", fontsize=8)
    return fig


def _get(rows: list[dict], model: str, stage: str) -> dict | None:
    return next((r for r in rows if r["model"] == model and r["stage"] == stage), None)


def _exponential(rnn: dict, tau: float) -> str:
    r = rnn["rate"]
    if r["lo"] > tau or r["hi"] < -tau:
        return "supported"
    if -tau < r["lo"] and r["hi"] < tau:
        return "refuted"
    return "inconclusive"


def _carried(rnn: dict, lstm: dict, tau: float) -> tuple[str, dict]:
    diffs = [a - b for a, b in zip(rnn["per_seed"], lstm["per_seed"], strict=True)]
    est = _interval(diffs)
    if est["lo"] > tau:
        return "supported", est
    if est["hi"] < 0:
        return "refuted", est
    return "inconclusive", est


def decide(evidence: dict) -> Decision:
    rows, tau = evidence["rows"], evidence.get("threshold", float("nan"))
    stages = [r["stage"] for r in rows if r["model"] == "rnn" and _get(rows, "lstm", r["stage"])]
    if "trained" not in stages or not math.isfinite(tau):
        return inconclusive("no RNN/LSTM pair was measured after training")
    a, b, a_text, b_text = [], [], [], []
    for stage in stages:
        rnn, lstm = _get(rows, "rnn", stage), _get(rows, "lstm", stage)
        a.append(_exponential(rnn, tau))
        a_text.append(f"{stage}: r_RNN {fmt(rnn['rate'])} ({a[-1]})")
        verdict, diff = _carried(rnn, lstm, tau)
        b.append(verdict)
        b_text.append(
            f"{stage}: r_LSTM {fmt(lstm['rate'])}, r_RNN − r_LSTM {fmt(diff)} ({verdict})"
        )
    parts = (
        Part(
            "the plain RNN's gradient decays exponentially with the lag",
            combine(a),
            f"τ = {tau:.3g}/step; " + "; ".join(a_text),
        ),
        Part("the LSTM's cell path carries it further", combine(b), "; ".join(b_text)),
    )
    decision = from_parts(*parts)
    n = min(len(r["per_seed"]) for r in rows if r["model"] in DECIDED)
    if n < MIN_SEEDS:
        return Decision(
            "inconclusive",
            f"only {n} seed(s): a verdict needs intervals over >= {MIN_SEEDS} seeds; "
            + decision.reason,
            decision.parts,
        )
    return decision
