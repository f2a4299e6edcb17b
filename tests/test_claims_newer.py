"""The newer models' claims: each part of a rule turns on its own numbers, and the evidence
builders read designed runs as designed (no training: result.json fields only)."""

from __future__ import annotations

import pytest

from newer_claims import CASES, parallel, tcn
from seqlab.claims import CLAIMS
from seqlab.claims.attention_cost import exponent
from seqlab.claims.common import Runs
from seqlab.claims.profiles import PROFILES
from seqlab.claims.tcn_sees_far import recall_tcn
from seqlab.config import TrainConfig
from seqlab.models import ModelSpec, build_model
from seqlab.tasks import build_task

QUICK = PROFILES["quick"]


def parts(cid: str, evidence: dict) -> dict[str, str]:
    return {p.name: p.verdict for p in CLAIMS[cid].decide(evidence).parts}


@pytest.mark.parametrize("tcn_params,verdict", [(15_999, "supported"), (16_000, "refuted")])
def test_tcn_is_cheaper_only_with_fewer_parameters_than_the_window_mlp_at_the_longest_d(
    tcn_params, verdict
):
    # the window-8 MLP has 16,000 parameters in the fixture
    assert parts("tcn-sees-far", tcn({(1, 8): 0.25}, tcn_params))["cheaper"] == verdict


def test_a_tcn_that_sees_past_its_receptive_field_refutes_blindness_only():
    got = parts("tcn-sees-far", CASES["tcn-sees-far"]["refuted"])
    assert got == {"reach": "supported", "blind": "refuted", "cheaper": "supported"}


@pytest.mark.parametrize(
    "ts,ys,expected", [((10, 40), (3.0, 48.0), 2.0), ((100, 1000), (5.0, 50.0), 1.0)]
)
def test_exponent_of_a_power_law(ts, ys, expected):
    assert exponent(list(ts), list(ys)) == pytest.approx(expected, rel=1e-12)


def test_min_rnns_worse_on_adding_only_when_the_lstm_solved_it():
    fast = {"lstm": 10.0, "mingru": 1.0, "minlstm": 1.0}
    same = {"lstm": 0.99, "mingru": 0.99, "minlstm": 0.99}
    unsolved = {"lstm": 0.001, "mingru": 0.05, "minlstm": 0.001}
    assert parts("parallel-recurrence", parallel(fast, same, unsolved))["as accurate"] == "refuted"
    nobody = {"lstm": 0.1, "mingru": 0.15, "minlstm": 0.12}
    assert parts("parallel-recurrence", parallel(fast, same, nobody))["as accurate"] == "supported"


def _designed(flat: dict, value: float) -> dict:
    cfg = TrainConfig.from_flat(flat)
    spec = ModelSpec(
        cfg.model, hidden_size=cfg.hidden_size, levels=cfg.levels, kernel_size=cfg.kernel_size
    )
    task = build_task(cfg.task, cfg.task_options, 0)
    model = build_model(
        spec, input_size=None, output_size=task.output_size, vocab_size=task.vocab_size
    )
    params = sum(p.numel() for p in model.parameters())
    return {
        "value": value,
        "chance": 0.25,
        "test_n": 1000,
        "params": params,
        "config": cfg.to_dict(),
    }


@pytest.mark.parametrize("blind_acc,verdict", [(0.25, "supported"), (0.9, "refuted")])
def test_tcn_evidence_from_designed_runs(blind_acc, verdict):
    # quick: depths L=1 (r=7) and L=3 (r=43) at d=3, 10, 30; L=1 is blind at d=10 and 30
    blind = ("recall/tcn-L1/d10/", "recall/tcn-L1/d30/")
    results = {
        key: _designed(flat, blind_acc if key.startswith(blind) else 1.0)
        for key, flat in recall_tcn(QUICK).items()
    }
    module = CLAIMS["tcn-sees-far"]
    ev, fig = module.evidence(Runs(results, QUICK))
    assert fig.axes and {r["distance"] for r in ev["params"]} == {3, 10, 30}
    assert module.decide(ev).verdict == verdict
