"""`seqlab compare`: the advisor on generated data whose answer is known, in both
directions, plus its input checks, its rules on hand-made numbers, and the CLI contract."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from seqlab.cli import main

# ----- generated data with a known answer -------------------------------------------------


def ar2_csv(path: Path, n: int = 1200, seed: int = 0) -> Path:
    """x_t = 1.2 x_{t−1} − 0.6 x_{t−2} + ε_t: the past beyond two steps adds nothing."""
    rng = np.random.default_rng(seed)
    e, x = rng.normal(size=n), np.zeros(n)
    for t in range(2, n):
        x[t] = 1.2 * x[t - 1] - 0.6 * x[t - 2] + e[t]
    path.write_text("value\n" + "".join(f"{v:.5f}\n" for v in x), encoding="utf-8")
    return path


def lag_csv(path: Path, n: int = 1500, lag: int = 50, seed: int = 0) -> Path:
    """x_t = 0.9 x_{t−lag} + ε_t: the next value depends on the value ``lag`` steps back,
    and on nothing nearer (a seasonal AR with white noise in between)."""
    rng = np.random.default_rng(seed)
    e, x = rng.normal(size=n), np.zeros(n)
    for t in range(n):
        x[t] = e[t] + (0.9 * x[t - lag] if t >= lag else 0.0)
    path.write_text("value\n" + "".join(f"{v:.5f}\n" for v in x), encoding="utf-8")
    return path


def first_step_npz(path: Path, n: int = 400, length: int = 64, seed: int = 0) -> Path:
    """Sequences of 32 to ``length`` steps whose label is the sign of the first step's value
    (channel 0); every later step is noise of the same size, and channel 1 marks step 0.
    The varying length puts the first step at a varying distance from the scored last step,
    so no fixed window position holds it."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(length // 2, length + 1, size=n)
    x = np.zeros((n, length, 2), dtype=np.float32)
    y = rng.integers(0, 2, size=n)
    for i, L in enumerate(lengths):
        x[i, :L, 0] = rng.normal(size=L)
    x[:, 0, 0] = np.where(y == 1, 1.0, -1.0) * (0.5 + rng.random(n))
    x[:, 0, 1] = 1.0
    np.savez(path, x=x, y=y, lengths=lengths)
    return path


