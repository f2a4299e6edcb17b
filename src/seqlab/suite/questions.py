"""The three questions the report opens with, answered from this run's numbers.

Every sentence is chosen by this run's numbers and verdicts: where they point the other way,
the sentence says so, and where they do not settle a comparison, it says that instead of
the textbook answer. A claim whose experiment broke contributes only that it broke.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from seqlab.claims.base import ERROR
from seqlab.claims.stats import difference, linear_fit


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _acc(est: dict | None) -> str:
    return "n/a" if est is None else f"{_pct(est['mean'])} [{_pct(est['lo'])}, {_pct(est['hi'])}]"


def _verdict(c: dict) -> str:
    return f"(claim {c['id']}: {c['verdict']})"


def _sign(a: dict, b: dict) -> int:
    """+1 if ``a`` is above ``b`` (the interval of a − b above 0), −1 if below, 0 if unsettled."""
    d = difference(a, b)
    return 1 if d["lo"] > 0 else -1 if d["hi"] < 0 else 0


def _by_sign(a: dict, b: dict, above: str, below: str, unsettled: str) -> str:
    """The phrase for ``a`` above ``b``, below it, or not settled (``_sign``)."""
    return {1: above, -1: below, 0: unsettled}[_sign(a, b)]


def _lead(c: dict, by_verdict: dict[str, str]) -> str:
    """The claim's reason, introduced by what its verdict says, and the verdict."""
    return by_verdict[c["verdict"]] + c["reason"] + " " + _verdict(c) + "."


# ----- Why and when an LSTM rather than an FFNN ------------------------------------------


def _long_range(long: dict) -> str:
    lstm, ffnn = long["lstm"], long["ffnn"]
    k, d = ffnn.get("window"), long["distance"]
    where = f"with the cue {d} steps back" + (
        f", beyond the FFNN's {k}-step window" if k is not None and d > k else ""
    )
    mlp = f"the window MLP (k={k})" if k is not None else "the FFNN"
    nums = f"the LSTM reached {_acc(lstm['accuracy'])} accuracy, {mlp} {_acc(ffnn['accuracy'])}"
    s = _sign(lstm["accuracy"], ffnn["accuracy"])
    if s > 0:
        return (
            f"When the information you need lies further back than a window you can afford: "
            f"here, {where}, {nums}."
        )
    if s < 0:
        return f"Not for long range on this run: {where}, {nums}, so the window did better."
    return (
        f"This run does not separate them at long range: {where}, {nums}, equal within "
        "the intervals."
    )


def _short_range(short: dict) -> str:
    lstm, ffnn = short["lstm"], short["ffnn"]
    acc = _sign(lstm["accuracy"], ffnn["accuracy"])
    f_ms, l_ms = max(ffnn["ms_per_step"], 1e-12), max(lstm["ms_per_step"], 1e-12)
    f_int, l_int = ffnn.get("ms_per_step_interval"), lstm.get("ms_per_step_interval")
    if f_int and l_int:
        cost = _sign(l_int, f_int)  # +1: the LSTM takes longer per step
    else:
        cost = 1 if l_ms > f_ms else -1 if l_ms < f_ms else 0
    head = (
        f"When the cue is only {short['distance']} steps back the window MLP"
        + (f" (k={ffnn['window']})" if ffnn.get("window") is not None else "")
        + " reached "
        f"{_acc(ffnn['accuracy'])} against the LSTM's {_acc(lstm['accuracy'])}"
    )
    if cost > 0:
        time = f"each of its training steps took {l_ms / f_ms:.1f}× less time than the LSTM's"
    elif cost < 0:
        time = f"yet each of its training steps took {f_ms / l_ms:.1f}× more time than the LSTM's"
    else:
        time = f"its time per step ({f_ms:.3g} ms) was not distinguishable from the LSTM's"
    if acc > 0:
        end = "the LSTM was more accurate even there."
    elif cost > 0:
        end = "then a window is enough."
    else:
        end = "a window is as accurate there, but it saved no time."
    return f"{head}, and {time}: {end}"


def _payoff(pay: dict) -> str:
    long, short = pay["evidence"].get("long", {}), pay["evidence"].get("short", {})
    parts = [_long_range(long)] if "lstm" in long and "ffnn" in long else []
    parts += [_short_range(short)] if "lstm" in short and "ffnn" in short else []
    return " ".join([*parts, _verdict(pay)])


