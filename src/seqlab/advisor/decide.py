"""From the runs to the answer: intervals over seeds, the memory horizon, a recommendation.

Every decision uses the *validation* numbers (selection on validation only); the report
shows the *test* numbers of the same candidates.

Within noise. Candidate c is within noise of the best candidate b when c's mean is worse
than b's by no more than b's own seed-to-seed noise — the half-width h_b of b's 95 %
interval (Student t over seeds) — or by no more than ``tolerance`` × |b| (a
practical-equivalence margin: tiny but consistent gaps between nearly deterministic models
are not worth a different architecture). The candidate's own spread does not widen the
margin, so an erratic candidate is not "as good" just because its interval is wide.

Memory horizon. The smallest window k at which a window model (a linear window or a window
FFNN: both see exactly the last k steps) is within noise of the best candidate. None when
no window up to the widest one is: information from further back matters.

Recommendation, in order:

1. No trained candidate beats the best trivial baseline on test -> that baseline.
   "Beats" means the model's whole test interval lies on the better side of the
   baseline, or every seed is better than it by more than the tolerance.
2. A memory horizon k exists -> the window model at k (the linear window when it is within
   noise, else the window FFNN): it is as good as the best, and sees only k steps.
3. Otherwise the best candidate (a recurrent model): information from beyond the widest
   window matters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from seqlab.advisor.plan import Candidate
from seqlab.claims.stats import mean_interval

TOLERANCE = 0.02
NAMES = {
    "linear": "linear window",
    "ffnn": "window FFNN",
    "rnn": "RNN",
    "lstm": "LSTM",
    "gru": "GRU",
}


@dataclass
class Row:
    """One candidate's numbers over seeds."""

    cand: Candidate
    lr: float
    valid: dict  # interval estimate {"mean", "lo", "hi", "n", ...}
    test: dict
    per_seed_test: list[float]
    train_seconds: float
    steps: list[int]
    latency_ms: float | None = None
    lr_search: dict = field(default_factory=dict)  # lr -> validation value (seed 0)

    @property
    def name(self) -> str:
        c = self.cand
        return NAMES[c.family] + (f" (k={c.window})" if c.window is not None else "")


def interval(values: Sequence[float]) -> dict:
    """Mean and 95 % t interval over seeds (a single seed: the value itself)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return {"mean": math.nan, "lo": math.nan, "hi": math.nan, "n": 0, "method": "none"}
    return mean_interval(finite)


def better(a: float, b: float, higher: bool) -> bool:
    return a > b if higher else a < b


def gap(c: dict, b: dict, higher: bool) -> float:
    """How much worse c is than b (>= 0 when b is better), in the metric's units."""
    return (b["mean"] - c["mean"]) if higher else (c["mean"] - b["mean"])


def within_noise(c: dict, b: dict, higher: bool, tolerance: float = TOLERANCE) -> bool:
    if not (math.isfinite(c["mean"]) and math.isfinite(b["mean"])):
        return False
    h_b = max(b["hi"] - b["mean"], b["mean"] - b["lo"])
    return gap(c, b, higher) <= max(h_b, tolerance * abs(b["mean"]))


def best_row(rows: Sequence[Row], higher: bool) -> Row:
    finite = [r for r in rows if math.isfinite(r.valid["mean"])]
    if not finite:
        raise ValueError("no candidate has a finite validation value")
    key = (lambda r: -r.valid["mean"]) if higher else (lambda r: r.valid["mean"])
    return min(finite, key=key)


def memory_horizon(rows: Sequence[Row], best: Row, higher: bool, tol: float) -> int | None:
    ks = sorted({r.cand.window for r in rows if r.cand.is_window})
    for k in ks:
        at_k = [r for r in rows if r.cand.window == k and r.cand.is_window]
        if any(within_noise(r.valid, best.valid, higher, tol) for r in at_k):
            return k
    return None


def beats_baseline(row: Row, baseline: float, higher: bool, tol: float) -> bool:
    t = row.test
    if not math.isfinite(t["mean"]):
        return False
    if better(t["lo"] if higher else t["hi"], baseline, higher) and t["lo"] != t["hi"]:
        return True
    margin = tol * abs(baseline)
    shifted = baseline + margin if higher else baseline - margin
    return bool(row.per_seed_test) and all(better(v, shifted, higher) for v in row.per_seed_test)


def fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:.3g}"


def fmt_interval(e: dict) -> str:
    if e.get("n", 0) < 2:
        return fmt(e["mean"])
    return f"{fmt(e['mean'])} [{fmt(e['lo'])}, {fmt(e['hi'])}]"


@dataclass(frozen=True)
class Decision:
    model: str
    window: int | None
    reason: str
    horizon: int | None
    best: str
    rule: str


