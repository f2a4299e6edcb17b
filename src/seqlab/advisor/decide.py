"""From the runs to the answer: intervals over seeds, the memory horizon, a recommendation.

One module (~420 lines) because the selection rules below read one set of rows and are only
correct together: split, each part would restate the others' definitions.

Every decision uses the *validation* numbers (selection on validation only); the report
shows the *test* numbers of the same candidates. Three kinds of rows compete:

    trivial     no fitting: persistence, seasonal naive, the training mean (series);
                the majority class (classification)
    classical   fitted by a maintained or exact method: AR(p) on levels and on changes,
                ETS (series); 1-NN (Euclidean, DTW), ridge, MiniRocket (classification)
    trained     the networks: linear and FFNN windows, RNN, LSTM, GRU

Within noise. Row c is within noise of the best row b when c's mean is worse than b's by
no more than the largest of: the seed-to-seed noise — the 95 % half-width (Student t) of
the mean per-seed difference c − b when both were measured on the same seeds (splits),
else of b's own interval; ``tolerance`` × |b| (a practical-
equivalence margin: tiny but consistent gaps are not worth a more complex model); and the
95 % sampling half-width of b's value on a validation set of n scored targets (when n is
given): 1.96 · b · √(2/n) for an MSE (the standard error of a mean of n squared Gaussian
errors), the Wilson half-width for an accuracy. A validation set of 46 points cannot tell
MSE 0.24 from 0.28, however many seeds agree. The candidate's own spread does not widen
the margin, so an erratic candidate is not "as good" just because its interval is wide.

Memory horizon. The smallest window k at which a window model (a linear window or a window
FFNN: both see exactly the last k steps) is within noise of the best *trained* row (the
question is which network: trained for the same seconds, they are compared as equals).
None when no window up to the widest one is.

Recommendation, the simplest row within noise of the best on validation:

1. a baseline, if one is within noise of the best: of those, the one with the best
   validation mean (over the splits), trivial or classical. A least-squares AR or a ridge
   classifier is as cheap to use as persistence or the majority class, so simplicity does
   not override the mean: on a small validation set the sampling margin can put the
   majority class or persistence "within noise" of everything, and the mean still
   separates them from a clearly better classical method;
2. else, when a memory horizon k exists, the window model at k (the linear window when it
   is within noise, else the window FFNN);
3. else a sequence model (RNN, LSTM, GRU, TCN, Transformer, minGRU: information from
   beyond the widest window matters): of those within noise of the best trained row, the
   one cheapest per step at inference (measured), with the reason its family is an answer
   (a TCN's receptive field, attention, a parallel scan).

So no recommended model is worse on validation than persistence, seasonal naive or the
mean: when any of those is within noise of the best, rule 1 recommends a baseline at
least as good on validation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from seqlab.advisor.plan import Candidate
from seqlab.claims.stats import mean_interval

TOLERANCE = 0.02
KINDS = ("trivial", "classical", "trained")


@dataclass
class Row:
    """One candidate's numbers over seeds (or splits). Trained rows carry their
    ``Candidate``; trivial and classical rows a ``label`` and a ``detail`` instead."""

    cand: Candidate | None
    lr: float | None
    valid: dict  # interval estimate {"mean", "lo", "hi", "n", ...}
    test: dict
    per_seed_test: list[float]
    train_seconds: float
    steps: list[int]
    latency_ms: float | None = None
    lr_search: dict = field(default_factory=dict)  # lr -> validation value (seed 0)
    kind: str = "trained"
    label: str = ""
    detail: str = ""
    under_trained: int = 0  # seeds whose validation was still improving at the last check
    params: int | None = None
    per_seed_valid: list[float] = field(default_factory=list)  # in seed order

    @property
    def name(self) -> str:
        return self.cand.name if self.cand is not None else self.label

    @property
    def key(self) -> str:
        return self.cand.key if self.cand is not None else self.label

    @property
    def is_window(self) -> bool:
        return self.cand is not None and self.cand.is_window

    @property
    def window(self) -> int | None:
        return self.cand.window if self.cand is not None else None


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


def half_width(e: dict) -> float:
    return max(e["hi"] - e["mean"], e["mean"] - e["lo"])


def sampling_half_width(value: float, metric: str, n: int | None) -> float:
    """95 % half-width of a validation ``metric`` measured on ``n`` targets (module
    docstring); 0 when n is unknown or the metric has no such formula here."""
    if not n or not math.isfinite(value):
        return 0.0
    if metric == "mse":
        return 1.96 * abs(value) * math.sqrt(2.0 / n)
    if metric == "accuracy":
        from seqlab.claims.stats import wilson_interval

        w = wilson_interval(min(1.0, max(0.0, value)), n)
        return max(w["hi"] - value, value - w["lo"])
    return 0.0


def within_noise(
    c: dict, b: dict, higher: bool, tolerance: float = TOLERANCE, sampling: float = 0.0
) -> bool:
    if not (math.isfinite(c["mean"]) and math.isfinite(b["mean"])):
        return False
    return gap(c, b, higher) <= max(half_width(b), tolerance * abs(b["mean"]), sampling)


def margin(c: Row, b: Row, tolerance: float, sampling: float) -> float:
    """How much worse than b the row c may be and still be within noise (module docstring).
    The seed noise is that of the per-seed differences c − b when both were measured on the
    same seeds (paired: a classifier worse on every split is not "as good" because the
    splits differ), else the half-width of b's interval."""
    cv, bv = list(c.per_seed_valid), list(b.per_seed_valid)
    if len(cv) == 1 and len(bv) > 1:
        cv = cv * len(bv)  # a deterministic row (one value for every seed)
    if len(bv) >= 2 and len(cv) == len(bv):
        noise = half_width(mean_interval([x - y for x, y in zip(cv, bv, strict=True)]))
    else:
        noise = half_width(b.valid)
    return max(noise, tolerance * abs(b.valid["mean"]), sampling)


