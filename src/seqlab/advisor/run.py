"""``compare``: the advisor end to end, from the user's path to ``report.html``.

    results = compare(CompareOptions("sales.csv", target="units"))

1. Build the task once (every data check, before anything is written).
2. Plan the candidates and their equal budget (``seqlab.advisor.plan``).
3. Learning-rate search: every candidate at every rate of ``lrs`` with seed 0, through the
   sweep engine (so ``--executor ray`` and ``--jobs`` apply); each keeps the rate with the
   best validation value.
4. Seeds 1 … n−1 at that rate (seed 0's run is reused: same config, same run directory).
5. Intervals over seeds, inference latency per step (measured here, batch 1), the memory
   horizon and the recommendation (``seqlab.advisor.decide``), the figure, and the report
   (``results.json``, ``report.html``, ``summary.md``) in ``out``.

Runs live in ``out/runs``; rerunning the same command reuses every finished run.
"""

from __future__ import annotations

import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import seqlab
from seqlab.advisor.decide import TOLERANCE, Row, interval, recommend
from seqlab.advisor.figure import metric_vs_window
from seqlab.advisor.inputs import load_task
from seqlab.advisor.plan import (
    FAMILIES,
    Budget,
    Candidate,
    plan_budget,
    plan_candidates,
    window_grid,
)
from seqlab.checkpoint import atomic_write_json
from seqlab.errors import ConfigError, SeqlabError
from seqlab.models import build_model
from seqlab.report import write_report
from seqlab.report.schema import plain
from seqlab.sweep import EXECUTORS, run_sweep
from seqlab.sweep.local import default_jobs, usable_cores
from seqlab.tasks import Task

DEFAULT_LRS = (3e-3, 1e-2, 3e-2)


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
        for name in ("horizon", "seq_len", "jobs"):
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


def _log(msg: str) -> None:
    print(f"seqlab compare: {msg}", file=sys.stderr, flush=True)


