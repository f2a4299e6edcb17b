"""``series``: forecasting the user's CSV time series, ``horizon`` steps ahead.

Input columns: the ``target`` (default: the only numeric column; with several, an error
lists them) and optional numeric ``covariates``. A time column (named like ``date``,
``time``, ``timestamp``, ``year`` …, or any column whose cells all parse as dates) is used
only to check the order: rows out of time order are an error naming the first such line,
unless ``sort=true`` sorts them by time; repeated times are an error. Other non-numeric
columns, and numeric columns not asked for, are ignored and listed in ``notes``.
Missing cells in the used columns are an error naming their count and first line,
unless ``fill`` is ``ffill`` (carry the last value forward), ``interpolate`` (linear between
the neighbouring rows; trailing gaps carry the last value) or ``drop`` (drop those rows);
with ``ffill``/``interpolate`` rows before a column's first value are dropped. Infinite
values are always an error. ``limit`` keeps the first ``limit`` data rows.

Split by time (never shuffled): the first 70 % of the rows are train, the next 15 % valid,
the last 15 % test; a step's split is the split of its *target* row. An official split,
``test_rows=N``: the last N rows are test, and the rows before them split 70/15 into
train and valid (e.g. ``seqlab compare train.csv --test test.csv``). Normalisation (mean,
standard deviation per column) is fitted on the training rows only; z = (v − mean) / std.

Sequence to sequence, every step with a target scored. Step t has input
``x_t = (z_target[t], z_cov[t] …)`` and target ``y_t = z_target[t + horizon]``:

    train  chunks of ``seq_len`` (default 64) steps at random offsets inside the training
           rows: inputs rows [s, s+T), targets rows [s+h, s+T+h) ⊂ train rows
    eval   contiguous chunks of ``seq_len`` scored steps covering every target row of the
           split once, each preceded by up to ``context`` (default ``seq_len``) unscored
           warm-up steps of earlier rows (inputs only: earlier observations, no target of
           the split is ever a training target); padded on the right to equal length

    x (B, T, D) float32, y (B, T, 1) float32, mask (B, T) bool

Metric: MSE on the normalised scale (as the models are scored). Baselines on the test
targets: ``persistence`` (predict z[t] for z[t + h]) and ``mean`` (predict 0, the training
mean); ``chance`` is the lower of the two.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.data.options import as_bool, as_choice, as_int, as_names, as_optional_int
from seqlab.data.table import (
    Table,
    find_time_column,
    first_non_numeric,
    first_set,
    numeric_values,
    read_csv,
    time_values,
)
from seqlab.errors import ConfigError, DataValidationError
from seqlab.tasks.base import Batch, Task

FILLS = (None, "ffill", "interpolate", "drop")
FRACTIONS = (0.70, 0.15)  # train, valid; test = the rest


def split_sizes(n: int) -> tuple[int, int, int]:
    """Rows of (train, valid, test) for ``n`` rows."""
    n_train, n_valid = int(FRACTIONS[0] * n), int(FRACTIONS[1] * n)
    return n_train, n_valid, n - n_train - n_valid


def rows_needed(seq_len: int, horizon: int) -> int:
    """Fewest rows whose split fits one training chunk and one valid and test target."""
    n = max(1, int((seq_len + horizon) / FRACTIONS[0]) - 2)  # just below the answer
    while True:
        n_train, n_valid, n_test = split_sizes(n)
        if n_train >= seq_len + horizon and n_valid >= 1 and n_test >= 1:
            return n
        n += 1


def longest_seq_len(n: int, horizon: int) -> int:
    """The largest ``seq_len`` that ``n`` rows can serve (0 if none)."""
    n_train, n_valid, n_test = split_sizes(n)
    return max(0, n_train - horizon) if n_valid >= 1 and n_test >= 1 else 0


class SeriesTask(Task):
    name = "series"
    kind = "regression"
    metric = "mse"
    output_size = 1

    def __init__(
        self,
        seed: int = 0,
        data: str | None = None,
        target: str | None = None,
        covariates: str | list[str] | None = None,
        horizon: int = 1,
        seq_len: int = 64,
        context: int | None = None,
        fill: str | None = None,
        sort: bool = False,
        limit: int | None = None,
        test_rows: int | None = None,
    ) -> None:
        if data is None:
            raise ConfigError("task 'series' needs --data PATH naming a CSV file")
        self.test_rows = as_optional_int("series", "test_rows", test_rows, 1)
        self.seed = int(seed)
        self.data = str(data)
        self.horizon = as_int("series", "horizon", horizon, 1)
        self.seq_len = as_int("series", "seq_len", seq_len, 1)
        self.context = as_optional_int("series", "context", context, 0)
        if self.context is None:
            self.context = self.seq_len
        self.fill = as_choice("series", "fill", fill, FILLS)
        self.sort = as_bool("series", "sort", sort)
        self.limit = as_optional_int("series", "limit", limit, 1)
        self.notes: list[str] = []

        table = read_csv(self.data)
        if self.limit is not None:
            table = table.head(self.limit)
        self.path = table.path
        self.time_column = find_time_column(table)
        self.target, self.covariates = self._choose_columns(table, target, as_names(covariates))
        self.columns = (self.target, *self.covariates)
        values = np.stack([numeric_values(table, c) for c in self.columns], axis=1)  # (n, D)
        lines = np.asarray(table.lines)
        self._check_finite(values, lines)
        values, lines = self._order_by_time(table, values, lines)
        values, lines = self._fill_missing(values, lines)
        self.lines = lines  # file line of each used row

        n = len(values)
        need = rows_needed(self.seq_len, self.horizon)
        if n < need:
            fits = longest_seq_len(n, self.horizon)
            hint = f"--seq-len {fits} fits these rows" if fits else "a longer series"
            raise DataValidationError(
                f"{self.path}: series too short: {n} usable rows, but --seq-len {self.seq_len} "
                f"+ --horizon {self.horizon} with a 70/15/15 split by time needs at least "
                f"{need} rows (the training part must hold {self.seq_len + self.horizon}). "
                f"Fix: {hint}, or a smaller --horizon."
            )
        self.n_rows = n
        n_train, n_valid, _ = split_sizes(n)
        if self.test_rows is not None:  # the official split: the last test_rows rows
            m = n - self.test_rows
            n_train = int(FRACTIONS[0] / sum(FRACTIONS) * m)
            n_valid = m - n_train
            if n_train < self.seq_len + self.horizon or n_valid < 1:
                raise DataValidationError(
                    f"{self.path}: {n - self.test_rows} rows before the {self.test_rows} test "
                    f"rows cannot hold a training chunk of --seq-len {self.seq_len} + "
                    f"--horizon {self.horizon} and a validation row. Fix: a smaller --seq-len."
                )
        self.target_ranges = {  # target rows [a, b) of each split
            "train": (0, n_train),
            "valid": (n_train, n_train + n_valid),
            "test": (n_train + n_valid, n),
        }
        self._check_not_constant(values[:, 0], n_train)
        self.mean = values[:n_train].mean(axis=0)
        self.std = values[:n_train].std(axis=0)
        for j, c in enumerate(self.covariates, start=1):
            if self.std[j] == 0:
                self.std[j] = 1.0
                self.notes.append(f"covariate {c!r} is constant on the training rows")
        self.z = torch.from_numpy(((values - self.mean) / self.std).astype(np.float32))  # (n, D)
        self.input_size = self.z.shape[1]
        self._baselines = self._compute_baselines()

    # -- validation ---------------------------------------------------------------------

    def _choose_columns(
        self, table: Table, target: str | None, covariates: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...]]:
        header = table.header
        numeric = [
            c for c in header if c != self.time_column and numeric_values(table, c) is not None
        ]
        text = [c for c in header if c != self.time_column and c not in numeric]

        def describe_text(c: str) -> str:
            bad = first_non_numeric(table, c)
            return f"{c!r} (line {bad[0]}: {bad[1]!r})" if bad else f"{c!r} (no values)"

        if not numeric and target is None:
            raise DataValidationError(
                f"{self.path}: no numeric column to forecast; columns: "
                f"{', '.join(describe_text(c) for c in text) or 'none'}"
                f"{f' and time column {self.time_column!r}' if self.time_column else ''}. "
                "Fix: name a CSV with a numeric column (numbers with a '.' decimal point)."
            )
        for c in (target, *covariates):
            if c is not None and c not in header:
                raise DataValidationError(
                    f"{self.path}: unknown column {c!r}; the file's columns are "
                    f"{', '.join(map(repr, header))} (numeric: {', '.join(map(repr, numeric))}). "
                    "Fix: --target / --covariates with one of the numeric columns."
                )
            if c is not None and c not in numeric and numeric_values(table, c) is None:
                raise DataValidationError(
                    f"{self.path}: column {describe_text(c)} is not numeric. "
                    f"Fix: choose a numeric column: {', '.join(map(repr, numeric)) or 'none'}."
                )
        if target is None:
            if len(numeric) > 1:
                raise DataValidationError(
                    f"{self.path}: {len(numeric)} numeric columns "
                    f"({', '.join(map(repr, numeric))}); "
                    f"which one is the target? Fix: --target {numeric[0]} (or another of them)."
                )
            target = numeric[0]
        if target in covariates:
            raise ConfigError(f"series: column {target!r} is the target; drop it from --covariates")
        if text:
            self.notes.append(f"non-numeric column(s) ignored: {', '.join(text)}")
        unused = [c for c in numeric if c != target and c not in covariates]
        if unused:
            self.notes.append(
                f"numeric column(s) not used (add with --covariates): {', '.join(unused)}"
            )
        return target, covariates

    def _check_finite(self, values: np.ndarray, lines: np.ndarray) -> None:
        found = first_set(np.isinf(values))
        if found is not None:
            count, i, j = found
            raise DataValidationError(
                f"{self.path}: column {self.columns[j]!r} holds {count} infinite "
                f"value(s) (first: line {lines[i]}, {values[i, j]}). Fix: replace them with "
                "numbers, or empty those cells and choose --fill ffill|interpolate|drop."
            )

    def _order_by_time(self, table: Table, values: np.ndarray, lines: np.ndarray) -> tuple:
        if self.time_column is None:
            self.notes.append("no time column: rows are taken in file order")
            return values, lines
        t = time_values(table, self.time_column)
        cells = table.column(self.time_column)
        missing = np.isnan(t)
        if missing.any():
            i = int(np.argmax(missing))
            raise DataValidationError(
                f"{self.path}: time column {self.time_column!r} has {int(missing.sum())} empty "
                f"cell(s) (first: line {lines[i]}). Fix: give every row its time."
            )
        step = np.diff(t)
        if (step < 0).any() and self.sort:
            order = np.argsort(t, kind="stable")
            t, values, lines = t[order], values[order], lines[order]
            cells = [cells[i] for i in order]
            self.notes.append(f"rows sorted by {self.time_column!r}")
            step = np.diff(t)
        if (step <= 0).any():
            i = int(np.argmax(step <= 0)) + 1
            if step[i - 1] == 0:
                raise DataValidationError(
                    f"{self.path}: line {lines[i]} repeats the time {cells[i]!r} of line "
                    f"{lines[i - 1]} (column {self.time_column!r}). Fix: one row per time "
                    "(aggregate or remove duplicates)."
                )
            raise DataValidationError(
                f"{self.path}: rows are not in time order: line {lines[i]} ({cells[i]!r}) comes "
                f"after line {lines[i - 1]} ({cells[i - 1]!r}) in column {self.time_column!r}. "
                "Fix: sort the file by time, or pass --task-opt sort=true to sort it."
            )
        return values, lines

    def _fill_missing(self, values: np.ndarray, lines: np.ndarray) -> tuple:
        missing = np.isnan(values)
        found = first_set(missing)
        if found is None:
            return values, lines
        count, i, j = found
        cols = [c for k, c in enumerate(self.columns) if missing[:, k].any()]
        if self.fill is None:
            raise DataValidationError(
                f"{self.path}: {count} missing value(s) in column(s) {', '.join(map(repr, cols))} "
                f"(first: line {lines[i]}, column {self.columns[j]!r}). Fix: choose how to fill "
                "them: --fill ffill (carry the last value forward), --fill interpolate (linear "
                "between neighbours) or --fill drop (drop those rows)."
            )
        if self.fill == "drop":
            keep = ~missing.any(axis=1)
            self.notes.append(f"dropped {int((~keep).sum())} row(s) with missing values")
            return values[keep], lines[keep]
        values, rows = values.copy(), np.arange(len(values))
        for k in range(values.shape[1]):
            ok = ~missing[:, k]
            if self.fill == "interpolate":  # np.interp holds the edge values beyond the ends
                values[:, k] = np.interp(rows, rows[ok], values[ok, k])
            else:  # ffill: index of the last observed row at or before each row
                last = np.maximum.accumulate(np.where(ok, rows, 0))
                values[:, k] = values[last, k]
        # rows before some column's first value have nothing to carry forward: drop them
        first = int(max(np.argmax(~missing[:, k]) for k in range(values.shape[1])))
        values, lines = values[first:], lines[first:]
        self.notes.append(
            f"filled {count} missing value(s) by {self.fill}"
            + (f"; dropped {first} leading row(s) before the first value" if first else "")
        )
        return values, lines

    def _check_not_constant(self, target: np.ndarray, n_train: int) -> None:
        where = None
        if np.all(target == target[0]):
            where = "every row"
        elif np.all(target[:n_train] == target[0]):
            where = f"the training part (lines {self.lines[0]}–{self.lines[n_train - 1]})"
        if where:
            raise DataValidationError(
                f"{self.path}: target column {self.target!r} is constant ({target[0]:g} on "
                f"{where}); it cannot be normalised and there is nothing to learn. "
                "Fix: choose another --target, or a file where the target varies."
            )

    # -- Task interface -----------------------------------------------------------------

    @property
    def chance(self) -> float:
        return min(self._baselines["persistence"], self._baselines["mean"])

    def baselines(self) -> dict[str, float]:
        return {"chance": self.chance, **self._baselines}

    def _compute_baselines(self) -> dict[str, float]:
        a, b = self.target_ranges["test"]
        z, h = self.z[:, 0].double(), self.horizon
        y = z[a:b]  # test targets
        return {
            "persistence": ((y - z[a - h : b - h]) ** 2).mean().item(),
            "mean": (y**2).mean().item(),
        }

    @property
    def train_size(self) -> int:
        """Training sequences per epoch: chunks of ``seq_len`` that cover the training targets."""
        n_train = self.target_ranges["train"][1]
        return max(1, (n_train - self.horizon) // self.seq_len)

    def train_batch(self, batch_size: int, generator: torch.Generator) -> Batch:
        T, h = self.seq_len, self.horizon
        n_train = self.target_ranges["train"][1]
        starts = torch.randint(0, n_train - T - h + 1, (batch_size,), generator=generator)
        idx = starts[:, None] + torch.arange(T)  # (B, T) input rows
        x = self.z[idx]  # (B, T, D)
        y = self.z[idx + h, :1]  # (B, T, 1)
        return Batch(x, y, torch.ones(batch_size, T, dtype=torch.bool))

    def eval_chunks(self, split: str) -> list[tuple[int, int, int]]:
        """``(start, first_scored, end)`` input rows of each eval chunk of ``split``."""
        a, b = self.target_ranges[split]
        h, T = self.horizon, self.seq_len
        return [(max(0, c - self.context), c, min(c + T, b - h)) for c in range(a - h, b - h, T)]

    def eval_batches(self, split: str, batch_size: int) -> Iterator[Batch]:
        chunks = self.eval_chunks(split)
        L = self.context + self.seq_len
        D, h = self.input_size, self.horizon
        for i in range(0, len(chunks), batch_size):
            part = chunks[i : i + batch_size]
            x = torch.zeros(len(part), L, D)
            y = torch.zeros(len(part), L, 1)
            mask = torch.zeros(len(part), L, dtype=torch.bool)
            for r, (s, c, e) in enumerate(part):
                x[r, : e - s] = self.z[s:e]
                y[r, : e - s] = self.z[s + h : e + h, :1]
                mask[r, c - s : e - s] = True
            yield Batch(x, y, mask)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "data": self.data,
            "target": self.target,
            "covariates": list(self.covariates),
            "time_column": self.time_column,
            "horizon": self.horizon,
            "context": self.context,
            "fill": self.fill,
            "sort": self.sort,
            "limit": self.limit,
            "rows": self.n_rows,
            "target_ranges": {s: list(r) for s, r in self.target_ranges.items()},
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "notes": list(self.notes),
            "baselines": self.baselines(),
        }


TASK = SeriesTask
