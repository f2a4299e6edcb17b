"""Load check of `seqlab explore`: N requests from C concurrent clients against 127.0.0.1.

    python benchmarks/explore_load.py RUN_DIR [RUN_DIR ...] [--requests 200] [--clients 8]

Starts ``seqlab explore`` as a child process on a free port, then sends ``--requests``
requests per round from ``--clients`` threads (analyze, saliency and match in turn, the
Alice sentence), for ``--rounds`` rounds. Prints one JSON document: per round the count
answered 200, latency p50 / p95 / max (ms) and throughput, and the server's resident memory
(RSS from /proc) after start-up and after each round, and its peak (VmHWM). A leak shows as
RSS growing round after round. Stops the server with SIGINT and records its exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ALICE = "on a rainy tuesday alice is hungry , then she drives to the nearest store to buy"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found for pid {pid}")


def post(url: str, body: dict) -> tuple[int, float]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data, headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = -1
    return status, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    proc = subprocess.Popen(
        [sys.executable, "-m", "seqlab", "explore", *args.runs, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        sys.exit(f"the server did not start: {line!r}")
    base = line.split()[line.split().index("at") + 1]
    with urllib.request.urlopen(base + "api/runs") as r:
        runs = json.loads(r.read())
    first = next(r for r in runs if r["input"] == "tokens")
    words = len(ALICE.split())
    bodies = [
        ("analyze", {"text": ALICE}),
        ("saliency", {"text": ALICE, "position": words - 1}),
        ("match", {"run": first["id"], "panel": first["panels"][-1], "units": [0, 1]}),
    ]
    rss_start = rss_kib(proc.pid)
    load_before = os.getloadavg()
    rounds = []
    for _ in range(args.rounds):
        jobs = [bodies[i % len(bodies)] for i in range(args.requests)]
        samples: list[int] = []
        stop = threading.Event()

        def sample(samples=samples, stop=stop) -> None:
            while not stop.is_set():
                samples.append(rss_kib(proc.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(lambda j: post(base + "api/" + j[0], j[1]), jobs))
        wall = time.perf_counter() - t0
        stop.set()
        sampler.join()
        lat = np.array([t for _, t in results]) * 1000
        rounds.append(
            {
                "requests": len(results),
                "answered_200": sum(s == 200 for s, _ in results),
                "statuses": sorted({s for s, _ in results}),
                "p50_ms": round(float(np.percentile(lat, 50)), 1),
                "p95_ms": round(float(np.percentile(lat, 95)), 1),
                "max_ms": round(float(lat.max()), 1),
                "requests_per_s": round(len(results) / wall, 1),
                "rss_after_mib": round(rss_kib(proc.pid) / 1024, 1),
                "rss_peak_sampled_mib": round(max(samples) / 1024, 1),
            }
        )
    peak = rss_kib(proc.pid, "VmHWM")
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=60)
    print(
        json.dumps(
            {
                "runs": [r["label"] for r in runs],
                "clients": args.clients,
                "mix": [b[0] for b in bodies],
                "rss_start_mib": round(rss_start / 1024, 1),
                "rss_peak_vmhwm_mib": round(peak / 1024, 1),
                "rounds": rounds,
                "exit_code_after_sigint": code,
                "machine": {
                    "cpu": cpu_model(),
                    "cores": os.cpu_count(),
                    "load_average_1min_before_after": [
                        round(load_before[0], 1),
                        round(os.getloadavg()[0], 1),
                    ],
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
