"""Plain iterators over the async client's lists and streams.

:class:`SyncPaginator` wraps a :class:`~pneumatic_async.Paginator`: ``for item in ...`` fetches
one page per trip to the loop and yields its items, so memory stays at one page whatever the
list's length, as with ``async for``. :class:`SyncStream` wraps any other async iterator (such as
``stream_run``'s results), which runs in one task of the loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from pneumatic_async.pagination import Page, Paginator
from pneumatic_async.sync._runner import Runner

__all__ = ["SyncPaginator", "SyncStream"]

T = TypeVar("T")


async def _next_page(pages: AsyncIterator[Page[T]]) -> Page[T] | None:
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return None


class SyncPaginator(Generic[T]):
    """Iterate a list endpoint item by item (or page by page) with constant memory.

    ``for item in client.workflows.list(status="running"):`` fetches a page at a time; leaving
    the loop early with ``break`` needs no cleanup. :meth:`pages`, :meth:`first_page` (with the
    server's ``count``) and a bounded :meth:`collect` work as on the async
    :class:`~pneumatic_async.Paginator`. Iterating the same object again starts from the first
    page.
    """

    __slots__ = ("_paginator", "_runner")

    def __init__(self, runner: Runner, paginator: Paginator[T]) -> None:
        self._runner = runner
        self._paginator = paginator

    @property
    def path(self) -> str:
        """The list endpoint's path."""
        return self._paginator.path

    @property
    def params(self) -> dict[str, Any]:
        """The filters sent with every page (without ``limit``/``offset``)."""
        return self._paginator.params

    def pages(self) -> Iterator[Page[T]]:
        """Yield page after page; each page is one request."""
        runner = self._runner
        pages = self._paginator.pages()
        try:
            while True:
                page = runner.call(_next_page, pages)
                if page is None:
                    return
                yield page
        finally:
            aclose = getattr(pages, "aclose", None)
            if aclose is not None and not runner.closed and not runner.in_loop_thread():
                runner.call(aclose)

    def first_page(self) -> Page[T]:
        """Fetch the first page only (its ``count`` is the size of the whole list)."""
        return self._runner.call(self._paginator.first_page)

    def collect(self, max_items: int | None = None) -> list[T]:
        """Return all items (at most ``max_items``, or the list call's own bound) as a list."""
        return self._runner.call(self._paginator.collect, max_items)

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items

    def __repr__(self) -> str:
        return f"SyncPaginator(path={self.path!r}, params={self.params!r})"


class SyncStream(Generic[T]):
    """Iterate the results an async generator yields (``stream_run``), as they come.

    The generator runs on the client's loop. Use it in a ``with`` block (or call :meth:`close`)
    when you may leave the loop early: closing cancels the work still in flight::

        with client.templates.stream_run(42, rows) as results:
            for result in results:
                ...
    """

    __slots__ = ("_iterator",)

    def __init__(self, runner: Runner, source: Callable[[], AsyncIterator[T]]) -> None:
        self._iterator = runner.iterate(source)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return next(self._iterator)

    def close(self) -> None:
        """Stop early: cancel what the async generator is still doing (idempotent)."""
        self._iterator.close()  # type: ignore[attr-defined]

    def __enter__(self) -> SyncStream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
