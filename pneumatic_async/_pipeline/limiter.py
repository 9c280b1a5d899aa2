"""A concurrency limiter that costs nothing while a slot is free.

``anyio.CapacityLimiter`` takes a checkpoint and bookkeeping per borrower on every acquire. Here an
uncontended acquire is one comparison and one decrement; only a caller that finds every slot taken
waits, on a waiter of its own, and a release hands its slot straight to the longest waiter.

A waiter is an ``anyio.Event`` bounded by a cancel scope, or, once :attr:`Limiter.on_asyncio` is
set (the pipeline sets it when it finds itself on asyncio), an asyncio future bounded by
``asyncio.timeout``: the cancel scope alone would cost more than the rest of a call.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

import anyio

__all__ = ["Limiter"]

_Waiter = anyio.Event | asyncio.Future[None]


class Limiter:
    """At most ``total`` holders at once; works under asyncio and trio."""

    __slots__ = ("_free", "_total", "_waiters", "on_asyncio")

    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError(f"total must be >= 1, got {total}")
        self._total = total
        self._free = total
        self._waiters: deque[_Waiter] = deque()
        #: Wait on asyncio futures (only ever set from a task running on asyncio).
        self.on_asyncio = False

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
        if self.on_asyncio:
            return await self._wait_on_asyncio(timeout)
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

    async def _wait_on_asyncio(self, timeout: float | None) -> bool:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            async with asyncio.timeout(timeout):
                await future
        except TimeoutError:
            self._give_up(future)
            return False
        except BaseException:
            self._give_up(future)
            raise
        return True

    def _give_up(self, waiter: _Waiter) -> None:
        if _handed_over(waiter):  # a slot was handed over as we stopped waiting: pass it on
            self.release()
        else:
            with contextlib.suppress(ValueError):  # a release may have skipped it already
                self._waiters.remove(waiter)

    def release(self) -> None:
        """Give a slot back (to the longest waiter still waiting, if any)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if isinstance(waiter, asyncio.Future):
                if waiter.done():  # cancelled: its task is giving up, never hand it a slot
                    continue
                waiter.set_result(None)
            else:
                waiter.set()
            return
        self._free += 1


def _handed_over(waiter: _Waiter) -> bool:
    if isinstance(waiter, asyncio.Future):
        return waiter.done() and not waiter.cancelled()
    return waiter.is_set()
