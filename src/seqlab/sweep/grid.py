"""A grid file: a base config plus axes, expanded into one flat run config per combination.

    [base]              # any `seqlab train` option, by its long name with _ for -
    task = "adding"
    seq_len = 30
    steps = 60

    [axes]              # lists; every combination is one run (the cartesian product)
    model = ["lstm", "gru"]
    seed = [1, 2]

    [[include]]         # optional extra single runs: base + this table
    model = "ffnn"
    window = 30

Expansion order is the product in the order the axes are written (the last axis varies
fastest), then the includes in file order. A relative ``data`` path is taken relative to
the grid file's folder, so a grid and its data travel together.

Everything here is checked once, at the edge: a missing file, bad TOML (line and column),
unknown tables or keys, an axis that is not a non-empty list, a key both in ``[base]`` and
``[axes]``. Each problem raises ``ConfigError`` naming the file. Whether a *value* works
(a negative hidden size, a data file that does not exist) is found when the run is set up,
and reported as that run's failure without stopping the others.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.errors import ConfigError

__all__ = ["Grid", "load_grid", "read_grid"]

TABLES = ("base", "axes", "include")
SCALARS = (str, int, float, bool)
PATH_KEYS = ("data",)


@dataclass(frozen=True)
class Grid:
    """A parsed grid file. ``runs`` are the flat configs, in expansion order."""

    path: Path
    base: dict[str, Any]
    axes: dict[str, list[Any]]
    include: list[dict[str, Any]] = field(default_factory=list)

    @property
    def runs(self) -> list[dict[str, Any]]:
        names = list(self.axes)
        runs = [
            {**self.base, **dict(zip(names, combo, strict=True))}
            for combo in itertools.product(*self.axes.values())
        ]
        runs += [{**self.base, **extra} for extra in self.include]
        return runs


def load_grid(path: str | Path, *, known_keys=None) -> list[dict[str, Any]]:
    """The flat run configs of grid file ``path`` (see the module docstring for the form)."""
    return read_grid(path, known_keys=known_keys).runs


def read_grid(path: str | Path, *, known_keys=None) -> Grid:
    """Parse and validate grid file ``path``.

    ``known_keys(task) -> set[str] | None`` names the options a run of ``task`` accepts
    (``None``: cannot tell cheaply, skip the check); default: ``seqlab.sweep.runner``'s.
    """
    path = Path(path)
    if known_keys is None:
        from seqlab.sweep.runner import known_keys
    if not path.is_file():
        hint = "it is a folder; name the .toml file" if path.is_dir() else "no such file"
        raise ConfigError(f"grid file {path}: {hint}. Pass the path of a TOML grid file.")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:  # its message carries "(at line L, column C)"
        raise ConfigError(f"grid file {path}: not valid TOML: {e}. Fix the file.") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"grid file {path}: cannot read it ({e}).") from e

    def bad(problem: str, fix: str) -> ConfigError:
        return ConfigError(f"grid file {path}: {problem}. {fix}")

    unknown = sorted(set(doc) - set(TABLES))
    if unknown:
        raise bad(
            f"unknown top-level key(s) {', '.join(unknown)}",
            "A grid has [base], [axes] and optional [[include]] tables only.",
        )
    base = doc.get("base", {})
    axes = doc.get("axes", {})
    include = doc.get("include", [])
    if not isinstance(base, dict):
        raise bad("[base] must be a table of options", 'Write it as [base] then key = "value".')
    if not isinstance(axes, dict):
        raise bad("[axes] must be a table of lists", 'Write it as [axes] then model = ["lstm"].')
    if not isinstance(include, list) or not all(isinstance(t, dict) for t in include):
        raise bad("include must be an array of tables", "Write each extra run as [[include]].")

    for key, value in base.items():
        _check_scalar(value, f"[base] {key}", bad)
    for key, values in axes.items():
        if not isinstance(values, list):
            raise bad(f"axis {key!r} is not a list", f"Write it as {key} = [{values!r}].")
        if not values:
            raise bad(f"axis {key!r} is empty", "Give it at least one value or remove it.")
        for value in values:
            _check_scalar(value, f"axis {key}", bad)
        if len(set(map(repr, values))) != len(values):
            raise bad(f"axis {key!r} repeats a value", "List each value once.")
        if key in base:
            raise bad(
                f"{key!r} is both in [base] and in [axes]",
                "Keep it in one place (an axis overrides nothing silently).",
            )
    for i, extra in enumerate(include, 1):
        for key, value in extra.items():
            _check_scalar(value, f"[[include]] #{i} {key}", bad)
    if not axes and not include:
        raise bad("the grid has no runs", "Add an [axes] table of lists or [[include]] tables.")

    grid = Grid(
        path=path,
        base=_resolve_paths(base, path.parent),
        axes={k: [_resolve_path(k, v, path.parent) for v in vs] for k, vs in axes.items()},
        include=[_resolve_paths(extra, path.parent) for extra in include],
    )
    for i, run in enumerate(grid.runs):
        where = "an [[include]] run" if i >= len(grid.runs) - len(include) else "a run"
        if "task" not in run or "model" not in run:
            raise bad(
                f"{where} has no {'task' if 'task' not in run else 'model'}",
                "Set task and model in [base], [axes] or the [[include]] table.",
            )
        allowed = known_keys(run["task"])
        extra = sorted(set(run) - allowed) if allowed is not None else []
        if extra:
            raise bad(
                f"unknown option(s) {', '.join(extra)} for task {run['task']!r}",
                f"Use `seqlab train` long option names with _ for -; known: "
                f"{', '.join(sorted(allowed))}.",
            )
    return grid


def _check_scalar(value: Any, where: str, bad) -> None:
    if not isinstance(value, SCALARS):
        raise bad(
            f"{where} = {value!r} is not a string, number or boolean",
            "Options take single values; put alternatives in an [axes] list.",
        )


def _resolve_path(key: str, value: Any, folder: Path) -> Any:
    if key in PATH_KEYS and isinstance(value, str) and not Path(value).is_absolute():
        return str((folder / value).resolve())
    return value


def _resolve_paths(table: dict[str, Any], folder: Path) -> dict[str, Any]:
    return {k: _resolve_path(k, v, folder) for k, v in table.items()}
