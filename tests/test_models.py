"""Our models against torch.nn in float64: outputs and gradients, fused and trace paths.

Parity is one ``load_state_dict`` because the cores keep torch.nn's parameter names and
gate order. Shapes come from hypothesis, with T = 1, B = 1 and several layers included.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from seqlab.models import LSTM, RECURRENT, ModelSpec, WindowMLP, build_core, build_model
from seqlab.models.lstm import VARIANT_BLOCKS

RTOL, ATOL = 1e-8, 1e-10
F64 = torch.float64
TORCH_CORES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
VARIANTS = tuple(VARIANT_BLOCKS)

sizes = st.fixed_dictionaries(
    {
        "B": st.integers(1, 3),
        "T": st.integers(1, 6),
        "D": st.integers(1, 4),
        "H": st.integers(1, 5),
        "L": st.integers(1, 3),
        "seed": st.integers(0, 2**31 - 1),
    }
)
SMALLEST = {"B": 1, "T": 1, "D": 1, "H": 1, "L": 1, "seed": 0}
DEEP_SINGLE_STEP = {"B": 1, "T": 1, "D": 3, "H": 2, "L": 3, "seed": 1}


def close(got: torch.Tensor, want: torch.Tensor, what: str) -> None:
    torch.testing.assert_close(got, want, rtol=RTOL, atol=ATOL, msg=lambda m: f"{what}: {m}")


def randomize(module: nn.Module, g: torch.Generator, scale: float = 1.0) -> None:
    """Every parameter ~ U(−scale, scale) from ``g`` (wider than torch's init: gates move)."""
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-scale, scale, generator=g)


def grads_by_name(out, x, module, dy) -> dict[str, torch.Tensor]:
    names, params = zip(*module.named_parameters(), strict=True)
    grads = torch.autograd.grad(out, [x, *params], dy)
    return {"x": grads[0], **dict(zip(names, grads[1:], strict=True))}


