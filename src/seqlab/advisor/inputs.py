"""What the user's data is: the task kind inferred from the path, and the task built from it.

    kind = infer_task("sales.csv")                       # "series"
    task, options = load_task("sales.csv", "series", target="units", horizon=1, seq_len=64)

Inference (an explicit ``--task`` always wins):

    folder, .txt / .text / .md           text       (next word)
    .npz                                 classify   (x (N, T, D), y (N,))
    .csv / .tsv with a sequence-id column (id, sequence, seq_id, …) and a label column
                                         classify   (one row per step, one label per id)
    .csv / .tsv otherwise                series     (forecast a column)

A CSV with a sequence-id column but no label column is ambiguous and asks for ``--task``. Every
check of the tasks (encoding, header, numbers, missing values, time order, length) runs
here once, before anything is trained or written; the advisor adds two of its own: enough
labelled sequences for a meaningful split, and a target that is not constant.

Task options beyond the named ones (``--fill``, ``--limit``, ``--covariates``, any
``--task-opt KEY=VALUE``) pass through to the task as in ``seqlab train``. An official split
is honoured: an ``.npz`` with a ``split`` array, or ``--test FILE`` beside the training
file (classify; the two are merged into one ``.npz`` with a ``split`` array under the
output folder, see ``merge_official_split``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqlab.data.sequences import ID_NAMES
from seqlab.data.table import read_csv
from seqlab.errors import ConfigError, DataValidationError
from seqlab.tasks import Task, build_task

KINDS = ("series", "text", "classify")
TEXT_SUFFIXES = (".txt", ".text", ".md")
CSV_SUFFIXES = (".csv", ".tsv")
MIN_SEQUENCES = 20  # below this a 70/15/15 split leaves 3 sequences to test on


def infer_task(path: str | Path, label: str = "label") -> str:
    """The task kind of ``path`` (see the module docstring); ambiguous -> DataValidationError."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataValidationError(
            f"{p}: no such file or folder. Fix: name your CSV, .npz or text file (or a folder "
            "of .txt files)."
        )
    if p.is_dir():
        return "text"
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix == ".npz":
        return "classify"
    if suffix in CSV_SUFFIXES:
        header = read_csv(p).header
        lower = {h.lower() for h in header}
        has_id = any(n in lower for n in ID_NAMES)
        has_label = label in header
        if has_id and has_label:
            return "classify"
        if has_id:
            raise DataValidationError(
                f"{p}: cannot tell the task: the CSV has a sequence-id column but no label "
                f"column {label!r} (columns: {', '.join(map(repr, header))}). Fix: add --task "
                "series to forecast a column (--target COLUMN), or --task classify with "
                "--target LABEL_COLUMN for labelled sequences."
            )
        return "series"
    raise DataValidationError(
        f"{p}: cannot tell the task from the suffix {suffix or '(none)'!r}. Fix: add --task "
        "series (a CSV time series), --task classify (labelled sequences: CSV or .npz) or "
        "--task text (a text file or folder)."
    )


SERIES_ONLY = ("fill", "covariates")


def task_options(
    kind: str,
    path: str | Path,
    target: str | None,
    horizon: int | None,
    seq_len: int | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The task options of ``kind`` for the user's data (``data`` stored absolute);
    ``extra`` (``--fill``, ``--limit``, ``--task-opt`` …) is added as given."""
    if kind not in KINDS:
        raise ConfigError(f"--task {kind!r}: choose one of {', '.join(KINDS)}")
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    data = str(Path(path).expanduser().resolve())
    if kind != "series":
        for name in SERIES_ONLY:
            if name in extra:
                raise ConfigError(f"--{name} is for --task series, not {kind}; drop it.")
    if kind == "series":
        opts: dict[str, Any] = {"data": data, "target": target, "horizon": horizon or 1}
        opts["seq_len"] = seq_len or 64
        return {**{k: v for k, v in opts.items() if v is not None}, **extra}
    if horizon is not None:
        raise ConfigError(f"--horizon is for --task series, not {kind}; drop it.")
    if kind == "classify":
        if seq_len is not None:
            raise ConfigError("--seq-len does not apply to classify (the data sets it); drop it.")
        return {"data": data, "label": target or "label", **extra}
    if target is not None:
        raise ConfigError("--target does not apply to text (the target is the next word).")
    return {"data": data, "seq_len": seq_len or 35, **extra}


def merge_official_split(train: str | Path, test: str | Path, label: str, out: Path) -> Path:
    """One ``.npz`` (x zero-padded to the longest sequence, y, lengths, split) holding the
    sequences of ``train`` marked "train" and those of ``test`` marked "test"."""
    from seqlab.data.sequences import read_sequences

    a, b = read_sequences(train, label), read_sequences(test, label)
    if a.features != b.features and len(a.features) != len(b.features):
        raise DataValidationError(
            f"{test}: {len(b.features)} feature(s) but the training file {train} has "
            f"{len(a.features)}. Fix: give both files the same feature columns."
        )
    xs = [*a.x, *b.x]
    T, D = max(len(x) for x in xs), xs[0].shape[1]
    x = np.zeros((len(xs), T, D))
    for i, xi in enumerate(xs):
        x[i, : len(xi)] = xi
    labels = [*a.labels, *b.labels]
    y = (
        np.array(labels)
        if all(isinstance(v, int) for v in labels)
        else np.array([str(v) for v in labels])
    )
    split = np.array(["train"] * len(a.x) + ["test"] * len(b.x))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "official-split.npz"
    np.savez(path, x=x, y=y, lengths=np.array([len(v) for v in xs]), split=split)
    return path


def merge_series_split(train: str | Path, test: str | Path, out: Path) -> tuple[Path, int]:
    """One CSV: the rows of ``train`` then those of ``test`` (same header), and the number
    of test rows (the series task's ``test_rows``: its official split)."""
    from seqlab.data.files import check_file

    a = check_file(train, "data file").read_text(encoding="utf-8").splitlines()
    b = check_file(test, "--test file").read_text(encoding="utf-8").splitlines()
    if not a or not b or a[0].strip() != b[0].strip():
        raise DataValidationError(
            f"{test}: its header {b[0] if b else ''!r} differs from the training file's "
            f"{a[0] if a else ''!r}. Fix: give both files the same columns, in the same order."
        )
    rows = [line for line in b[1:] if line.strip()]
    if not rows:
        raise DataValidationError(f"{test}: no data rows. Fix: pass a --test file with rows.")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "official-split.csv"
    path.write_text("\n".join([*a, *rows]) + "\n", encoding="utf-8")
    return path, len(rows)


def load_task(
    path: str | Path,
    kind: str | None = None,
    *,
    target: str | None = None,
    horizon: int | None = None,
    seq_len: int | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any], Task]:
    """Infer the kind (unless given), build the task once (all its checks), add ours."""
    kind = kind or infer_task(path, target or "label")
    options = task_options(kind, path, target, horizon, seq_len, extra)
    task = build_task(kind, options, seed=0)
    if kind == "classify":
        n = sum(len(v) for v in task.split_index.values())
        if n < MIN_SEQUENCES:
            raise DataValidationError(
                f"{task.source}: only {n} labelled sequences; comparing models needs at least "
                f"{MIN_SEQUENCES} (70/15/15 split: about {round(0.15 * MIN_SEQUENCES)} to test "
                "on). Fix: provide more sequences."
            )
    return kind, options, task
