"""Gate interventions, cue selectivity and the whole-state gradient probes, each against an
independent reference: a NumPy loop of the LSTM equations with the clamp written in by
hand, η² computed class by class, torch cells with zero perturbations on (h, c), and the
Elman Jacobian diag(1 − h²) W_hh in NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.models import ModelSpec, build_model
from seqlab.probes import (
    Clamp,
    clamped_correct,
    cue_selectivity,
    run_lstm,
    state_grad_norms,
    state_jacobian_norms,
)
from seqlab.reference.activations import sigmoid
from seqlab.tasks.base import Batch

D, H, O = 3, 5, 4
VARIANTS = ["lstm", "lstm-nig", "lstm-nfg", "lstm-nog", "lstm-cifg"]


def model64(name: str, seed: int = 0, **kw):
    g = torch.Generator().manual_seed(seed)
    spec = ModelSpec(name, hidden_size=H, **kw)
    return build_model(spec, input_size=D, output_size=O, generator=g).double()


def inputs(B: int = 4, T: int = 7, seed: int = 0) -> torch.Tensor:
    return torch.randn(B, T, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def numpy_lstm(core, x: np.ndarray, held: dict[str, np.ndarray]):
    """The LSTM equations in NumPy, one layer; ``held[q]`` (B, T, H) is NaN where ``q`` runs
    free and the value it is held at elsewhere. Returns h, c and the gates, (B, T, H)."""
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in core.layer_params(0))
    B, T, _ = x.shape
    h = np.zeros((B, H))
    c = np.zeros((B, H))
    out = {k: np.zeros((B, T, H)) for k in ("h", "c", "i", "f", "o")}
    for t in range(T):
        z = x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        blocks = dict(zip(core.blocks, np.split(z, len(core.blocks), axis=1), strict=True))
        g = np.tanh(blocks["g"])
        f = sigmoid(blocks["f"]) if "f" in blocks else np.ones_like(g)
        i = sigmoid(blocks["i"]) if "i" in blocks else (1 - f if core.variant == "cifg" else 1.0)
        i = np.broadcast_to(i, g.shape)
        o = sigmoid(blocks["o"]) if "o" in blocks else np.ones_like(g)
        vals = {"i": i, "f": f, "o": o}
        for q in ("i", "f", "o"):
            hq = held[q][:, t]
            vals[q] = np.where(np.isnan(hq), vals[q], hq)
        c = vals["f"] * c + vals["i"] * g
        c = np.where(np.isnan(held["c"][:, t]), c, held["c"][:, t])
        h = vals["o"] * np.tanh(c)
        for k, v in (("h", h), ("c", c), *vals.items()):
            out[k][:, t] = v
    return out


def nothing_held(B: int, T: int) -> dict[str, np.ndarray]:
    return {q: np.full((B, T, H), np.nan) for q in ("i", "f", "o", "c")}


@pytest.mark.parametrize("name", VARIANTS)
def test_run_lstm_without_clamps_is_the_models_own_trace(name):
    model = model64(name, layers=2)
    x = inputs()
    ours, theirs = run_lstm(model.core, x), model.core.trace(x)
    for layer in range(2):
        torch.testing.assert_close(ours.hidden[layer], theirs.hidden[layer], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(ours.cell[layer], theirs.cell[layer], rtol=1e-12, atol=1e-12)
        for k in "ifgo":
            torch.testing.assert_close(ours.gates[layer][k], theirs.gates[layer][k])


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("target", ["i", "f", "o", "c"])
def test_a_clamp_holds_its_target_at_exactly_its_step_as_a_numpy_loop_does(name, target):
    model = model64(name, forget_bias=1.0)
    B, T = 4, 7
    x = inputs(B, T)
    step = torch.tensor([1, 3, 5, 6])  # one step per example
    units = torch.tensor([True, False, True, True, False])
    ours = run_lstm(model.core, x, (Clamp(target, step, units=units, value=0.25),))
    held = nothing_held(B, T)
    held[target][np.arange(B), step.numpy()] = np.where(units.numpy(), 0.25, np.nan)
    ref = numpy_lstm(model.core, x.numpy(), held)
    got = {"h": ours.hidden[0], "c": ours.cell[0], **ours.gates[0]}
    for k in ("h", "c", "i", "f", "o"):
        np.testing.assert_allclose(got[k].detach().numpy(), ref[k], rtol=1e-12, atol=1e-14)
    # the clamped values, and nothing before the step changed
    assert (got[target][np.arange(B), step][:, units] == 0.25).all()
    free = run_lstm(model.core, x)
    for b in range(B):
        before = slice(0, int(step[b]))
        torch.testing.assert_close(ours.hidden[0][b, before], free.hidden[0][b, before])


def test_a_clamp_at_one_int_step_or_every_step_matches_the_numpy_loop():
    model = model64("lstm")
    B, T = 3, 6
    x = inputs(B, T)
    for step, where in ((-2, slice(T - 2, T - 1)), (None, slice(0, T))):
        ours = run_lstm(model.core, x, (Clamp("f", step),))
        held = nothing_held(B, T)
        held["f"][:, where] = 0.0
        ref = numpy_lstm(model.core, x.numpy(), held)
        np.testing.assert_allclose(ours.hidden[0].detach().numpy(), ref["h"], rtol=1e-12)


def test_clamps_reject_bad_targets_steps_and_unit_masks():
    model = model64("lstm")
    x = inputs(2, 5)
    with pytest.raises(ValueError, match="target"):
        Clamp("g", 0)
    with pytest.raises(ValueError, match="outside"):
        run_lstm(model.core, x, (Clamp("i", 5),))
    with pytest.raises(ValueError, match=r"\(B,\)"):
        run_lstm(model.core, x, (Clamp("i", torch.tensor([1, 2, 3])),))
    with pytest.raises(ValueError, match="units"):
        run_lstm(model.core, x, (Clamp("i", 1, units=torch.ones(H + 1, dtype=torch.bool)),))
    with pytest.raises(TypeError, match="LSTM"):
        run_lstm(model64("gru").core, x)


def last_step_batch(B: int, T: int, seed: int = 0) -> Batch:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=g, dtype=torch.float64)
    y = torch.randint(O, (B, T), generator=g)
    mask = torch.zeros(B, T, dtype=torch.bool)
    mask[:, -1] = True
    return Batch(x, y, mask)


def test_clamped_correct_scores_the_query_and_o_zero_there_leaves_only_the_head_bias():
    model = model64("lstm")
    b = last_step_batch(40, 6)
    with torch.no_grad():
        pred = model(b.x)[:, -1].argmax(-1)
    assert torch.equal(clamped_correct(model, b), pred == b.y[:, -1])
    # o = 0 at the query: h_{T−1} = 0, every example gets the class the head's bias favours
    hidden = clamped_correct(model, b, (Clamp("o", -1),))
    assert torch.equal(hidden, b.y[:, -1] == model.head.bias.argmax())


def test_cue_selectivity_is_the_correlation_ratio_class_by_class():
    g = torch.Generator().manual_seed(1)
    B, T, K = 60, 3, 4
    labels = torch.arange(B) % K
    states = torch.randn(B, T, 2, generator=g, dtype=torch.float64)
    states[:, 0, 0] = labels.double()  # a unit that is the cue: η² = 1
    states[:, 1, 1] = 0.5  # a unit that does not vary: 0
    eta = cue_selectivity(states, labels)
    v, y = states.numpy(), labels.numpy()
    ref = np.zeros((T, 2))
    for t in range(T):
        for j in range(2):
            col = v[:, t, j]
            total = ((col - col.mean()) ** 2).sum()
            between = sum((y == k).sum() * (col[y == k].mean() - col.mean()) ** 2 for k in range(K))
            ref[t, j] = between / total if total > 0 else 0.0
    np.testing.assert_allclose(eta, ref, rtol=1e-12, atol=1e-15)
    assert eta[0, 0] == pytest.approx(1.0) and eta[1, 1] == 0.0


# ---------------------------------------------------------------- whole-state gradients


def reference_state_grads(name: str, model, batch: Batch) -> np.ndarray:
    """‖(∂L/∂h_t, ∂L/∂c_t)‖ via torch.nn cells with additive zero perturbations on h_t and,
    for the LSTM, on c_t (the perturbation enters before h_t = o ⊙ tanh(c_t), so its
    gradient is the total ∂L/∂c_t of BPTT)."""
    core = model.core
    B, T, _ = batch.x.shape
    zeros = [torch.zeros(B, H, dtype=torch.float64, requires_grad=True) for _ in range(2 * T)]
    eh, ec = zeros[:T], zeros[T:]
    if name == "lstm":
        w_ih, w_hh, b_ih, b_hh = core.layer_params(0)
        h = c = torch.zeros(B, H, dtype=torch.float64)
        hs = []
        for t in range(T):
            z = batch.x[:, t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            i, f, g, o = z.chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g) + ec[t]
            h = torch.sigmoid(o) * torch.tanh(c) + eh[t]
            hs.append(h)
    else:
        cell = torch.nn.RNNCell(D, H).double()
        cell.load_state_dict({k.removesuffix("_l0"): v for k, v in core.state_dict().items()})
        h, hs = torch.zeros(B, H, dtype=torch.float64), []
        for t in range(T):
            h = cell(batch.x[:, t], h) + eh[t]
            hs.append(h)
    logits = torch.stack(hs, 1) @ model.head.weight.T + model.head.bias
    loss = F.cross_entropy(logits[batch.mask], batch.y[batch.mask])
    grads = torch.autograd.grad(loss, zeros, allow_unused=True)
    none = torch.zeros(B, H, dtype=torch.float64)
    g = torch.stack([none if g is None else g for g in grads])  # (2T, B, H): h then c
    sq = g[:T].pow(2).sum(-1) + g[T:].pow(2).sum(-1)  # (T, B)
    return sq.sqrt().mean(-1).flip(0).numpy()


@pytest.mark.parametrize("name", ["rnn", "lstm"])
def test_state_grad_norms_match_perturbed_torch_cells(name):
    model = model64(name, forget_bias=0.0) if name == "lstm" else model64(name)
    batch = last_step_batch(3, 7)
    ours = state_grad_norms(model, batch, "classification")
    np.testing.assert_allclose(ours, reference_state_grads(name, model, batch), rtol=1e-10)


def test_state_jacobian_of_the_rnn_is_diag_one_minus_h_squared_times_w_hh():
    model = model64("rnn")
    x = inputs(3, 6)
    ours = state_jacobian_norms(model, x)
    w = model.core.weight_hh_l0.detach().numpy()
    h = model.core.trace(x).hidden[0].detach().numpy()  # (B, T, H)
    ref = [
        np.mean([np.linalg.norm((1 - h[b, t] ** 2)[:, None] * w, 2) for b in range(3)])
        for t in range(6)
    ]
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_state_jacobian_of_the_lstm_matches_torch_jacobian_of_one_step():
    model = model64("lstm", forget_bias=1.0)
    x = inputs(2, 5)
    ours = state_jacobian_norms(model, x)
    tr = model.core.trace(x)
    w_ih, w_hh, b_ih, b_hh = model.core.layer_params(0)

    def step(s, x_t):
        h, c = s[:H], s[H:]
        i, f, g, o = (x_t @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.cat([torch.sigmoid(o) * torch.tanh(c2), c2])

    for t in range(5):
        norms = []
        for b in range(2):
            if t == 0:
                s = torch.zeros(2 * H, dtype=torch.float64)
            else:
                s = torch.cat([tr.hidden[0][b, t - 1], tr.cell[0][b, t - 1]]).detach()
            J = torch.autograd.functional.jacobian(step, (s, x[b, t]))[0]  # ∂s_t/∂s_{t−1}
            norms.append(torch.linalg.matrix_norm(J, ord=2).item())
        assert ours[t] == pytest.approx(np.mean(norms), rel=1e-10)
