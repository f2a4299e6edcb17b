"""The Ray executor: each run a Ray task, on a local Ray instance or a cluster.

    ray.init(address)      "HOST:PORT" joins a running cluster (``ray start --head``);
                           None follows Ray's own rule: $RAY_ADDRESS, else a cluster
                           started on this machine with ``ray start``, else a fresh local one
    each run               ``@ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run)``
                           calling ``attempt(runner, job, threads=cpus_per_run)``

Ray itself retries nothing (``max_retries=0``); this driver retries a run whose attempt
failed for a reason other than its input (worker crash, node lost, I/O error) up to
``retries`` more times, so ``attempts`` is exact. ``jobs`` caps the runs in flight (None:
submit all and let Ray's scheduler fill the cluster's CPUs).

Storage: workers write run directories under ``out`` *on the node that runs them*, and the
driver decides what is finished by looking for ``out/<run>/result.json`` on its own
machine. A multi-node cluster therefore needs ``out`` on shared storage mounted at the same
path on every node (NFS, CephFS, a cloud file share). The result dicts also travel back
through Ray, so a sweep's summary is right even without it; but then finished runs are
not visible to the next invocation, and the driver warns.

Ray is an optional extra (``pip install 'seqlab[ray]'``); it is imported only here, only
when this executor is used. The seqlab package (same version) must be installed on every
node, as must the runner module.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from seqlab.errors import ConfigError
from seqlab.sweep.executor import Attempt, Job, Outcome, attempt

__all__ = ["RayExecutor", "import_ray"]


def import_ray() -> Any:
    try:
        import ray
    except ImportError as e:
        raise ConfigError(
            "--executor ray needs Ray, which is not installed. Install the extra with "
            "`pip install 'seqlab[ray]'`, or use --executor local."
        ) from e
    return ray


def _ray_attempt(runner: str, job: Job, threads: int) -> Attempt:
    """The body of each Ray task (module level, so workers import it by name)."""
    return attempt(runner, job, threads=threads)


class RayExecutor:
    """Runs jobs as Ray tasks; see the module docstring."""

    def __init__(
        self,
        runner: str,
        *,
        address: str | None = None,
        jobs: int | None = None,
        cpus_per_run: float = 1,
        gpus_per_run: float = 0,
        retries: int = 1,
        grace: float = 20.0,
    ) -> None:
        self.runner, self.address, self.jobs, self.grace = runner, address, jobs, grace
        self.cpus_per_run, self.gpus_per_run, self.retries = cpus_per_run, gpus_per_run, retries

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        ray = import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            self._connect(ray)
        options: dict[str, Any] = {"num_cpus": self.cpus_per_run, "max_retries": 0}
        if self.gpus_per_run:
            options["num_gpus"] = self.gpus_per_run
        task = ray.remote(**options)(_ray_attempt)
        threads = max(1, int(self.cpus_per_run))
        waiting = list((job, 1) for job in jobs)
        in_flight: dict[Any, tuple[Job, int]] = {}
        limit = self.jobs or len(waiting)
        try:
            while waiting or in_flight:
                while waiting and len(in_flight) < limit:
                    job, tries = waiting.pop(0)
                    in_flight[task.remote(self.runner, job, threads)] = (job, tries)
                # A short timeout: a blocking wait would not let Ctrl-C through.
                done, _ = ray.wait(list(in_flight), num_returns=1, timeout=0.5)
                for ref in done:
                    job, tries = in_flight.pop(ref)
                    try:
                        result: Attempt = ray.get(ref)
                    except ray.exceptions.RayError as e:  # the task never returned
                        result = Attempt("error", error=f"{type(e).__name__}: {e}")
                    if result.kind == "interrupted":
                        raise KeyboardInterrupt
                    if result.retryable and tries <= self.retries:
                        waiting.insert(0, (job, tries + 1))
                    else:
                        yield Outcome(job, result, tries)
        finally:
            self._cancel(ray, list(in_flight))
            if started_here:
                ray.shutdown()

    def _cancel(self, ray: Any, refs: list) -> None:
        """Interrupt the running tasks (as Ctrl-C would) and give them ``grace`` seconds to
        checkpoint before the driver disconnects."""
        for ref in refs:
            ray.cancel(ref)
        deadline = time.monotonic() + self.grace
        while refs and time.monotonic() < deadline:
            _, refs = ray.wait(refs, num_returns=len(refs), timeout=0.5)

    def _connect(self, ray: Any) -> None:
        # ray.init replaces the SIGTERM handler with its own sys.exit; keep the caller's.
        on_term = signal.getsignal(signal.SIGTERM)
        try:
            ray.init(
                address=self.address,
                log_to_driver=False,  # workers' output would mix into --json on stdout
                logging_level=logging.WARNING,
                include_dashboard=False if self.address is None else None,
            )
        except (ConnectionError, TimeoutError) as e:
            raise ConfigError(
                f"cannot reach a Ray cluster at {self.address}: {e}. Start one with "
                "`ray start --head --port 6379` and pass --address HEAD_IP:6379. If the "
                "cluster uses token authentication, set RAY_AUTH_MODE=token and install its "
                "token here (`ray get-auth-token` on the head prints it)."
            ) from e
        if on_term is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, on_term)
