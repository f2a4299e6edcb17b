"""lstm-gates-roles and rnn-vanishing-gradient part by part: evidence that contradicts any one
part changes the verdict, too few seeds is inconclusive whatever the numbers, and the
gradient evidence built on three seeds of tiny real runs is decided as designed."""

from __future__ import annotations

import dataclasses

import pytest

from seqlab.claims import CLAIMS
from seqlab.claims.common import Runs
from seqlab.claims.profiles import PROFILES
from seqlab.train import run_config

GATES = CLAIMS["lstm-gates-roles"]
GRADS = CLAIMS["rnn-vanishing-gradient"]


def est(mean: float, half: float, n: int = 3) -> dict:
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": n, "method": "test"}


# ---------------------------------------------------------------- lstm-gates-roles


def gate_evidence(effects: dict[str, tuple[float, float]], seeds: int = 3) -> dict:
    """``effects[part] = (effect, half-width)``: accuracy lost at the role's step beyond the
    control's."""
    return {
        "seeds": seeds,
        "lstm_accuracy": est(0.99, 0.005),
        "interventions": {
            part: {
                "gate": part[0],
                "at": "its step",
                "control_at": "a control step",
                "intervention": est(1.0 - e, h),
                "control": est(1.0, 0.0),
                "effect": est(e, h),
            }
            for part, (e, h) in effects.items()
        },
        "ablations": [
            {"model": m, "accuracy": est(a, 0.01)}
            for m, a in (("lstm", 0.99), ("lstm-nig", 0.97), ("lstm-nfg", 0.96), ("lstm-nog", 0.25))
        ],
    }


STRONG = {"input": (0.7, 0.05), "forget": (0.6, 0.05), "output": (0.7, 0.05)}


@pytest.mark.parametrize("part", list(STRONG))
@pytest.mark.parametrize(
    ("effect", "verdict"),
    [((0.0, 0.05), "refuted"), ((0.12, 0.05), "inconclusive"), ((0.16, 0.05), "supported")],
)
def test_each_gate_part_decides_on_its_effect_against_the_margin(part, effect, verdict):
    decision = GATES.decide(gate_evidence({**STRONG, part: effect}))
    assert decision.verdict == verdict
    parts = {p.name: p.verdict for p in decision.parts}
    assert parts[GATES.CLAUSES[part]] == verdict
    assert sum(v == "supported" for v in parts.values()) == 2 + (verdict == "supported")


def test_gate_parts_cite_the_ablation_trained_without_that_gate():
    decision = GATES.decide(gate_evidence(STRONG))
    assert decision.verdict == "supported"
    reasons = {p.name: p.reason for p in decision.parts}
    assert (
        "lstm-nog" in reasons[GATES.CLAUSES["output"]]
        and "0.25" in reasons[GATES.CLAUSES["output"]]
    )
    assert "lstm-nig" in reasons[GATES.CLAUSES["input"]]


def test_gate_roles_on_fewer_than_three_seeds_are_inconclusive_with_their_parts():
    decision = GATES.decide(gate_evidence(STRONG, seeds=2))
    assert decision.verdict == "inconclusive" and "seed" in decision.reason
    assert [p.verdict for p in decision.parts] == ["supported"] * 3


# ---------------------------------------------------------------- rnn-vanishing-gradient

STAGES = ("init", "step 60", "trained")


def grad_evidence(rnn: dict[str, float], lstm: dict[str, float], seeds: int = 3) -> dict:
    """Per-stage decay rates; each seed ±0.01 around the given rate."""

    def row(m: str, stage: str, r: float) -> dict:
        per_seed = [r - 0.01, r, r + 0.01][:seeds]
        return {"model": m, "stage": stage, "rate": est(r, 0.03, seeds), "per_seed": per_seed}

    rows = [row("rnn", s, rnn[s]) for s in STAGES] + [row("lstm", s, lstm[s]) for s in STAGES]
    return {"threshold": 0.05, "seeds": seeds, "rows": rows}


