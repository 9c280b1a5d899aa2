"""One timer for every exchange of a transport on asyncio.

A timer per request (``asyncio.timeout`` or aiohttp's own) costs a heap entry, a handle and its
cancellation on every request, about as much as all the rest of the SDK's work on a call. Here
each exchange registers its deadline in a dictionary; one timer handle, armed for the earliest
deadline, wakes up, cancels the exchanges whose time is up and re-arms itself for the next one.
A request whose deadline is later than the armed one (the usual case: the same timeouts for
every call) touches no timer at all, and moving a deadline (re-arming a read timeout after each
piece of a body) is an attribute write.

Cancellation follows ``asyncio.timeout``: the task is cancelled, and :meth:`Watch.expired_error`
turns that cancellation back into ``TimeoutError`` only when it was ours alone (``uncancel``
accounting), so an outer cancellation (the caller's, anyio's cancel scopes) still propagates.
"""

from __future__ import annotations

import asyncio
import math

__all__ = ["Deadlines", "Watch"]


class Watch:
    """One exchange's deadline (``when``, in the loop's clock; may be moved later)."""

    __slots__ = ("_cancelling", "expired", "task", "when")

    def __init__(self, task: asyncio.Task[object], when: float) -> None:
        #: The task running the exchange.
        self.task = task
        self._cancelling = task.cancelling()
        self.when = when
        #: Set when the deadline passed and the task was cancelled for it.
        self.expired = False

    def expired_error(self) -> bool:
        """After a ``CancelledError``: whether it was this deadline's alone (then it is undone,
        and the caller raises ``TimeoutError``)."""
        return self.expired and self.task.uncancel() <= self._cancelling


class Deadlines:
    """The deadlines of the exchanges under way on one event loop, behind one timer."""

    __slots__ = ("_armed_at", "_handle", "_watched", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        #: The event loop whose clock and tasks these are.
        self.loop = loop
        self._watched: set[Watch] = set()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_at = math.inf

    def now(self) -> float:
        """The loop's clock (deadlines are in it)."""
        return self.loop.time()

    def watch(self, when: float) -> Watch:
        """Watch the current task until :meth:`unwatch`: cancelled once ``when`` has passed."""
        task = asyncio.current_task(self.loop)
        assert task is not None, "Deadlines.watch() runs inside a task"
        watch = Watch(task, when)
        self._watched.add(watch)
        if when < self._armed_at:
            self._arm(when)
        return watch

    def moved(self, watch: Watch, when: float) -> None:
        """Move ``watch``'s deadline to ``when``."""
        watch.when = when
        if when < self._armed_at:
            self._arm(when)

    def unwatch(self, watch: Watch) -> None:
        """Stop watching (the exchange ended, in any way)."""
        self._watched.discard(watch)

    def close(self) -> None:
        """Stop the timer and forget every watch (the transport is closing)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._armed_at = math.inf
        self._watched.clear()

    def _arm(self, when: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed_at = when
        self._handle = self.loop.call_at(when, self._wake)

    def _wake(self) -> None:
        self._handle = None
        self._armed_at = math.inf
        now = self.loop.time()
        following = math.inf
        for watch in list(self._watched):
            if watch.when <= now:
                self._watched.discard(watch)
                watch.expired = True
                watch.task.cancel()
            elif watch.when < following:
                following = watch.when
        if following < math.inf:
            self._arm(following)
