"""Verdict rules on synthetic evidence: every verdict is reachable, and the numbers decide."""

from __future__ import annotations

import pytest

from newer_claims import CASES as NEWER_CASES
from seqlab.claims import CLAIMS, VERDICTS
from seqlab.claims.stats import (
    accuracy_interval,
    difference,
    linear_fit,
    mean_interval,
    wilson_interval,
)


def est(mean: float, half: float = 0.02, n: int = 1000) -> dict:
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": n, "method": "test"}


def decide(cid: str, evidence: dict) -> str:
    return CLAIMS[cid].decide(evidence).verdict


# ----- statistics --------------------------------------------------------------------------


def test_wilson_interval_matches_textbook_value():
    # 50/100: Wilson 95% interval is [0.4038, 0.5962] (Newcombe 1998, method 3)
    w = wilson_interval(0.5, 100)
    assert w["lo"] == pytest.approx(0.40383, abs=1e-4)
    assert w["hi"] == pytest.approx(0.59617, abs=1e-4)


def test_mean_interval_uses_student_t():
    m = mean_interval([1.0, 2.0, 3.0])  # sd 1, n 3, t(2) = 4.303
    assert m["mean"] == 2.0
    assert m["hi"] - m["mean"] == pytest.approx(4.303 / 3**0.5, rel=1e-4)


def test_accuracy_interval_switches_from_wilson_to_seeds():
    assert accuracy_interval([0.9], 500)["method"].startswith("Wilson")
    assert accuracy_interval([0.9, 0.8], 500)["method"].startswith("t")


def test_difference_adds_half_widths_in_quadrature():
    d = difference(est(0.9, 0.03), est(0.5, 0.04))
    assert d["mean"] == pytest.approx(0.4)
    assert d["hi"] - d["mean"] == pytest.approx(0.05)


def test_linear_fit_recovers_a_line():
    f = linear_fit([1, 2, 3, 4], [3, 5, 7, 9])
    assert (f["slope"], f["intercept"], f["r2"]) == pytest.approx((2, 1, 1))


# ----- every claim reaches every verdict ---------------------------------------------------


def blind_rows(blind_acc: float, seeing_acc: float) -> dict:
    return {
        "rows": [
            {
                "window": 5,
                "distance": 10,
                "sees_cue": False,
                "accuracy": est(blind_acc),
                "chance": 0.25,
            },
            {
                "window": 5,
                "distance": 3,
                "sees_cue": True,
                "accuracy": est(seeing_acc),
                "chance": 0.25,
            },
        ]
    }


def cost_rows(grow: int, lstm: int = 10_000) -> dict:
    rows = [
        {"window": k, "ffnn": 100 + grow * k, "rnn": 500, "lstm": lstm, "gru": 900}
        for k in (1, 2, 4, 8)
    ]
    return {"words": rows, "frames": rows, "images": []}


def depth_rows(slope: float) -> dict:
    rows = [{"model": "rnn", "seq_len": T, "matmuls": int(slope * T) + 1} for T in (4, 8, 16)]
    rows += [{"model": "ffnn", "seq_len": T, "matmuls": 2} for T in (4, 8, 16)]
    return {"rows": rows}


def grad_rows(rnn: float, lstm: float) -> dict:
    return {
        "rows": [
            {"model": m, "stage": s, "rate": est(r, 0.01), "half_life": 1, "spectral_radius": 1}
            for s in ("init", "trained")
            for m, r in (("rnn", rnn), ("lstm", lstm))
        ]
    }


def forgets_rows(lstm: float, rnn: float) -> dict:
    return {
        "recall": [
            {"model": "lstm", "distance": 30, "accuracy": est(lstm), "chance": 0.25},
            {"model": "rnn", "distance": 30, "accuracy": est(rnn), "chance": 0.25},
        ],
        "adding": [],
    }


