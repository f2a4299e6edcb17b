"""Fault figures, measured: signals at random steps, kills mid-write, concurrent launches,
a killed sweep worker and every bad-input class, each checked against an uninterrupted twin.

    .venv/bin/python scripts/faults.py                      # the full counts (make faults)
    .venv/bin/python scripts/faults.py --sigint 2 --sigterm 2 --sigkill 2 --concurrent 3

Every trainer here is a real ``seqlab train`` process at one thread (bit-identical resume is
a same-machine, same-thread-count property). A trial passes when the resumed run's weights
(SHA-256 of ``weights.safetensors``), its metrics rows (wall-clock column aside) and its
result's test / validation values, best step and step count all equal the twin's.

Writes a Markdown report (``--report``, default docs/reliability.md) and, with ``--json``,
the raw trials on stdout. Exit 0 when every trial passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from seqlab import rundir
from seqlab.atomic import PAUSE_ENV
from seqlab.checkpoint import load_checkpoint
from seqlab.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
FLAT = {
    "task": "adding",
    "model": "lstm",
    "seq_len": 30,
    "hidden_size": 24,
    "batch_size": 16,
    "steps": 300,
    "eval_every": 50,
    "dropout": 0.1,  # the dropout RNG stream must be restored as well
    "seed": 3,
}
SWEEP_GRID = """[base]
task = "adding"
model = "lstm"
seq_len = 8
steps = 1500
hidden_size = 8

[axes]
seed = [1, 2, 3, 4]
"""
RESULT_KEYS = ("value", "valid_value", "best_step", "steps", "final_train_loss", "params")


# ----- processes ------------------------------------------------------------------------


def argv(flat: dict[str, Any]) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in flat.items()]


def launch(out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "seqlab", "train", *argv(FLAT), f"--out={out}", *extra]
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen(
        cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> bool:
    """True once ``path`` exists; False if the process ended first."""
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            return False
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise TimeoutError(f"timed out waiting for {path}")
        time.sleep(0.01)
    return True


def folder_of(out: Path) -> Path:
    return rundir.run_dir(TrainConfig.from_flat(FLAT), out)


def fingerprint(folder: Path) -> dict[str, Any]:
    """What must be identical between a resumed run and its uninterrupted twin."""
    rows = [json.loads(x) for x in (folder / rundir.METRICS_JSONL).read_text().splitlines()]
    for row in rows:
        row.pop("seconds", None)
    result = rundir.read_result(folder) or {}
    return {
        "weights_sha256": hashlib.sha256((folder / rundir.WEIGHTS).read_bytes()).hexdigest(),
        "metrics": rows,
        "result": {k: result.get(k) for k in RESULT_KEYS},
    }


def same_as(twin: dict[str, Any], folder: Path) -> tuple[bool, str]:
    mine = fingerprint(folder)
    diffs = [k for k in ("weights_sha256", "metrics", "result") if mine[k] != twin[k]]
    if (folder / rundir.CHECKPOINT).exists():
        diffs.append("checkpoint left behind")
    return (not diffs, ", ".join(diffs))


# ----- trials -------------------------------------------------------------------------------


def signal_trial(work: Path, twin: dict, signum: int, delay: float) -> dict[str, Any]:
    """Send ``signum`` ``delay`` seconds after training started; resume; compare."""
    out = work / "out"
    proc = launch(out, "--quiet")
    started = wait_for(folder_of(out) / rundir.CONFIG, proc)
    if started:
        time.sleep(delay)
        proc.send_signal(signum)
    _, err = proc.communicate(timeout=300)
    expected = 128 + signum
    ckpt = folder_of(out) / rundir.CHECKPOINT
    if rundir.read_result(folder_of(out)) is not None:
        # result.json is written last: the run had finished when the signal came (exit 0, or
        # killed by the default handler once the trainer had restored it). Nothing to resume.
        return {"outcome": "finished first", "exit_code": proc.returncode, "ok": None}
    stopped_at = load_checkpoint(ckpt)["step"] if ckpt.exists() else None
    resumed = launch(out, "--quiet")
    _, err2 = resumed.communicate(timeout=300)
    ok, diff = same_as(twin, folder_of(out)) if resumed.returncode == 0 else (False, err2[-300:])
    return {
        "exit_code": proc.returncode,
        "exit_code_ok": proc.returncode == expected,
        "stopped_at": stopped_at,
        "resume_exit_code": resumed.returncode,
        "identical": ok,
        "diff": diff,
        "ok": ok and proc.returncode == expected and stopped_at is not None,
    }


def sigkill_trial(work: Path, twin: dict, nth_write: int) -> dict[str, Any]:
    """SIGKILL inside the ``nth_write``-th checkpoint write (its temp file complete, not yet
    in place): the previous checkpoint must load; the same command must finish identically."""
    out, marker = work / "out", work / "paused"
    proc = launch(out, "--quiet", env={PAUSE_ENV: f"{rundir.CHECKPOINT}:{nth_write}:{marker}"})
    if not wait_for(marker, proc):
        return {"outcome": "ended before the write", "ok": False, "err": proc.stderr.read()}
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    folder = folder_of(out)
    leftover = bool(list(folder.glob(f".{rundir.CHECKPOINT}.tmp-*")))
    try:
        previous_step = load_checkpoint(folder / rundir.CHECKPOINT)["step"]
    except Exception as e:  # noqa: BLE001  (any failure to load is the finding)
        previous_step = f"failed to load: {e}"
    resumed = launch(out, "--quiet")
    _, err = resumed.communicate(timeout=300)
    ok, diff = same_as(twin, folder) if resumed.returncode == 0 else (False, err[-300:])
    expected_step = (nth_write - 1) * FLAT["eval_every"]
    return {
        "nth_write": nth_write,
        "temp_file_left": leftover,
        "previous_step": previous_step,
        "previous_loads": previous_step == expected_step,
        "identical": ok,
        "diff": diff,
        "ok": previous_step == expected_step and ok,
    }


def concurrent_trial(work: Path, twin: dict, n: int) -> dict[str, Any]:
    """``n`` launches of one config at once: one trains, the others wait and reuse."""
    out = work / "out"
    procs = [launch(out) for _ in range(n)]
    done = [p.communicate(timeout=600) for p in procs]
    codes = [p.returncode for p in procs]
    trainers = sum("step " in err for _, err in done)
    waited = sum("being trained by" in err for _, err in done)
    same, diff = same_as(twin, folder_of(out)) if codes == [0] * n else (False, "exit codes")
    return {
        "launches": n,
        "exit_codes": codes,
        "trained": trainers,
        "waited": waited,
        "identical": same,
        "diff": diff,
        "ok": codes == [0] * n and trainers == 1 and same,
    }


def _workers(pid: int) -> list[int]:
    """The sweep driver's worker processes (spawned children; not multiprocessing's
    resource tracker)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids += [int(x) for x in (task / "children").read_text().split()]
    workers = []
    for kid in kids:
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{kid}/cmdline").read_bytes():
                workers.append(kid)
    return workers


