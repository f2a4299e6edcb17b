"""Task-specific defaults (seqlab.defaults): applied only when not given, recorded, shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from seqlab.cli import main
from seqlab.config import TrainConfig
from seqlab.defaults import TASK_DEFAULTS, apply_task_defaults

CORPUS = Path(__file__).parent / "data" / "corpus.txt"
TEXT = TASK_DEFAULTS["text"]


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def test_text_defaults_fill_only_the_options_not_given():
    flat = apply_task_defaults({"task": "text", "model": "lstm", "lr": 1.0, "layers": None})
    assert flat["lr"] == 1.0  # given: kept
    assert flat["layers"] == TEXT["layers"]  # None counts as not given
    assert flat["optimizer"] == "sgd" and flat["schedule"] == "cosine"
    assert "lr" not in flat["defaults_applied"] and "layers" in flat["defaults_applied"]
    assert set(flat["defaults_applied"]) == set(TEXT) - {"lr"}


def test_epochs_stand_for_steps_and_other_tasks_get_no_task_defaults():
    flat = apply_task_defaults({"task": "text", "model": "rnn", "epochs": 1.0})
    assert "steps" not in flat and "steps" not in flat["defaults_applied"]
    other = apply_task_defaults({"task": "adding", "model": "lstm"})
    assert other == {"task": "adding", "model": "lstm", "defaults_applied": ()}
    cfg = TrainConfig.from_flat(other)  # the generic TrainConfig defaults, run id unchanged
    assert cfg.lr == 3e-3 and cfg.run_id() == TrainConfig("adding", "lstm").run_id()


def test_the_table_reaches_the_config_and_result_json(tmp_path, capsys):
    argv = ["train", "--task", "text", "--data", str(CORPUS), "--model", "gru"]
    argv += ["--hidden-size", "8", "--layers", "1", "--steps", "3", "--eval-every", "3"]
    with pytest.raises(SystemExit) as e:
        main([*argv, "--out", str(tmp_path), "--json", "--quiet"])
    assert e.value.code in (0, None)
    r = json.loads(capsys.readouterr().out)
    given = {"hidden_size", "layers", "steps", "eval_every"}
    assert set(r["defaults_applied"]) == set(TEXT) - given
    c = r["config"]
    assert (c["optimizer"], c["lr"], c["clip"], c["batch_size"]) == ("sgd", 20.0, 0.25, 20)
    assert (c["hidden_size"], c["layers"], c["steps"]) == (8, 1, 3)
    assert r["steps"] == 3
    on_disk = json.loads((Path(r["run_dir"]) / "result.json").read_text())
    assert on_disk["defaults_applied"] == r["defaults_applied"]


def test_train_help_shows_the_text_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())  # unwrap the boxes
    for name in ("hidden_size", "layers", "steps", "batch_size", "lr", "dropout", "eval_every"):
        assert f"text: {TEXT[name]:g}" in out, name
    for name in ("optimizer", "schedule", "head"):
        assert f"text: {TEXT[name]}" in out, name


def test_head_auto_is_adaptive_only_where_the_vocabulary_allows():
    from seqlab.models import ModelSpec, build_model
    from seqlab.models.adaptive import CUTOFFS, AdaptiveSoftmax

    spec = ModelSpec("rnn", hidden_size=4, head="auto")
    big, small = CUTOFFS[0] + 2, CUTOFFS[0] + 1  # cutoffs_for needs c < V - 1
    head = build_model(spec, input_size=1, output_size=big, vocab_size=big).head
    assert isinstance(head, AdaptiveSoftmax)
    head = build_model(spec, input_size=1, output_size=small, vocab_size=small).head
    assert isinstance(head, torch.nn.Linear)
    head = build_model(spec, input_size=3, output_size=big).head  # no vocabulary: linear
    assert isinstance(head, torch.nn.Linear)


def test_text_defaults_build_exactly_the_measured_recipe():
    """The short command trains RESULTS.md's recipe: the same config (head auto resolving to
    the adaptive softmax on the KJV vocabulary) and bit-identical initial weights."""
    from seqlab.models import build_model

    short = {"task": "text", "model": "lstm", "min_count": 1}
    recipe = {
        **short,
        **{"layers": 2, "hidden_size": 200, "head": "adaptive", "optimizer": "sgd", "lr": 20},
        **{"clip": 0.25, "dropout": 0.2, "batch_size": 20, "steps": 5000},
        **{"schedule": "cosine", "eval_every": 1000},
    }
    a = TrainConfig.from_flat(apply_task_defaults(short)).to_dict()
    b = TrainConfig.from_flat(recipe).to_dict()
    assert a.pop("head") == "auto" and b.pop("head") == "adaptive"
    assert a.pop("defaults_applied") and not b.pop("defaults_applied")
    assert a == b
    V = 11_817  # the KJV train vocabulary at min count 1
    models = []
    for flat in (apply_task_defaults(short), recipe):
        torch.manual_seed(0)
        spec = TrainConfig.from_flat(flat).model_spec(35)
        models.append(build_model(spec, input_size=V, output_size=V, vocab_size=V))
    sa, sb = models[0].state_dict(), models[1].state_dict()
    assert sa.keys() == sb.keys()
    assert sum(v.numel() for v in sa.values()) == 3_278_651  # RESULTS.md's parameter count
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_adding_tcn_defaults_are_the_recipe_the_docs_state():
    """seqlab.defaults / RESULTS.md "TCN on the adding problem": Adam (AdamW without decay)
    2e-3, batch 32, no clipping, cosine to 0 over 10,000 steps, validation every 1,000; the TCN's
    own 30 channels, kernel 7, 6 levels (receptive field 757 >= 600)."""
    flat = apply_task_defaults({"task": "adding", "model": "tcn", "seq_len": 600})
    cfg = TrainConfig.from_flat(flat)
    assert (cfg.optimizer, cfg.weight_decay, cfg.lr, cfg.batch_size) == ("adamw", 0.0, 2e-3, 32)
    assert (cfg.clip, cfg.schedule, cfg.warmup) == (None, "cosine", 0)
    assert (cfg.steps, cfg.eval_every) == (10000, 1000)
    assert (cfg.hidden_size, cfg.levels, cfg.kernel_size, cfg.dropout) == (30, 6, 7, 0.0)
    assert set(cfg.defaults_applied) == {
        "batch_size",
        "clip",
        "eval_every",
        "lr",
        "schedule",
        "steps",
    }
    given = apply_task_defaults({"task": "adding", "model": "tcn", "steps": 10})
    assert given["steps"] == 10 and "steps" not in given["defaults_applied"]


def test_train_help_shows_the_adding_tcn_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for shown in ("10000", "cosine", "0.002", "32", "1000"):
        assert f"adding --model tcn: {shown}" in out, shown


@pytest.mark.parametrize("model", ["tcn", "transformer", "mingru", "minlstm"])
def test_text_defaults_of_the_newer_models_are_adamw_the_rest_of_the_text_recipe_kept(model):
    """seqlab.defaults: the newer models train on text with AdamW 3e-3 and clipping 1 (SGD at
    lr 20, the LSTM's recipe, gave them perplexity 153–244 in the pilot); sizes, dropout,
    schedule and batches stay the text recipe's; the TCN is a kernel-3, 4-level stack."""
    cfg = TrainConfig.from_flat(apply_task_defaults({"task": "text", "model": model}))
    assert (cfg.optimizer, cfg.lr, cfg.clip) == ("adamw", 3e-3, 1.0)
    assert (cfg.hidden_size, cfg.layers, cfg.dropout) == (200, 2, 0.2)
    assert (cfg.schedule, cfg.batch_size, cfg.steps) == ("cosine", 20, 5000)
    if model == "tcn":
        assert (cfg.kernel_size, cfg.levels) == (3, 4)
    lstm = TrainConfig.from_flat(apply_task_defaults({"task": "text", "model": "lstm"}))
    assert (lstm.optimizer, lstm.lr, lstm.clip) == ("sgd", 20.0, 0.25)  # the LSTM's is unchanged
    given = apply_task_defaults({"task": "text", "model": model, "optimizer": "sgd", "lr": 20})
    assert (given["optimizer"], given["lr"]) == ("sgd", 20)


def test_train_help_shows_the_text_defaults_of_the_newer_models(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for model in ("tcn", "transformer", "mingru", "minlstm"):
        assert f"text --model {model}: adamw" in out, model
    assert "text --model tcn: 3" in out and "text --model tcn: 4" in out