def gates(i_cue: float, i_gap: float, f_gap: float, o_q: float, o_gap: float) -> dict:
    return {
        "gates": {
            "i": {"cue": est(i_cue), "gap": est(i_gap), "query": est(0.5)},
            "f": {"cue": est(0.5), "gap": est(f_gap), "query": est(0.5)},
            "o": {"cue": est(0.5), "gap": est(o_gap), "query": est(o_q)},
        },
        "ablations": [],
    }


def words(lstm: float, ffnn: float) -> dict:
    return {
        "templates": [
            {"model": "lstm", "distance": 12, "accuracy": est(lstm), "chance": 0.25},
            {"model": "ffnn", "distance": 12, "accuracy": est(ffnn), "chance": 0.25},
        ],
        "corpus": [],
    }


def costs(lstm_ms: float, rnn_ms: float) -> dict:
    row = {"params": 1, "flops_per_step": 1, "activation_bytes": 1}
    return {
        "equal_hidden": [
            {**row, "model": "lstm", "fwd_bwd_ms": est(lstm_ms, 0.01), "flops_per_step": 4,
             "activation_bytes": 4, "params": 4},
            {**row, "model": "rnn", "fwd_bwd_ms": est(rnn_ms, 0.01)},
        ]
    }  # fmt: skip


def payoff(long_lstm: float, long_ffnn: float, short_lstm: float, short_ffnn: float) -> dict:
    def half(d, lstm, ffnn):
        return {
            "distance": d,
            "lstm": {"accuracy": est(lstm), "ms_per_step": 2.0},
            "ffnn": {"accuracy": est(ffnn), "ms_per_step": 1.0},
        }

    return {"long": half(30, long_lstm, long_ffnn), "short": half(3, short_lstm, short_ffnn)}


