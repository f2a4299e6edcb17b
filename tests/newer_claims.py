"""Synthetic evidence for the three claims about the newer models (tcn-sees-far,
attention-cost, parallel-recurrence), one case per verdict, and what each rule reads;
``test_claims`` and ``test_claim_evidence`` merge these into their tables."""

from __future__ import annotations

import math


def est(mean: float, half: float = 0.02, n: int = 1000) -> dict:
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": n, "method": "test"}


def tcn(accs: dict[tuple[int, int], float], tcn_params: int = 1000) -> dict:
    """Recall rows of TCNs L=1 (r=3) and L=3 (r=15) at d=3 and d=8, accuracy per (L, d)."""
    rf = {1: 3, 3: 15}
    rows = [
        {
            "levels": L,
            "receptive_field": rf[L],
            "distance": d,
            "sees_cue": rf[L] >= d,
            "accuracy": est(accs.get((L, d), 0.99)),
            "chance": 0.25,
        }
        for L in (1, 3)
        for d in (3, 8)
    ]
    params = [  # the shallowest TCN covering d beside the window-d MLP (2000 per input)
        {
            "distance": d,
            "levels": L,
            "receptive_field": rf[L],
            "convolutions": 2 * L,
            "tcn_params": tcn_params,
            "ffnn_window": d,
            "ffnn_params": 2000 * d,
        }
        for d, L in ((3, 1), (8, 3))
    ]
    return {"kernel_size": 2, "rows": rows, "params": params}


def attention(acc: float, time_exp: tuple[float, float], memory_exp: float) -> dict:
    mean, half = time_exp
    rows = [
        {"seq_len": T, "seq_ms": est(T * T / 1000, 0.1), "activation_mb": T / 100} for T in (32, 64)
    ]
    return {
        "recall": [
            {"distance": d, "accuracy": est(acc), "chance": 0.25, "context": None} for d in (3, 8)
        ],
        "cost": {
            "hidden": 32,
            "heads": 4,
            "batch_size": 2,
            "threads": 1,
            "rows": rows,
            "time_exponent": est(mean, half),
            "memory_exponent": memory_exp,
        },
    }


def parallel(ms: dict[str, float], recall: dict[str, float], mse: dict[str, float]) -> dict:
    return {
        "timing": {
            "seq_len": 1000,
            "batch_size": 16,
            "input_size": 32,
            "hidden": 64,
            "threads": 1,
            "ms": {m: est(v, 0.05) for m, v in ms.items()},
            "speedup": {m: ms["lstm"] / ms[m] for m in ("mingru", "minlstm")},
        },
        "recall": {
            m: {"accuracy": est(a), "chance": 0.25, "distance": 30} for m, a in recall.items()
        },
        "adding": {
            m: {"mse": est(v, 0.0), "baseline": 1 / 6, "seq_len": 50} for m, v in mse.items()
        },
    }


FAST = {"lstm": 10.0, "mingru": 1.0, "minlstm": 1.5}
SAME = {"lstm": 0.99, "mingru": 0.99, "minlstm": 0.98}
SOLVED = {"lstm": 0.001, "mingru": 0.002, "minlstm": 0.001}

CASES = {
    "tcn-sees-far": {
        "supported": tcn({(1, 8): 0.25}),
        "refuted": tcn({(1, 8): 0.60}),  # sees beyond its receptive field
        "inconclusive": tcn({(1, 8): 0.25, (3, 8): 0.25}),  # one that covers d failed
    },
    "attention-cost": {
        "supported": attention(0.99, (1.9, 0.1), 2.0),
        "refuted": attention(0.99, (1.9, 0.1), 1.0),  # memory grows linearly
        "inconclusive": attention(0.99, (1.75, 0.2), 2.0),  # time exponent not settled
    },
    "parallel-recurrence": {
        "supported": parallel(FAST, SAME, SOLVED),
        "refuted": parallel({**FAST, "mingru": 20.0}, SAME, SOLVED),  # slower than the LSTM
        "inconclusive": parallel({**FAST, "minlstm": 10.0}, SAME, SOLVED),
    },
}


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _interval(e) -> bool:
    return isinstance(e, dict) and all(_number(e[k]) for k in ("mean", "lo", "hi"))


def _tcn(ev) -> bool:
    assert {r["sees_cue"] for r in ev["rows"]} == {True, False}
    assert all(_number(r[k]) for r in ev["params"] for k in ("tcn_params", "ffnn_params"))
    return all(_interval(r["accuracy"]) and _number(r["chance"]) for r in ev["rows"])


def _attention(ev) -> bool:
    c = ev["cost"]
    assert len(c["rows"]) >= 2 and _number(c["memory_exponent"])
    assert all(_interval(r["seq_ms"]) and _number(r["activation_mb"]) for r in c["rows"])
    return _interval(c["time_exponent"]) and all(_interval(r["accuracy"]) for r in ev["recall"])


def _parallel(ev) -> bool:
    assert set(ev["timing"]["ms"]) == {"lstm", "mingru", "minlstm"}
    assert set(ev["recall"]) == set(ev["adding"]) == {"lstm", "mingru", "minlstm"}
    ok = all(_interval(e) for e in ev["timing"]["ms"].values())
    return ok and all(_interval(r["mse"]) for r in ev["adding"].values())


READS = {"tcn-sees-far": _tcn, "attention-cost": _attention, "parallel-recurrence": _parallel}
