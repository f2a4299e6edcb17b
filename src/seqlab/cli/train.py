"""`seqlab train`, `seqlab predict`, `seqlab gates`: thin wrappers over seqlab.train / rundir.

Options are collected into the flat dict that ``TrainConfig.from_flat`` splits into trainer
fields and task options; an option left out is not passed at all, so the defaults live in
one place (``TrainConfig`` and each task).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import typer

from seqlab.cli.app import app
from seqlab.config import TrainConfig
from seqlab.errors import ConfigError


def _d(name: str) -> str:
    """The default of a TrainConfig field, for help texts (one source of truth)."""
    return f"{TrainConfig.__dataclass_fields__[name].default:g}"


_TASK_HELP = "recall, adding, copy, text, images, series or classify."
_MODEL_HELP = (
    "ffnn (window MLP), rnn, lstm, gru, an LSTM ablation lstm-nig|nfg|nog|cifg, or tcn "
    "(dilated causal convolutions), transformer (causal, pre-LN), mingru, minlstm "
    "(parallel-scan recurrences)."
)


@app.command()
def train(
    task: str = typer.Option(..., "--task", help=f"Task to learn: {_TASK_HELP}"),
    model: str = typer.Option(..., "--model", help=f"Model: {_MODEL_HELP}"),
    data: Path | None = typer.Option(
        None, "--data", help="Your file or folder (text, series, classify; images: IDX folder)."
    ),
    target: str | None = typer.Option(None, "--target", help="series: the column to forecast."),
    distance: str | None = typer.Option(
        None, "--distance", help="recall: cue-to-query distance d, or a range like 5-20."
    ),
    seq_len: int | None = typer.Option(
        None, "--seq-len", help="Sequence length T (adding, copy gap, text, series chunks)."
    ),
    min_count: int | None = typer.Option(
        None, "--min-count", help="text: words seen fewer times become <unk>."
    ),
    horizon: int | None = typer.Option(None, "--horizon", help="series: steps ahead to forecast."),
    order: str | None = typer.Option(
        None, "--order", help="images: read an image as rows, pixels or permuted pixels."
    ),
    fill: str | None = typer.Option(
        None, "--fill", help="series: missing values: ffill, interpolate or drop."
    ),
    limit: int | None = typer.Option(
        None, "--limit", help="Use only the first N items of the data (quick runs)."
    ),
    corpus: str | None = typer.Option(
        None, "--corpus", help="text: kjv (default), fortunes or fortunes-de."
    ),
    task_opt: list[str] = typer.Option(
        [], "--task-opt", help="Any other task option as KEY=VALUE (repeatable)."
    ),
    hidden_size: int | None = typer.Option(
        None, "--hidden-size", help="Hidden units (64; tcn: 24 channels)."
    ),
    layers: int | None = typer.Option(
        None,
        "--layers",
        help=f"Stacked layers (recurrent, mingru, minlstm, transformer), or ffnn hidden "
        f"layers ({_d('layers')}).",
    ),
    window: int | None = typer.Option(
        None, "--window", help=f"ffnn: inputs it sees ({_d('window')})."
    ),
    embed_dim: int | None = typer.Option(
        None, "--embed-dim", help="Token embedding size (default: the hidden size)."
    ),
    forget_bias: str | None = typer.Option(
        None,
        "--forget-bias",
        help="LSTM (also mingru/minlstm keep-gate) biases at init: a number (the forget-gate "
        "bias), or chrono (the "
        "default: forget biases log U[1, T-1] spread over the units, input biases their "
        "negatives).",
    ),
    levels: int | None = typer.Option(
        None, "--levels", help="tcn: residual blocks, dilations 1, 2, …, 2^(L−1) (8)."
    ),
    kernel_size: int | None = typer.Option(
        None,
        "--kernel-size",
        help="tcn: convolution width k (3). Defaults: 24 channels (--hidden-size), 8 levels, "
        "k=3, lr 3e-3: receptive field 1021 inputs (covers adding T=600).",
    ),
    heads: int | None = typer.Option(None, "--heads", help="transformer: attention heads (4)."),
    context: int | None = typer.Option(
        None,
        "--context",
        help="transformer: inputs each step attends to (default: the whole sequence).",
    ),
    dropout: float | None = typer.Option(
        None, "--dropout", help=f"Dropout probability ({_d('dropout')})."
    ),
    head: str | None = typer.Option(
        None,
        "--head",
        help="Read-out: linear (default) or adaptive (adaptive softmax; large vocabularies).",
    ),
    steps: int | None = typer.Option(None, "--steps", help=f"Optimizer steps ({_d('steps')})."),
    epochs: float | None = typer.Option(
        None, "--epochs", help="Passes over a finite training set (instead of --steps)."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", help=f"Sequences per step ({_d('batch_size')})."
    ),
    lr: float | None = typer.Option(None, "--lr", help=f"Learning rate ({_d('lr')})."),
    optimizer: str | None = typer.Option(None, "--optimizer", help="adamw (default) or sgd."),
    weight_decay: float | None = typer.Option(
        None, "--weight-decay", help=f"Weight decay ({_d('weight_decay')})."
    ),
    clip: float | None = typer.Option(
        None, "--clip", help=f"Global gradient-norm clipping ({_d('clip')}); 0 turns it off."
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="Learning-rate schedule: constant, cosine or step."
    ),
    warmup: int | None = typer.Option(
        None, "--warmup", help=f"Linear warm-up steps ({_d('warmup')})."
    ),
    eval_every: int | None = typer.Option(
        None, "--eval-every", help=f"Validate and checkpoint every N steps ({_d('eval_every')})."
    ),
    eval_batches: int | None = typer.Option(
        None, "--eval-batches", help="At most N validation batches per check (all)."
    ),
    patience: int | None = typer.Option(
        None, "--patience", help="Stop after N checks without improvement (off)."
    ),
    checkpoint_every: int | None = typer.Option(
        None, "--checkpoint-every", help="Also checkpoint every N steps (at checks only)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"Random seed of data and model ({_d('seed')})."
    ),
    device: str | None = typer.Option(
        None, "--device", help="auto (CUDA when present, else CPU), cpu or cuda."
    ),
    path: str | None = typer.Option(
        None, "--path", help="Recurrent kernels: auto, fused (torch's) or trace (step loop)."
    ),
    max_seconds: float | None = typer.Option(
        None, "--max-seconds", help="Stop training after this many seconds (time-dependent!)."
    ),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder of run directories."),
    json_out: bool = typer.Option(False, "--json", help="Print result.json on stdout."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Train one model on one task; write (or resume, or reuse) its run directory.

    Example: seqlab train --task adding --model lstm --seq-len 50 --steps 2000

    Identical options give the same run directory: a finished run is shown again, an
    interrupted one (Ctrl-C) resumes from its checkpoint.
    """
    from seqlab import rundir
    from seqlab.train import TrainingInterrupted
    from seqlab.train import train as train_run

    if steps is not None and epochs is not None:
        raise ConfigError("give --steps or --epochs, not both")
    flat: dict[str, Any] = {k: v for k, v in locals().items() if k in _FLAT_KEYS}
    if distance is not None:
        flat["distance"] = int(distance) if distance.strip().isdigit() else distance
    if data is not None:
        flat["data"] = str(data)
    flat.update(_task_opts(task_opt))
    cfg = TrainConfig.from_flat(flat)
    folder = rundir.run_dir(cfg, out)
    finished_before = rundir.read_result(folder) is not None
    try:
        result = train_run(cfg, out, progress="quiet" if quiet else "auto")
    except TrainingInterrupted as e:
        print(f"seqlab: interrupted: {e}", file=sys.stderr)
        raise typer.Exit(e.exit_code) from None
    if json_out:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(_summary(result, finished_before))


