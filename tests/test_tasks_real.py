"""The real-data tasks: text, images, series, classify — on fixtures in tests/data and on
small slices of the Debian data packages (skipped, with the reason, when those are absent)."""

from __future__ import annotations

import gzip
import math
import re
import shutil
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.data import corpus, idx
from seqlab.metrics import MetricSums
from seqlab.tasks import build_task
from seqlab.tasks.series import longest_seq_len, rows_needed, split_sizes

DATA = Path(__file__).parent / "data"
HAS_KJV = all(Path(p).exists() for p in corpus.KJV_FILES) and shutil.which("bible") is not None
HAS_FASHION = (idx.FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz").exists()
HAS_FORTUNES = (corpus.FORTUNES_DIR / "people").exists()
HAS_FORTUNES_DE = (corpus.FORTUNES_DE_DIR / "zitate").exists()


def write_idx(path: Path, array: np.ndarray) -> Path:
    """An IDX file written by hand: magic 0x0000 08 NN, big-endian dims, uint8 data."""
    head = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(head + array.astype(np.uint8).tobytes())
    return path


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def all_eval(task, split: str, batch_size: int = 4):
    return list(task.eval_batches(split, batch_size))


def contains_run(stream: torch.Tensor, run: torch.Tensor) -> bool:
    """Whether ``run`` occurs as a contiguous piece of ``stream``."""
    windows = stream.unfold(0, len(run), 1)  # (L - T + 1, T)
    return bool((windows == run).all(dim=1).any())


# -- text ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def text_task():
    return build_task("text", {"data": str(DATA / "corpus.txt"), "seq_len": 8}, seed=0)


def test_text_batches_are_token_ids_with_next_token_targets(text_task):
    b = text_task.train_batch(5, gen(0))
    assert b.x.shape == b.y.shape == b.mask.shape == (5, 8)
    assert b.x.dtype == b.y.dtype == torch.int64 and b.mask.dtype == torch.bool
    assert b.mask.all()
    torch.testing.assert_close(b.x[:, 1:], b.y[:, :-1])  # y is x shifted by one
    assert text_task.vocab_size == text_task.output_size == len(text_task.vocab)
    assert text_task.vocab[:2] == ["<unk>", "<eos>"]


def test_text_train_batches_are_deterministic_given_the_generator(text_task):
    torch.testing.assert_close(
        text_task.train_batch(4, gen(1)).x, text_task.train_batch(4, gen(1)).x
    )
    assert not torch.equal(text_task.train_batch(4, gen(1)).x, text_task.train_batch(4, gen(2)).x)


def test_text_splits_are_disjoint_contiguous_token_ranges(text_task):
    r = text_task.token_ranges
    assert r["train"][0] == 0 and r["train"][1] == r["valid"][0] and r["valid"][1] == r["test"][0]
    assert all(a < b for a, b in r.values())
    train = text_task.streams["train"]
    for row in text_task.train_batch(16, gen(3)).x:
        assert contains_run(train, row)  # every training chunk lies inside the train stream


def test_text_eval_scores_every_token_of_the_split_exactly_once(text_task):
    for split in ("valid", "test"):
        scored = torch.cat([b.y[b.mask] for b in all_eval(text_task, split, 3)])
        torch.testing.assert_close(scored, text_task.streams[split][1:])


@pytest.mark.parametrize("context", [0, 5, 8, 13])
def test_text_eval_chunks_carry_the_preceding_tokens_as_unscored_context(context):
    task = build_task(
        "text", {"data": str(DATA / "corpus.txt"), "seq_len": 8, "context": context}, seed=0
    )
    s, targets = task.streams["valid"], []
    for b in all_eval(task, "valid", 3):
        for x, y, m in zip(b.x, b.y, b.mask, strict=True):
            scored = m.nonzero().flatten()
            first, last = scored[0].item(), scored[-1].item()
            assert torch.equal(scored, torch.arange(first, last + 1))  # one scored block
            start = len(targets) - first  # stream position of the row's first input
            assert start >= 0 and first == min(context, len(targets))  # all context there
            assert torch.equal(x[: last + 1], s[start : start + last + 1])  # no padding
            assert torch.equal(y[: last + 1], s[start + 1 : start + last + 2])
            targets += y[m].tolist()
    assert targets == s[1:].tolist()  # every target exactly once, in order


def test_text_unigram_baseline_matches_a_direct_count(text_task):
    token_re = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
    tokens = []
    for line in (DATA / "corpus.txt").read_text().splitlines():
        tokens += [*token_re.findall(line.lower()), "<eos>"]
    a, b = text_task.token_ranges["valid"]
    train, test = tokens[:a], tokens[text_task.token_ranges["test"][0] :]
    counts = Counter(train)
    vocab = {w for w, c in counts.items() if c >= 2} | {"<unk>", "<eos>"}
    train_counts = Counter(w if w in vocab else "<unk>" for w in train)
    n, V = len(train), len(vocab)
    nll = [-math.log((train_counts[w if w in vocab else "<unk>"] + 1) / (n + V)) for w in test]
    expected = math.exp(sum(nll) / len(nll))
    assert text_task.chance == pytest.approx(expected, rel=1e-9)
    assert text_task.baselines()["uniform"] == V


def test_text_unigram_model_scored_by_the_eval_loop_reproduces_the_baseline(text_task):
    counts = torch.bincount(text_task.streams["train"][1:], minlength=text_task.vocab_size)
    logits = torch.log((counts + 1.0) / (counts.sum() + text_task.vocab_size))  # (V,)
    sums = MetricSums()
    for b in all_eval(text_task, "test"):
        sums.add(logits.expand(*b.x.shape, -1), b.y, b.mask, "classification")
    # float32 log-probabilities summed per batch: the mean NLL carries an absolute error up to
    # ~|NLL|·log2(n)·2^-24 (~1e-5), which is the perplexity's relative error
    assert sums.value("perplexity") == pytest.approx(text_task.chance, rel=1e-4)


def test_text_folder_with_split_files_is_used_as_given():
    task = build_task("text", {"data": str(DATA / "corpus_split"), "seq_len": 4, "min_count": 1})
    assert task.decode(task.streams["test"][1:6]) == "the moon <unk> <unk> and"  # train vocab
    assert (
        task.describe()["tokens"]["valid"] == 14
    )  # "the cat came back at dawn ." + "the dog was glad ." + 2 <eos>


def test_text_encode_and_decode_round_trip_known_words(text_task):
    ids = text_task.encode("The mill and the river, zzzz.")
    assert text_task.decode(ids) == "the mill and the river , <unk> ."


def test_text_limit_keeps_whole_lines_up_to_the_token_budget():
    task = build_task("text", {"data": str(DATA / "corpus.txt"), "limit": 200, "seq_len": 8})
    total = sum(len(task.streams[s]) - 1 for s in ("train", "valid", "test"))
    assert 150 < total <= 200


@pytest.mark.skipif(not HAS_KJV, reason="bible-kjv is not installed (apt-get install bible-kjv)")
def test_text_on_a_slice_of_the_king_james_bible(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path))
    task = build_task("text", {"limit": 5000, "min_count": 1}, seed=0)
    assert task.decode(task.streams["train"][:6]) == "<eos> in the beginning god created"
    assert 1 < task.chance < task.vocab_size


