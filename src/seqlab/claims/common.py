"""What the claims' evidence builders share: this invocation's runs by role, accuracy with
its interval, accuracy against distance with each model's forgetting distance, interleaved
timing, a seeded model, the recall-vs-distance figure.

``Runs`` holds the finished runs of this invocation keyed by role (``seqlab.claims.plan``)
and the profile; an evidence builder reads only from it, so the same builder runs on a
real suite and on fixture runs in the tests.

Accuracy against distance. A distance-sweep run (``plan.recall_key``) was trained on every
d of a range; ``accuracy_by_distance`` evaluates it at each d of a grid on a test set of
``eval_size`` sequences drawn for that d alone (same vocabulary and length T, the cue d
inputs before the query), and ``sweep`` gives per d the mean over seeds with its interval
(``stats.accuracy_interval``). The *forgetting distance* d½ of a model is where its mean
accuracy first falls below halfway between perfect and chance, ``(1 + chance) / 2``,
interpolated linearly in log d between the two grid points around the crossing
(``stats.forgetting_distance``); its 95% interval comes from a bootstrap over seeds and over
each seed's test examples.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Part, fmt
from seqlab.claims.profiles import Profile
from seqlab.claims.stats import (
    accuracy_interval,
    d_value,
    fmt_d,
    forgetting_distance,
    mean_interval,
)
from seqlab.evaluate import evaluate_sums
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
    jobs: int = 1  # worker processes an evidence builder may use (``map``)
    _by_distance: dict = field(default_factory=dict, compare=False, repr=False)

    def map(self, fn: Any, *iterables: Any) -> list[Any]:
        """``list(map(fn, *iterables))``, in ``jobs`` worker processes at 1 thread each when
        ``jobs`` > 1 (``fn`` a module-level function; the numbers are those of the loop)."""
        return parallel_map(fn, self.jobs, *iterables)

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

    def per_distance(self, prefix: str, distances: tuple[int, ...]) -> list[dict[int, dict]]:
        """Per seed of ``prefix``: ``{d: {"accuracy", "n"}}`` at each d of ``distances`` in
        the run's range (``accuracy_by_distance``; computed once per run)."""
        out = []
        for r in self.seeds(prefix):
            key = (r["run_dir"], distances)
            if key not in self._by_distance:
                self._by_distance[key] = accuracy_by_distance(r, distances)
            out.append(self._by_distance[key])
        return out

    def prefetch_distances(self, wanted: dict[str, tuple[int, ...]], jobs: int = 1) -> None:
        """Evaluate ``per_distance`` ahead, for each run key of ``wanted`` at its grid, in
        ``jobs`` worker processes at 1 thread each (the sweeps' evaluations are independent;
        on 2 cores this halves the largest share of the evidence time). Numbers are those
        ``per_distance`` would compute; keys without a finished run are skipped."""
        todo = [
            (self.results[k], grid)
            for k, grid in wanted.items()
            if k in self.results and (self.results[k]["run_dir"], grid) not in self._by_distance
        ]
        done = parallel_map(accuracy_by_distance, jobs, [r for r, _ in todo], [g for _, g in todo])
        for (r, grid), acc in zip(todo, done, strict=True):
            self._by_distance[(r["run_dir"], grid)] = acc

    def sweep(self, prefix: str, distances: tuple[int, ...]) -> dict | None:
        """Accuracy against distance of a distance-sweep run over the profile's seeds:
        ``{"rows": [{"distance", "accuracy": est, "per_seed"}], "chance", "forgetting":
        forgetting_distance(...)}``, or None when ``prefix`` has no finished run."""
        seeds = self.per_distance(prefix, distances)
        if not seeds:
            return None
        ds = [d for d in distances if all(d in s for s in seeds)]
        chance = self.first(prefix)["chance"]
        rows = [
            {
                "distance": d,
                "accuracy": accuracy_interval([s[d]["accuracy"] for s in seeds], seeds[0][d]["n"]),
                "per_seed": [s[d]["accuracy"] for s in seeds],
            }
            for d in ds
        ]
        acc = [[s[d]["accuracy"] for d in ds] for s in seeds]  # (seeds, len(ds))
        n = [[s[d]["n"] for d in ds] for s in seeds]
        return {
            "rows": rows,
            "chance": chance,
            "forgetting": forgetting_distance(ds, acc, n, chance),
        }


def accuracy_by_distance(r: dict, distances: tuple[int, ...]) -> dict[int, dict]:
    """``{d: {"accuracy", "n"}}``: the trained recall run ``r`` evaluated at each d of
    ``distances`` within its training range, on a test set drawn for that d alone (the
    run's task options with ``distance=d`` and the lead that keeps T unchanged)."""
    cfg, model, task = trained_model(r)
    out = {}
    for d in distances:
        if not task.d_min <= d <= task.d_max:
            continue
        opts = {**cfg.task_options, "distance": d, "lead": task.lead + task.d_max - d}
        at_d = build_task(cfg.task, opts, cfg.seed)
        sums = evaluate_sums(model, at_d, "test", batch_size=256, device=torch.device("cpu"))
        out[d] = {"accuracy": sums.value(at_d.metric), "n": int(sums.n)}
    return out


