"""The pipeline's parts alone: the limiter, the cache, the retry loop, the log redaction."""

from __future__ import annotations

import logging

import anyio
import anyio.lowlevel
import pytest

from pneumatic_async._cache import ClientCache
from pneumatic_async._logging import RedactingFilter, install_redaction
from pneumatic_async._pacer import Pacer
from pneumatic_async._pipeline.attempts import RetryLoop
from pneumatic_async._pipeline.limiter import Limiter
from pneumatic_async._secret import ApiKey
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from pneumatic_async.retries import RetryEvent, RetryPolicy

KEY = "pn-PARTSpartsPARTSparts000000001"


# -- limiter ---------------------------------------------------------------------------------


async def test_limiter_holds_at_most_total_and_hands_slots_over_in_order() -> None:
    limiter = Limiter(2)
    order: list[int] = []
    await limiter.acquire()
    await limiter.acquire()
    assert limiter.in_use == 2

    async def waiter(number: int) -> None:
        await limiter.acquire()
        order.append(number)

    async with anyio.create_task_group() as tg:
        for number in range(3):
            tg.start_soon(waiter, number)
            await anyio.wait_all_tasks_blocked()
        assert limiter.waiting == 3
        for _ in range(3):
            limiter.release()
            await anyio.wait_all_tasks_blocked()
    assert order == [0, 1, 2]
    assert limiter.in_use == 2


async def test_limiter_cancelled_waiter_gives_its_slot_back() -> None:
    limiter = Limiter(1)
    await limiter.acquire()
    async with anyio.create_task_group() as tg:
        tg.start_soon(limiter.acquire)
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()
    assert limiter.waiting == 0
    limiter.release()
    assert limiter.in_use == 0


#: anyio events on both loops; asyncio futures (``Limiter.on_asyncio``) on asyncio.
WAITER_KINDS = pytest.mark.parametrize(
    ("anyio_backend", "asyncio_waiters"),
    [("asyncio", False), ("trio", False), ("asyncio", True)],
    ids=["asyncio-events", "trio-events", "asyncio-futures"],
)


@WAITER_KINDS
async def test_limiter_waiters_of_either_kind_get_slots_in_order(
    asyncio_waiters: bool, anyio_backend: str
) -> None:
    limiter = Limiter(1)
    limiter.on_asyncio = asyncio_waiters
    await limiter.acquire()
    order: list[int] = []

    async def waiter(number: int) -> None:
        assert await limiter.acquire()
        order.append(number)

    async with anyio.create_task_group() as tg:
        for number in range(3):
            tg.start_soon(waiter, number)
            await anyio.wait_all_tasks_blocked()
        for _ in range(3):
            limiter.release()
            await anyio.wait_all_tasks_blocked()
    assert order == [0, 1, 2]
    assert limiter.in_use == 1
    assert limiter.waiting == 0


@WAITER_KINDS
async def test_limiter_wait_times_out_holding_nothing(
    asyncio_waiters: bool, anyio_backend: str
) -> None:
    limiter = Limiter(1)
    limiter.on_asyncio = asyncio_waiters
    await limiter.acquire()
    assert await limiter.acquire(timeout=0.01) is False
    assert limiter.waiting == 0
    limiter.release()
    assert limiter.in_use == 0


@WAITER_KINDS
@pytest.mark.parametrize("release_first", [False, True], ids=["cancel-first", "release-first"])
async def test_a_slot_is_never_lost_when_a_waiter_is_cancelled_as_it_is_released(
    asyncio_waiters: bool, anyio_backend: str, release_first: bool
) -> None:
    limiter = Limiter(1)
    limiter.on_asyncio = asyncio_waiters
    await limiter.acquire()
    got: list[str] = []

    async def use(name: str) -> None:
        await limiter.acquire()
        got.append(name)
        limiter.release()

    with anyio.fail_after(5):  # a lost slot would leave the second waiter waiting forever
        async with anyio.create_task_group() as tg:
            first = anyio.CancelScope()

            async def cancelled_first() -> None:
                with first:
                    await use("first")

            tg.start_soon(cancelled_first)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(use, "second")
            await anyio.wait_all_tasks_blocked()
            # In one step: the first waiter is cancelled and the slot released (either order).
            # Cancelled before the hand-over, it is skipped; handed the slot as it is
            # cancelled, it either keeps it (and releases it) or passes it on.
            if release_first:
                limiter.release()
                first.cancel()
            else:
                first.cancel()
                limiter.release()
    assert got[-1] == "second"
    if not release_first:
        assert got == ["second"]
    assert limiter.in_use == 0
    assert limiter.waiting == 0


def test_limiter_needs_a_slot() -> None:
    with pytest.raises(ValueError, match=">= 1"):
        Limiter(0)


# -- cache -----------------------------------------------------------------------------------


async def test_cache_loads_once_for_concurrent_misses_and_hits_without_waiting() -> None:
    cache = ClientCache()
    loads = 0

    async def load() -> str:
        nonlocal loads
        loads += 1
        await anyio.lowlevel.checkpoint()
        return "value"

    results: list[str] = []

    async def get() -> None:
        results.append(await cache.get_or_load("k", load))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(get)
    assert results == ["value"] * 5
    assert loads == 1
    cache.pop("k")
    assert "k" not in cache
    assert await cache.get_or_load("k", load) == "value"
    assert loads == 2


