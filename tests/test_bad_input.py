"""Bad input: every class of unusable data raises ``DataValidationError`` whose message
names the file, the place, the problem and the fix — directly, and through
``seqlab train`` as exit code 2 with the message on stderr (no traceback)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from seqlab.data import corpus, idx
from seqlab.errors import ConfigError, DataValidationError
from seqlab.tasks import build_task


@dataclass
class Case:
    """A bad input: ``make(tmp_path, monkeypatch)`` writes files / patches package paths
    and returns the task options; ``expect`` are fragments the message must contain."""

    task: str
    make: Callable
    expect: list[str]
    cli: list[str] = field(default_factory=list)  # extra `seqlab train` options


def csv(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def ramp(n: int) -> str:
    return "date,price\n" + "".join(
        f"2024-01-01T{i // 60:02d}:{i % 60:02d},{i % 7}\n" for i in range(n)
    )


def missing_package(attr_module, attr: str, value):
    def make(tmp_path, monkeypatch):
        monkeypatch.setattr(attr_module, attr, value(tmp_path))
        monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path / "cache"))
        return {}

    return make


CASES = {
    "file_missing": Case(
        "series",
        lambda t, m: {"data": str(t / "nope.csv")},
        ["nope.csv", "not found", "Fix"],
    ),
    "is_a_directory": Case(
        "series", lambda t, m: {"data": str(t)}, ["is a directory", "Fix: name a file inside"]
    ),
    "empty_file": Case(
        "series", lambda t, m: {"data": csv(t, "")}, ["data.csv", "empty (0 bytes)", "Fix"]
    ),
    "binary_file": Case(
        "series",
        lambda t, m: {
            "data": str(_write_bytes(t / "img.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
        },
        ["img.csv", "looks binary", "NUL byte at offset 8", "plain-text"],
    ),
    "not_utf8": Case(
        "series",
        lambda t, m: {
            "data": str(_write_bytes(t / "l1.csv", "city,v\nZürich,1\n".encode("latin-1")))
        },
        ["l1.csv", "not UTF-8", "offset 8 (line 2)", "latin-1", "iconv"],
    ),
    "no_numeric_column": Case(
        "series",
        lambda t, m: {"data": csv(t, "name,colour\nann,red\nbob,blue\n")},
        ["no numeric column", "'name' (line 2: 'ann')", "'colour'", "Fix"],
    ),
    "unknown_target_column": Case(
        "series",
        lambda t, m: {"data": csv(t, ramp(200)), "target": "cost"},
        ["unknown column 'cost'", "'date', 'price'", "numeric: 'price'", "--target"],
        ["--target", "cost"],
    ),
    "missing_values": Case(
        "series",
        lambda t, m: {"data": csv(t, ramp(200).replace(",3\n", ",\n").replace(",5\n", ",NA\n"))},
        ["missing value(s)", "column(s) 'price'", "first: line 5", "--fill ffill", "interpolate"],
    ),
    "nan_in_sequences": Case(
        "classify",
        lambda t, m: {"data": str(_npz(t, x=np.full((9, 4, 2), np.nan), y=np.arange(9) % 2))},
        ["x holds 72 NaN or infinite", "first: x[0, 0, 0]", "Fix"],
    ),
    "infinite_value": Case(
        "series",
        lambda t, m: {"data": csv(t, ramp(200).replace(",4\n", ",inf\n", 1))},
        ["'price' holds", "infinite", "first: line 6", "Fix"],
    ),
    "series_too_short": Case(
        "series",
        lambda t, m: {"data": csv(t, ramp(50)), "seq_len": 64},
        ["series too short", "50 usable rows", "needs at least 93 rows", "--seq-len 34 fits"],
        ["--seq-len", "64"],
    ),
    "constant_series": Case(
        "series",
        lambda t, m: {"data": csv(t, "v\n" + "3.5\n" * 200)},
        ["target column 'v' is constant", "3.5", "every row", "Fix"],
    ),
    "rows_out_of_time_order": Case(
        "series",
        lambda t, m: {"data": csv(t, "date,v\n2024-01-02,1\n2024-01-03,2\n2024-01-01,3\n")},
        ["not in time order", "line 4 ('2024-01-01')", "line 3", "sort=true"],
    ),
    "repeated_time": Case(
        "series",
        lambda t, m: {"data": csv(t, "date,v\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n")},
        ["line 4 repeats the time '2024-01-02' of line 3", "one row per time"],
    ),
    "classify_without_id_column": Case(
        "classify",
        lambda t, m: {"data": csv(t, "name,label,v\na,x,1\n")},
        ["no sequence-id column", "'name', 'label', 'v'", "id_column=NAME"],
    ),
    "classify_unknown_label_column": Case(
        "classify",
        lambda t, m: {"data": csv(t, "id,v,cls\na,1,x\n"), "target": "kind"},
        ["unknown label column 'kind'", "'id', 'v', 'cls'", "label=NAME"],
        ["--target", "kind"],
    ),
    "package_not_installed_fashion_mnist": Case(
        "images",
        missing_package(idx, "FASHION_MNIST_DIR", lambda t: t / "absent"),
        ["Fashion-MNIST: not installed", "apt-get install -y dataset-fashion-mnist"],
    ),
    "package_not_installed_kjv": Case(
        "text",
        missing_package(corpus, "KJV_FILES", lambda t: (str(t / "bible"), str(t / "bible.data"))),
        ["King James Bible: not installed", "apt-get install -y bible-kjv"],
    ),
    "package_not_installed_fortunes_de": Case(
        "text",
        lambda t, m: {
            **missing_package(corpus, "FORTUNES_DE_DIR", lambda t: t / "de")(t, m),
            "corpus": "fortunes-de",
        },
        ["German fortune files: not installed", "apt-get install -y fortunes-de"],
        ["--corpus", "fortunes-de"],
    ),
    "corpus_too_small": Case(
        "text",
        lambda t, m: {"data": csv(t, "In the beginning.\nThe end.\n", "tiny.txt")},
        ["tiny.txt", "corpus too small", "2 non-blank line(s)", "at least 3 lines", "Fix"],
    ),
    "corpus_too_small_for_seq_len": Case(
        "text",
        lambda t, m: {"data": csv(t, "a b c\n" * 20, "short.txt"), "seq_len": 200},
        ["corpus too small", "train 72", "--seq-len 200", "at least 201"],
        ["--seq-len", "200"],
    ),
    "npz_without_labels": Case(
        "classify",
        lambda t, m: {"data": str(_npz(t, x=np.zeros((9, 4, 2))))},
        ["s.npz", "no array 'y'", "numpy.savez"],
    ),
}


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _npz(tmp_path: Path, **arrays) -> Path:
    np.savez(tmp_path / "s.npz", **arrays)
    return tmp_path / "s.npz"


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises_a_data_validation_error_naming_problem_and_fix(
    name, tmp_path, monkeypatch
):
    case = CASES[name]
    options = case.make(tmp_path, monkeypatch)
    with pytest.raises(DataValidationError) as e:
        build_task(case.task, options, seed=0)
    for fragment in case.expect:
        assert fragment in str(e.value), f"{fragment!r} missing from: {e.value}"


def test_kjv_extraction_that_fails_leaves_no_cache_file(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SEQLAB_CACHE", str(cache))
    monkeypatch.setattr(corpus, "KJV_FILES", (__file__, __file__))  # "installed"

    class Short:
        stdout = b"Ge1:1 In the beginning God created the heaven and the earth.\n"

    monkeypatch.setattr(corpus.subprocess, "run", lambda *a, **k: Short())
    with pytest.raises(DataValidationError, match="printed only 1 verses.*reinstall"):
        build_task("text", {}, seed=0)
    assert not cache.exists() or not any(cache.iterdir())


# -- the same through `seqlab train` ----------------------------------------------------------


@pytest.fixture
def train_cli():
    """``seqlab.cli.main``, if `seqlab train` is registered yet (else the test is skipped)."""
    from seqlab.cli import main

    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    if e.value.code != 0:
        pytest.skip("`seqlab train` is not registered yet")
    return main


def _cli_args(case: Case, options: dict, out: Path) -> list[str]:
    args = ["train", "--task", case.task, "--model", "lstm", "--steps", "1", "--out", str(out)]
    if "data" in options:
        args += ["--data", options["data"]]
    return args + case.cli


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_through_the_cli_with_the_message(
    name, tmp_path, monkeypatch, capsys, train_cli
):
    case = CASES[name]
    options = case.make(tmp_path, monkeypatch)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        train_cli(_cli_args(case, options, tmp_path / "runs"))
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert "Traceback" not in err
    for fragment in case.expect:
        assert fragment in err, f"{fragment!r} missing from: {err}"
    assert not [p for p in (tmp_path / "runs").rglob("*") if p.is_file()]  # nothing half-written


@pytest.mark.parametrize(
    ("task", "options", "message"),
    [
        ("images", {"order": "diagonal"}, "--order must be one of rows, pixels, permuted"),
        ("series", {}, "needs --data PATH"),
        ("series", {"data": "x.csv", "fill": "zero"}, "--fill must be one of none, ffill"),
        ("text", {"min_count": "two"}, "--min-count must be an integer"),
        ("classify", {"data": "x.npz", "split": "by-date"}, "--split must be one of"),
        ("text", {"colour": "red"}, "unexpected keyword argument 'colour'"),
    ],
)
def test_bad_option_values_raise_config_error(task, options, message):
    with pytest.raises(ConfigError, match=message):
        build_task(task, options, seed=0)
