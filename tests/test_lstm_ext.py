"""The compiled sequence-level LSTM layer (``seqlab.models.lstm_ext``) against two
references in float64: the Python sequence-level layer it replaces (``fused_seq``) and
torch.nn.LSTM — outputs, final states, gates, and the gradients of every parameter and of
the input, with gradients reaching h, c and the gates directly; the ablations (nig, nfg,
nog, cifg) against the Python layer. Also: which implementation
ran on this machine, and the explicit fallback to the Python layer.
"""

from __future__ import annotations

import os
import shutil

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from seqlab.models import LSTM, lstm_ext
from seqlab.models.fused_seq import CHUNK
from seqlab.models.fused_seq import lstm_layer as python_layer
from seqlab.models.lstm import VARIANT_BLOCKS

RTOL, ATOL = 1e-8, 1e-10
F64 = torch.float64

sizes = st.fixed_dictionaries(
    {
        "B": st.integers(1, 4),
        "T": st.sampled_from([1, 2, 5, CHUNK, CHUNK + 3, 2 * CHUNK + 1]),
        "D": st.integers(1, 4),
        "H": st.integers(1, 6),
        "seed": st.integers(0, 2**31 - 1),
    }
)


def close(got, want, what):
    torch.testing.assert_close(got, want, rtol=RTOL, atol=ATOL, msg=lambda m: f"{what}: {m}")


def compiled_or_skip():
    if lstm_ext.implementation() != "cpp":
        pytest.skip(f"compiled layer not built here: {lstm_ext.REASON}")


def test_the_compiled_layer_runs_wherever_a_compiler_and_ninja_exist():
    # Says in the test log which implementation this machine runs, and why.
    impl = lstm_ext.implementation()
    print(f"sequence-level LSTM layer: {impl} ({lstm_ext.REASON})")
    lstm_ext._ninja_on_path()  # pip's ninja counts (torch is then given it on PATH)
    toolchain = shutil.which("c++") is not None and shutil.which("ninja") is not None
    if os.environ.get(lstm_ext.ENV) == "0":
        assert impl == "python"
    elif toolchain:
        assert impl == "cpp", lstm_ext.REASON
    else:
        assert impl == "python" and lstm_ext.REASON


def layer_inputs(variant, T, B, D, H, g):
    """``(blocks, cifg, x (T, B, D), [w_ih, w_hh, b_ih, b_hh])`` in float64, uniform(−1, 1)
    weights, all requiring gradients."""
    blocks, cifg = VARIANT_BLOCKS[variant], variant == "cifg"
    GH = len(blocks) * H
    x = torch.randn(T, B, D, generator=g, dtype=F64, requires_grad=True)
    params = [
        torch.empty(shape, dtype=F64).uniform_(-1, 1, generator=g).requires_grad_()
        for shape in ((GH, D), (GH, H), (GH,), (GH,))
    ]
    return blocks, cifg, x, params


