"""The candidates and their equal training budget.

Candidates (``plan_candidates``):

    linear  k   ``ffnn`` with 0 hidden layers: a linear autoregressive window of k steps
    ffnn    k   a window MLP (one ReLU hidden layer) over the last k steps
    rnn, lstm, gru

for k on the geometric grid 1, 2, 4, … up to the sequence length T (T itself is added when
it is not a power of two, so the widest window always sees the whole sequence).

Parameter counts are kept in one range: the LSTM has ``hidden`` units and P parameters;
the RNN and the GRU get the hidden size whose count is closest to P; the FFNNs share one
hidden size, chosen so that the *widest* window has about P parameters (narrower windows
are smaller: that a window costs parameters in proportion to k is the FFNN's trade-off).
Every count is exact (``seqlab.params.count_params``) and printed.

Budget (``plan_budget``): every candidate trains for the same number of steps S under the
same wall-clock cap C seconds. With R runs (candidates × (learning rates + seeds − 1)) on
W parallel workers and a budget of B seconds,

    C = B · W · UTILISATION / R        (the rest of B: process start, data, evaluation)
    S = ⌊HEADROOM · C / t_slowest⌋     (t_slowest: the slowest candidate's measured step)

so that every candidate can take its S steps within C. S below MIN_STEPS is an error that
names the budget needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from seqlab.errors import ConfigError
from seqlab.models import ModelSpec, build_model
from seqlab.params import count_params, hidden_for_params
from seqlab.probes.cost import time_per_step
from seqlab.tasks import Task

RECURRENT = ("rnn", "lstm", "gru")
FAMILIES = ("linear", "ffnn", *RECURRENT)
UTILISATION = 0.5
HEADROOM = 0.5  # steps fill half the cap: timing noise must not stop a run early
MIN_STEPS = 20
MAX_STEPS = 5000


@dataclass(frozen=True)
class Candidate:
    """One architecture the advisor trains: ``family`` (linear, ffnn, rnn, lstm, gru), its
    ``ModelSpec`` fields, and its exact parameter count."""

    family: str
    hidden_size: int
    window: int | None
    params: int
    embed_dim: int | None = None

    @property
    def key(self) -> str:
        return self.family if self.window is None else f"{self.family}-k{self.window}"

    @property
    def is_window(self) -> bool:
        return self.family in ("linear", "ffnn")

    def spec(self) -> ModelSpec:
        if self.is_window:
            layers = 0 if self.family == "linear" else 1
            return ModelSpec("ffnn", self.hidden_size, layers, self.window, self.embed_dim)
        return ModelSpec(self.family, self.hidden_size, 1, embed_dim=self.embed_dim)

    def flat(self) -> dict:
        """The model part of a flat run config (``TrainConfig.from_flat`` keys)."""
        s = self.spec()
        flat = {"model": s.name, "hidden_size": s.hidden_size, "layers": s.layers}
        if self.is_window:
            flat["window"] = s.window
        if self.embed_dim is not None:
            flat["embed_dim"] = self.embed_dim
        return flat


def window_grid(seq_len: int, max_window: int | None = None) -> list[int]:
    """1, 2, 4, … up to ``min(max_window, seq_len)``, plus that limit when not a power of 2."""
    top = seq_len if max_window is None else min(max_window, seq_len)
    if top < 1:
        raise ConfigError(f"--max-window must be >= 1, got {max_window}")
    grid = [2**i for i in range(int(math.log2(top)) + 1)]
    return grid if grid[-1] == top else [*grid, top]


def _count(task: Task, model: str, hidden: int, layers: int = 1, window: int = 1, embed=None):
    return count_params(
        model,
        None if task.vocab_size else task.input_size,
        hidden,
        task.output_size,
        layers=layers,
        window=window,
        vocab_size=task.vocab_size,
        embed_dim=embed,
    ).total


def plan_candidates(
    task: Task,
    windows: Sequence[int],
    hidden: int = 32,
    families: Sequence[str] = FAMILIES,
) -> list[Candidate]:
    """The candidates for ``task`` (see the module docstring), windows in ``windows``."""
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ConfigError(f"--models: unknown {', '.join(unknown)}; choose from {FAMILIES}")
    if hidden < 1:
        raise ConfigError(f"--hidden-size must be >= 1, got {hidden}")
    embed = hidden if task.vocab_size else None
    D = None if task.vocab_size else task.input_size
    O, V = task.output_size, task.vocab_size
    target = _count(task, "lstm", hidden, embed=embed)  # P
    out: list[Candidate] = []
    if "ffnn" in families:
        h_ffnn = hidden_for_params("ffnn", target, D, O, 1, max(windows), V, embed)
        h_ffnn = max(4, min(h_ffnn, 8 * hidden))
    for family in families:
        if family in ("linear", "ffnn"):
            layers = 0 if family == "linear" else 1
            h = 1 if family == "linear" else h_ffnn
            for k in windows:
                n = _count(task, "ffnn", h, layers, k, embed)
                out.append(Candidate(family, h, k, n, embed))
        else:
            h = (
                hidden
                if family == "lstm"
                else hidden_for_params(family, target, D, O, 1, 1, V, embed)
            )
            out.append(Candidate(family, h, None, _count(task, family, h, embed=embed), embed))
    return out


@dataclass(frozen=True)
class Budget:
    """The equal budget of every candidate, and how it was derived."""

    steps: int
    max_seconds: float
    runs: int
    workers: int
    budget_seconds: float
    slowest: str
    slowest_step_seconds: float

    def statement(self) -> str:
        return (
            f"Every candidate trained for the same {self.steps} steps under the same "
            f"wall-clock cap of {self.max_seconds:.1f} s per run: {self.runs} runs on "
            f"{self.workers} parallel worker(s) in a budget of {self.budget_seconds / 60:.2g} "
            f"min, {UTILISATION:.0%} of it for training (the rest for start-up, data and "
            f"evaluation); {self.steps} steps of the slowest candidate ({self.slowest}, "
            f"{1000 * self.slowest_step_seconds:.1f} ms per step measured here) fit the cap."
        )


def measure_step_seconds(
    cand: Candidate, task: Task, batch_size: int, threads: int, seed: int = 0
) -> float:
    """Seconds of one training step (forward and backward) of ``cand`` on a batch of the
    task's shape, measured here with ``threads`` torch threads."""
    model = build_model(
        cand.spec(),
        input_size=task.input_size,
        output_size=task.output_size,
        vocab_size=task.vocab_size,
        generator=torch.Generator().manual_seed(seed),
    )
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        t = time_per_step(
            model, batch_size, task.seq_len, task.input_size, repeats=2, warmup=1, seed=seed
        )
    finally:
        torch.set_num_threads(before)
    return t["fwd_bwd_ms"] * task.seq_len / 1000.0


