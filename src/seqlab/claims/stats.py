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