RNN = dict.fromkeys(STAGES, 0.5)
LSTM = dict.fromkeys(STAGES, 0.05)


def test_gradient_claim_supported_when_both_parts_hold_at_every_stage():
    decision = GRADS.decide(grad_evidence(RNN, LSTM))
    assert decision.verdict == "supported"
    assert [p.verdict for p in decision.parts] == ["supported", "supported"]


@pytest.mark.parametrize("stage", STAGES)
def test_an_rnn_gradient_that_does_not_decay_at_any_one_stage_refutes_part_a(stage):
    decision = GRADS.decide(grad_evidence({**RNN, stage: 0.0}, {**LSTM, stage: -0.5}))
    assert decision.verdict == "refuted"
    assert decision.parts[0].verdict == "refuted" and stage in decision.parts[0].reason


def test_an_exploding_rnn_gradient_also_supports_part_a():
    decision = GRADS.decide(grad_evidence({**RNN, "init": -0.5}, {**LSTM, "init": -0.9}))
    assert decision.parts[0].verdict == "supported"


@pytest.mark.parametrize("stage", STAGES)
def test_an_lstm_decaying_faster_at_any_one_stage_refutes_part_b(stage):
    decision = GRADS.decide(grad_evidence(RNN, {**LSTM, stage: 0.8}))
    assert decision.verdict == "refuted"
    assert [p.verdict for p in decision.parts] == ["supported", "refuted"]


def test_a_difference_within_the_margin_leaves_part_b_inconclusive():
    decision = GRADS.decide(grad_evidence(RNN, {**LSTM, "trained": 0.47}))
    assert decision.verdict == "inconclusive"
    assert [p.verdict for p in decision.parts] == ["supported", "inconclusive"]


def test_gradient_claim_on_fewer_than_three_seeds_is_inconclusive():
    decision = GRADS.decide(grad_evidence(RNN, LSTM, seeds=2))
    assert decision.verdict == "inconclusive" and "seed" in decision.reason


TINY3 = dataclasses.replace(
    PROFILES["smoke"],
    name="fixture-3-seeds",
    seeds=(0, 1, 2),
    hidden=8,
    distances=(2, 6),
    recall_steps=2,
    eval_size=32,
    grad_batches=2,
)


def test_gradient_evidence_over_three_seeds_of_real_runs(tmp_path):
    """Near their initial weights (2 training steps) the RNN's state gradient decays faster
    per step than the LSTM's with forget bias 2 (0.70 vs 0.22 per step, mean over the three
    seeds, when this was written), in every seed and at every stage, from real probes; with
    H = 8 the seeds spread too much for the t interval over 3 of them to clear τ."""
    d = TINY3.long_distance
    plan = {}
    for group in GRADS.RUNS:
        plan.update(
            {
                k: v
                for k, v in group(TINY3).items()
                if f"/d{d}/" in k and k.split("/")[1] in GRADS.DECIDED
            }
        )
    results = {k: run_config(flat, str(tmp_path), progress="quiet") for k, flat in plan.items()}
    ev, fig = GRADS.evidence(Runs(results, TINY3))
    assert fig.axes
    rows = {(r["model"], r["stage"]): r for r in ev["rows"]}
    assert set(rows) == {(m, s) for m in ("rnn", "lstm") for s in ("init", "step 1", "trained")}
    assert all(len(r["per_seed"]) == 3 and r["rate"]["n"] == 3 for r in ev["rows"])
    assert all(r["jacobian"]["mean"] > 0 and r["spectral_radius"]["mean"] > 0 for r in ev["rows"])
    for stage in ("init", "step 1", "trained"):
        rnn, lstm = rows[("rnn", stage)]["per_seed"], rows[("lstm", stage)]["per_seed"]
        assert all(a > b for a, b in zip(rnn, lstm, strict=True)), stage
    decision = GRADS.decide(ev)
    assert decision.parts[0].verdict == "supported" and decision.verdict != "refuted"