_FLAT_KEYS = frozenset(
    [
        "task",
        "model",
        "target",
        "seq_len",
        "min_count",
        "horizon",
        "order",
        "fill",
        "limit",
        "corpus",
        "hidden_size",
        "layers",
        "window",
        "embed_dim",
        "forget_bias",
        "levels",
        "kernel_size",
        "heads",
        "context",
        "dropout",
        "head",
        "steps",
        "epochs",
        "batch_size",
        "lr",
        "optimizer",
        "weight_decay",
        "clip",
        "schedule",
        "warmup",
        "eval_every",
        "eval_batches",
        "patience",
        "checkpoint_every",
        "seed",
        "device",
        "path",
        "max_seconds",
    ]
)


def _task_opts(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; VALUE is read as JSON when it parses (numbers, true, lists)."""
    opts = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--task-opt {item!r}: expected KEY=VALUE, e.g. --task-opt eval_size=256"
            )
        try:
            parsed: Any = json.loads(value)
        except ValueError:
            parsed = value
        opts[key.strip().replace("-", "_")] = parsed
    return opts


def _summary(r: dict[str, Any], finished_before: bool) -> str:
    better = "higher" if r.get("higher_is_better") else "lower"
    lines = [
        f"{r['task']} · {r['model']} · {r['params']:,} parameters · {r['steps']} steps "
        f"(best at {r['best_step']}, {r['stopped'].replace('_', ' ')}) · "
        f"{r['train_seconds']:.1f} s training on {r['device']}",
        f"  test {r['metric']} {r['value']:.4g}   valid {r['metric']} {r['valid_value']:.4g}"
        f"   chance {r['chance']:.4g}   ({better} is better)",
        f"  run directory: {r['run_dir']}",
    ]
    if finished_before:
        lines.append("  (finished earlier: the stored result; delete the folder to train again)")
    return "\n".join(lines)


# ----- predict -------------------------------------------------------------------------


@app.command()
def predict(
    run: Path = typer.Argument(..., help="A run directory written by `seqlab train`."),
    text: str = typer.Argument(..., help="The words so far, e.g. 'she drives to the store to'."),
    top: int = typer.Option(5, "--top", "-k", min=1, help="How many next words to show."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """Top next words with probabilities, from a trained `text` or `recall` run.

    Example: seqlab predict runs/recall-lstm-3f9a1c2e7b "alice is hungry , she drives to buy"
    """
    from seqlab.rundir import predict_next

    pred = predict_next(run, text, top=top)
    if json_out:
        typer.echo(json.dumps(pred, indent=2))
        return
    typer.echo("input: " + " ".join(pred["tokens"]))
    for row in pred["predictions"]:
        bar = "█" * round(30 * row["p"])
        typer.echo(f"  {row['word']:>16}  {row['p']:6.1%}  {bar}")


# ----- gates ---------------------------------------------------------------------------


@app.command()
def gates(
    run: Path = typer.Argument(..., help="A run directory of an lstm / gru (or ablation) run."),
    text: str = typer.Argument(
        ..., help="A sentence (token tasks), or a .csv / .npy file of shape (T, D)."
    ),
    out_png: Path = typer.Option(Path("gates.png"), "--out", help="Where to write the heatmap."),
    layer: int = typer.Option(0, "--layer", min=0, help="Which recurrent layer to show."),
    json_out: bool = typer.Option(False, "--json", help="Print the per-step means as JSON."),
) -> None:
    """Gate activations (LSTM: input, forget, output; GRU: reset, update) and the cell state
    per step: a heatmap PNG (units × steps per gate) and a table of per-step means.

    Example: seqlab gates runs/recall-lstm-3f9a1c2e7b "alice is hungry , then she drives to buy"
    """
    from seqlab.checkpoint import atomic_write_bytes
    from seqlab.rundir import gate_trace

    g = gate_trace(run, text, layer=layer)
    atomic_write_bytes(out_png, _heatmap_png(g))
    means = {name: m.mean(axis=0).tolist() for name, m in g["panels"].items()}
    if json_out:
        typer.echo(json.dumps({"steps": g["steps"], "means": means, "png": str(out_png)}))
        return
    names = list(means)
    width = max(8, *(len(s) for s in g["steps"]))
    typer.echo(f"{'step':>{width}}  " + "  ".join(f"{_label(n):>8}" for n in names))
    for t, word in enumerate(g["steps"]):
        typer.echo(f"{word:>{width}}  " + "  ".join(f"{means[n][t]:8.3f}" for n in names))
    typer.echo(f"(means over the {g['hidden_size']} units of layer {layer}; heatmap: {out_png})")


_LABELS = {
    "i": "input",
    "f": "forget",
    "o": "output",
    "g": "candidate",
    "c": "cell",
    "r": "reset",
    "z": "update",
    "n": "new",
    "h": "hidden",
}


def _label(name: str) -> str:
    return _LABELS.get(name, name)


def _heatmap_png(g: dict[str, Any]) -> bytes:
    """One panel per gate / state: units (rows) × steps (columns)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = g["panels"]
    T = len(g["steps"])
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(max(6, 0.45 * T + 2), 1.9 * len(panels) + 0.8), squeeze=False
    )
    for ax, (name, m) in zip(axes[:, 0], panels.items(), strict=True):
        if name in ("c", "h", "n", "g"):
            lim = float(abs(m).max()) or 1.0
            im = ax.imshow(m, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
        else:
            im = ax.imshow(m, aspect="auto", cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_ylabel(f"{_label(name)}\nunit")
        ax.set_xticks(range(T))
        ax.set_xticklabels([])
        fig.colorbar(im, ax=ax, pad=0.01)
    axes[-1, 0].set_xticklabels(g["steps"], rotation=60, ha="right", fontsize=8)
    fig.suptitle(f"{g['model']} gates and state per step — {g['run_id']}", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()