def _blind(blind: dict) -> str:
    return _lead(
        blind,
        {
            "supported": "A window FFNN (an MLP over the last k inputs) could not see past its "
            "window: ",
            "refuted": "A window FFNN did better than chance beyond its window: ",
            "inconclusive": "Whether a window FFNN is blind beyond its window, this run does "
            "not settle: ",
        },
    )


# ----- What the memory costs -------------------------------------------------------------


def _lstm_vs_rnn_cost(cost: dict) -> str | None:
    ev = cost["evidence"]
    rows = {r["model"]: r for r in ev.get("equal_hidden") or []}
    training = (ev.get("training_step") or {}).get("ms") or {}
    if "lstm" not in rows or "rnn" not in rows or "lstm" not in training or "rnn" not in training:
        return None
    l, r = rows["lstm"], rows["rnn"]
    tl, tr = training["lstm"], training["rnn"]
    time = _by_sign(
        tl,
        tr,
        "the LSTM was slower",
        "the LSTM was faster",
        "the two were not distinguishable in time",
    )
    return (
        f"At the same hidden size ({l['hidden']}) an LSTM has "
        f"{l['params'] / r['params']:.1f}× the parameters and "
        f"{l['flops_per_step'] / r['flops_per_step']:.1f}× the FLOPs of a plain RNN; "
        f"a training step on the adding problem took {tl['mean']:.3g} ms vs "
        f"{tr['mean']:.3g} ms on this machine, so {time} {_verdict(cost)}."
    )


def _window_cost(wc: dict) -> str | None:
    fr = wc["evidence"].get("frames") or []
    if len(fr) < 2:
        return None
    fr = sorted(fr, key=lambda r: r["window"])
    narrow, wide = fr[0], fr[-1]
    slope = linear_fit([r["window"] for r in fr], [r["ffnn"] for r in fr])["slope"]
    if slope > 0:
        ffnn = (
            f"The FFNN pays differently: its size grows with the window, from "
            f"{narrow['ffnn']:,} parameters over {narrow['window']} frame(s) of 28×28 pixels "
            f"to {wide['ffnn']:,} over {wide['window']}"
        )
    else:
        ffnn = (
            f"The FFNN's size did not grow with the window here ({narrow['ffnn']:,} parameters "
            f"over {narrow['window']} frame(s), {wide['ffnn']:,} over {wide['window']})"
        )
    lstm_counts = {r["lstm"] for r in fr}
    if len(lstm_counts) == 1:
        lstm = f"an LSTM has {wide['lstm']:,} for any number of frames"
    else:
        lstm = f"the LSTM's count changed with the window too ({min(lstm_counts):,} to " + (
            f"{max(lstm_counts):,})"
        )
    return f"{ffnn}; {lstm} {_verdict(wc)}."


# ----- LSTM vs plain RNN -----------------------------------------------------------------


def _depth(deep: dict) -> str | None:
    rows = deep["evidence"].get("rows") or []
    said = []
    for model in ("rnn", "lstm"):
        pts = sorted((r for r in rows if r["model"] == model), key=lambda r: r["seq_len"])
        if len(pts) < 2:
            continue
        fit = linear_fit([r["seq_len"] for r in pts], [r["matmuls"] for r in pts])
        said.append((model, fit, pts))
    if not said:
        return None
    text = "Unrolled over T steps, " + ", ".join(
        (
            f"the {m.upper()}'s path from the first input to the output held "
            if i == 0
            else f"the {m.upper()}'s "
        )
        + f"{pts[0]['matmuls']} matrix products at T={pts[0]['seq_len']} and "
        f"{pts[-1]['matmuls']} at T={pts[-1]['seq_len']} ({fit['slope']:.2f} per step)"
        for i, (m, fit, pts) in enumerate(said)
    )
    per_step = [m.upper() for m, fit, _ in said if fit["r2"] > 0.99 and 0.9 <= fit["slope"] <= 1.1]
    if len(per_step) == len(said):
        text += (
            ": "
            + ("both are" if len(said) == 2 else f"the {per_step[0]} is")
            + " about T layers deep"
        )
    else:
        deep_ones = " and the ".join(per_step)
        text += (
            f": only the {deep_ones} is about T layers deep by this measure"
            if per_step
            else ": by this measure neither is one layer per step"
        )
    return f"{text} {_verdict(deep)}."


