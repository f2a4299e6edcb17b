"""Is the series stationary? Decided on the training rows only, before any model is trained.

With statsmodels installed (``pip install seqlab[classic]``) two standard tests:

    ADF   (augmented Dickey-Fuller, H0: a unit root)            ``adfuller``, AIC lag choice
    KPSS  (H0: stationary around a level)                       ``kpss``, automatic lags

The series counts as non-stationary (a trend or a unit root) when ADF cannot reject a unit
root (p > 0.05) or KPSS rejects stationarity strongly (p ≤ 0.01, the end of its table: at
0.05 one stationary series in twenty would be differenced for nothing).

Without statsmodels, a documented fallback: non-stationary when the lag-1 autocorrelation
of the training levels is at least 0.97 (a random walk's is ≈ 1 − 1/n… close to 1), or a
straight line in time explains at least half of their variance (R² ≥ 0.5, a trend).

When non-stationary, the networks model the h-step change x_{t+h} − x_t (the residual over
persistence) instead of the level; see ``seqlab.advisor.run``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
KPSS_ALPHA = 0.01
FALLBACK_R1 = 0.97
FALLBACK_R2 = 0.5


@dataclass(frozen=True)
class Stationarity:
    stationary: bool
    method: str
    detail: str


def check_stationarity(x: np.ndarray) -> Stationarity:
    """The decision of the module docstring for the training values ``x`` (n,)."""
    x = np.asarray(x, dtype=np.float64)
    try:
        from statsmodels.tsa.stattools import adfuller, kpss
    except ImportError:
        return _fallback(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KPSS warns when p lies outside its table
        adf_p = float(adfuller(x, autolag="AIC")[1])
        kpss_p = float(kpss(x, regression="c", nlags="auto")[1])
    stationary = adf_p <= ALPHA and kpss_p > KPSS_ALPHA
    detail = (
        f"ADF p = {adf_p:.3g} (unit root {'rejected' if adf_p <= ALPHA else 'not rejected'}), "
        f"KPSS p = {kpss_p:.3g} (level stationarity "
        f"{'rejected' if kpss_p <= KPSS_ALPHA else 'not rejected'} at {KPSS_ALPHA}); "
        "statsmodels, training rows"
    )
    return Stationarity(stationary, "adf+kpss", detail)


def _fallback(x: np.ndarray) -> Stationarity:
    c = x - x.mean()
    r1 = float(c[:-1] @ c[1:] / (c @ c)) if c @ c > 0 else 0.0
    t = np.arange(len(x), dtype=np.float64)
    slope, intercept = np.polyfit(t, x, 1)
    resid = x - (slope * t + intercept)
    r2 = 1.0 - float(resid @ resid) / float(c @ c) if c @ c > 0 else 0.0
    stationary = r1 < FALLBACK_R1 and r2 < FALLBACK_R2
    detail = (
        f"statsmodels not installed; fallback rule: lag-1 autocorrelation {r1:.3f} "
        f"(non-stationary at >= {FALLBACK_R1}), linear-trend R² {r2:.3f} "
        f"(non-stationary at >= {FALLBACK_R2}); training rows"
    )
    return Stationarity(stationary, "fallback", detail)


__all__ = ["Stationarity", "check_stationarity"]
