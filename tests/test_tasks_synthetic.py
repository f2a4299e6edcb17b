"""The generated tasks recall, adding and copy: layout, determinism, disjoint splits, and
chance levels checked against Monte-Carlo estimates with sample-size-derived tolerances."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch

from seqlab.errors import ConfigError
from seqlab.tasks import build_task
from seqlab.tasks._synthetic import row_digests
from seqlab.tasks.base import Batch

SYNTHETIC = ("recall", "adding", "copy")
SMALL = {  # cheap sizes for the generic tests
    "recall": {"eval_size": 64},
    "adding": {"eval_size": 64, "seq_len": 20},
    "copy": {"eval_size": 64, "seq_len": 5, "length": 4},
}


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def draw(task, n: int, seed: int = 0, batch_size: int = 500) -> Batch:
    g = gen(seed)
    parts = [task.train_batch(min(batch_size, n - i), g) for i in range(0, n, batch_size)]
    return Batch(*(torch.cat([getattr(b, f) for b in parts]) for f in ("x", "y", "mask")))


def binomial_tolerance(p: float, n: int, z: float = 4.0) -> float:
    return z * math.sqrt(p * (1 - p) / n)


# -- interface: shapes, dtypes, masks -------------------------------------------------------


@pytest.mark.parametrize("name", SYNTHETIC)
def test_default_options_build_and_batches_have_documented_shapes(name):
    task = build_task(name)
    b = task.train_batch(3, gen(0))
    T = task.seq_len
    if task.vocab_size is not None:
        assert b.x.shape == (3, T) and b.x.dtype == torch.int64
        assert int(b.x.min()) >= 0 and int(b.x.max()) < task.vocab_size
    else:
        assert b.x.shape == (3, T, task.input_size) and b.x.dtype == torch.float32
    if task.kind == "classification":
        assert b.y.shape == (3, T) and b.y.dtype == torch.int64
        assert int(b.y[b.mask].max()) < task.output_size
    else:
        assert b.y.shape == (3, T, task.output_size) and b.y.dtype == torch.float32
    assert b.mask.shape == (3, T) and b.mask.dtype == torch.bool
    assert task.describe()["chance"] == task.chance


@pytest.mark.parametrize("name", SYNTHETIC)
def test_eval_batches_cover_the_fixed_eval_set_in_order(name):
    task = build_task(name, SMALL[name])
    for split in ("valid", "test"):
        chunks = list(task.eval_batches(split, 25))
        assert [c.x.shape[0] for c in chunks] == [25, 25, 14]
        assert torch.equal(torch.cat([c.x for c in chunks]), task.eval_set(split).x)


# -- determinism and disjoint splits --------------------------------------------------------


@pytest.mark.parametrize("name", SYNTHETIC)
def test_same_seed_gives_identical_eval_sets_and_train_batches(name):
    a, b = build_task(name, SMALL[name], seed=3), build_task(name, SMALL[name], seed=3)
    for split in ("valid", "test"):
        assert torch.equal(a.eval_set(split).x, b.eval_set(split).x)
        assert torch.equal(a.eval_set(split).y, b.eval_set(split).y)
    ba, bb = a.train_batch(16, gen(7)), b.train_batch(16, gen(7))
    assert torch.equal(ba.x, bb.x) and torch.equal(ba.y, bb.y)
    assert not torch.equal(ba.x, a.train_batch(16, gen(8)).x)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_different_seed_gives_different_eval_sets(name):
    a, b = build_task(name, SMALL[name], seed=0), build_task(name, SMALL[name], seed=1)
    assert not set(row_digests(a.eval_set("test").x)) & set(row_digests(b.eval_set("test").x))


@pytest.mark.parametrize("name", SYNTHETIC)
def test_train_batch_leaves_the_global_rng_untouched(name):
    task = build_task(name, SMALL[name])
    task.eval_set("test")
    torch.manual_seed(123)
    state = torch.get_rng_state()
    task.train_batch(8, gen(0))
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("name", SYNTHETIC)
def test_describe_options_rebuild_the_same_task(name):
    task = build_task(name, SMALL[name], seed=5)
    desc = task.describe()
    again = build_task(name, desc["options"], seed=desc["seed"])
    assert torch.equal(task.eval_set("valid").x, again.eval_set("valid").x)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        # 3^8 = 6561 distinct strings: unguarded, ~3% of training rows would be eval rows.
        ("copy", {"symbols": 3, "length": 8, "seq_len": 2, "eval_size": 100}),
        # 2 classes x 4^6 distractor fillings = 8192 distinct inputs.
        (
            "recall",
            {
                "variant": "symbols",
                "distance": 2,
                "lead": 6,
                "classes": 2,
                "distractors": 4,
                "eval_size": 100,
            },
        ),
    ],
)
def test_splits_never_overlap_in_a_small_input_space(name, options):
    task = build_task(name, options)
    valid, test = row_digests(task.eval_set("valid").x), row_digests(task.eval_set("test").x)
    assert len(set(valid)) == len(valid) == 100 and len(set(test)) == len(test) == 100
    assert not set(valid) & set(test)
    train = row_digests(draw(task, 4000).x)
    assert not set(train) & (set(valid) | set(test))
    # the guard is what keeps them apart: an unguarded draw from the same space does collide
    raw = row_digests(task._draw(4000, gen(0)).x)
    assert set(raw) & (set(valid) | set(test))


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("copy", {"symbols": 2, "length": 3}),
        ("recall", {"variant": "symbols", "distance": 2, "lead": 0}),
    ],
)
def test_too_few_distinct_inputs_for_disjoint_splits_is_a_config_error(name, options):
    task = build_task(name, options)
    with pytest.raises(ConfigError, match="too few distinct inputs"):
        task.eval_set("test")


@pytest.mark.parametrize(
    ("name", "options", "words"),
    [
        ("adding", {"seq_len": 1}, "seq_len"),
        ("adding", {"seq_len": "abc"}, "integer"),
        ("adding", {"window": 3}, "window"),
        ("copy", {"symbols": 1}, "symbols"),
        ("copy", {"eval_size": 0}, "eval_size"),
        ("recall", {"distance": 1}, "distance"),
        ("recall", {"distance": "9-3"}, "empty"),
        ("recall", {"classes": 11}, "classes"),
        ("recall", {"variant": "pictures"}, "variant"),
        ("recall", {"lead": 1}, "lead"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(name, options, words):
    with pytest.raises(ConfigError, match=words):
        build_task(name, options)


# -- adding ---------------------------------------------------------------------------------


def test_adding_target_is_the_sum_of_the_two_marked_values_one_per_half():
    task = build_task("adding", {"seq_len": 21})
    b = draw(task, 300)
    values, marker = b.x[..., 0], b.x[..., 1]
    assert set(marker.unique().tolist()) == {0.0, 1.0}
    assert (marker[:, :10].sum(1) == 1).all() and (marker[:, 10:].sum(1) == 1).all()
    assert ((values >= 0) & (values < 1)).all()
    expected = torch.zeros_like(b.y)
    expected[:, -1, 0] = (values * marker).sum(1)
    assert (b.y - expected).abs().max() <= 1e-6
    assert b.mask[:, -1].all() and b.mask.sum() == 300


def test_adding_chance_is_the_mean_predictors_monte_carlo_mse():
    task = build_task("adding", {"seq_len": 10, "eval_size": 16})
    target = draw(task, 20000, batch_size=2000).y[:, -1, 0].double()
    sq = (target - 1.0) ** 2  # predict the mean E[v_a + v_b] = 1
    tol = 4 * sq.std().item() / math.sqrt(sq.numel())
    assert task.chance == pytest.approx(sq.mean().item(), abs=tol)
    assert task.chance == pytest.approx(1 / 6)


# -- copy -----------------------------------------------------------------------------------


def test_copy_layout_string_gap_go_then_the_string_is_the_target():
    L, G = 6, 4
    task = build_task("copy", {"symbols": 5, "length": L, "seq_len": G, "eval_size": 32})
    b = draw(task, 200)
    assert task.seq_len == L + G + 1 + L and task.vocab_size == 7 and task.output_size == 5
    assert (b.x[:, :L] < 5).all()
    assert (b.x[:, L : L + G] == task.blank).all() and (b.x[:, L + G] == task.go).all()
    assert (b.x[:, L + G + 1 :] == task.blank).all()
    assert torch.equal(b.y[:, L + G + 1 :], b.x[:, :L])
    assert b.mask[:, L + G + 1 :].all() and not b.mask[:, : L + G + 1].any()


def test_copy_chance_is_the_cross_entropy_of_the_best_memoryless_predictor():
    task = build_task("copy", {"symbols": 6, "length": 8, "seq_len": 3, "eval_size": 2000})
    train = draw(task, 10000, batch_size=2000)
    counts = torch.bincount(train.y[train.mask], minlength=6).double()
    n_train = int(counts.sum())
    log_q = (counts / n_train).log()  # marginal symbol frequencies, estimated on train
    test = task.eval_set("test")
    nll = -log_q[test.y[test.mask]]
    # E[nll] = H + KL(p || q) with KL ~ (K - 1) / (2 n_train); plus test-sample noise
    tol = 4 * nll.std().item() / math.sqrt(nll.numel()) + (6 - 1) / n_train
    assert task.chance == pytest.approx(nll.mean().item(), abs=tol)
    assert task.chance == pytest.approx(math.log(6))


# -- recall ---------------------------------------------------------------------------------


def cue_positions(task, x: torch.Tensor) -> torch.Tensor:
    """(B, T) bool: where a cue word is, found by name (independent of task.cue_index)."""
    cue_ids = torch.tensor(task.encode(task.cues))
    return torch.isin(x, cue_ids)


@pytest.mark.parametrize("variant", ["words", "symbols"])
@pytest.mark.parametrize("distance", [2, 7])
def test_recall_cue_is_input_T_minus_d_and_a_k_window_sees_it_iff_k_ge_d(variant, distance):
    task = build_task("recall", {"variant": variant, "distance": distance, "eval_size": 32})
    b = draw(task, 200)
    T = task.seq_len
    is_cue = cue_positions(task, b.x)
    assert (is_cue.sum(1) == 1).all() and is_cue[:, T - distance].all()
    assert (b.x[:, -1] == task.encode([task.vocab[task.query_id]])[0]).all()
    for k in range(1, T + 1):
        sees_cue = is_cue[:, T - k :].any(1)
        assert bool(sees_cue.all()) == (k >= distance) and bool(sees_cue.any()) == (k >= distance)
    assert torch.equal(task.distance(b.x), torch.full((200,), distance))


@pytest.mark.parametrize("variant", ["words", "symbols"])
def test_recall_distance_range_draws_every_distance_and_cue_index_finds_it(variant):
    task = build_task("recall", {"variant": variant, "distance": "2-9", "eval_size": 32})
    b = draw(task, 400)
    is_cue = cue_positions(task, b.x)
    where = is_cue.long().argmax(1)
    assert torch.equal(task.cue_index(b.x), where)
    assert set((task.seq_len - where).tolist()) == set(range(2, 10))
    assert b.x.shape[1] == task.seq_len == 8 + 9


@pytest.mark.parametrize("variant", ["words", "symbols"])
def test_recall_answer_is_a_function_of_the_cue_alone(variant):
    task = build_task(
        "recall", {"variant": variant, "distance": "3-8", "classes": 5, "eval_size": 500}
    )
    train = draw(task, 2000)
    cue_of = lambda b: b.x[cue_positions(task, b.x)]  # noqa: E731 — (B,) the cue token
    table = {}
    for cue, label in zip(cue_of(train).tolist(), train.y[:, -1].tolist(), strict=True):
        assert table.setdefault(cue, label) == label  # one answer per cue
    test = task.eval_set("test")
    predicted = torch.tensor([table[c] for c in cue_of(test).tolist()])
    assert torch.equal(predicted, test.y[:, -1])  # 100%


@pytest.mark.parametrize("variant", ["words", "symbols"])
def test_recall_a_classifier_that_sees_only_the_gap_is_at_chance(variant):
    d, classes = 8, 4
    task = build_task(
        "recall", {"variant": variant, "distance": d, "classes": classes, "eval_size": 3000}
    )
    T = task.seq_len
    gap = lambda b: b.x[:, T - d + 1 : T - 1]  # noqa: E731 — (B, d - 2) the words between
    train = draw(task, 6000)
    # naive Bayes over the bag of gap tokens, Laplace-smoothed, fitted on train
    counts = torch.ones(classes, task.vocab_size)
    for c in range(classes):
        counts[c] += torch.bincount(
            gap(train)[train.y[:, -1] == c].flatten(), minlength=task.vocab_size
        )
    log_p = (counts / counts.sum(1, keepdim=True)).log()  # (C, V)
    test = task.eval_set("test")
    scores = log_p[:, gap(test)].sum(-1).T  # (B, C)
    accuracy = (scores.argmax(1) == test.y[:, -1]).double().mean().item()
    assert accuracy == pytest.approx(task.chance, abs=binomial_tolerance(task.chance, 3000))


def test_recall_every_constant_guess_scores_chance():
    task = build_task("recall", {"classes": 4, "distance": 3, "variant": "symbols"})
    labels = draw(task, 20000, batch_size=2000).y[:, -1]
    freq = Counter(labels.tolist())
    for c in range(4):
        assert freq[c] / 20000 == pytest.approx(task.chance, abs=binomial_tolerance(0.25, 20000))


def test_recall_sentence_reads_as_the_alice_example_and_round_trips():
    task = build_task("recall", {"distance": "2-12", "classes": 4})
    words = task.sentence(0, 6, gen(0))
    T = task.seq_len
    assert len(words) == T and words[T - 6] == "hungry" and words[-1] == "buy"
    assert words[T - 8 : T - 6] == ["alice", "is"] and task.answers[0] == "food"
    assert task.decode(task.encode(words)) == words
    with pytest.raises(ConfigError, match="not in the vocabulary"):
        task.encode("alice is hungry for pizza")


@pytest.mark.slow
def test_recall_a_trained_window_ffnn_solves_it_iff_its_window_reaches_the_cue():
    """The visibility contract with the project's own FFNN: k = d learns the task, k = d − 1
    cannot do better than chance on the test set, whatever it fits on train."""
    from seqlab.metrics import MetricSums, masked_loss
    from seqlab.models import ModelSpec, build_model

    torch.set_num_threads(1)
    d = 4
    task = build_task(
        "recall", {"variant": "symbols", "distance": d, "classes": 4, "eval_size": 1000}
    )
    accuracy = {}
    for k in (d, d - 1):
        torch.manual_seed(0)  # parameter init (models take no generator)
        model = build_model(
            ModelSpec("ffnn", hidden_size=32, window=k, embed_dim=8),
            input_size=task.input_size,
            output_size=task.output_size,
            vocab_size=task.vocab_size,
        )
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        g = gen(1)
        for _ in range(60):
            b = task.train_batch(64, g)
            loss = masked_loss(model(b.x), b.y, b.mask, task.kind)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sums = MetricSums()
        with torch.no_grad():
            for b in task.eval_batches("test", 500):
                sums.add(model(b.x), b.y, b.mask, task.kind)
        accuracy[k] = sums.value(task.metric)
    assert accuracy[d] > 0.99
    assert accuracy[d - 1] == pytest.approx(task.chance, abs=binomial_tolerance(0.25, 1000))


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--task", "recall", "--distance", "1"], "d >= 2"),
        (["--task", "recall", "--distance", "9-3"], "empty"),
        (["--task", "copy", "--task-opt", "symbols=2", "--task-opt", "length=3"], "too few"),
    ],
)
def test_cli_rejects_bad_synthetic_task_options_with_exit_2(argv, words, tmp_path, capsys):
    from seqlab.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", *argv, "--model", "lstm", "--steps", "1", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_recall_filler_never_contains_a_cue_the_subject_or_the_query():
    from seqlab.tasks.recall import CUES, FILLER_PHRASES, QUERY, SUBJECT

    filler = {w for p in FILLER_PHRASES for w in p.split()}
    reserved = {c for c, _ in CUES} | set(SUBJECT) | {QUERY}
    assert not filler & reserved
    assert len(FILLER_PHRASES[0].split()) == 1  # distractors=1 can still fill any length
