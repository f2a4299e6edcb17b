"""Explicit randomness: initial weights come from the generator passed, with torch's own
distributions, and never from (or into) the global RNG."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from seqlab.models import GRU, LSTM, MODEL_NAMES, RNN, ModelSpec, build_model
from seqlab.models.adaptive import AdaptiveSoftmax
from seqlab.models.init import build

D, O, V = 3, 4, 11


def _model(name: str, seed: int | None, **kw) -> nn.Module:
    g = None if seed is None else torch.Generator().manual_seed(seed)
    heads = {"heads": 2} if name == "transformer" else {}  # 6 units: 2 heads of 3
    spec = ModelSpec(name, hidden_size=6, layers=2, max_lag=20, **heads, **kw)
    return build_model(spec, input_size=D, output_size=O, vocab_size=V, generator=g)


def _same(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_same_seed_same_weights_and_the_global_rng_is_untouched(name):
    state = torch.get_rng_state()
    a, b = _model(name, 7), _model(name, 7)
    assert torch.equal(torch.get_rng_state(), state)
    assert _same(a, b)
    assert not _same(a, _model(name, 8))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_a_generator_draws_what_the_global_rng_would_after_manual_seed(name):
    """The generator replaces the global RNG draw for draw: same numbers, same order."""
    with torch.random.fork_rng():
        torch.manual_seed(3)
        via_global = _model(name, None)
    assert _same(via_global, _model(name, 3))


def _torch_after_seed(seed: int, make):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return make()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda g: RNN(D, 5, 2, generator=g), lambda: nn.RNN(D, 5, 2)),
        (lambda g: GRU(D, 5, 2, generator=g), lambda: nn.GRU(D, 5, 2)),
        (lambda g: LSTM(D, 5, 2, forget_bias=0.0, generator=g), lambda: nn.LSTM(D, 5, 2)),
        (lambda g: build(nn.Linear, 7, 5, generator=g), lambda: nn.Linear(7, 5)),
        (lambda g: build(nn.Embedding, 9, 5, generator=g), lambda: nn.Embedding(9, 5)),
        (
            lambda g: build(AdaptiveSoftmax, 8, 600, generator=g),
            lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 600, [500], div_value=4.0),
        ),
    ],
    ids=["rnn", "gru", "lstm", "linear", "embedding", "adaptive"],
)
def test_each_layer_type_is_initialised_exactly_as_torch_nn(ours, theirs):
    """Seeded alike, our layer equals torch.nn's freshly constructed one, entry for entry."""
    ref = _torch_after_seed(11, theirs)
    got = ours(torch.Generator().manual_seed(11))
    for name, p in ref.named_parameters():
        assert torch.equal(got.get_parameter(name), p), name


def test_init_distributions_have_torchs_bounds_and_spread():
    """Independent of torch's code: U(±1/√fan_in) for Linear (std bound/√3), U(±1/√H) for
    the recurrent weights, N(0, 1) for the embedding; large tensors, loose tolerances."""
    g = torch.Generator().manual_seed(0)
    lin = build(nn.Linear, 400, 300, generator=g)
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert p.abs().max() <= bound and p.abs().max() > 0.95 * bound
    assert lin.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    core = GRU(20, 100, generator=g)
    assert core.weight_hh_l0.abs().max() <= 0.1
    assert core.weight_hh_l0.std().item() == pytest.approx(0.1 / math.sqrt(3), rel=0.02)
    emb = build(nn.Embedding, 300, 200, generator=g).weight
    assert emb.mean().item() == pytest.approx(0.0, abs=0.02)
    assert emb.std().item() == pytest.approx(1.0, rel=0.02)
