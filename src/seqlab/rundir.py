"""The run directory: one folder per resolved config, the unit of storage.

    <out>/<task>-<model>-<hash>/
        config.json          resolved config, seed, versions, git revision, device, task
        metrics.jsonl        one line per evaluation: step, train_loss, valid_value, lr, seconds
        metrics.csv          the same as CSV
        weights.safetensors  the best-validation weights
        checkpoint.pt        the latest trainer state (deleted once the run is finished)
        vocab.json           token tasks: input vocabulary and output class names
        result.json          written LAST: the run is finished iff it exists

Identical configs map to the same folder (``TrainConfig.run_id``), so a rerun — by hand,
by a sweep, on another executor — finds the result and skips the work, or finds the
checkpoint and resumes. Every file is written atomically (``seqlab.checkpoint``); this
module is the one place that knows their names and contents.
"""

from __future__ import annotations

import contextlib
import functools
import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab.atomic import atomic_write_json, atomic_write_text
from seqlab.config import TrainConfig
from seqlab.errors import DataValidationError

CONFIG = "config.json"
METRICS_JSONL = "metrics.jsonl"
METRICS_CSV = "metrics.csv"
WEIGHTS = "weights.safetensors"
CHECKPOINT = "checkpoint.pt"
VOCAB = "vocab.json"
RESULT = "result.json"


def run_dir(config: TrainConfig, out: str | Path) -> Path:
    """The folder of ``config``'s run under ``out`` (not created here)."""
    return Path(out) / config.run_id()


METRIC_KEYS = ("step", "train_loss", "valid_value", "lr", "seconds")


def write_start(
    folder: Path, config: TrainConfig, task: Any, *, steps: int, device: torch.device, params: int
) -> None:
    """``config.json`` (and ``vocab.json`` for a token task): what the run is, before step 1."""
    atomic_write_json(
        folder / CONFIG,
        {
            "run_id": config.run_id(),
            "config": config.to_dict(),
            "resolved": {"steps": steps, "device": str(device)},
            "seed": config.seed,
            "params": params,
            "task": task.describe(),
            "environment": environment(device),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )
    vocab = vocabulary(task)
    if vocab is not None:
        atomic_write_json(folder / VOCAB, vocab)


def write_metrics(folder: Path, history: list[dict[str, Any]]) -> None:
    """The whole evaluation history as ``metrics.jsonl`` and ``metrics.csv`` (rewritten each
    time, so lines logged after the last checkpoint vanish on resume)."""
    atomic_write_text(folder / METRICS_JSONL, "".join(json.dumps(r) + "\n" for r in history))
    csv = ",".join(METRIC_KEYS) + "\n"
    csv += "".join(",".join(repr(r[k]) for k in METRIC_KEYS) + "\n" for r in history)
    atomic_write_text(folder / METRICS_CSV, csv)


def write_result(folder: Path, result: dict[str, Any]) -> None:
    """``result.json``, last: from here on the run is finished and its checkpoint is gone."""
    atomic_write_json(folder / RESULT, result)
    with contextlib.suppress(OSError):
        (folder / CHECKPOINT).unlink()


def vocabulary(task: Any) -> dict[str, Any] | None:
    """Input tokens and output class names of a token task, for ``predict`` / ``gates``."""
    vocab = getattr(task, "vocab", None)
    if not task.vocab_size or vocab is None:
        return None
    if isinstance(vocab, dict):  # token -> id
        tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    else:
        tokens = [str(t) for t in vocab]
    answers = getattr(task, "answers", None)
    if answers is not None:
        outputs: list[str] | None = [str(a) for a in answers]
    elif task.output_size == len(tokens):
        outputs = tokens
    else:
        outputs = None
    return {
        "tokens": tokens,
        "outputs": outputs,
        "lowercase": bool(getattr(task, "lowercase", True)),
    }


def read_result(folder: str | Path) -> dict[str, Any] | None:
    """The finished run's result, or ``None`` while the run is not finished."""
    path = Path(folder) / RESULT
    if not path.exists():
        return None
    return json.loads(path.read_text())


def read_json(folder: str | Path, name: str, what: str) -> dict[str, Any]:
    """A JSON file of a run directory, with a clear error when it is missing or damaged."""
    folder = Path(folder)
    path = folder / name
    if not folder.is_dir():
        raise DataValidationError(
            f"{folder} is not a run directory (no such folder). Pass the folder that "
            "`seqlab train` printed, e.g. runs/text-lstm-3f9a1c2e7b."
        )
    if not path.exists():
        raise DataValidationError(
            f"{folder} has no {name}, so it holds no {what}. Pass a run directory written by "
            "`seqlab train` (finished runs hold result.json, weights.safetensors, config.json)."
        )
    try:
        return json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as e:
        raise DataValidationError(f"{path} is damaged ({e}); rerun `seqlab train`.") from e


def environment(device: torch.device | str) -> dict[str, Any]:
    """What a run records to be repeatable: versions, git revision, device."""
    from seqlab import __version__

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "seqlab": __version__,
        "git_revision": git_revision(),
        "device": str(device),
        "device_name": (
            torch.cuda.get_device_name(torch.device(device))
            if torch.device(device).type == "cuda"
            else platform.processor() or platform.machine()
        ),
        "platform": platform.platform(),
    }


