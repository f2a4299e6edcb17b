"""next-word-context: "When Alice is hungry, she drives to the store to buy …".

Experiment. (1) Templated sentences whose last word depends on a cue word d words back
(``seqlab.tasks.recall``, words): a 5-word window MLP (FFNN(5)), an RNN and an LSTM, each
trained on every d of ``2 … max(alice_distances)`` and evaluated per d (``Runs.sweep``),
with each model's forgetting distance d½. (2) Real text, in English (King James Bible) and
German (fortunes-de): the same three trained for next-word prediction, then the context
probe (``seqlab.probes.context``): the smallest n of kept tokens whose test loss is within
1% of the loss at the best n of the probe's grid (the *effective context*, bootstrap interval
over positions; for a loss that falls with every token kept, the best n is the full
context, the paper's reference).

Trained enough. A comparison of context use means something only for models that have
learned: a text model counts as trained when its validation perplexity fell by less than
``STILL_IMPROVING`` (relative) over the second half of its training (evaluations at every
quarter). Otherwise the real-text parts are inconclusive, saying which model was still
improving and by how much.

Beside the rule (not read by it): the newer models (``NEWER``: dilated TCN, causal
Transformer, minGRU, minLSTM) on the same templates and the same text, with the same
settings and the first seed only, for cost, except that the TCN and the Transformer train
at ``plan.FEEDFORWARD_RECALL_LR`` (1e-2 stalls them in some seeds). The TCN is the
shallowest stack of tcn-sees-far's kernel whose receptive field covers the templates'
longest cue distance. On text every model takes ``seqlab train``'s text recipe.

Evidence: ``{"templates": [{"model", "window", "distance", "accuracy": est, "chance"}],
"forgetting": {label: forgetting distance}, "corpus": [{"corpus", "model", "params",
"perplexity", "unigram", "valid_second_half", "trained", "effective_context": {"n", "lo",
"hi"}, "best_n", "full_context"}], "context": {corpus: {label: the probe's paper
comparison}}, "example": {...}, "beside (not in the rule): newer models on the templates":
{"rows": [{"model", "distance", "accuracy": est, "params", "seeds"}], "forgetting": {model:
forgetting distance}}, "beside (not in the rule): newer models on real text": [rows as in
"corpus"]}``. Figure: template accuracy vs d per model (the newer ones dotted), the 5-word
window marked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

from seqlab.claims import plan
from seqlab.claims.base import Claim, Decision, Part, from_parts, inconclusive
from seqlab.claims.common import Runs, band, drifts, keeps_longer, trained_model, window_parts
from seqlab.claims.plan import ALICE_WINDOW, model_label, text_key
from seqlab.claims.profiles import Profile
from seqlab.claims.stats import d_value, fmt_d
from seqlab.config import TrainConfig
from seqlab.models.tcn import levels_for
from seqlab.probes.context_summary import context_use
from seqlab.report import plots
from seqlab.rundir import METRICS_JSONL
from seqlab.tasks import build_task
from seqlab.tasks.span import dependency_span

CLAIM = Claim(
    id="next-word-context",
    title='"When Alice is hungry … she buys": context from early words',
    statement=(
        'In "When Alice is hungry, she drives to the nearest store to buy …" an LSTM uses '
        'the early word ("hungry" → "food") beyond a 5-word window, an RNN drifts sooner, and '
        "a 5-word FFNN window (window MLP) never sees it; on real English and German text "
        "the LSTM uses more context than the FFNN's 5 words and than the RNN."
    ),
    rule=(
        "Templated sentences (accuracy vs cue distance d; forgetting distance d½ where "
        "accuracy falls to (1 + chance)/2, 95% bootstrap interval over seeds and examples): "
        "(1) the LSTM uses the cue beyond 5 words: supported if its d½ interval lies above 5, "
        "refuted if below 5; (2) the RNN drifts within the distances tested (upper end of its "
        "d½ interval inside the grid); (3) the LSTM keeps the cue longer than the RNN (d½ "
        "intervals separated); (4) the FFNN(5) is at chance for every d > 5 (interval within "
        "chance ± 0.05; refuted if wholly above chance + 0.05) and (5) recalls for d ≤ 5. "
        "Real text, per "
        "corpus, from the context probe's effective context (the fewest tokens whose loss is "
        "within 1% of the best over the tokens kept; 95% interval): (6) the LSTM uses "
        "more than 5 tokens (lower end > 5; refuted if upper end ≤ 5) and (7) more than the "
        "RNN (LSTM lower end > RNN upper end; refuted if LSTM upper end < RNN lower end) — "
        "decided only when all three models are trained (validation perplexity fell by less "
        "than 5% over the second half of training), else inconclusive. Supported only if "
        "every part is; refuted if any part is; otherwise inconclusive."
    ),
)


LABELS = (f"ffnn-k{ALICE_WINDOW}", "rnn", "lstm")
# per profile: the newer models shown beside the rule, first seed only. Quick leaves out the
# minLSTM (the min-RNNs' logcumsumexp scan is the costliest step on a CPU; minGRU is the
# paper's main model), as parallel-recurrence does.
NEWER: dict[str, tuple[str, ...]] = {
    "smoke": ("tcn", "transformer"),
    "quick": ("tcn", "transformer", "mingru"),
    "full": ("tcn", "transformer", "mingru", "minlstm"),
}


def newer_models(p: Profile) -> tuple[str, ...]:
    return NEWER.get(p.name, NEWER["smoke"])


def _tcn_levels(p: Profile, flat: dict) -> dict[str, int]:
    """tcn-sees-far's kernel and the fewest levels whose receptive field covers the task's
    dependency span (the longest cue distance)."""
    from seqlab.claims import tcn_sees_far  # its sizes (it imports the claims' common code)

    k = tcn_sees_far.sizes(p)["kernel"]
    cfg = TrainConfig.from_flat(flat)
    span = dependency_span(build_task(cfg.task, cfg.task_options, 0)) or 1
    return {"kernel_size": k, "levels": levels_for(span, k)}


def alice_newer(p: Profile) -> dict[str, dict]:
    """The newer models on the Alice templates, with the settings of ``plan.alice``'s runs
    (the first seed; the TCN sized by ``_tcn_levels``)."""
    runs = {}
    base = plan.alice(p)
    for seed in p.seeds[:1]:
        ref = base[f"alice/lstm/s{seed}"]
        for m in newer_models(p):
            flat = {**ref, "model": m}
            flat.pop("forget_bias", None)  # only the LSTM-family cells have a forget bias
            if m in ("tcn", "transformer"):  # 1e-2 stalls them in some seeds
                flat["lr"] = plan.FEEDFORWARD_RECALL_LR
            if m == "tcn":  # tcn-sees-far's kernel, deep enough for the longest distance
                flat.update(_tcn_levels(p, flat))
            runs[f"alice/{m}/s{seed}"] = flat
    return runs


def text_newer(p: Profile) -> dict[str, dict]:
    """The newer models on every corpus, as ``plan.text`` trains the LSTM (the text recipe
    of ``seqlab train`` for each model; the first text seed)."""
    return plan.text_runs(p, newer_models(p), p.text_seeds[:1])


RUNS = (plan.alice, plan.text, alice_newer, text_newer)
SENTENCE_SEED = 7  # which Alice sentence the example shows
STILL_IMPROVING = 0.05  # relative fall of validation perplexity over the second half


def _model(label: str) -> str:
    return "ffnn" if label.startswith("ffnn") else label


def evidence(runs: Runs) -> tuple[dict, Figure]:
    p = runs.profile
    templates, forgetting, series, chance = [], {}, {}, None
    for label in LABELS:
        sweep = runs.sweep(f"alice/{label}", p.alice_distances)
        if sweep is None:
            continue
        chance = sweep["chance"]
        forgetting[label] = sweep["forgetting"]
        for row in sweep["rows"]:
            templates.append(
                {
                    "model": _model(label),
                    "window": ALICE_WINDOW if label.startswith("ffnn") else None,
                    "distance": row["distance"],
                    "accuracy": row["accuracy"],
                    "chance": chance,
                }
            )
        series[label] = {
            "x": [r["distance"] for r in sweep["rows"]],
            **band([r["accuracy"] for r in sweep["rows"]]),
            "style": "o--" if label.startswith("ffnn") else "o-",
        }
    newer_rows, newer_forgetting = [], {}
    for m in newer_models(p):
        sweep = runs.sweep(f"alice/{m}", p.alice_distances)
        if sweep is None:
            continue
        newer_forgetting[m] = sweep["forgetting"]
        params = runs.first(f"alice/{m}")["params"]
        for row in sweep["rows"]:
            newer_rows.append(
                {
                    "model": m,
                    "distance": row["distance"],
                    "accuracy": row["accuracy"],
                    "params": params,
                    "seeds": len(row["per_seed"]),
                }
            )
        series[m] = {
            "x": [r["distance"] for r in sweep["rows"]],
            **band([r["accuracy"] for r in sweep["rows"]]),
            "style": "s:",
        }
    corpus, context, newer_corpus = _corpus(runs)
    ev = {
        "corpora": list(p.text_corpora),
        "templates": templates,
        "forgetting": forgetting,
        "corpus": corpus,
        "context": context,
        "example": _example(runs),
        "beside (not in the rule): newer models on the templates": {
            "rows": newer_rows,
            "forgetting": newer_forgetting,
        },
        "beside (not in the rule): newer models on real text": newer_corpus,
    }
    figure = plots.lines(
        series,
        "cue distance d (words from the cue to 'buy', log scale)",
        "test accuracy",
        title=f'"When Alice is hungry … buy": accuracy vs cue distance ({len(p.seeds)} seeds)',
        logx=True,
        hlines={"chance": chance, "halfway": (1 + chance) / 2} if chance is not None else None,
        vlines={f"FFNN window {ALICE_WINDOW}": ALICE_WINDOW},
    )
    return ev, figure


def valid_second_half(run_dir: str | Path, steps: int) -> float | None:
    """Relative fall of the validation value from the evaluation nearest half of training
    to the last one (``1 − last / half``), from the run's metrics log."""
    path = Path(run_dir) / METRICS_JSONL
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("valid_value") is not None]
    if len(rows) < 2:
        return None
    half = min(rows, key=lambda r: abs(r["step"] - steps / 2))
    last = max(rows, key=lambda r: r["step"])
    if half is last:
        return None
    return 1.0 - last["valid_value"] / half["valid_value"]


