"""The API's work, independent of the web framework: inputs, analysis, saliency, match.

``Explorer`` holds the loaded runs and what it computes from them once (the match view's
test-set states). One lock serialises the model work: concurrent requests queue instead of
oversubscribing the CPU, and memory stays that of one request at a time. Problems a user
can fix raise ``HTTPException`` with a message that says what to change: 400 input the
models cannot take, 404 an unknown run id, 422 a malformed request or a limit exceeded.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch
from fastapi import HTTPException

from seqlab.errors import SeqlabError
from seqlab.explore import schema
from seqlab.explore.inspect import analyze, panels_of, saliency
from seqlab.explore.match import rank_matches
from seqlab.explore.runs import MAX_MATCH_STEPS, Encoded, LoadedRun


class Explorer:
    """The loaded runs and the state the API computes from them (match states, cached)."""

    def __init__(self, runs: list[LoadedRun]) -> None:
        self.runs = {r.id: r for r in runs}
        self.lock = threading.Lock()
        self._states: dict[tuple[str, int], tuple[dict[str, list[np.ndarray]], list]] = {}

    def run(self, rid: str) -> LoadedRun:
        if rid not in self.runs:
            raise HTTPException(
                404, f"unknown run {rid[:80]!r}; the loaded runs are: {', '.join(self.runs)}"
            )
        return self.runs[rid]

    def selected(self, ids: list[str] | None) -> list[LoadedRun]:
        return [self.run(i) for i in ids] if ids else list(self.runs.values())

    # ----- inputs ---------------------------------------------------------------------

    def inputs(self, spec: schema.InputSpec) -> tuple[list[str], dict[str, Encoded | str]]:
        """The typed words (or the example's steps), and per run its encoding or why not."""
        runs = self.selected(spec.runs)
        if (spec.text is None) == (spec.example is None):
            raise HTTPException(422, "give either text or example (one of them)")
        out: dict[str, Encoded | str] = {}
        if spec.text is not None:
            text = spec.text
            if not text.strip():
                raise HTTPException(422, "the text is empty: type a sentence, e.g. 'alice is'")
            if len(text) > schema.MAX_TEXT_CHARS:
                raise HTTPException(
                    422,
                    f"the text has {len(text)} characters; the limit is "
                    f"{schema.MAX_TEXT_CHARS}. Shorten it.",
                )
            for r in runs:
                out[r.id] = self._try(lambda r=r: r.encode_text(text))
        else:
            ref = spec.example
            assert ref is not None
            source = self.run(ref.run)
            base = self._try(lambda: source.encode_example(ref.index))
            if isinstance(base, str):
                raise HTTPException(422, base)
            for r in runs:
                out[r.id] = self._transfer(source, base, r)
        encs = [e for e in out.values() if isinstance(e, Encoded)]
        if not encs:
            raise HTTPException(400, " ".join(str(e) for e in out.values()))
        first = encs[0]
        words = first.words[first.offset :]
        limit = schema.MAX_TOKENS if spec.text is not None else schema.MAX_EXAMPLE_STEPS
        if len(first.tokens) > limit:
            raise HTTPException(
                422,
                f"the input has {len(first.tokens)} steps; the limit is {limit}. Shorten the text.",
            )
        return words, out

    @staticmethod
    def _try(fn) -> Encoded | str:
        try:
            return fn()
        except SeqlabError as e:
            return str(e)

    def _transfer(self, source: LoadedRun, base: Encoded, r: LoadedRun) -> Encoded | str:
        """Source's example as run ``r``'s input: the same ids or floats where the inputs
        agree, the same words through ``r``'s vocabulary for another token run."""
        if r is source:
            return base
        if source.takes_tokens and r.takes_tokens:
            return self._try(lambda: r.encode_words(base.words))
        same = r.config.task == source.config.task and r.task.get("input_size") == (
            source.task.get("input_size")
        )
        if not source.takes_tokens and not r.takes_tokens and same:
            return base
        return f"run {r.id} ({r.config.task}) cannot take an example of run {source.id}."

    # ----- the API's work ---------------------------------------------------------------

    def analyze(self, spec: schema.AnalyzeRequest) -> dict[str, Any]:
        words, encs = self.inputs(spec)
        views = []
        unknown: set[str] = set()
        for rid, enc in encs.items():
            r = self.runs[rid]
            view: dict[str, Any] = {"run": rid, "label": r.label, "model": r.config.model}
            if isinstance(enc, str):
                views.append(view | {"tokens": [], "words": [], "error": enc})
                continue
            unknown.update(w for w, u in zip(enc.words, enc.unknown, strict=True) if u)
            with self.lock:
                result = analyze(r, enc.x, spec.layer)
            view |= {"tokens": enc.tokens, "words": enc.words, "offset": enc.offset, **result}
            if enc.x.dim() == 3:
                view["input"] = torch.round(enc.x[0].T.double(), decimals=4).tolist()
            views.append(view)
        return {"words": words, "unknown": sorted(unknown), "models": views}

    def saliency(self, spec: schema.SaliencyRequest) -> dict[str, Any]:
        words, encs = self.inputs(spec)
        if spec.position >= len(words):
            raise HTTPException(
                422, f"position {spec.position} is past the input's last step ({len(words) - 1})"
            )
        views = []
        for rid, enc in encs.items():
            r = self.runs[rid]
            view: dict[str, Any] = {"run": rid, "label": r.label}
            if isinstance(enc, str):
                views.append(view | {"error": enc})
                continue
            pos = enc.offset + spec.position
            with self.lock:
                s = saliency(r, enc.x, pos, spec.method)
            views.append(view | {"tokens": enc.tokens, "offset": enc.offset, "position": pos} | s)
        return {"method": spec.method, "models": views}

    def match(self, req: schema.MatchRequest) -> dict[str, Any]:
        r = self.run(req.run)
        if not r.examples:
            raise HTTPException(
                400, f"run {r.id} has no test-set examples to search. {r.examples_note}"
            )
        with self.lock:
            states, spans = self._match_states(r, req.layer)
        if req.panel not in states:
            raise HTTPException(
                422, f"run {r.id} has no panel {req.panel!r}; choose one of {', '.join(states)}"
            )
        H = states[req.panel][0].shape[1]
        bad = [u for u in req.units if not 0 <= u < H]
        if bad:
            raise HTTPException(422, f"units {bad} out of range: the panel has units 0 … {H - 1}")
        found = rank_matches(states[req.panel], req.units, req.threshold, limit=req.limit)
        results = []
        for m in found:
            idx, lo = spans[m.passage]
            toks = self._tokens(r, idx)
            s, e = lo + m.start, lo + m.end
            results.append(
                {
                    "passage": idx,
                    "start": s,
                    "end": e,
                    "intersection": m.intersection,
                    "union": m.union,
                    "length": m.length,
                    "before": toks[max(0, s - 8) : s],
                    "tokens": toks[s:e],
                    "after": toks[e : e + 4],
                }
            )
        return {
            "run": r.id,
            "panel": req.panel,
            "units": sorted(set(req.units)),
            "threshold": req.threshold,
            "passages": len(spans),
            "steps": int(sum(s.shape[0] for s in states[req.panel])),
            "results": results,
        }

    def _tokens(self, r: LoadedRun, idx: int) -> list[str]:
        x = r.examples[idx]["x"]
        return r.decode(x.tolist()) if r.takes_tokens else [str(t) for t in range(x.shape[0])]

    def _match_states(self, r: LoadedRun, layer: int):
        """Per panel, one ``(T_i, H)`` state matrix per test passage, computed once.

        Searched steps: the scored ones of a passage scored at every step (text: not the
        context fed before each chunk, which repeats the previous chunk), all steps of a
        passage scored once at its end (recall, images)."""
        key = (r.id, layer)
        if key not in self._states:
            states: dict[str, list[np.ndarray]] = {}
            spans: list[tuple[int, int]] = []
            total = 0
            for i, ex in enumerate(r.examples):
                scored = ex["mask"].nonzero()[:, 0]
                lo, hi = 0, ex["x"].shape[0]
                if len(scored) > 1:
                    lo, hi = int(scored[0]), int(scored[-1]) + 1
                if total + hi - lo > MAX_MATCH_STEPS:
                    break
                _, panels = panels_of(r, ex["x"][None], layer)
                for name, p in panels.items():
                    states.setdefault(name, []).append(p[0, lo:hi].float().numpy())
                spans.append((i, lo))
                total += hi - lo
            self._states[key] = (states, spans)
        return self._states[key]

    def run_info(self, r: LoadedRun) -> dict[str, Any]:
        info = r.describe()
        x = r.examples[0]["x"][None] if r.examples else None
        if x is None:
            x = torch.zeros((1, 2), dtype=torch.int64) if r.takes_tokens else None
        names: list[str] = []
        if x is not None:
            with self.lock:
                names = list(panels_of(r, x[:, :2], 0)[1])
        return info | {"panels": names}
