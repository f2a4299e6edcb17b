"""What every executor shares: a job, one attempt at it, and the retry rule.

An executor takes jobs (one run each) and yields one ``Outcome`` per job, in the order
they finish:

    class Executor(Protocol):
        def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]: ...

The worker side is ``attempt(runner, job, threads)``: it trains the run in the current
process and never raises, so every executor sees the same ``Attempt`` whether the run
succeeded, failed on the user's input, crashed, or was interrupted.

Retries: results are deterministic given the config, so a run that failed on its input
(a ``SeqlabError``: bad option value, missing data file, divergence) fails again the same
way and is not retried. Any other failure (a worker process that died, a lost Ray node,
an I/O error on shared storage) is retried up to ``retries`` more times.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = ["Attempt", "Executor", "Job", "Outcome", "attempt", "set_threads"]

Kind = Literal["ok", "user", "error", "interrupted"]


@dataclass(frozen=True)
class Job:
    """One run to execute: its index in the sweep, flat config, output root, run id."""

    index: int
    flat: dict[str, Any]
    out: str
    run_id: str


@dataclass(frozen=True)
class Attempt:
    """One try at a job, as the worker saw it. ``kind``: ok | user (the run's input is
    bad, retrying cannot help) | error (anything else) | interrupted (SIGINT/SIGTERM)."""

    kind: Kind
    result: dict | None = None
    error: str = ""
    host: str = ""

    @property
    def retryable(self) -> bool:
        return self.kind == "error"


@dataclass(frozen=True)
class Outcome:
    """The final word on a job: its last attempt and how many attempts it took."""

    job: Job
    attempt: Attempt
    attempts: int


class Executor(Protocol):
    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]: ...


def set_threads(threads: int) -> None:
    """Give this worker process ``threads`` intra-op threads (no oversubscription when
    several workers share the cores)."""
    import torch

    torch.set_num_threads(max(1, threads))


def attempt(runner: str, job: Job, threads: int | None = None) -> Attempt:
    """Run ``job`` here with runner module ``runner``; the outcome, never an exception."""
    from seqlab.errors import SeqlabError
    from seqlab.sweep.runner import load_runner

    host = os.uname().nodename
    try:
        if threads is not None:
            set_threads(threads)
        result = load_runner(runner).run_config(dict(job.flat), job.out, progress="quiet")
        return Attempt("ok", result=result, host=host)
    except KeyboardInterrupt:
        return Attempt("interrupted", error="interrupted", host=host)
    except SeqlabError as e:
        if getattr(e, "exit_code", 2) in (130, 143):  # the trainer's stop-on-signal
            return Attempt("interrupted", error=str(e), host=host)
        return Attempt("user", error=f"{type(e).__name__}: {e}", host=host)
    except BaseException as e:  # noqa: BLE001  (a worker reports, the driver decides)
        if getattr(e, "exit_code", None) in (130, 143):
            return Attempt("interrupted", error=str(e), host=host)
        return Attempt("error", error=_short_traceback(e), host=host)


def _short_traceback(e: BaseException, frames: int = 6) -> str:
    """The exception and the last few frames: enough to find the bug, short enough to read."""
    tb = traceback.format_exception(type(e), e, e.__traceback__, limit=-frames)
    return "".join(tb).strip()
