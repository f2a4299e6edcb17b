"""Parameters counted by hand (seqlab.params) against the real models, and `seqlab params`."""

from __future__ import annotations

import json

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqlab.cli import main
from seqlab.errors import ConfigError
from seqlab.models import MODEL_NAMES, NEWER, ModelSpec, build_model
from seqlab.params import MODELS, count_params, hidden_for_params

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def numel(module: torch.nn.Module, skip_head: bool = False) -> int:
    """The reference: the parameters a real torch module holds."""
    return sum(
        p.numel() for n, p in module.named_parameters() if not (skip_head and n.startswith("head."))
    )


@st.composite
def configs(draw, model: str) -> dict:
    """Random sizes for one model: input, hidden, layers, window, read-out, tokens."""
    tokens = draw(st.booleans())
    newer = {"levels": draw(st.integers(1, 3)), "kernel_size": draw(st.integers(2, 4))}
    return ({} if model != "tcn" else newer) | {
        "input_size": draw(st.integers(1, 9)),
        "hidden_size": draw(st.integers(1, 9)),
        "layers": draw(st.integers(0 if model == "ffnn" else 1, 3)),
        "window": draw(st.integers(1, 5)),
        "output_size": draw(st.none() | st.integers(1, 6)),
        "vocab_size": draw(st.integers(1, 12)) if tokens else None,
        "embed_dim": draw(st.none() | st.integers(1, 7)) if tokens else None,
    }


def real_model(model: str, cfg: dict) -> int:
    """``sum(p.numel())`` of the model seqlab really builds (core, embedding, read-out)."""
    spec = ModelSpec(
        model,
        hidden_size=cfg["hidden_size"],
        layers=cfg["layers"],
        window=cfg["window"],
        embed_dim=cfg["embed_dim"],
        levels=cfg.get("levels"),
        kernel_size=cfg.get("kernel_size"),
        heads=1 if model == "transformer" else None,  # the count does not depend on heads
    )
    out = cfg["output_size"]
    net = build_model(
        spec, input_size=cfg["input_size"], output_size=out or 1, vocab_size=cfg["vocab_size"]
    )
    return numel(net, skip_head=out is None)


def test_count_params_knows_every_model_name():
    assert set(MODELS) == set(MODEL_NAMES)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_torch_count_equals_numel_of_real_model(model):
    @FAST
    @given(cfg=configs(model))
    def check(cfg):
        count = count_params(model, convention="torch", **cfg)
        assert count.total == real_model(model, cfg)
        assert count.total == sum(p.count for p in count.parts)

    check()


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_keras_count_drops_exactly_the_redundant_biases(model):
    """keras = torch − every bias_hh, except GRU (b_hn is not redundant: keras keeps both)
    and ffnn (one bias per layer in both)."""

    @FAST
    @given(cfg=configs(model))
    def check(cfg):
        torch_total = count_params(model, convention="torch", **cfg).total
        keras_total = count_params(model, convention="keras", **cfg).total
        spec = ModelSpec(
            model,
            hidden_size=cfg["hidden_size"],
            layers=cfg["layers"],
            levels=cfg.get("levels"),
            kernel_size=cfg.get("kernel_size"),
            heads=1 if model == "transformer" else None,
        )
        core = build_model(spec, input_size=cfg["input_size"], output_size=1).core
        bias_hh = sum(p.numel() for n, p in core.named_parameters() if n.startswith("bias_hh"))
        redundant = 0 if model in ("gru", "ffnn") else bias_hh
        assert bias_hh > 0 or model in ("ffnn", *NEWER)
        assert keras_total == torch_total - redundant

    check()


def test_ffnn_3_inputs_hidden_4_outputs_2_has_26():
    assert count_params("ffnn", 3, 4, output_size=2, window=1).total == 26


def test_two_layer_lstm_300_512_has_3768320_like_torch_nn():
    count = count_params("lstm", 300, 512, layers=2)
    assert count.total == 3_768_320
    assert count.total == numel(torch.nn.LSTM(300, 512, num_layers=2))


def test_gru_torch_count_equals_torch_nn_gru():
    assert count_params("gru", 7, 5, layers=3).total == numel(torch.nn.GRU(7, 5, num_layers=3))


def test_lstm_layer_formula_is_written_out_with_sizes():
    layer0, layer1 = count_params("lstm", 300, 512, layers=2).parts
    assert layer0.formula == "4·H·(D+H) + 8·H = 4·512·(300+512) + 8·512"
    assert layer1.formula.startswith("4·H·(H+H) + 8·H")
    keras0 = count_params("lstm", 300, 512, convention="keras").parts[0]
    assert keras0.formula.startswith("4·H·(D+H) + 4·H")


