"""The one progress display: rich, on stderr (stdout carries tables and --json), transient, and
only when asked for. Every verb shows its work through it: steps (sla, kpi, mine), a count
(generate's tickets) or bytes (ingest's files).

>>> with Display(enabled=True) as display:             # doctest: +SKIP
...     task = display.task("generating tickets", total=5_000, unit="count")
...     task.advance(500)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # rich is imported when a display is shown: verbs start faster without it
    from rich.progress import Progress, ProgressColumn, TaskID

Unit = Literal["steps", "count", "bytes"]


def _amount_column() -> ProgressColumn:
    """How far a task is, in its unit: bytes read, items of a count, nothing for steps."""
    from rich.progress import DownloadColumn, MofNCompleteColumn, ProgressColumn, Task
    from rich.text import Text

    columns = {"bytes": DownloadColumn(), "count": MofNCompleteColumn()}

    class Amount(ProgressColumn):
        def render(self, task: Task) -> Text:
            column = columns.get(task.fields.get("unit", "steps"))
            rendered = column.render(task) if column is not None else Text("")
            return rendered if isinstance(rendered, Text) else Text(str(rendered))

    return Amount()


class DisplayTask:
    """One line of the display; every method does nothing when the display is off."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress, self._task = progress, task

    def advance(self, amount: float = 1, description: str | None = None) -> None:
        if self._progress is not None and self._task is not None:
            extra: dict[str, Any] = {} if description is None else {"description": description}
            self._progress.update(self._task, advance=amount, **extra)

    def update(self, *, completed: float | None = None, description: str | None = None) -> None:
        if self._progress is not None and self._task is not None:
            extra: dict[str, Any] = {} if description is None else {"description": description}
            self._progress.update(self._task, completed=completed, **extra)

    def finish(self) -> None:
        if self._progress is not None and self._task is not None:
            total = self._progress.tasks[self._progress.task_ids.index(self._task)].total
            self._progress.update(self._task, completed=total)

    def remove(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None


class Display:
    """The progress display of one verb run: a context manager holding its tasks."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None

    def __enter__(self) -> Display:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                # markup=False: descriptions name files and activities ("[new] export.csv"),
                # printed as written
                SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                _amount_column(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, exc, tb)
            self._progress = None

    def task(self, description: str, total: float | None = None,
             unit: Unit = "steps") -> DisplayTask:
        """A new line: ``total`` steps, items or bytes (None: unknown, a pulsing bar)."""
        if self._progress is None:
            return DisplayTask(None, None)
        return DisplayTask(self._progress, self._progress.add_task(description, total=total,
                                                                   unit=unit))

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """One line shown as a step that is done when the block ends."""
        task = self.task(description, total=1)
        try:
            yield
        finally:
            task.finish()


def progress_wanted() -> bool:
    """The CLI's default: show progress when stderr is a terminal (never into a pipe or file)."""
    return sys.stderr.isatty()


@contextmanager
def progress_steps(label: str, total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A bar advanced once per named step: ``step("running clocks")`` (sla, kpi)."""
    with Display(enabled) as display:
        task = display.task(f"{label}: starting", total=total)
        yield lambda what: task.advance(1, description=f"{label}: {what}")


class IngestProgress:
    """Ingest's display: one line per source, bytes while the file is scanned, then the
    current step."""

    def __init__(self, enabled: bool) -> None:
        self._display = Display(enabled)
        self._line = DisplayTask(None, None)
        self._label = ""

    def __enter__(self) -> IngestProgress:
        self._display.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._display.__exit__(kind, exc, tb)

    def source(self, label: str, total_bytes: int) -> None:
        self._label = label
        self._line.remove()
        self._line = self._display.task(f"{label}: reading", total=total_bytes, unit="bytes")

    def bytes_done(self, done: int) -> None:
        self._line.update(completed=done)

    def step(self, what: str) -> None:
        self._line.update(description=f"{self._label}: {what}")


__all__ = ["Display", "DisplayTask", "IngestProgress", "progress_steps", "progress_wanted"]
