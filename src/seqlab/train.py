"""The one training loop, for every model and every task.

    result = train(TrainConfig(task="adding", model="lstm"), "runs")

Per step: a batch from ``task.train_batch(B, generator)``, ``model.loss`` (the masked mean
loss), backward, global-norm clipping, AdamW (or SGD) with the scheduled learning rate. Every
``eval_every`` steps (and at the last step): validation over ``task.eval_batches("valid")``
with ``MetricSums``; the best-validation weights are saved (``weights.safetensors``) and a
checkpoint written; ``patience`` evaluations without improvement stop early. At the end the
best weights are scored on the test split and ``result.json`` is written — last.

Determinism: the model is initialised under ``torch.manual_seed(seed)`` inside
``torch.random.fork_rng`` (the caller's global RNG is left untouched), batches come from
an explicit ``torch.Generator`` and dropout draws from the forked global RNG; all three
states are in the checkpoint. The same config on the same machine therefore gives
bit-identical weights and metrics, interrupted and resumed or not.

Faults: SIGINT / SIGTERM set a flag that the loop checks before each step; it then saves a
checkpoint and raises ``TrainingInterrupted`` (exit code 130 / 143 in the CLI). A
non-finite loss raises ``seqlab.errors.TrainingDiverged`` and keeps the last good
checkpoint. An unwritable output folder raises ``checkpoint.OutputError``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from seqlab import rundir
from seqlab.checkpoint import (
    atomic_write_json,
    atomic_write_text,
    check_writable,
    clean_temporaries,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
)
from seqlab.config import TrainConfig
from seqlab.errors import ConfigError, SeqlabError, TrainingDiverged
from seqlab.metrics import MetricSums
from seqlab.models import SeqModel, build_model
from seqlab.models.adaptive import CUTOFFS, cutoffs_for
from seqlab.models.newer import start_notes
from seqlab.rundir import run_dir
from seqlab.tasks import Task, build_task
from seqlab.tasks.span import dependency_span

__all__ = [
    "TrainingInterrupted",
    "evaluate",
    "init_model",
    "lr_at",
    "resolve_device",
    "resolve_steps",
    "run_config",
    "run_dir",
    "train",
]

PROGRESS_MODES = ("auto", "bar", "log", "quiet")
DEFAULT_LR = TrainConfig.__dataclass_fields__["lr"].default


class TrainingInterrupted(SeqlabError):
    """SIGINT / SIGTERM arrived; a checkpoint was saved. ``exit_code`` is 128 + signal."""

    def __init__(self, signum: int, step: int, folder: Path) -> None:
        self.signum, self.step, self.folder = signum, step, folder
        self.exit_code = 128 + signum
        name = signal.Signals(signum).name
        super().__init__(
            f"{name} received: stopped after step {step} and saved a checkpoint in {folder}. "
            "Run the same command again to resume where it stopped."
        )


def run_config(flat: dict[str, Any], out: str, progress: str = "quiet") -> dict[str, Any]:
    """Train the run described by a flat option dict (the sweep engine's entry point)."""
    return train(TrainConfig.from_flat(flat), out, progress=progress)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available here; use --device auto.")
    return torch.device(name)


def resolve_steps(config: TrainConfig, task: Task) -> int:
    """``config.steps``, or ``epochs`` over the task's ``train_size`` examples."""
    if config.epochs is None:
        return config.steps
    n = getattr(task, "train_size", None)
    if not n:
        raise ConfigError(
            f"--epochs needs a task with a finite training set; {config.task!r} generates "
            "fresh examples every step. Use --steps N instead."
        )
    return max(1, math.ceil(config.epochs * n / config.batch_size))


def lr_at(config: TrainConfig, step: int, total: int) -> float:
    """Learning rate for (0-based) ``step``: linear warm-up, then the schedule."""
    base = config.lr
    if config.warmup and step < config.warmup:
        return base * (step + 1) / config.warmup
    if config.schedule == "constant":
        return base
    progress = (step - config.warmup) / max(1, total - config.warmup)  # in [0, 1)
    if config.schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))
    return base * (0.1 ** ((progress >= 0.5) + (progress >= 0.75)))  # "step"


