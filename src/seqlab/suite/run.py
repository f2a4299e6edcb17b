"""``seqlab run``: plan the runs the claims need for a profile, train them through the
sweep machinery, build every claim's evidence, decide it, and write the report.

    out/runs/<run dirs>      every trained model (reused by the next invocation)
    out/figures/*.png        one figure per claim
    out/results.json         the schema of DESIGN.md
    out/report.html          one self-contained file
    out/summary.md

Reproducibility. Run values, evidence and verdicts are functions of the profile, the seeds
and the code: two fresh invocations on one machine give the same ``results.json`` except the
numbers that depend on timing. Those are marked: the top-level ``timing_dependent`` lists
paths into the results (``runs.*.train_seconds``: ``*`` is any list index or key), each
claim's ``timing_dependent`` lists paths into its ``evidence`` (a claim module's
``TIMING_DEPENDENT``), and a part decided on timing carries ``"timing": true`` (the module's
``TIMING_PARTS``); a claim with such a part may change verdict between runs only through it.
``without_timing(results)`` removes all of these (and a timing-dependent claim's reason and
verdict, which quote and combine them), leaving what must be identical.
"""

from __future__ import annotations

import json
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

import seqlab
from seqlab import rundir
from seqlab.claims import CLAIMS, ERROR, ClaimResult
from seqlab.claims.base import error_entry
from seqlab.claims.common import Runs
from seqlab.claims.profiles import PROFILES, Profile
from seqlab.errors import ConfigError, SeqlabError
from seqlab.report import plots, write_report
from seqlab.suite.questions import answers
from seqlab.sweep import run_sweep
from seqlab.sweep.local import default_jobs
from seqlab.sweep.runner import run_id

RunGroup = Callable[[Profile], dict[str, dict]]
EVIDENCE_THREADS = 1


def _log(msg: str) -> None:
    print(f"seqlab run: {msg}", file=sys.stderr, flush=True)


def plan_runs(p: Profile) -> tuple[dict[str, dict], dict[str, set[str]], list[str]]:
    """All runs the claims need for profile ``p``, by role; the keys each claim needs; and
    notes on what could not be planned (a data package that is not installed: the claims
    that need it say so). Each run group is called once; a key two groups share must hold
    the same config."""
    plan: dict[str, dict] = {}
    needs: dict[str, set[str]] = {}
    notes: list[str] = []
    done: dict[RunGroup, dict[str, dict]] = {}
    for cid, module in CLAIMS.items():
        needs[cid] = set()
        for group in module.RUNS:
            if group not in done:
                try:
                    done[group] = group(p)
                except SeqlabError as e:
                    done[group] = {}
                    notes.append(f"{group.__name__} runs skipped: {e}")
            for key, flat in done[group].items():
                if plan.setdefault(key, flat) != flat:
                    raise RuntimeError(f"run {key} is planned twice with different configs")
                needs[cid].add(key)
    return plan, needs, notes


def reuse_whole_runs(plan: dict[str, dict], runs_dir: Path) -> dict[str, dict]:
    """``plan`` with each run that stops at a perfect accuracy (``stop_at`` >= 1) replaced by
    its twin without ``stop_at`` where that twin is finished in ``runs_dir`` (a suite from
    before the recall runs stopped early). The twin trained all the steps, but the weights
    it kept are the stopped run's: the trainer keeps only strictly better checks, so after
    the first check at accuracy 1 nothing later is kept, and a twin that never reached 1
    trained exactly what the stopped run would have. Its result says how long it trained."""
    out = {}
    for key, flat in plan.items():
        stop_at = flat.get("stop_at")
        twin = {k: v for k, v in flat.items() if k != "stop_at"}
        if stop_at is not None and stop_at >= 1:
            try:
                done = rundir.read_result(runs_dir / run_id(twin))
            except ValueError:  # a damaged result: not finished (the sweep redoes it)
                done = None
            if done is not None and done.get("metric") == "accuracy":
                flat = twin
        out[key] = flat
    return out


def longest_first(plan: dict[str, dict]) -> list[dict]:
    """The planned configs, those with more training steps first (ties in plan order): the
    long runs start early instead of leaving one worker alone at the end. The order
    changes no result, only the wall time."""
    return sorted(plan.values(), key=lambda flat: -int(flat.get("steps") or 0))


def decide_claim(module: ModuleType, runs: Runs, out: Path) -> tuple[dict, str | None]:
    """The claim's results entry, and the traceback when its experiment broke (then the
    entry holds ``"verdict": "error"``: a broken builder never votes)."""
    cid = module.CLAIM.id
    try:
        ev, fig = module.evidence(runs)
        decision = module.decide(ev)
        figure = plots.save_figure(fig, out, cid) if fig is not None else None
    except Exception:  # noqa: BLE001 - any failure is reported as an error, never a verdict
        tb = traceback.format_exc()
        return error_entry(module.CLAIM, tb.strip().splitlines()[-1]), tb
    entry = ClaimResult(module.CLAIM, decision, ev, figure).to_dict()
    timing_parts = set(getattr(module, "TIMING_PARTS", ()))
    for part in entry["parts"]:
        if part["part"] in timing_parts:
            part["timing"] = True
    entry["timing_dependent"] = list(getattr(module, "TIMING_DEPENDENT", ()))
    return entry, None


# paths into results.json whose values depend on timing (``*``: any list index or key)
TIMING_DEPENDENT = ("wall_seconds", "runs.*.train_seconds", "questions")