async def test_cache_load_failure_lets_the_next_caller_load() -> None:
    cache = ClientCache()

    async def fail() -> str:
        raise OSError("down")

    async def ok() -> str:
        return "fine"

    with pytest.raises(OSError, match="down"):
        await cache.get_or_load("k", fail)
    assert await cache.get_or_load("k", ok) == "fine"


# -- the retry loop ---------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def _run(loop: RetryLoop, errors: list[Exception]) -> str:
    async for attempt in loop:
        with attempt:
            if errors:
                raise errors.pop(0)
            return f"ok after {attempt.number}"
    raise AssertionError("unreachable")


def _loop(clock: Clock, *, idempotent: bool, **policy: float) -> RetryLoop:
    return RetryLoop(
        RetryPolicy(**policy),  # type: ignore[arg-type]
        idempotent=idempotent,
        method="GET",
        path="/x",
        clock=clock,
        sleep=clock.sleep,
        rand=lambda: 1.0,
    )


def _status(cls: type[Exception], status: int) -> Exception:
    return cls("e", status_code=status, method="GET", path="/x")  # type: ignore[call-arg]


async def test_retry_loop_retries_with_backoff_then_succeeds() -> None:
    clock = Clock()
    errors = [_status(InternalServerError, 503), _status(InternalServerError, 502)]
    result = await _run(_loop(clock, idempotent=True, initial_backoff=1.0, max_backoff=8.0), errors)
    assert result == "ok after 3"
    assert clock.slept == [1.0, 2.0]


async def test_retry_loop_stops_at_max_attempts_and_sets_attempts() -> None:
    clock = Clock()
    errors: list[Exception] = [_status(InternalServerError, 503) for _ in range(5)]
    with pytest.raises(InternalServerError) as info:
        await _run(_loop(clock, idempotent=True, max_attempts=3, initial_backoff=0.0), errors)
    assert info.value.attempts == 3  # type: ignore[attr-defined]


async def test_retry_loop_never_retries_a_post_that_may_have_been_applied() -> None:
    clock = Clock()
    errors: list[Exception] = [_status(InternalServerError, 500)]
    with pytest.raises(AmbiguousOutcomeError) as info:
        await _run(_loop(clock, idempotent=False), errors)
    assert info.value.attempts == 1
    assert isinstance(info.value.cause, InternalServerError)
    refused = APIConnectionError("refused", method="POST", path="/x", may_have_been_sent=False)
    assert await _run(_loop(clock, idempotent=False, initial_backoff=0.0), [refused]) == (
        "ok after 2"
    )


async def test_retry_loop_raises_client_errors_at_once() -> None:
    with pytest.raises(NotFoundError):
        await _run(_loop(Clock(), idempotent=True), [_status(NotFoundError, 404)])


async def test_retry_loop_honours_retry_after_and_pauses_the_pacer() -> None:
    clock = Clock()
    pacer = Pacer(clock=clock)
    events: list[RetryEvent] = []
    loop = RetryLoop(
        RetryPolicy(initial_backoff=0.0, max_retry_after=30.0),
        idempotent=False,
        method="POST",
        path="/x",
        pacer=pacer,
        on_retry=events.append,
        clock=clock,
        sleep=clock.sleep,
    )
    limited = RateLimitError("slow", retry_after=90.0, status_code=429, method="POST", path="/x")
    assert await _run(loop, [limited]) == "ok after 2"
    assert clock.slept == [30.0]  # capped by max_retry_after
    assert pacer.paused_until == 30.0
    assert [(e.attempt, e.delay) for e in events] == [(1, 30.0)]


async def test_retry_loop_gives_up_when_the_wait_would_pass_the_deadline() -> None:
    clock = Clock()
    errors: list[Exception] = [_status(InternalServerError, 503)]
    loop = _loop(clock, idempotent=True, initial_backoff=10.0, deadline=5.0)
    with pytest.raises(InternalServerError):
        await _run(loop, errors)
    assert clock.slept == []


async def test_retry_loop_lets_other_errors_through_untouched() -> None:
    with pytest.raises(KeyError):
        await _run(_loop(Clock(), idempotent=True), [KeyError("bug")])


# -- log redaction ---------------------------------------------------------------------------


def test_redacting_filter_removes_live_keys_from_any_record() -> None:
    key = ApiKey(KEY)
    install_redaction(key)
    record = logging.LogRecord(
        "httpcore.http11", logging.DEBUG, __file__, 1, "headers=%r", ([(b"set-cookie", KEY)],), None
    )
    assert RedactingFilter().filter(record)
    assert KEY not in record.getMessage()
    assert "[REDACTED]" in record.getMessage()
    for name in ("httpx", "httpcore.http11", "aiohttp.client", "pneumatic_async"):
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters)


def test_the_authorized_headers_are_reused_only_for_the_very_same_headers() -> None:
    key = ApiKey(KEY)
    constant = {"Accept": "application/json"}
    first = key.authorized(constant)
    assert first == {"Accept": "application/json", "Authorization": f"Bearer {KEY}"}
    assert constant == {"Accept": "application/json"}  # never changed
    assert key.authorized(constant) is first
    equal_but_other = {"Accept": "application/json"}
    assert key.authorized(equal_but_other) is not first
    other = key.authorized({"Accept": "text/plain"})
    assert other == {"Accept": "text/plain", "Authorization": f"Bearer {KEY}"}
    assert KEY not in repr(key)


def test_an_idle_pacer_never_makes_a_request_wait() -> None:
    pacer = Pacer()
    assert pacer.idle
    pacer.pause(0.0, now=5.0)
    assert not pacer.idle  # paced once: every request asks it from now on
    assert not Pacer(rate_limit=10).idle