def init_model(config: TrainConfig, task: Task) -> SeqModel:
    """The model of ``config`` for ``task`` with its initial weights (a function of the seed).

    Seeds the global RNG: call it inside ``torch.random.fork_rng`` to leave the caller's
    RNG state untouched (``train`` does)."""
    if config.head == "adaptive" and not (task.vocab_size and task.kind == "classification"):
        raise ConfigError(
            f"option --head adaptive: the {task.name} task does not predict words (its output "
            "is not a vocabulary). Fix: use it with --task text, or leave --head out."
        )
    if config.head == "adaptive" and not cutoffs_for(task.output_size):
        raise ConfigError(
            f"option --head adaptive: the vocabulary has only {task.output_size} words; an "
            f"adaptive softmax needs more than {CUTOFFS[0] + 1}. Fix: leave --head out (a full "
            "softmax is cheap at this size), or lower --min-count."
        )
    torch.manual_seed(_derive(config.seed, "init"))
    return build_model(
        config.model_spec(task.seq_len),
        input_size=task.input_size,
        output_size=task.output_size,
        vocab_size=task.vocab_size,
    )


@torch.no_grad()
def evaluate(
    model: SeqModel,
    task: Task,
    split: str,
    *,
    batch_size: int,
    device: torch.device,
    path: str = "auto",
    max_batches: int | None = None,
) -> float:
    """``task.metric`` of ``model`` over the fixed ``split`` batches (eval mode, no grad)."""
    return evaluate_sums(
        model,
        task,
        split,
        batch_size=batch_size,
        device=device,
        path=path,
        max_batches=max_batches,
    ).value(task.metric)


@torch.no_grad()
def evaluate_sums(
    model: SeqModel,
    task: Task,
    split: str,
    *,
    batch_size: int,
    device: torch.device,
    path: str = "auto",
    max_batches: int | None = None,
) -> MetricSums:
    """The metric's running sums over ``split`` (``.n`` = scored steps, for intervals)."""
    was_training = model.training
    model.eval()
    sums = MetricSums()
    for i, batch in enumerate(task.eval_batches(split, batch_size)):
        if max_batches is not None and i >= max_batches:
            break
        b = batch.to(device)
        model.add_scores(sums, b.x, b.y, b.mask, task.kind, path=path)
    model.train(was_training)
    return sums


def train(config: TrainConfig, out: str | Path, *, progress: str = "auto") -> dict[str, Any]:
    """Train (or resume, or skip) the run of ``config`` under ``out``; return its result.

    ``progress``: ``auto`` (a bar on a terminal, else log lines on stderr), ``bar``,
    ``log`` or ``quiet``. A finished run (``result.json`` present) is returned as stored.
    """
    if progress not in PROGRESS_MODES:
        raise ConfigError(f"progress must be one of {PROGRESS_MODES}, got {progress!r}")
    folder = run_dir(config, out)
    done = rundir.read_result(folder)
    if done is not None:
        return done
    # Bad input fails before anything is written: no empty run directory is left behind.
    task = build_task(config.task, config.task_options, config.seed)
    next(iter(task.eval_batches("valid", 1)), None)  # an eval set that cannot be drawn fails here
    if progress != "quiet":
        for note in getattr(task, "notes", None) or []:  # e.g. ignored columns, filled gaps
            print(f"seqlab: note: {note}", file=sys.stderr)
        for note in start_notes(config.model_spec(task.seq_len), dependency_span(task)):
            print(f"seqlab: note: {note}", file=sys.stderr)  # receptive field / context
    total = resolve_steps(config, task)
    device = resolve_device(config.device)
    check_writable(folder)
    clean_temporaries(folder)
    forked = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked), _signal_flag() as stop:
        return _Run(config, folder, device, task, total).go(stop, progress)