CASES = {
    "ffnn-window-blind": {
        "supported": blind_rows(0.25, 0.99),
        "refuted": blind_rows(0.60, 0.99),
        "inconclusive": blind_rows(0.25, 0.25),
    },
    "ffnn-window-cost": {
        "supported": cost_rows(5000),
        "refuted": cost_rows(0),
        "inconclusive": cost_rows(5000, lstm=10**9),
    },
    "rnn-unrolled-deep": {
        "supported": depth_rows(1.0),
        "refuted": {
            "rows": [{"model": "rnn", "seq_len": T, "matmuls": 10 - T // 4} for T in (4, 8, 16)]
        },
        "inconclusive": depth_rows(3.0),
    },
    "rnn-vanishing-gradient": {
        "supported": grad_rows(0.9, 0.1),
        "refuted": grad_rows(0.1, 0.9),
        "inconclusive": grad_rows(0.5, 0.5),
    },
    "rnn-forgets": {
        "supported": forgets_rows(0.95, 0.26),
        "refuted": forgets_rows(0.3, 0.9),
        "inconclusive": forgets_rows(0.6, 0.59),
    },
    "lstm-gates-roles": {
        "supported": gates(0.8, 0.2, 0.95, 0.9, 0.3),
        "refuted": gates(0.1, 0.6, 0.95, 0.9, 0.3),
        "inconclusive": gates(0.5, 0.5, 0.95, 0.9, 0.3),
    },
    "next-word-context": {
        "supported": words(0.95, 0.25),
        "refuted": words(0.90, 0.95),
        "inconclusive": words(0.95, 0.40),
    },
    "lstm-costlier": {
        "supported": costs(0.5, 0.2),
        "refuted": costs(0.2, 0.5),
        "inconclusive": costs(0.3, 0.3),
    },
    "memory-pays-off": {
        "supported": payoff(0.95, 0.25, 0.99, 0.99),
        "refuted": payoff(0.25, 0.95, 0.99, 0.99),
        "inconclusive": payoff(0.5, 0.49, 0.99, 0.99),
    },
    **NEWER_CASES,
}


def test_every_claim_has_cases_for_every_verdict():
    assert set(CASES) == set(CLAIMS)
    for cid, cases in CASES.items():
        assert set(cases) == set(VERDICTS), cid


@pytest.mark.parametrize("cid,verdict", [(c, v) for c in CASES for v in VERDICTS])
def test_verdict_follows_the_numbers(cid, verdict):
    assert decide(cid, CASES[cid][verdict]) == verdict


@pytest.mark.parametrize("cid", list(CLAIMS))
def test_claims_state_their_rule_and_statement(cid):
    claim = CLAIMS[cid].CLAIM
    assert claim.id == cid
    assert len(claim.statement) > 40 and "supported" in claim.rule


def test_no_verdict_is_a_constant():
    """The same rule gives different verdicts for different numbers (no hard-coding)."""
    for cid, cases in CASES.items():
        assert len({decide(cid, ev) for ev in cases.values()}) == 3, cid


def test_gate_roles_need_a_model_that_learned_the_task():
    ev = {**gates(0.8, 0.2, 0.95, 0.9, 0.3), "lstm_accuracy": est(0.5)}
    assert decide("lstm-gates-roles", ev) == "inconclusive"
    ev["lstm_accuracy"] = est(0.99, 0.005)
    assert decide("lstm-gates-roles", ev) == "supported"


def test_memory_pays_off_needs_the_ffnn_measurably_cheaper():
    ev = payoff(0.95, 0.25, 0.99, 0.99)
    for name, ms in (("ffnn", 1.0), ("lstm", 1.05)):
        ev["short"][name]["ms_per_step_interval"] = est(ms, 0.1)
    assert decide("memory-pays-off", ev) == "inconclusive"
    ev["short"]["lstm"]["ms_per_step_interval"] = est(3.0, 0.1)
    assert decide("memory-pays-off", ev) == "supported"


def test_accuracy_interval_over_seeds_stays_within_0_and_1():
    a = accuracy_interval([1.0, 0.98, 1.0], 500)
    assert a["hi"] == 1.0 and 0.9 < a["lo"] < 0.98


@pytest.mark.parametrize(
    "cid,evidence",
    [
        ("memory-pays-off", {"long": {"distance": 30}, "short": {"distance": 3}}),
        ("lstm-gates-roles", {"distance": 30, "lstm_accuracy": None, "ablations": []}),
        ("rnn-forgets", {"recall": [], "adding": []}),
        ("ffnn-window-blind", {"rows": []}),
        ("next-word-context", {"templates": [], "corpus": []}),
        ("lstm-costlier", {"equal_hidden": []}),
        ("rnn-vanishing-gradient", {"rows": []}),
    ],
)
def test_evidence_without_its_models_is_inconclusive_not_a_crash(cid, evidence):
    decision = CLAIMS[cid].decide(evidence)
    assert decision.verdict == "inconclusive" and decision.reason


# ---- a claim with several parts: each part decided, the verdict follows from all of them ----

from seqlab.claims.base import Part, combine, from_parts  # noqa: E402


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["supported", "supported"], "supported"),
        (["supported", "inconclusive"], "inconclusive"),
        (["supported", "refuted"], "refuted"),
        (["inconclusive", "refuted"], "refuted"),
        ([], "inconclusive"),
    ],
)
def test_a_claim_is_supported_only_if_every_part_is(verdicts, expected):
    assert combine(verdicts) == expected
    parts = [Part(f"part {i}", v, f"x={i}") for i, v in enumerate(verdicts)]
    decision = from_parts(*parts)
    assert decision.verdict == expected
    assert decision.parts == tuple(parts)
    for p in parts:  # the reason names every part with its verdict and numbers
        assert f"{p.name}: {p.verdict} ({p.reason})" in decision.reason


def test_a_part_with_an_unknown_verdict_is_refused():
    with pytest.raises(ValueError, match="verdict must be one of"):
        Part("x", "probably", "")
