"""The event loop behind a synchronous client: one blocking portal in its own thread.

A :class:`Runner` starts an event loop in a daemon thread with anyio's
:func:`~anyio.from_thread.start_blocking_portal` and keeps it until :meth:`Runner.close`. Every
call of a synchronous client is a coroutine run on that loop, so the async client living there
keeps its connection pool, limiter and caches from call to call, and calls from many threads run
concurrently on the one loop (the async client itself is only ever touched from the loop thread).

A call costs one hop to the loop and one back. On asyncio (the default) that is a task started with
``call_soon_threadsafe`` and a lock the caller blocks on, released by the task's done callback:
about half the CPU of ``anyio.from_thread.run`` (see ``benchmarks/sync_overhead.py``). On trio it
is ``anyio.from_thread.run`` with the loop's token, the call running in a cancel scope. When the
calling thread is interrupted (``KeyboardInterrupt``), the call is cancelled on the loop and waited
for (bounded) before the interrupt propagates, so no request keeps running behind the caller's
back.

Iterating an async iterator (a page stream, ``stream_run``) runs it in one task of the loop that
hands items to the caller through a bounded memory stream: the async generator is never resumed
from different tasks (its cancel scopes stay valid), and leaving the loop early cancels it.
"""

from __future__ import annotations

import asyncio
import atexit
import sys
import threading
import weakref
from _thread import allocate_lock
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import ExitStack, suppress
from contextvars import Context
from typing import Any, Literal, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pneumatic_async.errors import PneumaticError

__all__ = ["Backend", "Runner"]

T = TypeVar("T")

#: The event loop implementations a synchronous client can run on.
Backend = Literal["asyncio", "trio"]

#: How long an interrupted call may take to finish cancelling before the interrupt propagates.
_CANCEL_GRACE = 5.0
#: How long closing waits for the loop thread to stop.
_CLOSE_TIMEOUT = 10.0
#: Items buffered between the loop task producing them and the thread consuming them.
_STREAM_BUFFER = 16