def sweep_trial(work: Path) -> dict[str, Any]:
    """Kill the worker of a 4-run sweep during its 2nd run; the next invocation must run only
    what is missing and leave the finished runs untouched."""
    work.mkdir(parents=True)
    grid = work / "grid.toml"
    grid.write_text(SWEEP_GRID)
    out = work / "sweep"
    cmd = [sys.executable, "-m", "seqlab", "sweep", str(grid), "--out", str(out), "--jobs", "1",
           "--cpus-per-run", "1", "--retries", "0", "--json"]  # fmt: skip
    driver = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while len(list(out.glob("*/result.json"))) < 1 or len(list(out.glob("*/config.json"))) < 2:
        if driver.poll() is not None or time.monotonic() - t0 > 300:
            driver.kill()
            return {"ok": False, "outcome": "no second run started", "err": driver.stderr.read()}
        time.sleep(0.02)
    workers = _workers(driver.pid)
    time.sleep(0.3)  # into the 2nd run's training
    for w in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(w, signal.SIGKILL)
    first_out, _ = driver.communicate(timeout=600)
    first = json.loads(first_out)["counts"] if first_out.strip() else {}
    finished = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.glob("*/result.json")}
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    counts = json.loads(rerun.stdout)["counts"] if rerun.stdout.strip() else {}
    untouched = all((p.read_bytes(), p.stat().st_mtime_ns) == v for p, v in finished.items())
    return {
        "workers_killed": len(workers),
        "first_exit_code": driver.returncode,
        "first_counts": first,
        "finished_before_rerun": len(finished),
        "rerun_exit_code": rerun.returncode,
        "rerun_counts": counts,
        "finished_untouched": untouched,
        "ok": (
            rerun.returncode == 0
            and counts.get("skipped") == len(finished)
            and counts.get("executed") == 4 - len(finished)
            and untouched
            and len(list(out.glob("*/result.json"))) == 4
        ),
    }


