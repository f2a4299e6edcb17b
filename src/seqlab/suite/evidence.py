"""From finished runs and probes to each claim's evidence (numbers with intervals) and figure.

Every function here takes what this invocation measured — run results keyed by their role
(``seqlab.suite.plan``) and models loaded from their run directories — and returns
``(evidence, figure)`` for one claim. Nothing is looked up elsewhere.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab.claims.stats import accuracy_interval, mean_interval
from seqlab.models import ModelSpec, build_model
from seqlab.params import count_params
from seqlab.probes import (
    activation_memory,
    fit_decay,
    flops_per_step,
    gradient_path_length,
    hidden_grad_norms,
    input_jacobian_norms,
    spectral_radius,
    time_per_step,
)
from seqlab.report import plots
from seqlab.rundir import load_model
from seqlab.suite.plan import ABLATIONS, ALICE_WINDOW, RECURRENT, model_label
from seqlab.suite.profiles import Profile
from seqlab.tasks import build_task

Results = dict[str, dict[str, Any]]


# ----- helpers -----------------------------------------------------------------------------


def _seeds(R: Results, prefix: str, p: Profile) -> list[dict]:
    return [R[f"{prefix}/s{s}"] for s in p.seeds if f"{prefix}/s{s}" in R]


def accuracy(R: Results, prefix: str, p: Profile) -> dict | None:
    """Test accuracy of the runs ``prefix/s*``: t over seeds, or Wilson on the test set."""
    rs = _seeds(R, prefix, p)
    if not rs:
        return None
    n_eval = int(rs[0].get("test_n") or p.eval_size)
    return accuracy_interval([r["value"] for r in rs], n_eval)


def mean_of(R: Results, prefix: str, p: Profile, field: str = "value") -> dict | None:
    rs = _seeds(R, prefix, p)
    return mean_interval([float(r[field]) for r in rs]) if rs else None


def _first(R: Results, prefix: str, p: Profile) -> dict | None:
    rs = _seeds(R, prefix, p)
    return rs[0] if rs else None


def trained_model(r: dict) -> tuple[Any, torch.nn.Module, Any]:
    """``(config, model with its best weights, task)`` of a finished run."""
    cfg, model, _ = load_model(r["run_dir"])
    return cfg, model, build_task(cfg.task, cfg.task_options, cfg.seed)


TIMING_THREADS = 1  # 1-thread timings are stable on shared machines; 2-thread ones are bimodal


def interleaved_ms(cases: dict[str, tuple], repeats: int) -> dict[str, dict]:
    """Forward+backward ms per time step of each ``name -> (model, B, T, D)``, measured
    interleaved (A B C A B C …) after one untimed round, at ``TIMING_THREADS`` threads;
    a t interval over the ``repeats`` rounds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(TIMING_THREADS)
    try:
        times: dict[str, list[float]] = {name: [] for name in cases}
        for i in range(repeats + 1):
            for name, (model, B, T, D) in cases.items():
                ms = time_per_step(model, B, T, D, repeats=1, warmup=1 if i == 0 else 0, seed=i)
                if i > 0:  # round 0 warms up allocators and kernels
                    times[name].append(ms["fwd_bwd_ms"])
    finally:
        torch.set_num_threads(threads)
    return {name: mean_interval(t, "interleaved rounds") for name, t in times.items()}


def _ms_per_step(r: dict) -> float:
    return 1000.0 * r["train_seconds"] / max(1, r["steps"])


def _band(ests: list[dict | None]) -> dict[str, list]:
    xs = [e for e in ests if e is not None]
    return {"y": [e["mean"] for e in xs], "lo": [e["lo"] for e in xs], "hi": [e["hi"] for e in xs]}


# ----- ffnn-window-blind / rnn-forgets / memory-pays-off ----------------------------------