def _one_thread() -> None:
    torch.set_num_threads(1)


def parallel_map(fn: Any, jobs: int, *iterables: Any) -> list[Any]:
    """``list(map(fn, *iterables))`` in ``jobs`` spawned worker processes at 1 thread each
    (in this process when ``jobs`` <= 1 or there is at most one item)."""
    args = [list(it) for it in iterables]
    n = len(args[0]) if args else 0
    if jobs <= 1 or n <= 1:
        return list(map(fn, *args))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, n), ctx, initializer=_one_thread) as pool:
        return list(pool.map(fn, *args))


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


def recall_figure(runs: Runs, with_ffnn: bool, extra: tuple[str, ...] = ()) -> Figure:
    """Recall accuracy vs distance d (log axis), one line per model through its measured
    grid points (markers; 95% bands over seeds), chance and the halfway level dashed; with
    ``with_ffnn`` the window FFNNs too, each window k marked; ``extra``: more distance-sweep
    models (the min-RNNs), where the suite trained them."""
    p = runs.profile
    labels = ([f"ffnn-k{k}" for k in p.windows] if with_ffnn else []) + list(RECURRENT)
    labels += list(extra)
    series, chance = {}, None
    for label in labels:
        sw = runs.sweep(plan.recall_key(label, p), p.distances)
        if sw is None or not sw["rows"]:
            continue
        chance = sw["chance"]
        series[label] = {
            "x": [r["distance"] for r in sw["rows"]],
            **band([r["accuracy"] for r in sw["rows"]]),
            "style": "o--" if "ffnn" in label else "o-",
        }
    marks = {"chance": chance, "halfway": (1 + chance) / 2} if chance is not None else None
    return plots.lines(
        series,
        "distance d (inputs from cue to query, log scale)",
        "test accuracy",
        title=f"Recall accuracy vs distance (mean of {len(p.seeds)} seed(s), 95% intervals)",
        logx=True,
        hlines=marks,
        vlines={f"k={k}": k for k in p.windows} if with_ffnn else None,
    )


MIN_RNNS = ("mingru", "minlstm")  # trained on the recall sweep's range by parallel-recurrence


def all_models_at(runs: Runs, distances: tuple[int, ...]) -> list[dict[str, Any]]:
    """Every model's recall accuracy and parameters at each d of ``distances`` where it was
    measured, for claims about the LSTM and the window MLP to show the newer models beside
    their own (not part of their rules): the LSTM, RNN and GRU and the min-RNNs from their
    distance sweeps (the min-RNNs: parallel-recurrence's runs, at the seeds it trains), the
    window MLPs of the profile's windows, the shallowest TCN whose receptive field covers d
    (tcn-sees-far's runs) and the Transformer (attention-cost's), both trained at d alone.
    Rows ``{"distance", "model", "family", "accuracy": est, "params", "seeds"}``, by d."""
    from seqlab.claims import tcn_sees_far  # the TCN's sizes (that module imports this one)
    from seqlab.models.tcn import receptive_field

    p, rows = runs.profile, []

    def add(d: int, model: str, family: str, est: dict | None, prefix: str, seeds: int) -> None:
        if est is not None and (r := runs.first(prefix)) is not None:
            rows.append(
                {"distance": d, "model": model, "family": family, "accuracy": est,
                 "params": r["params"], "seeds": seeds}
            )  # fmt: skip

    families = {m: "recurrent" for m in RECURRENT} | {
        m: "parallel-scan recurrence" for m in MIN_RNNS
    }
    families |= {f"ffnn-k{k}": "window MLP" for k in p.windows}
    for label, family in families.items():  # the distance sweeps, read at each d they cover
        prefix = plan.recall_key(label, p)
        sweep = runs.sweep(prefix, p.distances)
        for r in sweep["rows"] if sweep else ():
            if r["distance"] in distances:
                add(r["distance"], label, family, r["accuracy"], prefix, len(r["per_seed"]))
    k = tcn_sees_far.sizes(p)["kernel"]
    for d in distances:  # the runs trained at one d
        covering = [L for L in tcn_sees_far.levels(p) if receptive_field(k, L) >= d]
        fixed = {"transformer": ("causal Transformer", f"recall/transformer/d{d}")}
        if covering:
            L = min(covering)
            name = f"tcn L={L} (r={receptive_field(k, L)})"
            fixed = {name: ("dilated TCN", f"recall/tcn-L{L}/d{d}")} | fixed
        for name, (family, prefix) in fixed.items():
            add(d, name, family, runs.accuracy(prefix), prefix, len(runs.seeds(prefix)))
    return sorted(rows, key=lambda row: row["distance"])  # stable: models keep their order


