"""The candidates and how the wall-clock budget is shared among them.

One module (~430 lines) because the candidate sizes and the budget arithmetic both rest on
the same measured step times; apart, each would import the other.

Candidates (``plan_candidates``), one line each in ``FAMILIES``:

    linear  k   ``ffnn`` with 0 hidden layers: a linear autoregressive window of k steps
    ffnn    k   a window MLP (one ReLU hidden layer) over the last k steps
    rnn, lstm, gru
    tcn         dilated causal convolutions, kernel 3, the fewest levels L whose receptive
                field 1 + 4·(2^L − 1) covers T (so it is the feed-forward model that can
                see as far as the recurrent ones, at O(log T) depth)
    transformer one causal pre-LN layer attending to the whole sequence, 4 heads (2 or 1
                when 4 does not divide the width matched to P)
    mingru      the parallel-scan minGRU (gates from x_t only)

for k on a geometric grid (``window_grid``) up to the sequence length T (T itself is added
when the grid misses it, so the widest window always sees the whole sequence: for
classification, the whole series).

Parameter counts are kept in one range: the LSTM has ``hidden`` units and P parameters;
the RNN, GRU, TCN (channels), Transformer (width) and minGRU get the hidden size whose
count is closest to P, up to 8× the LSTM's units (WIDEST: a minGRU's 2·H·D weights on a
univariate series would otherwise need H ≈ 28× the LSTM's, at a cost per step far above
every other candidate's; its count is then below P, and printed); the FFNNs share one
hidden size, chosen so that the *widest* window has about P parameters (narrower windows
are smaller: that a window costs parameters in proportion to k is the FFNN's trade-off).
Every count is exact (``seqlab.params.count_params``) and printed.

Budget: measured wall-clock time, equal *seconds* of training per run (``Budget``). With
B seconds in all, W parallel workers and ``waves(n) = ⌈n / W⌉``:

    1. learning-rate search   one representative per family × each rate, seed 0, each run
                              capped at c₁ = (SEARCH_SHARE · B_left − START) / waves(n₁) − o
    2. final runs             every candidate × every seed at its family's best rate,
                              each capped at c₂ = (B_left − RESERVE − START) / waves(n₂) − o,
                              where o is the per-wave overhead (data, evaluation, files)
                              and START the fixed cost of a sweep (starting its worker
                              processes), both *measured* in step 1; before it o is
                              estimated from each candidate's measured step time
                              (``eval_seconds``, ``run_overhead``) and START guessed (0
                              in this process)
    3. extra seeds            as many whole rounds of one more seed per candidate as fit
                              in what is left (at the times measured in step 2), in one
                              more sweep

Every final run trains for the same c₂ seconds of measured training time (the trainer's
``max_seconds``); faster models take more steps in them, and the report lists each
candidate's steps and seconds. The best-validation weights are kept (no early stop: the
budget is spent). A budget whose c₂ would fall below MIN_CAP is an error that names the
budget needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from seqlab.errors import ConfigError
from seqlab.models import ModelSpec, build_model
from seqlab.models.tcn import levels_for, receptive_field
from seqlab.params import count_params, hidden_for_params
from seqlab.probes.cost import time_per_step
from seqlab.tasks import Task

# One line per trained family: its display name and whether it is a window model (sees
# exactly the last k steps). New architectures are added here with one line each.
FAMILY_TABLE: dict[str, tuple[str, bool]] = {
    "linear": ("linear window", True),
    "ffnn": ("window FFNN", True),
    "rnn": ("RNN", False),
    "lstm": ("LSTM", False),
    "gru": ("GRU", False),
    "tcn": ("TCN", False),
    "transformer": ("Transformer", False),
    "mingru": ("minGRU", False),
}
FAMILIES = tuple(FAMILY_TABLE)
WIDEST = 8  # no hidden size beyond 8× the LSTM's units, even if the count is then below P
TCN_KERNEL = 3  # the TCN's kernel; its levels follow from T (module docstring)
HEADS = (4, 2, 1)  # the Transformer's heads: the most of these that divide its width
SEARCH_SHARE = 0.25  # of the time left for training, to the learning-rate search
RESERVE = 3.0  # seconds kept for the figure and the report
MIN_CAP = 1.0  # seconds of training per run, below which the budget is too small
FIRST_OVERHEAD = 1.0  # seconds per wave (data, evaluation) when nothing is measured
CHECKPOINT_SECONDS = 0.05  # writing weights and state at a check (small models)
SETUP_SECONDS = 0.2  # per run: read the data, build the model, when nothing is measured
START = 3.0  # seconds to start the worker processes of one sweep (torch import), guessed;
# 0 when the runs go in this process (--jobs 1)
STEP_BLOCK = 0.2  # seconds of timed training steps per candidate (their mean counts)
MAX_STEPS = 1_000_000  # the cap in seconds is what stops a run


@dataclass(frozen=True)
class Candidate:
    """One architecture the advisor trains: ``family`` (linear, ffnn, rnn, lstm, gru), its
    ``ModelSpec`` fields, and its exact parameter count."""

    family: str
    hidden_size: int
    window: int | None
    params: int
    embed_dim: int | None = None
    levels: int | None = None  # tcn only
    heads: int | None = None  # transformer only

    @property
    def receptive_field(self) -> int | None:
        """Inputs a TCN output sees (None for the other families)."""
        return None if self.levels is None else receptive_field(TCN_KERNEL, self.levels)

    @property
    def key(self) -> str:
        return self.family if self.window is None else f"{self.family}-k{self.window}"

    @property
    def is_window(self) -> bool:
        return FAMILY_TABLE[self.family][1]

    @property
    def name(self) -> str:
        label = FAMILY_TABLE[self.family][0]
        if self.levels is not None:
            return f"{label} (receptive field {self.receptive_field})"
        return label + (f" (k={self.window})" if self.window is not None else "")

    def spec(self) -> ModelSpec:
        if self.is_window:
            layers = 0 if self.family == "linear" else 1
            return ModelSpec("ffnn", self.hidden_size, layers, self.window, self.embed_dim)
        if self.family == "tcn":
            return ModelSpec("tcn", self.hidden_size, 1, embed_dim=self.embed_dim,
                             levels=self.levels, kernel_size=TCN_KERNEL)  # fmt: skip
        if self.family == "transformer":
            return ModelSpec("transformer", self.hidden_size, 1, embed_dim=self.embed_dim,
                             heads=self.heads)  # fmt: skip
        return ModelSpec(self.family, self.hidden_size, 1, embed_dim=self.embed_dim)

    def flat(self) -> dict:
        """The model part of a flat run config (``TrainConfig.from_flat`` keys)."""
        s = self.spec()
        flat = {"model": s.name, "hidden_size": s.hidden_size, "layers": s.layers}
        if self.is_window:
            flat["window"] = s.window
        if self.family == "tcn":
            flat.update(levels=self.levels, kernel_size=TCN_KERNEL)
        if self.family == "transformer":
            flat["heads"] = self.heads
        if self.embed_dim is not None:
            flat["embed_dim"] = self.embed_dim
        return flat


def window_grid(seq_len: int, max_window: int | None = None, factor: int = 2) -> list[int]:
    """1, f, f², … up to ``min(max_window, seq_len)``, plus that limit when the grid misses
    it (f = ``factor``)."""
    top = seq_len if max_window is None else min(max_window, seq_len)
    if top < 1:
        raise ConfigError(f"--max-window must be >= 1, got {max_window}")
    grid = [factor**i for i in range(int(math.log(top, factor) + 1e-9) + 1)]
    return grid if grid[-1] == top else [*grid, top]


def _count(task: Task, model: str, hidden: int, layers: int = 1, window: int = 1, embed=None,
           levels: int | None = None):  # fmt: skip
    return count_params(
        model,
        None if task.vocab_size else task.input_size,
        hidden,
        task.output_size,
        layers=layers,
        window=window,
        vocab_size=task.vocab_size,
        embed_dim=embed,
        levels=levels,
        kernel_size=TCN_KERNEL if levels is not None else None,
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
        h_ffnn = max(4, min(h_ffnn, WIDEST * hidden))
    for family in families:
        if family in ("linear", "ffnn"):
            layers = 0 if family == "linear" else 1
            h = 1 if family == "linear" else h_ffnn
            for k in windows:
                n = _count(task, "ffnn", h, layers, k, embed)
                out.append(Candidate(family, h, k, n, embed))
        else:
            L = levels_for(task.seq_len, TCN_KERNEL) if family == "tcn" else None
            h = (
                hidden
                if family == "lstm"
                else hidden_for_params(
                    family, target, D, O, 1, 1, V, embed, L, TCN_KERNEL if L else None
                )  # fmt: skip
            )
            h = min(h, WIDEST * hidden)  # minGRU on D = 1 would need ~28× the LSTM's units
            heads = max(d for d in HEADS if h % d == 0) if family == "transformer" else None
            n = _count(task, family, h, embed=embed, levels=L)
            out.append(Candidate(family, h, None, n, embed, L, heads))
    return out


def waves(n_runs: int, workers: int) -> int:
    """Rounds of ``workers`` parallel runs that ``n_runs`` runs take."""
    return max(1, math.ceil(n_runs / workers))


def search_cap(
    left_s: float, n_runs: int, workers: int, overhead: float, start: float = START
) -> float:
    """c₁ of the module docstring: the learning-rate search's seconds per run."""
    return (SEARCH_SHARE * left_s - start) / waves(n_runs, workers) - overhead