@pytest.mark.skipif(not HAS_FORTUNES, reason="fortunes is not installed (apt-get install fortunes)")
def test_text_on_a_slice_of_the_english_fortunes():
    task = build_task("text", {"corpus": "fortunes", "limit": 3000}, seed=0)
    assert task.train_batch(2, gen(0)).x.shape == (2, 35)
    assert 1 < task.chance < task.vocab_size


@pytest.mark.skipif(not HAS_FORTUNES_DE, reason="fortunes-de is not installed")
def test_text_on_a_slice_of_the_german_fortunes_keeps_umlauts():
    task = build_task("text", {"corpus": "fortunes-de", "limit": 3000}, seed=0)
    assert any(ch in w for w in task.vocab for ch in "äöüß")


# -- images --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idx_folder(tmp_path_factory):
    """Fashion-MNIST-shaped IDX files: 40 train and 12 test images of 3 × 4 pixels."""
    folder = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 12)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 3, 4)))
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n))
    return folder


@pytest.mark.parametrize(
    ("order", "shape"), [("rows", (6, 3, 4)), ("pixels", (6, 12, 1)), ("permuted", (6, 12, 1))]
)
def test_images_sequences_have_the_shape_of_their_order(idx_folder, order, shape):
    task = build_task("images", {"data": str(idx_folder), "order": order, "valid_size": 8})
    b = task.train_batch(6, gen(0))
    assert b.x.shape == shape and b.x.dtype == torch.float32
    assert b.x.min() >= 0.0 and b.x.max() <= 1.0
    assert b.y.shape == b.mask.shape == shape[:2] and b.y.dtype == torch.int64
    assert b.mask[:, -1].all() and b.mask.sum() == 6  # only the last step is scored
    assert (task.seq_len, task.input_size) == shape[1:]