def _corpus(runs: Runs) -> tuple[list[dict], dict[str, dict], list[dict]]:
    """Per corpus and model: perplexity, whether it was trained, its effective context; the
    rule's three models, their paper comparisons, and the newer models' rows beside them."""
    p = runs.profile
    rows, context, newer = [], {}, []
    for corpus in p.text_corpora:
        labels = (*LABELS, *newer_models(p))
        found = {label: runs.seeds(text_key(corpus, label)) for label in labels}
        found = {label: rs for label, rs in found.items() if rs}
        if not found:
            continue
        dirs = [r["run_dir"] for rs in found.values() for r in rs]
        probe = context_use(dirs, tokens=p.context_tokens, ns=p.context_ns)["models"]
        context[corpus] = {}
        for label, rs in found.items():
            m = probe[f"ffnn({ALICE_WINDOW})" if label.startswith("ffnn") else label]
            falls = [valid_second_half(r["run_dir"], r["steps"]) for r in rs]
            known = [f for f in falls if f is not None]
            fall = max(known) if known else None
            row = {
                "corpus": corpus,
                "model": label,
                "params": rs[0]["params"],
                "perplexity": float(np.mean([x["value"] for x in rs])),
                "unigram": rs[0]["baselines"].get("unigram", rs[0]["chance"]),
                "steps": rs[0]["steps"],
                "valid_second_half": fall,
                "trained": fall is not None and fall < STILL_IMPROVING,
                "effective_context": m["effective_context"],
                "best_n": m["best"]["n"],
                "full_context": m["full"],
            }
            if label in LABELS:
                rows.append(row)
                context[corpus][label] = m["paper_comparison"]
            else:
                newer.append(row)
    return rows, context, newer


