"""The local executor: a pool of worker processes on this machine.

Workers are started with the ``spawn`` method (torch and ``fork`` do not mix: a forked
child inherits the parent's thread pools and locks). Each worker sets
``torch.set_num_threads(threads)`` once, then trains the runs it is handed one at a time,
so the torch import is paid once per worker, not once per run.

The driver hands each idle worker one job over its own pipe and waits on all pipes and
process sentinels at once, so it knows which run a worker held when it died (killed,
out of memory, segfault): that attempt counts as a retryable error and a fresh worker
takes the worker's place.

Stopping (Ctrl-C in the driver): busy workers get SIGINT, which the trainer turns into
"save a checkpoint, then stop"; idle workers are told to exit. Whatever has not exited
after ``grace`` seconds is terminated. Rerunning the sweep resumes from the checkpoints.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait

from seqlab.sweep.executor import Attempt, Job, Outcome, attempt, set_threads

__all__ = ["LocalExecutor", "default_jobs", "usable_cores"]


def usable_cores() -> int:
    """CPU cores this process may run on (respects taskset / cgroup CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_jobs(n_runs: int) -> int:
    """One worker per core, no more workers than runs."""
    return max(1, min(usable_cores(), n_runs))


def _worker_main(conn: Connection, runner: str, threads: int) -> None:
    """A worker's life: set threads, then train each job it receives until told to stop."""
    try:
        set_threads(threads)
        while True:
            job = conn.recv()
            if job is None:
                return
            outcome = attempt(runner, job)
            conn.send(outcome)
            if outcome.kind == "interrupted":
                return
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return  # the driver is stopping us, or has gone


class _Worker:
    def __init__(self, ctx, runner: str, threads: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child, runner, threads), name="seqlab-sweep-worker"
        )
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.tries = 0

    def give(self, job: Job, tries: int) -> None:
        self.job, self.tries = job, tries
        self.conn.send(job)

    def take(self) -> tuple[Job, int, Attempt | None]:
        """The job it held and its attempt; ``None`` when there is no message yet and the
        process is still alive (its sentinel fired early). A dead worker's attempt is a
        retryable error."""
        job, tries = self.job, self.tries
        self.job = None
        with contextlib.suppress(EOFError, OSError):
            if self.conn.poll():
                return job, tries, self.conn.recv()
        self.process.join(timeout=5)
        if self.process.exitcode is None:
            return job, tries, None
        died = f"worker process died (exit code {self.process.exitcode}) while training this run"
        return job, tries, Attempt("error", error=died)


class LocalExecutor:
    """``jobs`` worker processes, each with ``threads`` torch threads."""

    def __init__(
        self, runner: str, *, jobs: int, threads: int, retries: int = 1, grace: float = 20.0
    ) -> None:
        self.runner, self.jobs, self.threads = runner, max(1, jobs), max(1, threads)
        self.retries, self.grace = retries, grace

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        ctx = mp.get_context("spawn")
        queue: deque[tuple[Job, int]] = deque((job, 1) for job in jobs)
        workers: list[_Worker] = []
        try:
            while True:
                # Workers start when there is work for them (and replace dead ones then).
                for w in [w for w in workers if w.job is None and not w.process.is_alive()]:
                    w.conn.close()
                    workers.remove(w)
                idle = [w for w in workers if w.job is None]
                while queue and (idle or len(workers) < self.jobs):
                    if not idle:
                        workers.append(_Worker(ctx, self.runner, self.threads))
                        idle.append(workers[-1])
                    idle.pop().give(*queue.popleft())
                busy = [w for w in workers if w.job is not None]
                if not busy:
                    return
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for w in busy:
                    if not ({w.conn, w.process.sentinel} & ready):
                        continue
                    job, tries, result = w.take()
                    if result is None:  # sentinel fired, message still in flight
                        w.job, w.tries = job, tries
                        continue
                    if result.kind == "interrupted":
                        raise KeyboardInterrupt  # a worker was stopped from outside
                    if result.retryable and tries <= self.retries:
                        queue.appendleft((job, tries + 1))
                    else:
                        yield Outcome(job, result, tries)
        finally:
            self._stop(workers)

    def _stop(self, workers: list[_Worker]) -> None:
        """Checkpoint-and-stop the busy workers (SIGINT), dismiss the idle ones."""
        for w in workers:
            if not w.process.is_alive():
                continue
            if w.job is not None:
                os.kill(w.process.pid, signal.SIGINT)
            else:
                with contextlib.suppress(BrokenPipeError, OSError):
                    w.conn.send(None)
        for w in workers:
            w.process.join(timeout=self.grace)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