def seasonal_csv(path: Path, n: int = 400, seed: int = 0) -> Path:
    """A realistic daily series with a date column: weekly seasonality, a slow trend and
    AR(1) noise (what a shop's sales might look like)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.5 * noise[i - 1] + rng.normal(scale=0.5)
    y = 20 + 0.01 * t + 3 * np.sin(2 * np.pi * t / 7) + noise
    days = np.datetime64("2024-01-01") + t
    rows = "".join(f"{d},{v:.3f}\n" for d, v in zip(days, y, strict=True))
    path.write_text("date,sales\n" + rows, encoding="utf-8")
    return path


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def compare_json(argv: list[str], capsys) -> dict:
    code, out, err = run_cli(["compare", *argv, "--json"], capsys)
    assert code == 0, err[-3000:]
    return json.loads(out)


# ----- task inference -------------------------------------------------------------------


def test_infer_task_reads_the_kind_from_the_path(tmp_path):
    from seqlab.advisor import infer_task

    series = ar2_csv(tmp_path / "s.csv", n=50)
    labelled = tmp_path / "l.csv"
    labelled.write_text("id,label,f\na,x,1\na,x,2\nb,y,3\n", encoding="utf-8")
    text = tmp_path / "t.txt"
    text.write_text("hello world\n", encoding="utf-8")
    folder = tmp_path / "corpus"
    folder.mkdir()
    assert infer_task(series) == "series"
    assert infer_task(labelled) == "classify"
    assert infer_task(first_step_npz(tmp_path / "x.npz", n=4, length=4)) == "classify"
    assert infer_task(text) == "text"
    assert infer_task(folder) == "text"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("ids.csv", "id,f\na,1\nb,2\n", "--task"),
        ("data.parquet", "x", "--task"),
    ],
)
def test_ambiguous_input_asks_for_task_and_exits_2(tmp_path, capsys, name, content, says):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = run_cli(["compare", str(path), "--out", str(out)], capsys)
    assert code == 2 and says in err and "Traceback" not in err
    assert not out.exists()


# ----- planning ---------------------------------------------------------------------------


def test_window_grid_is_geometric_and_reaches_the_sequence_length():
    from seqlab.advisor import window_grid

    assert window_grid(64) == [1, 2, 4, 8, 16, 32, 64]
    assert window_grid(50) == [1, 2, 4, 8, 16, 32, 50]
    assert window_grid(64, max_window=10) == [1, 2, 4, 8, 10]
    assert window_grid(150, factor=4) == [1, 4, 16, 64, 150]


def test_candidate_parameter_counts_are_exact_and_comparable(tmp_path):
    """Printed counts equal the built models' numel; RNN, GRU, TCN, Transformer and the
    widest FFNN are within 10% of the LSTM; minGRU on one input stops at 8× the LSTM's
    units (its count then below); the TCN's receptive field covers T with the fewest
    levels."""
    import torch

    from seqlab.advisor import load_task, plan_candidates
    from seqlab.models import build_model

    _, _, task = load_task(ar2_csv(tmp_path / "s.csv", n=300), seq_len=32)
    cands = plan_candidates(task, [1, 4, 32], hidden=16)
    assert [c.key for c in cands] == [
        "linear-k1", "linear-k4", "linear-k32", "ffnn-k1", "ffnn-k4", "ffnn-k32",
        "rnn", "lstm", "gru", "tcn", "transformer", "mingru",
    ]  # fmt: skip
    for c in cands:
        with torch.random.fork_rng():
            model = build_model(c.spec(), input_size=task.input_size, output_size=1)
        assert c.params == sum(p.numel() for p in model.parameters()), c.key
    by = {c.key: c.params for c in cands}
    for key in ("rnn", "gru", "ffnn-k32", "tcn", "transformer"):
        assert abs(by[key] - by["lstm"]) <= 0.1 * by["lstm"], (key, by)
    mingru = next(c for c in cands if c.family == "mingru")
    assert mingru.hidden_size == 8 * 16 and by["mingru"] < by["lstm"]
    tcn = next(c for c in cands if c.family == "tcn")
    assert tcn.receptive_field >= 32 > 1 + 4 * (2 ** (tcn.levels - 1) - 1)  # fewest levels


def test_the_newer_candidates_train_through_the_runner(tmp_path):
    """The advisor's TCN, Transformer and minGRU configs pass the trainer's validation,
    train, and report the parameter count the plan printed."""
    from seqlab.advisor import load_task, plan_candidates
    from seqlab.sweep.runner import run_config

    _, opts, task = load_task(ar2_csv(tmp_path / "s.csv", n=300), seq_len=16)
    for c in plan_candidates(task, [4], hidden=8, families=("tcn", "transformer", "mingru")):
        flat = {"task": "series", **opts, **c.flat(), "lr": 1e-2, "seed": 0, "steps": 2,
                "batch_size": 4, "eval_every": 2}  # fmt: skip
        r = run_config(flat, str(tmp_path / "runs"))
        assert r["params"] == c.params and math.isfinite(r["value"]), c.key


def test_an_official_series_test_file_is_the_test_split(tmp_path):
    """``--test`` for a series: its rows follow the training file's and are exactly the
    test targets; the rows before them split 70/15 into train and valid."""
    from seqlab.advisor import load_task
    from seqlab.advisor.inputs import merge_series_split

    lines = ar2_csv(tmp_path / "all.csv", n=300).read_text().splitlines()
    (tmp_path / "train.csv").write_text("\n".join(lines[:241]) + "\n")  # header + 240
    (tmp_path / "test.csv").write_text("\n".join([lines[0], *lines[241:]]) + "\n")  # 60
    merged, n_test = merge_series_split(tmp_path / "train.csv", tmp_path / "test.csv", tmp_path)
    assert n_test == 60 and merged.read_text().splitlines() == lines
    _, _, task = load_task(merged, "series", seq_len=16, extra={"test_rows": n_test})
    assert task.target_ranges == {"train": (0, 197), "valid": (197, 240), "test": (240, 300)}


def test_the_budget_error_names_a_minimum_that_is_enough():
    """check_budget's named minimum passes check_budget; 10 % less does not."""
    from seqlab.advisor.plan import check_budget
    from seqlab.errors import ConfigError

    args = dict(spent_s=7.0, n_search=15, n_final=39, workers=2)
    with pytest.raises(ConfigError) as info:
        check_budget(0.1, **args)
    minimum = float(str(info.value).split("Fix: --budget-minutes ")[1].split()[0])
    check_budget(minimum, **args)
    with pytest.raises(ConfigError):
        check_budget(0.9 * minimum, **args)


