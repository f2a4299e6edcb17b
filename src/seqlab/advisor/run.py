"""``compare``: the advisor end to end, from the user's path to ``report.html``.

    results = compare(CompareOptions("sales.csv", target="units"))

1. Build the task once (every data check, before anything is written).
2. The trivial and classical rows (``seqlab.advisor.baselines``): for a series also its
   stationarity and season, and, when it has a trend or unit root, the h-step changes the
   networks train on; for classification one split per seed (repeated stratified splits,
   or the official split when the data gives one).
3. The candidates, their step time and inference latency (measured here), and a check
   that the budget can train them at all.
4. The budget, measured as it is spent (``seqlab.advisor.plan``): a learning-rate search on
   one representative per family (seed 0), then every candidate × every seed at its
   family's best rate for the same seconds of training, then extra seeds while a round of
   them fits in what is left — all through the sweep engine (``--executor``, ``--jobs``).
5. Intervals over seeds, the under-trained flags, the memory-horizon evidence and the
   recommendation (``seqlab.advisor.decide``), the figure, and the report
   (``results.json``, ``report.html``, ``summary.md``) in ``out``.

Runs live in ``out/runs``; rerunning the same command reuses the measured caps
(``advisor-budget.json``) and so every finished run.
"""

from __future__ import annotations

import json
import math
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import seqlab
from seqlab.advisor.baselines import (
    classify_rows,
    one_blas_thread,
    prepare_series,
    series_rows,
    text_rows,
)
from seqlab.advisor.decide import TOLERANCE, Row, interval, memory_evidence, recommend
from seqlab.advisor.figure import metric_vs_window
from seqlab.advisor.inputs import infer_task, load_task, merge_official_split
from seqlab.advisor.plan import (
    FAMILIES,
    FIRST_OVERHEAD,
    MAX_STEPS,
    MIN_CAP,
    RESERVE,
    SETUP_SECONDS,
    START,
    Budget,
    Candidate,
    check_budget,
    eval_seconds,
    final_cap,
    measure_step_seconds,
    plan_candidates,
    run_overhead,
    search_cap,
    waves,
    window_grid,
)
from seqlab.checkpoint import atomic_write_json
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models import build_model
from seqlab.report import write_report
from seqlab.report.schema import plain
from seqlab.sweep import EXECUTORS, run_sweep
from seqlab.sweep.local import default_jobs, usable_cores
from seqlab.tasks import Task, build_task

DEFAULT_LRS = (3e-3, 1e-2, 3e-2)
EVALS = 12  # validation checks per run, at most
EVAL_SHARE = 0.25  # ... and fewer when they would take more than this share of the cap


def checks(cap: float, eval_s: float) -> int:
    """Validation checks of a run capped at ``cap`` s whose validation pass takes
    ``eval_s``: EVALS, fewer (at least 3) when they would cost more than EVAL_SHARE of it."""
    return max(3, min(EVALS, int(EVAL_SHARE * cap / max(eval_s, 1e-6))))


MAX_SEEDS = 10  # extra seeds stop here, however much time is left
SERIAL_CORES = 2


