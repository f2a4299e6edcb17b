"""What the claims' evidence builders share: this invocation's runs by role, accuracy with
its interval, interleaved timing, a seeded model, the recall-vs-distance figure.

``Runs`` holds the finished runs of this invocation keyed by role (``seqlab.claims.plan``)
and the profile; an evidence builder reads only from it, so the same builder runs on a
real suite and on fixture runs in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.figure import Figure

from seqlab.claims.profiles import Profile
from seqlab.claims.stats import accuracy_interval, mean_interval
from seqlab.models import RECURRENT, ModelSpec, build_model
from seqlab.probes import time_per_step
from seqlab.report import plots
from seqlab.rundir import load_model
from seqlab.tasks import build_task

Results = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Runs:
    """Finished runs by role (``"recall/lstm/d30/s0" -> result.json``) and the profile.

    A role without its seed suffix (``"recall/lstm/d30"``) is a *prefix*: the methods
    below gather that role over the profile's seeds, skipping runs that are absent.
    """

    results: Results
    profile: Profile

    def seeds(self, prefix: str) -> list[dict]:
        return [
            self.results[f"{prefix}/s{s}"]
            for s in self.profile.seeds
            if f"{prefix}/s{s}" in self.results
        ]

    def first(self, prefix: str) -> dict | None:
        rs = self.seeds(prefix)
        return rs[0] if rs else None

    def accuracy(self, prefix: str) -> dict | None:
        """Test accuracy of ``prefix``: t over seeds, or Wilson on the test set (1 seed)."""
        rs = self.seeds(prefix)
        if not rs:
            return None
        n_eval = int(rs[0].get("test_n") or self.profile.eval_size)
        return accuracy_interval([r["value"] for r in rs], n_eval)

    def mean_of(self, prefix: str, field: str = "value") -> dict | None:
        rs = self.seeds(prefix)
        return mean_interval([float(r[field]) for r in rs]) if rs else None


def trained_model(r: dict) -> tuple[Any, torch.nn.Module, Any]:
    """``(config, model with its best weights, task)`` of a finished run."""
    cfg, model, _ = load_model(r["run_dir"])
    return cfg, model, build_task(cfg.task, cfg.task_options, cfg.seed)


def seeded_model(spec: ModelSpec, seed: int, **build_kwargs: Any) -> torch.nn.Module:
    """``build_model(spec, **build_kwargs)`` with weights drawn from a generator seeded with
    ``seed`` (the global RNG is not touched). Every model the claims build goes through here."""
    return build_model(spec, generator=torch.Generator().manual_seed(seed), **build_kwargs)


TIMING_THREADS = 1  # 1-thread timings are stable on shared machines; 2-thread ones are bimodal


def interleaved_ms(cases: dict[str, tuple], repeats: int) -> dict[str, dict]:
    """Forward+backward ms per time step of each ``name -> (model, B, T, D)``, measured
    interleaved (A B C A B C …) after one untimed round, at ``TIMING_THREADS`` threads;
    a t interval over the ``repeats`` rounds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(TIMING_THREADS)
    try:
        times: dict[str, list[float]] = {name: [] for name in cases}
        for i in range(repeats + 1):
            for name, (model, B, T, D) in cases.items():
                ms = time_per_step(model, B, T, D, repeats=1, warmup=1 if i == 0 else 0, seed=i)
                if i > 0:  # round 0 warms up allocators and kernels
                    times[name].append(ms["fwd_bwd_ms"])
    finally:
        torch.set_num_threads(threads)
    return {name: mean_interval(t, "interleaved rounds") for name, t in times.items()}


def band(ests: list[dict | None]) -> dict[str, list]:
    """Interval estimates as the ``y``/``lo``/``hi`` of a ``plots.lines`` series."""
    xs = [e for e in ests if e is not None]
    return {"y": [e["mean"] for e in xs], "lo": [e["lo"] for e in xs], "hi": [e["hi"] for e in xs]}


def recall_figure(runs: Runs, with_ffnn: bool) -> Figure:
    """Recall accuracy vs distance d, one line per model (95% bands), chance dashed; with
    ``with_ffnn`` the FFNN windows too, each window k marked."""
    p = runs.profile
    labels = ([f"ffnn-k{k}" for k in p.windows] if with_ffnn else []) + list(RECURRENT)
    series, chance = {}, None
    for label in labels:
        ests, xs = [], []
        for d in p.distances:
            e = runs.accuracy(f"recall/{label}/d{d}")
            if e is not None:
                ests.append(e)
                xs.append(d)
                chance = runs.first(f"recall/{label}/d{d}")["chance"]
        if ests:
            series[label] = {"x": xs, **band(ests), "style": "o--" if "ffnn" in label else "o-"}
    return plots.lines(
        series,
        "distance d (inputs from cue to query)",
        "test accuracy",
        title="Recall accuracy vs distance (95% intervals)",
        hlines={"chance": chance} if chance is not None else None,
        vlines={f"k={k}": k for k in p.windows} if with_ffnn else None,
    )