def bad_input_trials(work: Path) -> list[dict[str, Any]]:
    """Every bad-input class of tests/test_bad_input.py through `seqlab train`."""
    from _pytest.monkeypatch import MonkeyPatch

    sys.path.insert(0, str(ROOT / "tests"))
    from seqlab.cli import main
    from test_bad_input import CASES, _cli_args

    rows = []
    for name, case in CASES.items():
        tmp = work / name
        tmp.mkdir()
        mp = MonkeyPatch()
        err = io.StringIO()
        try:
            options = case.make(tmp, mp)
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                try:
                    main(_cli_args(case, options, tmp / "runs"))
                    code = 0
                except SystemExit as e:
                    code = e.code
        finally:
            mp.undo()
        text = err.getvalue().strip()
        shown = text.replace(str(work), "$WORK").replace(str(Path.cwd()), "$PWD")
        written = [p for p in (tmp / "runs").rglob("*") if p.is_file()]
        rows.append(
            {
                "case": name,
                "exit_code": code,
                "message": shown.removeprefix("seqlab: error: "),
                "ok": code == 2
                and "Traceback" not in text
                and all(f in text for f in case.expect)
                and not written,
            }
        )
    return rows


# ----- report ---------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    py, tv = platform.python_version(), torch.__version__
    return f"{cpu}, {os.cpu_count()} cores, Python {py}, torch {tv}"


def summarise(name: str, trials: list[dict]) -> str:
    counted = [t for t in trials if t.get("ok") is not None]
    passed = sum(bool(t["ok"]) for t in counted)
    return f"| {name} | {len(counted)} | {passed} | {len(counted) - passed} |"


