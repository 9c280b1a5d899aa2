"""Pagination at its edges: ``max_items`` on pages and items, truncation, exhaustion, errors."""

from __future__ import annotations

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.errors import ResponseValidationError
from pneumatic_async.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Paginator, parse_page
from tests.core.test_client import Recorder, make_client
from tests.core.test_pagination import Pages, envelope, paginate


def _limits(server: Pages | Recorder) -> list[str]:
    return [request.url.params["limit"] for request in server.requests]


def _offsets(server: Pages | Recorder) -> list[str]:
    return [request.url.params["offset"] for request in server.requests]


def test_page_size_constants() -> None:
    assert DEFAULT_PAGE_SIZE == 100
    assert MAX_PAGE_SIZE == 1000


def test_parse_page_error_names_the_request() -> None:
    with pytest.raises(ResponseValidationError) as caught:
        parse_page({"results": "nope"}, path="/workflows")
    error = caught.value
    assert (error.field_path, error.model, error.method, error.path) == (
        "$",
        "Page",
        "GET",
        "/workflows",
    )
    assert error.args == ("expected a JSON array or a page object with 'results', got dict",)
    with pytest.raises(ResponseValidationError) as caught:
        parse_page(None)
    assert caught.value.path == ""
    assert "got NoneType" in str(caught.value)


def test_parse_page_count_must_be_an_int() -> None:
    assert parse_page(envelope([1], "7", None)).count is None  # type: ignore[arg-type]
    assert parse_page(envelope([1], 7, None)).count == 7
    assert parse_page([]).count == 0


@pytest.mark.parametrize("bad", [-1, -100])
def test_max_items_must_not_be_negative(bad: int) -> None:
    with pytest.raises(ValueError, match=f"max_items must be >= 0, got {bad}"):
        Paginator(object(), "/x", decode=list, max_items=bad)  # type: ignore[arg-type]


def test_page_size_edges_are_accepted() -> None:
    for size in (1, MAX_PAGE_SIZE):
        Paginator(object(), "/x", decode=list, page_size=size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="page_size must be between 1 and 1000, got 0"):
        Paginator(object(), "/x", decode=list, page_size=0)  # type: ignore[arg-type]


async def test_max_items_zero_yields_nothing_and_sends_nothing() -> None:
    server = Pages(10)
    async with make_client(server) as client:
        assert [i async for i in paginate(client, max_items=0)] == []
        assert [p async for p in paginate(client, max_items=0).pages()] == []
    assert server.requests == []


async def test_pages_clamp_the_last_limit_to_max_items() -> None:
    server = Pages(1000)
    async with make_client(server) as client:
        pages = [p async for p in paginate(client, page_size=10, max_items=25).pages()]
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [p.items[0]["id"] for p in pages] == [0, 10, 20]
    assert _limits(server) == ["10", "10", "5"]
    assert _offsets(server) == ["0", "10", "20"]


async def test_pages_stop_at_max_items_without_another_request() -> None:
    server = Pages(1000)
    async with make_client(server) as client:
        pages = [p async for p in paginate(client, page_size=10, max_items=20).pages()]
    assert [len(p.items) for p in pages] == [10, 10]
    assert len(server.requests) == 2


async def test_pages_truncate_a_page_larger_than_asked() -> None:
    # A server that ignores limit: ten items per page, more to come.
    ten = [{"id": i} for i in range(10)]
    seen = Recorder(httpx.Response(200, json=envelope(ten, 100, "http://x/?offset=10")))
    async with make_client(seen) as client:
        pages = [p async for p in paginate(client, page_size=10, max_items=4).pages()]
        assert [p.items for p in pages] == [ten[:4]]
        pages = [p async for p in paginate(client, page_size=3, max_items=13).pages()]
    # 3 asked, 10 received each time: 10 + 3 kept (13), then the bound is reached.
    assert [len(p.items) for p in pages] == [10, 3]
    assert [p.offset for p in pages] == [0, 10]
    assert _limits(seen)[1:] == ["3", "3"]


async def test_pages_without_max_items_follow_has_next() -> None:
    server = Pages(5)
    async with make_client(server) as client:
        pages = [p async for p in paginate(client, page_size=2).pages()]
    assert [[i["id"] for i in p.items] for p in pages] == [[0, 1], [2, 3], [4]]
    assert _offsets(server) == ["0", "2", "4"]


async def test_first_page_clamps_limit_to_max_items() -> None:
    server = Pages(50)
    async with make_client(server) as client:
        page = await paginate(client, page_size=20, max_items=3).first_page()
        assert [i["id"] for i in page.items] == [0, 1, 2]
        assert (page.offset, page.count, page.has_next) == (0, 50, True)
        await paginate(client, page_size=20, max_items=0).first_page()
        await paginate(client, page_size=20, max_items=500).first_page()
        await paginate(client, page_size=20).first_page()
    assert _limits(server) == ["3", "1", "20", "20"]
    assert _offsets(server) == ["0", "0", "0", "0"]


async def test_items_ask_for_exactly_what_remains() -> None:
    server = Pages(1000)
    async with make_client(server) as client:
        items = [i["id"] async for i in paginate(client, page_size=2, max_items=3)]
    assert items == [0, 1, 2]
    assert _limits(server) == ["2", "1"]
    assert _offsets(server) == ["0", "2"]


async def test_items_stop_at_max_items_even_if_a_page_was_larger() -> None:
    ten = [{"id": i} for i in range(10)]
    seen = Recorder(httpx.Response(200, json=envelope(ten, 100, "http://x/?offset=10")))
    async with make_client(seen) as client:
        items = [i async for i in paginate(client, page_size=10, max_items=4)]
    assert items == ten[:4]
    assert len(seen.requests) == 1


async def test_exhausted_paginator_sends_nothing_more() -> None:
    seen = Recorder(httpx.Response(200, json=envelope([], 10, "http://x/?offset=5")))
    async with make_client(seen) as client:
        paginator = paginate(client)
        assert [i async for i in paginator] == []
        with pytest.raises(StopAsyncIteration):
            await paginator.__anext__()
    assert len(seen.requests) == 1


async def test_last_page_ends_iteration_without_another_request() -> None:
    server = Pages(3)
    async with make_client(server) as client:
        paginator = paginate(client, page_size=2)
        assert [i["id"] async for i in paginator] == [0, 1, 2]
        with pytest.raises(StopAsyncIteration):
            await paginator.__anext__()
    assert _offsets(server) == ["0", "2"]


async def test_collect_returns_the_items_in_order() -> None:
    server = Pages(50)
    async with make_client(server) as client:
        assert await paginate(client, page_size=4).collect(max_items=6) == [
            {"id": i} for i in range(6)
        ]
        assert await paginate(client, max_items=2).collect() == [{"id": 0}, {"id": 1}]
        # both bounds hold: the smaller wins
        assert await paginate(client, max_items=2).collect(max_items=3) == [{"id": 0}, {"id": 1}]
        assert await paginate(client, max_items=2).collect(max_items=1) == [{"id": 0}]
        with pytest.raises(ValueError) as caught:
            await paginate(client).collect()
    assert str(caught.value) == (
        "collect() needs a bound: pass max_items=... (or list(..., max_items=...)); "
        "iterate with 'async for' to stream an unbounded list"
    )


async def test_a_bad_page_names_the_list_path() -> None:
    seen = Recorder(httpx.Response(200, json={"detail": "nope"}))
    async with make_client(seen) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await paginate(client).first_page()
    assert caught.value.path == "/workflows"
    assert seen.requests[0].method == "GET"
