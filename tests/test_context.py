"""The context-use probe (seqlab.probes.context, context_summary) and `seqlab context`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.cli import main
from seqlab.models import ModelSpec, build_model
from seqlab.probes.context import (
    effective_n,
    last_step_nll,
    perturbed_windows,
    position_losses,
    summarise,
)

V = 20
CORPUS = Path(__file__).parent / "data" / "corpus.txt"


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def _model(name: str, **kw) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(
        ModelSpec(name, hidden_size=8, **kw), input_size=V, output_size=V, vocab_size=V
    ).eval()


def _stream(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, V, (n,), generator=torch.Generator().manual_seed(seed))


def test_a_model_that_sees_only_the_last_token_has_effective_context_1():
    model = _model("ffnn", window=1)  # the MLP reads x_t only: nothing earlier can matter
    stream = _stream(300)
    ns, full = (1, 2, 5, 10, 50), 50
    positions = torch.arange(full - 1, len(stream) - 1)
    g = torch.Generator().manual_seed(0)
    unigram = torch.full((V,), 1.0 / V, dtype=torch.float64)
    losses = position_losses(model, stream, positions, ns, full, g, unigram)
    # reference: the model on the single last token, log-softmax in float64 by hand
    with torch.no_grad():
        logits = model(stream[positions][:, None])[:, 0].double()  # (P, V)
    y = stream[positions + 1]
    ref = (logits.logsumexp(-1) - logits.gather(1, y[:, None])[:, 0]).numpy()
    for kind in ("truncated", "shuffled", "replaced"):
        for row in losses[kind]:
            np.testing.assert_allclose(row, ref, rtol=1e-5, atol=1e-6)
    s = summarise(losses, ns, tol=0.01, boot=200, seed=0)
    assert s["effective_context"] == {"n": 1, "lo": 1, "hi": 1}


def test_truncating_at_the_whole_history_equals_the_full_sequence_loss():
    model = _model("gru")
    stream = _stream(40)
    T = 12  # positions t = 11 … 38 all have 12 tokens of history s[t-11 … t]
    positions = torch.arange(T - 1, len(stream) - 1)
    x = perturbed_windows(stream, positions, T, T, "truncated", torch.Generator())
    probe = last_step_nll(model, x, stream[positions + 1], batch_size=5)
    with torch.no_grad():  # reference: each history as one sequence, every step's output
        ref = []
        for t in positions.tolist():
            out = torch.log_softmax(model(stream[None, t - T + 1 : t + 1]).double(), -1)
            ref.append(-out[0, -1, stream[t + 1]].item())
    np.testing.assert_allclose(probe, ref, rtol=1e-6, atol=1e-7)
    # a window's first token is the start of the history: longer windows would need more
    with pytest.raises(ValueError, match="fewer than 13"):
        perturbed_windows(stream, positions, T + 1, T + 1, "truncated", torch.Generator())


def test_shuffling_beyond_n_keeps_the_multiset_and_the_last_n_tokens():
    stream = torch.arange(1000) % 97  # distinct neighbours make a moved token visible
    positions = torch.arange(199, 999, 7)
    full, n = 200, 20
    g = torch.Generator().manual_seed(3)
    plain = perturbed_windows(stream, positions, full, full, "truncated", g)
    shuf = perturbed_windows(stream, positions, n, full, "shuffled", g)
    assert torch.equal(shuf[:, -n:], plain[:, -n:])
    assert torch.equal(shuf.sort(dim=1).values, plain.sort(dim=1).values)
    assert (shuf[:, :-n] != plain[:, :-n]).float().mean() > 0.9  # and they did move


def test_replacing_beyond_n_draws_from_the_given_distribution_only():
    stream = _stream(600)
    positions = torch.arange(99, 599)
    unigram = torch.zeros(V, dtype=torch.float64)
    unigram[[3, 7]] = 0.5
    x = perturbed_windows(stream, positions, 10, 100, "replaced", torch.Generator(), unigram)
    plain = perturbed_windows(stream, positions, 100, 100, "truncated", torch.Generator())
    assert torch.equal(x[:, -10:], plain[:, -10:])
    assert set(x[:, :-10].unique().tolist()) == {3, 7}


def test_effective_n_is_the_first_n_within_tolerance():
    ns = (1, 2, 5, 10)
    losses = np.array([5.0, 4.2, 4.03, 4.0])
    assert effective_n(losses, 4.0, ns, 0.01) == 5  # 4.03 <= 4.04, 4.2 > 4.04
    assert effective_n(losses, 4.0, ns, 0.06) == 2
    assert effective_n(losses, 4.0, ns, 0.3) == 1


def test_a_loss_that_rises_past_its_best_n_is_measured_against_the_best():
    # per-position losses whose mean falls to n = 50 and rises again (as a model trained on
    # short chunks does): 3.0, 2.5, 2.2, 2.015, 2.0 (best), 2.3 (the full context, 500)
    ns = (1, 5, 20, 30, 50, 500)
    means = np.array([3.0, 2.5, 2.2, 2.015, 2.0, 2.3])
    noise = np.random.default_rng(0).normal(0.0, 0.05, 400)
    losses = {k: means[:, None] + (noise - noise.mean()) for k in ("truncated", "shuffled")}
    s = summarise(losses, ns, tol=0.01, boot=300, seed=0)
    assert s["best"]["n"] == 50
    np.testing.assert_allclose(s["best"]["loss"], 2.0, rtol=1e-12)
    np.testing.assert_allclose(s["best"]["full_above_best"], 0.15, rtol=1e-12)
    # within 1% of 2.0 is <= 2.02: n = 30 by hand (each resample shifts every n alike, by
    # far less than the margins)
    assert s["effective_context"] == {"n": 30, "lo": 30, "hi": 30}
    # the paper's reference, the 500-token loss 2.3: 2.2 <= 2.323 first at n = 20
    assert s["effective_context_full"] == {"n": 20, "lo": 20, "hi": 20}
    # a loss that falls with every n: both references are the full context
    falling = {k: np.array([3.0, 2.5, 2.2, 2.1, 2.05, 2.0])[:, None] + 0 * noise for k in losses}
    f = summarise(falling, ns, tol=0.01, boot=50, seed=0)
    assert f["best"]["n"] == 500 and f["best"]["full_above_best"] == 0.0
    assert f["effective_context"] == f["effective_context_full"] == {"n": 500, "lo": 500, "hi": 500}


def test_bad_run_dir_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["context", str(tmp_path / "absent")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "absent" in err and "not a run directory" in err and "Traceback" not in err


def test_context_cli_end_to_end_on_a_tiny_run(tmp_path, capsys):
    argv = ["train", "--task", "text", "--data", str(CORPUS), "--model", "gru"]
    argv += ["--hidden-size", "8", "--layers", "1", "--steps", "4", "--eval-every", "4"]
    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(tmp_path), "--json", "--quiet"])
    assert e.value.code in (0, None)
    run_dir = json.loads(capsys.readouterr().out)["run_dir"]
    fig = tmp_path / "ctx.png"
    with pytest.raises(SystemExit) as e:
        main(["context", run_dir, "--tokens", "20", "--boot", "50", "--json", "--out", str(fig)])
    assert e.value.code in (0, None)
    r = json.loads(capsys.readouterr().out)
    m = r["models"]["gru"]
    full = m["full"]
    assert m["ns"][-1] == full and m["positions"] <= 20
    assert m["curves"]["truncated"]["increase"][-1] == 0.0  # the full context is the reference
    assert m["effective_context"]["n"] in m["ns"]
    assert "Khandelwal" in m["paper_comparison"]
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
