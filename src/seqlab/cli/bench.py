"""`seqlab bench`: training throughput against torch.nn, measured side by side
(thin wrapper over seqlab.bench)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from seqlab.cli.app import app
from seqlab.errors import ConfigError


def _int_list(text: str, option: str, minimum: int = 1) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or any(v < minimum for v in values):
        what = "positive integers" if minimum == 1 else f"integers >= {minimum}"
        raise ConfigError(
            f"{option} {text!r}: expected a comma-separated list of {what}, "
            f"e.g. {option} {minimum},{minimum + 1}."
        )
    return values


@app.command()
def bench(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
    quick: Annotated[
        bool,
        typer.Option("--quick", help="About a minute: one size (I=32, T=100), 1 thread."),
    ] = False,
    threads: Annotated[
        str | None,
        typer.Option("--threads", help="Thread counts, e.g. 1,2 (default 1,2; --quick: 1)."),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes", help="Fresh processes per thread count (default 3; --quick: 1)."
        ),
    ] = None,
    solve_seconds: Annotated[
        float | None,
        typer.Option(
            "--solve-seconds",
            help="Budget per time-to-solve run (default 300; --quick: 20; 0 skips them).",
        ),
    ] = None,
    solve_lens: Annotated[
        str | None,
        typer.Option(
            "--solve-lens",
            help="Adding-problem lengths T for time-to-solve (default 100,200; --quick: 30), "
            "e.g. --solve-lens 1000 --solve-seconds 3600.",
        ),
    ] = None,
    solve_seeds: Annotated[
        str | None,
        typer.Option(
            "--solve-seeds",
            help="Seeds of the time-to-solve runs, one run per T and seed (default 0), "
            "e.g. --solve-seeds 0,1,2.",
        ),
    ] = None,
    solve_only: Annotated[
        bool, typer.Option("--solve-only", help="Only the time-to-solve runs, no throughput.")
    ] = False,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="Only these candidates (their torch.nn references always run), e.g. "
            "--models lstm,lstm-nig,lstm-nfg,lstm-nog,lstm-cifg,gru,rnn for the recurrent "
            "paths alone (default: all, including tcn, transformer, minlstm, mingru, ffnn).",
        ),
    ] = None,
) -> None:
    """Training throughput (tokens/s) of ffnn, rnn, lstm (fast and trace paths, every
    ablation), gru and the NumPy LSTM against torch.nn, interleaved in one process, at
    B=64, H=128, I∈{1, 32}, T∈{100, 400}; the matmul peak; time-to-solve on adding."""
    from seqlab.bench import MODELS, BenchConfig, run_bench, to_markdown

    overrides: dict = {}
    if models is not None:
        chosen = tuple(m.strip() for m in models.split(",") if m.strip())
        unknown = [m for m in chosen if m not in MODELS]
        if not chosen or unknown:
            raise ConfigError(
                f"--models {models!r}: {', '.join(unknown) or 'empty'} is not a bench "
                f"candidate; choose among {','.join(MODELS)}, e.g. --models lstm,gru."
            )
        overrides["models"] = chosen
    if threads is not None:
        overrides["threads"] = _int_list(threads, "--threads")
    if processes is not None:
        if processes < 1:
            raise ConfigError(f"--processes {processes}: must be >= 1, e.g. --processes 3.")
        overrides["processes"] = processes
    if solve_seconds is not None:
        if solve_seconds < 0:
            raise ConfigError(f"--solve-seconds {solve_seconds}: must be >= 0 (0 skips).")
        overrides["solve_seconds"] = solve_seconds
    if solve_lens is not None:
        overrides["solve_lens"] = _int_list(solve_lens, "--solve-lens")
    if solve_seeds is not None:
        overrides["solve_seeds"] = _int_list(solve_seeds, "--solve-seeds", minimum=0)
    if solve_seconds == 0:
        if solve_only:
            raise ConfigError("--solve-only with --solve-seconds 0 would measure nothing.")
        overrides["solve_lens"] = ()
    if solve_only:
        overrides["threads"] = ()
    cfg = BenchConfig.quick_config(**overrides) if quick else BenchConfig(**overrides)

    def log(msg: str) -> None:
        print(f"seqlab bench: {msg}", file=sys.stderr, flush=True)

    result = run_bench(cfg, log=log)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    m = result["machine"]
    typer.echo(f"{m['cpu']}, {m['cores']} cores, torch {m['torch']}, {m['date']}")
    if result["results"]:
        rates = ", ".join(
            f"{t} thread(s) {g:.1f}" for t, g in result["matmul_gflops_by_threads"].items()
        )
        typer.echo(f"float32 matmul GFLOP/s: {rates}")
        typer.echo(to_markdown(result))
    for s in result["time_to_solve"]:
        if s["solved"]:
            typer.echo(
                f"adding T={s['seq_len']}: solved in {s['seconds']:.0f} s, {s['steps']} steps"
            )
        else:
            typer.echo(
                f"adding T={s['seq_len']}: not solved within {s['budget_s']:.0f} s "
                f"({s['steps']} steps, best valid MSE {s['best_valid_mse']})"
            )
