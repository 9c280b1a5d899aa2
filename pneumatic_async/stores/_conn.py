"""One connection per store, driven natively on asyncio and from a worker thread on trio.

The PostgreSQL and Redis drivers have asyncio clients only. On asyncio a store uses the driver's
async client; on any other anyio backend (trio) it uses the driver's synchronous client in a
worker thread (one at a time per store). Every call is shielded from cancellation and bounded by
the store's timeout, so a cancelled caller never leaves a statement half-sent; a connection that
failed is dropped and opened again by the next call.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread
import sniffio

from pneumatic_async.stores.base import StoreError

__all__ = ["Driver"]

T = TypeVar("T")
C = TypeVar("C")


class Driver(Generic[C]):
    """Calls on one lazily opened connection (async on asyncio, threaded elsewhere).

    ``open_async``/``open_sync`` make a connection; ``close_async``/``close_sync`` close one;
    ``errors`` are the driver's exception classes, reported as :class:`StoreError` prefixed by
    ``name``.
    """

    def __init__(
        self,
        *,
        name: str,
        timeout: float,
        open_async: Callable[[], Awaitable[Any]],
        open_sync: Callable[[], Any],
        close_async: Callable[[Any], Awaitable[None]],
        close_sync: Callable[[Any], None],
        errors: tuple[type[BaseException], ...],
    ) -> None:
        self._name = name
        self._timeout = timeout
        self._open_async = open_async
        self._open_sync = open_sync
        self._close_async = close_async
        self._close_sync = close_sync
        self._errors = errors
        self._conn: Any = None
        self._native: bool | None = None
        self._lock: anyio.Lock | None = None
        self._thread_lock = threading.Lock()

    async def call(
        self,
        native: Callable[[Any], Awaitable[T]],
        threaded: Callable[[Any], T],
    ) -> T:
        """Run ``native(conn)`` on asyncio, else ``threaded(conn)`` in a worker thread."""
        is_asyncio = sniffio.current_async_library() == "asyncio"
        if self._native is None:
            self._native = is_asyncio
            self._lock = anyio.Lock()
        elif self._native != is_asyncio:
            raise StoreError(f"the {self._name} store is used from another event loop library")
        assert self._lock is not None
        try:
            with anyio.CancelScope(shield=True):
                async with self._lock:
                    result = await self._call(is_asyncio, native, threaded)
        except TimeoutError:
            raise StoreError(f"{self._name} did not answer within {self._timeout:g} s") from None
        except self._errors as exc:
            raise StoreError(f"{self._name}: {type(exc).__name__}: {exc}") from exc
        return result

    async def _call(
        self,
        is_asyncio: bool,
        native: Callable[[Any], Awaitable[T]],
        threaded: Callable[[Any], T],
    ) -> T:
        try:
            with anyio.fail_after(self._timeout):
                if is_asyncio:
                    if self._conn is None:
                        self._conn = await self._open_async()
                    result = await native(self._conn)
                else:
                    result = await anyio.to_thread.run_sync(self._threaded, threaded)
        except BaseException:
            await self._drop()
            raise
        return result

    def _threaded(self, threaded: Callable[[Any], T]) -> T:
        with self._thread_lock:
            if self._conn is None:
                self._conn = self._open_sync()
            return threaded(self._conn)

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if self._native:
                await self._close_async(conn)
            else:
                await anyio.to_thread.run_sync(self._close_sync, conn)
        except Exception:
            pass

    async def aclose(self) -> None:
        """Close the connection (if one is open)."""
        with anyio.CancelScope(shield=True):
            await self._drop()
