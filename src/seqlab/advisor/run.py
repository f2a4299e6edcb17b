"""``compare``: the advisor end to end, from the user's path to ``report.html``.

One module (~430 lines): the steps below in their order, each a short function, so that
the whole flow reads in one place (options, execution and results live beside it).

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

import platform
import shutil
import time
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
from seqlab.advisor.decide import Row, memory_evidence, recommend
from seqlab.advisor.execute import (
    checks,
    flat_run,
    latency_ms_per_step,
    load_plan,
    log,
    measured_overhead,
    plan_key,
    save_plan,
    solve_cap,
    timed_sweep,
    workers_for,
)
from seqlab.advisor.figure import metric_vs_window
from seqlab.advisor.inputs import infer_task, load_task, merge_official_split, merge_series_split
from seqlab.advisor.options import CompareOptions
from seqlab.advisor.plan import (
    MIN_CAP,
    RESERVE,
    SETUP_SECONDS,
    START,
    Budget,
    eval_seconds,
    final_cap,
    fit_to_budget,
    measure_step_seconds,
    plan_candidates,
    representatives,
    run_overhead,
    search_cap,
    waves,
    window_grid,
)
from seqlab.advisor.results import (
    candidate_row,
    finite,
    n_valid,
    run_row,
    trained_row,
    tried_text,
)
from seqlab.errors import ConfigError, SeqlabError
from seqlab.report import write_report
from seqlab.report.schema import plain
from seqlab.sweep.local import usable_cores
from seqlab.tasks import Task, build_task

MAX_SEEDS = 10  # extra seeds stop here, however much time is left


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
        if kind0 == "series":  # the test rows follow the training file's
            merged, extra["test_rows"] = merge_series_split(o.path, o.test, out / "data")
            path = str(merged)
        elif kind0 == "classify":
            path = str(merge_official_split(o.path, o.test, o.target or "label", out / "data"))
        else:
            raise ConfigError(
                f"--test names an official test file for a series or classify task, not "
                f"{kind0}; drop it."
            )
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
    workers = workers_for(o, len(cands) * max(len(o.lrs), o.seeds))
    # the threads the runs will have: this process's when they run here (one worker)
    if o.executor == "local" and workers == 1:
        threads = torch.get_num_threads()
    else:
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
    key = plan_key(o, kind, task_opts, cands, workers)
    saved = load_plan(out, key)
    inline = o.executor == "local" and workers == 1
    first_start = 0.0 if inline else START
    lrs, n_seeds = o.lrs, o.seeds
    if saved is not None:
        lrs, n_seeds = tuple(saved["lrs"]), saved["n_seeds"]
        cands = [c for c in cands if c.key in saved.get("candidates", [c.key])]
    else:
        fit = fit_to_budget(cands, o.lrs, o.seeds, o.budget_minutes, time.perf_counter() - t0,
                            workers, first_start, first_overhead)  # fmt: skip
        lrs, n_seeds, cands = fit.lrs, fit.seeds, fit.cands
        notes += fit.notes
    reps = representatives(cands) if len(lrs) > 1 else []
    n_search, n_final = len(reps) * len(lrs), len(cands) * n_seeds
    log(f"{kind} task, {len(cands)} candidates; {n_search} learning-rate runs, {n_final} "
         f"final runs on {workers} worker(s); {budget_s:.0f} s budget")  # fmt: skip
    for c in cands:
        log(f"  {c.key:12s} hidden {c.hidden_size:5d}  params {c.params:7d}  "
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
            solve_cap(lambda oh: search_cap(left(), n_search, workers, oh, start), overhead_at),
        )
        plan["search_cap"] = cap1
        save_plan(out, key, plan)
        search = {
            (c.family, lr): flat_run(
                kind, net_opts, c, o, lr, 0, cap1, step_s[c.key], checks(cap1, eval_s[c.key])
            )  # fmt: skip
            for c in reps
            for lr in lrs
        }
        found, wall1 = timed_sweep(list(search.values()), o, out)
        if saved is None:
            overhead, start = measured_overhead(
                found.values(), wall1, n_search, workers, cap1, setup
            )
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
        cap2 = plan.get("final_cap") or solve_cap(
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
    save_plan(out, key, plan)

    def final_runs(seeds: range) -> dict[tuple[str, int], dict]:
        return {
            (c.key, s): flat_run(
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
    got, wall2 = timed_sweep(list(final.values()), o, out)
    found.update(got)
    overhead, start = measured_overhead(got.values(), wall2, n_final, workers, cap2, setup)
    measured = True

    # 3. Extra seeds, in one more sweep, as many whole rounds as fit in what is left.
    seeds = plan.get("seeds") or n_seeds
    # a round of one more seed per candidate, at the measured wall time of the final runs
    per_wave = max(wall2 - start, 0.0) / waves(n_final, workers)
    round_s = waves(len(cands), workers) * per_wave + classical_s_per_seed
    more = int((left() - RESERVE - start) // round_s) if saved is None else 0
    more = max(0, min(more, MAX_SEEDS - seeds))
    if more:
        extra_runs = final_runs(range(seeds, seeds + more))
        final.update(extra_runs)
        got, _ = timed_sweep(list(extra_runs.values()), o, out)
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
    save_plan(out, key, plan)

    rows: list[Row] = list(base_rows)
    for c in cands:
        results = [found.get(run_id(final[c.key, s])) for s in range(seeds)]
        results = [r for r in results if r is not None]
        if not results:
            notes.append(f"{c.key}: every seed failed; left out")
            continue
        row = trained_row(c, results, scale, best_lr[c.family], latency[c.key])
        row.lr_search = lr_values.get(c.family, {})
        rows.append(row)
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
    tried = tried_text(trained, budget, under, o.budget_minutes)
    decision = recommend(rows, task.metric, higher, o.tolerance, tried, n_valid(kind, task))
    if under:
        notes.append(
            "under-trained (validation still improving at the last check, in that many of "
            f"{seeds} seeds): " + ", ".join(f"{r.key} ({r.under_trained})" for r in under)
        )
    figure = metric_vs_window(
        trained,
        {r.key: r.test["mean"] for r in rows if r.kind != "trained" and finite(r.valid)},
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
        "candidates": [candidate_row(r, task.metric) for r in rows],
        "candidates_figure": figure,
        "candidates_caption": (
            f"Test {task.metric} (mean and 95% interval over {seeds} seed(s)) against the "
            "window k; sequence models (recurrent, TCN, Transformer) as horizontal bands; "
            "dashed grey line: the best trivial or classical baseline."
        ),
        "task_description": task.describe(),
        "lrs": list(lrs),
        "lr_search": {f: {f"{k:g}": v for k, v in vals.items()} for f, vals in lr_values.items()},
        "tolerance": o.tolerance,
        "budget_seconds": budget_s,
        "final_cap_seconds": round(cap2, 2),
        "search_cap_seconds": plan.get("search_cap"),
        "notes": notes,
        "runs": [run_row(found.get(run_id(f)), f, out) for f in all_runs],
    }
    results["wall_seconds"] = round(time.perf_counter() - t0, 1)
    results = plain(results)  # JSON-safe: numpy values converted, non-finite -> None
    write_report(results, out)
    log(f"recommendation: {decision.model}"
         + (f" with a window of {decision.window}" if decision.window else "")
         + f"; {time.perf_counter() - t0:.0f} s of a {budget_s:.0f} s budget. "
         f"Report: {out / 'report.html'}")  # fmt: skip
    return results


__all__ = ["CompareOptions", "compare"]
