"""The bases of the generated synchronous namespaces and clients.

The generated classes (:mod:`pneumatic_async.sync.resources`, :mod:`pneumatic_async.sync.clients`)
only add typed methods that forward to these helpers; everything about threads, the loop and
closing lives here and in :mod:`pneumatic_async.sync._runner`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pneumatic_async.pagination import Paginator
from pneumatic_async.sync._iterators import SyncPaginator, SyncStream
from pneumatic_async.sync._runner import Backend, Runner

if TYPE_CHECKING:
    from typing import Self

__all__ = ["SyncClient", "SyncResource", "adapt"]

R = TypeVar("R")
C = TypeVar("C")
T = TypeVar("T")


def adapt(runner: Runner, method: Callable[..., Any]) -> Callable[..., Any]:
    """A blocking version of an async client's method (for methods without a generated one).

    Coroutine functions run on the loop; async generator functions and methods returning an
    async iterator become :class:`SyncStream` (a :class:`~pneumatic_async.Paginator` becomes a
    :class:`SyncPaginator`); other methods run in the loop thread.
    """
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            return runner.call(functools.partial(method, *args, **kwargs))

        return call
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        def stream(*args: Any, **kwargs: Any) -> Any:
            return SyncStream(runner, functools.partial(method, *args, **kwargs))

        return stream

    @functools.wraps(method)
    def other(*args: Any, **kwargs: Any) -> Any:
        return wrap_result(runner, runner.run_sync(functools.partial(method, *args, **kwargs)))

    return other


def wrap_result(runner: Runner, value: Any) -> Any:
    """The blocking counterpart of a value an async method returned without awaiting."""
    if isinstance(value, Paginator):
        return SyncPaginator(runner, value)
    if isinstance(value, AsyncIterator):
        iterator: AsyncIterator[Any] = value
        return SyncStream(runner, lambda: iterator)
    if inspect.isawaitable(value):
        awaitable: Awaitable[Any] = value

        async def wait() -> Any:
            return await awaitable

        return runner.call(wait)
    return value


class SyncResource(Generic[R]):
    """A blocking namespace (``client.templates``...) forwarding to the async one on the loop."""

    __slots__ = ("_async", "_runner")

    def __init__(self, runner: Runner, resource: R) -> None:
        self._runner = runner
        self._async = resource

    def _paginate(self, paginator: Paginator[T]) -> SyncPaginator[T]:
        return SyncPaginator(self._runner, paginator)

    def _stream(self, source: Callable[[], AsyncIterator[T]]) -> SyncStream[T]:
        return SyncStream(self._runner, source)

    if not TYPE_CHECKING:  # invisible to type checkers: they only see the generated methods

        def __getattr__(self, name: str) -> Any:
            """Methods added to the async namespace since the generated code was written."""
            if name.startswith("_"):
                raise AttributeError(name)
            target = getattr(self._async, name)
            return adapt(self._runner, target) if callable(target) else target

    def __repr__(self) -> str:
        return f"<sync {type(self._async).__name__}>"


class SyncClient(Generic[C]):
    """What every synchronous client does: start its loop, forward, close.

    The async client (``async_class``) is created on the loop thread, with the keyword arguments
    the synchronous client was given, and only ever used there.
    """

    async_class: ClassVar[Callable[..., Any]]

    _runner: Runner
    _async: C
    _root: SyncClient[C] | None

    def _start(self, backend: Backend, options: dict[str, Any]) -> None:
        runner = Runner(backend)
        try:
            client: C = runner.run_sync(functools.partial(self.async_class, **options))
        except BaseException:
            runner.close()
            raise
        runner.on_close = getattr(client, "aclose", None)
        self._runner, self._async, self._root = runner, client, None

    def _paginate(self, paginator: Paginator[T]) -> SyncPaginator[T]:
        return SyncPaginator(self._runner, paginator)

    def _view(self, client: C) -> Self:
        """A client object for a ``with_options`` view of the async client (same loop)."""
        view = object.__new__(type(self))
        view._runner, view._async, view._root = self._runner, client, self._root or self
        return view

    @property
    def async_client(self) -> C:
        """The async client behind this one (use it only on its loop, e.g. in a callback)."""
        return self._async

    @property
    def backend(self) -> Backend:
        """The event loop the client runs on: ``"asyncio"`` (the default) or ``"trio"``."""
        return self._runner.backend

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run (on this client or a view of it)."""
        return self._runner.closed

    def close(self) -> None:
        """Close the connection pool and stop the client's loop thread (idempotent).

        A ``with_options`` view shares its client: closing either closes both.
        """
        self._runner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        runner: Runner | None = getattr(self, "_runner", None)
        if runner is None or getattr(self, "_root", None) is not None or runner.closed:
            return
        if sys.is_finalizing():  # the loop thread may be frozen: closed at exit already
            return
        if not runner.in_loop_thread():
            with contextlib.suppress(Exception):  # the interpreter may be shutting down
                self.close()
        warnings.warn(
            f"unclosed synchronous {type(self).__name__} client: use 'with' or 'client.close()'",
            ResourceWarning,
            stacklevel=1,
            source=self,
        )

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{self._async!r}"