def report(doc: dict[str, Any]) -> str:
    t = doc["trials"]
    lines = [
        "# Reliability: fault figures, measured",
        "",
        "Produced by `make faults` (`.venv/bin/python scripts/faults.py "
        + " ".join(doc["argv"])
        + "`); the numbers below are that run's, not assumed.",
        "",
        f"- Machine: {doc['machine']}",
        f"- Date: {doc['date']} · wall time {doc['wall_seconds']:.0f} s · seed {doc['seed']}",
        f"- Trainer under test: `seqlab train` with {json.dumps(FLAT)}, one thread;",
        "  each resumed run is compared with an uninterrupted twin: SHA-256 of the best weights,",
        "  every metrics row (wall clock aside), and the result's values, best step and steps.",
        "",
        "| fault | trials | passed | failed |",
        "|---|---|---|---|",
        summarise("SIGINT at a random moment, then the same command", t["sigint"]),
        summarise("SIGTERM at a random moment, then the same command", t["sigterm"]),
        summarise("SIGKILL inside a checkpoint write", t["sigkill"]),
        summarise(f"{doc['concurrent']} concurrent launches of one config", t["concurrent"]),
        summarise("a sweep worker SIGKILLed, then the same sweep", t["sweep"]),
        summarise(
            "bad input through `seqlab train` (exit 2, message, nothing written)", t["bad_input"]
        ),  # fmt: skip
        "",
    ]
    for name, code in (("sigint", 130), ("sigterm", 143)):
        counted = [x for x in t[name] if x.get("ok") is not None]
        steps = [x["stopped_at"] for x in counted if x.get("stopped_at") is not None]
        late = [x.get("exit_code") for x in t[name] if x.get("outcome") == "finished first"]
        if steps:
            lines.append(
                f"- {name.upper()}: exit code {code} in "
                f"{sum(bool(x.get('exit_code_ok')) for x in counted)} of {len(counted)}; "
                f"stopped at steps {min(steps)}–{max(steps)} (median "
                f"{statistics.median(steps):g}) of {FLAT['steps']}; resumed bit-identical "
                f"in {sum(bool(x.get('identical')) for x in counted)} of {len(counted)}"
                + (
                    f"; {len(late)} more draws landed after the run had finished (result.json "
                    f"already written; exit codes {sorted(late)}) and are not counted"
                    if late
                    else ""
                )
                + "."
            )
    if t["sigkill"]:
        k = t["sigkill"]
        lines.append(
            f"- SIGKILL: the previous checkpoint loaded in {sum(x['previous_loads'] for x in k)} "
            f"of {len(k)} (writes {sorted({x['nth_write'] for x in k})} interrupted); the same "
            f"command then finished bit-identical in {sum(x['identical'] for x in k)} of {len(k)}."
        )
    for c in t["concurrent"]:
        lines.append(
            f"- Concurrent: exit codes {c['exit_codes']}; {c['trained']} process trained, "
            f"{c['waited']} waited for it, the rest found it finished; identical to the twin: "
            f"{c['identical']}."
        )
    for s in t["sweep"]:
        lines.append(
            f"- Sweep: {s.get('workers_killed')} worker process(es) killed during the 2nd of 4 "
            f"runs; first invocation exit "
            f"{s.get('first_exit_code')} {s.get('first_counts')}; rerun exit "
            f"{s.get('rerun_exit_code')} {s.get('rerun_counts')}; finished runs untouched: "
            f"{s.get('finished_untouched')}."
        )
    if t["bad_input"]:
        lines += [
            "",
            "## Bad input, class by class",
            "",
            "`$WORK` stands for the trial's temporary folder, `$PWD` for the current folder.",
            "",
            "| case | exit | message |",
            "|---|---|---|",
        ]
        for b in t["bad_input"]:
            msg = b["message"].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {b['case']} | {b['exit_code']} | {msg} |")
    lines += [
        "",
        "## Covered in CI",
        "",
        "`make test` keeps a few trials of each: `tests/test_resume.py` (SIGINT, SIGTERM,",
        "SIGKILL mid-write, each compared with the twin), `tests/test_runlock.py` (a waiting",
        "launch, `--no-wait`, a SIGKILLed holder, three concurrent launches),",
        "`tests/test_full_disk.py` (a full tmpfs or RLIMIT_FSIZE: exit 2, no partial file, the",
        "previous checkpoint intact), `tests/test_sweep.py` (a dead worker, an interrupted sweep),",
        "`tests/test_bad_input.py` (every class below) and `tests/test_faults.py`, which runs",
        "this script with one trial of each.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sigint", type=int, default=20)
    p.add_argument("--sigterm", type=int, default=20)
    p.add_argument("--sigkill", type=int, default=20)
    p.add_argument("--concurrent", type=int, default=5, help="launches at once (0: skip)")
    p.add_argument("--no-sweep", action="store_true")
    p.add_argument("--no-bad-input", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", type=Path, default=ROOT / "docs" / "reliability.md")
    p.add_argument("--json", action="store_true", help="print the trials as JSON on stdout")
    args = p.parse_args()
    rng = random.Random(args.seed)
    t_start = time.monotonic()
    trials: dict[str, list] = {k: [] for k in ("sigint", "sigterm", "sigkill", "concurrent",
                                               "sweep", "bad_input")}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="seqlab-faults-") as tmp:
        work = Path(tmp)
        twin_proc = launch(work / "twin", "--quiet")
        _, err = twin_proc.communicate(timeout=600)
        if twin_proc.returncode != 0:
            print(err, file=sys.stderr)
            return 1
        twin_folder = folder_of(work / "twin")
        twin = fingerprint(twin_folder)
        span = rundir.read_result(twin_folder)["wall_seconds"]
        n_writes = FLAT["steps"] // FLAT["eval_every"]
        for name, signum, wanted in (
            ("sigint", signal.SIGINT, args.sigint),
            ("sigterm", signal.SIGTERM, args.sigterm),
        ):
            i = 0  # draw until `wanted` signals landed during training (at most 3x as many)
            while sum(t["ok"] is not None for t in trials[name]) < wanted and i < 3 * wanted:
                delay = rng.uniform(0, 0.95 * span)
                trial = signal_trial(work / f"{name}-{i}", twin, signum, delay)
                trials[name].append(trial)
                print(f"{name} {i}: {trial}", file=sys.stderr)
                i += 1
        for i in range(args.sigkill):
            trial = sigkill_trial(work / f"kill-{i}", twin, rng.randint(2, n_writes))
            trials["sigkill"].append(trial)
            print(f"sigkill {i}: {trial}", file=sys.stderr)
        if args.concurrent:
            trials["concurrent"].append(concurrent_trial(work / "conc", twin, args.concurrent))
            print(f"concurrent: {trials['concurrent'][-1]}", file=sys.stderr)
        if not args.no_sweep:
            trials["sweep"].append(sweep_trial(work / "sweep-trial"))
            print(f"sweep: {trials['sweep'][-1]}", file=sys.stderr)
        if not args.no_bad_input:
            (work / "bad").mkdir()
            trials["bad_input"] = bad_input_trials(work / "bad")
    shown = list(sys.argv[1:])  # the command as a reader reruns it: no local report path
    if "--report" in shown:
        i = shown.index("--report")
        del shown[i : i + 2]
    doc = {
        "argv": shown,
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "seed": args.seed,
        "wall_seconds": time.monotonic() - t_start,
        "concurrent": args.concurrent,
        "trials": trials,
    }
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report(doc))
    if args.json:
        print(json.dumps(doc, indent=1, default=str))
    failed = [t for group in trials.values() for t in group if t.get("ok") is False]
    print(f"faults: {len(failed)} failed; report in {args.report}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