class _Run:
    """The state of one run while it trains (private: ``train`` is the interface)."""

    def __init__(
        self, config: TrainConfig, folder: Path, device: torch.device, task: Task, total: int
    ) -> None:
        self.config, self.folder, self.device, self.task, self.total = (
            config,
            folder,
            device,
            task,
            total,
        )
        self.model = init_model(config, task).to(device)
        torch.manual_seed(_derive(config.seed, "dropout"))  # dropout's stream from here on
        params = list(self.model.parameters())
        if config.optimizer == "adamw":
            self.opt: torch.optim.Optimizer = torch.optim.AdamW(
                params, lr=config.lr, weight_decay=config.weight_decay
            )
        else:
            self.opt = torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay)
        self.batches = torch.Generator().manual_seed(_derive(config.seed, "batches"))
        self.n_params = sum(p.numel() for p in params)
        self.step = 0
        self.best_value: float | None = None
        self.best_step: int | None = None
        self.bad_evals = 0
        self.history: list[dict[str, Any]] = []
        self.loss_sum, self.loss_n = 0.0, 0
        self.train_seconds = 0.0
        self.wall_seconds = 0.0
        self.stopped = "steps"
        self.last_checkpoint: int | None = None

    # ----- the loop ------------------------------------------------------------------

    def go(self, stop: dict[str, int | None], progress: str) -> dict[str, Any]:
        cfg, task = self.config, self.task
        ckpt_path = self.folder / rundir.CHECKPOINT
        if ckpt_path.exists():
            self._restore(load_checkpoint(ckpt_path))
        else:
            self._write_start_files()
        bar = _Progress(progress, self.total, self.step, task.metric)
        t_wall = time.perf_counter() - self.wall_seconds
        try:
            while self.step < self.total and self.stopped == "steps":
                if stop["signum"] is not None:
                    self._checkpoint()
                    raise TrainingInterrupted(stop["signum"], self.step, self.folder)
                t0 = time.perf_counter()
                loss = self._train_step()
                self.train_seconds += time.perf_counter() - t0
                self.wall_seconds = time.perf_counter() - t_wall
                at_eval = self.step % cfg.eval_every == 0 or self.step == self.total
                if cfg.max_seconds is not None and self.train_seconds >= cfg.max_seconds:
                    self.stopped, at_eval = "max_seconds", True
                if at_eval:
                    self._evaluate_and_keep_best()
                    self._checkpoint()
                    bar.log(self.step, loss, self.history[-1]["valid_value"])
                elif cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    self._checkpoint()
                bar.update(self.step, loss)
        finally:
            bar.close()
        return self._finish()

    def _train_step(self) -> float:
        cfg = self.config
        lr = lr_at(cfg, self.step, self.total)
        for group in self.opt.param_groups:
            group["lr"] = lr
        b = self.task.train_batch(cfg.batch_size, self.batches).to(self.device)
        loss = self.model.loss(b.x, b.y, b.mask, self.task.kind, path=cfg.path)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(self._diverged_message(value, lr))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.clip)
        self.opt.step()
        self.step += 1
        self.loss_sum += value
        self.loss_n += 1
        return value

    def _evaluate_and_keep_best(self) -> None:
        cfg, task = self.config, self.task
        value = evaluate(
            self.model,
            task,
            "valid",
            batch_size=cfg.eval_batch_size,
            device=self.device,
            path=cfg.path,
            max_batches=cfg.eval_batches,
        )
        self.history.append(
            {
                "step": self.step,
                "train_loss": self.loss_sum / max(1, self.loss_n),
                "valid_value": value,
                "lr": lr_at(cfg, self.step - 1, self.total),
                "seconds": round(self.wall_seconds, 3),
            }
        )
        self.loss_sum, self.loss_n = 0.0, 0
        self._write_metrics()
        better = math.isfinite(value) and (
            self.best_value is None
            or (value > self.best_value if task.higher_is_better else value < self.best_value)
        )
        if better:
            self.best_value, self.best_step, self.bad_evals = value, self.step, 0
            save_weights(self.folder / rundir.WEIGHTS, self.model.state_dict())
        else:
            self.bad_evals += 1
            if cfg.patience is not None and self.bad_evals >= cfg.patience:
                self.stopped = "early_stopping"

    def _finish(self) -> dict[str, Any]:
        cfg, task = self.config, self.task
        weights = self.folder / rundir.WEIGHTS
        if self.best_step is None:  # validation never finite: keep the last weights
            save_weights(weights, self.model.state_dict())
            self.best_step = self.step
        self.model.load_state_dict(load_weights(weights))
        t0 = time.perf_counter()
        sums = evaluate_sums(
            self.model,
            task,
            "test",
            batch_size=cfg.eval_batch_size,
            device=self.device,
            path=cfg.path,
        )
        value = sums.value(task.metric)
        result = {
            "task": cfg.task,
            "model": cfg.model,
            "params": self.n_params,
            "metric": task.metric,
            "higher_is_better": task.higher_is_better,
            "value": value,
            "test_n": int(sums.n),
            "valid_value": self.best_value,
            "chance": float(task.chance),
            "baselines": {k: float(v) for k, v in task.baselines().items()},
            "steps": self.step,
            "planned_steps": self.total,
            "best_step": self.best_step,
            "stopped": self.stopped,
            "final_train_loss": self.history[-1]["train_loss"] if self.history else None,
            "train_seconds": round(self.train_seconds, 3),
            "wall_seconds": round(self.wall_seconds + time.perf_counter() - t0, 3),
            "seed": cfg.seed,
            "device": str(self.device),
            "run_id": cfg.run_id(),
            "run_dir": str(self.folder.resolve()),
            "config": cfg.to_dict(),
        }
        atomic_write_json(self.folder / rundir.RESULT, result)
        with contextlib.suppress(OSError):  # finished: the checkpoint has done its job
            (self.folder / rundir.CHECKPOINT).unlink()
        return result

    # ----- files ---------------------------------------------------------------------

    def _write_start_files(self) -> None:
        cfg, task = self.config, self.task
        atomic_write_json(
            self.folder / rundir.CONFIG,
            {
                "run_id": cfg.run_id(),
                "config": cfg.to_dict(),
                "resolved": {"steps": self.total, "device": str(self.device)},
                "seed": cfg.seed,
                "params": self.n_params,
                "task": task.describe(),
                "environment": rundir.environment(self.device),
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            },
        )
        vocab = _vocabulary(task)
        if vocab is not None:
            atomic_write_json(self.folder / rundir.VOCAB, vocab)

    def _write_metrics(self) -> None:
        lines = "".join(json.dumps(row) + "\n" for row in self.history)
        atomic_write_text(self.folder / rundir.METRICS_JSONL, lines)
        keys = ("step", "train_loss", "valid_value", "lr", "seconds")
        csv = ",".join(keys) + "\n"
        csv += "".join(",".join(repr(row[k]) for k in keys) + "\n" for row in self.history)
        atomic_write_text(self.folder / rundir.METRICS_CSV, csv)

    def _checkpoint(self) -> None:
        rng = {"batches": self.batches.get_state(), "torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        save_checkpoint(
            self.folder / rundir.CHECKPOINT,
            {
                "format": 1,
                "run_id": self.config.run_id(),
                "step": self.step,
                "model": self.model.state_dict(),
                "optimizer": self.opt.state_dict(),
                "rng": rng,
                "best_value": self.best_value,
                "best_step": self.best_step,
                "bad_evals": self.bad_evals,
                "stopped": self.stopped,
                "history": self.history,
                "loss_sum": self.loss_sum,
                "loss_n": self.loss_n,
                "train_seconds": self.train_seconds,
                "wall_seconds": self.wall_seconds,
            },
        )
        self.last_checkpoint = self.step

    def _restore(self, ck: dict[str, Any]) -> None:
        if ck.get("run_id") != self.config.run_id():
            raise SeqlabError(
                f"{self.folder / rundir.CHECKPOINT} belongs to run {ck.get('run_id')!r}, not "
                f"{self.config.run_id()!r}. Delete it to start this run afresh."
            )
        self.model.load_state_dict(ck["model"])
        self.opt.load_state_dict(ck["optimizer"])
        self.batches.set_state(ck["rng"]["batches"])
        torch.set_rng_state(ck["rng"]["torch"])
        if self.device.type == "cuda" and "cuda" in ck["rng"]:
            torch.cuda.set_rng_state(ck["rng"]["cuda"], self.device)
        for key in (
            "step",
            "best_value",
            "best_step",
            "bad_evals",
            "stopped",
            "history",
            "loss_sum",
            "loss_n",
            "train_seconds",
            "wall_seconds",
        ):
            setattr(self, key, ck[key])
        self.last_checkpoint = self.step
        self._write_metrics()  # drop lines a crash may have logged after the checkpoint

    def _diverged_message(self, value: float, lr: float) -> str:
        cfg = self.config
        clip = f"clipping at {cfg.clip:g}" if cfg.clip else "gradient clipping off"
        kept = (
            f"The last good checkpoint (step {self.last_checkpoint}) is kept in {self.folder}."
            if self.last_checkpoint is not None
            else f"No checkpoint was reached yet (the first is at step {cfg.eval_every})."
        )
        return (
            f"training diverged: the loss became {value} at step {self.step + 1} "
            f"({cfg.optimizer}, learning rate {lr:g}, {clip}). Likely cause: the learning rate "
            "is too high"
            + ("" if cfg.clip else " and clipping is off")
            + f". Try a smaller --lr (e.g. {min(cfg.lr / 10, DEFAULT_LR):g}) and --clip 1.0. {kept}"
        )


