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
    def rows(slope: int) -> list[dict]:
        return [
            {"window": k, "ffnn": 100 + slope * k, "rnn": 500, "lstm": lstm, "gru": 900}
            for k in (1, 2, 4, 8)
        ]

    return {"words": rows(grow), "frames": rows(2 * grow), "images": []}


def depth_rows(slope: float) -> dict:
    rows = [{"model": "rnn", "seq_len": T, "matmuls": int(slope * T) + 1} for T in (4, 8, 16)]
    rows += [{"model": "ffnn", "seq_len": T, "matmuls": 2} for T in (4, 8, 16)]
    return {"rows": rows}


def grad_rows(rnn: float, lstm: float) -> dict:
    """Decay rates per step at three stages, three seeds each (the rule pairs them by seed)."""

    def row(m: str, stage: str, r: float) -> dict:
        return {
            "model": m,
            "stage": stage,
            "rate": est(r, 0.03, 3),
            "per_seed": [r - 0.01, r, r + 0.01],
        }

    stages = ("init", "step 60", "trained")
    return {
        "threshold": 0.02,
        "seeds": 3,
        "rows": [row(m, s, r) for s in stages for m, r in (("rnn", rnn), ("lstm", lstm))],
    }


def fd(d: float | None, lo: float | None = None, hi: float | None = None) -> dict:
    """A forgetting distance on the grid 2 … 80 (None: beyond it)."""
    lo = d if lo is None and d is not None else lo
    hi = d if hi is None and d is not None else hi
    return {"d": d, "lo": lo, "hi": hi, "level": 0.625, "grid": [2, 80], "method": "test"}


def forgets_rows(lstm: dict, rnn: dict) -> dict:
    return {"recall": [], "forgetting": {"lstm": lstm, "rnn": rnn}, "adding": []}


def gates(i: float, f: float, o: float, seeds: int = 3) -> dict:
    """Accuracy lost by closing each gate at its step, beyond the same clamp at a control step."""

    def part(gate: str, effect: float) -> dict:
        return {
            "gate": gate,
            "at": "its step",
            "control_at": "a control step",
            "intervention": est(1.0 - effect),
            "control": est(1.0),
            "effect": est(effect, 0.05),
        }

    return {
        "seeds": seeds,
        "lstm_accuracy": est(0.99, 0.005),
        "interventions": {"input": part("i", i), "forget": part("f", f), "output": part("o", o)},
        "ablations": [],
    }


def text_rows(lstm=(20, 10, 50), rnn=(5, 2, 5), fall: float = 0.01) -> list[dict]:
    def row(model, ctx):
        return {
            "corpus": "kjv",
            "model": model,
            "perplexity": 100.0,
            "steps": 1000,
            "valid_second_half": fall,
            "trained": fall < 0.05,
            "effective_context": dict(zip(("n", "lo", "hi"), ctx, strict=True)),
        }

    return [row("ffnn-k5", (5, 2, 5)), row("rnn", rnn), row("lstm", lstm)]


def words(lstm: dict, rnn: dict, ffnn_beyond: float = 0.25, corpus=None) -> dict:
    ffnn = [
        {"model": "ffnn", "window": 5, "distance": d, "accuracy": est(a), "chance": 0.25}
        for d, a in ((3, 0.99), (5, 0.99), (12, ffnn_beyond), (30, ffnn_beyond))
    ]
    return {
        "corpora": ["kjv"],
        "templates": ffnn,
        "forgetting": {"lstm": lstm, "rnn": rnn, "ffnn-k5": fd(5.5, 5.2, 5.8)},
        "corpus": text_rows() if corpus is None else corpus,
    }


def costs(lstm_ms: float, rnn_ms: float) -> dict:
    """Training steps of ``lstm_ms`` and ``rnn_ms``; the bare layer probe the other way round
    (the rule must not read it)."""
    row = {"params": 1, "flops_per_step": 1, "activation_bytes": 1}
    return {
        "equal_hidden": [
            {**row, "model": "lstm", "fwd_bwd_ms": est(rnn_ms, 0.01), "flops_per_step": 4,
             "activation_bytes": 4, "params": 4},
            {**row, "model": "rnn", "fwd_bwd_ms": est(lstm_ms, 0.01)},
        ],
        "training_step": {
            "ms": {"lstm": est(lstm_ms, 0.01), "rnn": est(rnn_ms, 0.01)},
            "ratio": est(lstm_ms / rnn_ms, 0.02),
            "rounds": 15, "seq_len": 50, "batch_size": 64,
        },
    }  # fmt: skip


