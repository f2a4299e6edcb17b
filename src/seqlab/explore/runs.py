"""The runs an explore server holds: each model loaded once, with its vocabulary and test set.

A ``LoadedRun`` is built from a run directory at start-up and is read-only afterwards. It
is the only place the server touches the file system: ``load_runs`` reads the folders it
was started with (``config.json``, ``weights.safetensors``, ``vocab.json``) and rebuilds
the run's task from its recorded config to take test-set examples. No request can name a
file; requests name a run by its ``id`` (the folder's name).

Inputs are token ids ``(1, T)`` for token tasks (text, recall) and floats ``(1, T, D)``
otherwise (images as rows, series windows, the adding problem …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from seqlab.data.corpus import EOS, UNK, tokenize
from seqlab.errors import DataValidationError, SeqlabError

# How many test-set sequences a run keeps for the example list and the match search.
MAX_EXAMPLES = 64
# The match search keeps at most this many time steps per run (memory: steps × H × panels).
MAX_MATCH_STEPS = 8192


@dataclass
class Encoded:
    """One input as a model sees it. ``tokens``: one display label per step (``<unk>`` for
    unknown words); ``words``: what the user typed at that step; ``offset``: steps the model
    adds before the user's first word (text runs feed ``<eos>`` first)."""

    x: torch.Tensor  # (1, T) int64 ids or (1, T, D) float32
    tokens: list[str]
    words: list[str]
    unknown: list[bool]
    offset: int = 0


@dataclass
class LoadedRun:
    id: str
    folder: Path
    config: Any  # seqlab.config.TrainConfig
    model: Any  # seqlab.models.SeqModel, eval mode
    meta: dict[str, Any]
    vocab: dict[str, Any] | None
    output_labels: list[str] | None
    examples: list[dict[str, torch.Tensor]] = field(default_factory=list)  # {"x", "y", "mask"}
    examples_note: str = ""

    # ----- what the run is -----------------------------------------------------------

    @property
    def task(self) -> dict[str, Any]:
        return self.meta["task"]

    @property
    def takes_tokens(self) -> bool:
        return bool(self.task.get("vocab_size")) and self.vocab is not None

    @property
    def kind(self) -> str:
        return self.task.get("kind", "classification")

    @property
    def label(self) -> str:
        c = self.config
        extra = f", window {c.window}" if c.model == "ffnn" else ""
        return f"{c.model} (H={c.hidden_size}{extra}) · {c.task}"

    def describe(self) -> dict[str, Any]:
        c = self.config
        return {
            "id": self.id,
            "label": self.label,
            "model": c.model,
            "task": c.task,
            "kind": self.kind,
            "input": "tokens" if self.takes_tokens else "values",
            "input_size": int(self.task.get("input_size") or 0),
            "hidden_size": c.hidden_size,
            "layers": c.layers if self.model.has_trace else 1,
            "window": c.window if c.model == "ffnn" else None,
            "test_value": (self.meta.get("result") or {}).get("value"),
            "examples": len(self.examples),
            "examples_note": self.examples_note,
        }

    # ----- inputs ---------------------------------------------------------------------

    def encode_text(self, text: str) -> Encoded:
        """Words of ``text`` as this run's token ids; unknown words become ``<unk>``.

        Raises ``DataValidationError`` for a run whose inputs are not words, and for
        unknown words when the vocabulary has no ``<unk>`` (the recall task's)."""
        if not self.takes_tokens:
            raise DataValidationError(
                f"run {self.id} ({self.config.task}) takes numbers, not words: pick one of "
                "its test-set examples instead."
            )
        assert self.vocab is not None
        words = tokenize(text, lowercase=bool(self.vocab.get("lowercase", True)))
        if not words:
            raise DataValidationError("the text has no words; type a sentence.")
        return self.encode_words(words, start=True)

    def encode_words(self, words: list[str], start: bool = False) -> Encoded:
        """``words`` as ids of this run's vocabulary. ``start``: the words begin a text, so a
        run trained on items that end with ``<eos>`` is fed ``<eos>`` first."""
        assert self.vocab is not None
        tokens: list[str] = self.vocab["tokens"]
        ids = {w: i for i, w in enumerate(tokens)}
        unknown = [w not in ids for w in words]
        if any(unknown) and UNK not in ids:
            missing = ", ".join(repr(w) for w in dict.fromkeys(w for w in words if w not in ids))
            raise DataValidationError(
                f"{missing} not in the vocabulary of run {self.id}, which has no <unk>; "
                "use its words (see its test-set examples)."
            )
        offset = 1 if start and EOS in ids else 0  # text corpora start items after <eos>
        seq = [ids[EOS]] * offset if offset else []
        seq += [ids.get(w, ids.get(UNK, 0)) for w in words]
        shown = [EOS] * offset + [UNK if u else w for w, u in zip(words, unknown, strict=True)]
        return Encoded(
            x=torch.tensor([seq], dtype=torch.int64),
            tokens=shown,
            words=[EOS] * offset + list(words),
            unknown=[False] * offset + unknown,
            offset=offset,
        )

    def encode_example(self, index: int) -> Encoded:
        """Test-set example ``index`` of this run, exactly as stored (ids or floats)."""
        if not 0 <= index < len(self.examples):
            raise DataValidationError(
                f"run {self.id} has {len(self.examples)} test examples; "
                f"index {index} is out of range."
            )
        x = self.examples[index]["x"][None]
        if self.takes_tokens:
            tokens = self.decode(x[0].tolist())
            return Encoded(x, tokens, tokens, [t == UNK for t in tokens])
        steps = [str(t) for t in range(x.shape[1])]
        return Encoded(x, steps, steps, [False] * len(steps))

    def decode(self, ids: list[int]) -> list[str]:
        assert self.vocab is not None
        tokens = self.vocab["tokens"]
        return [tokens[i] if 0 <= i < len(tokens) else "?" for i in ids]

    def example_preview(self, index: int, max_tokens: int) -> dict[str, Any]:
        ex = self.examples[index]
        out: dict[str, Any] = {"run": self.id, "index": index, "steps": int(ex["x"].shape[0])}
        if self.takes_tokens:
            tokens = self.decode(ex["x"].tolist())
            if tokens and tokens[0] == EOS:
                tokens = tokens[1:]
            out["text"] = " ".join(t for t in tokens[-max_tokens:])
        else:
            out["text"] = f"test example {index} ({ex['x'].shape[0]} steps × {ex['x'].shape[1]})"
        if self.kind == "classification" and bool(ex["mask"].any()):
            last = int(ex["mask"].nonzero()[-1, 0])
            out["target"] = self.class_label(int(ex["y"][last]))
        return out

    def class_label(self, k: int) -> str:
        if self.output_labels is not None and 0 <= k < len(self.output_labels):
            return self.output_labels[k]
        return f"class {k}"