@pytest.mark.parametrize("variant", tuple(VARIANT_BLOCKS))
@settings(max_examples=6, deadline=None)
@given(s=sizes)
@example(s={"B": 1, "T": 1, "D": 1, "H": 1, "seed": 0})
@example(s={"B": 3, "T": 2 * CHUNK + 5, "D": 3, "H": 4, "seed": 7})
def test_compiled_layer_matches_the_python_layer_on_every_output_and_gradient(variant, s):
    compiled_or_skip()
    g = torch.Generator().manual_seed(s["seed"])
    T, B, D, H = s["T"], s["B"], s["D"], s["H"]
    blocks, cifg, x, params = layer_inputs(variant, T, B, D, H, g)
    GH = len(blocks) * H
    weights = [torch.randn(T, B, n, generator=g, dtype=F64) for n in (H, H, GH)]
    got = lstm_ext.lstm_layer(x, *params, blocks=blocks, cifg=cifg)
    want = python_layer(x, *params, blocks, cifg)
    for a, b, what in zip(got, want, ("h", "c", "gates"), strict=True):
        close(a, b, what)

    def loss(outs):  # every output enters the loss: h, c and the gates
        return sum((o * w).sum() for o, w in zip(outs, weights, strict=True))

    names = ("x", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    for a, b, name in zip(
        torch.autograd.grad(loss(got), [x, *params]),
        torch.autograd.grad(loss(want), [x, *params]),
        names,
        strict=True,
    ):
        close(a, b, f"d/d{name}")


@pytest.mark.parametrize("variant", tuple(VARIANT_BLOCKS))
def test_rows_split_across_two_threads_and_a_batch_first_gradient_give_the_same_numbers(variant):
    # B·G·H large enough that each step's gate work is split into row blocks at 2 threads,
    # and ∂L/∂h arriving as the time-major view of a batch-first gradient (strided rows)
    compiled_or_skip()
    g = torch.Generator().manual_seed(11)
    T, B, D, H = CHUNK + 3, 200, 3, 32
    blocks, cifg, x, params = layer_inputs(variant, T, B, D, H, g)
    dy = torch.randn(B, T, H, generator=g, dtype=F64)  # batch-first, as a model's output
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        outs = []
        for layer in (lstm_ext.lstm_layer, python_layer):
            h, c, gates = layer(x, *params, blocks=blocks, cifg=cifg)
            loss = (h.transpose(0, 1) * dy).sum()
            outs.append((h, c, gates, *torch.autograd.grad(loss, [x, *params])))
    finally:
        torch.set_num_threads(before)
    names = ("h", "c", "gates", "dx", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh")
    for a, b, what in zip(*outs, names, strict=True):
        close(a, b, what)


@settings(max_examples=6, deadline=None)
@given(s=sizes)
def test_compiled_trace_path_matches_torch_nn_lstm_outputs_final_states_and_gradients(s):
    compiled_or_skip()
    g = torch.Generator().manual_seed(s["seed"])
    T, B, D, H = s["T"], s["B"], s["D"], s["H"]
    ours = LSTM(D, H, 2).to(F64)
    with torch.no_grad():
        for p in ours.parameters():
            p.uniform_(-1, 1, generator=g)
    ref = nn.LSTM(D, H, 2, batch_first=True).to(F64)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(B, T, D, generator=g, dtype=F64, requires_grad=True)
    tr = ours.trace(x)
    want, (h_n, c_n) = ref(x)
    close(tr.output, want, "output")
    for layer in range(2):
        close(tr.hidden[layer][:, -1], h_n[layer], f"final h, layer {layer}")
        close(tr.cell[layer][:, -1], c_n[layer], f"final c, layer {layer}")
    dy = torch.randn(B, T, H, generator=g, dtype=F64)
    dc = torch.randn(2, B, H, generator=g, dtype=F64)
    got_loss = (tr.output * dy).sum() + sum((tr.cell[k][:, -1] * dc[k]).sum() for k in range(2))
    want_loss = (want * dy).sum() + (c_n * dc).sum()
    names, params = zip(*ours.named_parameters(), strict=True)
    ref_params = [dict(ref.named_parameters())[n] for n in names]
    for a, b, name in zip(
        torch.autograd.grad(got_loss, [x, *params]),
        torch.autograd.grad(want_loss, [x, *ref_params]),
        ("x", *names),
        strict=True,
    ):
        close(a, b, f"d/d{name}")


@pytest.mark.parametrize("variant", tuple(VARIANT_BLOCKS))
def test_compiled_layer_passes_torch_gradcheck_on_every_output(variant):
    compiled_or_skip()
    g = torch.Generator().manual_seed(3)
    T, B, D, H = 5, 2, 3, 2
    blocks, cifg = VARIANT_BLOCKS[variant], variant == "cifg"
    GH = len(blocks) * H
    x = torch.randn(T, B, D, generator=g, dtype=F64, requires_grad=True)
    w = [
        torch.randn(*shape, generator=g, dtype=F64, requires_grad=True)
        for shape in ((GH, D), (GH, H), (GH,), (GH,))
    ]
    assert torch.autograd.gradcheck(
        lambda *a: lstm_ext.lstm_layer(*a, blocks=blocks, cifg=cifg), (x, *w)
    )


def test_other_dtypes_run_the_python_layer_and_bad_blocks_are_refused():
    assert lstm_ext._routable(torch.zeros(1, dtype=torch.float32))
    assert not lstm_ext._routable(torch.zeros(1, dtype=torch.bfloat16))
    w = torch.zeros(2, 1)
    with pytest.raises(ValueError, match="blocks"):
        lstm_ext.lstm_layer(torch.zeros(1, 1, 1), w, w, w[:, 0], w[:, 0], ("i", "f"))


def test_turning_the_extension_off_falls_back_to_the_python_layer(monkeypatch):
    monkeypatch.setenv(lstm_ext.ENV, "0")
    monkeypatch.setattr(lstm_ext, "IMPLEMENTATION", None)
    monkeypatch.setattr(lstm_ext, "_ext", None)
    monkeypatch.setattr(lstm_ext, "REASON", lstm_ext.REASON)
    assert lstm_ext.implementation() == "python"
    assert f"{lstm_ext.ENV}=0" == lstm_ext.REASON
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 2, 1, generator=g, dtype=F64)
    w = [torch.randn(*s, generator=g, dtype=F64) for s in ((8, 1), (8, 2), (8,), (8,))]
    for a, b in zip(lstm_ext.lstm_layer(x, *w), python_layer(x, *w), strict=True):
        assert torch.equal(a, b)
