"""The user's labelled sequences, from a CSV (one row per step) or an ``.npz`` file.

CSV layout (long format), one row per step of a sequence::

    id,step,label,f1,f2        id      sequence id (``id_column``; guessed: id, sequence,
    a,0,walk,0.1,2.0                   seq_id, sequence_id, series_id)
    a,1,walk,0.3,1.9           step    optional step order (``order_column``; guessed:
    b,0,run,1.2,0.4                    step, t, timestep, order, position)
                               label   the sequence's class (``label``, default "label"),
                                       the same on every row of a sequence
                               f1 …    numeric features (``features``; default: every
                                       other numeric column)

Sequences keep the order of their first row; steps keep file order unless an order
column sorts them. ``.npz``: ``x`` (N, T, D) or (N, T) float, ``y`` (N,) integer or
string labels, optional ``lengths`` (N,) real lengths (steps beyond are padding), optional
``split`` (N,) strings "train", "valid" or "test": an official split, honoured by the task.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.data.files import check_file
from seqlab.data.table import (
    Table,
    first_non_numeric,
    first_set,
    numeric_values,
    read_csv,
    time_values,
)
from seqlab.errors import DataValidationError

ID_NAMES = ("id", "sequence", "seq_id", "sequence_id", "series_id")
ORDER_NAMES = ("step", "t", "timestep", "order", "position")


@dataclass(frozen=True)
class LabelledSequences:
    """``x[i]`` (T_i, D) float64 with label ``labels[i]`` (str or int) and id ``ids[i]``."""

    source: str
    ids: list[str]
    x: list[np.ndarray]
    labels: list
    features: tuple[str, ...]
    notes: list[str] = field(default_factory=list)
    split: list[str] | None = None  # official "train" / "valid" / "test" per sequence


def read_sequences(
    path: str | os.PathLike,
    label: str = "label",
    id_column: str | None = None,
    order_column: str | None = None,
    features: tuple[str, ...] = (),
) -> LabelledSequences:
    """Labelled sequences from a ``.npz`` or a CSV file (by suffix)."""
    p = check_file(path, "data file")
    if p.suffix.lower() == ".npz":
        return read_npz(p)
    return read_csv_sequences(read_csv(p), label, id_column, order_column, features)


def _guess(header: tuple[str, ...], names: tuple[str, ...]) -> str | None:
    lower = {h.lower(): h for h in header}
    return next((lower[n] for n in names if n in lower), None)


def read_csv_sequences(
    table: Table,
    label: str = "label",
    id_column: str | None = None,
    order_column: str | None = None,
    features: tuple[str, ...] = (),
) -> LabelledSequences:
    p, header = table.path, table.header
    columns = f"the file's columns are {', '.join(map(repr, header))}"
    id_column = id_column or _guess(header, ID_NAMES)
    if id_column is None:
        raise DataValidationError(
            f"{p}: no sequence-id column (looked for {', '.join(ID_NAMES)}); {columns}. "
            "Fix: --task-opt id_column=NAME."
        )
    if order_column is None:
        order_column = _guess(tuple(h for h in header if h not in (id_column, label)), ORDER_NAMES)
    for what, c in (
        ("id column", id_column),
        ("label column", label),
        ("order column", order_column),
    ):
        if c is not None and c not in header:
            raise DataValidationError(
                f"{p}: unknown {what} {c!r}; {columns}. Fix: --task-opt "
                f"{'label' if what == 'label column' else what.replace(' ', '_')}=NAME."
            )
    special = {id_column, label, order_column}
    notes: list[str] = []
    if features:
        for c in features:
            if c not in header:
                raise DataValidationError(f"{p}: unknown feature column {c!r}; {columns}.")
            bad = first_non_numeric(table, c)
            if bad:
                raise DataValidationError(
                    f"{p}: feature column {c!r} is not numeric (line {bad[0]}: {bad[1]!r}). "
                    "Fix: name numeric columns in --task-opt features=A,B."
                )
    else:
        others = [c for c in header if c not in special]
        features = tuple(c for c in others if numeric_values(table, c) is not None)
        ignored = [c for c in others if c not in features]
        if ignored:
            notes.append(f"non-numeric column(s) ignored: {', '.join(ignored)}")
    if not features:
        raise DataValidationError(
            f"{p}: no numeric feature column besides id {id_column!r}, label {label!r}"
            f"{f' and order {order_column!r}' if order_column else ''}; {columns}. "
            "Fix: add numeric feature columns (numbers with a '.' decimal point)."
        )
    values = np.stack([numeric_values(table, c) for c in features], axis=1)  # (rows, D)
    lines = np.asarray(table.lines)
    for test, problem in ((np.isnan, "missing"), (np.isinf, "infinite")):
        found = first_set(test(values))
        if found is not None:
            count, i, j = found
            raise DataValidationError(
                f"{p}: {count} {problem} value(s) in the feature columns (first: line "
                f"{lines[i]}, column {features[j]!r}). Fix: replace them with numbers or "
                "remove those rows."
            )
    order = None
    if order_column is not None:
        order = time_values(table, order_column)
        if order is None or np.isnan(order).any():
            raise DataValidationError(
                f"{p}: order column {order_column!r} must hold a number or time in every row. "
                "Fix: fill it, or name another with --task-opt order_column=NAME."
            )
    groups: dict[str, list[int]] = {}
    for i, sid in enumerate(table.column(id_column)):
        groups.setdefault(sid, []).append(i)
    labels_col = table.column(label)
    ids, xs, labels = [], [], []
    for sid, rows in groups.items():
        rows = np.asarray(rows)
        if order is not None:
            rows = rows[np.argsort(order[rows], kind="stable")]
            dup = np.nonzero(np.diff(order[rows]) == 0)[0]
            if dup.size:
                raise DataValidationError(
                    f"{p}: sequence {sid!r}: lines {lines[rows[dup[0]]]} and "
                    f"{lines[rows[dup[0] + 1]]} have the same {order_column!r}. "
                    "Fix: one row per step."
                )
        names = {labels_col[i] for i in rows}
        if len(names) > 1:
            other = next(i for i in rows if labels_col[i] != labels_col[rows[0]])
            raise DataValidationError(
                f"{p}: sequence {sid!r} has more than one label ({', '.join(sorted(names))}; "
                f"line {lines[other]} differs from line {lines[rows[0]]}). "
                "Fix: one label per sequence."
            )
        if labels_col[rows[0]] == "":
            raise DataValidationError(
                f"{p}: sequence {sid!r} has no label (line {lines[rows[0]]}). Fix: label it."
            )
        ids.append(sid)
        xs.append(values[rows])
        labels.append(labels_col[rows[0]])
    if all(_is_int(s) for s in labels):
        labels = [int(s) for s in labels]
    return LabelledSequences(str(p), ids, xs, labels, tuple(features), notes)


def _is_int(s: str) -> bool:
    try:
        int(s)
    except ValueError:
        return False
    return True


def read_npz(path: Path) -> LabelledSequences:
    fix = "Fix: save it with numpy.savez(path, x=X, y=Y) (numbers, or string labels)."
    try:
        loaded = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise DataValidationError(f"{path}: not a readable .npz archive ({e}). {fix}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise DataValidationError(f"{path}: a single .npy array, not an .npz archive. {fix}")
    try:
        with loaded as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as e:  # object arrays need pickle, which is never loaded
        raise DataValidationError(f"{path}: holds an object array ({e}). {fix}") from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise DataValidationError(
            f"{path}: no array {' or '.join(map(repr, missing))}; it holds "
            f"{', '.join(map(repr, arrays)) or 'nothing'}. Fix: numpy.savez(path, x=X, y=Y) with "
            "X (N, T, D) and Y (N,)."
        )
    x, y = arrays["x"], arrays["y"]
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3 or not np.issubdtype(x.dtype, np.number):
        raise DataValidationError(
            f"{path}: x has shape {x.shape} and dtype {x.dtype}; expected numbers of shape "
            "(N, T, D) or (N, T). Fix: reshape it."
        )
    N, T, _ = x.shape
    if y.shape != (N,):
        raise DataValidationError(
            f"{path}: y has shape {y.shape} but x holds N = {N} sequences; expected ({N},)."
        )
    if "lengths" in arrays:
        lengths = arrays["lengths"]
        if (
            lengths.shape != (N,)
            or not np.issubdtype(lengths.dtype, np.integer)
            or (lengths < 1).any()
            or (lengths > T).any()
        ):
            raise DataValidationError(
                f"{path}: lengths must be N = {N} integers in 1..T = {T}; got shape "
                f"{lengths.shape}, values {lengths.min() if lengths.size else '-'}.."
                f"{lengths.max() if lengths.size else '-'}. Fix: the real length of each sequence."
            )
    else:
        lengths = np.full(N, T)
    xs = [x[i, : lengths[i]].astype(np.float64) for i in range(N)]
    for i, xi in enumerate(xs):
        if not np.isfinite(xi).all():
            bad = int(sum((~np.isfinite(s)).sum() for s in xs))
            t, d = np.argwhere(~np.isfinite(xi))[0]
            raise DataValidationError(
                f"{path}: x holds {bad} NaN or infinite value(s) (first: x[{i}, {t}, {d}]). "
                "Fix: replace them with numbers (padding beyond `lengths` is not checked)."
            )
    if np.issubdtype(y.dtype, np.integer):
        labels = [int(v) for v in y]
    elif y.dtype.kind == "U":
        labels = [str(v) for v in y]
    else:
        raise DataValidationError(
            f"{path}: y has dtype {y.dtype}; expected integer or string class labels."
        )
    features = tuple(f"x{d}" for d in range(x.shape[2]))
    split = None
    if "split" in arrays:
        s = arrays["split"]
        names = {"train", "valid", "test"}
        if s.shape != (N,) or s.dtype.kind != "U" or not set(s.tolist()) <= names:
            raise DataValidationError(
                f"{path}: split must be N = {N} strings 'train', 'valid' or 'test'; got shape "
                f"{s.shape}, dtype {s.dtype}. Fix: numpy.savez(path, x=X, y=Y, "
                "split=numpy.array(['train', 'test', ...])), or leave split out."
            )
        split = [str(v) for v in s]
    return LabelledSequences(str(path), [str(i) for i in range(N)], xs, labels, features,
                             split=split)  # fmt: skip