def load_runs(folders: list[str | Path]) -> list[LoadedRun]:
    """Load every run (model, vocabulary, test examples); a bad folder raises
    ``DataValidationError`` naming it, before anything is served."""
    from seqlab.rundir import load_model

    runs: list[LoadedRun] = []
    seen: dict[str, int] = {}
    for f in folders:
        folder = Path(f)
        cfg, model, meta = load_model(folder)
        meta = dict(meta)
        result = folder / "result.json"
        if result.exists():
            meta["result"] = _read(result)
        vocab = _read(folder / "vocab.json") if (folder / "vocab.json").exists() else None
        rid = folder.resolve().name
        if rid in seen:  # the same folder name under two parents
            seen[rid] += 1
            rid = f"{rid}-{seen[rid]}"
        else:
            seen[rid] = 1
        run = LoadedRun(rid, folder, cfg, model, meta, vocab, None)
        for p in model.parameters():
            p.requires_grad_(False)  # saliency differentiates the inputs only
        _attach_task(run)
        runs.append(run)
    return runs


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise DataValidationError(
            f"{path} is damaged ({e}); pass a run directory written by `seqlab train`."
        ) from e


def _attach_task(run: LoadedRun) -> None:
    """Output labels and up to ``MAX_EXAMPLES`` test sequences, from the run's own task."""
    from seqlab.tasks import build_task

    outputs = (run.vocab or {}).get("outputs")
    run.output_labels = list(outputs) if outputs else None
    cfg = run.config
    try:
        task = build_task(cfg.task, cfg.task_options, cfg.seed)
    except (SeqlabError, OSError) as e:
        run.examples_note = f"no test-set examples: the task could not be rebuilt ({e})"
        return
    if run.output_labels is None and getattr(task, "classes", None):
        run.output_labels = [str(c) for c in task.classes]
    for batch in task.eval_batches("test", MAX_EXAMPLES):
        for x, y, m in zip(batch.x, batch.y, batch.mask, strict=True):
            run.examples.append({"x": x.clone(), "y": y.clone(), "mask": m.clone()})
            if len(run.examples) >= MAX_EXAMPLES:
                return
