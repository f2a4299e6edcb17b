"""``CompareOptions``: everything ``seqlab compare`` takes, validated once (``check``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from seqlab.advisor.decide import TOLERANCE
from seqlab.advisor.plan import FAMILIES
from seqlab.errors import ConfigError
from seqlab.sweep import EXECUTORS

DEFAULT_LRS = (3e-3, 1e-2, 3e-2)


@dataclass(frozen=True)
class CompareOptions:
    """Everything ``seqlab compare`` takes; validated by ``check``."""

    path: str
    task: str | None = None
    target: str | None = None
    horizon: int | None = None
    seq_len: int | None = None
    budget_minutes: float = 5.0
    seeds: int = 3
    lrs: tuple[float, ...] = DEFAULT_LRS
    windows: tuple[int, ...] | None = None
    max_window: int | None = None
    models: tuple[str, ...] = FAMILIES
    hidden_size: int = 32
    batch_size: int = 32
    tolerance: float = TOLERANCE
    out: str = "seqlab-compare"
    executor: str = "local"
    jobs: int | None = None
    address: str | None = None
    fill: str | None = None
    limit: int | None = None
    covariates: str | None = None
    task_opts: tuple[str, ...] = ()
    season: int | None = None
    test: str | None = None
    spent_seconds: float = 0.0  # of the budget, before compare() was called (process start)

    def check(self) -> None:
        def bad(opt: str, problem: str) -> ConfigError:
            return ConfigError(f"option --{opt}: {problem}")

        if self.seeds < 1:
            raise bad("seeds", f"must be >= 1, got {self.seeds} (3 or more give intervals)")
        if not self.lrs or any(not (math.isfinite(v) and v > 0) for v in self.lrs):
            raise bad("lrs", f"need positive learning rates, got {list(self.lrs)}")
        if self.windows is not None and (not self.windows or min(self.windows) < 1):
            raise bad("windows", f"need windows >= 1, got {list(self.windows)}")
        if self.max_window is not None and self.max_window < 1:
            raise bad("max-window", f"must be >= 1, got {self.max_window}")
        if not self.models:
            raise bad("models", "name at least one of " + ", ".join(FAMILIES))
        for name in ("horizon", "seq_len", "jobs", "limit", "season"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise bad(name.replace("_", "-"), f"must be >= 1, got {v}")
        if self.batch_size < 1:
            raise bad("batch-size", f"must be >= 1, got {self.batch_size}")
        if not 0 <= self.tolerance < 1:
            raise bad("tolerance", f"must be in [0, 1), got {self.tolerance}")
        if self.executor not in EXECUTORS:
            raise bad("executor", f"choose one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.address is not None and self.executor != "ray":
            raise bad("address", "is for --executor ray; drop it or add --executor ray")
        if not self.budget_minutes > 0:
            raise bad("budget-minutes", f"must be > 0, got {self.budget_minutes}")

    def extra_task_options(self) -> dict[str, Any]:
        """``--fill``, ``--limit``, ``--covariates`` and ``--task-opt KEY=VALUE`` as task
        options (VALUE read as JSON when it parses, as in ``seqlab train``)."""
        opts: dict[str, Any] = {}
        for item in self.task_opts:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(
                    f"--task-opt {item!r}: expected KEY=VALUE, e.g. --task-opt sort=true"
                )
            try:
                opts[key.strip().replace("-", "_")] = json.loads(value)
            except ValueError:
                opts[key.strip().replace("-", "_")] = value
        named = {"fill": self.fill, "limit": self.limit, "covariates": self.covariates}
        return {**opts, **{k: v for k, v in named.items() if v is not None}}


def parse_list(text: str | None, kind: type, what: str) -> tuple | None:
    """``"1e-3,3e-3"`` -> ``(0.001, 0.003)``; None stays None."""
    if text is None:
        return None
    try:
        return tuple(kind(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(
            f"option --{what}: expected a comma-separated list, got {text!r}"
        ) from None


__all__ = ["DEFAULT_LRS", "CompareOptions", "parse_list"]
