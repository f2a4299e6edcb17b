"""Probes against independent references: torch.nn cells, torch's Jacobian and FLOP counter,
NumPy eigenvalues, hand-computed statistics, and provable bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from seqlab.models import ModelSpec, Trace, build_model
from seqlab.probes import (
    activation_memory,
    cost_vs_length,
    fit_decay,
    flops_of,
    flops_per_step,
    gate_matrix,
    gate_statistics,
    gradient_path_length,
    graph_depth,
    hidden_grad_norms,
    input_jacobian_norms,
    match_params,
    param_count,
    spectral_radius,
)
from seqlab.probes.gradients import unroll
from seqlab.tasks.base import Batch

D, O = 3, 2


def model64(name: str, H: int = 4, seed: int = 0, **kw):
    g = torch.Generator().manual_seed(seed)
    model = build_model(
        ModelSpec(name, hidden_size=H, **kw), input_size=D, output_size=O, generator=g
    )
    return model.double()


def last_step_batch(B: int, T: int, seed: int = 0, scale: float = 1.0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(B, T, D, generator=g, dtype=torch.float64)
    y = torch.randint(O, (B, T), generator=g)
    mask = torch.zeros(B, T, dtype=torch.bool)
    mask[:, -1] = True
    return Batch(x, y, mask)


# ---------------------------------------------------------------- gradients


def reference_hidden_grads(name: str, model, batch: Batch) -> np.ndarray:
    """∂L/∂h_t via torch.nn cells with an additive zero perturbation e_t on every h_t:
    ∂L/∂e_t is the total derivative through all later steps."""
    cell_cls = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[name]
    core = model.core
    cell = cell_cls(D, core.hidden_size).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in core.state_dict().items()})
    B, T, _ = batch.x.shape
    es = [
        torch.zeros(B, core.hidden_size, dtype=torch.float64, requires_grad=True) for _ in range(T)
    ]
    h = c = torch.zeros(B, core.hidden_size, dtype=torch.float64)
    hs = []
    for t in range(T):
        if name == "lstm":
            h, c = cell(batch.x[:, t], (h, c))
        else:
            h = cell(batch.x[:, t], h)
        h = h + es[t]
        hs.append(h)
    logits = torch.stack(hs, 1) @ model.head.weight.T + model.head.bias  # (B, T, O)
    loss = F.cross_entropy(logits[batch.mask], batch.y[batch.mask])
    grads = torch.autograd.grad(loss, es)
    return np.array([g.norm(dim=-1).mean().item() for g in reversed(grads)])


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_hidden_grad_norms_match_torch_cells_with_perturbed_states(name):
    model = model64(name, forget_bias=0.0) if name == "lstm" else model64(name)
    batch = last_step_batch(B=3, T=7)
    ours = hidden_grad_norms(model, batch, "classification")
    ref = reference_hidden_grads(name, model, batch)
    assert ours.shape == (7,)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=0)


@pytest.mark.parametrize(
    "name", ["rnn", "lstm", "gru", "lstm-nig", "lstm-nfg", "lstm-nog", "lstm-cifg"]
)
def test_unroll_reproduces_the_models_trace_in_every_layer(name):
    model = model64(name, layers=2)
    x = last_step_batch(B=3, T=5).x
    hidden = unroll(model.core, x)
    trace = model.trace(x)
    for layer in range(2):
        torch.testing.assert_close(
            torch.stack(hidden[layer], dim=1), trace.hidden[layer], rtol=1e-12, atol=1e-12
        )


def test_hidden_grad_norms_reject_a_model_without_state():
    with pytest.raises(TypeError):
        hidden_grad_norms(model64("ffnn"), last_step_batch(2, 4), "classification")


@pytest.mark.parametrize("name", ["rnn", "gru"])
def test_input_jacobian_norms_match_torch_jacobian(name):
    model = model64(name, H=5)
    x = last_step_batch(B=2, T=6).x
    ours = input_jacobian_norms(model, x)
    per_example = []
    for b in range(2):
        jac = torch.autograd.functional.jacobian(
            lambda xb: model.core(xb[None], path="trace")[0, -1], x[b]
        )  # (H, T, D)
        per_example.append(jac.pow(2).sum(dim=(0, 2)).sqrt().flip(0).numpy())
    np.testing.assert_allclose(ours, np.mean(per_example, axis=0), rtol=1e-10)


def test_input_jacobian_of_ffnn_is_zero_beyond_its_window():
    norms = input_jacobian_norms(model64("ffnn", window=3), last_step_batch(2, 8).x)
    assert np.all(norms[:3] > 0)
    assert np.all(norms[3:] == 0)


def test_fit_decay_recovers_a_known_rate_exactly():
    lags = np.arange(20)
    norms = 3.0 * np.exp(-0.37 * lags)
    norms[15:] = 0.0  # underflowed points are left out of the fit
    fit = fit_decay(lags, norms)
    assert fit["rate"] == pytest.approx(0.37, rel=1e-12)
    assert fit["half_life"] == pytest.approx(math.log(2) / 0.37, rel=1e-12)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-12)
    assert fit["n"] == 15


def test_fit_decay_reports_an_exploding_gradient_as_negative_rate():
    lags = np.arange(10)
    fit = fit_decay(lags, 0.1 * np.exp(0.2 * lags))
    assert fit["rate"] == pytest.approx(-0.2, rel=1e-12)
    assert fit["half_life"] == math.inf


def rnn_with_recurrent_scale(scale: float, norm: str, H: int = 8):
    model = model64("rnn", H=H, seed=1)
    w = model.core.weight_hh_l0.detach()
    size = torch.linalg.matrix_norm(w, ord=2) if norm == "spectral" else spectral_radius(model)
    with torch.no_grad():
        model.core.weight_hh_l0.mul_(scale / float(size))
    return model


def test_rnn_gradient_decays_at_least_as_fast_as_powers_of_the_spectral_norm():
    # g_{t-1} = W_hhᵀ diag(1 − h_t²) g_t and tanh' <= 1, so ‖g_{T-1-k}‖ <= σ^k ‖g_{T-1}‖.
    model = rnn_with_recurrent_scale(0.5, "spectral")
    norms = hidden_grad_norms(model, last_step_batch(4, 12, scale=0.05), "classification")
    k = np.arange(12)
    assert np.all(norms[1:] > 0)
    assert np.all(norms <= 0.5**k * norms[0] * (1 + 1e-12))


def test_smaller_recurrent_weights_make_the_gradient_vanish_faster():
    batch = last_step_batch(4, 15, scale=0.05)
    rates = [
        fit_decay(np.arange(15), hidden_grad_norms(m, batch, "classification"))["rate"]
        for m in (rnn_with_recurrent_scale(0.5, "radius"), rnn_with_recurrent_scale(0.9, "radius"))
    ]
    assert rates[0] > rates[1] > 0


def test_lstm_with_open_forget_gate_keeps_gradient_far_longer_than_rnn():
    batch = last_step_batch(4, 40)
    lags = np.arange(40)
    rnn = fit_decay(lags, hidden_grad_norms(model64("rnn", H=16), batch, "classification"))
    lstm = fit_decay(
        lags, hidden_grad_norms(model64("lstm", H=16, forget_bias=5.0), batch, "classification")
    )
    assert rnn["rate"] > 0.2
    assert lstm["rate"] < 0.2 * rnn["rate"]


def test_spectral_radius_matches_numpy_eigenvalues_per_gate_block():
    rnn, lstm, gru = model64("rnn", H=6), model64("lstm", H=6), model64("gru", H=6)
    w = rnn.core.weight_hh_l0.detach().numpy()
    assert spectral_radius(rnn) == pytest.approx(max(abs(np.linalg.eigvals(w))), rel=1e-12)
    for model, names in ((lstm, "ifgo"), (gru, "rzn")):
        radii = spectral_radius(model)
        assert list(radii) == list(names)
        w = model.core.weight_hh_l0.detach().numpy()
        for k, name in enumerate(names):
            block = w[6 * k : 6 * (k + 1)]
            assert radii[name] == pytest.approx(max(abs(np.linalg.eigvals(block))), rel=1e-12)


# ---------------------------------------------------------------- depth


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_graph_depth_grows_linearly_with_length(name):
    model = model64(name)
    d1, d2, d4 = (graph_depth(model, T) for T in (5, 10, 20))
    assert d2 - d1 > 5  # at least one node per step
    assert d4 - d2 == 2 * (d2 - d1)


def test_graph_depth_of_ffnn_is_constant_and_none_beyond_the_window():
    model = model64("ffnn", window=8)
    depths = [graph_depth(model, T) for T in (2, 4, 8)]
    assert depths[0] == depths[1] == depths[2] is not None
    assert graph_depth(model, 9) is None
    assert gradient_path_length(model, 9) is None
    # its hidden layers (the first a convolution over the window) and the read-out, any T
    deep = model64("ffnn", window=8, layers=2)
    assert [gradient_path_length(deep, T) for T in (2, 8)] == [3, 3]


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_gradient_path_length_counts_one_product_per_step(name):
    # T − 1 recurrent products, the input projection, the read-out.
    model = model64(name)
    assert [gradient_path_length(model, T) for T in (1, 4, 30)] == [2, 5, 31]


@pytest.mark.parametrize("name", ["rnn", "lstm-cifg"])
def test_gradient_path_length_of_stacked_layers_adds_the_layers_once(name):
    # A path climbs the layers diagonally: T − 1 recurrent products + L projections + read-out.
    model = model64(name, layers=3)
    assert [gradient_path_length(model, T) for T in (1, 4, 30)] == [4, 7, 33]


def test_graph_depth_handles_a_thousand_steps():
    model = build_model(ModelSpec("rnn", hidden_size=2), input_size=1, output_size=1)
    assert gradient_path_length(model, 1000, input_size=1) == 1001


# ---------------------------------------------------------------- cost


COST_MODELS = [
    ("rnn", {"layers": 2}),
    ("lstm", {"layers": 2}),
    ("gru", {"layers": 1}),
    ("lstm-nig", {}),
    ("lstm-cifg", {}),
    ("ffnn", {"layers": 2, "window": 4}),
    ("ffnn", {"layers": 0, "window": 3}),
]


@pytest.mark.parametrize(("name", "kw"), COST_MODELS)
def test_matmul_flops_are_twice_the_weight_entries(name, kw):
    model = build_model(ModelSpec(name, hidden_size=7, **kw), input_size=5, output_size=3)
    weights = sum(p.numel() for p in model.parameters() if p.dim() == 2)
    assert flops_of(model)["matmul"] == 2 * weights


@pytest.mark.parametrize(("name", "kw"), COST_MODELS)
def test_matmul_flops_match_torch_flop_counter_on_the_trace_path(name, kw):
    model = build_model(ModelSpec(name, hidden_size=7, **kw), input_size=5, output_size=3)
    T = 6
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        x = torch.randn(1, T, 5)
        model.trace(x) if model.has_trace else model(x)
    assert counter.get_total_flops() == T * flops_of(model)["matmul"]


def test_flops_per_step_by_name_equals_flops_of_the_built_model():
    model = build_model(ModelSpec("lstm", hidden_size=9, layers=2), input_size=4, output_size=2)
    by_name = flops_per_step("lstm", 4, 9, 2, layers=2)
    assert by_name == flops_of(model)
    assert by_name["forward"] == by_name["matmul"] + by_name["elementwise"]
    assert by_name["elementwise"] == 2 * 21 * 9 + 2  # 21H per LSTM layer, bias of the read-out


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_activation_memory_of_the_trace_path_grows_linearly_with_length(name):
    model = build_model(ModelSpec(name, hidden_size=8), input_size=3, output_size=2)
    m1, m2, m4 = (activation_memory(model, 4, T, path="trace") for T in (8, 16, 32))
    assert m2 > m1 > 0
    assert m4 - m2 == 2 * (m2 - m1)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_activation_memory_of_the_fused_path_grows_with_length(name):
    # The CPU LSTM kernel saves a oneDNN workspace padded to its own block sizes, so the
    # growth is close to linear but not exactly; each step still adds its states.
    model = build_model(ModelSpec(name, hidden_size=8), input_size=3, output_size=2)
    m1, m4 = (activation_memory(model, 4, T, path="fused") for T in (8, 32))
    assert m4 > 2 * m1 > 0


@pytest.mark.parametrize(
    ("name", "kw"), [("lstm", {}), ("gru", {"layers": 2}), ("ffnn", {"window": 7})]
)
def test_match_params_returns_the_closest_hidden_size_of_the_real_model(name, kw):
    target = 5000

    def count(H):
        spec = ModelSpec(name, hidden_size=H, **kw)
        return param_count(build_model(spec, input_size=3, output_size=2))

    H = match_params(name, target, input_size=3, output_size=2, **kw)
    assert count(H - 1) < target <= count(H + 1)
    assert abs(count(H) - target) <= min(abs(count(H - 1) - target), abs(count(H + 1) - target))


def test_cost_vs_length_rows_hold_measured_and_formula_costs():
    model = build_model(ModelSpec("rnn", hidden_size=4), input_size=3, output_size=2)
    rows = cost_vs_length({"rnn": model}, [4, 8], batch_size=2, repeats=1, path="trace")
    assert [r["seq_len"] for r in rows] == [4, 8]
    for r in rows:
        assert r["params"] == sum(p.numel() for p in model.parameters())
        assert r["flops_per_step"] == flops_of(model)["forward"]
        assert 0 < r["forward_ms"] < 1e4 and 0 < r["fwd_bwd_ms"] < 1e4
        assert r["cuda_peak_bytes"] is None
    assert rows[1]["activation_bytes"] > rows[0]["activation_bytes"]


# ---------------------------------------------------------------- gates


def hand_trace() -> Trace:
    """B=2, T=4, H=2 with an LSTM's gates set by hand."""
    i = torch.tensor(
        [[[0.95, 0.05], [0.5, 0.5], [0.2, 0.3], [0.0, 1.0]],
         [[0.1, 0.2], [0.99, 0.91], [0.4, 0.6], [0.5, 0.5]]]
    )  # fmt: skip
    f = 1 - i
    o = torch.full_like(i, 0.92)
    g = torch.zeros_like(i)
    return Trace(
        output=torch.zeros(2, 4, 1), hidden=[i * 0], gates=[{"i": i, "f": f, "g": g, "o": o}]
    )


