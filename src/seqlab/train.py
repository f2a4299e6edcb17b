"""The one training loop, for every model and every task.

    result = train(TrainConfig(task="adding", model="lstm"), "runs")

Per step: a batch from ``task.train_batch(B, generator)``, ``model.loss`` (the masked mean
loss), backward, global-norm clipping, AdamW (or SGD) with the scheduled learning rate. Every
``eval_every`` steps (and at the last step): validation over ``task.eval_batches("valid")``
with ``MetricSums``; the best-validation weights are saved (``weights.safetensors``) and a
checkpoint written; ``patience`` evaluations without improvement stop early, and so does
the first evaluation that reaches ``stop_at`` (``stopped: "stop_at"``). At the end the
best weights are scored on the test split and ``result.json`` is written — last.

Determinism: three random streams, each seeded from the config's seed. The initial weights
come from their own ``torch.Generator`` and the batches from another; dropout, which torch
draws only from the global RNG, draws from it inside ``torch.random.fork_rng``, so the
caller's global RNG state is left untouched. The batch and dropout streams' states are in
the checkpoint. The same config on the same machine therefore gives bit-identical weights
and metrics, interrupted and resumed or not.

Faults: SIGINT / SIGTERM set a flag that the loop checks before each step; it then saves a
checkpoint and raises ``TrainingInterrupted`` (exit code 130 / 143 in the CLI). A
non-finite loss raises ``seqlab.errors.TrainingDiverged`` and keeps the last good
checkpoint. An unwritable output folder raises ``seqlab.atomic.OutputError``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from seqlab import rundir, runlock
from seqlab.atomic import check_writable, clean_temporaries
from seqlab.checkpoint import load_checkpoint, load_weights, save_checkpoint, save_weights
from seqlab.config import TrainConfig
from seqlab.errors import ConfigError, SeqlabError, TrainingDiverged
from seqlab.evaluate import evaluate, evaluate_sums
from seqlab.interrupt import TrainingInterrupted, signal_flag
from seqlab.metrics import MetricSums
from seqlab.models import SeqModel, build_model
from seqlab.models.adaptive import CUTOFFS, cutoffs_for
from seqlab.models.newer import start_notes
from seqlab.progress import MODES as PROGRESS_MODES
from seqlab.progress import Progress
from seqlab.rundir import run_dir
from seqlab.schedule import lr_at, resolve_steps
from seqlab.tasks import Task, build_task
from seqlab.tasks.span import dependency_span

__all__ = [
    "TrainerState",
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

DEFAULT_LR = TrainConfig.__dataclass_fields__["lr"].default


def run_config(flat: dict[str, Any], out: str, progress: str = "quiet") -> dict[str, Any]:
    """Train the run described by a flat option dict (the sweep engine's entry point)."""
    return train(TrainConfig.from_flat(flat), out, progress=progress)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available here; use --device auto.")
    return torch.device(name)


def init_model(config: TrainConfig, task: Task) -> SeqModel:
    """The model of ``config`` for ``task`` with its initial weights, drawn from a generator
    seeded from ``config.seed`` (the global RNG is not touched)."""
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
    return build_model(
        config.model_spec(task.seq_len),
        input_size=task.input_size,
        output_size=task.output_size,
        vocab_size=task.vocab_size,
        generator=torch.Generator().manual_seed(_derive(config.seed, "init")),
    )


def train(
    config: TrainConfig, out: str | Path, *, progress: str = "auto", wait: bool = True
) -> dict[str, Any]:
    """Train (or resume, or skip) the run of ``config`` under ``out``; return its result.

    ``progress``: ``auto`` (a bar on a terminal, else log lines on stderr), ``bar``,
    ``log`` or ``quiet`` (``seqlab.progress``). A finished run (``result.json`` present) is
    returned as stored; one with a checkpoint resumes from it. One process trains a run
    directory at a time (``seqlab.runlock``): another one waits for it and then returns its
    result, or with ``wait=False`` raises ``RunLocked``.
    """
    if progress not in PROGRESS_MODES:
        raise ConfigError(f"progress must be one of {PROGRESS_MODES}, got {progress!r}")
    folder = run_dir(config, out)
    done = rundir.read_result(folder)  # reuse a finished run, or (below) start / resume it
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
    say = (lambda msg: None) if progress == "quiet" else _note
    with runlock.hold(folder, wait=wait, on_wait=lambda h: say(_waiting(folder, h))) as lock:
        if lock.stale is not None:
            say(
                f"took over the lock of {runlock.describe(lock.stale)}, which ended without "
                "releasing it; resuming from its last checkpoint"
            )
        done = rundir.read_result(folder)  # the process we waited for may have finished it
        if done is not None:
            return done
        clean_temporaries(folder)
        forked = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=forked), signal_flag() as stop:
            return _Run(config, folder, device, task, total).go(stop, progress)


