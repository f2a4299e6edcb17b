"""How much context each model uses on real text (``seqlab.probes.context``): FFNN(5), RNN,
LSTM, GRU, dilated TCN, causal Transformer, minGRU and minLSTM, on the King James Bible and
the German fortunes, beside Khandelwal et al. 2018 (~200 tokens).

    .venv/bin/python benchmarks/context_use.py [--steps 1000] [--tokens 500] [--jobs 8]
        [--models ffnn rnn lstm gru tcn transformer mingru minlstm]
        [--corpora kjv fortunes-de] [--extra RUN_DIR ...] [--runs /tmp/context-runs/probe]
        [--out benchmarks/context.json]

Each model is trained as ``seqlab train --task text --corpus C --model M [--window 5]
--steps S --eval-every S/2`` would train it: the text defaults (``seqlab.defaults``: 2×200,
dropout 0.2, SGD lr 20 cosine, clip 0.25, batch 20, 35-token chunks) with a shorter budget,
the same run directory as that command (reused when it exists). ``--extra`` adds finished
text runs (e.g. the 8,000-step default LSTM) to the probe of their corpus. The probe runs in
``--jobs`` processes of 1 thread; the JSON holds every number and the figures are written
beside it (``context-<corpus>.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

MODELS = ("ffnn", "rnn", "lstm", "gru", "tcn", "transformer", "mingru", "minlstm")
WINDOW = 5  # the FFNN's window of words


def flat_config(corpus: str, model: str, window: int | None, steps: int) -> dict:
    from seqlab.defaults import apply_task_defaults

    flat = {"task": "text", "corpus": corpus, "model": model, "window": window}
    flat.update(steps=steps, eval_every=max(1, steps // 2))
    return apply_task_defaults(flat)


def _train(args: tuple[dict, str]) -> str:
    from seqlab.config import TrainConfig
    from seqlab.train import train

    flat, runs = args
    torch.set_num_threads(1)
    return train(TrainConfig.from_flat(flat), runs, progress="quiet")["run_dir"]


def _probe(args: tuple[str, int, int]) -> dict:
    from seqlab.probes.context import probe_run

    run_dir, tokens, seed = args
    torch.set_num_threads(1)
    t0 = time.process_time()
    p = probe_run(run_dir, tokens=tokens, seed=seed)
    p["probe_cpu_seconds"] = round(time.process_time() - t0, 1)
    return p


def main() -> None:
    from seqlab.probes.context_summary import summarise_probes
    from seqlab.report.context_figure import context_figure
    from seqlab.report.plots import save_figure

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--tokens", type=int, default=500)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=8)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--corpora", nargs="+", default=["kjv", "fortunes-de"])
    ap.add_argument("--extra", nargs="*", default=[], help="more finished text runs to probe")
    ap.add_argument("--runs", default="/tmp/context-runs/probe")
    ap.add_argument("--out", default="benchmarks/context.json")
    ap.add_argument(
        "--probe-now",
        action="store_true",
        help="do not train: probe the runs' best weights so far (runs still training)",
    )
    a = ap.parse_args()

    started, load_start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.getloadavg()
    flats = [
        (c, flat_config(c, m, WINDOW if m == "ffnn" else None, a.steps))
        for c in a.corpora
        for m in a.models
    ]
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        if a.probe_now:
            from seqlab.config import TrainConfig
            from seqlab.rundir import run_dir

            dirs = [str(run_dir(TrainConfig.from_flat(f), a.runs)) for _, f in flats]
        else:
            dirs = list(pool.map(_train, [(f, a.runs) for _, f in flats]))
        jobs = [(d, a.tokens, a.seed) for d in [*dirs, *a.extra]]
        probes = list(pool.map(_probe, jobs))
    by_corpus: dict[str, list[dict]] = {}
    for p in probes:
        by_corpus.setdefault(p["run"]["corpus"], []).append(p)
    out = {
        "benchmark": "context_use",
        "started": started,
        "load_average_start": load_start,
        "settings": vars(a),
        "corpora": {},
    }
    for corpus, ps in by_corpus.items():
        # the extra runs get their own label, so a longer-trained LSTM is not pooled as a seed
        for p in ps:
            if p["run"]["run_dir"] in a.extra:
                p["label"] = f"{p['label']}-{p['run']['steps']}steps"
        result = summarise_probes(ps, boot=a.boot, seed=a.seed)
        for p in ps:
            result["models"][p["label"]]["probe_cpu_seconds"] = p["probe_cpu_seconds"]
        fig = context_figure(result, title=f"Context use on {corpus} test text")
        name = "context-" + "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in corpus)
        result["figure"] = save_figure(fig, Path(a.out).parent, name)
        out["corpora"][corpus] = result
        for label, m in result["models"].items():
            e, o, b = m["effective_context"], m["order_context"], m["best"]
            print(
                f"{corpus:>12} {label:>18}: full ppl {m['full_perplexity']:7.1f}  best n "
                f"{b['n']} (ppl {b['perplexity']:.1f})  effective {e['n']} [{e['lo']}, "
                f"{e['hi']}]  order {o['n']} [{o['lo']}, {o['hi']}]  "
                f"ppl at n=1 {np.exp(m['curves']['truncated']['loss'][0]):.1f}",
                flush=True,
            )
    out["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out["load_average_end"] = os.getloadavg()
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
