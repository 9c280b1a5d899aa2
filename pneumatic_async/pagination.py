"""Async pagination over the server's limit/offset lists.

``async for item in client.workflows.list(status="running")`` yields items one by one, fetching a
page at a time: memory stays at one page whatever the list's length. The same object gives
page-level access (:meth:`Paginator.pages`, :meth:`Paginator.first_page` with the server's
``count``) and a bounded :meth:`Paginator.collect`.

Facts of the real server this is built on (``contract.md`` §3):

* Without ``limit`` the templates, users and ``/v3/tasks`` lists answer a **bare JSON array** of
  every item; with it, an envelope ``{count, next, previous, results}``. So the paginator always
  sends ``limit``, and still accepts a bare array (taken as the whole list).
* ``next`` is an absolute URL built from the request's ``Host`` header, which behind a proxy may
  name another host. The paginator never follows it (that would send the API key there): it only
  uses whether it is null, and advances ``offset`` itself, keeping every filter on every page.
* Workflows lists cap ``limit`` at 1000.

Parsing a page (:func:`parse_page`) is pure and tested without a network.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from pneumatic_async.errors import ResponseValidationError

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Page", "Paginator", "RawPage", "parse_page"]

T = TypeVar("T")

#: Items per request unless a list call says otherwise.
DEFAULT_PAGE_SIZE = 100
#: The largest ``limit`` every list endpoint accepts (workflows lists reject more).
MAX_PAGE_SIZE = 1000


@attrs.frozen(kw_only=True)
class RawPage:
    """A page as the server sent it: undecoded items, ``count`` and whether more follow."""

    items: list[Any]
    count: int | None
    has_next: bool


def parse_page(body: Any, *, path: str = "") -> RawPage:
    """Parse a list response: a bare array (the whole list) or a ``{count, next, results}`` page."""
    if isinstance(body, list):
        return RawPage(items=body, count=len(body), has_next=False)
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        count = body.get("count")
        return RawPage(
            items=body["results"],
            count=count if isinstance(count, int) else None,
            has_next=body.get("next") is not None,
        )
    raise ResponseValidationError(
        f"expected a JSON array or a page object with 'results', got {type(body).__name__}",
        field_path="$",
        model="Page",
        method="GET",
        path=path,
    )


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of decoded items; ``count`` is the server's total for the whole list."""

    items: list[T]
    count: int | None
    offset: int
    has_next: bool


#: Fetches one page: called with the filters plus ``limit`` and ``offset``; returns the JSON body.
FetchPage = Callable[[Mapping[str, Any]], Awaitable[Any]]


class Paginator(Generic[T], AsyncIterator[T]):
    """Iterate a list endpoint item by item (or page by page) with constant memory.

    ``page_size`` is the ``limit`` sent with each request; ``max_items`` bounds the total number of
    items yielded (``None``: all); ``offset`` is where the listing starts (resume a listing
    part-way: the items before it are skipped by the server). Nothing is held open between
    pages, so leaving an ``async for`` early with ``break`` needs no cleanup.

    ``decode`` turns a page's raw items into typed items (:meth:`pages`, :meth:`first_page`);
    ``decode_item(raw, index)`` one raw item, its ``index`` in the page (default: ``decode`` of a
    one-item list). Item by item iteration decodes each item only when it is reached, so a
    bad item raises :class:`~pneumatic_async.errors.ResponseValidationError` at that point, after
    the items before it were yielded; iterating on continues with the item after it.
    """

    def __init__(
        self,
        fetch: FetchPage,
        path: str,
        *,
        decode: Callable[[list[Any]], list[T]],
        decode_item: Callable[[Any, int], T] | None = None,
        params: Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        if max_items is not None and max_items < 0:
            raise ValueError(f"max_items must be >= 0, got {max_items}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be an int >= 0, got {offset!r}")
        self._fetch_page = fetch
        self._path = path
        self._decode = decode
        self._decode_item = decode_item or (lambda item, _index: decode([item])[0])
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._page_size = page_size
        self._max_items = max_items
        self._start = offset
        # iteration state: the current page's raw items, each replaced by None once decoded
        self._buffer: list[Any] = []
        self._index = 0
        self._offset = offset
        self._yielded = 0
        self._exhausted = False

    @property
    def path(self) -> str:
        """The list endpoint's path."""
        return self._path

    @property
    def offset(self) -> int:
        """Where the listing starts (``0``: the first item)."""
        return self._start

    @property
    def params(self) -> dict[str, Any]:
        """The filters sent with every page (without ``limit``/``offset``)."""
        return dict(self._params)

    async def _fetch_raw(self, offset: int, limit: int) -> RawPage:
        params = {**self._params, "limit": limit, "offset": offset}
        return parse_page(await self._fetch_page(params), path=self._path)

    async def _fetch(self, offset: int, limit: int) -> Page[T]:
        raw = await self._fetch_raw(offset, limit)
        return Page(
            items=self._decode(raw.items),
            count=raw.count,
            offset=offset,
            has_next=raw.has_next and bool(raw.items),
        )

    def _remaining(self) -> int | None:
        return None if self._max_items is None else self._max_items - self._yielded

    async def first_page(self) -> Page[T]:
        """Fetch the first page only, at ``offset`` (``count`` is the size of the whole list)."""
        limit = self._page_size
        if self._max_items is not None:
            limit = max(1, min(limit, self._max_items))
        return await self._fetch(self._start, limit)

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield page after page (independent of item iteration on this object)."""
        offset, taken = self._start, 0
        while True:
            limit = self._page_size
            if self._max_items is not None:
                if taken >= self._max_items:
                    return
                limit = min(limit, self._max_items - taken)
            page = await self._fetch(offset, limit)
            if self._max_items is not None and len(page.items) > self._max_items - taken:
                page = attrs.evolve(page, items=page.items[: self._max_items - taken])
            taken += len(page.items)
            yield page
            if not page.has_next:
                return
            offset += len(page.items)

    async def collect(self, max_items: int | None = None) -> list[T]:
        """Return all items (at most ``max_items``, or the paginator's own bound) as a list."""
        bound = max_items if max_items is not None else self._max_items
        if bound is None:
            raise ValueError(
                "collect() needs a bound: pass max_items=... (or list(..., max_items=...)); "
                "iterate with 'async for' to stream an unbounded list"
            )
        items: list[T] = []
        async for item in self:
            if len(items) >= bound:
                break
            items.append(item)
        return items

    def __aiter__(self) -> Paginator[T]:
        return self

    async def __anext__(self) -> T:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise StopAsyncIteration
        if self._index >= len(self._buffer):
            if self._exhausted:
                raise StopAsyncIteration
            limit = self._page_size if remaining is None else min(self._page_size, remaining)
            raw = await self._fetch_raw(self._offset, max(1, limit))
            self._buffer, self._index = raw.items, 0
            self._offset += len(raw.items)
            self._exhausted = not raw.has_next
            if not self._buffer:
                self._exhausted = True
                raise StopAsyncIteration
        # Decoded when reached: the raw item is dropped from the page now, and the decoded one
        # lives only as long as the caller keeps it. A bad item raises here, after the items
        # before it were yielded; iterating on continues with the item after it.
        index, buffer = self._index, self._buffer
        raw_item = buffer[index]
        buffer[index] = None
        self._index = index + 1
        item = self._decode_item(raw_item, index)
        self._yielded += 1
        return item
