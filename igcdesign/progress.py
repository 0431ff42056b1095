"""The one progress bar: rich, on stderr, shown only on a terminal and only once work has lasted
`delay` seconds, so quick runs and --json output never see it.

Used two ways: ``bar.advance(n)`` (enumerations, file writes) or as the probe's callback,
``bar(done, total, label)``.
"""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """A context manager; the bar is drawn on first need and removed on exit."""

    def __init__(self, description: str = "", total: float | None = None, delay: float = 0.7,
                 enabled: bool | None = None):
        self.description, self.total, self.delay = description, total, delay
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.monotonic()
        self.done = 0.0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "Progress":
        return self

    def advance(self, amount: float = 1) -> None:
        """Count `amount` more units done."""
        self._show(self.done + amount, self.total, self.description)

    def __call__(self, done: int, total: int, label: str) -> None:
        """The probe's callback: `done` of `total` steps, `label` naming the next one."""
        self._show(done, total, label)

    def _show(self, done: float, total: float | None, label: str) -> None:
        self.done, self.total, self.description = done, total, label
        if self._bar is None and self.enabled and time.monotonic() - self.start >= self.delay:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

            self._bar = Bar(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, completed=done)
        elif self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, description=label)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