def row_within_noise(c: Row, b: Row, higher: bool, tolerance: float, sampling: float) -> bool:
    if not (math.isfinite(c.valid["mean"]) and math.isfinite(b.valid["mean"])):
        return False
    return gap(c.valid, b.valid, higher) <= margin(c, b, tolerance, sampling)


def best_row(rows: Sequence[Row], higher: bool) -> Row:
    finite = [r for r in rows if math.isfinite(r.valid["mean"])]
    if not finite:
        raise ValueError("no candidate has a finite validation value")
    key = (lambda r: -r.valid["mean"]) if higher else (lambda r: r.valid["mean"])
    return min(finite, key=key)


def memory_horizon(
    rows: Sequence[Row], best: Row, higher: bool, tol: float, sampling: float = 0.0
) -> int | None:
    ks = sorted({r.window for r in rows if r.is_window})
    for k in ks:
        at_k = [r for r in rows if r.is_window and r.window == k]
        if any(row_within_noise(r, best, higher, tol, sampling) for r in at_k):
            return k
    return None


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
    kind: str = "trained"


RULE = (
    "Selection on validation, numbers reported on test. "
    "Within noise: the row's mean is worse than the best row's by at most the best's 95% "
    "interval half-width over seeds (or splits), or by at most {tol:.0%} of the best value. "
    "Memory horizon: the smallest window k whose linear window or window FFNN is within "
    "noise of the best trained model. Recommendation, among rows within noise of the best: "
    "the baseline (trivial or classical) with the best validation mean, else the window "
    "model at the memory horizon, else the sequence model within noise of the best trained "
    "model that is cheapest per step at inference."
)