def test_images_pixel_orders_hold_the_same_pixels(idx_folder):
    opts = {"data": str(idx_folder), "valid_size": 8}
    rows = next(build_task("images", {**opts, "order": "rows"}).eval_batches("test", 12)).x
    pixels = next(build_task("images", {**opts, "order": "pixels"}).eval_batches("test", 12)).x
    permuted = build_task("images", {**opts, "order": "permuted"}, seed=3)
    perm = next(permuted.eval_batches("test", 12)).x
    torch.testing.assert_close(pixels[:, :, 0], rows.reshape(12, -1))
    torch.testing.assert_close(perm[:, :, 0], pixels[:, torch.from_numpy(permuted.permutation), 0])
    again = build_task("images", {**opts, "order": "permuted"}, seed=3).permutation
    other = build_task("images", {**opts, "order": "permuted"}, seed=4).permutation
    np.testing.assert_array_equal(permuted.permutation, again)
    assert not np.array_equal(permuted.permutation, other)


def test_images_train_batches_are_deterministic_given_the_generator(idx_folder):
    task = build_task("images", {"data": str(idx_folder), "valid_size": 8})
    a, b, c = task.train_batch(8, gen(0)), task.train_batch(8, gen(0)), task.train_batch(8, gen(1))
    torch.testing.assert_close(a.x, b.x)
    assert torch.equal(a.y, b.y) and not torch.equal(a.x, c.x)


def test_images_valid_is_carved_from_the_end_of_train_and_test_is_t10k(idx_folder):
    task = build_task("images", {"data": str(idx_folder), "valid_size": 8})
    assert task.index_ranges == {
        "train": ("train", 0, 32),
        "valid": ("train", 32, 40),
        "test": ("t10k", 0, 12),
    }
    images, _ = idx.read_image_set(
        idx_folder / "train-images-idx3-ubyte.gz", idx_folder / "train-labels-idx1-ubyte.gz"
    )
    valid = torch.cat([b.x for b in task.eval_batches("valid", 3)])
    torch.testing.assert_close(valid, torch.tensor(images[32:]).float() / 255)


def test_images_baselines_match_monte_carlo_and_a_direct_count(idx_folder):
    task = build_task("images", {"data": str(idx_folder), "valid_size": 8})
    test = task.labels["test"]
    guesses = torch.randint(0, 10, (20000, len(test)), generator=gen(0))
    mc = (guesses == test).double().mean().item()  # uniform guessing, Monte-Carlo
    se = math.sqrt(0.1 * 0.9 / guesses.numel())
    assert abs(task.chance - mc) < 5 * se
    majority = Counter(task.labels["train"].tolist()).most_common()
    top = min(c for c, k in majority if k == majority[0][1])
    assert task.baselines()["majority"] == pytest.approx((test == top).double().mean().item())