def test_final_runs_share_what_is_left_in_equal_waves():
    from seqlab.advisor.plan import RESERVE, final_cap, waves

    assert waves(39, 2) == 20 and waves(1, 4) == 1
    # 100 s left, 3 s to start, 20 waves of (cap + 0.5 s) and the reserve fill it exactly
    cap = final_cap(100.0, 39, 2, 0.5, start=3.0)
    assert 3.0 + 20 * (cap + 0.5) + RESERVE == pytest.approx(100.0)


# ----- the rules, on hand-made numbers ------------------------------------------------------


def _row(family: str, window: int | None, valid: list[float], test=None, latency=1.0):
    from seqlab.advisor import Candidate, Row
    from seqlab.advisor.decide import interval

    test = valid if test is None else test
    cand = Candidate(family, 8, window, 100 if window is None else 10 * window)
    row = Row(cand, 1e-2, interval(valid), interval(test), list(test), 1.0, [100], latency)
    row.per_seed_valid = list(valid)
    return row


def _base(name: str, valid: float, kind: str = "trivial", test: float | None = None):
    from seqlab.advisor import Row
    from seqlab.advisor.decide import interval

    t = valid if test is None else test
    return Row(None, None, interval([valid]), interval([t]), [t], 0.0, [], kind=kind, label=name,
               per_seed_valid=[valid])  # fmt: skip


def test_short_memory_numbers_give_a_small_window_and_its_speedup():
    from seqlab.advisor import recommend

    rows = [
        _base("mean", 1.0),
        _base("persistence", 0.8),
        _base("ar-levels", 0.45, "classical"),
        _row("linear", 1, [0.60, 0.61, 0.59], latency=0.01),
        _row("linear", 2, [0.301, 0.302, 0.300], latency=0.01),
        _row("linear", 4, [0.300, 0.301, 0.299], latency=0.01),
        _row("ffnn", 4, [0.32, 0.33, 0.31], latency=0.02),
        _row("lstm", None, [0.300, 0.302, 0.298], latency=0.05),
    ]
    d = recommend(rows, "mse", higher=False)
    assert (d.model, d.window, d.horizon) == ("linear", 2, 2)
    assert "5.0× cheaper" in d.reason and "LSTM" in d.reason
    assert "beats every baseline" in d.reason and "ar-levels" in d.reason


def test_long_memory_numbers_give_a_recurrent_model():
    from seqlab.advisor import recommend

    rows = [
        _base("majority", 0.5),
        _row("ffnn", 8, [0.55, 0.56, 0.54]),
        _row("ffnn", 32, [0.70, 0.72, 0.68]),
        _row("gru", None, [0.97, 0.98, 0.99]),
        _row("lstm", None, [0.99, 1.0, 0.98]),
    ]
    d = recommend(rows, "accuracy", higher=True)
    assert (d.model, d.window, d.horizon) == ("lstm", None, None)
    assert "at least 32 steps back" in d.reason


