"""The advisor's classical rows and preparation, against independent references:
statsmodels' AutoReg for the least-squares AR, a brute-force nearest neighbour for 1-NN,
hand-computed naive forecasts, and the exact identity behind modelling changes."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.advisor.series_baselines import (
    _lagged,
    _scored,
    ar_forecast,
    autocorrelation,
    detect_season,
)
from seqlab.advisor.stationarity import _fallback, check_stationarity


def _ar2(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e, x = rng.normal(size=n), np.zeros(n)
    for t in range(2, n):
        x[t] = 1.2 * x[t - 1] - 0.6 * x[t - 2] + e[t]
    return x


def _ranges(n: int) -> dict:
    a, b = int(0.7 * n), int(0.85 * n)
    return {"train": (0, a), "valid": (a, b), "test": (b, n)}


def test_naive_forecasts_match_hand_computation():
    z = np.array([0.0, 1.0, 3.0, 2.0, 5.0, 4.0, 7.0, 6.0, 9.0, 8.0])
    ranges = {"train": (0, 6), "valid": (6, 8), "test": (8, 10)}
    f = _scored("persistence", z, _lagged(z, 1), ranges)  # errors 3, -1 (valid); 3, -1 (test)
    assert f.valid == pytest.approx((9 + 1) / 2) and f.test == pytest.approx((9 + 1) / 2)
    f = _scored("seasonal-naive", z, _lagged(z, 2), ranges)  # season 2: errors 2, 2; 2, 2
    assert f.valid == pytest.approx(4.0) and f.test == pytest.approx(4.0)


def test_autocorrelation_matches_statsmodels_acf():
    acf = pytest.importorskip("statsmodels.tsa.stattools").acf
    x = _ar2(300)
    np.testing.assert_allclose(autocorrelation(x, 20), acf(x, nlags=20, fft=False), atol=1e-12)


def test_ar_on_levels_matches_statsmodels_autoreg_one_step():
    """The same AR(p) with a constant, fitted on the training rows by OLS, gives the same
    one-step validation MSE as statsmodels' AutoReg (an independent implementation)."""
    AutoReg = pytest.importorskip("statsmodels.tsa.ar_model").AutoReg
    z = _ar2(600)
    ranges = _ranges(len(z))
    for p in (1, 2, 5):
        ours = ar_forecast(z, ranges, 1, [p], changes=False)
        # AutoReg fits on rows p..n_train-1, like ours (targets with every lag present)
        fit = AutoReg(z[: ranges["train"][1]], lags=p, trend="c").fit()
        const, coefs = fit.params[0], fit.params[1:]
        rows = np.arange(*ranges["valid"])
        pred = const + sum(coefs[i] * z[rows - 1 - i] for i in range(p))
        assert ours.valid == pytest.approx(np.mean((z[rows] - pred) ** 2), rel=1e-9)


def test_ar_order_is_chosen_on_validation_and_recovers_an_ar2():
    z = _ar2(2000, seed=1)
    f = ar_forecast(z, _ranges(len(z)), 1, [1, 2, 3, 4, 8], changes=False)
    assert f.order == 2  # 1 is clearly worse; higher orders are within 2 % of the best
    assert f.valid_by_order[1] > 1.2 * f.valid_by_order[2]
    assert f.valid <= 1.02 * min(f.valid_by_order.values())


def test_a_monthly_season_is_detected_and_noise_has_none():
    rng = np.random.default_rng(0)
    t = np.arange(480)
    seasonal = np.sin(2 * np.pi * t / 12) + 0.3 * rng.normal(size=len(t))
    assert detect_season(seasonal, trend=False) == 12
    assert detect_season(seasonal + 0.01 * t, trend=True) == 12
    assert detect_season(rng.normal(size=480), trend=False) is None


@pytest.mark.parametrize("fallback", [False, True])
def test_a_random_walk_is_non_stationary_and_white_noise_stationary(fallback):
    if not fallback:
        pytest.importorskip("statsmodels")
    check = _fallback if fallback else check_stationarity
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=800))
    assert not check(walk).stationary
    assert check(rng.normal(size=800)).stationary
    assert not check(0.02 * np.arange(800) + rng.normal(size=800)).stationary


def test_changes_mse_on_the_level_scale_equals_the_level_error(tmp_path):
    """The networks' changes task, scaled by Prepared.scale, scores exactly the level
    forecast's MSE: predicting a zero change there is persistence here."""
    from seqlab.advisor.baselines import prepare_series
    from seqlab.advisor.inputs import load_task

    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=400)) + 0.05 * np.arange(400)
    path = tmp_path / "walk.csv"
    path.write_text("value\n" + "".join(f"{v:.6f}\n" for v in walk), encoding="utf-8")
    _, opts, task = load_task(path, "series", horizon=2, seq_len=16)
    prep = prepare_series(task, opts, tmp_path / "data")
    assert prep.stationarity is not None and not prep.stationarity.stationary
    net = prep.task
    assert net.target_ranges == task.target_ranges
    a, b = net.target_ranges["test"]
    change_mean = float(net.mean[0]) / float(net.std[0])  # z of a zero change
    zero_change = np.mean((net.z[a:b, 0].double().numpy() + change_mean) ** 2) * prep.scale
    z = task.z[:, 0].double().numpy()
    persistence = np.mean((z[a:b] - z[a - 2 : b - 2]) ** 2)
    assert zero_change == pytest.approx(persistence, rel=1e-5)


