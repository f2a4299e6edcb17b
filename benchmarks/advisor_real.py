"""The advisor on real data: ``seqlab compare`` on series from statsmodels and UCR sets
bundled with aeon, one at a time, and the table of issue 17.

For each data set: the recommendation, its test metric, the best classical baseline's
test metric (the best *on test*, the strictest comparison), and the wall time of the
whole command against ``--budget-minutes``. A row passes when the recommendation is a
classical baseline ("a classical baseline is enough"), or is at least as good on test as
the best classical baseline (a trivial baseline or a network).

    .venv/bin/python benchmarks/advisor_real.py [--budget 1.5] [--only nile,arrowhead]
        [--out /tmp/advisor-real] [--json benchmarks/advisor-real.json]

Needs the ``classic`` extra (statsmodels, aeon). Runs with OMP_NUM_THREADS=1; the load
average at the start of each run is recorded beside its wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _series(name: str, column: str | None, out: Path) -> tuple[Path, list[str]]:
    """A statsmodels data set as a one-column CSV; ``column`` None: every column but the
    first (a year) read row by row (elnino: one row of 12 months per year)."""
    import statsmodels.api as sm

    data = getattr(sm.datasets, name).load_pandas().data
    if column is None:
        values = data.iloc[:, 1:].to_numpy(dtype=float).reshape(-1)
    else:
        values = data[column].to_numpy(dtype=float)
    path = out / f"{name}.csv"
    lines = ["value"] + [("" if np.isnan(v) else f"{v:.10g}") for v in values]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fill = ["--fill", "interpolate"] if np.isnan(values).any() else []
    return path, ["--task", "series", "--target", "value", *fill]


def _ucr(loader: str, out: Path) -> tuple[Path, list[str]]:
    import aeon.datasets as ds

    parts = [getattr(ds, loader)(split=s) for s in ("train", "test")]
    x = np.concatenate([p[0] for p in parts]).transpose(0, 2, 1)  # (N, T, D)
    y = np.concatenate([p[1] for p in parts])
    split = np.array(["train"] * len(parts[0][1]) + ["test"] * len(parts[1][1]))
    path = out / f"{loader.removeprefix('load_')}.npz"
    np.savez(path, x=x.astype(np.float64), y=y.astype(str), split=split)
    return path, ["--task", "classify"]


DATASETS = {
    "nile": lambda out: _series("nile", "volume", out),
    "sunspots": lambda out: _series("sunspots", "SUNACTIVITY", out),
    "co2": lambda out: _series("co2", "co2", out),
    "elnino": lambda out: _series("elnino", None, out),
    "italypowerdemand": lambda out: _ucr("load_italy_power_demand", out),
    "arrowhead": lambda out: _ucr("load_arrow_head", out),
    "gunpoint": lambda out: _ucr("load_gunpoint", out),
}


def row(name: str, budget: float, out: Path, extra: list[str]) -> dict:
    data, opts = DATASETS[name](out)
    folder = out / f"compare-{name}"
    seqlab = Path(sys.executable).with_name("seqlab")
    cmd = [str(seqlab), "compare", str(data), *opts, "--budget-minutes", f"{budget:g}",
           "--out", str(folder), "--json", *extra]  # fmt: skip
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"data": name, "error": proc.stderr.strip().splitlines()[-1:], "wall_s": wall}
    res = json.loads(proc.stdout)
    higher = res["higher_is_better"]
    rec = res["recommendation"]
    rows = res["candidates"]
    if rec["kind"] == "trained":
        pick = next(r for r in rows if r["kind"] == "trained" and r["model"] == rec["model"]
                    and r["window"] == rec["window"])  # fmt: skip
    else:
        pick = next(r for r in rows if r["model"] == rec["model"])
    bases = [r for r in rows if r["kind"] == "classical" and r["value"] is not None]
    best = (max if higher else min)(bases, key=lambda r: r["value"])
    ok = rec["kind"] == "classical" or (
        pick["value"] >= best["value"] if higher else pick["value"] <= best["value"]
    )
    return {
        "data": name,
        "task": res["task"],
        "metric": res["metric"],
        "recommendation": rec["model"] + (f" k={rec['window']}" if rec["window"] else ""),
        "kind": rec["kind"],
        "test": pick["value"],
        "best_baseline": best["model"],
        "baseline_test": best["value"],
        "ok": ok,
        "wall_s": round(wall, 1),
        "budget_s": 60 * budget,
        "load_avg_1min": round(load, 2),
        "notes": res["notes"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=1.5, help="--budget-minutes of each run")
    ap.add_argument("--only", default=",".join(DATASETS), help="comma-separated data sets")
    ap.add_argument("--out", type=Path, default=Path("advisor-real"))
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    ap.add_argument("extra", nargs="*", help="more options for seqlab compare (after --)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| data | recommendation | test | best classical (test) | ok | wall / budget | load |")
    print("|---|---|---|---|---|---|---|")
    for name in args.only.split(","):
        r = row(name, args.budget, args.out, args.extra)
        rows.append(r)
        if "error" in r:
            print(f"| {name} | error: {r['error']} | | | | {r['wall_s']:.0f} s | |", flush=True)
            continue
        print(f"| {name} ({r['metric']}) | {r['recommendation']} ({r['kind']}) | "
              f"{r['test']:.4g} | {r['best_baseline']} {r['baseline_test']:.4g} | "
              f"{'yes' if r['ok'] else 'NO'} | {r['wall_s']:.0f} s / {r['budget_s']:.0f} s | "
              f"{r['load_avg_1min']:.2f} |", flush=True)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
