"""The report's three answers follow this run's numbers: evidence that contradicts a sentence
changes it or removes it."""

from __future__ import annotations

import copy

from seqlab.suite.questions import answers


def est(mean: float, half: float = 0.02) -> dict:
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": 1000, "method": "test"}


def claim(cid: str, verdict: str, evidence: dict, reason: str = "the numbers") -> dict:
    return {"id": cid, "verdict": verdict, "reason": reason, "evidence": evidence}


def payoff(long=(1.0, 0.25), short=(1.0, 1.0), ms=(2.0, 1.0)) -> dict:
    """(LSTM, FFNN) accuracies at long and short range, (LSTM, FFNN) ms per step."""

    def row(acc, t, window=None):
        return {"accuracy": est(acc), "ms_per_step": t, "ms_per_step_interval": est(t, 0.05),
                "window": window}  # fmt: skip

    return {
        "long": {"distance": 30, "lstm": row(long[0], ms[0]), "ffnn": row(long[1], ms[1], 5)},
        "short": {"distance": 3, "lstm": row(short[0], ms[0]), "ffnn": row(short[1], ms[1], 5)},
    }


def costlier(lstm_ms: float) -> dict:
    def row(m, params, flops, ms):
        return {"model": m, "hidden": 64, "params": params, "flops_per_step": flops,
                "activation_bytes": 1, "fwd_bwd_ms": est(ms, 0.01)}  # fmt: skip

    return {
        "equal_hidden": [row("lstm", 400, 4000, 0.2), row("rnn", 100, 1000, 0.2)],
        "training_step": {"ms": {"lstm": est(lstm_ms, 0.01), "rnn": est(0.2, 0.01)}},
    }


def window_cost(ffnn_grows: bool = True, lstm_fixed: bool = True) -> dict:
    rows = [
        {"window": k, "ffnn": 1000 + (100_000 * k if ffnn_grows else 0),
         "lstm": 50_000 if lstm_fixed else 50_000 * k, "rnn": 20_000}
        for k in (1, 4, 28)
    ]  # fmt: skip
    return {"frames": rows, "words": rows}


def depth(lstm_per_step: float = 1.0) -> dict:
    rows = [{"model": "rnn", "seq_len": T, "matmuls": T + 1} for T in (10, 20, 40)]
    rows += [{"model": "lstm", "seq_len": T, "matmuls": int(lstm_per_step * T) + 1}
             for T in (10, 20, 40)]  # fmt: skip
    return {"rows": rows}


def gradients(rnn: float, lstm: float) -> dict:
    return {"rows": [{"model": m, "stage": "trained", "rate": est(r, 0.01)}
                     for m, r in (("rnn", rnn), ("lstm", lstm))]}  # fmt: skip


def gates(nfg: float) -> dict:
    return {"ablations": [{"model": "lstm", "accuracy": est(1.0, 0.01)},
                          {"model": "lstm-nfg", "accuracy": est(nfg, 0.01)}]}  # fmt: skip


def textbook() -> dict:
    """Numbers and verdicts that agree with the textbook answer everywhere."""
    cs = [
        claim("memory-pays-off", "supported", payoff()),
        claim("ffnn-window-blind", "supported", {}, "none of the FFNNs with k < d beats chance"),
        claim("lstm-costlier", "supported", costlier(0.8)),
        claim("ffnn-window-cost", "supported", window_cost()),
        claim("rnn-unrolled-deep", "supported", depth()),
        claim("rnn-vanishing-gradient", "supported", gradients(0.7, 0.05)),
        claim("rnn-forgets", "supported", {}, "at d=30: LSTM 1.0, RNN 0.25"),
        claim("lstm-gates-roles", "supported", gates(0.25), "input admits: Δ=0.5"),
    ]
    return {c["id"]: c for c in cs}


def text(claims: dict) -> str:
    return " ".join(a["answer"] for a in answers(claims))


def with_claim(cid: str, verdict: str | None = None, evidence: dict | None = None) -> dict:
    cs = copy.deepcopy(textbook())
    if verdict is not None:
        cs[cid]["verdict"] = verdict
    if evidence is not None:
        cs[cid]["evidence"] = evidence
    return cs