def _note(message: str) -> None:
    print(f"seqlab: note: {message}", file=sys.stderr, flush=True)


def _waiting(folder: Path, holder: dict[str, Any] | None) -> str:
    return (
        f"{folder} is being trained by {runlock.describe(holder)}; waiting for it to finish "
        "(Ctrl-C to stop waiting; --no-wait to fail at once instead)"
    )


def update(
    model: torch.nn.Module, opt: torch.optim.Optimizer, loss: torch.Tensor, clip: float | None
) -> None:
    """The trainer's update from ``loss``: backward, global-norm clipping to ``clip`` (None:
    off), the optimizer's step (``seqlab.claims.lstm_costlier`` times exactly this)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()


@dataclass
class TrainerState:
    """The trainer's progress, checkpointed and restored field by field (with the weights,
    the optimizer and the random streams, which ``_Run`` holds)."""

    step: int = 0
    best_value: float | None = None  # best validation value so far
    best_step: int | None = None
    bad_evals: int = 0  # evaluations since the last improvement (patience)
    stopped: str = "steps"  # or "early_stopping", "stop_at", "max_seconds"
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per evaluation
    loss_sum: float = 0.0  # training loss since the last evaluation
    loss_n: int = 0
    train_seconds: float = 0.0
    wall_seconds: float = 0.0

    @classmethod
    def from_checkpoint(cls, ck: dict[str, Any]) -> TrainerState:
        return cls(**{f.name: ck[f.name] for f in dataclasses.fields(cls)})


class _Run:
    """One run while it trains (private: ``train`` is the interface)."""

    def __init__(
        self, config: TrainConfig, folder: Path, device: torch.device, task: Task, total: int
    ) -> None:
        self.config, self.folder, self.device, self.task = config, folder, device, task
        self.total = total
        self.model = init_model(config, task).to(device)
        torch.manual_seed(_derive(config.seed, "dropout"))  # dropout's stream (forked RNG)
        params = list(self.model.parameters())
        opt = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.SGD
        self.opt = opt(params, lr=config.lr, weight_decay=config.weight_decay)
        self.batches = torch.Generator().manual_seed(_derive(config.seed, "batches"))
        self.n_params = sum(p.numel() for p in params)
        self.state = TrainerState()
        self.last_checkpoint: int | None = None

    def go(self, stop: dict[str, int | None], progress: str) -> dict[str, Any]:
        cfg, st = self.config, self.state
        if (self.folder / rundir.CHECKPOINT).exists():
            st = self._restore(load_checkpoint(self.folder / rundir.CHECKPOINT))
        else:
            rundir.write_start(
                self.folder,
                cfg,
                self.task,
                steps=self.total,
                device=self.device,
                params=self.n_params,
            )
        bar = Progress(progress, self.total, st.step, self.task.metric)
        t_wall = time.perf_counter() - st.wall_seconds
        try:
            while st.step < self.total and st.stopped == "steps":
                if stop["signum"] is not None:
                    self._checkpoint()
                    raise TrainingInterrupted(stop["signum"], st.step, self.folder)
                t0 = time.perf_counter()
                loss = self._train_step()
                st.train_seconds += time.perf_counter() - t0
                st.wall_seconds = time.perf_counter() - t_wall
                at_eval = st.step % cfg.eval_every == 0 or st.step == self.total
                if cfg.max_seconds is not None and st.train_seconds >= cfg.max_seconds:
                    st.stopped, at_eval = "max_seconds", True
                if at_eval:
                    self._evaluate_and_keep_best()
                    self._checkpoint()
                    bar.log(st.step, loss, st.history[-1]["valid_value"])
                elif cfg.checkpoint_every and st.step % cfg.checkpoint_every == 0:
                    self._checkpoint()
                bar.update(st.step, loss)
        finally:
            bar.close()
        return self._finish()

    def _train_step(self) -> float:
        cfg, st = self.config, self.state
        lr = lr_at(cfg, st.step, self.total)
        for group in self.opt.param_groups:
            group["lr"] = lr
        b = self.task.train_batch(cfg.batch_size, self.batches).to(self.device)
        loss = self.model.loss(b.x, b.y, b.mask, self.task.kind, path=cfg.path)
        value = loss.item()
        if not math.isfinite(value):
            raise TrainingDiverged(self._diverged_message(value, lr))
        update(self.model, self.opt, loss, cfg.clip)
        st.step += 1
        st.loss_sum += value
        st.loss_n += 1
        return value

    def _evaluate_and_keep_best(self) -> None:
        cfg, st, task = self.config, self.state, self.task
        value = self._sums("valid", cfg.eval_batches).value(task.metric)
        st.history.append(
            {
                "step": st.step,
                "train_loss": st.loss_sum / max(1, st.loss_n),
                "valid_value": value,
                "lr": lr_at(cfg, st.step - 1, self.total),
                "seconds": round(st.wall_seconds, 3),
            }
        )
        st.loss_sum, st.loss_n = 0.0, 0
        rundir.write_metrics(self.folder, st.history)
        better = math.isfinite(value) and (
            st.best_value is None
            or (value > st.best_value if task.higher_is_better else value < st.best_value)
        )
        if better:
            st.best_value, st.best_step, st.bad_evals = value, st.step, 0
            save_weights(self.folder / rundir.WEIGHTS, self.model.state_dict())
            if cfg.stop_at is not None and (
                value >= cfg.stop_at if task.higher_is_better else value <= cfg.stop_at
            ):
                st.stopped = "stop_at"
        else:
            st.bad_evals += 1
            if cfg.patience is not None and st.bad_evals >= cfg.patience:
                st.stopped = "early_stopping"

    def _sums(self, split: str, max_batches: int | None = None) -> MetricSums:
        cfg = self.config
        return evaluate_sums(
            self.model,
            self.task,
            split,
            batch_size=cfg.eval_batch_size,
            device=self.device,
            path=cfg.path,
            max_batches=max_batches,
        )

    def _finish(self) -> dict[str, Any]:
        cfg, st, task = self.config, self.state, self.task
        weights = self.folder / rundir.WEIGHTS
        if st.best_step is None:  # validation never finite: keep the last weights
            save_weights(weights, self.model.state_dict())
            st.best_step = st.step
        self.model.load_state_dict(load_weights(weights))
        t0 = time.perf_counter()
        sums = self._sums("test")  # the whole test split
        result = {
            "task": cfg.task,
            "model": cfg.model,
            "params": self.n_params,
            "metric": task.metric,
            "higher_is_better": task.higher_is_better,
            "value": sums.value(task.metric),
            "test_n": int(sums.n),
            "valid_value": st.best_value,
            "chance": float(task.chance),
            "baselines": {k: float(v) for k, v in task.baselines().items()},
            "steps": st.step,
            "planned_steps": self.total,
            "best_step": st.best_step,
            "stopped": st.stopped,
            "final_train_loss": st.history[-1]["train_loss"] if st.history else None,
            "train_seconds": round(st.train_seconds, 3),
            "wall_seconds": round(st.wall_seconds + time.perf_counter() - t0, 3),
            "seed": cfg.seed,
            "defaults_applied": list(cfg.defaults_applied),  # seqlab.defaults: not given
            "device": str(self.device),
            "path": path_record(self.model, cfg.path),
            "run_id": cfg.run_id(),
            "run_dir": str(self.folder.resolve()),
            "config": cfg.to_dict(),
        }
        rundir.write_result(self.folder, result)
        return result

    # ----- checkpoint: the state, the weights, the optimizer and the random streams ------

    def _checkpoint(self) -> None:
        rng = {"batches": self.batches.get_state(), "torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        save_checkpoint(
            self.folder / rundir.CHECKPOINT,
            {
                "format": 1,
                "run_id": self.config.run_id(),
                "model": self.model.state_dict(),
                "optimizer": self.opt.state_dict(),
                "rng": rng,
                **asdict(self.state),
            },
        )
        self.last_checkpoint = self.state.step

    def _restore(self, ck: dict[str, Any]) -> TrainerState:
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
        self.state = TrainerState.from_checkpoint(ck)
        self.last_checkpoint = self.state.step
        rundir.write_metrics(self.folder, self.state.history)  # drop lines logged after it
        return self.state

    def _diverged_message(self, value: float, lr: float) -> str:
        cfg = self.config
        clip = f"clipping at {cfg.clip:g}" if cfg.clip else "gradient clipping off"
        kept = (
            f"The last good checkpoint (step {self.last_checkpoint}) is kept in {self.folder}."
            if self.last_checkpoint is not None
            else f"No checkpoint was reached yet (the first is at step {cfg.eval_every})."
        )
        return (
            f"training diverged: the loss became {value} at step {self.state.step + 1} "
            f"({cfg.optimizer}, learning rate {lr:g}, {clip}). Likely cause: the learning rate "
            "is too high"
            + ("" if cfg.clip else " and clipping is off")
            + f". Try a smaller --lr (e.g. {min(cfg.lr / 10, DEFAULT_LR):g}) and --clip 1.0. {kept}"
        )


# ----- helpers -------------------------------------------------------------------------


def path_record(model: torch.nn.Module, requested: str) -> dict[str, Any]:
    """Which recurrent path the run trained with and why, for ``result.json``:
    ``{"requested", "chosen", "reason", "eval", "threads", "trace_layer"}``. With
    ``--path auto`` the choice is the one ``auto_choice`` made at the last training step
    (``eval``: at the last evaluation, under no grad); ``trace_layer`` says which
    sequence-level LSTM layer ran (``seqlab.models.lstm_ext``: ``"cpp"`` or ``"python"``)."""
    core = getattr(model, "core", None)
    record = getattr(core, "auto_record", None)
    out: dict[str, Any] = {"requested": requested, "threads": torch.get_num_threads()}
    if record is None:
        return {**out, "chosen": None, "reason": f"{type(core).__name__} has no recurrent paths"}
    if requested != "auto":
        out.update(chosen=requested, reason=f"--path {requested}")
    else:
        train = record.get("train", {"chosen": None, "reason": "no training step in this process"})
        out.update(train)
        out["eval"] = record.get("eval")
    if core.has_sequence_kernel:
        from seqlab.models import lstm_ext

        out["trace_layer"] = lstm_ext.IMPLEMENTATION if core.has_cell else "python"
    return out


def _derive(seed: int, stream: str) -> int:
    """An independent 63-bit seed per random stream, stable across processes."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{stream}".encode()).digest()[:8], "big") >> 1