def memory_evidence(rows: Sequence[Row], metric: str, higher: bool) -> list[str]:
    """The evidence for the memory horizon, in words: the best window model's validation
    interval at each k, and the best sequence model's (recurrent, TCN, Transformer, minGRU)
    gain over the widest window with
    the interval of the difference (half-widths combined in quadrature)."""
    windows = [r for r in rows if r.is_window]
    ks = sorted({r.window for r in windows})
    lines = []
    if ks:
        per_k = []
        for k in ks:
            b = best_row([r for r in windows if r.window == k], higher)
            per_k.append(f"k={k}: {fmt_interval(b.valid)}")
        lines.append(f"Validation {metric} of the best window model at each k: " + "; ".join(per_k))
    recurrent = [r for r in rows if r.kind == "trained" and not r.is_window]
    if ks and recurrent and math.isfinite(best_row(recurrent, higher).valid["mean"]):
        rec = best_row(recurrent, higher)
        wide = best_row([r for r in windows if r.window == ks[-1]], higher)
        diff = (rec.valid["mean"] - wide.valid["mean"]) * (1 if higher else -1)
        h = math.hypot(half_width(rec.valid), half_width(wide.valid))
        lines.append(
            f"Sequence-model gain: the {rec.name} is better than the widest window "
            f"({wide.name}) by "
            f"{fmt(diff)} ± {fmt(h)} on validation {metric} (95% interval, "
            f"{rec.valid['n']} and {wide.valid['n']} seed(s))"
            + ("; the interval includes 0: no measurable gain." if abs(diff) <= h else ".")
        )
    return lines


# Why a sequence family is a good answer, said when it is recommended.
WHY = {
    "tcn": (
        "A TCN is feed-forward: dilated causal convolutions see exactly the last {rf} "
        "steps (its receptive field) at a depth logarithmic in it, and every step of a "
        "sequence is computed in parallel."
    ),
    "transformer": (
        "A causal Transformer attends to every earlier step directly (no state to carry), "
        "at a cost per sequence that grows as T²."
    ),
    "mingru": (
        "A minGRU is a recurrence whose gates depend on the current input only, so it "
        "trains by a parallel scan over time and runs as a cheap recurrence at inference."
    ),
    "lstm": "An LSTM's gated cell state carries information across many steps.",
    "gru": "A GRU's gated state carries information across many steps, with fewer gates "
    "than an LSTM.",
}


def cheapest_within_noise(
    rows: Sequence[Row], best: Row, higher: bool, tol: float, sampling: float
) -> Row:
    """The row of ``rows`` within noise of ``best`` that is cheapest per step at inference
    (measured latency), else ``best``: among sequence models as good as each other, the
    faster one is the better answer."""
    ok = [r for r in rows if r is best or row_within_noise(r, best, higher, tol, sampling)]
    timed = [r for r in ok if r.latency_ms]
    if best not in timed:
        return best
    return min(timed, key=lambda r: (r.latency_ms, r is not best))  # ties: the best