def _decay(model: str, rate: dict) -> str:
    if rate["lo"] > 0:
        return f"the {model}'s shrank by a factor e every {1 / rate['mean']:.3g} steps back"
    if rate["hi"] < 0:
        return f"the {model}'s grew by a factor e every {1 / -rate['mean']:.3g} steps back"
    return f"the {model}'s showed no decay distinguishable from zero ({rate['mean']:.3g} per step)"


def _gradients(van: dict) -> str | None:
    rows = {(r["model"], r["stage"]): r for r in van["evidence"].get("rows") or []}
    rnn, lstm = rows.get(("rnn", "trained")), rows.get(("lstm", "trained"))
    if not rnn or not lstm:
        return None
    if not all(
        isinstance(x, int | float) and math.isfinite(x)
        for r in (rnn, lstm)
        for x in (r["rate"]["mean"], r["rate"]["lo"], r["rate"]["hi"])
    ):
        return None
    compare = _by_sign(
        rnn["rate"],
        lstm["rate"],
        "the plain RNN's gradient vanishes faster",
        "the LSTM's gradient decays faster than the plain RNN's",
        "the two decay rates are not distinguishable",
    )
    return (
        f"After training, the gradient with respect to earlier hidden states: "
        f"{_decay('RNN', rnn['rate'])}, {_decay('LSTM', lstm['rate'])}; {compare} "
        f"{_verdict(van)}."
    )


def _gates(gr: dict) -> str:
    text = _lead(
        gr,
        {
            "supported": "The gates did what the explanation says: ",
            "refuted": "The gates did not do what the explanation says: ",
            "inconclusive": "The gates' roles are not settled by this run: ",
        },
    )
    abl = {r["model"]: r["accuracy"] for r in gr["evidence"].get("ablations") or []}
    full = abl.pop("lstm", None)
    if full is not None and abl:
        worse = [m for m, a in abl.items() if _sign(full, a) > 0]
        if worse:
            text += (
                " Without a gate the LSTM recalled worse: "
                + ", ".join(f"{m} {_acc(abl[m])}" for m in worse)
                + f" against the full LSTM's {_acc(full)}."
            )
        else:
            text += f" No ablated LSTM recalled measurably worse than the full one ({_acc(full)})."
    return text


def _forgets(fg: dict) -> str:
    return _lead(
        fg,
        {
            "supported": "In accuracy the plain RNN forgot and the LSTM kept the cue: ",
            "refuted": "In accuracy the plain RNN did not forget more than the LSTM: ",
            "inconclusive": "In accuracy this run does not separate them: ",
        },
    )


# ----- the answers -----------------------------------------------------------------------

Sentence = Callable[[dict], str | None]
QUESTIONS: tuple[tuple[str, tuple[tuple[str, Sentence], ...]], ...] = (
    (
        "Why and when would I use an LSTM rather than a feed-forward network?",
        (("memory-pays-off", _payoff), ("ffnn-window-blind", _blind)),
    ),
    (
        "What are the pros and cons — what does the memory cost?",
        (("lstm-costlier", _lstm_vs_rnn_cost), ("ffnn-window-cost", _window_cost)),
    ),
    (
        "How is an LSTM different from a plain RNN?",
        (
            ("rnn-unrolled-deep", _depth),
            ("rnn-vanishing-gradient", _gradients),
            ("rnn-forgets", _forgets),
            ("lstm-gates-roles", _gates),
        ),
    ),
)


def _say(c: dict | None, sentence: Sentence) -> list[str]:
    if c is None:
        return []
    if c["verdict"] == ERROR:
        return [f"The {c['id']} experiment failed, so it says nothing here."]
    text = sentence(c)
    return [text] if text else []


def answers(claims: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """``[{"question", "answer"}]``: each answer the sentences of the claims it rests on."""
    out = []
    for question, sources in QUESTIONS:
        parts = [t for cid, sentence in sources for t in _say(claims.get(cid), sentence)]
        out.append({"question": question, "answer": " ".join(parts) or "not measured in this run"})
    return out
