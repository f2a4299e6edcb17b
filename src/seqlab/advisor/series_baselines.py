"""Classical forecasts of a ``series`` task: what a practitioner tries before a network.

Every forecast is scored exactly like the networks: MSE on the task's normalised scale
(z = (v − mean) / std of the training rows), on the same validation and test target rows,
``horizon`` h steps ahead. For a target row t the forecast origin is row t − h:

    persistence         ẑ_t = z_{t−h}
    seasonal naive      ẑ_t = z_{t − m·⌈h/m⌉}              (season m detected or given)
    mean                ẑ_t = 0                             (the training mean)
    AR(p) on levels     ẑ_t = c + Σ_{i<p} a_i z_{t−h−i}
    AR(p) on changes    ẑ_t = z_{t−h} + c + Σ_{i<p} a_i Δz_{t−h−i},   Δz_s = z_s − z_{s−1}
    ETS                 Holt-Winters (statsmodels, optional; h = 1 only)

AR coefficients are the exact least-squares solution (``numpy.linalg.lstsq``) of the direct
h-step regression over the training targets; the order p is chosen on validation from
``ar_orders`` (1 … 12, then a geometric grid, plus the season m and m + 1): the smallest p
whose validation MSE is within PARSIMONY (2 %) of the best, as the advisor's own "within
noise" rule prefers the simpler model. Only the chosen order is scored on test.

Season: among the local maxima of the autocorrelation of the training values z (minus a
straight line fitted to them, for a series with a trend) at lags in [2, n_train / 3], the
shortest lag whose peak is at least 0.8 × the highest (multiples of a season repeat its
peak), kept when that peak is at least MIN_SEASON_ACF (a clear, repeated pattern; the 95 %
band of white noise, 2/√n, is far lower for any series long enough to fit a season); else
no season.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

MAX_ORDER = 128
MIN_SEASON_ACF = 0.3
PARSIMONY = 0.02  # the smallest AR order within 2 % of the best validation MSE


@dataclass
class Forecast:
    """One classical forecast: validation and test MSE, and how it was chosen."""

    name: str
    valid: float
    test: float
    params: int
    order: int | None = None
    seconds: float = 0.0
    detail: str = ""
    valid_by_order: dict[int, float] = field(default_factory=dict)


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation r_0 … r_max_lag of ``x`` (biased estimator, as in statsmodels'
    ``acf``): r_k = Σ (x_t − x̄)(x_{t+k} − x̄) / Σ (x_t − x̄)²."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = float(x @ x) or 1.0
    return np.array([float(x[: len(x) - k] @ x[k:]) / denom for k in range(max_lag + 1)])


def detect_season(z_train: np.ndarray, trend: bool) -> int | None:
    """The season m of the training rows (module docstring), or None."""
    x = z_train
    if trend:  # a trend: remove a straight line (differences would drown the season)
        t = np.arange(len(x), dtype=np.float64)
        x = x - np.polyval(np.polyfit(t, x, 1), t)
    top = min(len(x) // 3, 400)
    if top < 3:
        return None
    r = autocorrelation(x, top + 1)
    band = max(MIN_SEASON_ACF, 2.0 / math.sqrt(len(x)))
    lags = np.arange(2, top + 1)
    local = (r[lags] > r[lags - 1]) & (r[lags] >= r[lags + 1]) & (r[lags] > band)
    if not local.any():
        return None
    cands = lags[local]
    # the shortest lag close to the strongest: multiples of a season repeat its peak
    return int(cands[np.argmax(r[cands] >= 0.8 * r[cands].max())])


def ar_orders(n_train: int, season: int | None) -> list[int]:
    top = max(1, min(MAX_ORDER, n_train // 5))
    grid = set(range(1, 13)) | {16, 24, 32, 48, 64, 96, 128}
    if season:
        grid |= {season, season + 1}
    return sorted(p for p in grid if p <= top)


def _design(z: np.ndarray, rows: np.ndarray, h: int, p: int, changes: bool) -> np.ndarray:
    """(len(rows), p + 1) regressors of the direct h-step AR for target rows ``rows``."""
    origin = rows - h
    lags = origin[:, None] - np.arange(p)[None, :]  # (n, p)
    x = z[lags] - z[lags - 1] if changes else z[lags]
    return np.hstack([np.ones((len(rows), 1)), x])


def _fit_ar(z: np.ndarray, ranges: dict, h: int, p: int, changes: bool):
    first = h + p - 1 + (1 if changes else 0)  # earliest target row with every lag
    a, b = ranges["train"]
    rows = np.arange(max(a, first), b)
    if len(rows) < 2 * (p + 1):
        return None
    X = _design(z, rows, h, p, changes)
    y = z[rows] - (z[rows - h] if changes else 0.0)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return coef


def _ar_errors(
    z: np.ndarray, coef: np.ndarray, split: tuple[int, int], h: int, p: int, changes: bool
) -> np.ndarray:
    """Squared error (n,) of the fitted AR at every target row of ``split``."""
    rows = np.arange(*split)
    pred = _design(z, rows, h, p, changes) @ coef + (z[rows - h] if changes else 0.0)
    return (z[rows] - pred) ** 2


def ar_forecast(z: np.ndarray, ranges: dict, h: int, orders: list[int], changes: bool) -> Forecast:
    """AR(p) on levels or changes, p chosen on validation (module docstring)."""
    t0 = time.perf_counter()
    by_order: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    for p in orders:
        if ranges["valid"][0] - h - p - 1 < 0:
            continue
        coef = _fit_ar(z, ranges, h, p, changes)
        if coef is None:
            continue
        fits[p] = coef
        by_order[p] = float(np.mean(_ar_errors(z, coef, ranges["valid"], h, p, changes)))
    name = "ar-changes" if changes else "ar-levels"
    if not by_order:
        return Forecast(name, math.nan, math.nan, 0, detail="too few training rows")
    best = min(by_order.values())
    p = min(q for q, v in by_order.items() if v <= (1 + PARSIMONY) * best)
    test = float(np.mean(_ar_errors(z, fits[p], ranges["test"], h, p, changes)))
    what = "changes Δz" if changes else "levels"
    detail = (
        f"AR({p}) on {what}, least squares on the training rows; p chosen on validation "
        f"from {orders[0]}…{max(by_order)} (smallest within {PARSIMONY:.0%} of the best)"
    )
    secs = time.perf_counter() - t0
    return Forecast(name, by_order[p], test, p + 1, p, secs, detail, by_order)


def _scored(name: str, z: np.ndarray, pred: np.ndarray, ranges: dict, params: int = 0,
            detail: str = "", seconds: float = 0.0) -> Forecast:  # fmt: skip
    """A forecast ``pred`` (n,) of every row of ``z``, scored on validation and test."""
    err = {s: (z[slice(*ranges[s])] - pred[slice(*ranges[s])]) ** 2 for s in ("valid", "test")}
    return Forecast(name, float(np.mean(err["valid"])), float(np.mean(err["test"])), params,
                    seconds=seconds, detail=detail)  # fmt: skip


def _lagged(z: np.ndarray, lag: int) -> np.ndarray:
    """ẑ_t = z_(t−lag) (NaN where t < lag)."""
    pred = np.full_like(z, np.nan)
    pred[lag:] = z[:-lag]
    return pred


def ets_forecast(z: np.ndarray, ranges: dict, season: int | None, trend: bool) -> Forecast | None:
    """Holt-Winters exponential smoothing (statsmodels), one step ahead: parameters and
    initial states fitted on the training rows, then the same smoother run over all rows
    (``fittedvalues`` are one-step-ahead forecasts). None without statsmodels."""
    try:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
    except ImportError:
        return None
    import warnings

    t0 = time.perf_counter()
    n_train = ranges["train"][1]
    seasonal = "add" if season and 2 * season <= n_train else None
    kw = {
        "trend": "add" if trend else None,
        "seasonal": seasonal,
        "seasonal_periods": season if seasonal else None,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(z[:n_train], initialization_method="estimated", **kw).fit()
        p = fit.params
        known = {"initial_level": p["initial_level"]}
        if trend:
            known["initial_trend"] = p["initial_trend"]
        if seasonal:
            known["initial_seasonal"] = p["initial_seasons"]
        full = ExponentialSmoothing(z, initialization_method="known", **known, **kw).fit(
            smoothing_level=p["smoothing_level"],
            smoothing_trend=p.get("smoothing_trend") if trend else None,
            smoothing_seasonal=p.get("smoothing_seasonal") if seasonal else None,
            optimized=False,
        )
    pred = np.asarray(full.fittedvalues)
    parts = ["level"] + (["trend"] if trend else []) + ([f"season {season}"] if seasonal else [])
    detail = f"Holt-Winters ({', '.join(parts)}; additive), statsmodels, fitted on training rows"
    n_par = 2 + (2 if trend else 0) + ((1 + season) if seasonal else 0)
    return _scored("ets", z, pred, ranges, n_par, detail, time.perf_counter() - t0)


def series_forecasts(
    z: np.ndarray, ranges: dict, h: int, season: int | None, trend: bool
) -> list[Forecast]:
    """Every classical forecast of the module docstring, on target ``z`` (n,) float64."""
    out = [_scored("persistence", z, _lagged(z, h), ranges, detail=f"ẑ_t = z_(t−{h})")]
    if season:
        lag = season * math.ceil(h / season)
        if ranges["valid"][0] - lag >= 0:
            what = f"season {season} (ẑ_t = z_(t−{lag}))"
            out.append(_scored("seasonal-naive", z, _lagged(z, lag), ranges, detail=what))
    out.append(_scored("mean", z, np.zeros_like(z), ranges, detail="the training mean"))
    orders = ar_orders(ranges["train"][1], season)
    out.append(ar_forecast(z, ranges, h, orders, changes=False))
    out.append(ar_forecast(z, ranges, h, orders, changes=True))
    if h == 1:
        ets = None
        try:
            ets = ets_forecast(z, ranges, season, trend)
        except (ValueError, np.linalg.LinAlgError, KeyError):
            ets = None
        if ets is not None and math.isfinite(ets.valid):
            out.append(ets)
    return out


__all__ = [
    "Forecast",
    "ar_forecast",
    "ar_orders",
    "autocorrelation",
    "detect_season",
    "ets_forecast",
    "series_forecasts",
]