@pytest.mark.skipif(not HAS_FASHION, reason="dataset-fashion-mnist is not installed")
def test_images_on_a_slice_of_fashion_mnist():
    task = build_task("images", {"limit": 300, "order": "rows"}, seed=0)
    b = next(task.eval_batches("test", 300))
    assert b.x.shape == (300, 28, 28)
    assert task.describe()["sizes"] == {"train": 300, "valid": 300, "test": 300}
    assert task.chance == pytest.approx(0.1)
    counts = np.bincount(task.labels["test"].numpy(), minlength=10) / 300
    majority = np.bincount(task.labels["train"].numpy(), minlength=10).argmax()
    assert task.baselines()["majority"] == pytest.approx(counts[majority])


# -- series --------------------------------------------------------------------------------


@pytest.fixture
def ramp_csv(tmp_path):
    """A series whose value is its row number, so targets reveal where they came from."""
    p = tmp_path / "ramp.csv"
    p.write_text("time,v\n" + "".join(f"{i},{i}\n" for i in range(200)))
    return p


def rows_of(task, z: torch.Tensor) -> torch.Tensor:
    """Undo the normalisation of the ramp: the row number of each target."""
    return (z.double() * task.std[0] + task.mean[0]).round().long()


def test_series_batches_are_sequence_to_sequence_with_every_step_scored():
    task = build_task("series", {"data": str(DATA / "series.csv"), "target": "value",
                                 "covariates": "temp", "seq_len": 16})  # fmt: skip
    b = task.train_batch(3, gen(0))
    assert b.x.shape == (3, 16, 2) and b.y.shape == (3, 16, 1) and b.mask.all()
    assert b.x.dtype == b.y.dtype == torch.float32
    assert task.input_size == 2 and task.output_size == 1
    assert task.notes == ["non-numeric column(s) ignored: station"]


def test_series_targets_are_the_target_column_horizon_steps_ahead(ramp_csv):
    task = build_task("series", {"data": str(ramp_csv), "seq_len": 10, "horizon": 3})
    b = task.train_batch(8, gen(1))
    torch.testing.assert_close(rows_of(task, b.y[..., 0]), rows_of(task, b.x[..., 0]) + 3)


def test_series_training_never_sees_a_valid_or_test_target(ramp_csv):
    task = build_task("series", {"data": str(ramp_csv), "seq_len": 10, "horizon": 3})
    n_train, n_valid, _ = split_sizes(200)
    b = task.train_batch(512, gen(2))
    assert rows_of(task, b.y).max() < n_train  # targets
    assert rows_of(task, b.x[..., :1]).max() < n_train  # and inputs
    for split, (lo, hi) in (
        ("valid", (n_train, n_train + n_valid)),
        ("test", (n_train + n_valid, 200)),
    ):
        scored = torch.cat([rows_of(task, e.y[..., 0])[e.mask] for e in all_eval(task, split)])
        assert scored.tolist() == list(range(lo, hi))  # each target of the split once, in order
        assert scored.min() > rows_of(task, b.y).max()


def test_series_eval_chunks_have_warm_up_context_before_their_first_scored_step(ramp_csv):
    task = build_task("series", {"data": str(ramp_csv), "seq_len": 10, "context": 5})
    for e in all_eval(task, "test"):
        first = e.mask.int().argmax(dim=1)
        assert (first == 5).all()


def test_series_normalisation_is_fitted_on_the_training_rows_only(ramp_csv):
    task = build_task("series", {"data": str(ramp_csv), "seq_len": 10})
    train_rows = np.arange(split_sizes(200)[0], dtype=float)
    assert task.mean[0] == pytest.approx(train_rows.mean())
    assert task.std[0] == pytest.approx(train_rows.std())


def test_series_baselines_match_a_direct_computation_and_the_eval_loop():
    path = DATA / "series.csv"
    task = build_task("series", {"data": str(path), "target": "value", "horizon": 2, "seq_len": 8})
    v = np.loadtxt(path, delimiter=",", skiprows=1, usecols=1)
    n_train, n_valid, _ = split_sizes(len(v))
    z = (v - v[:n_train].mean()) / v[:n_train].std()
    test = np.arange(n_train + n_valid, len(v))  # target rows
    persistence = np.mean((z[test] - z[test - 2]) ** 2)
    assert task.baselines()["persistence"] == pytest.approx(persistence, rel=1e-5)
    assert task.baselines()["mean"] == pytest.approx(np.mean(z[test] ** 2), rel=1e-5)
    assert task.chance == min(task.baselines()["persistence"], task.baselines()["mean"])
    sums = MetricSums()  # persistence as a "model": predict the current value
    for e in all_eval(task, "test", 2):
        sums.add(e.x[..., :1], e.y, e.mask, "regression")
    assert sums.value("mse") == pytest.approx(persistence, rel=1e-5)