def _example(runs: Runs) -> dict:
    """Each model's answer to one real templated sentence (the first seed's models)."""
    ex: dict[str, Any] = {}
    for label in LABELS:
        r = runs.first(f"alice/{label}")
        if r is None:
            continue
        cfg, model, task = trained_model(r)
        g = torch.Generator().manual_seed(SENTENCE_SEED)
        words = task.sentence(0, runs.profile.alice_distance, g)
        with torch.no_grad():
            probs = model(torch.tensor([task.encode(words)]))[0, -1].softmax(-1)
        top = int(probs.argmax())
        ex["sentence"] = " ".join(words)
        ex["expected"] = task.answers[0]
        ex[model_label(cfg.model, cfg.window if cfg.model == "ffnn" else None)] = (
            f"{task.answers[top]} ({probs[top].item():.2f})"
        )
    return ex


def _ctx(e: dict) -> str:
    return f"{e['n']} [{e['lo']}, {e['hi']}]"


def _best(row: dict) -> str:
    """Where the probe's loss was lowest, when that is not the longest context (rows written
    before ``best_n`` existed say nothing)."""
    n = row.get("best_n")
    if n is None or n == row.get("full_context"):
        return ""
    return f" (loss lowest at {n} of {row.get('full_context')} tokens kept)"