def test_nothing_better_than_the_baseline_recommends_the_baseline_and_says_what_was_tried():
    from seqlab.advisor import recommend

    rows = [
        _base("mean", 1.0),
        _base("persistence", 1.9),
        _row("ffnn", 4, [0.99, 1.02, 1.0]),
        _row("lstm", None, [1.01, 0.98, 1.03]),
    ]
    d = recommend(rows, "mse", higher=False, tried="Tried: ffnn-k4, lstm.")
    assert d.model == "mean" and d.window is None and d.kind == "trivial"
    assert "needs no training" in d.reason and "Tried: ffnn-k4, lstm." in d.reason


def test_a_classical_method_as_good_as_the_best_network_is_recommended():
    from seqlab.advisor import recommend

    rows = [
        _base("persistence", 0.9),
        _base("ar-changes", 0.305, "classical"),
        _row("ffnn", 4, [0.40, 0.41, 0.39]),
        _row("lstm", None, [0.300, 0.304, 0.296]),
    ]
    d = recommend(rows, "mse", higher=False)
    assert (d.model, d.kind) == ("ar-changes", "classical")
    assert "A classical method is as good" in d.reason


def test_a_small_validation_set_cannot_separate_a_network_from_a_classical_method():
    """FFNN 0.241 vs AR 0.276 on validation: three seeds agree, but 46 validation points
    give MSE a 95 % sampling half-width of 1.96 · 0.241 · √(2/46) = 0.098, so the AR is as
    good; with 5,000 points (half-width 0.0094) the FFNN is better."""
    from seqlab.advisor import recommend
    from seqlab.advisor.decide import sampling_half_width

    assert sampling_half_width(0.241, "mse", 46) == pytest.approx(0.241 * 1.96 * (2 / 46) ** 0.5)
    rows = [
        _base("persistence", 0.85),
        _base("ar-changes", 0.276, "classical"),
        _row("ffnn", 16, [0.240, 0.242, 0.241]),
    ]
    assert recommend(rows, "mse", higher=False, n_valid=46).model == "ar-changes"
    assert recommend(rows, "mse", higher=False, n_valid=5000).model == "ffnn"


def test_a_classifier_worse_on_every_split_is_not_within_noise_however_wide_the_intervals():
    """Two splits: 1-NN 0.95 and 0.90, majority 0.50 and 0.45 — each interval over two
    splits is wide (t with 1 dof), but the paired difference is 0.45 on both."""
    from seqlab.advisor import Row, recommend
    from seqlab.advisor.decide import interval

    def base(name, kind, valid):
        return Row(None, None, interval(valid), interval(valid), valid, 0.0, [], kind=kind,
                   label=name, per_seed_valid=valid)  # fmt: skip

    rows = [
        base("majority", "trivial", [0.50, 0.45]),
        base("1nn-euclidean", "classical", [0.95, 0.90]),
        _row("lstm", None, [0.70, 0.98]),
    ]
    d = recommend(rows, "accuracy", higher=True)
    assert d.model == "1nn-euclidean", d.reason


def test_a_trivial_baseline_is_not_chosen_over_a_classical_method_with_a_better_mean():
    """Nile-like numbers, 15 validation points: the sampling margin of the best row (an
    erratic RNN) holds persistence (0.473) and the AR (0.328) alike; the baseline picked
    is the one with the better validation mean, the AR."""
    from seqlab.advisor import recommend

    rows = [
        _base("persistence", 0.473),
        _base("mean", 0.625),
        _base("ar-levels", 0.328, "classical"),
        _row("rnn", None, [0.19, 0.32]),
        _row("ffnn", 4, [0.55, 0.60]),
    ]
    d = recommend(rows, "mse", higher=False, n_valid=15)
    assert (d.model, d.kind) == ("ar-levels", "classical"), d.reason
    # a trivial baseline with the best mean of the baselines is still the answer
    rows[0] = _base("persistence", 0.30)
    d = recommend(rows, "mse", higher=False, n_valid=15)
    assert (d.model, d.kind) == ("persistence", "trivial"), d.reason
    assert "no classical method scores better on validation" in d.reason