def recommend(
    rows: Sequence[Row],
    metric: str,
    higher: bool,
    tol: float = TOLERANCE,
    tried: str = "",
    n_valid: int | None = None,
) -> Decision:
    """The recommendation (module docstring) with a plain-language reason. ``tried``
    describes what was trained and for how long (said when a baseline wins); ``n_valid``
    the validation targets each value was measured on (for the sampling margin)."""
    rule = RULE.format(tol=tol)
    best = best_row(rows, higher)
    trained = [r for r in rows if r.kind == "trained" and math.isfinite(r.valid["mean"])]
    best_trained = best_row(trained, higher) if trained else None
    eps = sampling_half_width(best.valid["mean"], metric, n_valid)
    if eps:
        rule += f" Validation sampling margin: {fmt(eps)} ({n_valid} validation targets)."
    eps_t = sampling_half_width(best_trained.valid["mean"], metric, n_valid) if trained else 0
    horizon = memory_horizon(trained, best_trained, higher, tol, eps_t) if trained else None

    baselines = [r for r in rows if r.kind in ("trivial", "classical")]
    ok = [r for r in baselines if row_within_noise(r, best, higher, tol, eps)]
    if ok:  # the baseline with the best validation mean, trivial or classical
        pick = best_row(ok, higher)
        kind = pick.kind
        versus = (
            " (itself the best row)"
            if pick is best
            else f", the {best.name} ({fmt_interval(best.valid)})"
        )
        if kind == "trivial":
            parts = [
                f"Use the {pick.name} baseline: it needs no training, its validation "
                f"{metric} {fmt(pick.valid['mean'])} is within noise of the best row{versus}, "
                "and no classical method scores better on validation; on test it scores "
                f"{fmt(pick.test['mean'])}."
            ]
        else:
            parts = [
                f"A classical method is as good: the {pick.name} ({pick.detail}) scores "
                f"validation {metric} {fmt_interval(pick.valid)}, within noise of the best "
                f"row{versus}; on test it scores {fmt_interval(pick.test)}."
            ]
        if best_trained is not None:
            parts.append(
                f"The best trained model, the {best_trained.name}, reaches validation "
                f"{fmt_interval(best_trained.valid)} and test {fmt_interval(best_trained.test)}."
            )
            if kind == "trivial" and tried:
                parts.append(tried)
        return Decision(pick.key, None, " ".join(parts), horizon, best.key, rule, kind)

    if best_trained is None:  # only baselines, none within noise of the best: impossible
        raise ValueError("no trained row and no baseline within noise of the best")
    recurrent = [r for r in trained if not r.is_window]
    best_rec = best_row(recurrent, higher) if recurrent else None
    windows = [r for r in trained if r.is_window]
    widest = max((r.window for r in windows), default=None)
    bases = [r for r in rows if r.kind != "trained" and math.isfinite(r.valid["mean"])]
    best_base = best_row(bases, higher) if bases else None
    beaten = (
        f" It beats every baseline on validation; the best of them, the {best_base.name}, "
        f"scores {fmt_interval(best_base.valid)} (test {fmt_interval(best_base.test)})."
        if best_base is not None
        else ""
    )

    if horizon is not None and best is best_trained:
        at_k = [r for r in windows if r.window == horizon]
        ok = [r for r in at_k if row_within_noise(r, best, higher, tol, eps_t)]
        pick = next((r for r in ok if r.cand.family == "linear"), ok[0])
        what = "linear autoregressive window" if pick.cand.family == "linear" else "window FFNN"
        parts = [
            f"A {what} of {horizon} step{'s' if horizon != 1 else ''} is enough: its validation "
            f"{metric} {fmt_interval(pick.valid)} is within noise of the best row"
            + (" (itself)" if pick is best else f", the {best.name} ({fmt_interval(best.valid)})")
            + f"; on test it scores {fmt_interval(pick.test)}."
            + beaten
        ]
        shorter = [r for r in windows if r.window < horizon]
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
                    f"It is {ratio:.1f}× cheaper per step than the best sequence model, the "
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
        return Decision(pick.cand.family, horizon, " ".join(parts), horizon, best.key, rule)

    pick = cheapest_within_noise(recurrent, best_trained, higher, tol, eps_t)
    parts = [
        f"Use the {pick.name}: information from at least {widest} steps back matters. "
        if widest is not None and not pick.is_window
        else f"Use the {pick.name}. ",
        f"It scores validation {metric} {fmt_interval(pick.valid)} and test "
        f"{fmt_interval(pick.test)}.{beaten}",
    ]
    if pick.cand.family in WHY:
        parts.append(f" {WHY[pick.cand.family].format(rf=pick.cand.receptive_field)}")
    if pick is not best_trained:
        speedup = best_trained.latency_ms / pick.latency_ms
        parts.append(
            f" It is as good as the best sequence model, the {best_trained.name} "
            f"({fmt_interval(best_trained.valid)}), and {speedup:.1f}× "
            f"faster per step at inference ({fmt(pick.latency_ms)} vs "
            f"{fmt(best_trained.latency_ms)} ms; {pick.cand.params} vs "
            f"{best_trained.cand.params} parameters)."
        )
    if widest is not None and not pick.is_window:
        wide = best_row([r for r in windows if r.window == widest], higher)
        parts.append(
            f" The widest window tried, the {wide.name}, reaches only "
            f"{fmt_interval(wide.valid)} on validation, outside the noise."
        )
        if wide.latency_ms and pick.latency_ms:
            parts.append(
                f" The {pick.name} costs {fmt(pick.latency_ms)} ms per step at inference "
                f"(the window model {fmt(wide.latency_ms)})."
            )
    return Decision(pick.cand.family, pick.window, "".join(parts), None, best.key, rule)