def window_blind(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    rows, chance = [], None
    for k in p.windows:
        for d in p.distances:
            est = accuracy(R, f"recall/ffnn-k{k}/d{d}", p)
            if est is None:
                continue
            chance = _first(R, f"recall/ffnn-k{k}/d{d}", p)["chance"]
            rows.append(
                {"window": k, "distance": d, "sees_cue": k >= d, "accuracy": est, "chance": chance}
            )
    return {"rows": rows}, _distance_figure(R, p, out, "ffnn-window-blind", with_ffnn=True)


def _distance_figure(R: Results, p: Profile, out: Path, name: str, with_ffnn: bool) -> str:
    labels = ([f"ffnn-k{k}" for k in p.windows] if with_ffnn else []) + list(RECURRENT)
    series, chance = {}, None
    for label in labels:
        ests, xs = [], []
        for d in p.distances:
            e = accuracy(R, f"recall/{label}/d{d}", p)
            if e is not None:
                ests.append(e)
                xs.append(d)
                chance = _first(R, f"recall/{label}/d{d}", p)["chance"]
        if ests:
            series[label] = {"x": xs, **_band(ests), "style": "o--" if "ffnn" in label else "o-"}
    fig = plots.lines(
        series,
        "distance d (inputs from cue to query)",
        "test accuracy",
        title="Recall accuracy vs distance (95% intervals)",
        hlines={"chance": chance} if chance is not None else None,
        vlines={f"k={k}": k for k in p.windows} if with_ffnn else None,
    )
    return plots.save_figure(fig, out, name)


def forgets(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    recall = []
    for m in RECURRENT:
        for d in p.distances:
            est = accuracy(R, f"recall/{m}/d{d}", p)
            if est is not None:
                recall.append(
                    {
                        "model": m,
                        "distance": d,
                        "accuracy": est,
                        "chance": _first(R, f"recall/{m}/d{d}", p)["chance"],
                    }
                )
    adding = []
    for m in RECURRENT:
        est = mean_of(R, f"adding/{m}", p)
        if est is not None:
            r = _first(R, f"adding/{m}", p)
            adding.append(
                {
                    "model": m,
                    "seq_len": p.adding_len,
                    "mse": est,
                    "baseline": r["chance"],
                    "solved (MSE < 0.01)": est["mean"] < 0.01,
                }
            )
    return {"recall": recall, "adding": adding}, _distance_figure(
        R, p, out, "rnn-forgets", with_ffnn=False
    )


def pays_off(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    """LSTM vs the smallest FFNN window at the longest and the shortest distance: test
    accuracy, and forward+backward time per step of the trained models on a training-sized
    batch (``cost_repeats`` measurements, t interval)."""
    k = min(p.windows)
    halves = {}
    for half, d in (("long", p.long_distance), ("short", p.short_distance)):
        rows, cases = {}, {}
        for label in ("lstm", f"ffnn-k{k}"):
            r = _first(R, f"recall/{label}/d{d}", p)
            if r is None:
                continue
            _, model, meta = load_model(r["run_dir"])
            name = "lstm" if label == "lstm" else "ffnn"
            cases[name] = (model, 64, meta["task"]["seq_len"], None)
            rows[name] = {
                "accuracy": accuracy(R, f"recall/{label}/d{d}", p),
                "params": r["params"],
                "window": k if label != "lstm" else None,
            }
        for name, est in interleaved_ms(cases, p.cost_repeats).items():
            rows[name]["ms_per_step"] = est["mean"]
            rows[name]["ms_per_step_interval"] = est
        halves[half] = {"distance": d, **rows}
    groups = {
        f"{half} (d={h['distance']})": {
            name: h[name]["accuracy"] for name in ("ffnn", "lstm") if name in h
        }
        for half, h in halves.items()
    }
    fig = plots.bars(groups, "test accuracy", title=f"LSTM vs FFNN (k={k}): long and short range")
    return halves, plots.save_figure(fig, out, "memory-pays-off")


# ----- ffnn-window-cost --------------------------------------------------------------------


def window_cost(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    """Parameter counts by hand (``seqlab.params``, tested equal to the real models) for a
    word embedding of 300 and for 28×28 frames, hidden 128, against the window k."""
    H = 128
    ev: dict[str, Any] = {}
    for kind, D, O, ks in (
        ("words", 300, 10_000, (1, 2, 5, 10, 20, 50)),
        ("frames", 784, 10, (1, 2, 4, 8, 16, 28)),
    ):
        rows = []
        for k in ks:
            row = {"window": k, "ffnn": count_params("ffnn", D, H, O, window=k).total}
            for m in RECURRENT:
                row[m] = count_params(m, D, H, O).total
            rows.append(row)
        ev[kind] = rows
    images = []
    for k in p.image_windows:
        est = accuracy(R, f"images/ffnn-k{k}", p)
        r = _first(R, f"images/ffnn-k{k}", p)
        if est is not None:
            images.append(
                {"model": f"ffnn (last {k} rows)", "params": r["params"], "accuracy": est}
            )
    est = accuracy(R, "images/lstm", p)
    if est is not None:
        images.append(
            {
                "model": "lstm (all 28 rows)",
                "params": _first(R, "images/lstm", p)["params"],
                "accuracy": est,
            }
        )
    ev["images"] = images
    series = {}
    for kind in ("words", "frames"):
        rows = ev[kind]
        series[f"ffnn, {kind}"] = {
            "x": [r["window"] for r in rows],
            "y": [r["ffnn"] for r in rows],
            "style": "o-",
        }
        series[f"lstm, {kind}"] = {
            "x": [r["window"] for r in rows],
            "y": [r["lstm"] for r in rows],
            "style": "--",
        }
    fig = plots.lines(
        series,
        "window k (steps the FFNN sees)",
        "parameters",
        logy=True,
        title="Parameters vs window: words (D=300) and 28×28 frames (D=784), H=128",
    )
    return ev, plots.save_figure(fig, out, "ffnn-window-cost")


# ----- rnn-unrolled-deep -------------------------------------------------------------------


def unrolled_deep(p: Profile, out: Path) -> tuple[dict, str]:
    rows = []
    D, H = 4, 16
    kmax = max(p.depth_lengths)
    for model in ("rnn", "lstm", "ffnn"):
        spec = ModelSpec(model, hidden_size=H, window=kmax)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            m = build_model(spec, input_size=D, output_size=1)
        for T in p.depth_lengths:
            rows.append(
                {
                    "model": model if model != "ffnn" else "ffnn",
                    "window": kmax if model == "ffnn" else None,
                    "seq_len": T,
                    "matmuls": gradient_path_length(m, T, D),
                }
            )
    series = {}
    for model in ("rnn", "lstm", "ffnn"):
        pts = [r for r in rows if r["model"] == model]
        series[model if model != "ffnn" else f"ffnn (k={kmax})"] = {
            "x": [r["seq_len"] for r in pts],
            "y": [r["matmuls"] for r in pts],
            "style": "o-",
        }
    fig = plots.lines(
        series,
        "sequence length T",
        "matrix products from x₀ to the output",
        title="Depth of the unrolled graph",
    )
    return {"rows": rows}, plots.save_figure(fig, out, "rnn-unrolled-deep")


# ----- rnn-vanishing-gradient --------------------------------------------------------------


def _grad_batches(task, p: Profile, n: int, size: int = 64):
    g = torch.Generator().manual_seed(12345)
    return [task.train_batch(size, g) for _ in range(n)]


def vanishing_gradient(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    """Decay rate of ‖∂L/∂h_{T−1−k}‖ over the lag k: fitted on each of ``grad_batches``
    independent batches; the interval is Student's t over those batches. Beside it the decay
    rate of ‖∂h_{T−1}/∂x_{T−1−k}‖ (one batch), and the RNN trained without clipping."""
    d = p.long_distance
    rows, series = [], {}
    for m in (*RECURRENT, "rnn-noclip"):
        r = _first(R, f"recall/{m}/d{d}", p)
        if r is None:
            continue
        cfg, trained, task = trained_model(r)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            fresh = build_model(
                cfg.model_spec(task.seq_len),
                input_size=task.input_size,
                output_size=task.output_size,
                vocab_size=task.vocab_size,
            )
        batches = _grad_batches(task, p, p.grad_batches)
        stages = (
            (("trained", trained),)
            if m == "rnn-noclip"
            else (("init", fresh), ("trained", trained))
        )
        for stage, model in stages:
            curves = np.stack([hidden_grad_norms(model, b, task.kind) for b in batches])  # (n, T)
            lags = np.arange(curves.shape[1])
            jac = input_jacobian_norms(model, batches[0].x, path="fused")  # (T,)
            rates = [fit_decay(lags, c)["rate"] for c in curves]
            rates = [x for x in rates if math.isfinite(x)]
            est = (
                mean_interval(rates, "independent batches")
                if rates
                else {"mean": float("nan"), "lo": float("nan"), "hi": float("nan"), "n": 0}
            )
            rho = spectral_radius(model)
            rows.append(
                {
                    "model": m,
                    "stage": stage,
                    "rate": est,
                    "half_life": math.log(2) / est["mean"] if est["mean"] > 0 else float("inf"),
                    "spectral_radius": rho if isinstance(rho, float) else max(rho.values()),
                    "input_jacobian_rate": fit_decay(lags, jac)["rate"],
                    "clipping": cfg.clip or None,
                }
            )
            mean_curve = curves.mean(axis=0)
            series[f"{m}, {stage}"] = {
                "x": lags.tolist(),
                "y": mean_curve.tolist(),
                "style": "-" if stage == "trained" else ":",
            }
    fig = plots.lines(
        series,
        "lag k (steps back from the query)",
        "‖∂L/∂h_{T−1−k}‖",
        logy=True,
        title=f"Gradient norm vs lag (recall, d={d})",
    )
    return {"rows": rows, "distance": d}, plots.save_figure(fig, out, "rnn-vanishing-gradient")


# ----- lstm-gates-roles --------------------------------------------------------------------


def _per_example(gate: torch.Tensor, idx: torch.Tensor | slice) -> list[float]:
    """Mean over units (and the selected steps) for each example: independent values."""
    if isinstance(idx, slice):
        v = gate[:, idx].mean(dim=(1, 2))
    else:
        v = gate[torch.arange(gate.shape[0]), idx].mean(dim=-1)
    return v.double().tolist()


def gates_roles(R: Results, p: Profile, out: Path) -> tuple[dict, str | None]:
    d = p.ablation_distance
    r = _first(R, f"recall/lstm/d{d}", p)
    ev: dict[str, Any] = {"distance": d, "lstm_accuracy": accuracy(R, f"recall/lstm/d{d}", p)}
    if r is not None:
        cfg, model, task = trained_model(r)
        batch = next(iter(task.eval_batches("test", 512)))
        with torch.no_grad():
            tr = model.trace(batch.x)
        T = batch.x.shape[1]
        cue = task.cue_index(batch.x)  # (B,)
        gates = {}
        for name in ("i", "f", "o"):
            g = tr.gates[0][name]
            gates[name] = {
                "cue": mean_interval(_per_example(g, cue), "examples"),
                "gap": mean_interval(_per_example(g, slice(T - d + 1, T - 1)), "examples"),
                "query": mean_interval(_per_example(g, T - 1), "examples"),
            }
        ev["gates"] = gates
    abl = []
    for m in ("lstm", *ABLATIONS):
        est = accuracy(R, f"recall/{m}/d{d}", p)
        if est is not None:
            abl.append({"model": m, "accuracy": est})
    ev["ablations"] = abl
    figure = _alice_gate_figure(R, p, out)
    return ev, figure


def _alice_gate_figure(R: Results, p: Profile, out: Path) -> str | None:
    r = _first(R, "alice/lstm", p)
    if r is None:
        return None
    cfg, model, task = trained_model(r)
    words = task.sentence(0, p.alice_distance, torch.Generator().manual_seed(7))
    x = torch.tensor([task.encode(words)])
    with torch.no_grad():
        tr = model.trace(x)
    panels = {name: tr.gates[0][name][0].T.numpy() for name in ("i", "f", "o")}
    panels["cell c"] = tr.cell[0][0].T.numpy()
    fig = plots.heatmaps(
        panels,
        words,
        title="LSTM gates and cell state on an Alice sentence (rows: units, columns: words)",
    )
    return plots.save_figure(fig, out, "lstm-gates-roles")


# ----- next-word-context -------------------------------------------------------------------


def next_word(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    templates = []
    labels = (f"ffnn-k{ALICE_WINDOW}", "rnn", "lstm")
    for label in labels:
        est = accuracy(R, f"alice/{label}", p)
        if est is not None:
            templates.append(
                {
                    "model": "ffnn" if label.startswith("ffnn") else label,
                    "window": ALICE_WINDOW if label.startswith("ffnn") else None,
                    "distance": p.alice_distance,
                    "accuracy": est,
                    "chance": _first(R, f"alice/{label}", p)["chance"],
                }
            )
    corpus = []
    for label in labels:
        rs = _seeds(R, f"text/{label}", p)
        if rs:
            corpus.append(
                {
                    "model": "ffnn" if label.startswith("ffnn") else label,
                    "params": rs[0]["params"],
                    "perplexity": float(np.mean([x["value"] for x in rs])),
                    "unigram": rs[0]["baselines"].get("unigram", rs[0]["chance"]),
                }
            )
    example = _alice_example(R, p)
    groups = {"templates (accuracy)": {t["model"]: t["accuracy"] for t in templates}}
    fig = plots.bars(
        groups,
        "test accuracy",
        title=f'"When Alice is hungry … buy": cue {p.alice_distance} words back',
        hline=templates[0]["chance"] if templates else None,
    )
    return {"templates": templates, "corpus": corpus, "example": example}, plots.save_figure(
        fig, out, "next-word-context"
    )


def _alice_example(R: Results, p: Profile) -> dict:
    """Each model's answer to one real templated sentence (the first seed's models)."""
    ex: dict[str, Any] = {}
    for label in (f"ffnn-k{ALICE_WINDOW}", "rnn", "lstm"):
        r = _first(R, f"alice/{label}", p)
        if r is None:
            continue
        cfg, model, task = trained_model(r)
        words = task.sentence(0, p.alice_distance, torch.Generator().manual_seed(7))
        with torch.no_grad():
            probs = model(torch.tensor([task.encode(words)]))[0, -1].softmax(-1)
        top = int(probs.argmax())
        ex["sentence"] = " ".join(words)
        ex["expected"] = task.answers[0]
        ex[model_label(cfg.model, cfg.window if cfg.model == "ffnn" else None)] = (
            f"{task.answers[top]} ({probs[top].item():.2f})"
        )
    return ex


# ----- lstm-costlier -----------------------------------------------------------------------


def costlier(R: Results, p: Profile, out: Path) -> tuple[dict, str]:
    """Time per step over ``cost_repeats`` fresh measurements (the interval is t over them),
    FLOPs by formula, activation memory measured, at equal hidden size and at the LSTM's
    parameter count."""
    D, O, B, T, H = 32, 10, 32, p.cost_seq_len, p.hidden
    lstm_params = count_params("lstm", D, H, O).total
    from seqlab.params import hidden_for_params

    ev: dict[str, Any] = {
        "batch_size": B,
        "seq_len": T,
        "input_size": D,
        "threads": TIMING_THREADS,
    }
    for setting in ("equal_hidden", "equal_params"):
        rows, cases = [], {}
        for m in ("ffnn", "rnn", "gru", "lstm"):
            h = (
                H
                if setting == "equal_hidden" or m == "lstm"
                else hidden_for_params(m, lstm_params, D, O, window=5)
            )
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = build_model(
                    ModelSpec(m, hidden_size=h, window=5), input_size=D, output_size=O
                )
            cases[m] = (model, B, T, D)
            rows.append(
                {
                    "model": m,
                    "hidden": h,
                    "params": count_params(m, D, h, O, window=5).total,
                    "flops_per_step": flops_per_step(m, D, h, O, window=5)["fwd_bwd"],
                    "activation_bytes": activation_memory(model, B, T, D),
                }
            )
        ms = interleaved_ms(cases, p.cost_repeats)
        for row in rows:
            row["fwd_bwd_ms"] = ms[row["model"]]
        ev[setting] = rows
    tt = []
    for m in RECURRENT:
        for r in _seeds(R, f"adding/{m}", p):
            tt.append(
                {
                    "model": m,
                    "seed": r["seed"],
                    "test_mse": r["value"],
                    "train_seconds": r["train_seconds"],
                    "steps": r["steps"],
                    "ms_per_step": _ms_per_step(r),
                }
            )
    ev["adding_training"] = tt
    # memory held for backpropagation grows with T for every model that is unrolled
    vs_t = []
    for m in ("ffnn", "rnn", "lstm"):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = build_model(ModelSpec(m, hidden_size=H, window=5), input_size=D, output_size=O)
        for t in (T // 4, T // 2, T, 2 * T):
            vs_t.append(
                {
                    "model": m,
                    "seq_len": t,
                    "activation_mb": activation_memory(model, B, t, D) / 2**20,
                }
            )
    ev["activation_memory_vs_T"] = vs_t
    groups = {
        setting.replace("_", " "): {r["model"]: r["fwd_bwd_ms"] for r in ev[setting]}
        for setting in ("equal_hidden", "equal_params")
    }
    fig = plots.bars(
        groups,
        "forward+backward ms per time step",
        title=f"Cost per step (B={B}, T={T}, D={D}, H={H})",
    )
    return ev, plots.save_figure(fig, out, "lstm-costlier")