def test_the_cheapest_sequence_model_within_noise_is_recommended_with_its_reason():
    from seqlab.advisor import Candidate, recommend

    tcn = _row("tcn", None, [0.301, 0.302, 0.300], latency=0.01)
    tcn.cand = Candidate("tcn", 8, None, 120, levels=5)
    rows = [
        _base("mean", 1.0),
        _row("ffnn", 4, [0.60, 0.61, 0.59]),
        _row("lstm", None, [0.300, 0.301, 0.299], latency=0.03),
        tcn,
        _row("rnn", None, [0.50, 0.51, 0.49], latency=0.001),  # cheaper, not as good
    ]
    d = recommend(rows, "mse", higher=False)
    assert d.model == "tcn", d.reason
    assert "receptive field 125" in d.reason and "3.0× faster" in d.reason, d.reason
    assert "LSTM" in d.reason


def test_no_recommended_model_is_worse_on_validation_than_persistence():
    """A network best on test but worse than persistence on validation is not chosen."""
    from seqlab.advisor import recommend

    rows = [
        _base("persistence", 0.20, test=0.30),
        _base("seasonal-naive", 0.50),
        _row("ffnn", 8, [0.26, 0.25, 0.27], test=[0.1, 0.1, 0.1]),
        _row("gru", None, [0.4, 0.41, 0.39]),
    ]
    d = recommend(rows, "mse", higher=False)
    assert d.model == "persistence"


def test_memory_evidence_states_each_window_and_the_recurrent_gain():
    from seqlab.advisor.decide import memory_evidence

    rows = [_row("ffnn", 4, [0.5, 0.52, 0.48]), _row("ffnn", 16, [0.4, 0.42, 0.38]),
            _row("lstm", None, [0.2, 0.21, 0.19])]  # fmt: skip
    lines = memory_evidence(rows, "mse", higher=False)
    assert "k=4: 0.5 [" in lines[0] and "k=16: 0.4 [" in lines[0]
    # gain 0.4 − 0.2, ± the two half-widths (Student t, 2 dof) combined in quadrature
    from seqlab.claims.stats import t975

    h_lstm, h_wide = (t975(2) * sd / math.sqrt(3) for sd in (0.01, 0.02))
    assert f"by 0.2 ± {math.hypot(h_lstm, h_wide):.3g}" in lines[1]


def test_an_erratic_candidate_is_not_within_noise_because_its_interval_is_wide():
    from seqlab.advisor import within_noise
    from seqlab.advisor.decide import interval

    best = interval([0.30, 0.31, 0.29])
    assert not within_noise(interval([0.1, 1.5, 0.9]), best, higher=False)
    assert within_noise(interval([0.305, 0.315, 0.295]), best, higher=False)
    assert within_noise(interval([0.304, 0.304, 0.304]), interval([0.3] * 3), higher=False)


# ----- bad input: exit 2, a message, nothing written ----------------------------------------


def test_missing_and_constant_target_are_clear_errors(tmp_path, capsys):
    series = ar2_csv(tmp_path / "s.csv", n=200)
    const = tmp_path / "c.csv"
    const.write_text("value\n" + "3.0\n" * 200, encoding="utf-8")
    for argv, says in (
        ([str(series), "--target", "nope"], "unknown column 'nope'"),
        ([str(const)], "constant"),
    ):
        out = tmp_path / "out"
        code, _, err = run_cli(["compare", *argv, "--out", str(out)], capsys)
        assert code == 2 and says in err and "Traceback" not in err, err
        assert not out.exists()