# ----- helpers -------------------------------------------------------------------------


def _derive(seed: int, stream: str) -> int:
    """An independent 63-bit seed per random stream, stable across processes."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{stream}".encode()).digest()[:8], "big") >> 1


def _vocabulary(task: Task) -> dict[str, Any] | None:
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


@contextlib.contextmanager
def _signal_flag() -> Iterator[dict[str, int | None]]:
    """SIGINT / SIGTERM set ``flag["signum"]`` instead of killing (main thread only)."""
    flag: dict[str, int | None] = {"signum": None}
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, _frame: Any) -> None:
        flag["signum"] = signum

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


class _Progress:
    """A rich bar on a terminal; plain periodic lines on stderr otherwise; or nothing."""

    def __init__(self, mode: str, total: int, start: int, metric: str) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode, self.total, self.metric = mode, total, metric
        self.every = max(1, total // 10)
        self.t0, self.s0 = time.perf_counter(), start
        self.valid: float | None = None
        self.printed = -1
        self.bar = None
        if mode == "bar":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.start()
            self.id = self.bar.add_task("train", total=total, completed=start, info="")

    def _rate(self, step: int) -> float:
        return (step - self.s0) / max(1e-9, time.perf_counter() - self.t0)

    def _info(self, step: int, loss: float) -> str:
        valid = "" if self.valid is None else f"  valid {self.metric} {self.valid:.4g}"
        return f"loss {loss:.4g}{valid}  {self._rate(step):.1f} steps/s"

    def update(self, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.id, completed=step, info=self._info(step, loss))
        elif self.mode == "log" and step % self.every == 0:
            self._print(step, loss)

    def log(self, step: int, loss: float, valid: float) -> None:
        self.valid = valid
        if self.mode == "log":
            self._print(step, loss)

    def _print(self, step: int, loss: float) -> None:
        if step != self.printed:
            self.printed = step
            print(f"step {step}/{self.total}  {self._info(step, loss)}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
