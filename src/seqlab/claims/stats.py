"""Intervals for the numbers a verdict compares.

Every compared number is reported as ``{"mean", "lo", "hi", "n", "method"}``:

* several seeds: mean ± t_{0.975, n−1} · s / √n (Student's t interval over seeds);
* one seed, an accuracy over ``n`` evaluation examples: the Wilson score interval;
* a difference of two independent estimates: the difference of means with half-width
  √(h₁² + h₂²) (each hᵢ the half-width above) — conservative for two Wilson intervals.

A verdict that says "A exceeds B" requires the whole interval of A − B to lie above 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# two-sided 97.5% quantiles of Student's t for n-1 = 1..30 degrees of freedom
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip
Z975 = 1.959964


def t975(dof: int) -> float:
    if dof < 1:
        raise ValueError("need at least 2 values for a t interval")
    return _T975[dof - 1] if dof <= len(_T975) else Z975


def mean_interval(values: Sequence[float], over: str = "seeds") -> dict:
    """Student-t 95% interval of the mean of ``values`` (independent: one per seed, per
    example, per measurement round — ``over`` names which, for the report)."""
    n = len(values)
    m = sum(values) / n
    if n == 1:
        return {"mean": m, "lo": m, "hi": m, "n": 1, "method": "single value"}
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    h = t975(n - 1) * sd / math.sqrt(n)
    return {"mean": m, "lo": m - h, "hi": m + h, "n": n, "method": f"t, over {over}"}


def wilson_interval(p: float, n: int) -> dict:
    """Wilson score 95% interval of an accuracy ``p`` measured on ``n`` examples."""
    z = Z975
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return {"mean": p, "lo": centre - h, "hi": centre + h, "n": n, "method": "Wilson, 1 seed"}


def accuracy_interval(values: Sequence[float], n_eval: int) -> dict:
    """Accuracies of one or more seeds: t over seeds when >= 2 (clipped to [0, 1], where an
    accuracy lives), else Wilson on ``n_eval``."""
    if len(values) < 2:
        return wilson_interval(values[0], n_eval)
    est = mean_interval(values)
    return {**est, "lo": max(0.0, est["lo"]), "hi": min(1.0, est["hi"])}


def difference(a: dict, b: dict) -> dict:
    """``a − b`` for two independent interval estimates (half-widths added in quadrature).

    The half-widths of an asymmetric interval are taken as its larger side.
    """
    ha = max(a["hi"] - a["mean"], a["mean"] - a["lo"])
    hb = max(b["hi"] - b["mean"], b["mean"] - b["lo"])
    d, h = a["mean"] - b["mean"], math.sqrt(ha * ha + hb * hb)
    return {"mean": d, "lo": d - h, "hi": d + h, "n": min(a["n"], b["n"]), "method": "difference"}


def above(est: dict, threshold: float) -> bool:
    """The whole interval lies above ``threshold``."""
    return est["lo"] > threshold


def below(est: dict, threshold: float) -> bool:
    return est["hi"] < threshold


def contains(est: dict, value: float) -> bool:
    return est["lo"] <= value <= est["hi"]


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> dict:
    """Least squares ``y = a + b·x``: slope, intercept and r²."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - my) ** 2 for y in ys)
    b = sxy / sxx if sxx else 0.0
    r2 = (sxy * sxy / (sxx * syy)) if sxx and syy else 1.0
    return {"slope": b, "intercept": my - b * mx, "r2": r2}


# ----- forgetting distance ------------------------------------------------------------------

BOOTSTRAP = 2000  # resamples for the forgetting-distance interval
BOOTSTRAP_SEED = 0  # fixed: the same numbers give the same interval


def _crossing(ds: np.ndarray, acc: np.ndarray, level: float) -> np.ndarray:
    """Where each curve of ``acc`` ``(..., len(ds))`` first falls below ``level``,
    interpolated linearly in log d: 0.0 when it starts below (d½ < ds[0]), inf when it never
    falls below (d½ > ds[-1])."""
    below = acc < level  # (..., m)
    first = below.argmax(axis=-1)  # index of the first point below
    out = np.full(acc.shape[:-1], np.inf)
    out[below[..., 0]] = 0.0
    inner = below.any(axis=-1) & ~below[..., 0]
    i = first[inner]
    a0 = np.take_along_axis(acc[inner], (i - 1)[:, None], axis=-1)[:, 0]
    a1 = np.take_along_axis(acc[inner], i[:, None], axis=-1)[:, 0]
    logd = np.log(ds)
    frac = (a0 - level) / (a0 - a1)  # a0 >= level > a1, so in (0, 1]
    out[inner] = np.exp(logd[i - 1] + frac * (logd[i] - logd[i - 1]))
    return out


def _finite(x: float) -> float | None:
    """inf (beyond the grid) -> None, for JSON."""
    return None if math.isinf(x) else float(x)


def forgetting_distance(
    distances: Sequence[int],
    acc: Sequence[Sequence[float]],
    n: Sequence[Sequence[int]],
    chance: float,
) -> dict:
    """The distance at which mean accuracy first falls halfway from perfect to chance.

    ``acc[s][j]`` is seed s's accuracy at ``distances[j]`` measured on ``n[s][j]`` examples.
    The curve is the mean over seeds; the level is ``(1 + chance) / 2``; d½ is interpolated
    linearly in log d between the grid points around the first crossing. 95% interval: the
    2.5 and 97.5 percentiles over ``BOOTSTRAP`` resamples that draw the seeds with
    replacement and, for each drawn seed and d, its accuracy as Binomial(n, acc) / n (the
    test examples resampled), with a fixed generator.

    Returns ``{"d", "lo", "hi", "level", "grid": [d_min, d_max], "method"}``: a value of 0.0
    means below the grid (d½ < d_min); None means beyond it (the model never fell to the
    level within d <= d_max)."""
    ds = np.asarray(distances, dtype=float)
    a = np.asarray(acc, dtype=float)  # (S, m)
    counts = np.asarray(n, dtype=np.int64)
    level = (1.0 + chance) / 2.0
    point = float(_crossing(ds, a.mean(axis=0), level))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    S = a.shape[0]
    pick = rng.integers(0, S, size=(BOOTSTRAP, S))  # (B, S) seeds drawn with replacement
    draws = rng.binomial(counts[pick], a[pick]) / counts[pick]  # (B, S, m)
    boot = _crossing(ds, draws.mean(axis=1), level)  # (B,)
    lo, hi = np.percentile(boot, [2.5, 97.5], method="nearest")
    return {
        "d": _finite(point),
        "lo": _finite(float(lo)),
        "hi": _finite(float(hi)),
        "level": level,
        "grid": [int(ds[0]), int(ds[-1])],
        "method": f"log-d interpolation; bootstrap over {S} seed(s) and test examples",
    }


def d_value(x: float | None) -> float:
    """A forgetting-distance field back to a number: None (beyond the grid) -> inf."""
    return math.inf if x is None else float(x)


def fmt_d(fd: dict) -> str:
    """``23 [17, 31]``, with ``<2`` below and ``>80`` beyond the grid."""

    def one(x: float | None) -> str:
        if x is None:
            return f">{fd['grid'][1]}"
        if x == 0.0:
            return f"<{fd['grid'][0]}"
        return f"{x:.3g}"

    return f"{one(fd['d'])} [{one(fd['lo'])}, {one(fd['hi'])}]"