@functools.cache
def git_revision() -> str | None:
    """The commit of the seqlab source tree (``+dirty`` when modified), if it is a git repo."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


# ----- reading a trained model back ----------------------------------------------------

# The text tasks' tokenizer (seqlab.data.corpus.TOKEN_RE): words with inner apostrophes,
# and every other non-space character as its own token.
TOKEN_PATTERN = r"\w+(?:'\w+)*|[^\w\s]"
UNK, EOS = "<unk>", "<eos>"


def load_model(folder: str | Path) -> tuple[TrainConfig, Any, dict[str, Any]]:
    """``(config, model with the best weights, config.json)`` of a run, in eval mode."""
    from seqlab.checkpoint import load_weights
    from seqlab.models import build_model

    folder = Path(folder)
    meta = read_json(folder, CONFIG, "trained model")
    weights = folder / WEIGHTS
    if not weights.exists():
        raise DataValidationError(
            f"{folder} has no {WEIGHTS} yet: the run has not reached its first validation. "
            "Let `seqlab train` run (or resume it) first."
        )
    cfg = TrainConfig.from_dict(meta["config"])
    t = meta["task"]
    model = build_model(
        cfg.model_spec(t["seq_len"]),
        input_size=t["input_size"],
        output_size=t["output_size"],
        vocab_size=t["vocab_size"],
        generator=torch.Generator(),  # a private stream: the values are overwritten below
    )
    model.load_state_dict(load_weights(weights))
    return cfg, model.eval(), meta


def encode(folder: str | Path, meta: dict[str, Any], text: str) -> tuple[list[str], torch.Tensor]:
    """Tokens and ``(1, T)`` ids of ``text`` under a token run's vocabulary (``vocab.json``)."""
    import re

    folder = Path(folder)
    if not meta["task"].get("vocab_size") or not (folder / VOCAB).exists():
        raise DataValidationError(
            f"{folder} is a {meta['config']['task']!r} run, whose inputs are not words. "
            "Use a run of a token task (text, recall)."
        )
    vocab = read_json(folder, VOCAB, "vocabulary")
    tokens: list[str] = vocab["tokens"]
    ids = {w: i for i, w in enumerate(tokens)}
    words = re.findall(TOKEN_PATTERN, text.lower() if vocab.get("lowercase", True) else text)
    if not words:
        raise DataValidationError("the text has no words; give a sentence, e.g. 'she drives to'")
    if EOS in ids:  # text corpora mark every line start with <eos>
        words = [EOS, *words]
    unknown = [w for w in words if w not in ids]
    if unknown and UNK not in ids:
        shown = " ".join(tokens[:60]) + (" …" if len(tokens) > 60 else "")
        raise DataValidationError(
            f"{', '.join(map(repr, dict.fromkeys(unknown)))} not in the vocabulary of {folder}. "
            f"Use words it knows: {shown}"
        )
    seq = [ids.get(w, ids.get(UNK)) for w in words]
    shown_words = [w if w in ids else f"{w}→{UNK}" for w in words]
    return shown_words, torch.tensor([seq], dtype=torch.int64)


