"""Realistic synthetic results dicts (DESIGN.md schema 1) for report tests.

The numbers are invented but shaped like the claims' and the advisor's real output, and
they exercise every evidence convention the report renders: scalars, intervals
({"mean", "lo", "hi", "n"} and {"mean", "ci95"}), per-seed lists, lists of row dicts,
name -> number dicts, name -> name -> number matrices, one-level nesting, and a value
deeper than the conventions. ``draw_figures`` draws every figure a results dict names, with
``seqlab.report.plots``, so the report can inline real PNGs.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from seqlab.report import plots

DISTANCES = [2, 5, 10, 20, 40]


def _ci(mean: float, half: float, n: int = 3) -> dict:
    return {"mean": mean, "lo": round(mean - half, 4), "hi": round(mean + half, 4), "n": n}


def claims_results() -> dict:
    """The evidence suite's results: nine claims, every verdict, questions and runs."""
    acc = {
        "ffnn k=5": [1.0, 0.99, 0.11, 0.10, 0.09],
        "rnn": [0.98, 0.91, 0.52, 0.19, 0.11],
        "lstm": [1.0, 1.0, 0.99, 0.97, 0.93],
        "gru": [1.0, 1.0, 0.98, 0.95, 0.90],
    }
    claims = [
        {
            "id": "ffnn-window-blind",
            "title": "A feed-forward window is blind beyond k",
            "statement": "A feed-forward net sees only its window: a cue further back than k "
            "steps is lost.",
            "verdict": "supported",
            "rule": "supported if FFNN(k=5) accuracy at every d > 5 is within the 95% interval "
            "of chance (0.1) and at d ≤ 5 above 0.9",
            "evidence": {
                "chance": 0.1,
                "window": 5,
                "accuracy_vs_distance": [
                    {"d": d, "ffnn k=5": _ci(a, 0.02), "lstm": _ci(b, 0.01)}
                    for d, a, b in zip(DISTANCES, acc["ffnn k=5"], acc["lstm"], strict=True)
                ],
            },
            "figure": "figures/ffnn-window-blind.png",
        },
        {
            "id": "ffnn-window-cost",
            "statement": "Widening the window makes the FFNN large; worse for big inputs such as "
            "video frames.",
            "verdict": "supported",
            "rule": "supported if FFNN parameters grow linearly in k and exceed the LSTM's "
            "(which do not depend on T) for k ≥ 10 on 28×28 frames",
            "evidence": {
                "params": {
                    "words (D=64)": {"ffnn k=5": 41_088, "ffnn k=50": 409_728, "lstm": 49_664},
                    "frames (D=784)": {
                        "ffnn k=5": 501_888,
                        "ffnn k=50": 5_018_368,
                        "lstm": 418_304,
                    },
                },
                "slope_per_step": {"words (D=64)": 8192.0, "frames (D=784)": 100352.0},
            },
            "figure": "figures/ffnn-window-cost.png",
        },
        {
            "id": "rnn-unrolled-deep",
            "statement": "An RNN unrolled over T steps is a T-layer deep network.",
            "verdict": "supported",
            "rule": "supported if the longest gradient path in the autograd graph grows "
            "linearly in T (R² > 0.99)",
            "evidence": {"graph_depth": {"10": 31, "20": 61, "40": 121}, "r2": 0.99999},
            "figure": None,
        },
        {
            "id": "rnn-vanishing-gradient",
            "statement": "In a plain RNN the gradient from far-back steps vanishes (or explodes).",
            "verdict": "supported",
            "rule": "supported if the fitted decay rate of ‖∂L/∂h_{t−k}‖ is faster for the RNN "
            "than for the LSTM, with non-overlapping 95% intervals",
            "evidence": {
                "decay_per_step": {
                    "rnn": {"mean": 0.21, "ci95": 0.03, "n": 3},
                    "lstm": {"mean": 0.012, "ci95": 0.004, "n": 3},
                    "gru": {"mean": 0.018, "ci95": 0.005, "n": 3},
                },
                "grad_norm_at_lag_50": {"rnn": 3.2e-7, "lstm": 0.041, "gru": 0.022},
                "spectral_radius": {"rnn": 0.93},
            },
            "figure": "figures/rnn-vanishing-gradient.png",
        },
        {
            "id": "rnn-forgets",
            "statement": "A plain RNN forgets information from many steps back; an LSTM keeps it.",
            "verdict": "supported",
            "rule": "supported if LSTM accuracy at d=40 exceeds the RNN's by more than the 95% "
            "interval of their difference",
            "evidence": {
                "accuracy": {
                    m: dict(zip(map(str, DISTANCES), v, strict=True)) for m, v in acc.items()
                },
                "per_seed_d40": {"rnn": [0.12, 0.10, 0.11], "lstm": [0.94, 0.92, 0.93]},
                "difference_d40": _ci(0.82, 0.03),
            },
            "figure": "figures/rnn-forgets.png",
        },
        {
            "id": "lstm-gates-roles",
            "statement": "The input gate admits, the forget gate keeps, the output gate exposes.",
            "verdict": "inconclusive",
            "rule": "supported if each ablation fails the task that needs its gate (accuracy "
            "below full LSTM by more than the 95% interval) and passes the others",
            "evidence": {
                "gate_means": {
                    "cue": {"input": 0.91, "forget": 0.62, "output": 0.33},
                    "gap": {"input": 0.08, "forget": 0.97, "output": 0.21},
                    "query": {"input": 0.12, "forget": 0.88, "output": 0.86},
                },
                "ablations": {
                    "adding": [
                        {"model": "lstm", "accuracy": _ci(0.97, 0.02)},
                        {"model": "lstm-nfg", "accuracy": _ci(0.41, 0.09)},
                    ],
                    "saturation": {"lt_0.1": 0.31, "gt_0.9": 0.44},
                    "trace": {"layers": [{"unit": 0, "values": [0.1, 0.2]}]},
                },
            },
            "figure": "figures/lstm-gates-roles.png",
            "notes": "The output-gate ablation matched the full LSTM on every task here, so the "
            "rule cannot separate its role.\n\nA task needing exposure control is listed in "
            "the full profile.",
        },
        {
            "id": "next-word-context",
            "title": "When Alice is hungry…",
            "statement": "An LSTM uses the early word, an RNN drifts, a 5-word FFNN cannot see it.",
            "verdict": "supported",
            "rule": "supported if the LSTM ranks the context-consistent word first in more "
            "templates than the FFNN (k=5), beyond the 95% interval",
            "evidence": {
                "perplexity": [
                    {"model": "ffnn k=5", "params": 120_450, "valid": 212.4, "test": 219.9},
                    {"model": "rnn", "params": 118_900, "valid": 188.1, "test": 191.0},
                    {"model": "lstm", "params": 121_300, "valid": 161.7, "test": 164.2},
                ],
                "top1_consistent": {"ffnn k=5": 0.5, "rnn": 0.58, "lstm": 0.83},
            },
            "figure": "figures/next-word-context.png",
        },
        {
            "id": "lstm-costlier",
            "statement": "LSTM units cost more compute and train slower.",
            "verdict": "refuted",
            "rule": "supported if LSTM time per step exceeds the RNN's by more than 10% at "
            "equal parameter count",
            "evidence": {
                "ms_per_step_equal_params": {"rnn": _ci(4.1, 0.3), "lstm": _ci(4.3, 0.4)},
                "flops_ratio_equal_hidden": 4.0,
                "peak_memory_mb": {"rnn": 12.5, "lstm": 31.0},
            },
            "figure": "figures/lstm-costlier.png",
        },
        {
            "id": "memory-pays-off",
            "statement": "On long-dependency data an LSTM's success justifies its cost; on "
            "short-range data a window FFNN is as good and cheaper.",
            "verdict": "supported",
            "rule": "supported if LSTM beats FFNN on the long task and FFNN matches LSTM "
            "(within the 95% interval) at lower cost on the short task",
            "evidence": {
                "long_task": {"ffnn": _ci(0.11, 0.01), "lstm": _ci(0.93, 0.02)},
                "short_task": {"ffnn": _ci(0.95, 0.01), "lstm": _ci(0.95, 0.02)},
                "cost_ratio_lstm_over_ffnn": 3.7,
            },
            "figure": None,
        },
    ]
    runs = [
        {
            "dir": f"runs/recall-{m.split()[0]}-d{d}-s{s}",
            "task": "recall",
            "model": m,
            "params": 4_000 + 100 * i,
            "metric": "accuracy",
            "value": acc[m][DISTANCES.index(d)],
            "train_seconds": 3.2 + 0.1 * i,
        }
        for i, (m, d, s) in enumerate((m, d, s) for m in acc for d in (5, 40) for s in range(2))
    ]
    for c in claims:
        c["reason"] = f"{c['verdict']} by the rule on this run's numbers (synthetic)."
    claims[4]["reason"] = "LSTM 0.93 [0.92, 0.94] vs RNN 0.11 [0.1, 0.12] at d=40."
    claims[5]["seeds_used"] = 3  # an extra claim-level key, shown under "more"
    return {
        "schema": 1,
        "seqlab_version": "0.1.0",
        "profile": "quick",
        "environment": {"torch": "2.13.0", "python": "3.11.9", "device": "cpu", "seed": 0},
        "questions": [
            {
                "question": "Why and when would I use an LSTM over a feed-forward network?",
                "answer": "When the signal is further back than any window you can afford: at "
                "d=40 the LSTM reached 0.93 accuracy, the FFNN (k=5) 0.09 (chance 0.1).",
            },
            {
                "question": "What are the pros and cons of an LSTM?",
                "answer": "Pro: memory over 40+ steps.\n\nCon: 4× the FLOPs of an RNN per unit "
                "at equal hidden size.",
            },
            {
                "question": "How does an LSTM differ from an RNN?",
                "answer": "Gates: the forget gate stayed near 0.97 during the gap, so the "
                "gradient decayed 17× slower than in the RNN.",
            },
        ],
        "claims": claims,
        "runs": runs,
        "notes": [
            "run recall-gru-d40-s1 failed: diverged",
            'lstm-gates-roles: Traceback (most recent call last):\n  File "gates.py", line 3\n'
            "ValueError: <no cue step>",
        ],
        "wall_seconds": 482.6,
    }