@pytest.mark.parametrize("name", RECURRENT)
@settings(max_examples=15)
@given(s=sizes)
@example(s=SMALLEST)
@example(s=DEEP_SINGLE_STEP)
def test_fused_and_trace_paths_match_torch_nn(name, s):
    B, T, D, H, L = s["B"], s["T"], s["D"], s["H"], s["L"]
    g = torch.Generator().manual_seed(s["seed"])
    ref = TORCH_CORES[name](D, H, L, batch_first=True, dtype=F64)
    randomize(ref, g)
    ours = build_core(ModelSpec(name, hidden_size=H, layers=L), D).to(F64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(B, T, D, generator=g, dtype=F64, requires_grad=True)
    dy = torch.randn(B, T, H, generator=g, dtype=F64)

    want = ref(x)[0]
    want_grads = grads_by_name(want, x, ref, dy)
    for path in ("fused", "trace"):
        got = ours(x, path=path)
        close(got, want, f"{name} {path} output")
        got_grads = grads_by_name(got, x, ours, dy)
        assert got_grads.keys() == want_grads.keys()
        for key, grad in want_grads.items():
            close(got_grads[key], grad, f"{name} {path} d/d{key}")


@pytest.mark.parametrize("name", RECURRENT)
def test_trace_returns_every_layer_state_and_gate(name):
    g = torch.Generator().manual_seed(3)
    B, T, D, H, L = 2, 5, 3, 4, 2
    core = build_core(ModelSpec(name, hidden_size=H, layers=L), D).to(F64)
    randomize(core, g)
    x = torch.randn(B, T, D, generator=g, dtype=F64)
    tr = core.trace(x)
    assert len(tr.hidden) == len(tr.gates) == L
    assert all(h.shape == (B, T, H) for h in tr.hidden)
    close(tr.output, core(x, path="fused"), "trace output vs fused")
    expected_gates = {"rnn": set(), "lstm": set("ifgo"), "gru": set("rzn")}[name]
    assert all(set(gates) == expected_gates for gates in tr.gates)
    assert len(tr.cell) == (L if name == "lstm" else 0)
    if name == "lstm":  # h_t = o ⊙ tanh(c_t) ties the traced states together
        for h, c, gates in zip(tr.hidden, tr.cell, tr.gates, strict=True):
            close(h, gates["o"] * torch.tanh(c), "h = o tanh(c)")


@settings(max_examples=15)
@given(
    s=sizes,
    k=st.integers(1, 4),
    layers=st.integers(0, 2),
)
@example(s=SMALLEST, k=3, layers=0)
def test_window_mlp_matches_a_loop_over_zero_padded_windows(s, k, layers):
    B, T, D, H = s["B"], s["T"], s["D"], s["H"]
    g = torch.Generator().manual_seed(s["seed"])
    core = WindowMLP(D, H, window=k, layers=layers).to(F64)
    randomize(core, g)
    x = torch.randn(B, T, D, generator=g, dtype=F64)
    got = core(x)
    assert got.shape == (B, T, H if layers else k * D) == (B, T, core.output_size)
    for t in range(T):
        steps = [x[:, s_] if s_ >= 0 else x.new_zeros(B, D) for s_ in range(t - k + 1, t + 1)]
        a = torch.cat(steps, dim=-1)  # (B, k·D), oldest first
        for lin in core.layers:
            a = torch.relu(a @ lin.weight.T + lin.bias)
        close(got[:, t], a, f"window output at t={t}")


def test_window_mlp_cannot_see_past_its_window():
    g = torch.Generator().manual_seed(0)
    core = WindowMLP(2, 3, window=3, layers=1).to(F64)
    randomize(core, g)
    x = torch.randn(1, 8, 2, generator=g, dtype=F64, requires_grad=True)
    (grad,) = torch.autograd.grad(core(x)[0, 7].sum(), x)
    assert grad[0, :5].abs().max() == 0  # steps 0..4 are outside the window [5, 7]
    assert grad[0, 5:].abs().max() > 0


@pytest.mark.parametrize("variant", VARIANTS)
@settings(max_examples=10)
@given(D=st.integers(1, 6), H=st.integers(1, 6), L=st.integers(1, 3))
def test_lstm_variant_parameter_count_is_what_it_has(variant, D, H, L):
    G = 4 if variant == "full" else 3  # an ablation learns 3 gate blocks, not 4
    expected = sum(G * H * (d + H) + 2 * G * H for d in [D] + [H] * (L - 1))
    core = LSTM(D, H, L, variant=variant)
    assert sum(p.numel() for p in core.parameters()) == expected
    assert core.weight_ih_l0.shape == (G * H, D)
    assert core.weight_hh_l0.shape == (G * H, H)


FIXED_GATE = {
    "nig": lambda gt: (gt["i"], torch.ones_like(gt["i"])),
    "nfg": lambda gt: (gt["f"], torch.ones_like(gt["f"])),
    "nog": lambda gt: (gt["o"], torch.ones_like(gt["o"])),
    "cifg": lambda gt: (gt["i"], 1 - gt["f"]),
}


@pytest.mark.parametrize("variant", tuple(FIXED_GATE))
def test_ablated_lstm_gate_holds_its_fixed_value(variant):
    g = torch.Generator().manual_seed(1)
    core = LSTM(3, 4, 2, variant=variant).to(F64)
    randomize(core, g)
    tr = core.trace(torch.randn(2, 6, 3, generator=g, dtype=F64))
    for gates in tr.gates:
        got, fixed = FIXED_GATE[variant](gates)
        close(got, fixed, f"{variant} fixed gate")
        for name in VARIANT_BLOCKS[variant]:  # learned gates really vary
            assert gates[name].std() > 1e-3, name


@pytest.mark.parametrize("variant", tuple(FIXED_GATE))
def test_ablated_lstm_has_no_fused_kernel_and_auto_uses_trace(variant):
    core = LSTM(2, 3, variant=variant).to(F64)
    x = torch.randn(1, 4, 2, generator=torch.Generator().manual_seed(0), dtype=F64)
    with pytest.raises(ValueError, match="trace"):
        core(x, path="fused")
    close(core(x), core.trace(x).output, "auto path")


@pytest.mark.parametrize("variant", VARIANTS)
def test_forget_bias_lands_in_the_f_block_of_bias_ih(variant):
    H, bias = 4, 5.0
    bound = 1 / H**0.5  # torch's init: U(−1/√H, 1/√H)
    ulp = 1e-6  # (u + 5) − 5 in float32 can land an ulp of 5 outside u's range
    core = LSTM(3, H, 2, variant=variant, forget_bias=bias)
    blocks = VARIANT_BLOCKS[variant]
    for layer in range(2):
        b_ih = getattr(core, f"bias_ih_l{layer}").detach()
        b_hh = getattr(core, f"bias_hh_l{layer}").detach()
        assert b_hh.abs().max() <= bound  # the shift is added once, to bias_ih only
        for k, name in enumerate(blocks):
            shift = bias if name == "f" else 0.0
            block = b_ih[k * H : (k + 1) * H]
            assert (block - shift).abs().max() <= bound + ulp, (layer, name)


@pytest.mark.parametrize("variant", VARIANTS)
def test_chrono_init_sets_forget_biases_log_uniform_and_input_biases_their_negatives(variant):
    H, T = 2000, 50  # many units: the empirical distribution is checked, not one draw
    torch.manual_seed(0)
    core = LSTM(3, H, 2, variant=variant, forget_bias="chrono", max_lag=T)
    blocks = VARIANT_BLOCKS[variant]
    bound = 1 / H**0.5
    for layer in range(2):
        b_ih = getattr(core, f"bias_ih_l{layer}").detach()
        b_hh = getattr(core, f"bias_hh_l{layer}").detach()
        block = {
            name: (b_ih[k * H : (k + 1) * H], b_hh[k * H : (k + 1) * H])
            for k, name in enumerate(blocks)
        }
        if "f" not in blocks:  # nfg: nothing to initialise, torch's init is kept
            assert all(
                ih.abs().max() <= bound and hh.abs().max() <= bound for ih, hh in block.values()
            )
            continue
        f_ih, f_hh = block["f"]
        assert torch.all(f_hh == 0)
        u = f_ih.exp()  # must be U[1, T − 1]: check range, mean and a quantile
        rel = 1e-5  # exp(log u) in float32 returns u to within a few ulps
        assert u.min() >= 1 - rel and u.max() <= (T - 1) * (1 + rel)
        assert abs(u.mean().item() - T / 2) < 0.05 * T
        assert abs(u.quantile(0.25).item() - (1 + 0.25 * (T - 2))) < 0.05 * T
        if "i" in blocks:
            i_ih, i_hh = block["i"]
            assert torch.equal(i_ih, -f_ih) and torch.all(i_hh == 0)
        for name in set(blocks) - {"f", "i"}:  # g and o keep torch's init
            assert block[name][0].abs().max() <= bound


def test_chrono_without_a_lag_keeps_torchs_init_and_other_strings_are_rejected():
    """No T to size chrono by (a model built for counting or timing): torch's init, draw
    for draw; a lag below 2 and strings other than 'chrono' are errors."""
    torch.manual_seed(5)
    ref = nn.LSTM(3, 4, 2)
    ours = LSTM(3, 4, 2, forget_bias="chrono", generator=torch.Generator().manual_seed(5))
    for name, p in ref.named_parameters():
        assert torch.equal(getattr(ours, name), p), name
    with pytest.raises(ValueError, match="max_lag"):
        LSTM(3, 4, forget_bias="chrono", max_lag=1)
    with pytest.raises(ValueError, match="forget_bias"):
        LSTM(3, 4, forget_bias="big", max_lag=10)


def test_token_embedding_path_embeds_then_runs_the_core():
    g = torch.Generator().manual_seed(2)
    spec = ModelSpec("gru", hidden_size=4, embed_dim=3)
    model = build_model(spec, input_size=99, output_size=5, vocab_size=7).to(F64)
    randomize(model, g)
    ids = torch.randint(0, 7, (2, 6), generator=g)
    out = model(ids)
    assert out.shape == (2, 6, 5)
    assert model.core.input_size == 3  # embed_dim, not input_size
    want = model.head(model.core(model.embed.weight[ids], path="trace"))
    close(out, want, "embedded forward")
    close(model.trace(ids).output, out, "embedded trace")
    with pytest.raises(TypeError, match="integer ids"):
        model(torch.randn(2, 6, 3, dtype=F64))


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec("ffnn", hidden_size=6, layers=2, window=3),
        ModelSpec("tcn", hidden_size=5, levels=2, kernel_size=2),
    ],
    ids=["ffnn", "tcn"],
)
def test_last_step_scores_see_only_the_receptive_field_and_equal_the_whole_sequence(spec):
    """``loss`` and ``add_scores`` cut a bounded-past core's input to its receptive field when
    only the last step is scored: the loss and every gradient equal those of the whole
    sequence (float64; the reference computes the whole (B, T, O) output)."""
    from seqlab.metrics import MetricSums, masked_loss

    g = torch.Generator().manual_seed(3)
    model = build_model(spec, input_size=4, output_size=3, generator=g).double()
    r = model.core.receptive_field
    x = torch.randn(5, r + 9, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (5, r + 9), generator=g)
    mask = torch.zeros(5, r + 9, dtype=torch.bool)
    mask[:, -1] = True
    cut = model.scored_span(x, y, mask)
    assert cut[0].shape[1] == r and cut[3]  # the core computes its last step alone
    got = model.loss(x, y, mask, "classification")
    g_got = torch.autograd.grad(got, list(model.parameters()), retain_graph=True)
    want = masked_loss(model(x), y, mask, "classification")
    g_want = torch.autograd.grad(want, list(model.parameters()))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    for a, b in zip(g_got, g_want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    mask[:, 0] = True  # another step scored: nothing is cut
    assert model.scored_span(x, y, mask)[0].shape[1] == r + 9
    s_cut, s_whole = MetricSums(), MetricSums()
    mask[:, 0] = False
    with torch.no_grad():
        model.add_scores(s_cut, x, y, mask, "classification", "auto")
        s_whole.add(model(x), y, mask, "classification")
    assert s_cut.value("accuracy") == s_whole.value("accuracy") and s_cut.n == s_whole.n == 5


@pytest.mark.parametrize("T", [1, 2, 7, 16, 29, 64])
@pytest.mark.parametrize("kernel_size,levels", [(2, 1), (2, 4), (3, 3), (7, 2)])
def test_tcn_last_output_equals_the_last_step_of_the_whole_sequence(T, kernel_size, levels):
    """``TCN.last_output`` runs block i on every 2^i-th step with undilated convolutions; its
    output and every gradient equal ``forward(x)[:, -1:]``'s (float64), at lengths shorter
    and longer than the receptive field, odd and even, with a 1×1 residual (D ≠ C)."""
    from seqlab.models.tcn import TCN

    g = torch.Generator().manual_seed(T * 100 + kernel_size * 10 + levels)
    tcn = TCN(3, 5, levels, kernel_size, generator=g).double()
    for p in tcn.parameters():  # away from init, so no branch is near-zero by construction
        p.data.add_(0.3 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    x = torch.randn(4, T, 3, generator=g, dtype=torch.float64)
    got, want = tcn.last_output(x), tcn(x)[:, -1:]
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    w = torch.randn(want.shape, generator=g, dtype=torch.float64)
    g_got = torch.autograd.grad((got * w).sum(), list(tcn.parameters()), allow_unused=True)
    g_want = torch.autograd.grad((want * w).sum(), list(tcn.parameters()), allow_unused=True)
    for a, b in zip(g_got, g_want, strict=True):
        if b is None:
            assert a is None or not a.abs().max() > 0
        else:
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