def final_cap(
    left_s: float, n_runs: int, workers: int, overhead: float, start: float = START
) -> float:
    """c₂ of the module docstring: every final run's seconds of training."""
    return (left_s - RESERVE - start) / waves(n_runs, workers) - overhead


def check_budget(
    budget_minutes: float,
    spent_s: float,
    n_search: int,
    n_final: int,
    workers: int,
    start: float = START,
    overhead: float = FIRST_OVERHEAD,
) -> None:
    """Too small a budget (c₁ or c₂ below MIN_CAP at the first overhead guess) is a
    ConfigError naming the smallest budget that fits, before anything is trained."""
    if not budget_minutes > 0:
        raise ConfigError(f"--budget-minutes must be > 0, got {budget_minutes}")
    w1 = waves(n_search, workers) if n_search else 0
    w2 = waves(n_final, workers)
    # minimum: every run, of the search and the final ones, at MIN_CAP
    search_s = w1 * (MIN_CAP + FIRST_OVERHEAD)
    left_needed = max(search_s / SEARCH_SHARE if n_search else 0.0,
                      search_s + RESERVE + w2 * (MIN_CAP + FIRST_OVERHEAD))  # fmt: skip
    need = (spent_s + left_needed) / 60.0
    if 60.0 * budget_minutes < 60.0 * need:
        raise ConfigError(
            f"--budget-minutes {budget_minutes:g} is too small to train anything: "
            f"{n_search} learning-rate runs and {n_final} final runs on {workers} worker(s) "
            f"need at least {MIN_CAP:g} s of training each plus about {overhead:.1f} s "
            f"of evaluation per round and {start:g} s to start, after {spent_s:.0f} s for "
            "start-up, the data and the classical baselines. "
            f"Fix: --budget-minutes {math.ceil(need * 10) / 10:g} "
            "or more (the minimum), or fewer runs (--seeds, --lrs, --max-window, --windows, "
            "--models), or more --jobs."
        )


