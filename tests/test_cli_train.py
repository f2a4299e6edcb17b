"""`seqlab train`, `seqlab predict` and `seqlab gates` through seqlab.cli.main, in-process."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.cli import main
from seqlab.models import NEWER_OPTIONS

KJV = Path("/usr/lib/bible.data")  # from bible-kjv-text
FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    return e.value.code or 0, out, err


def train_json(argv: list[str], out: Path, capsys) -> dict:
    code, stdout, err = run(["train", *argv, "--out", str(out), "--json", "--quiet"], capsys)
    assert code == 0, err
    return json.loads(stdout)


TINY = [
    "--hidden-size",
    "8",
    "--batch-size",
    "8",
    "--eval-every",
    "2",
    "--task-opt",
    "eval_size=16",
]


# ----- train ---------------------------------------------------------------------------


def test_train_help_documents_every_option(capsys):
    code, out, _ = run(["train", "--help"], capsys)
    assert code == 0
    for opt in (
        "--task",
        "--model",
        "--data",
        "--target",
        "--distance",
        "--seq-len",
        "--window",
        "--steps",
        "--epochs",
        "--lr",
        "--clip",
        "--patience",
        "--seed",
        "--device",
        "--out",
        "--json",
        "--quiet",
        "--task-opt",
        "--order",
        "--horizon",
    ):
        assert opt in out, opt
    assert "Example" in out


def test_train_json_prints_exactly_result_json(tmp_path, capsys):
    r = train_json(
        [
            "--task",
            "adding",
            "--model",
            "lstm",
            "--steps",
            "2",
            *TINY,
            "--task-opt",
            "eval_size=16",
            "--seq-len",
            "5",
        ],
        tmp_path,
        capsys,
    )
    assert r == json.loads((Path(r["run_dir"]) / "result.json").read_text())
    assert r["config"]["task_options"] == {"eval_size": 16, "seq_len": 5}


def test_train_prints_metric_chance_params_and_time_then_reuses_the_run(tmp_path, capsys):
    argv = [
        "train",
        "--task",
        "recall",
        "--model",
        "ffnn",
        "--window",
        "3",
        "--distance",
        "3",
        "--steps",
        "4",
        *TINY,
        "--out",
        str(tmp_path),
        "--quiet",
    ]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "test accuracy" in out and "chance 0.25" in out and "parameters" in out
    assert " s training on cpu" in out and "finished earlier" not in out
    code, again, _ = run(argv, capsys)
    assert code == 0 and "finished earlier" in again


def test_progress_lines_go_to_stderr_when_not_a_terminal(tmp_path, capsys):
    code, out, err = run(
        [
            "train",
            "--task",
            "adding",
            "--model",
            "gru",
            "--steps",
            "4",
            *TINY,
            "--seq-len",
            "5",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    assert "step 2/4  loss" in err and "valid mse" in err
    assert "step" not in out.splitlines()[0][:5]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--steps", "3", "--epochs", "1"], "--steps or --epochs"),
        (["--lr", "-1"], "--lr"),
        (["--task-opt", "novalue"], "KEY=VALUE"),
        (["--task-opt", "bogus=1"], "bogus"),
        (["--optimizer", "adam"], "adamw, sgd"),
    ],
)
def test_bad_options_exit_2_with_a_message(tmp_path, capsys, argv, words):
    code, _, err = run(
        ["train", "--task", "adding", "--model", "lstm", *argv, "--out", str(tmp_path)], capsys
    )
    assert code == 2
    assert words in err and "Traceback" not in err


def test_unwritable_output_folder_exits_2_naming_it(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    code, _, err = run(
        ["train", "--task", "adding", "--model", "lstm", "--out", str(tmp_path / "f" / "runs")],
        capsys,
    )
    assert code == 2 and str(tmp_path / "f") in err and "--out" in err


def test_diverging_training_exits_3_with_the_cause(tmp_path, capsys):
    code, _, err = run(
        [
            "train",
            "--task",
            "adding",
            "--model",
            "lstm",
            "--optimizer",
            "sgd",
            "--lr",
            "1e6",
            "--clip",
            "0",
            "--steps",
            "50",
            *TINY,
            "--quiet",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 3
    assert "diverged" in err and "learning rate" in err and "--clip" in err


# ----- real data end to end (a few seconds each) -------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not KJV.exists(), reason="bible-kjv not installed (apt-get install bible-kjv)")
def test_train_text_on_the_kjv_then_predict(tmp_path, capsys):
    r = train_json(
        [
            "--task",
            "text",
            "--model",
            "lstm",
            "--limit",
            "400",
            "--steps",
            "30",
            "--eval-every",
            "15",
            "--hidden-size",
            "32",
            "--batch-size",
            "16",
        ],
        tmp_path,
        capsys,
    )
    assert r["metric"] == "perplexity" and math.isfinite(r["value"])
    assert r["value"] < r["baselines"]["unigram"]  # already below the unigram perplexity
    code, out, err = run(
        ["predict", r["run_dir"], "In the beginning God created the", "--top", "3", "--json"],
        capsys,
    )
    assert code == 0, err
    pred = json.loads(out)
    assert len(pred["predictions"]) == 3
    ps = [p["p"] for p in pred["predictions"]]
    assert ps == sorted(ps, reverse=True) and 0 < sum(ps) <= 1 + 1e-6


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.exists(), reason="apt-get install dataset-fashion-mnist")
def test_train_images_rows_end_to_end(tmp_path, capsys):
    r = train_json(
        [
            "--task",
            "images",
            "--model",
            "gru",
            "--limit",
            "600",
            "--steps",
            "40",
            "--eval-every",
            "20",
            "--hidden-size",
            "32",
        ],
        tmp_path,
        capsys,
    )
    assert r["metric"] == "accuracy" and r["chance"] == pytest.approx(0.1)
    assert r["value"] > 0.3  # 40 steps already beat chance by far


@pytest.mark.slow
def test_train_series_from_a_csv_end_to_end(tmp_path, capsys):
    t = np.arange(400)
    rng = np.random.default_rng(0)
    y = np.sin(2 * np.pi * t / 25) + 0.05 * rng.standard_normal(400)
    csv = tmp_path / "s.csv"
    csv.write_text("t,y\n" + "".join(f"{i},{v:.5f}\n" for i, v in zip(t, y, strict=True)))
    r = train_json(
        [
            "--task",
            "series",
            "--model",
            "lstm",
            "--data",
            str(csv),
            "--target",
            "y",
            "--seq-len",
            "30",
            "--steps",
            "150",
            "--eval-every",
            "50",
            "--lr",
            "1e-2",
            "--hidden-size",
            "16",
        ],
        tmp_path / "runs",
        capsys,
    )
    assert r["metric"] == "mse"
    assert r["value"] < r["chance"]  # beats the better of persistence and the mean


# ----- predict and gates -------------------------------------------------------------


@pytest.fixture(scope="module")
def recall_run(tmp_path_factory) -> str:
    """An LSTM that has learned recall at distance 6 (a second of training)."""
    from seqlab.train import run_config

    out = tmp_path_factory.mktemp("recall")
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        r = run_config(
            {
                "task": "recall",
                "model": "lstm",
                "distance": 6,
                "hidden_size": 16,
                "steps": 60,
                "eval_every": 30,
                "lr": 1e-2,
            },
            str(out),
        )
    assert r["value"] == 1.0
    return r["run_dir"]


def test_predict_names_the_answer_the_cue_asks_for(recall_run, capsys):
    for cue, answer in (("hungry", "food"), ("thirsty", "water"), ("cold", "coat")):
        code, out, err = run(
            ["predict", recall_run, f"alice is {cue} , then as usual buy", "--json"], capsys
        )
        assert code == 0, err
        top = json.loads(out)["predictions"][0]
        assert top["word"] == answer and top["p"] > 0.5


def test_predict_on_a_run_without_words_exits_2(tmp_path, capsys):
    r = train_json(
        ["--task", "adding", "--model", "lstm", "--steps", "2", *TINY, "--seq-len", "5"],
        tmp_path,
        capsys,
    )
    code, _, err = run(["predict", r["run_dir"], "hello"], capsys)
    assert code == 2 and "not words" in err
    code, _, err = run(["predict", str(tmp_path / "nope"), "hello"], capsys)
    assert code == 2 and "not a run directory" in err


def test_predict_with_unknown_words_lists_the_vocabulary(recall_run, capsys):
    code, _, err = run(["predict", recall_run, "alice is zzyzx"], capsys)
    assert code == 2 and "'zzyzx' not in the vocabulary" in err and "hungry" in err


def test_gates_writes_a_heatmap_and_a_table_per_word(recall_run, tmp_path, capsys):
    png = tmp_path / "g.png"
    code, out, err = run(
        ["gates", recall_run, "alice is tired , then buy", "--out", str(png)], capsys
    )
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = out.splitlines()
    assert lines[0].split() == ["step", "input", "forget", "output", "cell"]
    assert [ln.split()[0] for ln in lines[1:7]] == ["alice", "is", "tired", ",", "then", "buy"]
    gates = np.array([[float(v) for v in ln.split()[1:4]] for ln in lines[1:7]])
    assert ((gates > 0) & (gates < 1)).all()  # sigmoid gates


def test_gates_values_match_the_models_own_trace(recall_run, tmp_path, capsys):
    from seqlab.rundir import encode, load_model

    code, out, _ = run(
        ["gates", recall_run, "alice is cold , buy", "--json", "--out", str(tmp_path / "g.png")],
        capsys,
    )
    assert code == 0
    got = json.loads(out)["means"]
    _, model, meta = load_model(recall_run)
    _, ids = encode(recall_run, meta, "alice is cold , buy")
    with torch.no_grad():
        tr = model.trace(ids)
    # float32 means over H units: summation order (SIMD width, threads) moves them by a few
    # ulps of the terms (~1e-7 absolute), and the cell mean can sit near 0: atol, not rtol.
    f32 = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(got["f"], tr.gates[0]["f"][0].mean(-1).numpy(), **f32)
    np.testing.assert_allclose(got["c"], tr.cell[0][0].mean(-1).numpy(), **f32)


def test_gates_on_a_model_without_gates_exits_2(tmp_path, capsys):
    r = train_json(
        ["--task", "recall", "--model", "ffnn", "--distance", "3", "--steps", "2", *TINY],
        tmp_path,
        capsys,
    )
    code, _, err = run(["gates", r["run_dir"], "alice is cold , buy"], capsys)
    assert code == 2 and "has no gates" in err and "lstm" in err


def test_gates_of_a_float_input_run_read_a_csv_sequence(tmp_path, capsys):
    r = train_json(
        ["--task", "adding", "--model", "gru", "--steps", "2", *TINY, "--seq-len", "5"],
        tmp_path,
        capsys,
    )
    seq = tmp_path / "seq.csv"
    seq.write_text("0.5,0\n0.2,1\n0.9,0\n0.1,1\n")
    code, out, err = run(
        ["gates", r["run_dir"], str(seq), "--out", str(tmp_path / "g.png")], capsys
    )
    assert code == 0, err
    assert out.splitlines()[0].split() == ["step", "reset", "update", "hidden"]
    assert len(out.splitlines()) == 1 + 4 + 1
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n")
    code, _, err = run(["gates", r["run_dir"], str(bad)], capsys)
    assert code == 2 and "(T, 2)" in err


# ----- every option reaches the config ---------------------------------------------------


def _train_options() -> list:
    import typer.main

    from seqlab.cli.app import app

    command = typer.main.get_command(app).commands["train"]
    not_run_options = ("out", "json_out", "quiet", "no_wait", "help")  # where and how to show
    return [p for p in command.params if p.name not in not_run_options]


# Values that differ from every default and pass validation, by option (others: by type).
_VALUES = {
    "task_opt": ("eval_size=16", ("eval_size", 16)),
    "distance": ("7", 7),
    "data": (".", str(Path(".").resolve())),
    "forget_bias": ("2", 2.0),
    "optimizer": ("sgd", "sgd"),
    "schedule": ("cosine", "cosine"),
    "device": ("cpu", "cpu"),
    "path": ("trace", "trace"),
    "head": ("adaptive", "adaptive"),
    "heads": ("2", 2),  # divides the default hidden size
}


@pytest.mark.parametrize("param", _train_options(), ids=lambda p: p.name)
def test_every_train_option_reaches_the_config(param, monkeypatch, tmp_path, capsys):
    """`seqlab train --X v` puts v into the TrainConfig given to the trainer: as the field
    X, or as the task option X. An option the command declares but drops fails here."""
    import seqlab.train
    from seqlab.config import TrainConfig

    seen = {}

    def fake_train(cfg, out, **_):
        seen["cfg"] = cfg
        raise SystemExit(0)

    monkeypatch.setattr(seqlab.train, "train", fake_train)
    if param.name in _VALUES:
        arg, want = _VALUES[param.name]
    elif param.type_descriptor.annotation is int:
        arg, want = "3", 3
    elif param.type_descriptor.annotation is float:
        arg, want = "0.5", 0.5
    else:
        arg, want = "abc", "abc"
    owner = NEWER_OPTIONS.get(param.name, "lstm")  # a newer family's option: its model
    argv = ["train", "--task", "adding", "--model", owner, param.opts[0], arg]
    if param.name in ("task", "model"):
        argv = ["train", "--task", "copy", "--model", "gru"]
        want = "copy" if param.name == "task" else "gru"
    code, _, err = run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 0 and "cfg" in seen, err
    cfg: TrainConfig = seen["cfg"]
    if param.name == "task_opt":
        key, value = want
        assert cfg.task_options[key] == value
    elif param.name in TrainConfig.field_names():
        assert getattr(cfg, param.name) == want
        assert getattr(cfg, param.name) != TrainConfig.__dataclass_fields__[param.name].default
    else:
        assert cfg.task_options[param.name] == want