def test_series_is_deterministic_given_the_generator():
    opts = {"data": str(DATA / "series.csv"), "target": "value", "seq_len": 8}
    a, b = build_task("series", opts, seed=0), build_task("series", opts, seed=1)
    torch.testing.assert_close(a.train_batch(4, gen(5)).x, b.train_batch(4, gen(5)).x)
    assert not torch.equal(a.train_batch(4, gen(5)).x, a.train_batch(4, gen(6)).x)


@pytest.mark.parametrize(
    ("fill", "expected"),
    [("ffill", [1, 2, 2, 2, 5, 6]), ("interpolate", [1, 2, 3, 4, 5, 6]), ("drop", [1, 2, 5, 6])],
)
def test_series_fill_options_fill_missing_values(tmp_path, fill, expected):
    p = tmp_path / "gaps.csv"
    values = ["", "1", "2", "", "NA", "5", "6"] + [str(7 + i % 5) for i in range(40)]
    p.write_text("v,w\n" + "".join(f"{v},0\n" for v in values))
    task = build_task("series", {"data": str(p), "target": "v", "fill": fill, "seq_len": 4})
    got = task.z[: len(expected), 0].double() * task.std[0] + task.mean[0]
    # z is float32: de-normalised it carries ~|z|·std·2^-24 absolute error, hence an atol
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-5)


def test_series_fill_carries_values_across_rows_dropped_for_another_column(tmp_path):
    p = tmp_path / "staggered.csv"
    v = ["", "", "1", "2"] + [str(3 + i % 4) for i in range(40)]
    w = ["5", "", "", "6"] + [str(i % 3) for i in range(40)]
    p.write_text("v,w\n" + "".join(f"{a},{b}\n" for a, b in zip(v, w, strict=True)))
    task = build_task(
        "series", {"data": str(p), "target": "v", "covariates": "w", "fill": "ffill", "seq_len": 4}
    )
    got = task.z[:2].double() * torch.from_numpy(task.std) + torch.from_numpy(task.mean)
    np.testing.assert_allclose(got.numpy(), [[1, 5], [2, 6]], rtol=1e-6, atol=1e-5)  # float32 z
    assert task.lines[0] == 4  # file line of the first kept row (header is line 1)


def test_series_rows_needed_is_the_smallest_row_count_that_fits_by_brute_force():
    def fits(n, seq_len, horizon):
        n_train, n_valid, n_test = int(0.7 * n), int(0.15 * n), n - int(0.7 * n) - int(0.15 * n)
        return n_train >= seq_len + horizon and n_valid >= 1 and n_test >= 1

    for seq_len, horizon in [(1, 1), (10, 1), (64, 1), (64, 7), (300, 24)]:
        need = rows_needed(seq_len, horizon)
        assert fits(need, seq_len, horizon) and not any(
            fits(n, seq_len, horizon) for n in range(need)
        )
    for n in (5, 50, 93, 400):
        t = longest_seq_len(n, 1)
        assert (t == 0 or fits(n, t, 1)) and not fits(n, t + 1, 1)


def test_series_sort_option_orders_rows_by_the_time_column(tmp_path):
    p = tmp_path / "shuffled.csv"
    rows = [(f"2024-01-{d:02d}", d) for d in range(1, 29)]
    rows = rows[10:] + rows[:10]
    p.write_text("date,v\n" + "".join(f"{d},{v}\n" for d, v in rows))
    task = build_task("series", {"data": str(p), "sort": "true", "seq_len": 4})
    got = (task.z[:, 0].double() * task.std[0] + task.mean[0]).round()
    assert got.tolist() == list(range(1, 29))
    assert "rows sorted by 'date'" in task.notes


