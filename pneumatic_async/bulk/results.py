"""What a bulk run reports: one :class:`LaunchResult` per item and :class:`Progress` snapshots."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Literal, TypeAlias

import attrs

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.errors import PneumaticError
from pneumatic_async.models.workflows import Workflow, WorkflowListItem

__all__ = [
    "BatchSummary",
    "LaunchResult",
    "LaunchStatus",
    "NotLaunchedError",
    "Progress",
    "ProgressTracker",
    "UnresolvedLaunchError",
]

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
    Both messages name the failure's class.
    """

    def __init__(
        self, token: str, *, launch_error: PneumaticError, lookup_error: PneumaticError
    ) -> None:
        super().__init__(
            f"launch {token} may have been applied ({_described(launch_error)}) and looking it "
            f"up failed ({_described(lookup_error)}); resume from the journal to settle it"
        )
        self.token = token
        self.launch_error = launch_error
        self.lookup_error = lookup_error


class NotLaunchedError(PneumaticError):
    """A launch that certainly created nothing: never sent (connection refused, 429s), or sent
    and then confirmed absent by lookups every time. ``last_error`` is the last failure."""

    def __init__(self, message: str, *, last_error: BaseException | None = None) -> None:
        super().__init__(message)
        self.last_error = last_error


def _described(error: BaseException) -> str:
    """``Class: message`` (the class says what kind of failure it was)."""
    return f"{type(error).__name__}: {error}"


@attrs.frozen(kw_only=True)
class LaunchResult:
    """The outcome of one item of a bulk run (see :data:`LaunchStatus`).

    ``index`` is the item's position in the input, ``token`` its launch token, ``attempts`` the
    number of launch requests sent for it by this run, ``lookups`` the token lookups made and
    ``resent`` how many times it was sent again after lookups confirmed the previous attempt
    created nothing (so ``launched`` with ``resent=1`` is not a clean first-time launch).
    """

    index: int
    item: LaunchItem
    status: LaunchStatus
    token: str
    workflow_id: int | None = None
    workflow: Workflow | WorkflowListItem | None = None
    error: PneumaticError | None = None
    attempts: int = 0
    lookups: int = 0
    resent: int = 0

    @property
    def ok(self) -> bool:
        """True when the workflow exists (launched, reconciled or resumed)."""
        return self.status in ("launched", "reconciled", "resumed")


@attrs.frozen(kw_only=True)
class Progress:
    """A snapshot of a bulk run: ``done`` (workflow exists), ``failed`` (failed or invalid),
    ``in_flight`` (being launched or looked up), the completion rate since the start and the time
    elapsed; of the done, ``reconciled`` were found by lookup and ``resent`` items were sent again
    after a negative lookup; ``waiting_s`` is set while the server is unreachable (outage mode)."""

    total: int
    done: int
    failed: int
    in_flight: int
    rate_per_s: float
    elapsed_s: float
    reconciled: int = 0
    resent: int = 0
    waiting_s: float | None = None

    @property
    def status(self) -> str:
        """``"server unreachable, waiting (N s)"`` during an outage, else ``""``."""
        if self.waiting_s is None:
            return ""
        return f"server unreachable, waiting ({self.waiting_s:.0f} s)"

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

    __slots__ = (
        "_clock",
        "_started",
        "changed",
        "done",
        "failed",
        "in_flight",
        "reconciled",
        "resent",
        "total",
        "waiting",
    )

    def __init__(self, total: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.failed = 0
        self.in_flight = 0
        self.reconciled = 0
        self.resent = 0
        #: Returns the seconds the batch has waited for an unreachable server, or ``None``.
        self.waiting: Callable[[], float | None] = lambda: None
        #: Set on every change; cleared when a snapshot is reported.
        self.changed = True
        self._clock = clock
        self._started = clock()

    def count(self, result: LaunchResult) -> None:
        """Count a finished item."""
        if result.ok:
            self.done += 1
        else:
            self.failed += 1
        if result.status == "reconciled":
            self.reconciled += 1
        if result.resent:
            self.resent += 1
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
            reconciled=self.reconciled,
            resent=self.resent,
            waiting_s=self.waiting(),
        )


@attrs.frozen(kw_only=True)
class BatchSummary:
    """What a whole run did, counted from its results.

    ``launched``: created by this run on the first send that reached the server or after
    re-sends; ``reconciled``: the outcome was unknown and a lookup found the workflow;
    ``resent``: items sent again after lookups confirmed the earlier attempt created nothing
    (they are also counted as launched, reconciled or failed); ``resumed``: launched by an earlier
    run of the journal; ``failed`` and ``invalid`` as in :data:`LaunchStatus`.
    """

    total: int
    launched: int
    reconciled: int
    resent: int
    resumed: int
    failed: int
    invalid: int

    @classmethod
    def of(cls, results: Iterable[LaunchResult]) -> BatchSummary:
        """Count ``results``."""
        counts = {"launched": 0, "reconciled": 0, "resumed": 0, "failed": 0, "invalid": 0}
        total = resent = 0
        for result in results:
            total += 1
            counts[result.status] += 1
            resent += 1 if result.resent else 0
        return cls(total=total, resent=resent, **counts)

    def __str__(self) -> str:
        return (
            f"{self.total} items: {self.launched} launched, {self.reconciled} reconciled (found "
            f"by lookup), {self.resent} re-sent after a negative lookup, {self.resumed} resumed, "
            f"{self.failed} failed, {self.invalid} invalid"
        )