# ----- parts several claims decide ----------------------------------------------------------

AT_CHANCE = 0.05  # "at chance": the whole 95% interval within chance ± this (absolute)


def drifts(name: str, fd: dict) -> Part:
    """``name`` forgets within the grid: its forgetting-distance interval lies inside it
    (an interval reaching below the grid means it may not have recalled even at the shortest
    d, which shows nothing about forgetting)."""
    clause = f"the {name} forgets within d ≤ {fd['grid'][1]}"
    text = f"{name} d½ = {fmt_d(fd)}"
    below, beyond = fd["lo"] == 0.0, fd["hi"] is None
    if below and beyond:
        why = "the interval spans the whole grid (the seeds disagree)"
    elif below:
        why = f"the interval reaches below d={fd['grid'][0]}: it may not have recalled at all"
    elif beyond and fd["d"] is None:
        why = "it did not drift within the distances tested"
    elif beyond:
        why = "the interval reaches beyond the distances tested"
    else:
        return Part(clause, "supported", text)
    return Part(clause, "inconclusive", f"{text}: {why}")


def keeps_longer(a: str, fa: dict, b: str, fb: dict) -> Part:
    """``a``'s forgetting-distance interval lies above ``b``'s."""
    clause = f"the {a} keeps the cue longer than the {b}"
    text = f"{a} d½ = {fmt_d(fa)}, {b} d½ = {fmt_d(fb)}"
    if d_value(fa["lo"]) > d_value(fb["hi"]):
        return Part(clause, "supported", text)
    if d_value(fa["hi"]) < d_value(fb["lo"]):
        return Part(clause, "refuted", text)
    return Part(clause, "inconclusive", text + " (intervals overlap)")


def _where(r: dict) -> str:
    return f"k={r['window']} d={r['distance']} {fmt(r['accuracy'])}"


def window_parts(rows: list[dict], who: str = "FFNN") -> tuple[Part, Part]:
    """Blindness of window FFNNs from ``rows`` ``[{"window", "distance", "accuracy": est,
    "chance"}]`` (both kinds of rows must be present): (1) beyond the window (d > k) every
    interval within chance ± ``AT_CHANCE`` (refuted if one lies wholly above chance +
    ``AT_CHANCE``: an equivalence test, so a negligible, tightly measured excess over chance
    refutes nothing); (2) within
    it (d ≤ k) every interval above chance (else inconclusive: a model that did not learn
    what it sees says nothing about what it cannot see)."""
    blind = [r for r in rows if r["distance"] > r["window"]]
    seeing = [r for r in rows if r["distance"] <= r["window"]]
    chance = rows[0]["chance"]
    leaks = [r for r in blind if r["accuracy"]["lo"] > r["chance"] + AT_CHANCE]
    wide = [
        r
        for r in blind
        if r["accuracy"]["lo"] < r["chance"] - AT_CHANCE
        or r["accuracy"]["hi"] > r["chance"] + AT_CHANCE
    ]
    clause = f"the {who} is at chance beyond its window"
    if leaks:
        lost = Part(
            clause, "refuted", f"above chance {chance:.3g} + {AT_CHANCE}: " + _where(leaks[0])
        )
    elif wide:
        lost = Part(
            clause,
            "inconclusive",
            f"not within chance {chance:.3g} ± {AT_CHANCE}: " + _where(wide[0]),
        )
    else:
        best = max(blind, key=lambda r: r["accuracy"]["mean"])
        lost = Part(
            clause,
            "supported",
            f"all {len(blind)} (k, d) with d > k within chance {chance:.3g} ± {AT_CHANCE} "
            f"(highest {_where(best)})",
        )
    clause = f"the {who} recalls within its window"
    weak = [r for r in seeing if r["accuracy"]["lo"] <= r["chance"]]
    if weak:
        seen = Part(
            clause,
            "inconclusive",
            "not above chance, so blindness cannot be told from a failure to learn: "
            + _where(weak[0]),
        )
    else:
        worst = min(seeing, key=lambda r: r["accuracy"]["mean"])
        seen = Part(
            clause,
            "supported",
            f"all {len(seeing)} (k, d) with d ≤ k above chance (lowest {_where(worst)})",
        )
    return lost, seen


# Distances of the claims that train one run per d (tcn-sees-far, attention-cost), where the
# sweep claims train one run over every d: quick keeps three (one run per model, depth, d and
# seed), full adds one beyond the shallow TCNs' receptive fields; smoke uses its own grid.
FIXED_DISTANCES: dict[str, tuple[int, ...]] = {"quick": (3, 10, 30), "full": (3, 10, 30, 100)}


def fixed_distances(p: Profile) -> tuple[int, ...]:
    """The distances at which a claim trains one run per d (``FIXED_DISTANCES``)."""
    return FIXED_DISTANCES.get(p.name, p.distances)
