"""parallel-recurrence: gates that depend on x_t only make an RNN trainable by a parallel scan.

minGRU and minLSTM (Feng et al. 2024) compute h_t = a_t ⊙ h_{t−1} + b_t with a_t, b_t from
x_t alone, so training runs the whole sequence at once (cumsum and logcumsumexp in log
space, ``seqlab.models.min_rnn``) where an LSTM must step through time. "LSTMs are slow to
train", revisited: the paper reports 175× over a sequential GRU at T = 512 on a GPU.

Experiment: (1) timing-dependent: forward+backward time per step of the LSTM (torch's
kernel, the trainer's ``auto`` path), minGRU and minLSTM at a long T (per profile), hidden
size ``p.hidden``, input size 32, batch 16, interleaved over ``cost_repeats`` rounds at 1
thread. (2) Accuracy: recall at the longest distance and the adding problem, the same
settings as the LSTM's runs in rnn-forgets (the models of ``ACCURACY_MODELS``).

Evidence: ``{"timing": {"seq_len", "batch_size", "input_size", "hidden", "threads",
"ms": {model: est}, "speedup": {model: LSTM ms / model ms}}, "recall": {model: {"accuracy":
est, "chance", "distance"}}, "adding": {model: {"mse": est, "baseline", "seq_len"}}}``.
Figure: ms per step of the three models at the long T.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, fmt, from_parts, inconclusive
from seqlab.claims.common import TIMING_THREADS, Runs, interleaved_ms, seeded_model
from seqlab.claims.profiles import Profile
from seqlab.claims.stats import accuracy_interval, difference
from seqlab.models import ModelSpec
from seqlab.report import plots

CLAIM = Claim(
    id="parallel-recurrence",
    title="minGRU and minLSTM train faster than an LSTM, by a parallel scan",
    statement=(
        "minGRU and minLSTM, whose gates depend on the input only, train faster than the "
        "sequential LSTM at long T on this machine, and are as accurate as the LSTM on "
        "recall and on the adding problem."
    ),
    rule=(
        "Two parts. Faster: supported if, for both models, LSTM time − model time per "
        "training step has a 95% interval above 0; refuted if it lies below 0 for either; "
        "otherwise inconclusive. As accurate: worse on recall when model accuracy − LSTM "
        "accuracy at the longest distance has a 95% interval below 0, worse on adding when "
        "the LSTM solves it (test MSE < 0.01) and the model does not; supported if no model "
        "measured is worse on either task (each task measured for at least one of them), "
        "refuted if one is. The claim is supported only if "
        "both parts are, refuted if either is."
    ),
)

MODELS = ("mingru", "minlstm")
B, D = 16, 32  # timing batch and input size
SOLVED_MSE = 0.01  # as rnn-forgets: the adding problem counts as solved below this MSE
LONG_T: dict[str, int] = {"smoke": 64, "quick": 1000, "full": 4000}


# per profile: the models trained on recall and adding beside the LSTM. At quick only
# minGRU (the paper's main model): the scan's logcumsumexp makes a min-RNN training step on
# this CPU cost several times the LSTM's (at quick, under load, the three min-RNN runs of
# the first version took ~120 s of CPU, more than all other runs of the three newer claims).
ACCURACY_MODELS: dict[str, tuple[str, ...]] = {
    "smoke": MODELS,
    "quick": ("mingru",),
    "full": MODELS,
}
# what depends on this machine's timing (``seqlab.suite.run``): the step times and ratios
TIMING_DEPENDENT = ("timing.ms", "timing.speedup")
TIMING_PARTS = ("faster",)
# how many of the profile's seeds the min-RNNs' accuracy runs use (None: all). Quick and full: the
# first, for cost (above); their intervals then come from the test set, the LSTM's from seeds.
ACCURACY_SEEDS: dict[str, int | None] = {"quick": 1, "full": 1}


def min_rnn_runs(p: Profile) -> dict[str, dict]:
    """The models of ``ACCURACY_MODELS`` on recall at the longest distance and on adding,
    with the LSTM's settings (``plan.recall_recurrent``, ``plan.adding``)."""
    runs, d = {}, p.long_distance
    for seed in p.seeds[: ACCURACY_SEEDS.get(p.name)]:
        for m in ACCURACY_MODELS.get(p.name, MODELS):
            runs[f"recall/{m}/d{d}/s{seed}"] = plan._recall(p, m, None, d, seed)
            runs[f"adding/{m}/s{seed}"] = plan._run(
                p, "adding", m, seed, p.adding_steps, seq_len=p.adding_len
            )
    return runs


