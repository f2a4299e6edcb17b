"""The NumPy reference against torch autograd of our models, in float64, and on its own.

The reference (``seqlab.reference``) shares nothing with ``seqlab.models`` but parameter
names: agreement to 1e-8 relative means both compute the same function and gradient.
A finite-difference check ties one reference gradient to its loss without torch at all.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from seqlab import reference
from seqlab.metrics import masked_loss
from seqlab.models import ModelSpec, build_core, build_model
from seqlab.models.lstm import VARIANT_BLOCKS

RTOL, ATOL = 1e-8, 1e-10
F64 = torch.float64
MODELS = ("ffnn", "rnn", "lstm", "lstm-nig", "lstm-nfg", "lstm-nog", "lstm-cifg", "gru")
KINDS = ("classification", "regression")

sizes = st.fixed_dictionaries(
    {
        "B": st.integers(1, 3),
        "T": st.integers(1, 6),
        "D": st.integers(1, 4),
        "H": st.integers(1, 5),
        "O": st.integers(1, 4),
        "depth": st.integers(0, 2),  # + 1 for the recurrent models
        "window": st.integers(1, 4),
        "seed": st.integers(0, 2**31 - 1),
    }
)
SMALLEST = {"B": 1, "T": 1, "D": 1, "H": 1, "O": 1, "depth": 0, "window": 1, "seed": 0}
DEEP_SINGLE_STEP = {"B": 1, "T": 1, "D": 2, "H": 3, "O": 2, "depth": 2, "window": 3, "seed": 1}


def assert_close(got, want, what: str) -> None:
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


def randomize(module: torch.nn.Module, g: torch.Generator) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-1.0, 1.0, generator=g)


def numpy_params(module: torch.nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def layers_of(name: str, depth: int) -> int:
    return depth if name == "ffnn" else depth + 1


def make_batch(s, kind: str, g: torch.Generator):
    B, T, D, O = s["B"], s["T"], s["D"], s["O"]
    x = torch.randn(B, T, D, generator=g, dtype=F64)
    mask = torch.rand(B, T, generator=g) < 0.6
    mask[0, -1] = True  # at least one scored step
    if kind == "classification":
        y = torch.randint(0, O, (B, T), generator=g)
    else:
        y = torch.randn(B, T, O, generator=g, dtype=F64)
    return x, y, mask


@pytest.mark.parametrize("name", MODELS)
@settings(max_examples=12)
@given(s=sizes, kind=st.sampled_from(KINDS))
@example(s=SMALLEST, kind="classification")
@example(s=DEEP_SINGLE_STEP, kind="regression")
def test_reference_loss_and_gradients_match_autograd(name, s, kind):
    g = torch.Generator().manual_seed(s["seed"])
    L = layers_of(name, s["depth"])
    spec = ModelSpec(name, hidden_size=s["H"], layers=L, window=s["window"])
    model = build_model(spec, input_size=s["D"], output_size=s["O"]).to(F64)
    randomize(model, g)
    x, y, mask = make_batch(s, kind, g)

    out = model(x)  # fused where the kernel exists, else the trace path
    loss = masked_loss(out, y, mask, kind)
    loss.backward()

    params = numpy_params(model)
    options = {"layers": L, "window": s["window"]}
    ref_out = reference.model_forward(name, x.numpy(), params, **options)
    assert_close(ref_out, out.detach().numpy(), f"{name} output")
    ref_loss, grads = reference.model_loss_and_grads(
        name, x.numpy(), y.numpy(), mask.numpy(), params, kind, **options
    )
    assert_close(ref_loss, loss.item(), f"{name} {kind} loss")
    assert list(grads) == list(params)
    for key, p in model.named_parameters():
        assert_close(grads[key], p.grad.numpy(), f"{name} {kind} d/d{key}")


@pytest.mark.parametrize("name", MODELS)
@settings(max_examples=10)
@given(s=sizes)
@example(s=SMALLEST)
def test_reference_core_backward_matches_autograd_including_input_gradient(name, s):
    B, T, D = s["B"], s["T"], s["D"]
    g = torch.Generator().manual_seed(s["seed"])
    L = layers_of(name, s["depth"])
    core = build_core(ModelSpec(name, hidden_size=s["H"], layers=L, window=s["window"]), D)
    core = core.to(F64)
    randomize(core, g)
    x = torch.randn(B, T, D, generator=g, dtype=F64, requires_grad=True)
    out = core(x)
    dy = torch.randn(out.shape, generator=g, dtype=F64)
    names = [n for n, _ in core.named_parameters()]  # none for a linear window (layers=0)
    params = [p for _, p in core.named_parameters()]
    dx, *dparams = torch.autograd.grad(out, [x, *params], dy)

    module, options = reference.core_for(name, L, s["window"])
    y, cache = module.forward(x.detach().numpy(), numpy_params(core), **options)
    assert_close(y, out.detach().numpy(), f"{name} core output")
    grads, ref_dx = module.backward(cache, dy.numpy())
    assert_close(ref_dx, dx.numpy(), f"{name} dx")
    assert sorted(grads) == sorted(names)
    for key, grad in zip(names, dparams, strict=True):
        assert_close(grads[key], grad.numpy(), f"{name} core d/d{key}")


@pytest.mark.parametrize("name", ("lstm", "ffnn"))
def test_reference_embedding_gradient_matches_autograd(name):
    g = torch.Generator().manual_seed(4)
    spec = ModelSpec(name, hidden_size=3, embed_dim=2, layers=1, window=2)
    model = build_model(spec, input_size=1, output_size=4, vocab_size=5).to(F64)
    randomize(model, g)
    ids = torch.randint(0, 5, (3, 7), generator=g)  # 21 lookups of 5 ids: repeats
    y = torch.randint(0, 4, (3, 7), generator=g)
    mask = torch.ones(3, 7, dtype=torch.bool)
    loss = masked_loss(model(ids), y, mask, "classification")
    loss.backward()
    ref_loss, grads = reference.model_loss_and_grads(
        name,
        ids.numpy(),
        y.numpy(),
        mask.numpy(),
        numpy_params(model),
        "classification",
        layers=1,
        window=2,
    )
    assert_close(ref_loss, loss.item(), "loss")
    for key, p in model.named_parameters():
        assert_close(grads[key], p.grad.numpy(), f"d/d{key}")


@pytest.mark.parametrize("variant", ("full", "cifg"))
def test_reference_lstm_gradient_matches_finite_differences(variant):
    """Central differences of the reference's own loss: no torch involved."""
    rng = np.random.default_rng(0)
    B, T, D, H, O, L = 2, 5, 3, 4, 3, 2
    G = len(VARIANT_BLOCKS[variant])
    params = {"head.weight": rng.normal(size=(O, H)), "head.bias": rng.normal(size=O)}
    for layer in range(L):
        d = D if layer == 0 else H
        params[f"core.weight_ih_l{layer}"] = rng.uniform(-1, 1, (G * H, d))
        params[f"core.weight_hh_l{layer}"] = rng.uniform(-1, 1, (G * H, H))
        params[f"core.bias_ih_l{layer}"] = rng.uniform(-1, 1, G * H)
        params[f"core.bias_hh_l{layer}"] = rng.uniform(-1, 1, G * H)
    x = rng.normal(size=(B, T, D))
    y = rng.integers(0, O, (B, T))
    mask = rng.random((B, T)) < 0.7
    mask[0, 0] = True
    name = "lstm" if variant == "full" else f"lstm-{variant}"

    def loss_at(p):
        return reference.model_loss_and_grads(name, x, y, mask, p, "classification", layers=L)

    _, grads = loss_at(params)
    eps = 1e-6
    for key in ("core.weight_hh_l0", "core.weight_ih_l0", "core.bias_hh_l1", "head.weight"):
        for index in [tuple(rng.integers(0, n) for n in params[key].shape) for _ in range(3)]:
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[key][index] += eps
            up = loss_at(shifted)[0]
            shifted[key][index] -= 2 * eps
            down = loss_at(shifted)[0]
            numeric = (up - down) / (2 * eps)
            np.testing.assert_allclose(grads[key][index], numeric, rtol=1e-6, atol=1e-9)


