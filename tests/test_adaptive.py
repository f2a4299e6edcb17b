"""The adaptive-softmax read-out: an exact distribution, a loss equal to the full one's."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.config import TrainConfig
from seqlab.errors import ConfigError
from seqlab.metrics import masked_loss
from seqlab.models import ModelSpec, build_model
from seqlab.models.adaptive import AdaptiveSoftmax, cutoffs_for
from seqlab.train import train

V, H = 2600, 16


def test_cutoffs_follow_the_vocabulary_size():
    assert cutoffs_for(11_817) == [500, 2000, 8000]
    assert cutoffs_for(2600) == [500, 2000]
    assert cutoffs_for(501) == []


def test_log_probabilities_are_normalised_over_the_whole_vocabulary():
    torch.manual_seed(0)
    head = AdaptiveSoftmax(H, V).double()
    logp = head(torch.randn(3, 5, H, dtype=torch.float64))  # (B, T, V)
    assert logp.shape == (3, 5, V)
    torch.testing.assert_close(logp.logsumexp(-1), torch.zeros(3, 5, dtype=torch.float64))


def test_loss_is_the_masked_mean_negative_log_probability_and_its_gradient():
    torch.manual_seed(1)
    head = AdaptiveSoftmax(H, V).double()
    h = torch.randn(4, 6, H, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, V, (4, 6))
    y[0, :3] = torch.tensor([3, 700, 2500])  # one word from the head and each tail
    mask = torch.rand(4, 6) > 0.3
    fast = head.loss(h, y, mask)
    (g_fast,) = torch.autograd.grad(fast, h)
    full = masked_loss(head(h), y, mask, "classification")  # via the (B, T, V) output
    (g_full,) = torch.autograd.grad(full, h)
    expected = -head(h).gather(-1, y[..., None])[..., 0][mask].mean()
    torch.testing.assert_close(fast, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(full, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(g_fast, g_full, rtol=1e-10, atol=1e-12)


def test_model_loss_with_a_linear_head_is_the_masked_loss_of_its_output():
    torch.manual_seed(2)
    model = build_model(ModelSpec("lstm", 8), input_size=0, output_size=50, vocab_size=50)
    x, y = torch.randint(0, 50, (2, 7)), torch.randint(0, 50, (2, 7))
    mask = torch.rand(2, 7) > 0.5
    expected = F.cross_entropy(model(x)[mask], y[mask])
    torch.testing.assert_close(model.loss(x, y, mask, "classification"), expected)


def test_adaptive_head_keeps_torch_parameter_names():
    model = build_model(
        ModelSpec("lstm", H, head="adaptive"), input_size=0, output_size=V, vocab_size=V
    )
    names = {n for n in model.state_dict() if n.startswith("head.")}
    assert names == {
        "head.head.weight",
        "head.tail.0.0.weight",
        "head.tail.0.1.weight",
        "head.tail.1.0.weight",
        "head.tail.1.1.weight",
    }


def test_adaptive_head_is_refused_where_there_is_no_large_vocabulary(tmp_path):
    with pytest.raises(ConfigError, match="does not predict words"):
        train(TrainConfig(task="adding", model="lstm", head="adaptive", steps=1), tmp_path)
    small = {"limit": 300, "min_count": 1}
    with pytest.raises(ConfigError, match="vocabulary has only"):
        train(
            TrainConfig(task="text", model="lstm", head="adaptive", steps=1, task_options=small),
            tmp_path,
        )
    with pytest.raises(ConfigError, match="--head"):
        TrainConfig(task="text", model="lstm", head="softmax")


def test_an_lstm_with_an_adaptive_head_learns_kjv_text(tmp_path):
    """A real slice of the King James Bible (vocabulary > 501 words): test perplexity
    ends well below the unigram baseline, and the run directory reloads."""
    cfg = TrainConfig(
        task="text",
        model="lstm",
        head="adaptive",
        task_options={"limit": 20_000, "min_count": 1, "seq_len": 20},
        hidden_size=64,
        steps=300,
        batch_size=32,
        lr=1e-2,
        eval_every=150,
    )
    result = train(cfg, tmp_path, progress="quiet")
    assert result["value"] < 0.8 * result["chance"]


def test_evaluation_scores_equal_those_of_the_full_output():
    from seqlab.metrics import MetricSums

    torch.manual_seed(3)
    model = build_model(
        ModelSpec("lstm", H, head="adaptive"), input_size=0, output_size=V, vocab_size=V
    ).double()
    model.eval()
    x, y = torch.randint(0, V, (3, 9)), torch.randint(0, V, (3, 9))
    y[0, :3] = torch.tensor([1, 900, 2200])
    mask = torch.rand(3, 9) > 0.2
    fast, full = MetricSums(), MetricSums()
    model.add_scores(fast, x, y, mask, "classification", path="auto")
    full.add(model(x), y, mask, "classification")
    assert fast.n == full.n == mask.sum().item()
    assert fast.loss_sum == pytest.approx(full.loss_sum, rel=1e-12)
    assert fast.correct == full.correct