def test_textbook_numbers_give_the_textbook_sentences():
    t = text(textbook())
    for sentence in (
        "further back than a window you can afford",
        "× less time than the LSTM's: then a window is enough",
        "A window FFNN (an MLP over the last k inputs) could not see past its window",
        "so the LSTM was slower",
        "its size grows with the window",
        "for any number of frames",
        "both are about T layers deep",
        "the plain RNN's gradient vanishes faster",
        "the plain RNN forgot and the LSTM kept the cue",
        "The gates did what the explanation says",
        "Without a gate the LSTM recalled worse: lstm-nfg",
    ):
        assert sentence in t, sentence


def test_an_ffnn_that_wins_at_long_range_is_not_called_blind_or_short_sighted():
    t = text(with_claim("memory-pays-off", "refuted", payoff(long=(0.3, 0.9))))
    assert "further back than a window you can afford" not in t
    assert "so the window did better" in t
    t = text(with_claim("memory-pays-off", "inconclusive", payoff(long=(0.5, 0.5))))
    assert "does not separate them at long range" in t


def test_a_slower_ffnn_is_never_enough_for_its_speed():
    t = text(with_claim("memory-pays-off", "inconclusive", payoff(ms=(1.0, 3.0))))
    assert "a window is enough" not in t and "less time" not in t
    assert "3.0× more time than the LSTM's: a window is as accurate there, but it saved" in t
    t = text(with_claim("memory-pays-off", "refuted", payoff(short=(1.0, 0.4))))
    assert "a window is enough" not in t and "the LSTM was more accurate even there" in t


def test_blindness_is_stated_only_when_the_blind_claim_holds():
    for verdict, phrase in (
        ("refuted", "did better than chance beyond its window"),
        ("inconclusive", "this run does not settle"),
    ):
        t = text(with_claim("ffnn-window-blind", verdict))
        assert "could not see past its window" not in t and phrase in t


def test_a_faster_lstm_is_called_faster():
    t = text(with_claim("lstm-costlier", "refuted", costlier(0.1)))
    assert "the LSTM was slower" not in t and "the LSTM was faster" in t


def test_window_cost_sentences_follow_the_counts():
    t = text(with_claim("ffnn-window-cost", "refuted", window_cost(ffnn_grows=False)))
    assert "grows with the window" not in t and "did not grow with the window" in t
    t = text(with_claim("ffnn-window-cost", "inconclusive", window_cost(lstm_fixed=False)))
    assert "for any number of frames" not in t and "changed with the window too" in t


def test_depth_is_t_layers_only_where_measured_so():
    t = text(with_claim("rnn-unrolled-deep", evidence=depth(lstm_per_step=3.0)))
    assert "both are about T layers deep" not in t
    assert "only the RNN is about T layers deep" in t


def test_gradient_sentence_follows_the_fitted_rates():
    t = text(with_claim("rnn-vanishing-gradient", "refuted", gradients(0.05, 0.7)))
    assert "the plain RNN's gradient vanishes faster" not in t
    assert "the LSTM's gradient decays faster than the plain RNN's" in t
    t = text(with_claim("rnn-vanishing-gradient", "refuted", gradients(-0.2, 0.1)))
    assert "the RNN's grew by a factor e every 5 steps back" in t


def test_forgetting_and_gates_sentences_follow_their_verdicts():
    t = text(with_claim("rnn-forgets", "refuted"))
    assert "forgot and the LSTM kept" not in t and "did not forget more than the LSTM" in t
    t = text(with_claim("lstm-gates-roles", "refuted", gates(1.0)))
    assert "did what the explanation says" not in t and "did not do what" in t
    assert "Without a gate" not in t and "No ablated LSTM recalled measurably worse" in t


def test_a_broken_experiment_contributes_only_that_it_broke():
    cs = with_claim("rnn-forgets", "error", {})
    cs["rnn-forgets"]["reason"] = "no verdict: the experiment failed (KeyError: 'x')"
    t = text(cs)
    assert "The rnn-forgets experiment failed" in t and "In accuracy" not in t


def test_indistinguishable_times_are_called_so():
    t = text(with_claim("lstm-costlier", "inconclusive", costlier(0.205)))
    assert "the LSTM was slower" not in t and "the two were not distinguishable in time" in t