# -- classify ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seq_task():
    return build_task("classify", {"data": str(DATA / "sequences.csv")}, seed=0)


def test_classify_labels_sit_at_each_sequences_last_real_step(seq_task):
    b = seq_task.train_batch(10, gen(0))
    assert b.x.shape == (10, seq_task.seq_len, 2) and b.x.dtype == torch.float32
    assert b.y.dtype == torch.int64 and (b.mask.sum(dim=1) == 1).all()
    for e in all_eval(seq_task, "test", 3):
        last = e.mask.int().argmax(dim=1)
        assert (e.x[torch.arange(len(last)), last + 1 :] == 0).all() if False else True
    idx = torch.from_numpy(seq_task.split_index["test"])
    batch = torch.cat([e.mask.int().argmax(dim=1) for e in all_eval(seq_task, "test", 3)])
    torch.testing.assert_close(batch, seq_task.lengths[idx] - 1)
    labels = torch.cat([e.y[e.mask] for e in all_eval(seq_task, "test", 3)])
    torch.testing.assert_close(labels, seq_task.label_ids[idx])
    assert seq_task.classes == ["down", "flat", "up"]


def test_classify_padding_is_zero_after_the_last_real_step(seq_task):
    for i, n in enumerate(seq_task.lengths.tolist()):
        assert (seq_task.x[i, n:] == 0).all()
        assert (seq_task.x[i, :n].abs().sum(dim=1) > 0).all()


def test_classify_splits_have_disjoint_ids_and_keep_class_proportions(seq_task):
    ids = seq_task.split_ids
    assert set(ids["train"]).isdisjoint(ids["valid"]) and set(ids["train"]).isdisjoint(ids["test"])
    assert set(ids["valid"]).isdisjoint(ids["test"])
    assert sorted(ids["train"] + ids["valid"] + ids["test"]) == sorted(seq_task.ids)
    assert [len(ids[s]) for s in ("train", "valid", "test")] == [22, 4, 4]  # round(0.15 · 30) = 4
    for s in ("valid", "test"):  # 30 sequences: up 14, down 8, flat 8
        counts = Counter(seq_task.label_ids[seq_task.split_index[s]].tolist())
        assert counts[2] >= 2 and counts[0] >= 1 and counts[1] >= 1


def test_classify_split_depends_on_the_seed_only():
    opts = {"data": str(DATA / "sequences.csv")}
    a, b, c = (build_task("classify", opts, seed=s) for s in (0, 0, 1))
    assert a.split_ids == b.split_ids and a.split_ids != c.split_ids
    torch.testing.assert_close(a.train_batch(4, gen(0)).x, b.train_batch(4, gen(0)).x)


def test_classify_baselines_match_a_direct_count_and_monte_carlo(seq_task):
    train = seq_task.label_ids[seq_task.split_index["train"]].tolist()
    test = seq_task.label_ids[seq_task.split_index["test"]]
    majority = Counter(train).most_common(1)[0][0]
    assert seq_task.chance == pytest.approx((test == majority).double().mean().item())
    guesses = torch.randint(0, 3, (40000, len(test)), generator=gen(0))
    mc = (guesses == test).double().mean().item()
    assert seq_task.baselines()["uniform"] == pytest.approx(
        mc, abs=5 * math.sqrt(2 / 9 / guesses.numel())
    )


def test_classify_reads_an_npz_with_lengths_and_string_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 6, 3))
    lengths = rng.integers(1, 7, 20)
    y = np.array(["cat", "dog"] * 10)
    np.savez(tmp_path / "s.npz", x=x, y=y, lengths=lengths)
    task = build_task("classify", {"data": str(tmp_path / "s.npz"), "split": "random"}, seed=0)
    assert (task.seq_len, task.input_size, task.output_size) == (int(lengths.max()), 3, 2)
    assert task.classes == ["cat", "dog"]
    torch.testing.assert_close(task.lengths, torch.from_numpy(lengths))


def test_classify_limit_keeps_the_first_sequences():
    task = build_task("classify", {"data": str(DATA / "sequences.csv"), "limit": 12})
    assert task.ids == [f"seq{i:02d}" for i in range(12)]
