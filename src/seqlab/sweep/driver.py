"""The sweep driver: name every run, skip the finished ones, execute the rest, collect.

    run_sweep(runs, out, executor="local" | "ray", ...) -> SweepResult

1. Each flat config gets its content-addressed run directory ``out/run_id(flat)``;
   identical configs are one run. A config that cannot even be named (its options do not
   validate) is a failed run, reported with its error.
2. A run whose ``result.json`` exists is *skipped*: its result is read from disk and the
   file is never rewritten (so a rerun after an interruption leaves finished results
   byte-identical and executes only the rest).
3. The rest go to the executor; each comes back *finished* (with its result dict) or
   *failed* (with its error text, after bounded retries of non-input errors). One failed
   run never stops the others.

Ctrl-C (KeyboardInterrupt) stops the executor's workers cleanly (their runs checkpoint)
and propagates; the finished runs are on disk for the next invocation.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seqlab.errors import ConfigError
from seqlab.sweep.executor import Job, Outcome
from seqlab.sweep.local import LocalExecutor, default_jobs, usable_cores
from seqlab.sweep.runner import DEFAULT, load_runner

__all__ = ["EXECUTORS", "RunOutcome", "SweepResult", "run_sweep"]

EXECUTORS = ("local", "ray")
Status = Literal["finished", "skipped", "failed", "pending"]


@dataclass
class RunOutcome:
    """One run of a sweep. ``status``: finished (executed now) | skipped (already finished
    on disk) | failed (``error`` says why) | pending (only while the sweep runs).
    ``result`` is the run's result.json dict."""

    config: dict[str, Any]
    run_dir: str
    status: Status
    result: dict | None = None
    error: str = ""
    attempts: int = 0
    host: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "run_dir": self.run_dir,
            "status": self.status,
            "attempts": self.attempts,
            "result": self.result,
            "error": self.error or None,
        }


@dataclass
class SweepResult:
    """All runs of a sweep, in the order they were given."""

    runs: list[RunOutcome] = field(default_factory=list)
    duplicates: int = 0

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.runs)

    @property
    def executed(self) -> int:
        return self.count("finished")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def failures(self) -> list[RunOutcome]:
        return [r for r in self.runs if r.status == "failed"]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "total": len(self.runs),
            "executed": self.executed,
            "skipped": self.skipped,
            "failed": self.failed,
            "duplicates": self.duplicates,
        }


def run_sweep(
    runs: Sequence[dict[str, Any]],
    out: str | Path,
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
    retries: int = 1,
    cpus_per_run: float | None = None,
    gpus_per_run: float = 0,
    runner: str = DEFAULT,
) -> SweepResult:
    """Execute the flat configs ``runs`` with results under ``out``; see the module doc.

    ``jobs``: local worker processes (default: one per core, at most one per run), or for
    Ray the most runs in flight (default: all). ``cpus_per_run``: torch threads per run
    (local default: ``cores // jobs``; Ray default 1, also the CPUs each Ray task reserves).
    ``gpus_per_run``: GPUs each Ray task reserves.
    ``address``: the Ray cluster (HOST:PORT). ``retries``: extra attempts for a run that
    failed for a reason other than its input. ``runner``: module that trains and names
    runs (see ``seqlab.sweep.runner``). ``progress``: a progress bar (plain lines when
    stderr is not a terminal) on stderr.
    """
    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if executor == "local" and address is not None:
        raise ConfigError("--address is for --executor ray; drop it or add --executor ray.")
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs must be >= 1, got {jobs}")
    if retries < 0:
        raise ConfigError(f"--retries must be >= 0, got {retries}")
    out = Path(out).absolute()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"cannot create the output folder {out}: {e}. Pass another --out.") from e
    names = load_runner(runner)

    sweep = SweepResult()
    todo: list[Job] = []
    seen: set[str] = set()
    for flat in runs:
        try:
            rid = names.run_id(dict(flat))
        except Exception as e:  # noqa: BLE001  (a bad config fails alone, named)
            sweep.runs.append(RunOutcome(dict(flat), "", "failed", error=_error_text(e)))
            continue
        if rid in seen:
            sweep.duplicates += 1
            continue
        seen.add(rid)
        run_dir = out / rid
        done = _read_result(run_dir)
        if done is not None:
            sweep.runs.append(RunOutcome(dict(flat), str(run_dir), "skipped", result=done))
            continue
        todo.append(Job(len(sweep.runs), dict(flat), str(out), rid))
        sweep.runs.append(RunOutcome(dict(flat), str(run_dir), "pending"))

    if todo:
        pool = _executor(
            executor, runner, len(todo), jobs, address, retries, cpus_per_run, gpus_per_run
        )
        already = len(sweep.runs) - len(todo)
        with _Progress(len(sweep.runs), already, enabled=progress) as bar:
            for outcome in pool.run(todo):
                _record(sweep, outcome, out)
                bar.advance(sweep.runs[outcome.job.index])
    return sweep


def _executor(kind, runner, n_todo, jobs, address, retries, cpus_per_run, gpus_per_run):
    if kind == "ray":
        from seqlab.sweep.cluster import RayExecutor

        return RayExecutor(
            runner,
            address=address,
            jobs=jobs,
            cpus_per_run=1 if cpus_per_run is None else cpus_per_run,
            gpus_per_run=gpus_per_run,
            retries=retries,
        )
    workers = jobs or default_jobs(n_todo)
    threads = int(cpus_per_run) if cpus_per_run else max(1, usable_cores() // workers)
    return LocalExecutor(runner, jobs=workers, threads=threads, retries=retries)


def _record(sweep: SweepResult, outcome: Outcome, out: Path) -> None:
    run = sweep.runs[outcome.job.index]
    run.attempts, run.host = outcome.attempts, outcome.attempt.host
    if outcome.attempt.kind == "ok":
        run.status, run.result, run.error = "finished", outcome.attempt.result, ""
        if not (out / outcome.job.run_id / "result.json").is_file():
            print(
                f"seqlab: warning: {run.run_dir}/result.json is not visible here although the "
                f"run finished on {run.host}; --out must be storage shared by every node "
                "(same path), or reruns will repeat this run.",
                file=sys.stderr,
            )
    else:
        run.status, run.error = "failed", outcome.attempt.error


def _read_result(run_dir: Path) -> dict | None:
    path = run_dir / "result.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable: not finished; the trainer redoes or reports it


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


class _Progress:
    """A rich progress bar over runs on a terminal; plain lines on stderr otherwise."""

    def __init__(self, total: int, already: int, *, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, already, enabled
        self.start = time.monotonic()
        self.bar = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
            self.task = self.bar.add_task("sweep", total=self.total, completed=self.done)
        elif self.enabled and self.done:
            print(f"sweep: {self.done}/{self.total} runs already done", file=sys.stderr)
        return self

    def advance(self, run: RunOutcome) -> None:
        self.done += 1
        name = Path(run.run_dir).name
        if run.status == "finished" and run.result:
            note = f"{run.result.get('metric', 'value')}={_fmt(run.result.get('value'))}"
        else:
            note = f"FAILED: {run.error.splitlines()[-1] if run.error else ''}"
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, description=name)
            self.bar.console.print(f"{name}: {note}")
        elif self.enabled:
            elapsed = time.monotonic() - self.start
            print(
                f"sweep [{self.done}/{self.total}] {elapsed:6.1f}s {name}: {note}",
                file=sys.stderr,
                flush=True,
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else str(value)