@torch.no_grad()
def predict_next(folder: str | Path, text: str, top: int = 5) -> dict[str, Any]:
    """The ``top`` most likely next words (classes) after ``text``, with probabilities."""
    folder = Path(folder)
    cfg, model, meta = load_model(folder)
    tokens, ids = encode(folder, meta, text)
    outputs = read_json(folder, VOCAB, "vocabulary").get("outputs")
    if meta["task"].get("kind") != "classification" or not outputs:
        raise DataValidationError(
            f"{folder} ({cfg.task}) does not predict words; `predict` works for text and "
            "recall runs."
        )
    probs = model(ids)[0, -1].softmax(-1)  # (O,)
    p, idx = probs.topk(min(top, probs.numel()))
    return {
        "run_id": meta["run_id"],
        "tokens": tokens,
        "predictions": [
            {"word": outputs[i], "p": float(q)}
            for q, i in zip(p.tolist(), idx.tolist(), strict=True)
        ],
    }


@torch.no_grad()
def gate_trace(folder: str | Path, text: str, layer: int = 0) -> dict[str, Any]:
    """Gates and states per step of one input (a sentence, or a (T, D) .csv / .npy file).

    Returns ``panels``: name -> ``(H, T)`` array (LSTM ``i f o`` and cell ``c``; GRU
    ``r z`` and hidden ``h``), and ``steps``: one label per step."""
    folder = Path(folder)
    cfg, model, meta = load_model(folder)
    if not model.has_trace or cfg.model == "rnn":
        raise DataValidationError(
            f"{folder} is a {cfg.model!r} run, which has no gates. `gates` works for lstm, gru, "
            "mingru, minlstm and the LSTM ablations (lstm-nig, lstm-nfg, lstm-nog, lstm-cifg)."
        )
    if layer >= cfg.layers:
        raise DataValidationError(f"--layer {layer}: the model has {cfg.layers} layer(s)")
    if meta["task"].get("vocab_size"):
        steps, x = encode(folder, meta, text)
    else:
        x = _sequence_file(Path(text), meta["task"]["input_size"])
        steps = [str(t) for t in range(x.shape[1])]
    tr = model.trace(x)
    gates = tr.gates[layer]
    if cfg.model == "gru":
        names, states = ("r", "z"), {"h": tr.hidden[layer]}
    elif cfg.model in ("mingru", "minlstm"):  # gates from x_t only (seqlab.models.min_rnn)
        names, states = ("z",) if cfg.model == "mingru" else ("f", "i"), {"h": tr.hidden[layer]}
    else:
        names, states = ("i", "f", "o"), {"c": tr.cell[layer]}
    panels = {n: gates[n][0].T.numpy() for n in names}  # (H, T) each
    panels.update({n: s[0].T.numpy() for n, s in states.items()})
    return {
        "run_id": meta["run_id"],
        "model": cfg.model,
        "hidden_size": cfg.hidden_size,
        "steps": steps,
        "panels": panels,
    }


def _sequence_file(path: Path, input_size: int) -> torch.Tensor:
    """A ``(1, T, D)`` float input from a .npy or numeric .csv file (one row per step)."""
    if not path.is_file():
        raise DataValidationError(
            f"{path}: no such file. For a run on float inputs give a .csv or .npy file with "
            f"one row per step and {input_size} column(s)."
        )
    try:
        if path.suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            arr = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float32)
    except ValueError as e:
        raise DataValidationError(
            f"{path}: not a numeric table ({e}). Give one row per step, {input_size} comma-"
            "separated number(s) per row, no header."
        ) from e
    arr = np.asarray(arr, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != input_size or not np.isfinite(arr).all():
        raise DataValidationError(
            f"{path}: expected finite numbers of shape (T, {input_size}), got {arr.shape}."
        )
    return torch.from_numpy(arr)[None]