def advisor_results() -> dict:
    """The advisor's results for a short-memory CSV series: a window FFNN is enough."""
    windows = [1, 2, 4, 8, 16, 32]
    mae = [0.92, 0.41, 0.40, 0.40, 0.41, 0.43]
    candidates = [
        {
            "model": "persistence",
            "window": None,
            "params": 0,
            "metric": "mae",
            "value": 1.13,
            "interval": [1.13, 1.13],
            "train_seconds": 0.0,
            "latency_ms_per_step": 0.0004,
        },
        *(
            {
                "model": "ffnn",
                "window": k,
                "params": 33 * k + 33,
                "metric": "mae",
                "value": v,
                "interval": [round(v - 0.02, 3), round(v + 0.02, 3)],
                "train_seconds": 11.0,
                "latency_ms_per_step": 0.011,
            }
            for k, v in zip(windows, mae, strict=True)
        ),
        *(
            {
                "model": m,
                "window": None,
                "params": p,
                "metric": "mae",
                "value": v,
                "interval": [v - 0.03, v + 0.03],
                "train_seconds": 30.0,
                "latency_ms_per_step": lat,
            }
            for m, p, v, lat in (("rnn", 1185, 0.42, 0.05), ("lstm", 4545, 0.41, 0.09))
        ),
    ]
    return {
        "schema": 1,
        "seqlab_version": "0.1.0",
        "profile": "advisor",
        "data": "sales.csv",
        "task": "series",
        "environment": {"torch": "2.13.0", "python": "3.11.9", "device": "cpu", "seed": 0},
        "questions": [],
        "claims": [],
        "runs": [],
        "wall_seconds": 301.0,
        "recommendation": {
            "model": "ffnn",
            "window": 2,
            "reason": "A window FFNN of 2 steps is within noise of the best model (MAE 0.41 vs "
            "0.40) and 8× cheaper per step than the LSTM.",
        },
        "memory_horizon": 2,
        "candidates": candidates,
        "candidates_figure": "figures/candidates.png",
    }