@dataclass(frozen=True)
class CompareOptions:
    """Everything ``seqlab compare`` takes; validated by ``check``."""

    path: str
    task: str | None = None
    target: str | None = None
    horizon: int | None = None
    seq_len: int | None = None
    budget_minutes: float = 5.0
    seeds: int = 3
    lrs: tuple[float, ...] = DEFAULT_LRS
    windows: tuple[int, ...] | None = None
    max_window: int | None = None
    models: tuple[str, ...] = FAMILIES
    hidden_size: int = 32
    batch_size: int = 32
    tolerance: float = TOLERANCE
    out: str = "seqlab-compare"
    executor: str = "local"
    jobs: int | None = None
    address: str | None = None
    fill: str | None = None
    limit: int | None = None
    covariates: str | None = None
    task_opts: tuple[str, ...] = ()
    season: int | None = None
    test: str | None = None
    spent_seconds: float = 0.0  # of the budget, before compare() was called (process start)

    def check(self) -> None:
        def bad(opt: str, problem: str) -> ConfigError:
            return ConfigError(f"option --{opt}: {problem}")

        if self.seeds < 1:
            raise bad("seeds", f"must be >= 1, got {self.seeds} (3 or more give intervals)")
        if not self.lrs or any(not (math.isfinite(v) and v > 0) for v in self.lrs):
            raise bad("lrs", f"need positive learning rates, got {list(self.lrs)}")
        if self.windows is not None and (not self.windows or min(self.windows) < 1):
            raise bad("windows", f"need windows >= 1, got {list(self.windows)}")
        if self.max_window is not None and self.max_window < 1:
            raise bad("max-window", f"must be >= 1, got {self.max_window}")
        if not self.models:
            raise bad("models", "name at least one of " + ", ".join(FAMILIES))
        for name in ("horizon", "seq_len", "jobs", "limit", "season"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise bad(name.replace("_", "-"), f"must be >= 1, got {v}")
        if self.batch_size < 1:
            raise bad("batch-size", f"must be >= 1, got {self.batch_size}")
        if not 0 <= self.tolerance < 1:
            raise bad("tolerance", f"must be in [0, 1), got {self.tolerance}")
        if self.executor not in EXECUTORS:
            raise bad("executor", f"choose one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.address is not None and self.executor != "ray":
            raise bad("address", "is for --executor ray; drop it or add --executor ray")
        if not self.budget_minutes > 0:
            raise bad("budget-minutes", f"must be > 0, got {self.budget_minutes}")

    def extra_task_options(self) -> dict[str, Any]:
        """``--fill``, ``--limit``, ``--covariates`` and ``--task-opt KEY=VALUE`` as task
        options (VALUE read as JSON when it parses, as in ``seqlab train``)."""
        opts: dict[str, Any] = {}
        for item in self.task_opts:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(
                    f"--task-opt {item!r}: expected KEY=VALUE, e.g. --task-opt sort=true"
                )
            try:
                opts[key.strip().replace("-", "_")] = json.loads(value)
            except ValueError:
                opts[key.strip().replace("-", "_")] = value
        named = {"fill": self.fill, "limit": self.limit, "covariates": self.covariates}
        return {**opts, **{k: v for k, v in named.items() if v is not None}}


def _log(msg: str) -> None:
    print(f"seqlab compare: {msg}", file=sys.stderr, flush=True)


def _flat(kind: str, task_opts: dict, cand: Candidate, o: CompareOptions, lr: float,
          seed: int, cap: float, step_s: float, n_checks: int) -> dict[str, Any]:  # fmt: skip
    """One run: ``cap`` seconds of training (``max_seconds``), about ``n_checks`` validation
    checks in them (from the measured step time), the best-validation weights kept."""
    return {
        "task": kind,
        **task_opts,
        **cand.flat(),
        "lr": lr,
        "seed": seed,
        "steps": MAX_STEPS,
        "max_seconds": round(cap, 2),
        "batch_size": o.batch_size,
        "eval_every": max(5, int(cap / max(step_s, 1e-6) / n_checks)),
    }


def _workers(o: CompareOptions, runs: int) -> int:
    """``--jobs``, else one per core on more than SERIAL_CORES cores, else 1 (the runs then
    go in this process: starting worker processes, each importing torch, took 24–35 s per
    sweep on a loaded 2-core machine, more than the second core gains on short runs)."""
    if o.jobs is not None:
        return o.jobs
    if o.executor != "local":
        return usable_cores()
    return default_jobs(runs) if usable_cores() > SERIAL_CORES else 1


def latency_ms_per_step(cand: Candidate, task: Task, repeats: int = 9) -> float:
    """Inference time per step of ``cand``, in ms: a forward pass without autograd over one
    sequence of the task's T steps (batch 1), divided by T, on one CPU thread (or the GPU).
    The minimum over ``repeats`` timed passes (after two untimed ones): on a shared machine
    the other timings measure the neighbours, not the model."""
    model = build_model(
        cand.spec(),
        input_size=task.input_size,
        output_size=task.output_size,
        vocab_size=task.vocab_size,
        generator=torch.Generator().manual_seed(0),
    ).eval()
    g = torch.Generator().manual_seed(0)
    T = task.seq_len
    if task.vocab_size:
        x = torch.randint(0, task.vocab_size, (1, T), generator=g)  # (1, T)
    else:
        x = torch.randn(1, T, task.input_size, generator=g)  # (1, T, D)
    times = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            for i in range(repeats + 2):
                t0 = time.perf_counter()
                model(x)
                if i >= 2:
                    times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return 1000.0 * min(times) / T


def _sweep(runs: list[dict], o: CompareOptions, out: Path) -> dict[str, dict]:
    """Run ``runs``; results by run id (failed runs absent, their errors logged). With
    ``--jobs 1`` on the local executor they run one after another in this process (the
    same run directories; no worker process to start, which can take seconds)."""
    from seqlab.sweep.runner import run_config, run_id
    from seqlab.train import TrainingInterrupted

    if o.executor == "local" and _workers(o, len(runs)) == 1:
        found = {}
        for i, flat in enumerate(runs, 1):
            try:
                found[run_id(flat)] = run_config(flat, str(out / "runs"))
            except TrainingInterrupted:
                raise  # Ctrl-C / SIGTERM: checkpoint saved; the rerun resumes it
            except SeqlabError as e:
                _log(f"run failed: {run_id(flat)}: {e}")
                continue
            r = found[run_id(flat)]
            _log(f"[{i}/{len(runs)}] {r['run_id']}: {r['metric']}={r['value']:.4g}")
        return found

    sweep = run_sweep(
        runs, out / "runs", executor=o.executor, jobs=o.jobs, address=o.address, progress=True
    )
    for r in sweep.failures:
        _log(f"run failed: {Path(r.run_dir).name or r.config.get('model')}: {r.error}")
    by_dir = {Path(r.run_dir).name: r.result for r in sweep.runs if r.result is not None}
    return {run_id(f): by_dir[run_id(f)] for f in runs if run_id(f) in by_dir}


CLASSICAL_SHARE = 0.2  # of the budget, after which further splits get the cheap methods only


def _classical(o, kind: str, task: Task, task_opts: dict, out: Path, notes: list[str],
               cache: dict):  # fmt: skip
    """The trivial and classical rows, seconds they took per seed, and (series) what the
    networks train on."""
    if kind == "series":
        prep = prepare_series(task, task_opts, out / "data", o.season)
        return series_rows(task, prep), 0.0, prep
    if kind == "classify":
        share = CLASSICAL_SHARE * 60.0 * o.budget_minutes
        rows, skipped, per_seed = classify_rows(task_opts, range(o.seeds), task, share, cache)
        notes += [f"classical baseline: {n}" for n in skipped]
        return rows, per_seed, None
    return text_rows(task), 0.0, None


def _thin_windows(cands: list[Candidate]) -> list[Candidate]:
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


def _representatives(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per family for the learning-rate search: the recurrent model itself,
    the widest window of a window family (its rate is shared by the family's windows)."""
    reps: dict[str, Candidate] = {}
    for c in cands:
        if c.family not in reps or (c.window or 0) > (reps[c.family].window or 0):
            reps[c.family] = c
    return list(reps.values())


def _timed_sweep(runs: list[dict], o: CompareOptions, out: Path) -> tuple[dict, float]:
    t = time.perf_counter()
    found = _sweep(runs, o, out) if runs else {}
    return found, time.perf_counter() - t


def compare(o: CompareOptions) -> dict[str, Any]:
    """The advisor (module docstring); returns the results dict, also written to ``o.out``.
    Bad input or too small a budget leaves no output folder behind (the derived data it
    may have written for the networks is removed with the folder it created)."""
    o.check()
    out = Path(o.out)
    created = not out.exists()
    try:
        return _compare(o)
    except SeqlabError:
        if created and not (out / "runs").exists():  # nothing trained yet
            shutil.rmtree(out, ignore_errors=True)
        raise


def _compare(o: CompareOptions) -> dict[str, Any]:
    from seqlab.sweep.runner import run_id

    t0 = time.perf_counter() - o.spent_seconds
    budget_s = 60.0 * o.budget_minutes
    out = Path(o.out)
    extra = o.extra_task_options()
    path = o.path
    if o.test is not None:
        kind0 = o.task or infer_task(o.path, o.target or "label")
        if kind0 != "classify":
            raise ConfigError(
                f"--test names an official test file for --task classify, not {kind0}; "
                "drop it (a series is split by time)."
            )
        path = str(merge_official_split(o.path, o.test, o.target or "label", out / "data"))
    kind, task_opts, task = load_task(
        path, o.task, target=o.target, horizon=o.horizon, seq_len=o.seq_len, extra=extra
    )
    if o.season is not None and kind != "series":
        raise ConfigError(f"--season is for --task series, not {kind}; drop it.")
    higher = task.higher_is_better
    notes: list[str] = list(getattr(task, "notes", []))
    facts: dict[str, Any] = {}

    # Trivial and classical rows; what the networks train on.
    scale, net_opts, net_task = 1.0, task_opts, task
    classical_cache: dict = {}  # classification: each seed's split scored once
    with one_blas_thread():
        base_rows, classical_s_per_seed, prep = _classical(
            o, kind, task, task_opts, out, notes, classical_cache
        )
    if prep is not None:
        scale, net_opts, net_task = prep.scale, prep.options, prep.task
        facts["preprocessing"] = prep.note
    if kind == "classify":
        split = getattr(task, "split", "stratified")
        sizes = {s: len(v) for s, v in task.split_index.items()}
        facts["splits"] = (
            f"official split ({sizes['train']} train, {sizes['test']} test; validation drawn "
            "from the training sequences per seed)"
            if split == "given"
            else f"repeated {split} 70/15/15 splits, one per seed ({sizes['train']} train, "
            f"{sizes['valid']} valid, {sizes['test']} test sequences each): intervals are "
            "over splits and initialisations"
        )

    # Candidates, their measured step time and latency; can the budget train them?
    if o.windows:
        windows = sorted(set(o.windows))
    else:
        windows = window_grid(net_task.seq_len, o.max_window, 2 if o.max_window else 4)
    if max(windows) > net_task.seq_len:
        raise ConfigError(
            f"--windows: {max(windows)} is longer than the sequences ({net_task.seq_len} "
            f"steps); use windows up to {net_task.seq_len}."
        )
    cands = plan_candidates(net_task, windows, o.hidden_size, o.models)
    workers = _workers(o, len(cands) * max(len(o.lrs), o.seeds))
    threads = max(1, usable_cores() // workers) if o.executor == "local" else 1
    step_s = {c.key: measure_step_seconds(c, net_task, o.batch_size, threads) for c in cands}
    latency = {c.key: latency_ms_per_step(c, net_task) for c in cands}
    eval_s = {c.key: eval_seconds(net_task, step_s[c.key], o.batch_size) for c in cands}
    t_build = time.perf_counter()
    build_task(kind, net_opts, 1)  # what every run does first (its seed's task)
    setup = time.perf_counter() - t_build + SETUP_SECONDS

    def overhead_at(cap: float) -> float:
        """The estimated per-run overhead when runs are capped at ``cap`` seconds."""
        return float(np.mean([run_overhead(v, checks(cap, v), setup) for v in eval_s.values()]))

    first_overhead = overhead_at(MIN_CAP)
    key = _plan_key(o, kind, task_opts, cands, workers)
    saved = _load_plan(out, key)
    inline = o.executor == "local" and workers == 1
    first_start = 0.0 if inline else START
    # Too little time for the plan asked for: fewer seeds (2), then no learning-rate search
    # (the middle rate), then every other window (the widest kept), then 1 seed; each said
    # in the notes; still too little is an error.
    mid = (o.lrs[len(o.lrs) // 2],)
    thin = _thin_windows(cands)
    fallbacks = [
        (o.lrs, o.seeds, cands),
        (o.lrs, min(o.seeds, 2), cands),
        (mid, min(o.seeds, 2), cands),
        (mid, min(o.seeds, 2), thin),
        (mid, 1, thin),
    ]
    lrs, n_seeds = o.lrs, o.seeds
    if saved is not None:
        lrs, n_seeds = tuple(saved["lrs"]), saved["n_seeds"]
        cands = [c for c in cands if c.key in saved.get("candidates", [c.key])]
    else:
        for i, (lrs, n_seeds, kept) in enumerate(fallbacks):
            reps = _representatives(kept) if len(lrs) > 1 else []
            try:
                check_budget(
                    o.budget_minutes, time.perf_counter() - t0, len(reps) * len(lrs),
                    len(kept) * n_seeds, workers, first_start, first_overhead,
                )  # fmt: skip
                break
            except ConfigError:
                if i == len(fallbacks) - 1:
                    raise
        if (lrs, n_seeds, len(kept)) != (o.lrs, o.seeds, len(cands)):
            dropped = [c.key for c in cands if c not in kept]
            notes.append(
                f"the budget is too small for {o.seeds} seed(s) and the learning-rate search "
                f"over {len(o.lrs)} rate(s): ran {n_seeds} seed(s)"
                + (f" at the rate {lrs[0]:g} (no search)" if len(lrs) < len(o.lrs) else "")
                + (f" and left out {', '.join(dropped)}" if dropped else "")
                + "; a larger --budget-minutes restores them"
            )
        cands = kept
    reps = _representatives(cands) if len(lrs) > 1 else []
    n_search, n_final = len(reps) * len(lrs), len(cands) * n_seeds
    _log(f"{kind} task, {len(cands)} candidates; {n_search} learning-rate runs, {n_final} "
         f"final runs on {workers} worker(s); {budget_s:.0f} s budget")  # fmt: skip
    for c in cands:
        _log(f"  {c.key:12s} hidden {c.hidden_size:5d}  params {c.params:7d}  "
             f"{1000 * step_s[c.key]:.2f} ms/step")  # fmt: skip
    plan: dict[str, Any] = dict(
        saved or {"lrs": list(lrs), "n_seeds": n_seeds, "candidates": [c.key for c in cands]}
    )

    def left() -> float:
        return budget_s - (time.perf_counter() - t0)

    # 1. Learning-rate search (seed 0, one representative per family).
    overhead, start, measured = first_overhead, first_start, False
    lr_values: dict[str, dict[float, float]] = {}
    best_lr: dict[str, float] = {c.family: lrs[0] for c in cands}
    search: dict[tuple[str, float], dict] = {}
    if reps:
        cap1 = plan.get("search_cap") or max(
            MIN_CAP,
            _solve(lambda oh: search_cap(left(), n_search, workers, oh, start), overhead_at),
        )
        plan["search_cap"] = cap1
        _save_plan(out, key, plan)
        search = {
            (c.family, lr): _flat(
                kind, net_opts, c, o, lr, 0, cap1, step_s[c.key], checks(cap1, eval_s[c.key])
            )  # fmt: skip
            for c in reps
            for lr in lrs
        }
        found, wall1 = _timed_sweep(list(search.values()), o, out)
        if saved is None:
            overhead, start = _measured(found.values(), wall1, n_search, workers, cap1, setup)
            measured = True
        for c in reps:
            vals = {}
            for lr in lrs:
                r = found.get(run_id(search[c.family, lr]))
                if r is not None and r.get("valid_value") is not None:
                    vals[lr] = r["valid_value"] * scale
            lr_values[c.family] = vals
            if vals:
                best_lr[c.family] = (max if higher else min)(vals, key=vals.get)
            else:
                notes.append(f"{c.family}: every learning-rate run failed; kept {lrs[0]:g}")
    else:
        found = {}

    # 2. Every candidate × every seed, equal seconds.
    if measured:
        cap2 = plan.get("final_cap") or final_cap(left(), n_final, workers, overhead, start)
    else:
        cap2 = plan.get("final_cap") or _solve(
            lambda oh: final_cap(left(), n_final, workers, oh, start), overhead_at
        )
        overhead = overhead_at(max(cap2, MIN_CAP))
    if cap2 < MIN_CAP:
        notes.append(
            f"the measured start-up and evaluation time ({overhead:.1f} s per round) left "
            f"{cap2:.2f} s per final run; each got {MIN_CAP:g} s, so the wall time exceeds "
            "the budget"
        )
        cap2 = MIN_CAP
    plan["final_cap"] = cap2
    _save_plan(out, key, plan)

    def final_runs(seeds: range) -> dict[tuple[str, int], dict]:
        return {
            (c.key, s): _flat(
                kind,
                net_opts,
                c,
                o,
                best_lr[c.family],
                s,
                cap2,
                step_s[c.key],
                checks(cap2, eval_s[c.key]),
            )  # fmt: skip
            for c in cands
            for s in seeds
        }

    final = final_runs(range(n_seeds))
    got, wall2 = _timed_sweep(list(final.values()), o, out)
    found.update(got)
    overhead, start = _measured(got.values(), wall2, n_final, workers, cap2, setup)
    measured = True

    # 3. Extra seeds, in one more sweep, as many whole rounds as fit in what is left.
    seeds = plan.get("seeds") or n_seeds
    round_s = waves(len(cands), workers) * (cap2 + overhead) + classical_s_per_seed
    more = int((left() - RESERVE - start) // round_s) if saved is None else 0
    more = max(0, min(more, MAX_SEEDS - seeds))
    if more:
        extra_runs = final_runs(range(seeds, seeds + more))
        final.update(extra_runs)
        got, _ = _timed_sweep(list(extra_runs.values()), o, out)
        found.update(got)
        seeds += more
    if seeds != o.seeds and kind == "classify":
        with one_blas_thread():
            share = CLASSICAL_SHARE * budget_s
            base_rows, skipped, _ = classify_rows(
                task_opts, range(seeds), task, share, classical_cache
            )
            notes += [f"classical baseline: {n}" for n in skipped if n not in notes]
    if seeds > n_seeds:
        notes.append(f"time was left after {n_seeds} seed(s): ran {seeds} seeds in all")
    plan["seeds"] = seeds
    _save_plan(out, key, plan)

    rows: list[Row] = list(base_rows)
    for c in cands:
        results = [found.get(run_id(final[c.key, s])) for s in range(seeds)]
        results = [r for r in results if r is not None]
        if not results:
            notes.append(f"{c.key}: every seed failed; left out")
            continue
        rows.append(
            Row(
                cand=c,
                lr=best_lr[c.family],
                valid=interval([r["valid_value"] * scale for r in results]),
                test=interval([r["value"] * scale for r in results]),
                per_seed_test=[r["value"] * scale for r in results],
                train_seconds=float(np.mean([r["train_seconds"] for r in results])),
                steps=[r["steps"] for r in results],
                latency_ms=latency[c.key],
                lr_search=lr_values.get(c.family, {}),
                under_trained=sum(_still_improving(r) for r in results),
                per_seed_valid=[r["valid_value"] * scale for r in results],
            )
        )
    if not any(r.kind == "trained" for r in rows):
        raise SeqlabError(
            f"every training run failed (see the messages above and {out / 'runs'}); "
            "nothing to compare. Fix: check the data, or try other --lrs."
        )
    budget = Budget(
        budget_s, workers, plan.get("search_cap"), cap2, overhead, start, measured, seeds
    )
    trained = [r for r in rows if r.kind == "trained"]
    under = [r for r in trained if r.under_trained]
    tried = _tried(trained, budget, under, o.budget_minutes)
    decision = recommend(rows, task.metric, higher, o.tolerance, tried, _n_valid(kind, task))
    if under:
        notes.append(
            "under-trained (validation still improving at the last check, in that many of "
            f"{seeds} seeds): " + ", ".join(f"{r.key} ({r.under_trained})" for r in under)
        )
    figure = metric_vs_window(
        trained,
        {r.key: r.test["mean"] for r in rows if r.kind != "trained" and _finite(r.valid)},
        task.metric,
        decision.horizon,
        out,
        higher,
    )
    all_runs = [*search.values(), *final.values()]
    results = {
        "schema": 1,
        "seqlab_version": seqlab.__version__,
        "profile": "advisor",
        "title": f"seqlab advisor: {Path(o.path).name}",
        "data": str(Path(o.path).expanduser().resolve()),
        "task": kind,
        "metric": task.metric,
        "higher_is_better": higher,
        "budget": budget.statement(),
        **facts,
        "memory_evidence": " ".join(memory_evidence(rows, task.metric, higher)) or None,
        "within_noise_rule": decision.rule,
        "environment": {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "seeds": list(range(seeds)),
            "executor": o.executor,
            "workers": workers,
        },
        "questions": [],
        "claims": [],
        "recommendation": {
            "model": decision.model,
            "window": decision.window,
            "reason": decision.reason,
            "kind": decision.kind,
        },
        "memory_horizon": decision.horizon,
        "candidates": [_candidate_row(r, task.metric) for r in rows],
        "candidates_figure": figure,
        "candidates_caption": (
            f"Test {task.metric} (mean and 95% interval over {seeds} seed(s)) against the "
            "window k; recurrent models as horizontal bands; dashed grey line: the best "
            "trivial or classical baseline."
        ),
        "task_description": task.describe(),
        "lrs": list(lrs),
        "lr_search": {f: {f"{k:g}": v for k, v in vals.items()} for f, vals in lr_values.items()},
        "tolerance": o.tolerance,
        "budget_seconds": budget_s,
        "final_cap_seconds": round(cap2, 2),
        "search_cap_seconds": plan.get("search_cap"),
        "notes": notes,
        "runs": [_run_row(found.get(run_id(f)), f, out) for f in all_runs],
    }
    results["wall_seconds"] = round(time.perf_counter() - t0, 1)
    results = plain(results)  # JSON-safe: numpy values converted, non-finite -> None
    write_report(results, out)
    _log(f"recommendation: {decision.model}"
         + (f" with a window of {decision.window}" if decision.window else "")
         + f"; {time.perf_counter() - t0:.0f} s of a {budget_s:.0f} s budget. "
         f"Report: {out / 'report.html'}")  # fmt: skip
    return results


def _solve(cap_of, overhead_at) -> float:
    """The cap c with c = cap_of(overhead_at(c)): fewer checks in a shorter run mean less
    overhead, so a few fixed-point steps from the most overhead (EVALS checks)."""
    cap = cap_of(overhead_at(1e9))
    for _ in range(3):
        cap = cap_of(overhead_at(max(cap, MIN_CAP)))
    return cap


def _measured(results, wall: float, n_runs: int, workers: int, cap: float, setup: float) -> tuple:
    """The per-wave overhead o (a run's wall time beyond its training: evaluation, test,
    files, plus ``setup`` for the data and model) and the sweep's fixed cost, from one sweep's
    results and its measured wall time ``wall``: start = wall − waves · (cap + o)."""
    extra = [r["wall_seconds"] - r["train_seconds"] for r in results if r.get("wall_seconds")]
    o = (float(np.mean(extra)) if extra else FIRST_OVERHEAD) + setup
    start = max(0.0, wall - waves(n_runs, workers) * (cap + o))
    return o, start


def _n_valid(kind: str, task: Task) -> int | None:
    """Scored validation targets (series: rows; classify: sequences; text: unknown here)."""
    if kind == "series":
        a, b = task.target_ranges["valid"]
        return b - a
    if kind == "classify":
        return len(task.split_index["valid"])
    return None


def _finite(e: dict) -> bool:
    return e["mean"] is not None and math.isfinite(e["mean"])


def _still_improving(result: dict) -> bool:
    """Validation was still improving at the end: the best check was the last one, and the
    run was stopped by its time cap."""
    return result.get("stopped") == "max_seconds" and result.get("best_step") == result.get("steps")


def _tried(trained: list[Row], budget: Budget, under: list[Row], minutes: float) -> str:
    """What was trained and for how long, and the budget that might change the answer."""
    names = ", ".join(r.key for r in trained)
    steps = [s for r in trained for s in r.steps]
    text = (
        f"Tried: {names}; each for {budget.final_cap:.1f} s of training per seed over "
        f"{budget.seeds} seed(s) ({min(steps)}–{max(steps)} steps)."
    )
    if under:
        return text + (
            f" {len(under)} of them were still improving when their time ran out: a budget of "
            f"about {4 * minutes:g} minutes (--budget-minutes {4 * minutes:g}) gives each 4× "
            "the time and may change this."
        )
    return text + (
        " Every one had stopped improving on validation before its time ran out: more "
        "budget is unlikely to change this."
    )


PLAN_FILE = "advisor-budget.json"


def _plan_key(o: CompareOptions, kind: str, task_opts: dict, cands, workers: int) -> str:
    """What the plan was derived from: an equal key reuses the measured caps, so a rerun
    (after Ctrl-C, or to see the report again) reuses the finished runs."""
    blob = {
        "kind": kind,
        "task": task_opts,
        "candidates": [c.key for c in cands],
        "hidden": o.hidden_size,
        "batch": o.batch_size,
        "budget_minutes": o.budget_minutes,
        "lrs": list(o.lrs),
        "seeds": o.seeds,
        "workers": workers,
        "season": o.season,
    }
    return json.dumps(blob, sort_keys=True)


def _load_plan(out: Path, key: str) -> dict | None:
    try:
        saved = json.loads((out / "runs" / PLAN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("key") != key or "final_cap" not in saved.get("plan", {}):
        return None
    _log(f"reusing the measured caps of the previous invocation ({out / 'runs' / PLAN_FILE})")
    return saved["plan"]


def _save_plan(out: Path, key: str, plan: dict) -> None:
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the output folder {out}: {e}. Pass another --out.") from e
    atomic_write_json(out / "runs" / PLAN_FILE, {"key": key, "plan": plan})


def _candidate_row(r: Row, metric: str) -> dict:
    trained = r.kind == "trained"
    return {
        "model": r.cand.family if trained else r.label,
        "window": r.window,
        "kind": r.kind,
        "params": r.cand.params if trained else r.params,
        "metric": metric,
        "value": r.test["mean"],
        "interval": [r.test["lo"], r.test["hi"]],
        "valid": r.valid["mean"],
        "train_seconds": round(r.train_seconds, 2),
        "steps": (r.steps[0] if len(set(r.steps)) == 1 else r.steps) if trained else None,
        "under_trained": f"{r.under_trained}/{len(r.steps)}" if trained else None,
        "latency_ms_per_step": r.latency_ms,
        "hidden": r.cand.hidden_size if trained and r.cand.family != "linear" else None,
        "lr": r.lr,
        "seeds": r.test["n"],
        "detail": r.detail or None,
    }


def _run_row(result: dict | None, flat: dict, out: Path) -> dict:
    from seqlab.sweep.runner import run_id

    rid = run_id(flat)
    if result is None:
        return {"dir": f"runs/{rid}", "model": flat["model"], "status": "failed"}
    return {
        "dir": f"runs/{rid}",
        "task": result["task"],
        "model": result["model"],
        "window": flat.get("window"),
        "layers": flat.get("layers"),
        "lr": flat["lr"],
        "seed": result["seed"],
        "params": result["params"],
        "metric": result["metric"],
        "value": result["value"],
        "valid_value": result["valid_value"],
        "steps": result["steps"],
        "train_seconds": result["train_seconds"],
    }


def parse_list(text: str | None, kind: type, what: str) -> tuple | None:
    """``"1e-3,3e-3"`` -> ``(0.001, 0.003)``; None stays None."""
    if text is None:
        return None
    try:
        return tuple(kind(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(
            f"option --{what}: expected a comma-separated list, got {text!r}"
        ) from None


__all__ = ["DEFAULT_LRS", "CompareOptions", "compare", "latency_ms_per_step", "parse_list"]