def plan_budget(
    cands: Sequence[Candidate],
    task: Task,
    *,
    budget_minutes: float,
    runs: int,
    workers: int,
    batch_size: int,
    threads: int,
) -> Budget:
    """Equal steps and cap for every run (module docstring); too small -> ConfigError."""
    if not budget_minutes > 0:
        raise ConfigError(f"--budget-minutes must be > 0, got {budget_minutes}")
    # The costliest candidates: every recurrent one and the widest window of each family.
    probe = [c for c in cands if not c.is_window]
    for family in ("linear", "ffnn"):
        windows = [c for c in cands if c.family == family]
        if windows:
            probe.append(max(windows, key=lambda c: (c.window, c.params)))
    times = {c.key: measure_step_seconds(c, task, batch_size, threads) for c in probe}
    slowest = max(times, key=times.get)
    t_step = times[slowest]
    budget_s = 60.0 * budget_minutes
    cap = budget_s * workers * UTILISATION / runs
    steps = int(HEADROOM * cap / t_step)
    if steps < MIN_STEPS:
        need = MIN_STEPS * t_step * runs / (workers * UTILISATION * HEADROOM) / 60.0
        raise ConfigError(
            f"--budget-minutes {budget_minutes:g} is too small to train anything: {runs} runs "
            f"on {workers} worker(s) leave {cap:.2f} s per run, and the slowest candidate "
            f"({slowest}) needs {t_step:.3f} s per step here, so fewer than {MIN_STEPS} steps "
            f"each. Fix: --budget-minutes {math.ceil(need * 10) / 10:g} or more (the minimum), "
            "or fewer runs (--seeds, --lrs, --max-window, --models), or more --jobs."
        )
    steps = min(MAX_STEPS, steps // 10 * 10 if steps >= 100 else steps)
    return Budget(steps, round(cap, 1), runs, workers, budget_s, slowest, t_step)