RULE = (
    "Selection on validation, numbers reported on test. "
    "Within noise: the candidate's mean is worse than the best candidate's by at most the "
    "best's 95% interval half-width over seeds, or by at most {tol:.0%} of the best value. "
    "Memory horizon: the smallest window k whose linear window or window FFNN is within "
    "noise of the best candidate. "
    "Recommendation: the trivial baseline if no candidate beats it on test (whole interval "
    "better, or every seed better by the tolerance); else the window model at the memory "
    "horizon; else the best candidate."
)


def recommend(
    rows: Sequence[Row],
    baselines: Mapping[str, float],
    metric: str,
    higher: bool,
    tol: float = TOLERANCE,
) -> Decision:
    """The recommendation (module docstring) with a plain-language reason."""
    rule = RULE.format(tol=tol)
    best = best_row(rows, higher)
    horizon = memory_horizon(rows, best, higher, tol)
    if baselines:
        bname = min(baselines, key=(lambda n: -baselines[n]) if higher else baselines.get)
        bval = baselines[bname]
        if not any(beats_baseline(r, bval, higher, tol) for r in rows):
            reason = (
                f"No trained candidate beats the trivial baseline. The best on validation, the "
                f"{best.name}, scores {metric} {fmt_interval(best.test)} on test against "
                f"{fmt(bval)} for the {bname} baseline, which needs no training. Use the "
                f"{bname} baseline; a model may need more data, a larger --budget-minutes, "
                "or there may be nothing more to predict."
            )
            return Decision(bname, None, reason, horizon, best.cand.key, rule)

    recurrent = [r for r in rows if not r.cand.is_window and math.isfinite(r.valid["mean"])]
    best_rec = best_row(recurrent, higher) if recurrent else None
    windows = [r for r in rows if r.cand.is_window]
    widest = max((r.cand.window for r in windows), default=None)

    if horizon is not None:
        at_k = [r for r in windows if r.cand.window == horizon]
        ok = [r for r in at_k if within_noise(r.valid, best.valid, higher, tol)]
        pick = next((r for r in ok if r.cand.family == "linear"), ok[0])
        what = "linear autoregressive window" if pick.cand.family == "linear" else "window FFNN"
        parts = [
            f"A {what} of {horizon} step{'s' if horizon != 1 else ''} is enough: its validation "
            f"{metric} {fmt_interval(pick.valid)} is within noise of the best candidate"
            + (" (itself)" if pick is best else f", the {best.name} ({fmt_interval(best.valid)})")
            + f"; on test it scores {fmt_interval(pick.test)}."
        ]
        shorter = [r for r in windows if r.cand.window < horizon]
        if shorter:
            prev = best_row(shorter, higher)
            parts.append(
                f"Shorter windows are measurably worse (best of them: the {prev.name}, "
                f"{fmt_interval(prev.valid)}), so information from about {horizon} steps "
                "back matters, and not more."
            )
        if best_rec is not None and pick.latency_ms and best_rec.latency_ms:
            ratio = best_rec.latency_ms / pick.latency_ms
            if ratio >= 1:
                parts.append(
                    f"It is {ratio:.1f}× cheaper per step than the best recurrent model, the "
                    f"{best_rec.name} ({fmt(pick.latency_ms)} vs {fmt(best_rec.latency_ms)} ms "
                    f"per step at inference; {pick.cand.params} vs {best_rec.cand.params} "
                    "parameters)."
                )
            else:
                parts.append(
                    f"It is {1 / ratio:.1f}× slower per step than the {best_rec.name} "
                    f"({fmt(pick.latency_ms)} vs {fmt(best_rec.latency_ms)} ms per step), but "
                    f"needs no state between steps; {pick.cand.params} vs "
                    f"{best_rec.cand.params} parameters."
                )
        return Decision(pick.cand.family, horizon, " ".join(parts), horizon, best.cand.key, rule)

    parts = [
        f"Use the {best.name}: information from at least {widest} steps back matters. "
        if widest is not None
        else f"Use the {best.name}. ",
        f"It scores validation {metric} {fmt_interval(best.valid)} and test "
        f"{fmt_interval(best.test)}.",
    ]
    if widest is not None:
        wide = best_row([r for r in windows if r.cand.window == widest], higher)
        parts.append(
            f" The widest window tried, the {wide.name}, reaches only "
            f"{fmt_interval(wide.valid)} on validation, outside the noise."
        )
        if wide.latency_ms and best.latency_ms:
            parts.append(
                f" The {best.name} costs {fmt(best.latency_ms)} ms per step at inference "
                f"(the window FFNN {fmt(wide.latency_ms)})."
            )
    return Decision(best.cand.family, None, "".join(parts), None, best.cand.key, rule)
