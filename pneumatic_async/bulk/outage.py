"""Outage mode: when the server is unreachable, the whole batch pauses and probes, then goes on.

Signs of an outage are failures that say nothing about the item itself: a connection refused or
dropped, a timeout, a 502/503/504 (:func:`is_outage_error`). :data:`OUTAGE_THRESHOLD` of them in
a row across the batch (no success in between) start an outage: every item waits before sending
anything (launch or lookup), and one of them probes the server with capped exponential backoff
(:data:`PROBE_INITIAL` doubling up to :data:`PROBE_MAX`). The first answer ends the outage and the
items go on; items whose launch may have been sent are settled by lookup before any re-send (the
launcher does that). Only past ``outage_timeout`` seconds of outage does :meth:`Outage.wait`
raise :class:`ServerUnreachableError`, and the items fail, each with the truth about its state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import anyio

from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    PneumaticError,
)

__all__ = [
    "OUTAGE_STATUSES",
    "OUTAGE_THRESHOLD",
    "PROBE_INITIAL",
    "PROBE_MAX",
    "Outage",
    "ServerUnreachableError",
    "is_outage_error",
]

logger = logging.getLogger("pneumatic_async.bulk")

#: Statuses that mean "the server (behind its proxy) is not there", not "this request is wrong".
OUTAGE_STATUSES = frozenset({502, 503, 504})
#: Outage-like failures in a row (across the batch) that start an outage.
OUTAGE_THRESHOLD = 3
#: First pause between probes (seconds); doubles up to :data:`PROBE_MAX`.
PROBE_INITIAL = 0.5
#: Longest pause between probes (seconds).
PROBE_MAX = 15.0


class ServerUnreachableError(PneumaticError):
    """The server stayed unreachable for longer than the batch's ``outage_timeout``."""

    def __init__(self, waited: float, last_error: BaseException | None) -> None:
        cause = f"; last error: {type(last_error).__name__}: {last_error}" if last_error else ""
        super().__init__(f"server unreachable for {waited:.0f} s (outage_timeout){cause}")
        self.waited = waited
        self.last_error = last_error


def is_outage_error(error: BaseException) -> bool:
    """Whether ``error`` is a sign that the server is unreachable (not a problem of the item)."""
    if isinstance(error, AmbiguousOutcomeError):
        error = error.cause
    if isinstance(error, APIConnectionError):
        return True
    return isinstance(error, APIStatusError) and error.status_code in OUTAGE_STATUSES


class Outage:
    """The batch-wide outage state (one per run); see the module docs."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        *,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self.timeout = timeout
        self._clock = clock
        self._streak = 0
        self._last_error: BaseException | None = None
        #: When the current outage started (``None``: no outage).
        self.since: float | None = None
        self._expired: ServerUnreachableError | None = None
        self._probing = False
        self._changed = anyio.Event()
        #: Outages seen by this batch (for the summary and the tests).
        self.count = 0

    @property
    def waiting_s(self) -> float | None:
        """Seconds the batch has been waiting for the server, or ``None``."""
        return None if self.since is None else max(self._clock() - self.since, 0.0)

    def success(self) -> None:
        """The server answered something."""
        self._streak = 0

    def failure(self, error: BaseException) -> None:
        """Count an outage-like failure (others reset the streak: the server answered)."""
        if not is_outage_error(error):
            self._streak = 0
            return
        self._streak += 1
        self._last_error = error
        if self.since is None and self._streak >= OUTAGE_THRESHOLD:
            self.since = self._clock()
            self.count += 1
            logger.warning(
                "server unreachable (%s: %s); pausing the batch and probing for up to %.0f s",
                type(error).__name__,
                error,
                self.timeout,
            )

    async def wait(self) -> None:
        """Return at once when there is no outage; else once it ended (one caller probes).

        Raises :class:`ServerUnreachableError` past ``outage_timeout``.
        """
        while True:
            if self._expired is not None:
                raise self._expired
            if self.since is None:
                return
            if self._probing:
                changed = self._changed
                await changed.wait()
                continue
            self._probing = True
            try:
                await self._probe_until_up()
            finally:
                self._probing = False
                self._changed.set()
                self._changed = anyio.Event()

    async def _probe_until_up(self) -> None:
        delay = PROBE_INITIAL
        while self.since is not None:
            waited = self._clock() - self.since
            if waited >= self.timeout:
                self._expired = ServerUnreachableError(waited, self._last_error)
                logger.error("%s; the items still waiting fail", self._expired)
                return
            await anyio.sleep(min(delay, self.timeout - waited))
            delay = min(delay * 2, PROBE_MAX)
            try:
                await self._probe()
            except PneumaticError as exc:
                if is_outage_error(exc):
                    self._last_error = exc
                    continue
            logger.warning("server reachable again after %.1f s; the batch goes on", waited)
            self.since = None
            self._streak = 0
