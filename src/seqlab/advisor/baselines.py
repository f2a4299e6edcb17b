"""The trivial and classical rows of the comparison, and what the networks are given.

    prep = prepare_series(task, task_opts, out, season=None)    # series: stationarity, season
    rows = series_rows(task, prep)                               # persistence … ETS
    rows, notes = classify_rows(kind, task_opts, seeds)          # majority, 1-NN … per split

Non-stationary series (``seqlab.advisor.stationarity``): the networks are trained on the
h-step change c_t = x_t − x_{t−h} (c_t = 0 for t < h), written to ``out/data/changes.csv``
with as many rows as the user's series, so the split by time, and hence every validation
and test target row, is the same. Predicting c_{t+h} is predicting x_{t+h} − x_t, the
residual over persistence, and its error is the level forecast's error; the task scores
MSE on c standardised by its training std s_c, so on the level scale (standardised by s_x)

    MSE_level = MSE_change · (s_c / s_x)²        (``Prepared.scale``)

which the advisor applies to every network's validation and test value.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.advisor.classify_baselines import classify_scores
from seqlab.advisor.decide import Row, interval
from seqlab.advisor.series_baselines import detect_season, series_forecasts
from seqlab.advisor.stationarity import Stationarity, check_stationarity
from seqlab.tasks import Task, build_task

TRIVIAL = ("persistence", "seasonal-naive", "mean", "majority")
CHEAP = ("majority", "1nn-euclidean", "ridge")


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Small least-squares problems on one BLAS thread: on a busy 2-core machine a 840 × 129
    ``lstsq`` took 2.5 s with OpenBLAS's 2 threads and 0.02 s with one (measured)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1):
        yield


@dataclass(frozen=True)
class Prepared:
    """What the networks train on: the task options, the task, and the factor that puts
    their MSE on the user's level scale (1 for levels)."""

    options: dict[str, Any]
    task: Task
    scale: float
    stationarity: Stationarity | None
    season: int | None
    note: str


def _levels(task: Task) -> np.ndarray:
    """The target's values on the user's scale (n,) float64, as the task read them."""
    z = task.z[:, 0].double().numpy()
    return z * float(task.std[0]) + float(task.mean[0])


def prepare_series(
    task: Task, task_opts: dict[str, Any], out: Path, season: int | None = None
) -> Prepared:
    """Stationarity, the season, and the data the networks train on (module docstring)."""
    n_train = task.target_ranges["train"][1]
    x = _levels(task)
    st = check_stationarity(x[:n_train])
    found = season or detect_season(task.z[:n_train, 0].double().numpy(), not st.stationary)
    how = "given (--season)" if season else ("detected" if found else "none detected")
    season_note = f"season: {found} ({how})" if found else f"season: {how}"
    if st.stationary:
        note = (
            f"Stationarity: {st.detail}: stationary, so the networks model the levels. "
            f"{season_note}."
        )
        return Prepared(task_opts, task, 1.0, st, found, note)
    h = task.horizon
    change = np.zeros_like(x)
    change[h:] = x[h:] - x[:-h]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "changes.csv"
    path.write_text("change\n" + "".join(f"{v:.17g}\n" for v in change), encoding="utf-8")
    opts = {k: v for k, v in task_opts.items() if k not in ("fill", "limit", "target", "sort")}
    opts.update({"data": str(path.resolve()), "target": "change"})
    opts.pop("covariates", None)
    net_task = build_task("series", opts, seed=0)
    scale = (float(net_task.std[0]) / float(task.std[0])) ** 2
    note = (
        f"Stationarity: {st.detail}: a trend or unit root, so the networks model the "
        f"{h}-step change x(t+{h}) − x(t) (the residual over persistence; {path.name}) and "
        f"their MSE is put back on the level scale (× {scale:.4g}). {season_note}."
    )
    return Prepared(opts, net_task, scale, st, found, note)


def _row(kind: str, name: str, valid: list[float], test: list[float], secs: float,
         detail: str, params: int | None = None) -> Row:  # fmt: skip
    return Row(
        cand=None,
        lr=None,
        valid=interval(valid),
        test=interval(test),
        per_seed_test=list(test),
        train_seconds=secs,
        steps=[],
        kind=kind,
        label=name,
        detail=detail,
        params=params,
        per_seed_valid=list(valid),
    )


def series_rows(task: Task, prep: Prepared) -> list[Row]:
    """Persistence, seasonal naive, mean, AR on levels and changes, ETS (one value each:
    the split by time is fixed and the fits are deterministic)."""
    z = task.z[:, 0].double().numpy()
    trend = prep.stationarity is not None and not prep.stationarity.stationary
    fc = series_forecasts(z, task.target_ranges, task.horizon, prep.season, trend)
    rows = []
    for f in fc:
        if not math.isfinite(f.valid):
            continue
        kind = "trivial" if f.name in TRIVIAL else "classical"
        rows.append(_row(kind, f.name, [f.valid], [f.test], f.seconds, f.detail, f.params))
    return rows


def classify_rows(
    task_opts: dict[str, Any],
    seeds: range,
    first: Task | None = None,
    seconds: float = math.inf,
    cache: dict | None = None,
) -> tuple[list[Row], list[str], float]:
    """Majority, 1-NN, ridge, 1-NN DTW, MiniRocket on the split of every seed in ``seeds``
    (the networks' splits), as intervals over those splits; also notes and seconds spent.
    Every method runs on the first split; once ``seconds`` are spent, the other splits are
    scored by the cheap methods only (the row says over how many splits). ``cache`` keeps
    each seed's scores between calls (a later call with more seeds scores only the new)."""
    import time

    per: dict[str, dict[str, list]] = {}
    notes: list[str] = []
    t0 = time.perf_counter()
    cache = {} if cache is None else cache
    for s in seeds:
        if s not in cache:
            task = first if (first is not None and s == 0) else build_task("classify", task_opts, s)
            x = task.x.double().numpy()
            labels = task.label_ids.numpy()
            spent = time.perf_counter() - t0
            over = s > seeds[0] and spent > seconds
            only = CHEAP if over else None
            cache[s] = classify_scores(x, labels, task.split_index, s, only, seconds - spent)
        scored, skipped = cache[s]
        for note in skipped:
            if note not in notes:
                notes.append(note)
        for sc in scored:
            d = per.setdefault(sc.name, {"valid": [], "test": [], "secs": [], "detail": sc.detail})
            d["valid"].append(sc.valid)
            d["test"].append(sc.test)
            d["secs"].append(sc.seconds)
    n = len(seeds)
    for name, d in per.items():
        if len(d["valid"]) < n:
            notes.append(
                f"{name}: scored on {len(d['valid'])} of {n} splits (the classical baselines' "
                f"share of the budget, {seconds:.0f} s, was spent)"
            )
    rows = [
        _row(
            "trivial" if name in TRIVIAL else "classical",
            name,
            d["valid"],
            d["test"],
            float(np.mean(d["secs"])),
            d["detail"],
        )
        for name, d in per.items()
    ]
    return rows, notes, (time.perf_counter() - t0) / max(1, n)


def text_rows(task: Task) -> list[Row]:
    """The text task's own baselines (test only: they take no part in the decision)."""
    return [
        _row("trivial", name, [math.nan], [v], 0.0, "the task's baseline (test only)")
        for name, v in task.baselines().items()
        if name != "chance"
    ]


__all__ = [
    "one_blas_thread",
    "Prepared",
    "classify_rows",
    "prepare_series",
    "series_rows",
    "text_rows",
]
