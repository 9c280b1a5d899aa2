"""The transport's one timer for every exchange's deadline (asyncio only: it serves the aiohttp
path, and its cancellation follows ``asyncio.timeout``)."""

from __future__ import annotations

import asyncio

import pytest

from pneumatic_async._http.deadlines import Deadlines, Watch

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])  # asyncio's tasks and timers


async def _guarded(deadlines: Deadlines, when: float, work: float) -> str:
    """Sleep ``work`` seconds under a watch: "done", or "timeout" when the deadline ended it."""
    watch = deadlines.watch(when)
    try:
        await asyncio.sleep(work)
    except asyncio.CancelledError:
        if watch.expired_error():
            return "timeout"
        raise
    finally:
        deadlines.unwatch(watch)
    return "done"


async def test_each_exchange_ends_at_its_own_deadline_behind_one_timer() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    now = deadlines.now()
    results = await asyncio.gather(
        _guarded(deadlines, now + 0.3, 5),  # later deadline registered first
        _guarded(deadlines, now + 0.05, 5),
        _guarded(deadlines, now + 5, 0.1),  # finishes in time
        _guarded(deadlines, now + 0.2, 5),
    )
    assert results == ["timeout", "timeout", "done", "timeout"]


async def test_a_deadline_moved_later_lets_the_exchange_finish() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    watch = deadlines.watch(deadlines.now() + 0.1)
    try:
        for _ in range(4):  # 0.2 s in all, each pause well under the moving 0.1 s deadline
            await asyncio.sleep(0.05)
            deadlines.moved(watch, deadlines.now() + 0.1)
    finally:
        deadlines.unwatch(watch)
    assert not watch.expired


async def test_a_deadline_moved_earlier_fires_earlier() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())

    async def shortened() -> str:
        watch = deadlines.watch(deadlines.now() + 30)
        deadlines.moved(watch, deadlines.now() + 0.05)
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            if watch.expired_error():
                return "timeout"
            raise
        finally:
            deadlines.unwatch(watch)
        return "done"

    assert await asyncio.wait_for(shortened(), 3) == "timeout"


async def test_an_outer_cancellation_is_never_taken_for_the_deadline() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    task = asyncio.ensure_future(_guarded(deadlines, deadlines.now() + 30, 5))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_outer_cancellation_at_the_deadline_still_propagates() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    seen: list[Watch] = []

    async def both() -> str:
        watch = deadlines.watch(deadlines.now() + 0.05)
        seen.append(watch)
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            if watch.expired_error():
                return "timeout"
            raise
        finally:
            deadlines.unwatch(watch)
        return "done"

    task = asyncio.ensure_future(both())
    await asyncio.sleep(0)
    deadline = seen[0].when
    loop = asyncio.get_running_loop()
    # The caller cancels in the same loop step as the deadline passes: both cancellations count.
    loop.call_at(deadline, task.cancel)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen[0].expired


async def test_an_unwatched_exchange_is_never_cancelled_and_the_timer_moves_on() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    early = deadlines.watch(deadlines.now() + 0.05)
    deadlines.unwatch(early)  # ended before its deadline
    assert await _guarded(deadlines, deadlines.now() + 0.15, 5) == "timeout"
    assert not early.expired


async def test_close_stops_the_timer() -> None:
    deadlines = Deadlines(asyncio.get_running_loop())
    watch = deadlines.watch(deadlines.now() + 0.05)
    deadlines.close()
    await asyncio.sleep(0.1)
    assert not watch.expired
