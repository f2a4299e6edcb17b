"""The sequence-level LSTM and GRU layers (hand-written backward) against two references in
float64: torch.nn's own modules, and autograd through the plain step loop
(``trace(x, unrolled=True)``) for what torch.nn lacks (ablations, gates, cell states).

Shapes come from hypothesis, with T = 1, B = 1, several layers, and T longer than one
chunk of the backward sweep (``fused_seq.CHUNK``) included.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from seqlab.metrics import masked_loss
from seqlab.models import GRU, LSTM, ModelSpec, auto_table, build_model
from seqlab.models._recurrent import auto_path
from seqlab.models.fused_seq import CHUNK, gru_layer, lstm_layer
from seqlab.models.lstm import VARIANT_BLOCKS
from seqlab.tasks import build_task

RTOL, ATOL = 1e-8, 1e-10
F64 = torch.float64

sizes = st.fixed_dictionaries(
    {
        "B": st.integers(1, 3),
        "T": st.sampled_from([1, 2, 5, CHUNK - 1, CHUNK, CHUNK + 3, 2 * CHUNK + 1]),
        "D": st.integers(1, 4),
        "H": st.integers(1, 5),
        "L": st.integers(1, 3),
        "seed": st.integers(0, 2**31 - 1),
    }
)
SMALLEST = {"B": 1, "T": 1, "D": 1, "H": 1, "L": 1, "seed": 0}
LONG_DEEP = {"B": 2, "T": 2 * CHUNK + 5, "D": 3, "H": 4, "L": 3, "seed": 7}


def close(got: torch.Tensor, want: torch.Tensor, what: str) -> None:
    torch.testing.assert_close(got, want, rtol=RTOL, atol=ATOL, msg=lambda m: f"{what}: {m}")


def make_core(name: str, s: dict, variant: str = "full") -> tuple[nn.Module, torch.Generator]:
    g = torch.Generator().manual_seed(s["seed"])
    core = (
        LSTM(s["D"], s["H"], s["L"], variant=variant)
        if name == "lstm"
        else GRU(s["D"], s["H"], s["L"])
    )
    core = core.to(F64)
    with torch.no_grad():  # wider than torch's init, so that the gates move
        for p in core.parameters():
            p.uniform_(-1.0, 1.0, generator=g)
    return core, g


def grads(out, x, module, dy) -> dict[str, torch.Tensor]:
    names, params = zip(*module.named_parameters(), strict=True)
    got = torch.autograd.grad(out, [x, *params], dy)
    return {"x": got[0], **dict(zip(names, got[1:], strict=True))}


@pytest.mark.parametrize("name", ["lstm", "gru"])
@settings(max_examples=6)
@given(s=sizes)
@example(s=SMALLEST)
@example(s=LONG_DEEP)
def test_sequence_layers_match_torch_nn_outputs_and_all_gradients(name, s):
    ours, g = make_core(name, s)
    ref = (nn.LSTM if name == "lstm" else nn.GRU)(s["D"], s["H"], s["L"], batch_first=True)
    ref = ref.to(F64)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(s["B"], s["T"], s["D"], generator=g, dtype=F64, requires_grad=True)
    dy = torch.randn(s["B"], s["T"], s["H"], generator=g, dtype=F64)
    want = ref(x)[0]
    got = ours(x, path="trace")
    close(got, want, f"{name} output")
    want_g, got_g = grads(want, x, ref, dy), grads(got, x, ours, dy)
    for key, value in want_g.items():
        close(got_g[key], value, f"{name} d/d{key}")


@pytest.mark.parametrize("variant", tuple(VARIANT_BLOCKS))
@settings(max_examples=6)
@given(s=sizes)
@example(s=SMALLEST)
@example(s=LONG_DEEP)
def test_lstm_variants_match_autograd_of_the_step_loop(variant, s):
    # Every output of the trace (hidden, cell states, gates) enters the loss, so the hand-
    # written backward must also route gradients that reach gates and cells directly.
    core, g = make_core("lstm", s, variant)
    x = torch.randn(s["B"], s["T"], s["D"], generator=g, dtype=F64, requires_grad=True)
    seq, loop = core.trace(x), core.trace(x, unrolled=True)

    def tensors(tr):
        return [*tr.hidden, *tr.cell, *(v for d in tr.gates for v in d.values())]

    weights = [torch.randn(t.shape, generator=g, dtype=F64) for t in tensors(loop)]
    for a, b, what in zip(tensors(seq), tensors(loop), range(len(weights)), strict=True):
        close(a, b, f"{variant} traced tensor #{what}")
    for layer in range(s["L"]):
        assert seq.gates[layer].keys() == loop.gates[layer].keys() == set("ifgo")

    def loss(tr):
        return sum((t * w).sum() for t, w in zip(tensors(tr), weights, strict=True))

    params = [x, *core.parameters()]
    for a, b in zip(
        torch.autograd.grad(loss(seq), params),
        torch.autograd.grad(loss(loop), params),
        strict=True,
    ):
        close(a, b, f"{variant} gradient")


@settings(max_examples=6)
@given(s=sizes)
@example(s=LONG_DEEP)
def test_gru_gates_and_their_gradients_match_the_step_loop(s):
    core, g = make_core("gru", s)
    x = torch.randn(s["B"], s["T"], s["D"], generator=g, dtype=F64, requires_grad=True)
    seq, loop = core.trace(x), core.trace(x, unrolled=True)

    def tensors(tr):
        return [*tr.hidden, *(v for d in tr.gates for v in d.values())]

    weights = [torch.randn(t.shape, generator=g, dtype=F64) for t in tensors(loop)]
    for a, b in zip(tensors(seq), tensors(loop), strict=True):
        close(a, b, "gru traced tensor")
    assert seq.gates[0].keys() == set("rzn") and not seq.cell

    def loss(tr):
        return sum((t * w).sum() for t, w in zip(tensors(tr), weights, strict=True))

    params = [x, *core.parameters()]
    for a, b in zip(
        torch.autograd.grad(loss(seq), params),
        torch.autograd.grad(loss(loop), params),
        strict=True,
    ):
        close(a, b, "gru gradient")


def test_sequence_layers_pass_torch_gradcheck_on_every_output():
    g = torch.Generator().manual_seed(3)
    T, B, D, H = 4, 2, 3, 2
    x = torch.randn(T, B, D, generator=g, dtype=F64, requires_grad=True)
    for G, fn in ((4, lstm_layer), (3, gru_layer)):
        w = [
            torch.randn(*shape, generator=g, dtype=F64, requires_grad=True)
            for shape in ((G * H, D), (G * H, H), (G * H,), (G * H,))
        ]
        assert torch.autograd.gradcheck(fn, (x, *w))


def test_double_backward_is_refused_with_a_clear_error():
    core = LSTM(2, 3).to(F64)
    x = torch.randn(1, 4, 2, dtype=F64, requires_grad=True)
    with pytest.raises(RuntimeError, match="first-order gradients only"):
        torch.autograd.grad(core(x, path="trace").sum(), x, create_graph=True)


def test_lstm_layer_rejects_blocks_without_a_candidate():
    w = torch.zeros(2, 1)
    with pytest.raises(ValueError, match="blocks"):
        lstm_layer(torch.zeros(1, 1, 1), w, torch.zeros(2, 1), w[:, 0], w[:, 0], ("i", "f"))


@pytest.mark.parametrize("threads", [1, 2])
def test_auto_path_follows_the_measured_table_on_cpu(threads):
    # the table's choice at this process's thread count (set here: tests run in any order)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for core, (B, T, I) in ((LSTM(1, 4), (2, 3, 1)), (LSTM(1, 4), (64, 400, 1)),
                                (LSTM(1, 4), (32, 1000, 1)), (GRU(1, 4), (2, 3, 1))):  # fmt: skip
            want = auto_table.lookup(core.auto_table_model, B, T, 4, I, threads)[0]
            assert auto_path(core, torch.zeros(B, T, I)) == want
        x = torch.zeros(2, 3, 1)
        for core in (LSTM(1, 4), GRU(1, 4)):
            with torch.no_grad():
                assert auto_path(core, x) == "fused"  # inference: torch's fused kernel
        assert auto_path(LSTM(1, 4, variant="cifg"), x) == "trace"  # no fused kernel to pick
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_lstm_on_the_sequence_layers_learns_the_adding_problem():
    torch.set_num_threads(1)
    task = build_task("adding", {"seq_len": 30}, seed=0)
    torch.manual_seed(0)
    model = build_model(ModelSpec("lstm", hidden_size=32), input_size=2, output_size=1)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(1)
    for _ in range(1500):
        b = task.train_batch(64, gen)
        loss = masked_loss(model(b.x, path="trace"), b.y, b.mask, task.kind)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if loss.item() < 0.002:
            break
    test = next(iter(task.eval_batches("test", 512)))
    with torch.no_grad():
        mse = masked_loss(model(test.x, path="trace"), test.y, test.mask, task.kind).item()
    assert mse < 0.01, f"test MSE {mse:.4f} after training on the sequence-level path"
