"""The newer families (tcn, transformer, mingru, minlstm): the parallel scan against the
step loop, causality and reach, the NumPy references in float64, and the CLI around them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab import reference
from seqlab.cli import main
from seqlab.config import TrainConfig
from seqlab.errors import ConfigError
from seqlab.models import ModelSpec, build_model
from seqlab.models.min_rnn import MinGRU, MinLSTM
from seqlab.models.newer import start_notes
from seqlab.models.tcn import TCN, levels_for, receptive_field
from seqlab.models.transformer import Transformer, window_mask
from seqlab.tasks import build_task
from seqlab.tasks.span import dependency_span

MIN_RNNS = {"mingru": MinGRU, "minlstm": MinLSTM}


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _scaled(core: torch.nn.Module, scale: float) -> None:
    """Spread the pre-activations over both branches of g (k < 0 and k >= 0), and far out."""
    with torch.no_grad():
        for p in core.parameters():
            p.mul_(scale)


def _numpy(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


# ----- minGRU / minLSTM: the scan is the recurrence ---------------------------------------


@pytest.mark.parametrize("name", ["mingru", "minlstm"])
def test_parallel_scan_equals_step_loop_in_values_and_gradients(float64, name):
    gen = torch.Generator().manual_seed(0)
    core = MIN_RNNS[name](3, 5, num_layers=2, generator=gen)
    _scaled(core, 3.0)
    x = torch.randn(4, 37, 3, generator=gen, requires_grad=True)
    w = torch.randn(4, 37, 5, generator=gen)  # a loss that weighs every step and unit

    scan = core(x, path="auto")
    grads_scan = torch.autograd.grad((scan * w).sum(), [x, *core.parameters()])
    loop = core(x, path="trace")
    grads_loop = torch.autograd.grad((loop * w).sum(), [x, *core.parameters()])

    torch.testing.assert_close(scan, loop, rtol=1e-10, atol=1e-12)
    for name_, a, b in zip(
        ["x", *dict(core.named_parameters())], grads_scan, grads_loop, strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11, msg=name_)


def test_mingru_backward_by_hand_matches_autograd(float64):
    gen = torch.Generator().manual_seed(1)
    core = MinGRU(3, 4, num_layers=2, generator=gen)
    _scaled(core, 2.5)
    x = torch.randn(2, 9, 3, generator=gen, requires_grad=True)
    dy = torch.randn(2, 9, 4, generator=gen)
    y = core(x)
    y.backward(dy)
    y_ref, cache = reference.min_rnn.forward(x.detach().numpy(), _numpy(core), 2, "mingru")
    grads, dx = reference.min_rnn.backward(cache, dy.numpy())
    np.testing.assert_allclose(y_ref, y.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=1e-9, atol=1e-12)
    for n, p in core.named_parameters():
        np.testing.assert_allclose(grads[n], p.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=n)


@pytest.mark.parametrize("name", ["mingru", "minlstm"])
def test_min_rnn_forward_matches_numpy_reference(float64, name):
    gen = torch.Generator().manual_seed(2)
    core = MIN_RNNS[name](2, 6, num_layers=2, generator=gen)
    x = 3 * torch.randn(3, 11, 2, generator=gen)
    y_ref, _ = reference.min_rnn.forward(x.numpy(), _numpy(core), 2, name)
    np.testing.assert_allclose(core(x).detach().numpy(), y_ref, rtol=1e-10, atol=1e-12)


def test_min_rnn_trace_exposes_gates_that_rebuild_the_state(float64):
    gen = torch.Generator().manual_seed(3)
    core = MinLSTM(2, 4, generator=gen)
    x = torch.randn(2, 6, 2, generator=gen)
    tr = core.trace(x)
    f, i, g = tr.gates[0]["f"], tr.gates[0]["i"], tr.gates[0]["g"]
    torch.testing.assert_close(f + i, torch.ones_like(f))  # normalised: f' + i' = 1
    h = tr.hidden[0]
    prev = torch.cat([torch.zeros_like(h[:, :1]), h[:, :-1]], dim=1)
    torch.testing.assert_close(h, f * prev + i * g)


# ----- TCN ----------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "levels"), [(2, 1), (3, 2), (2, 3)])
def test_tcn_output_depends_on_exactly_its_receptive_field(float64, k, levels):
    r = receptive_field(k, levels)
    gen = torch.Generator().manual_seed(4)
    core = TCN(2, 3, levels, k, generator=gen)
    with torch.no_grad():  # large biases: every ReLU active, so every path within r counts
        for n, p in core.named_parameters():
            if n.endswith("bias"):
                p.fill_(10.0)
    T = r + 4
    x = torch.randn(8, T, 2, generator=gen, requires_grad=True)
    y = core(x)  # (8, T, 3)
    (jac,) = torch.autograd.grad(y[:, r - 1].abs().sum(), x, retain_graph=True)
    seen = jac.abs().sum(dim=(0, 2)) > 0  # (T,) the inputs output r − 1 depends on
    assert seen[:r].all() and not seen[r:].any()
    (jac_late,) = torch.autograd.grad(y[:, r].abs().sum(), x)  # input 0 is out of its reach
    assert jac_late[:, 0].abs().sum() == 0 and jac_late[:, 1].abs().sum() > 0


def test_tcn_receptive_field_formula_and_levels_for():
    assert receptive_field(3, 8) == 1021
    assert receptive_field(8, 6) == 1 + 2 * 7 * 63
    assert levels_for(600, 3) == 8 and receptive_field(3, 7) < 600


def test_tcn_forward_matches_numpy_reference(float64):
    gen = torch.Generator().manual_seed(5)
    core = TCN(3, 4, levels=3, kernel_size=3, generator=gen)
    _scaled(core, 20.0)
    x = torch.randn(2, 19, 3, generator=gen)
    y_ref, _ = reference.tcn.forward(x.numpy(), _numpy(core))
    np.testing.assert_allclose(core(x).detach().numpy(), y_ref, rtol=1e-10, atol=1e-12)


def test_tcn_weight_norm_forward_is_a_causal_conv_with_the_effective_weight(float64):
    """conv1 with W = g·V/‖V‖ (per output channel, computed here by hand) equals F.conv1d
    on the left-padded input."""
    gen = torch.Generator().manual_seed(11)
    conv = TCN(3, 4, levels=2, kernel_size=3, generator=gen).blocks[1].conv1  # dilation 2
    g = conv.parametrizations.weight.original0.detach()  # (C, 1, 1)
    v = conv.parametrizations.weight.original1.detach()  # (C, C_in, k)
    w = g * v / v.pow(2).sum(dim=(1, 2), keepdim=True).sqrt()
    x = torch.randn(2, 4, 15, generator=gen)  # (B, C_in, T)
    ref = torch.nn.functional.conv1d(
        torch.nn.functional.pad(x, ((3 - 1) * 2, 0)), w, conv.bias.detach(), dilation=2
    )
    torch.testing.assert_close(conv(x), ref, rtol=1e-12, atol=1e-12)
    state = {k: t.clone() for k, t in conv.state_dict().items()}  # g and V, not W, are saved
    assert set(state) == {
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    }


def test_tcn_convolutions_start_he_uniform_with_v_at_torchs_scale():
    """W = √6·V ~ U(±√(6/fan_in)): std √(2/fan_in); V ~ U(±1/√fan_in); g = ‖W‖ per channel."""
    core = TCN(64, 64, levels=2, kernel_size=7, generator=torch.Generator().manual_seed(12))
    fan_in = 64 * 7
    for name in ("conv1", "conv2"):
        conv = getattr(core.blocks[1], name)
        w, v = conv.weight.detach(), conv.parametrizations.weight.original1.detach()
        assert w.abs().max() <= math.sqrt(6 / fan_in)
        assert v.abs().max() <= 1 / math.sqrt(fan_in)
        assert w.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)
        torch.testing.assert_close(w, math.sqrt(6) * v)
    assert core.blocks[0].downsample is None  # 64 -> 64: identity residual
    small = TCN(2, 64, levels=1, kernel_size=7, generator=torch.Generator().manual_seed(13))
    assert small.blocks[0].downsample.weight.std().item() == pytest.approx(0.01, rel=0.1)


def test_tcn_read_out_starts_at_locuslab_scale_and_other_models_keep_torchs():
    gen = torch.Generator().manual_seed(14)
    tcn = build_model(ModelSpec("tcn", hidden_size=400), input_size=2, output_size=8, generator=gen)
    assert tcn.head.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert tcn.head.bias.abs().max() <= 1 / math.sqrt(400)  # the bias keeps torch's default
    lstm = build_model(ModelSpec("lstm", hidden_size=400), input_size=2, output_size=8)
    assert lstm.head.weight.abs().max() <= 1 / math.sqrt(400)
    assert lstm.head.weight.std().item() == pytest.approx(1 / math.sqrt(3 * 400), rel=0.05)


def test_tcn_weights_round_trip_through_safetensors(tmp_path):
    from seqlab.checkpoint import load_weights, save_weights

    spec = ModelSpec("tcn", hidden_size=6, levels=2, kernel_size=3)
    a = build_model(spec, input_size=2, output_size=1, generator=torch.Generator().manual_seed(1))
    b = build_model(spec, input_size=2, output_size=1, generator=torch.Generator().manual_seed(2))
    save_weights(tmp_path / "w.safetensors", a.state_dict())
    b.load_state_dict(load_weights(tmp_path / "w.safetensors"))
    x = torch.randn(3, 9, 2)
    torch.testing.assert_close(b(x), a(x), rtol=0, atol=0)


# ----- Transformer ----------------------------------------------------------------------


@pytest.mark.parametrize("context", [None, 4, 30])
def test_transformer_forward_matches_numpy_reference(float64, context):
    gen = torch.Generator().manual_seed(6)
    core = Transformer(3, 8, layers=2, heads=2, context=context, generator=gen)
    _scaled(core, 20.0)  # attention far from uniform
    x = torch.randn(2, 10, 3, generator=gen)
    y_ref, _ = reference.transformer.forward(x.numpy(), _numpy(core), 2, 2, context)
    np.testing.assert_allclose(core(x).detach().numpy(), y_ref, rtol=1e-9, atol=1e-10)


def test_transformer_sees_exactly_its_context(float64):
    gen = torch.Generator().manual_seed(7)
    core = Transformer(2, 8, layers=1, heads=2, context=3, generator=gen)
    x = torch.randn(1, 9, 2, generator=gen, requires_grad=True)
    (jac,) = torch.autograd.grad(core(x)[0, 6].sum(), x)
    seen = jac[0].abs().sum(dim=-1) > 0
    assert seen.tolist() == [False] * 4 + [True] * 3 + [False] * 2  # inputs 4, 5, 6


def test_window_mask_with_full_context_is_the_causal_mask():
    assert torch.equal(window_mask(5, 5), torch.ones(5, 5, dtype=torch.bool).tril())


# ----- registry, config, notes -----------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(
    name=st.sampled_from(["tcn", "transformer", "mingru", "minlstm"]),
    tokens=st.booleans(),
)
def test_every_newer_model_maps_sequences_to_per_step_outputs(name, tokens):
    spec = ModelSpec(name, hidden_size=8, layers=2, levels=2, kernel_size=2, heads=2)
    if name != "tcn":
        spec = ModelSpec(name, hidden_size=8, layers=2, heads=2 if name == "transformer" else None)
    model = build_model(spec, input_size=3, output_size=5, vocab_size=11 if tokens else None)
    x = torch.randint(0, 11, (2, 7)) if tokens else torch.randn(2, 7, 3)
    assert model(x).shape == (2, 7, 5)


def test_generator_makes_initialisation_repeatable():
    for cls, args in ((TCN, (2, 4, 2, 3)), (Transformer, (2, 4, 1, 2)), (MinGRU, (2, 4))):
        a = cls(*args, generator=torch.Generator().manual_seed(9)).state_dict()
        b = cls(*args, generator=torch.Generator().manual_seed(9)).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_tcn_defaults_cover_adding_600_and_a_short_one_says_so():
    cfg = TrainConfig(task="adding", model="tcn")
    assert (cfg.hidden_size, cfg.levels, cfg.kernel_size) == (30, 6, 7)
    task = build_task("adding", {"seq_len": 600}, 0)
    notes = start_notes(cfg.model_spec(task.seq_len), dependency_span(task))
    assert notes == ["tcn receptive field 1 + 2·(7−1)·(2^6 − 1) = 757 inputs"]
    short = TrainConfig(task="adding", model="tcn", levels=3)
    notes = start_notes(short.model_spec(600), 600)
    assert "(85 inputs) is shorter than the task's dependency (600 inputs)" in notes[1]


def test_dependency_span_of_the_synthetic_tasks():
    assert dependency_span(build_task("recall", {"distance": "5-12"}, 0)) == 12
    copy = build_task("copy", {"seq_len": 20, "length": 4}, 0)
    assert dependency_span(copy) == 4 + 20 + 2
    assert dependency_span(build_task("adding", {"seq_len": 30}, 0)) == 30


def test_older_models_keep_their_run_ids():
    cfg = TrainConfig(task="adding", model="lstm")
    assert cfg.hidden_size == 64
    assert not {"levels", "kernel_size", "heads", "context"} & set(cfg.to_dict())
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    ("flat", "problem"),
    [
        ({"model": "lstm", "levels": 3}, "--levels: applies to --model tcn only"),
        ({"model": "transformer", "hidden_size": 10, "heads": 4}, "not divisible by 4 heads"),
        ({"model": "tcn", "kernel_size": 1}, "--kernel-size: too small"),
    ],
)
def test_bad_newer_options_are_refused_with_the_fix(flat, problem):
    with pytest.raises(ConfigError, match=problem):
        TrainConfig.from_flat({"task": "adding", **flat})


def cli(*argv: str) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    return exit_info.value.code


def test_cli_refuses_bad_heads_with_exit_2(tmp_path, capsys):
    args = ["train", "--task", "adding", "--model", "transformer", "--hidden-size", "10"]
    assert cli(*args, "--out", str(tmp_path)) == 2
    assert "--heads" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_cli_gates_shows_mingru_update_gate(tmp_path, capsys):
    flat = ["--task", "recall", "--model", "mingru", "--distance", "4", "--steps", "2"]
    small = ["--hidden-size", "6", "--batch-size", "4", "--task-opt", "eval_size=8"]
    assert cli("train", *flat, *small, "--out", str(tmp_path), "--json", "-q") == 0
    run = json.loads(capsys.readouterr().out)["run_dir"]
    png = tmp_path / "g.png"
    assert cli("gates", run, "alice is hungry , buy", "--out", str(png), "--json") == 0
    means = json.loads(capsys.readouterr().out)["means"]
    assert set(means) == {"z", "h"} and len(means["z"]) == 5
    assert all(0 < v < 1 for v in means["z"]) and png.stat().st_size > 0


@pytest.mark.parametrize("model", ["tcn", "transformer", "mingru", "minlstm"])
def test_interrupted_run_resumes_bit_identical(tmp_path, monkeypatch, model):
    """SIGINT before step 3 of 6, then the same call again: the weights of an uninterrupted run."""
    import os
    import signal

    from seqlab import rundir
    from seqlab import train as train_module

    flat = {"task": "adding", "model": model, "seq_len": 12, "hidden_size": 8, "steps": 6}
    flat |= {"batch_size": 4, "eval_every": 2, "eval_size": 8, "dropout": 0.1}
    flat |= {"levels": 2, "kernel_size": 2} if model == "tcn" else {}
    whole = train_module.run_config(flat, str(tmp_path / "whole"))

    real_build = train_module.build_task
    calls = {"n": 0}

    def interrupting_build(*args, **kwargs):
        task = real_build(*args, **kwargs)
        draw = task.train_batch

        def train_batch(*a, **k):
            calls["n"] += 1
            if calls["n"] == 3:
                os.kill(os.getpid(), signal.SIGINT)  # seen before the next step
            return draw(*a, **k)

        task.train_batch = train_batch
        return task

    monkeypatch.setattr(train_module, "build_task", interrupting_build)
    with pytest.raises(train_module.TrainingInterrupted):
        train_module.run_config(flat, str(tmp_path / "split"))
    monkeypatch.setattr(train_module, "build_task", real_build)
    resumed = train_module.run_config(flat, str(tmp_path / "split"))
    a, b = Path(whole["run_dir"]), Path(resumed["run_dir"])
    assert (a / rundir.WEIGHTS).read_bytes() == (b / rundir.WEIGHTS).read_bytes()
    assert resumed["value"] == whole["value"]


def test_keep_gate_bias_sets_the_memory_of_min_rnns():
    gru = MinGRU(2, 5, forget_bias=2.0)
    torch.testing.assert_close(gru.bias_ih_l0[:5], torch.full((5,), -2.0))  # 1 − z = σ(2)
    lstm = MinLSTM(2, 5, forget_bias="chrono", max_lag=50, generator=torch.Generator())
    keep = lstm.bias_ih_l0[:5]
    torch.testing.assert_close(lstm.bias_ih_l0[5:10], -keep)
    assert (keep >= 0).all() and (keep <= math.log(49)).all() and keep.std() > 0
    with pytest.raises(ValueError, match="max_lag"):
        MinGRU(2, 5, forget_bias="chrono")