def _drop(node: Any, path: list[str]) -> None:
    """Delete ``path`` (``*`` matches every key / index) inside ``node``, where present."""
    head, rest = path[0], path[1:]
    items = (
        list(node.items())
        if isinstance(node, dict)
        else list(enumerate(node))
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        if head not in ("*", str(key)):
            continue
        if rest:
            _drop(child, rest)
        elif isinstance(node, dict):
            del node[key]


def without_timing(results: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``results`` without what depends on timing (see the module docstring):
    what two fresh runs of one profile on one machine must agree on exactly."""
    out = json.loads(json.dumps(results))
    for path in out.get("timing_dependent", ()):
        _drop(out, path.split("."))
    for claim in out["claims"]:
        for path in claim.get("timing_dependent", ()):
            _drop(claim["evidence"], path.split("."))
        if claim.get("timing_dependent"):
            claim.pop("reason", None)
            if any(p.get("timing") for p in claim.get("parts", ())):
                claim.pop("verdict", None)
            claim["parts"] = [p for p in claim.get("parts", ()) if not p.get("timing")]
        claim.pop("figure", None)
    return out


def _decide_all(
    p: Profile,
    runs: Runs,
    plan: dict[str, dict],
    needs: dict[str, set[str]],
    failed: set[str],
    notes: list[str],
    out: Path,
) -> tuple[list[dict], list[str]]:
    """Every claim's results entry (the distance sweeps evaluated ahead, in ``runs.jobs``
    processes), and the errors; tracebacks go to ``notes``."""
    runs.prefetch_distances(
        {
            key: p.alice_distances if key.startswith("alice/") else p.distances
            for key, flat in plan.items()
            if flat["task"] == "recall" and "-" in str(flat.get("distance"))
        },
        runs.jobs,
    )
    claims, errors = [], []
    for cid, module in CLAIMS.items():
        _log(f"claim {cid}")
        lost = sorted(needs[cid] & failed)
        if lost:
            entry = error_entry(module.CLAIM, f"training runs failed: {', '.join(lost)}")
        else:
            entry, tb = decide_claim(module, runs, out)
            if tb is not None:
                notes.append(f"{cid}: {tb}")
        if entry["verdict"] == ERROR:
            errors.append(f"{cid}: {entry['error']}")
            _log(f"claim {cid} failed: {entry['error']}")
        claims.append(entry)
    return claims, errors


def run_suite(
    profile: str = "quick",
    out: str | Path = "seqlab-report",
    *,
    executor: str = "local",
    jobs: int | None = None,
    address: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the evidence suite; returns the results dict (also written to ``out``).

    A claim whose experiment broke is in ``results["errors"]`` and has no verdict; the CLI
    exits 1 then, after writing everything else."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    p = PROFILES[profile]
    out = Path(out)
    t0 = time.perf_counter()
    plan, needs, notes = plan_runs(p)
    plan = reuse_whole_runs(plan, out / "runs")
    notes = [p.cuts, *notes] if p.cuts else notes
    _log(f"profile {p.name}: {len(plan)} training runs, output in {out}")
    sweep = run_sweep(
        longest_first(plan), out / "runs", executor=executor, jobs=jobs, address=address,
        progress=progress,
    )  # fmt: skip
    by_dir = {Path(o.run_dir).name: o for o in sweep.runs if o.run_dir}
    R: dict[str, dict] = {}
    failed: set[str] = set()
    for key, flat in plan.items():
        o = by_dir.get(run_id(flat))
        if o is not None and o.result is not None:
            R[key] = o.result
        else:
            failed.add(key)
            notes.append(f"run {key} failed: {o.error if o else 'not run'}")
    _log(f"{sweep.executed} runs trained, {sweep.skipped} reused, {sweep.failed} failed")

    runs = Runs(R, p, jobs=jobs or default_jobs(len(plan)))
    # The evidence runs at EVIDENCE_THREADS: its probes are small batches, and a 2-thread
    # team that gets one core spins. Measured 2026-12-03: rnn-vanishing-gradient took 38 s
    # at 2 threads with the machine otherwise near idle, and had not finished after 8
    # minutes with four other 1-thread processes on the 2 cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(EVIDENCE_THREADS)
    try:
        claims, errors = _decide_all(p, runs, plan, needs, failed, notes, out)
    finally:
        torch.set_num_threads(threads)

    by_id = {c["id"]: c for c in claims}
    results = {
        "schema": 1,
        "seqlab_version": seqlab.__version__,
        "profile": p.name,
        "environment": {
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "device": "cuda" if torch.cuda.is_available() else "cpu",
            "threads": torch.get_num_threads(),
            "seed": list(p.seeds),
            "executor": executor,
        },
        "errors": errors,
        "questions": answers(by_id),
        "claims": claims,
        "runs": [
            {
                "key": key,
                "dir": str(Path(r["run_dir"]).relative_to(out.resolve()))
                if Path(r["run_dir"]).is_relative_to(out.resolve())
                else r["run_dir"],
                "task": r["task"],
                "model": r["model"],
                "params": r["params"],
                "metric": r["metric"],
                "value": r["value"],
                "train_seconds": r["train_seconds"],
            }
            for key, r in R.items()
        ],
        "notes": notes,
        "timing_dependent": list(TIMING_DEPENDENT),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
    paths = write_report(results, out)
    _log(f"report: {paths['html']}  ({results['wall_seconds']:.0f} s)")
    return results
