"""The ``bulk-run`` progress bar on stderr: done/total, failures, in flight, rate, ETA (fits 80
columns)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

from pneumatic_async.bulk import Progress

__all__ = ["BulkProgress"]


class BulkProgress:
    """Shows a bulk run's :class:`~pneumatic_async.bulk.Progress` snapshots as a rich bar.

    Use as a context manager and pass :meth:`update` as the run's ``on_progress``. When
    ``enabled`` is false (not a terminal, ``--json``, ``--no-progress``) nothing is drawn, but
    :attr:`last` still holds the latest snapshot.
    """

    def __init__(self, total: int, *, console: Console, enabled: bool) -> None:
        self.total = total
        self.last: Progress | None = None
        self._bar: RichProgress | None = None
        self._task_id = None
        if enabled:
            self._bar = RichProgress(
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TextColumn(
                    "[red]{task.fields[failed]} failed[/red] · {task.fields[in_flight]} in flight"
                    " · {task.fields[rate]:.0f}/s{task.fields[status]} · ETA"
                ),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self._task_id = self._bar.add_task(
                "launch", total=total, failed=0, in_flight=0, rate=0.0, status=""
            )

    @property
    def enabled(self) -> bool:
        """True when a bar is drawn."""
        return self._bar is not None

    def update(self, progress: Progress) -> None:
        """Record a snapshot and redraw (the run's ``on_progress`` callback)."""
        self.last = progress
        if self._bar is not None and self._task_id is not None:
            self._bar.update(
                self._task_id,
                completed=progress.done + progress.failed,
                failed=progress.failed,
                in_flight=progress.in_flight,
                rate=progress.rate_per_s,
                status=f" · [yellow]{progress.status}[/yellow]" if progress.status else "",
            )

    def __enter__(self) -> BulkProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