def _text_parts(corpus: str, rows: list[dict]) -> list[Part]:
    """(6) the LSTM uses more than 5 tokens and (7) more than the RNN, on ``corpus``."""
    at = {r["model"]: r for r in rows}
    more5 = f"on {corpus} the LSTM uses more than {ALICE_WINDOW} tokens"
    more_rnn = f"on {corpus} the LSTM uses more context than the RNN"
    if "lstm" not in at or "rnn" not in at:
        why = "the LSTM and the RNN were not both trained on it"
        return [Part(more5, "inconclusive", why), Part(more_rnn, "inconclusive", why)]
    untrained = [r for r in rows if not r["trained"]]
    if untrained:
        why = "under-trained, validation perplexity still falling over the second half: " + (
            ", ".join(
                f"{r['model']} "
                + ("unknown" if r["valid_second_half"] is None else f"{r['valid_second_half']:.0%}")
                + f" after {r['steps']} steps"
                for r in untrained
            )
        )
        return [Part(more5, "inconclusive", why), Part(more_rnn, "inconclusive", why)]
    lstm, rnn = at["lstm"]["effective_context"], at["rnn"]["effective_context"]
    text5 = f"LSTM effective context {_ctx(lstm)} tokens{_best(at['lstm'])} (test perplexity " + (
        f"{at['lstm']['perplexity']:.1f})"
    )
    v5 = "supported" if lstm["lo"] > ALICE_WINDOW else "refuted" if lstm["hi"] <= 5 else None
    text_rnn = f"LSTM {_ctx(lstm)}{_best(at['lstm'])} vs RNN {_ctx(rnn)}{_best(at['rnn'])} tokens"
    v_rnn = "supported" if lstm["lo"] > rnn["hi"] else "refuted" if lstm["hi"] < rnn["lo"] else None
    return [
        Part(more5, v5 or "inconclusive", text5 + ("" if v5 else ": the interval reaches 5")),
        Part(more_rnn, v_rnn or "inconclusive", text_rnn + ("" if v_rnn else ": overlap")),
    ]


def decide(evidence: dict) -> Decision:
    fg = evidence.get("forgetting") or {}
    ffnn_label = f"ffnn-k{ALICE_WINDOW}"
    if "lstm" not in fg or "rnn" not in fg or ffnn_label not in fg:
        return inconclusive("the LSTM, the RNN and the FFNN(5) were not all run on the templates")
    lstm = fg["lstm"]
    clause = f"the LSTM uses the cue beyond {ALICE_WINDOW} words"
    text = f"LSTM d½ = {fmt_d(lstm)} words"
    if d_value(lstm["lo"]) > ALICE_WINDOW:
        uses = Part(clause, "supported", text)
    elif d_value(lstm["hi"]) < ALICE_WINDOW:
        uses = Part(clause, "refuted", text)
    else:
        uses = Part(clause, "inconclusive", text + ": the interval reaches 5")
    rows = [r for r in evidence["templates"] if r["model"] == "ffnn"]
    parts = [
        uses,
        drifts("RNN", fg["rnn"]),
        keeps_longer("LSTM", lstm, "RNN", fg["rnn"]),
        *window_parts(rows, who="FFNN(5)"),
    ]
    by_corpus: dict[str, list[dict]] = {}
    for r in evidence.get("corpus") or []:
        by_corpus.setdefault(r["corpus"], []).append(r)
    for corpus in evidence.get("corpora") or sorted(by_corpus):
        parts += _text_parts(corpus, by_corpus.get(corpus, []))
    if not by_corpus:
        parts.append(Part("on real text the LSTM uses more context", "inconclusive", "no text run"))
    return from_parts(*parts)