def lstm_runs(p: Profile) -> dict[str, dict]:
    """The LSTM's runs that the comparison reads (shared with rnn-forgets)."""
    d = p.long_distance
    return {
        k: v
        for k, v in {**plan.recall_recurrent(p), **plan.adding(p)}.items()
        if k.startswith((f"recall/lstm/d{d}/", "adding/lstm/"))
    }


RUNS = (min_rnn_runs, lstm_runs)


def timing(T: int, hidden: int, repeats: int) -> dict:
    cases = {
        m: (seeded_model(ModelSpec(m, hidden_size=hidden), 0, input_size=D, output_size=1), B, T, D)
        for m in ("lstm", *MODELS)
    }
    ms = interleaved_ms(cases, repeats)
    return {
        "seq_len": T,
        "batch_size": B,
        "input_size": D,
        "hidden": hidden,
        "threads": TIMING_THREADS,
        "ms": ms,
        "speedup": {m: ms["lstm"]["mean"] / ms[m]["mean"] for m in MODELS},
    }


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    d, dmax = p.long_distance, max(p.distances)
    recall, adding = {}, {}
    for m in ("lstm", *MODELS):
        # the sweep run (trained on every d of the range) scored at the longest d (read from
        # its whole grid, which the suite evaluates ahead: each d has its own test set)
        per_d = runs.per_distance(f"recall/{m}/d{d}", p.distances)
        seeds = [s[dmax] for s in per_d if dmax in s]
        if seeds:
            est = accuracy_interval([s["accuracy"] for s in seeds], seeds[0]["n"])
            chance = runs.first(f"recall/{m}/d{d}")["chance"]
            recall[m] = {"accuracy": est, "chance": chance, "distance": dmax}
        mse = runs.mean_of(f"adding/{m}")
        if mse is not None:
            r = runs.first(f"adding/{m}")
            adding[m] = {"mse": mse, "baseline": r["chance"], "seq_len": p.adding_len}
    t = timing(LONG_T.get(p.name, LONG_T["smoke"]), p.hidden, p.cost_repeats)
    figure = plots.bars(
        {f"T={t['seq_len']}": t["ms"]},
        "forward+backward ms per time step",
        title=f"Training step time at T={t['seq_len']} (B={B}, H={p.hidden}, 1 thread)",
    )
    return {"timing": t, "recall": recall, "adding": adding}, figure


def _faster(t: dict) -> Part:
    ms = t["ms"]
    diffs = {m: difference(ms["lstm"], ms[m]) for m in MODELS}
    text = f"T={t['seq_len']}: LSTM {fmt(ms['lstm'])} ms/step; " + ", ".join(
        f"{m} {fmt(ms[m])} ({t['speedup'][m]:.2g}× the LSTM's speed)" for m in MODELS
    )
    if any(dd["hi"] < 0 for dd in diffs.values()):
        return Part("faster", "refuted", text)
    if all(dd["lo"] > 0 for dd in diffs.values()):
        return Part("faster", "supported", text)
    return Part("faster", "inconclusive", text)


def _accurate(recall: dict, adding: dict) -> Part:
    notes, worse = [], []
    lstm_r, lstm_a = recall.get("lstm"), adding.get("lstm")
    for m in MODELS:
        if m in recall and lstm_r:
            diff = difference(recall[m]["accuracy"], lstm_r["accuracy"])
            notes.append(
                f"recall d={recall[m]['distance']}: {m} {fmt(recall[m]['accuracy'])} vs LSTM "
                f"{fmt(lstm_r['accuracy'])} (difference {fmt(diff)})"
            )
            if diff["hi"] < 0:
                worse.append(f"{m} on recall")
        if m in adding and lstm_a:
            mine, theirs = adding[m]["mse"]["mean"], lstm_a["mse"]["mean"]
            notes.append(
                f"adding T={adding[m]['seq_len']}: {m} MSE {mine:.3g} vs LSTM {theirs:.3g}"
            )
            if theirs < SOLVED_MSE <= mine:
                worse.append(f"{m} on adding")
    if worse:
        return Part("as accurate", "refuted", f"worse: {', '.join(worse)}; " + "; ".join(notes))
    on_recall = lstm_r is not None and any(m in recall for m in MODELS)
    on_adding = lstm_a is not None and any(m in adding for m in MODELS)
    if not (on_recall and on_adding):
        return Part("as accurate", "inconclusive", "; ".join(notes) or "accuracy not measured")
    return Part("as accurate", "supported", "; ".join(notes))


def decide(evidence: dict) -> Decision:
    t = evidence["timing"]
    if "lstm" not in t["ms"] or any(m not in t["ms"] for m in MODELS):
        return inconclusive("the LSTM and both min-RNNs were not all timed")
    return from_parts(_faster(t), _accurate(evidence["recall"], evidence["adding"]))
