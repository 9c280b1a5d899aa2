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
    def in_use(self) -> int:
        """Slots held right now."""
        return self._total - self._free

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot."""
        return len(self._waiters)

    def try_acquire(self) -> bool:
        """Take a free slot without waiting; ``False`` when none is free (or others wait)."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        return False

    async def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting for one when all are held; ``False`` if none came in ``timeout``
        seconds (then no slot is held)."""
        if self._free and not self._waiters:
            self._free -= 1
            return True
        event = anyio.Event()
        self._waiters.append(event)
        try:
            with anyio.move_on_after(timeout):
                await event.wait()
        except BaseException:
            self._give_up(event)
            raise
        if event.is_set():
            return True
        self._give_up(event)
        return False

    def _give_up(self, event: anyio.Event) -> None:
        if event.is_set():  # a slot was handed over as we stopped waiting: pass it on
            self.release()
        else:
            self._waiters.remove(event)

    def release(self) -> None:
        """Give a slot back (to the longest waiter, if any)."""
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._free += 1