def test_options_for_another_task_are_clear_errors(tmp_path, capsys):
    npz = first_step_npz(tmp_path / "x.npz", n=40, length=8)
    series = ar2_csv(tmp_path / "s.csv", n=200)
    other = tmp_path / "other.csv"
    other.write_text("price\n1.0\n2.0\n", encoding="utf-8")
    for argv, says in (
        ([str(npz), "--fill", "ffill"], "--fill is for --task series"),
        ([str(series), "--test", str(other)], "differs from the training file's"),
        ([str(series), "--task-opt", "nonsense"], "expected KEY=VALUE"),
    ):
        out = tmp_path / "out"
        code, _, err = run_cli(["compare", *argv, "--out", str(out)], capsys)
        assert code == 2 and says in err and "Traceback" not in err, err
        assert not out.exists()


def test_a_series_too_short_for_the_split_is_a_clear_error(tmp_path, capsys):
    path = ar2_csv(tmp_path / "short.csv", n=40)
    out = tmp_path / "out"
    code, _, err = run_cli(["compare", str(path), "--out", str(out)], capsys)
    assert code == 2 and "series too short: 40 usable rows" in err and "--seq-len" in err
    assert not out.exists()


def test_too_few_sequences_is_a_clear_error(tmp_path, capsys):
    path = first_step_npz(tmp_path / "few.npz", n=12, length=8)
    out = tmp_path / "out"
    code, _, err = run_cli(["compare", str(path), "--out", str(out)], capsys)
    assert code == 2 and "only 12 labelled sequences" in err and "at least 20" in err
    assert not out.exists()


def test_a_budget_too_small_names_the_minimum(tmp_path, capsys):
    series = ar2_csv(tmp_path / "s.csv", n=300)
    out = tmp_path / "out"
    argv = ["compare", str(series), "--seq-len", "16", "--budget-minutes", "0.001"]
    code, _, err = run_cli([*argv, "--out", str(out)], capsys)
    assert code == 2 and "too small to train anything" in err, err
    minimum = float(err.split("Fix: --budget-minutes ")[1].split()[0])
    assert minimum > 0.001
    assert not out.exists()


# ----- learning: generated data whose answer is known ---------------------------------------
# Budgets of 0.8 min: the budget also pays for start-up and the classical baselines, which
# took up to 27 s on a loaded 2-core machine (0.5 min was then refused as too small).


def _chosen(res: dict) -> dict:
    rec = res["recommendation"]
    return next(
        c for c in res["candidates"] if (c["model"], c["window"]) == (rec["model"], rec["window"])
    )