def test_one_nearest_neighbour_matches_brute_force():
    pytest.importorskip("sklearn")
    from seqlab.advisor.classify_baselines import classify_scores

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 12, 2))
    labels = (x[:, :3, 0].sum(axis=1) > 0).astype(int)
    split = {"train": np.arange(40), "valid": np.arange(40, 50), "test": np.arange(50, 60)}
    scored, _ = classify_scores(x, labels, split, seed=0)
    got = {s.name: s for s in scored}
    flat = x.reshape(60, -1)
    for name, idx in (("valid", split["valid"]), ("test", split["test"])):
        d = ((flat[idx, None, :] - flat[None, split["train"], :]) ** 2).sum(-1)
        pred = labels[split["train"]][d.argmin(axis=1)]
        assert getattr(got["1nn-euclidean"], name) == pytest.approx(np.mean(pred == labels[idx]))
    majority = np.bincount(labels[:40]).argmax()
    assert got["majority"].test == pytest.approx(np.mean(labels[50:] == majority))


def test_a_costly_method_that_does_not_fit_the_time_left_is_skipped_with_its_estimate():
    pytest.importorskip("aeon")
    from seqlab.advisor.classify_baselines import classify_scores

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 16, 1))
    labels = (x[:, 0, 0] > 0).astype(int)
    split = {"train": np.arange(24), "valid": np.arange(24, 32), "test": np.arange(32, 40)}
    scored, notes = classify_scores(x, labels, split, seed=0, seconds=0.0)
    assert {s.name for s in scored} == {"majority", "1nn-euclidean", "ridge"}
    for name in ("1nn-dtw", "minirocket"):
        assert any(n.startswith(f"{name}: skipped: about") for n in notes), notes


def test_an_official_split_in_the_npz_is_honoured(tmp_path):
    from seqlab.tasks import build_task

    rng = np.random.default_rng(0)
    n = 40
    y = np.arange(n) % 2
    split = np.array(["train"] * 25 + ["test"] * 15)
    path = tmp_path / "official.npz"
    np.savez(path, x=rng.normal(size=(n, 8)), y=y, split=split)
    for seed in (0, 1):
        task = build_task("classify", {"data": str(path)}, seed=seed)
        assert task.split == "given"
        np.testing.assert_array_equal(task.split_index["test"], np.arange(25, 40))
        together = np.sort(np.concatenate([task.split_index["train"], task.split_index["valid"]]))
        np.testing.assert_array_equal(together, np.arange(25))
        assert len(task.split_index["valid"]) == round(0.15 * 25)


def test_a_train_file_and_a_test_file_become_one_official_split(tmp_path):
    from seqlab.advisor.inputs import merge_official_split
    from seqlab.tasks import build_task

    rng = np.random.default_rng(0)
    for name, n in (("train", 30), ("test", 12)):
        np.savez(tmp_path / f"{name}.npz", x=rng.normal(size=(n, 6)), y=np.arange(n) % 3)
    merged = merge_official_split(tmp_path / "train.npz", tmp_path / "test.npz", "label", tmp_path)
    task = build_task("classify", {"data": str(merged)}, seed=0)
    np.testing.assert_array_equal(task.split_index["test"], np.arange(30, 42))


def test_one_nearest_neighbour_on_gunpoint_reproduces_the_published_ucr_accuracy(tmp_path):
    """GunPoint's official split (50 train, 150 test, shipped inside aeon): 1-NN with
    Euclidean distance is right on 137 of 150 test series, the UCR archive's published
    error rate 0.0867 — through the classify task's normalisation and padding."""
    datasets = pytest.importorskip("aeon.datasets", reason="aeon (extra 'classic') not installed")
    pytest.importorskip("sklearn", reason="scikit-learn (extra 'classic') not installed")
    from seqlab.advisor.classify_baselines import classify_scores
    from seqlab.tasks import build_task

    parts = [datasets.load_classification("GunPoint", split=s) for s in ("train", "test")]
    x = np.concatenate([p[0] for p in parts])[:, 0, :]  # (200, 150)
    y = np.concatenate([p[1] for p in parts]).astype(str)
    split = np.array(["train"] * len(parts[0][1]) + ["test"] * len(parts[1][1]))
    path = tmp_path / "gunpoint.npz"
    np.savez(path, x=x, y=y, split=split)
    task = build_task("classify", {"data": str(path)}, seed=0)
    official = {**task.split_index, "train": np.arange(50)}  # all 50 official training series
    scored, _ = classify_scores(task.x.double().numpy(), task.label_ids.numpy(), official, 0)
    nn = next(s for s in scored if s.name == "1nn-euclidean")
    assert nn.test == pytest.approx(137 / 150, abs=1e-12)
