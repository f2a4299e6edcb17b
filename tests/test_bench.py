"""`seqlab bench`: the JSON document's stable keys, and sane numbers (never speed itself)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from seqlab.bench import BenchConfig, _train_flops, to_markdown
from seqlab.cli import main
from seqlab.models import LSTM

ROW_KEYS = {
    "model",
    "path",
    "input_size",
    "seq_len",
    "tokens_per_s",
    "ratio_vs_torch",
    "peak_fraction",
    "peak_memory_mb",
}
SOLVE_KEYS = {"task", "seq_len", "seconds", "steps", "solved", "ended"}


def positive_finite(v) -> bool:
    return isinstance(v, int | float) and math.isfinite(v) and v > 0


def test_training_flops_per_token_follow_the_stated_formula():
    # 1-layer LSTM: W = 4H(I + H), W_in = 4HI, FLOPs = 6W − 2W_in.
    H, I = 7, 3
    W, W_in = 4 * H * (I + H), 4 * H * I
    assert _train_flops(LSTM(I, H)) == 6 * W - 2 * W_in


def test_bench_config_rejects_zero_threads():
    with pytest.raises(ValueError, match="thread"):
        BenchConfig(threads=(0,))


def test_bad_thread_list_exits_2_with_a_message(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "--threads", "one,two"])
    assert e.value.code == 2
    assert "--threads" in capsys.readouterr().err


def test_unknown_bench_model_exits_2_naming_the_candidates(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "--models", "lstm,lsmt"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "--models 'lstm,lsmt': lsmt is not a bench candidate" in err and "mingru" in err
    with pytest.raises(ValueError, match="unknown bench models"):
        BenchConfig(models=("lsmt",))


def test_negative_solve_seed_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "--solve-only", "--solve-seeds", "0,-1"])
    assert e.value.code == 2
    assert "--solve-seeds '0,-1': expected a comma-separated list of integers >= 0" in (
        capsys.readouterr().err
    )


def test_solve_only_with_no_budget_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["bench", "--solve-only", "--solve-seconds", "0"])
    assert e.value.code == 2
    assert "--solve-only" in capsys.readouterr().err


@pytest.mark.slow
def test_solve_only_measures_time_to_solve_and_no_throughput(capsys):
    with pytest.raises(SystemExit) as e:
        main(
            [
                "bench",
                "--json",
                "--solve-only",
                "--solve-lens",
                "20",
                "--solve-seconds",
                "4",
                "--solve-seeds",
                "0,3",
            ]
        )
    assert e.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["results"] == [] and doc["matmul_gflops"] is None
    rows = doc["time_to_solve"]
    assert [(r["seq_len"], r["seed"]) for r in rows] == [(20, 0), (20, 3)]
    assert all(r["budget_s"] == 4 and r["steps"] > 0 for r in rows)
    for r in rows:  # every evaluation, in order, and the best of them reported
        steps = [h[0] for h in r["history"]]
        assert steps == sorted(steps) and r["best_valid_mse"] == min(h[2] for h in r["history"])


@pytest.mark.slow
def test_time_to_solve_keeps_a_scheduled_recipe_s_steps_and_lifts_a_constant_one_s(tmp_path):
    from seqlab.time_to_solve import time_to_solve

    small = {"levels": 1, "kernel_size": 2, "hidden_size": 4, "eval_every": 10}
    # the TCN's adding recipe anneals a cosine: its steps are the schedule's horizon
    tcn = time_to_solve(10, 120, str(tmp_path), model="tcn", options={**small, "steps": 20})
    assert tcn["settings"]["schedule"] == "cosine" and tcn["settings"]["steps"] == 20
    assert tcn["ended"] in {"steps", "solved"} and tcn["history"][-1][0] <= 20
    assert (tcn["ended"] == "solved") == tcn["solved"]
    # a constant rate has no horizon: only the budget (or solving) stops the run
    flat = time_to_solve(
        10, 3, str(tmp_path), model="tcn", options={**small, "schedule": "constant"}
    )
    assert flat["settings"]["steps"] == 10**7 and flat["ended"] in {"budget", "solved"}


@pytest.mark.slow
def test_quick_bench_prints_the_stable_json_keys_and_positive_ratios(capsys):
    torch.set_num_threads(1)
    with pytest.raises(SystemExit) as e:
        main(["bench", "--quick", "--json", "--solve-seconds", "5"])
    assert e.value.code in (0, None)
    doc = json.loads(capsys.readouterr().out)
    assert {"machine", "matmul_gflops", "results", "time_to_solve"} <= doc.keys()
    assert positive_finite(doc["matmul_gflops"])
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["torch"] == torch.__version__
    paths = {(r["model"], r["path"]) for r in doc["results"]}
    assert {("lstm", "torch"), ("lstm", "fast"), ("lstm", "trace"), ("gru", "trace")} <= paths
    assert {("lstm-nig", "trace"), ("lstm-cifg", "trace"), ("ffnn", "fast")} <= paths
    for row in doc["results"]:
        assert row.keys() >= ROW_KEYS
        assert row["path"] in {"fast", "trace", "numpy", "torch"}
        for key in ("tokens_per_s", "ratio_vs_torch", "peak_fraction", "peak_memory_mb"):
            assert positive_finite(row[key]), (row["model"], row["path"], key, row[key])
        if row["path"] == "torch":
            assert row["ratio_vs_torch"] == 1.0
    (solve,) = doc["time_to_solve"]
    assert solve.keys() >= SOLVE_KEYS and solve["task"] == "adding"
    assert isinstance(solve["solved"], bool)
    assert "| lstm | trace |" in to_markdown(doc)