@pytest.mark.slow
def test_short_memory_series_gets_a_short_memory_model(tmp_path, capsys):
    """AR(2) plus noise: the recommendation looks at most 4 steps back (an AR of order <= 4
    or a window of <= 4 steps), and the memory horizon of the windows is 1–4."""
    res = compare_json(
        [str(ar2_csv(tmp_path / "ar2.csv")), "--seq-len", "32", "--windows", "1,2,4",
         "--models", "linear,lstm", "--lrs", "3e-2", "--hidden-size", "16", "--seeds", "2",
         "--budget-minutes", "0.8", "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    rec, chosen = res["recommendation"], _chosen(res)
    if rec["kind"] == "trained":
        assert rec["model"] == "linear" and 1 <= rec["window"] <= 4, rec
    else:
        assert rec["model"] in ("ar-levels", "ar-changes"), rec
        assert chosen["params"] <= 5  # AR(p) has p + 1 parameters
    assert res["memory_horizon"] is not None and 1 <= res["memory_horizon"] <= 4
    cands = {(c["model"], c["window"]): c for c in res["candidates"]}
    assert chosen["value"] < cands["persistence", None]["value"]
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.slow
def test_long_lag_series_recommends_a_model_that_reaches_lag_50(tmp_path, capsys):
    """x_t = 0.9 x_{t−50} + ε: the recommended model reaches 50 steps back (an AR of order
    >= 50, the seasonal naive forecast at season 50, a recurrent model or a window >= 50),
    and it beats every window shorter than the lag on test."""
    res = compare_json(
        [str(lag_csv(tmp_path / "lag.csv")), "--windows", "4,16,64",
         "--models", "linear,lstm", "--lrs", "3e-2", "--hidden-size", "16", "--seeds", "2",
         "--budget-minutes", "0.8", "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    rec, chosen = res["recommendation"], _chosen(res)
    if rec["model"] in ("ar-levels", "ar-changes"):
        assert chosen["params"] >= 51, chosen
    elif rec["model"] == "seasonal-naive":
        assert "season 50" in chosen["detail"]
    else:
        assert rec["model"] == "lstm" or rec["window"] >= 50, rec
    short = [c for c in res["candidates"] if c["window"] is not None and c["window"] < 50]
    assert all(chosen["value"] < 0.8 * c["value"] for c in short)


@pytest.mark.slow
def test_label_from_the_first_step_is_read_by_a_whole_sequence_model(tmp_path, capsys):
    """The label is the sign of step 0 of sequences 32–64 steps long, the last step scored:
    right-aligned windows of 8 or 32 steps cannot see it; what is recommended reads the
    whole sequence (a linear model on it, MiniRocket, or the LSTM) and is right > 90 %."""
    res = compare_json(
        [str(first_step_npz(tmp_path / "first.npz", length=64)), "--windows", "8,32",
         "--models", "linear,lstm", "--lrs", "3e-2", "--hidden-size", "16", "--seeds", "2",
         "--budget-minutes", "0.8", "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    rec, chosen = res["recommendation"], _chosen(res)
    assert rec["model"] in ("lstm", "ridge", "minirocket") and rec["window"] is None, rec
    assert chosen["value"] > 0.9
    windows = [c for c in res["candidates"] if c["window"] is not None]
    assert all(c["value"] < 0.75 for c in windows)  # blind to step 0: near chance (0.5)


# ----- real data: weekly CO2 at Mauna Loa (statsmodels, public domain; tests/data) --------


@pytest.mark.slow
def test_co2_with_gaps_and_a_trend_is_not_lost_to_the_naive_forecast(tmp_path, capsys):
    """2,284 weekly values, 59 gaps, a trend and a yearly season. The gap hint's --fill
    works on compare; the trend is found and the networks model changes; the recommended
    row scores on test at least as well as the best classical baseline (within the
    tolerance), or is that baseline; and the wall time is near the budget (loose bounds:
    CI machines are shared)."""
    data = Path(__file__).parent / "data" / "co2.csv"
    code, _, err = run_cli(["compare", str(data), "--target", "co2", "--out",
                            str(tmp_path / "refused")], capsys)  # fmt: skip
    assert code == 2 and "--fill interpolate" in err
    budget = 1.0
    res = compare_json(
        [str(data), "--target", "co2", "--fill", "interpolate", "--seeds", "2",
         "--windows", "4,64", "--models", "linear,ffnn,lstm",
         "--budget-minutes", str(budget), "--out", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    assert "a trend or unit root" in res["preprocessing"]
    assert "season: 52" in res["preprocessing"]
    rows = res["candidates"]
    baselines = [c for c in rows if c["kind"] != "trained"]
    best_base = min(c["value"] for c in baselines)
    chosen = _chosen(res)
    assert chosen["kind"] != "trained" or chosen["value"] <= (1 + res["tolerance"]) * best_base
    persistence = next(c for c in rows if c["model"] == "persistence")
    assert chosen["value"] < persistence["value"]
    assert 0.5 * 60 * budget <= res["wall_seconds"] <= 1.5 * 60 * budget