def _flat(kind: str, task_opts: dict, cand: Candidate, budget: Budget, o: CompareOptions,
          lr: float, seed: int) -> dict[str, Any]:  # fmt: skip
    return {
        "task": kind,
        **task_opts,
        **cand.flat(),
        "lr": lr,
        "seed": seed,
        "steps": budget.steps,
        "max_seconds": budget.max_seconds,
        "batch_size": o.batch_size,
        "eval_every": max(1, budget.steps // 5),
    }


def _workers(o: CompareOptions, runs: int) -> int:
    if o.jobs is not None:
        return o.jobs
    return default_jobs(runs) if o.executor == "local" else usable_cores()


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
    """Run ``runs``; results by run id (failed runs absent, their errors logged)."""
    from seqlab.sweep.runner import run_id

    sweep = run_sweep(
        runs, out / "runs", executor=o.executor, jobs=o.jobs, address=o.address, progress=True
    )
    for r in sweep.failures:
        _log(f"run failed: {Path(r.run_dir).name or r.config.get('model')}: {r.error}")
    by_dir = {Path(r.run_dir).name: r.result for r in sweep.runs if r.result is not None}
    return {run_id(f): by_dir[run_id(f)] for f in runs if run_id(f) in by_dir}


def compare(o: CompareOptions) -> dict[str, Any]:
    """The advisor (module docstring); returns the results dict, also written to ``o.out``."""
    o.check()
    from seqlab.sweep.runner import run_id

    t0 = time.perf_counter()
    kind, task_opts, task = load_task(
        o.path, o.task, target=o.target, horizon=o.horizon, seq_len=o.seq_len
    )
    higher = task.higher_is_better
    windows = sorted(set(o.windows)) if o.windows else window_grid(task.seq_len, o.max_window)
    if max(windows) > task.seq_len:
        raise ConfigError(
            f"--windows: {max(windows)} is longer than the sequences ({task.seq_len} steps); "
            f"use windows up to {task.seq_len}."
        )
    cands = plan_candidates(task, windows, o.hidden_size, o.models)
    n_runs = len(cands) * (len(o.lrs) + o.seeds - 1)
    workers = _workers(o, n_runs)
    threads = max(1, usable_cores() // workers) if o.executor == "local" else 1
    out = Path(o.out)
    budget = _reuse_budget(out, o, kind, task_opts, cands, workers) or plan_budget(
        cands, task, budget_minutes=o.budget_minutes, runs=n_runs, workers=workers,
        batch_size=o.batch_size, threads=threads,
    )  # fmt: skip
    _log(f"{kind} task, {len(cands)} candidates, {n_runs} runs. {budget.statement()}")
    for c in cands:
        _log(f"  {c.key:12s} hidden {c.hidden_size:5d}  params {c.params}")
    _save_budget(out, o, kind, task_opts, cands, workers, budget)
    notes: list[str] = list(getattr(task, "notes", []))

    # Learning-rate search (seed 0) ...
    search = {
        (c.key, lr): _flat(kind, task_opts, c, budget, o, lr, 0) for c in cands for lr in o.lrs
    }
    found = _sweep(list(search.values()), o, out)
    best_lr: dict[str, float] = {}
    lr_values: dict[str, dict] = {}
    for c in cands:
        vals = {}
        for lr in o.lrs:
            r = found.get(run_id(search[c.key, lr]))
            if r is not None and r.get("valid_value") is not None:
                vals[lr] = r["valid_value"]
        lr_values[c.key] = vals
        if vals:
            best_lr[c.key] = (max if higher else min)(vals, key=vals.get)
        else:
            notes.append(f"{c.key}: every learning-rate run failed; left out")
    # ... then the other seeds at each candidate's best rate.
    final = {
        (c.key, s): _flat(kind, task_opts, c, budget, o, best_lr[c.key], s)
        for c in cands
        if c.key in best_lr
        for s in range(o.seeds)
    }
    found.update(_sweep([f for (k, s), f in final.items() if s > 0], o, out))

    rows: list[Row] = []
    per_seed_baselines: dict[int, dict[str, float]] = {}
    for c in cands:
        if c.key not in best_lr:
            continue
        results = [found.get(run_id(final[c.key, s])) for s in range(o.seeds)]
        results = [r for r in results if r is not None]
        if not results:
            notes.append(f"{c.key}: every seed failed; left out")
            continue
        for r in results:
            per_seed_baselines.setdefault(r["seed"], r.get("baselines") or {})
        rows.append(
            Row(
                cand=c,
                lr=best_lr[c.key],
                valid=interval([r["valid_value"] for r in results]),
                test=interval([r["value"] for r in results]),
                per_seed_test=[r["value"] for r in results],
                train_seconds=float(np.mean([r["train_seconds"] for r in results])),
                steps=[r["steps"] for r in results],
                latency_ms=latency_ms_per_step(c, task),
                lr_search=lr_values[c.key],
            )
        )
    if not rows:
        raise SeqlabError(
            f"every training run failed (see the messages above and {out / 'runs'}); "
            "nothing to compare. Fix: check the data, or try other --lrs."
        )
    baselines = _baselines(per_seed_baselines or {0: task.baselines()})
    decision = recommend(rows, {k: v["mean"] for k, v in baselines.items()}, task.metric, higher,
                         o.tolerance)  # fmt: skip
    figure = metric_vs_window(
        rows,
        {k: v["mean"] for k, v in baselines.items()},
        task.metric,
        decision.horizon,
        out,
        higher,
    )
    all_runs = [*search.values(), *(f for (k, s), f in final.items() if s > 0)]
    results = {
        "schema": 1,
        "seqlab_version": seqlab.__version__,
        "profile": "advisor",
        "title": f"seqlab advisor: {Path(o.path).name}",
        "data": str(Path(o.path).expanduser().resolve()),
        "task": kind,
        "metric": task.metric,
        "higher_is_better": higher,
        "budget": (
            f"{len(cands)} candidates × ({len(o.lrs)} learning rate(s) at seed 0 + "
            f"{o.seeds - 1} more seed(s) at each one's best rate) = {n_runs} runs. "
            + budget.statement()
        ),
        "within_noise_rule": decision.rule,
        "environment": {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "seeds": list(range(o.seeds)),
            "executor": o.executor,
            "workers": workers,
        },
        "questions": [],
        "claims": [],
        "recommendation": {
            "model": decision.model,
            "window": decision.window,
            "reason": decision.reason,
        },
        "memory_horizon": decision.horizon,
        "candidates": _baseline_rows(baselines, task.metric)
        + [_candidate_row(r, task.metric) for r in rows],
        "candidates_figure": figure,
        "candidates_caption": (
            f"Test {task.metric} (mean and 95% interval over {o.seeds} seed(s)) against the "
            "window k; recurrent models as horizontal bands; dashed grey line: the best trivial "
            "baseline."
        ),
        "task_description": task.describe(),
        "lrs": list(o.lrs),
        "lr_search": {r.cand.key: {f"{k:g}": v for k, v in r.lr_search.items()} for r in rows},
        "tolerance": o.tolerance,
        "steps": budget.steps,
        "max_seconds_per_run": budget.max_seconds,
        "notes": notes,
        "runs": [_run_row(found.get(run_id(f)), f, out) for f in all_runs],
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    results = plain(results)  # JSON-safe: numpy values converted, non-finite -> None
    write_report(results, out)
    _log(f"recommendation: {decision.model}"
         + (f" with a window of {decision.window}" if decision.window else "")
         + f". Report: {out / 'report.html'}")  # fmt: skip
    return results


PLAN_FILE = "advisor-budget.json"


def _plan_key(o: CompareOptions, kind: str, task_opts: dict, cands, workers: int) -> str:
    """What the budget was derived from: equal keys give the same steps and cap, so a
    rerun (after Ctrl-C, or with more seeds) reuses the finished runs."""
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
    }
    return json.dumps(blob, sort_keys=True)


def _reuse_budget(out: Path, o, kind, task_opts, cands, workers) -> Budget | None:
    try:
        saved = json.loads((out / "runs" / PLAN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if saved.get("key") != _plan_key(o, kind, task_opts, cands, workers):
        return None
    _log(f"reusing the budget of the previous invocation ({out / 'runs' / PLAN_FILE})")
    return Budget(**saved["budget"])


def _save_budget(out: Path, o, kind, task_opts, cands, workers, budget: Budget) -> None:
    doc = {"key": _plan_key(o, kind, task_opts, cands, workers), "budget": asdict(budget)}
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the output folder {out}: {e}. Pass another --out.") from e
    atomic_write_json(out / "runs" / PLAN_FILE, doc)


def _baselines(per_seed: dict[int, dict[str, float]]) -> dict[str, dict]:
    """Each named baseline's interval over the seeds' test splits ("chance" repeats one)."""
    names = {n for b in per_seed.values() for n in b if n != "chance"}
    return {n: interval([b[n] for b in per_seed.values() if n in b]) for n in sorted(names)}


def _baseline_rows(baselines: dict[str, dict], metric: str) -> list[dict]:
    return [
        {
            "model": name,
            "window": None,
            "params": 0,
            "metric": metric,
            "value": est["mean"],
            "interval": [est["lo"], est["hi"]],
            "train_seconds": 0.0,
            "latency_ms_per_step": None,
            "hidden": None,
            "lr": None,
            "valid": None,
        }
        for name, est in baselines.items()
    ]


def _candidate_row(r: Row, metric: str) -> dict:
    return {
        "model": r.cand.family,
        "window": r.cand.window,
        "params": r.cand.params,
        "metric": metric,
        "value": r.test["mean"],
        "interval": [r.test["lo"], r.test["hi"]],
        "train_seconds": round(r.train_seconds, 2),
        "latency_ms_per_step": r.latency_ms,
        "hidden": r.cand.hidden_size if r.cand.family != "linear" else None,
        "lr": r.lr,
        "valid": r.valid["mean"],
        "seeds": r.test["n"],
        "steps": r.steps[0] if len(set(r.steps)) == 1 else r.steps,
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