def payoff(long_lstm: float, long_ffnn: float, short_lstm: float, short_ffnn: float) -> dict:
    def half(d, lstm, ffnn):
        return {
            "distance": d,
            "lstm": {
                "accuracy": est(lstm),
                "ms_per_step": 2.0,
                "ms_per_step_interval": est(2.0, 0.1),
            },
            "ffnn": {
                "accuracy": est(ffnn),
                "window": 5,
                "ms_per_step": 1.0,
                "ms_per_step_interval": est(1.0, 0.1),
            },
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
            + [{"model": "ffnn", "seq_len": T, "matmuls": 2} for T in (4, 8, 16)]
        },
        "inconclusive": depth_rows(3.0),
    },
    "rnn-vanishing-gradient": {
        "supported": grad_rows(0.9, 0.1),
        "refuted": grad_rows(0.1, 0.9),
        "inconclusive": grad_rows(0.5, 0.5),
    },
    "rnn-forgets": {
        "supported": forgets_rows(fd(None), fd(10, 8, 12)),
        "refuted": forgets_rows(fd(10, 8, 12), fd(40, 30, 50)),
        "inconclusive": forgets_rows(fd(25, 15, 40), fd(20, 10, 30)),
    },
    "lstm-gates-roles": {
        "supported": gates(0.7, 0.7, 0.7),
        "refuted": gates(0.7, 0.0, 0.7),
        "inconclusive": gates(0.7, 0.12, 0.7),
    },
    "next-word-context": {
        "supported": words(fd(None), fd(10, 8, 12)),
        "refuted": words(fd(None), fd(10, 8, 12), ffnn_beyond=0.6),
        "inconclusive": words(fd(None), fd(10, 8, 12), corpus=text_rows(fall=0.2)),
    },
    "lstm-costlier": {
        "supported": costs(0.5, 0.2),
        "refuted": costs(0.2, 0.5),
        "inconclusive": costs(0.33, 0.3),  # 10% more: on the margin, within the noise
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


def test_next_word_context_names_where_the_probe_loss_was_lowest():
    rows = text_rows()
    rows[2].update(best_n=50, full_context=500)  # the LSTM's loss rose past 50 tokens
    rows[1].update(best_n=500, full_context=500)  # the RNN's fell all the way
    parts = CLAIMS["next-word-context"].decide(words(fd(None), fd(10, 8, 12), corpus=rows)).parts
    text = {p.name: p.reason for p in parts}
    more_rnn = text["on kjv the LSTM uses more context than the RNN"]
    assert (
        "LSTM 20 [10, 50] (loss lowest at 50 of 500 tokens kept) vs RNN 5 [2, 5] tokens" in more_rnn
    )


def test_gate_roles_need_a_model_that_learned_the_task():
    ev = {**gates(0.7, 0.7, 0.7), "lstm_accuracy": est(0.5)}
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


# ---- each part of a claim is tested: contradicting it alone changes that part and the verdict --


def _set(path: str, value):
    """A mutation of the supported evidence: ``path`` ("a.0.b") set to ``value``."""

    def apply(ev: dict) -> dict:
        node = ev
        *head, last = path.split(".")
        for key in head:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
        return ev

    return apply


def _both(*changes):
    def apply(ev: dict) -> dict:
        for path, value in changes:
            ev = _set(path, value)(ev)
        return ev

    return apply


def ctx(n: int, lo: int, hi: int) -> dict:
    return {"n": n, "lo": lo, "hi": hi}


CONTRADICTIONS = [
    # (claim, the part contradicted, how, the part's verdict then)
    (
        "ffnn-window-blind",
        "at chance beyond its window",
        _set("rows.0.accuracy", est(0.6)),
        "refuted",
    ),
    (
        "ffnn-window-blind",
        "recalls within its window",
        _set("rows.1.accuracy", est(0.25)),
        "inconclusive",
    ),
    (
        "ffnn-window-cost",
        "grows linearly",
        lambda ev: {**ev, "words": cost_rows(0, lstm=50)["words"]},
        "refuted",
    ),
    (
        "ffnn-window-cost",
        "faster for big inputs",
        lambda ev: {**ev, "frames": cost_rows(5000)["words"]},
        "refuted",
    ),
    ("ffnn-window-cost", "do not grow with the sequence", _set("words.3.lstm", 99), "refuted"),
    (
        "ffnn-window-cost",
        "larger than the LSTM",
        lambda ev: cost_rows(5000, lstm=10**9),
        "inconclusive",
    ),
    ("rnn-unrolled-deep", "one layer per step", lambda ev: depth_rows(3.0), "inconclusive"),
    ("rnn-unrolled-deep", "does not grow with T", _set("rows.5.matmuls", 9), "refuted"),
    ("rnn-forgets", "RNN forgets within", _set("forgetting.rnn", fd(0.0)), "inconclusive"),
    ("rnn-forgets", "keeps the cue longer", _set("forgetting.lstm", fd(4, 3, 5)), "refuted"),
    (
        "next-word-context",
        "uses the cue beyond 5",
        _both(("forgetting.lstm", fd(4, 3.5, 4.5)), ("forgetting.rnn", fd(2.5, 2.2, 2.8))),
        "refuted",
    ),
    ("next-word-context", "RNN forgets within", _set("forgetting.rnn", fd(0.0)), "inconclusive"),
    (
        "next-word-context",
        "keeps the cue longer",
        _both(("forgetting.lstm", fd(30, 20, 40)), ("forgetting.rnn", fd(25, 15, 35))),
        "inconclusive",
    ),
    ("next-word-context", "at chance beyond", _set("templates.3.accuracy", est(0.7)), "refuted"),
    (
        "next-word-context",
        "recalls within",
        _set("templates.0.accuracy", est(0.25)),
        "inconclusive",
    ),
    (
        "next-word-context",
        "more than 5 tokens",
        _both(
            ("corpus.2.effective_context", ctx(5, 2, 5)),
            ("corpus.1.effective_context", ctx(1, 1, 1)),
        ),
        "refuted",
    ),
    (
        "next-word-context",
        "more context than the RNN",
        _set("corpus.1.effective_context", ctx(100, 100, 100)),
        "refuted",
    ),
    (
        "lstm-costlier",
        "4× the parameters",
        _both(("equal_hidden.0.params", 1), ("equal_hidden.0.flops_per_step", 1)),
        "refuted",
    ),
    ("lstm-costlier", "more time", _set("training_step.ratio", est(0.5, 0.01)), "refuted"),
    # within 10% of the RNN's time: not "more time" in the claim's sense
    ("lstm-costlier", "more time", _set("training_step.ratio", est(1.05, 0.01)), "refuted"),
    ("lstm-costlier", "more time", _set("training_step", None), "inconclusive"),
    ("lstm-costlier", "more memory", _set("equal_hidden.0.activation_bytes", 1), "refuted"),
    (
        "memory-pays-off",
        "more accurate beyond",
        _set("long.lstm.accuracy", est(0.25)),
        "inconclusive",
    ),
    ("memory-pays-off", "as accurate within", _set("short.ffnn.accuracy", est(0.5)), "refuted"),
    (
        "memory-pays-off",
        "cheaper per training step",
        _set("short.ffnn.ms_per_step_interval", est(5.0, 0.1)),
        "refuted",
    ),
]


@pytest.mark.parametrize(("cid", "part", "mutate", "verdict"), CONTRADICTIONS)
def test_contradicting_one_part_changes_that_part_and_the_verdict(cid, part, mutate, verdict):
    import copy

    before = CLAIMS[cid].decide(copy.deepcopy(CASES[cid]["supported"]))
    assert before.verdict == "supported" and all(p.verdict == "supported" for p in before.parts)
    after = CLAIMS[cid].decide(mutate(copy.deepcopy(CASES[cid]["supported"])))
    changed = [p for p in after.parts if p.verdict != "supported"]
    assert [p.verdict for p in changed] == [verdict], [(p.name, p.verdict) for p in after.parts]
    assert part in changed[0].name
    assert after.verdict == verdict


def test_every_part_of_my_claims_can_be_contradicted():
    """Each part name of each claim above appears in CONTRADICTIONS."""
    import copy

    for cid in {c for c, *_ in CONTRADICTIONS}:
        names = [p.name for p in CLAIMS[cid].decide(copy.deepcopy(CASES[cid]["supported"])).parts]
        tested = [part for c, part, *_ in CONTRADICTIONS if c == cid]
        for name in names:
            assert any(t in name for t in tested), (cid, name)
