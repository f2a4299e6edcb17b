"""The three questions the report opens with, answered from this run's numbers.

Each answer is assembled from the claims' evidence and verdicts; where a verdict is not
``supported`` the answer says so rather than repeating the textbook.
"""

from __future__ import annotations

from typing import Any


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _acc(est: dict | None) -> str:
    return "n/a" if est is None else f"{_pct(est['mean'])} [{_pct(est['lo'])}, {_pct(est['hi'])}]"


def _verdict(c: dict) -> str:
    return f"(claim {c['id']}: {c['verdict']})"


def answers(claims: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    return [_why_lstm(claims), _costs(claims), _vs_rnn(claims)]


def _why_lstm(c: dict) -> dict[str, str]:
    q = "Why and when would I use an LSTM rather than a feed-forward network?"
    parts = []
    pay = c.get("memory-pays-off")
    if pay and "long" in pay["evidence"] and "lstm" in pay["evidence"]["long"]:
        long, short = pay["evidence"]["long"], pay["evidence"]["short"]
        k = long.get("ffnn", {}).get("window")
        parts.append(
            f"When the information you need lies further back than a window you can afford. "
            f"Here, with the cue {long['distance']} steps back, the LSTM reached "
            f"{_acc(long['lstm']['accuracy'])} accuracy and the FFNN with a {k}-step window "
            f"{_acc(long.get('ffnn', {}).get('accuracy'))}."
        )
        if "ffnn" in short and "lstm" in short:
            ratio = short["lstm"]["ms_per_step"] / max(short["ffnn"]["ms_per_step"], 1e-9)
            parts.append(
                f"When the cue is only {short['distance']} steps back the FFNN reached "
                f"{_acc(short['ffnn']['accuracy'])} against the LSTM's "
                f"{_acc(short['lstm']['accuracy'])}, and each of its training steps took "
                f"{ratio:.1f}× less time than the LSTM's: then a window is enough."
            )
        parts.append(_verdict(pay))
    blind = c.get("ffnn-window-blind")
    if blind:
        parts.append(
            "A window FFNN cannot see past its window at all: "
            + blind["reason"]
            + " "
            + _verdict(blind)
        )
    return {"question": q, "answer": " ".join(parts) or "not measured in this run"}


def _costs(c: dict) -> dict[str, str]:
    q = "What are the pros and cons — what does the memory cost?"
    parts = []
    cost = c.get("lstm-costlier")
    if cost and cost["evidence"].get("equal_hidden"):
        rows = {r["model"]: r for r in cost["evidence"]["equal_hidden"]}
        if "lstm" in rows and "rnn" in rows:
            l, r = rows["lstm"], rows["rnn"]
            parts.append(
                f"At the same hidden size ({l['hidden']}) an LSTM has "
                f"{l['params'] / r['params']:.1f}× the parameters and "
                f"{l['flops_per_step'] / r['flops_per_step']:.1f}× the FLOPs of a plain RNN, and "
                f"a training step took {l['fwd_bwd_ms']['mean']:.3g} ms vs "
                f"{r['fwd_bwd_ms']['mean']:.3g} ms per time step on this machine "
                f"{_verdict(cost)}."
            )
    wc = c.get("ffnn-window-cost")
    if wc and wc["evidence"].get("frames"):
        fr = wc["evidence"]["frames"]
        widest = max(fr, key=lambda r: r["window"])
        parts.append(
            f"The FFNN pays differently: its size grows with the window — over {widest['window']} "
            f"frames of 28×28 pixels it needs {widest['ffnn']:,} parameters, an LSTM "
            f"{widest['lstm']:,} for any length {_verdict(wc)}."
        )
    return {"question": q, "answer": " ".join(parts) or "not measured in this run"}


def _vs_rnn(c: dict) -> dict[str, str]:
    q = "How is an LSTM different from a plain RNN?"
    parts = []
    deep = c.get("rnn-unrolled-deep")
    if deep:
        parts.append(
            "Both feed their state back; unrolled over T steps both are T layers deep "
            f"{_verdict(deep)}."
        )
    van = c.get("rnn-vanishing-gradient")
    if van:
        rows = {(r["model"], r["stage"]): r for r in van["evidence"]["rows"]}
        rnn, lstm = rows.get(("rnn", "trained")), rows.get(("lstm", "trained"))
        if rnn and lstm:
            parts.append(
                f"Through those layers the plain RNN's gradient shrank by a factor e every "
                f"{1 / rnn['rate']['mean']:.3g} steps back after training, the LSTM's every "
                f"{1 / lstm['rate']['mean']:.3g} {_verdict(van)}."
                if rnn["rate"]["mean"] > 0 and lstm["rate"]["mean"] > 0
                else f"Fitted gradient decay rates after training: RNN {rnn['rate']['mean']:.3g}, "
                f"LSTM {lstm['rate']['mean']:.3g} per step {_verdict(van)}."
            )
    fg = c.get("rnn-forgets")
    if fg:
        parts.append("In accuracy: " + fg["reason"] + " " + _verdict(fg))
    gr = c.get("lstm-gates-roles")
    if gr:
        parts.append("The gates are why: " + gr["reason"] + " " + _verdict(gr))
    return {"question": q, "answer": " ".join(parts) or "not measured in this run"}