def test_gate_statistics_on_a_hand_made_trace():
    tr = hand_trace()
    cue = torch.tensor([0, 1])  # each example's cue step
    gap = torch.tensor([[False, True, True, False], [False, False, True, False]])
    stats = gate_statistics(tr, {"cue": cue, "gap": gap, "middle": slice(1, 3), "query": -1})
    assert set(stats["cue"]) == {"i", "f", "o"}  # g is not a gate
    cue_i = np.array([0.95, 0.05, 0.99, 0.91])
    assert stats["cue"]["i"]["mean"] == pytest.approx(cue_i.mean())
    assert stats["cue"]["i"]["sd"] == pytest.approx(cue_i.std())
    assert stats["cue"]["i"]["high"] == pytest.approx(3 / 4)
    assert stats["cue"]["i"]["low"] == pytest.approx(1 / 4)
    assert stats["cue"]["f"]["low"] == pytest.approx(3 / 4)  # f = 1 − i
    gap_i = np.array([0.5, 0.5, 0.2, 0.3, 0.4, 0.6])
    assert stats["gap"]["i"]["mean"] == pytest.approx(gap_i.mean())
    assert stats["gap"]["i"]["n"] == 6
    mid_i = np.array([0.5, 0.5, 0.2, 0.3, 0.99, 0.91, 0.4, 0.6])
    assert stats["middle"]["i"]["sd"] == pytest.approx(mid_i.std())
    query_i = dict(stats["query"]["i"])
    assert query_i.pop("per_example") == pytest.approx([0.5, 0.5])
    assert query_i == pytest.approx(
        {"mean": 0.5, "sd": np.std([0.0, 1.0, 0.5, 0.5]), "low": 0.25, "high": 0.25, "n": 4}
    )
    # each example's own mean: example 0 selects 2 gap steps, example 1 one
    assert stats["gap"]["i"]["per_example"] == pytest.approx([(0.5 + 0.5 + 0.2 + 0.3) / 4, 0.5])
    assert stats["cue"]["i"]["per_example"] == pytest.approx([0.5, 0.95])
    assert stats["middle"]["i"]["per_example"] == pytest.approx([0.375, 0.725])
    # a float32 constant's sd is 0 up to rounding of its mean (summation order): atol
    assert stats["query"]["o"]["high"] == 1.0
    assert stats["query"]["o"]["sd"] == pytest.approx(0, abs=1e-6)


def test_gate_statistics_reject_a_position_outside_the_sequence():
    with pytest.raises(ValueError):
        gate_statistics(hand_trace(), {"late": 4})


def test_gate_matrix_of_one_example():
    tr = hand_trace()
    mats = gate_matrix(tr, example=1, states=True)
    assert set(mats) == {"i", "f", "g", "o", "h"}
    np.testing.assert_array_equal(mats["i"], tr.gates[0]["i"][1].numpy())


def test_gate_statistics_of_a_real_gru_trace_are_probabilities():
    model = build_model(ModelSpec("gru", hidden_size=5), input_size=3, output_size=2)
    tr = model.trace(torch.randn(3, 6, 3))
    stats = gate_statistics(tr, {"all": slice(None)})
    assert set(stats["all"]) == {"r", "z"}
    for s in stats["all"].values():
        assert 0 < s["mean"] < 1 and s["n"] == 3 * 6 * 5
