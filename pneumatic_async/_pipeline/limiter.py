"""A concurrency limiter that costs nothing while a slot is free.

``anyio.CapacityLimiter`` takes a checkpoint and bookkeeping per borrower on every acquire. Here an
uncontended acquire is one comparison and one decrement; only a caller that finds every slot taken
waits, on an event of its own, and a release hands its slot straight to the longest waiter.
"""

from __future__ import annotations

from collections import deque

import anyio

__all__ = ["Limiter"]


class Limiter:
    """At most ``total`` holders at once; works under asyncio and trio."""

    __slots__ = ("_free", "_total", "_waiters")

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError(f"total must be >= 1, got {total}")
        self._total = total
        self._free = total
        self._waiters: deque[anyio.Event] = deque()

    @property
    def total(self) -> int:
        """The number of slots."""
        return self._total

    @property
    def in_use(self) -> int:
        """Slots held right now."""
        return self._total - self._free

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot."""
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting for one when all are held."""
        if self._free and not self._waiters:
            self._free -= 1
            return
        event = anyio.Event()
        self._waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():  # a slot was handed over as we were cancelled: pass it on
                self.release()
            else:
                self._waiters.remove(event)
            raise

    def release(self) -> None:
        """Give a slot back (to the longest waiter, if any)."""
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._free += 1
