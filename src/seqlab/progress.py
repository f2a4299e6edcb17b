"""Training progress on stderr: a rich bar on a terminal, periodic plain lines otherwise.

    bar = Progress("auto", total=1000, start=0, metric="accuracy")
    bar.update(step, loss)          # after every step
    bar.log(step, loss, valid)      # after every validation
    bar.close()

Modes: ``auto`` (a bar on a terminal, else lines), ``bar``, ``log`` (a line every tenth of
the run and at every validation) and ``quiet``.
"""

from __future__ import annotations

import sys
import time

MODES = ("auto", "bar", "log", "quiet")


class Progress:
    """What the trainer shows while it runs; never affects the numbers."""

    def __init__(self, mode: str, total: int, start: int, metric: str) -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode, self.total, self.metric = mode, total, metric
        self.every = max(1, total // 10)
        self.t0, self.s0 = time.perf_counter(), start
        self.valid: float | None = None
        self.printed = -1
        self.bar = None
        if mode == "bar":
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.start()
            self.id = self.bar.add_task("train", total=total, completed=start, info="")

    def _info(self, step: int, loss: float) -> str:
        rate = (step - self.s0) / max(1e-9, time.perf_counter() - self.t0)
        valid = "" if self.valid is None else f"  valid {self.metric} {self.valid:.4g}"
        return f"loss {loss:.4g}{valid}  {rate:.1f} steps/s"

    def update(self, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.id, completed=step, info=self._info(step, loss))
        elif self.mode == "log" and step % self.every == 0:
            self._print(step, loss)

    def log(self, step: int, loss: float, valid: float) -> None:
        self.valid = valid
        if self.mode == "log":
            self._print(step, loss)

    def _print(self, step: int, loss: float) -> None:
        if step != self.printed:
            self.printed = step
            print(f"step {step}/{self.total}  {self._info(step, loss)}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