def test_reference_losses_ignore_unscored_steps():
    rng = np.random.default_rng(1)
    logits, out = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    mask = np.array([[True, False, True, False], [False, False, True, True]])
    ids = rng.integers(0, 3, (2, 4))
    values = rng.normal(size=(2, 4, 3))
    junk_ids = np.where(mask, ids, -1)  # out-of-range ids where nothing is scored
    junk_values = np.where(mask[..., None], values, np.nan)
    ce, d_ce = reference.losses.softmax_cross_entropy(logits, ids, mask)
    assert reference.losses.softmax_cross_entropy(logits, junk_ids, mask)[0] == ce
    mse, d_mse = reference.losses.mse(out, values, mask)
    assert reference.losses.mse(out, junk_values, mask)[0] == mse
    assert not d_ce[~mask].any() and not d_mse[~mask].any()
    with pytest.raises(ValueError, match="no step"):
        reference.losses.mse(out, values, np.zeros((2, 4), dtype=bool))


def test_reference_runs_in_float32():
    rng = np.random.default_rng(2)
    H, D = 4, 3
    params64 = {
        "weight_ih_l0": rng.uniform(-1, 1, (4 * H, D)),
        "weight_hh_l0": rng.uniform(-1, 1, (4 * H, H)),
        "bias_ih_l0": rng.uniform(-1, 1, 4 * H),
        "bias_hh_l0": rng.uniform(-1, 1, 4 * H),
    }
    params32 = {k: v.astype(np.float32) for k, v in params64.items()}
    x = rng.normal(size=(2, 5, D))
    y64, cache64 = reference.lstm.forward(x, params64)
    y32, cache32 = reference.lstm.forward(x.astype(np.float32), params32)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-5)
    grads32, dx32 = reference.lstm.backward(cache32, np.ones_like(y32))
    grads64, _ = reference.lstm.backward(cache64, np.ones_like(y64))
    assert dx32.dtype == np.float32
    for key, grad in grads64.items():
        assert grads32[key].dtype == np.float32
        np.testing.assert_allclose(grads32[key], grad, rtol=1e-4, atol=1e-4)


def test_reference_variants_are_the_models_variants():
    assert reference.lstm.VARIANT_BLOCKS == VARIANT_BLOCKS


def test_reference_does_not_import_torch():
    code = "import sys, seqlab.reference; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