@dataclass(frozen=True)
class Budget:
    """How the budget was shared, measured as it went (module docstring)."""

    budget_seconds: float
    workers: int
    search_cap: float | None
    final_cap: float
    overhead_per_wave: float
    start_seconds: float
    overhead_measured: bool
    seeds: int

    def statement(self) -> str:
        search = (
            f"the learning-rate search gave each (family, rate) {self.search_cap:.1f} s; "
            if self.search_cap
            else ""
        )
        how = "measured" if self.overhead_measured else "a first guess"
        return (
            f"Equal seconds: every final run (each candidate × each of {self.seeds} seed(s)) "
            f"trained for {self.final_cap:.1f} s of measured training time, keeping its "
            f"best-validation weights; {search}{self.workers} parallel worker(s), "
            f"{self.overhead_per_wave:.1f} s of evaluation per round and "
            f"{self.start_seconds:.1f} s of fixed cost per sweep ({how}), "
            f"in a budget of {self.budget_seconds / 60:.3g} min of wall time."
        )


@dataclass(frozen=True)
class Fit:
    """What ``fit_to_budget`` kept: rates, seeds, candidates, and notes saying what went."""

    lrs: tuple[float, ...]
    seeds: int
    cands: list[Candidate]
    notes: list[str]


def fit_to_budget(
    cands: list[Candidate],
    lrs: tuple[float, ...],
    seeds: int,
    budget_minutes: float,
    spent_s: float,
    workers: int,
    start: float,
    overhead: float,
) -> Fit:
    """The plan asked for, or, when the budget cannot train it (``check_budget``): fewer
    seeds (2), then no learning-rate search (the middle rate), then every other window
    (the widest kept), then 1 seed; each said in the notes. Still too little is the
    ConfigError of ``check_budget``, naming the minimum."""
    mid = (lrs[len(lrs) // 2],)
    thin = thin_windows(cands)
    fallbacks = [
        (lrs, seeds, cands),
        (lrs, min(seeds, 2), cands),
        (mid, min(seeds, 2), cands),
        (mid, min(seeds, 2), thin),
        (mid, 1, thin),
    ]
    for i, (rates, n_seeds, kept) in enumerate(fallbacks):
        reps = representatives(kept) if len(rates) > 1 else []
        try:
            check_budget(budget_minutes, spent_s, len(reps) * len(rates), len(kept) * n_seeds,
                         workers, start, overhead)  # fmt: skip
            break
        except ConfigError:
            if i == len(fallbacks) - 1:
                raise
    notes = []
    if (rates, n_seeds, len(kept)) != (lrs, seeds, len(cands)):
        dropped = [c.key for c in cands if c not in kept]
        notes.append(
            f"the budget is too small for {seeds} seed(s) and the learning-rate search "
            f"over {len(lrs)} rate(s): ran {n_seeds} seed(s)"
            + (f" at the rate {rates[0]:g} (no search)" if len(rates) < len(lrs) else "")
            + (f" and left out {', '.join(dropped)}" if dropped else "")
            + "; a larger --budget-minutes restores them"
        )
    return Fit(rates, n_seeds, kept, notes)


def thin_windows(cands: list[Candidate]) -> list[Candidate]:
    """Every other window of each window family (the first and the widest kept), and every
    recurrent candidate."""
    kept = []
    for c in cands:
        if not c.is_window:
            kept.append(c)
            continue
        ks = sorted(d.window for d in cands if d.family == c.family)
        if ks.index(c.window) % 2 == 0 or c.window == ks[-1]:
            kept.append(c)
    return kept


def representatives(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per family for the learning-rate search: the recurrent model itself,
    the widest window of a window family (its rate is shared by the family's windows)."""
    reps: dict[str, Candidate] = {}
    for c in cands:
        if c.family not in reps or (c.window or 0) > (reps[c.family].window or 0):
            reps[c.family] = c
    return list(reps.values())


def eval_seconds(task: Task, step_seconds: float, batch_size: int) -> float:
    """Seconds of one validation pass, from the measured training step: a forward pass is
    about a third of a forward-and-backward one, over the validation batches' steps
    instead of a training batch's B × T."""
    steps = sum(b.x.shape[0] * b.x.shape[1] for b in task.eval_batches("valid", 256))
    return step_seconds / 3.0 * steps / (batch_size * task.seq_len)


def run_overhead(eval_seconds: float, checks: int, setup_seconds: float) -> float:
    """A run's wall time beyond its training, estimated from one validation pass:
    ``checks`` validation passes and one test pass (about as long), a checkpoint at each
    check, and the measured set-up (building the task from the file, the model)."""
    return (checks + 1) * (eval_seconds + CHECKPOINT_SECONDS) + setup_seconds


def measure_step_seconds(
    cand: Candidate, task: Task, batch_size: int, threads: int, seed: int = 0
) -> float:
    """Seconds of one training step (forward and backward) of ``cand`` on a batch of the
    task's shape, measured here with ``threads`` torch threads: steps are repeated (after
    one untimed) until STEP_BLOCK seconds have passed, at least 3, and their mean is the
    answer, so a scheduler slice lost to the neighbours on a shared machine is spread over
    the block instead of being the whole timing. An overestimate is costly: runs check
    validation every ``cap / step / checks`` steps, so a single 0.2-ms step timed at 74 ms
    (seen under load) meant a check every 5 steps, and 15 s of evaluation in a 2-s run."""
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
        ms: list[float] = []
        t0 = time.perf_counter()
        while len(ms) < 3 or time.perf_counter() - t0 < STEP_BLOCK:
            ms.append(
                time_per_step(model, batch_size, task.seq_len, task.input_size, repeats=1,
                              warmup=0 if ms else 1, seed=seed)["fwd_bwd_ms"]
            )  # fmt: skip
    finally:
        torch.set_num_threads(before)
    return sum(ms) / len(ms) * task.seq_len / 1000.0
