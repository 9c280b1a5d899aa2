"""Client-wide pacing: one shared pause after a 429, and an optional requests-per-second cap.

When the server answers 429 with ``Retry-After``, every request of the client (and so of a whole
bulk launch) waits until the pause ends, instead of each task backing off on its own and the
batch hammering the server. The pure part (:meth:`Pacer.reserve`) takes the current time as an
argument, so it is tested with an injected clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

__all__ = ["Pacer"]


class Pacer:
    """Decides when the next request may be sent."""

    def __init__(
        self,
        *,
        rate_limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("rate_limit must be a positive number of requests per second")
        self._interval = 1.0 / rate_limit if rate_limit else 0.0
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0

    @property
    def paused_until(self) -> float:
        """Clock time until which every request waits (0 when not paused)."""
        return self._paused_until

    @property
    def idle(self) -> bool:
        """True while nothing ever paced a request (no rate limit, never paused): no wait."""
        return not self._interval and self._paused_until == 0.0

    def pause(self, seconds: float, *, now: float | None = None) -> None:
        """Hold every request for ``seconds`` from ``now`` (a shared Retry-After)."""
        now = self._clock() if now is None else now
        self._paused_until = max(self._paused_until, now + seconds)

    def reserve(self, now: float) -> float:
        """Reserve the next send slot; return how long to wait before sending (pure)."""
        start = max(now, self._paused_until)
        if self._interval:
            start = max(start, self._next_slot)
            self._next_slot = start + self._interval
        return start - now

    async def wait(self, limit: float | None = None) -> bool:
        """Wait until this request may be sent; ``False`` (at once) if that is over ``limit`` s."""
        if self.idle:
            return True
        delay = self.reserve(self._clock())
        if limit is not None and delay > limit:
            return False
        if delay > 0:
            await anyio.sleep(delay)
        return True