def test_to_dict_has_the_contract_keys():
    d = count_params("rnn", 2, 3, output_size=4).to_dict()
    assert set(d) == {"model", "convention", "parts", "total"}
    assert all(set(p) == {"name", "formula", "count"} for p in d["parts"])
    assert json.loads(json.dumps(d)) == d


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_convention_note_is_one_line(model):
    note = count_params(model, 3, 4, levels=2, kernel_size=2).note
    assert "\n" not in note and "keras" in note
    if model not in ("ffnn", *NEWER):
        assert "b_ih" in note and "b_hh" in note


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"model": "mamba"}, "unknown model"),
        ({"convention": "jax"}, "unknown convention"),
        ({"hidden_size": 0}, "hidden size"),
        ({"hidden_size": None}, "hidden size"),
        ({"hidden_size": 2.5}, "hidden size"),
        ({"input_size": -1}, "input size"),
        ({"input_size": None}, "input size is missing"),
        ({"output_size": 0}, "output size"),
        ({"layers": 0}, "layers"),
        ({"window": 0}, "window"),
        ({"embed_dim": 4}, "vocabulary"),
    ],
)
def test_bad_arguments_raise_config_error(kwargs, problem):
    args = {"model": "lstm", "input_size": 3, "hidden_size": 4} | kwargs
    with pytest.raises(ConfigError, match=problem):
        count_params(**args)


@pytest.mark.parametrize("model", ["ffnn", "rnn", "lstm", "gru", "lstm-cifg"])
def test_hidden_for_params_returns_the_closest_hidden_size(model):
    @FAST
    @given(target=st.integers(1, 20_000), layers=st.integers(1, 2), d=st.integers(1, 30))
    def check(target, layers, d):
        h = hidden_for_params(model, target, d, 5, layers=layers, window=3)

        def miss(hh: int) -> int:
            return abs(count_params(model, d, hh, 5, layers, 3).total - target)

        assert h >= 1
        assert miss(h) <= miss(h + 1)
        assert h == 1 or miss(h) <= miss(h - 1)

    check()


def test_hidden_for_params_inverts_count_params():
    total = count_params("lstm", 10, 37, output_size=2, layers=2).total
    assert hidden_for_params("lstm", total, 10, 2, layers=2) == 37


def test_hidden_for_params_refuses_a_linear_window():
    with pytest.raises(ConfigError, match="no hidden size"):
        hidden_for_params("ffnn", 100, 3, 2, layers=0)


# ------------------------------------------------------------------------------------- CLI
def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["params", *argv])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_params_help_documents_every_option_and_its_example(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for flag in ("--input-size", "--hidden-size", "--output-size", "--layers", "--window"):
        assert flag in out
    for flag in ("--convention", "--vocab-size", "--embed-dim", "--json"):
        assert flag in out
    # the example's numbers in the docstring are the ones count_params gives
    assert f"{count_params('lstm', 300, 512, layers=2).total:,}" in out
    assert f"{count_params('lstm', 300, 512, layers=2, convention='keras').total:,}" in out


def test_params_prints_table_total_and_convention_note(capsys):
    code, out, _ = run_cli(capsys, "lstm", "--input-size", "300", "--hidden-size", "512",
                           "--layers", "2")  # fmt: skip
    assert code == 0
    assert "3,768,320" in out and "1,667,072" in out
    assert "torch vs keras" in out and "redundant" in out


def test_params_json_is_the_count_as_one_document(capsys):
    argv = ["ffnn", "-D", "3", "-H", "4", "-O", "2", "--window", "2", "--convention", "keras"]
    code, out, _ = run_cli(capsys, *argv, "--json")
    assert code == 0
    expected = count_params("ffnn", 3, 4, output_size=2, window=2, convention="keras")
    assert json.loads(out) == expected.to_dict()


def test_params_with_tokens_needs_no_input_size(capsys):
    code, out, _ = run_cli(capsys, "rnn", "-V", "50", "-E", "8", "-H", "4", "--json")
    assert code == 0
    assert json.loads(out)["total"] == 50 * 8 + (4 * (8 + 4) + 2 * 4)


def test_params_says_when_window_is_ignored(capsys):
    code, out, err = run_cli(capsys, "gru", "-D", "3", "-H", "4", "--window", "5", "--json")
    assert code == 0
    assert "ignored" in err
    assert json.loads(out) == count_params("gru", 3, 4).to_dict()


def test_mingru_has_2HD_weights_where_the_gru_has_3H_D_plus_H():
    (mingru,) = count_params("mingru", 7, 5).parts
    (gru,) = count_params("gru", 7, 5).parts
    assert mingru.count == 2 * 5 * 7 + 2 * 5 and mingru.formula.startswith("2·H·D + 2·H")
    assert gru.count == 3 * 5 * (7 + 5) + 6 * 5


def test_params_cli_counts_the_tcn_the_trainer_builds(capsys):
    code, out, _ = run_cli(capsys, "tcn", "-D", "2", "-H", "30", "-O", "1", "--json")
    spec = ModelSpec("tcn", hidden_size=30)  # the training defaults: 6 levels, kernel 7
    assert code == 0
    assert json.loads(out)["total"] == numel(build_model(spec, input_size=2, output_size=1))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["mamba", "-D", "3", "-H", "4"], "unknown model"),
        (["lstm", "-D", "3", "-H", "0"], "hidden size"),
        (["lstm", "-D", "3", "-H", "4", "--convention", "jax"], "unknown convention"),
        (["lstm", "-H", "4"], "--input-size"),
        (["lstm", "-D", "3", "-H", "4", "--layers", "0"], "layers"),
        (["lstm", "-D", "3", "-H", "4", "--embed-dim", "5"], "--vocab-size"),
        (["lstm", "-D", "3"], "--hidden-size"),
        (["lstm", "-D", "three", "-H", "4"], "--input-size"),
    ],
)
def test_params_bad_arguments_exit_2_with_a_message(capsys, argv, message):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out
