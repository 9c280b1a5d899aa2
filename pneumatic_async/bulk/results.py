"""What a bulk run reports: one :class:`LaunchResult` per item and :class:`Progress` snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeAlias

import attrs

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.errors import PneumaticError
from pneumatic_async.models.workflows import Workflow, WorkflowListItem

__all__ = ["LaunchResult", "LaunchStatus", "Progress", "ProgressTracker", "UnresolvedLaunchError"]

#: How an item ended:
#:
#: * ``launched``: this run launched it; ``workflow`` is the server's answer.
#: * ``reconciled``: the launch's outcome was unknown (5xx, dropped connection, undecodable body,
#:   or a resumed in-flight item) and a lookup by token found the workflow; ``workflow`` is the
#:   list item found.
#: * ``resumed``: a previous run recorded it as launched in the journal; only ``workflow_id`` is
#:   known, nothing was sent.
#: * ``failed``: not launched (``error`` says why); see :class:`UnresolvedLaunchError` for the one
#:   case where the server may still have it.
#: * ``invalid``: rejected before sending (``skip_invalid=True``); ``error`` is an
#:   :class:`~pneumatic_async.errors.InvalidValuesError`.
LaunchStatus: TypeAlias = Literal["launched", "reconciled", "failed", "invalid", "resumed"]


class UnresolvedLaunchError(PneumaticError):
    """A launch may have been applied and looking its token up failed too.

    The item is left ``in_flight`` in the journal: resuming the run looks it up again before
    anything is sent. ``launch_error`` is the error of the launch (usually an
    :class:`~pneumatic_async.errors.AmbiguousOutcomeError`), ``lookup_error`` that of the lookup.
    """

    def __init__(
        self, token: str, *, launch_error: PneumaticError, lookup_error: PneumaticError
    ) -> None:
        super().__init__(
            f"launch {token} may have been applied ({launch_error}) and looking it up failed "
            f"({lookup_error}); resume from the journal to settle it"
        )
        self.token = token
        self.launch_error = launch_error
        self.lookup_error = lookup_error


@attrs.frozen(kw_only=True)
class LaunchResult:
    """The outcome of one item of a bulk run (see :data:`LaunchStatus`).

    ``index`` is the item's position in the input, ``token`` its launch token, ``attempts`` the
    number of launch requests sent for it by this run.
    """

    index: int
    item: LaunchItem
    status: LaunchStatus
    token: str
    workflow_id: int | None = None
    workflow: Workflow | WorkflowListItem | None = None
    error: PneumaticError | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """True when the workflow exists (launched, reconciled or resumed)."""
        return self.status in ("launched", "reconciled", "resumed")


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot of a bulk run: ``done`` (workflow exists), ``failed`` (failed or invalid),
    ``in_flight`` (being launched or looked up), the completion rate since the start and the time
    elapsed."""

    total: int
    done: int
    failed: int
    in_flight: int
    rate_per_s: float
    elapsed_s: float

    @property
    def pending(self) -> int:
        """Items not started yet."""
        return self.total - self.done - self.failed - self.in_flight

    @property
    def finished(self) -> bool:
        """True when every item has a result."""
        return self.done + self.failed == self.total


class ProgressTracker:
    """Counts a run's items (plain integer updates on the hot path) and makes snapshots."""

    __slots__ = ("_clock", "_started", "changed", "done", "failed", "in_flight", "total")

    def __init__(self, total: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.in_flight = 0
        #: Set on every change; cleared when a snapshot is reported.
        self.changed = True
        self._clock = clock
        self._started = clock()

    def count(self, status: LaunchStatus) -> None:
        """Count a finished item."""
        if status in ("launched", "reconciled", "resumed"):
            self.done += 1
        else:
            self.failed += 1
        self.changed = True

    def snapshot(self) -> Progress:
        """The current :class:`Progress` (clears :attr:`changed`)."""
        elapsed = max(self._clock() - self._started, 0.0)
        finished = self.done + self.failed
        self.changed = False
        return Progress(
            total=self.total,
            done=self.done,
            failed=self.failed,
            in_flight=self.in_flight,
            rate_per_s=finished / elapsed if elapsed > 0 else 0.0,
            elapsed_s=elapsed,
        )