def draw_figures(results: dict, out_dir: str | Path) -> None:
    """Draw, with the report's own plot helpers, every figure ``results`` names."""
    names = [c["figure"] for c in results.get("claims", []) if c.get("figure")]
    if results.get("candidates_figure"):
        names.append(results["candidates_figure"])
    rng = np.random.default_rng(0)
    drawn: dict[int, bytes] = {}  # one figure of each kind, copied for the rest (fast tests)
    for i, rel in enumerate(names):
        name = Path(rel).stem
        if i % 4 in drawn:
            (Path(out_dir) / rel).write_bytes(drawn[i % 4])
            continue
        if i % 4 == 0:
            x = np.array(DISTANCES, dtype=float)
            y = np.linspace(1.0, 0.1, len(x))
            fig = plots.lines(
                {"ffnn k=5": {"x": x, "y": y}, "lstm": {"x": x, "y": y[::-1], "lo": y[::-1] - 0.05,
                                                         "hi": y[::-1] + 0.05}},
                "distance d", "accuracy", title=name, hlines={"chance": 0.1}, vlines={"k=5": 5},
            )  # fmt: skip
        elif i % 4 == 1:
            fig = plots.bars(
                {"adding": {"lstm": _ci(0.97, 0.02), "lstm-nfg": 0.41}, "copy": {"lstm": 0.9}},
                "accuracy",
                title=name,
                hline={"chance": 0.5},
            )
        elif i % 4 == 2:
            fig = plots.heatmaps(
                {"i": rng.random((3, 8)), "cell c": rng.normal(size=(3, 8))},
                list("abcdefgh"),
                title=name,
            )
        else:
            fig = plots.lines(
                {"lstm": {"x": [1, 2, 4], "y": [0.5, 0.4, 0.41]}}, "window k", "mae", logx=True
            )
        assert plots.save_figure(fig, out_dir, name) == rel
        drawn[i % 4] = (Path(out_dir) / rel).read_bytes()


def with_script_statement() -> dict:
    """Claims results whose first statement tries to inject markup."""
    results = copy.deepcopy(claims_results())
    results["claims"][0]["statement"] = '<script>alert("x")</script> & <b>bold</b>'
    return results