class _Waiter:
    """One call on the asyncio path: the caller blocks on ``lock`` until the task is done."""

    __slots__ = ("done", "error", "lock", "task", "value")

    def __init__(self) -> None:
        self.lock = allocate_lock()
        self.lock.acquire()
        self.task: asyncio.Future[Any] | None = None
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False

    def start(self, func: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        """In the loop thread: start the task (``finish`` releases the caller)."""
        try:
            self.task = task = asyncio.ensure_future(func(*args))
        except BaseException as exc:
            self.error = exc
            self._release()
            return
        task.add_done_callback(self.finish)

    def finish(self, task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            self.error = PneumaticError("the call was cancelled")
        else:
            self.error = task.exception()
            if self.error is None:
                self.value = task.result()
        self._release()

    def _release(self) -> None:
        self.done = True
        self.lock.release()

    def cancel(self) -> None:
        """In the loop thread, after an interrupt of the caller: cancel the task, or release
        the caller at once when the task was never started (the interrupt came first)."""
        if self.task is not None:
            self.task.cancel()
        elif not self.done:
            self.error = PneumaticError("the call was cancelled")
            self._release()


class _Call:
    """The loop-side state of one call: its cancel scope and whether it finished."""

    __slots__ = ("cancelled", "done", "finished", "scope")

    def __init__(self) -> None:
        self.cancelled = False
        self.scope: anyio.CancelScope | None = None
        self.finished = False
        self.done: anyio.Event | None = None


async def _guarded(call: _Call, func: Callable[..., Awaitable[T]], args: tuple[Any, ...]) -> T:
    with anyio.CancelScope() as scope:
        if call.cancelled:  # interrupted before it started
            scope.cancel()
        call.scope = scope
        try:
            return await func(*args)
        finally:
            call.finished = True
            if call.done is not None:
                call.done.set()
    raise PneumaticError("the call was cancelled")  # by an interrupt of the calling thread


async def _cancel(call: _Call) -> None:
    call.cancelled = True
    if call.finished or call.scope is None:
        return
    call.done = anyio.Event()
    call.scope.cancel()
    with anyio.move_on_after(_CANCEL_GRACE):
        await call.done.wait()


async def _pump(source: Callable[[], AsyncIterator[T]], send: MemoryObjectSendStream[T]) -> None:
    async with send:
        iterator = source()
        try:
            async for item in iterator:
                await send.send(item)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()


async def _take(receive: MemoryObjectReceiveStream[T]) -> list[T]:
    """The next item and whatever else is ready (``[]`` at the end of the stream)."""
    try:
        batch = [await receive.receive()]
    except anyio.EndOfStream:
        return []
    while len(batch) < _STREAM_BUFFER:
        try:
            batch.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            break
    return batch


#: Runners not closed yet: closed at interpreter exit, while their threads still run (a client
#: left open would otherwise be closed during finalization, waiting on a frozen thread forever).
_OPEN: weakref.WeakSet[Runner] = weakref.WeakSet()


@atexit.register
def _close_open_runners() -> None:
    for runner in list(_OPEN):
        with suppress(Exception):
            runner.close()


class Runner:
    """An event loop in a daemon thread, driven from any number of other threads."""

    def __init__(self, backend: Backend = "asyncio") -> None:
        if backend not in ("asyncio", "trio"):
            raise ValueError(f"backend must be 'asyncio' or 'trio', got {backend!r}")
        self.backend = backend
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(
            anyio.from_thread.start_blocking_portal(backend, name="pneumatic-sync")
        )
        self._token = self._portal.call(anyio.lowlevel.current_token)
        self._loop: asyncio.AbstractEventLoop | None = None
        if backend == "asyncio":
            self._loop = self._portal.call(asyncio.get_running_loop)
        self._thread = self._portal.call(threading.current_thread)
        self._lock = threading.Lock()
        self._closed = False
        #: Run on the loop by :meth:`close` before it stops (the async client's ``aclose``).
        self.on_close: Callable[[], Coroutine[Any, Any, None]] | None = None
        _OPEN.add(self)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has stopped the loop."""
        return self._closed

    def in_loop_thread(self) -> bool:
        """True when called from the loop's own thread (where blocking calls would deadlock)."""
        return threading.current_thread() is self._thread

    def _check(self) -> None:
        if self._closed:
            raise PneumaticError("this client is closed")
        if self.in_loop_thread():
            raise PneumaticError(
                "a synchronous client cannot be called from its own event loop thread "
                "(from a callback it runs, such as on_progress or on_retry)"
            )

    def call(self, func: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``await func(*args)`` on the loop and return its result (or raise its error)."""
        self._check()
        if self._loop is not None:
            return self._call_asyncio(self._loop, func, args)  # type: ignore[no-any-return]
        call = _Call()
        try:
            return anyio.from_thread.run(_guarded, call, func, args, token=self._token)
        except BaseException as exc:
            if not isinstance(exc, Exception) and not call.finished:
                self._interrupt(call)
            raise

    def _call_asyncio(
        self, loop: asyncio.AbstractEventLoop, func: Callable[..., Awaitable[Any]], args: Any
    ) -> Any:
        waiter = _Waiter()
        try:
            # A fresh context: the caller's says which async library its own thread runs, if any.
            loop.call_soon_threadsafe(waiter.start, func, args, context=Context())
            waiter.lock.acquire()
        except RuntimeError as exc:
            if not loop.is_closed():
                raise
            raise PneumaticError("this client is closed") from exc
        except BaseException:  # KeyboardInterrupt, wherever it hit since the call was scheduled
            if not waiter.done:
                with suppress(RuntimeError):
                    loop.call_soon_threadsafe(waiter.cancel)
                waiter.lock.acquire(timeout=_CANCEL_GRACE)
            raise
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    def run_sync(self, func: Callable[..., T], *args: Any) -> T:
        """Run the plain function ``func(*args)`` in the loop thread and return its result."""
        self._check()
        return anyio.from_thread.run_sync(func, *args, token=self._token)

    def _interrupt(self, call: _Call) -> None:
        """Cancel an interrupted call on the loop and wait (bounded) until it has ended."""
        with suppress(Exception):  # the loop is gone: nothing is left running
            anyio.from_thread.run(_cancel, call, token=self._token)

    def iterate(self, source: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
        """Iterate ``source()`` (an async iterator made on the loop) from this thread.

        The iterator runs in one task of the loop and hands items over through a small buffer,
        in batches of what is ready; closing the returned generator early cancels it.
        """
        self._check()
        send, receive = anyio.create_memory_object_stream[T](_STREAM_BUFFER)
        pump = self._portal.start_task_soon(_pump, source, send)
        try:
            while True:
                batch = self.call(_take, receive)
                if not batch:
                    break
                yield from batch
            pump.result()  # raises what the async iterator raised
        finally:
            if not pump.done():
                pump.cancel()
            self._finish(receive)

    def _finish(self, receive: MemoryObjectReceiveStream[Any]) -> None:
        """Drain and close the receiving end once the pump has ended (bounded wait)."""

        async def drain() -> None:
            with anyio.move_on_after(_CANCEL_GRACE):
                async for _ in receive:
                    pass
            receive.close()

        if not self._closed and not self.in_loop_thread():
            with suppress(Exception):  # the loop is gone: so is the pump
                anyio.from_thread.run(drain, token=self._token)

    def close(self) -> None:
        """Run :attr:`on_close` on the loop (closing the async client), then stop the loop thread.

        Calls still running in other threads are cancelled. Idempotent. While the interpreter
        is finalizing (the loop thread may be frozen) nothing is waited for.
        """
        if self.in_loop_thread():
            raise PneumaticError("a synchronous client cannot be closed from its own loop thread")
        with self._lock:
            if self._closed:
                return
            self._closed = True
        _OPEN.discard(self)
        if sys.is_finalizing():
            return
        before = self.on_close
        try:
            if before is not None:
                anyio.from_thread.run(before, token=self._token)
        finally:
            with suppress(RuntimeError):  # already stopped
                self._portal.call(self._portal.stop, True)
            self._stack.close()
