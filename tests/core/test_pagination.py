"""Pagination over bare arrays and envelopes: limit always sent, filters kept, early break."""

from __future__ import annotations

from typing import Any

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.errors import ResponseValidationError
from pneumatic_async.pagination import Paginator, parse_page
from tests.core.test_client import Recorder, make_client


def envelope(items: list[Any], count: int, next_url: str | None) -> dict[str, Any]:
    return {"count": count, "next": next_url, "previous": None, "results": items}


class Pages:
    """Answers list requests from an in-memory list, as the real server's LimitOffset does."""

    def __init__(self, total: int, *, bare_without_limit: bool = True) -> None:
        self.items = [{"id": i} for i in range(total)]
        self.requests: list[httpx.Request] = []
        self.bare = bare_without_limit

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        if "limit" not in params and self.bare:
            return httpx.Response(200, json=self.items)
        limit, offset = int(params.get("limit", 15)), int(params.get("offset", 0))
        chunk = self.items[offset : offset + limit]
        more = offset + limit < len(self.items)
        # the real server builds next from the request's Host: here a host we must not follow
        next_url = f"http://internal:8001/x?limit={limit}&offset={offset + limit}" if more else None
        return httpx.Response(200, json=envelope(chunk, len(self.items), next_url))


def paginate(client: Any, **kwargs: Any) -> Paginator[dict[str, Any]]:
    async def fetch(params: Any) -> Any:
        return await client.request("GET", "/workflows", params=params)

    return Paginator(fetch, "/workflows", decode=list, **kwargs)


def test_parse_page_shapes() -> None:
    bare = parse_page([1, 2])
    assert (bare.items, bare.count, bare.has_next) == ([1, 2], 2, False)
    env = parse_page(envelope([1], 5, "http://x/?offset=1"))
    assert (env.items, env.count, env.has_next) == ([1], 5, True)
    last = parse_page(envelope([1], 1, None))
    assert last.has_next is False
    with pytest.raises(ResponseValidationError, match="results"):
        parse_page({"detail": "x"}, path="/templates")


async def test_iterates_all_items_page_by_page_with_filters() -> None:
    server = Pages(25)
    async with make_client(server) as client:
        items = [i async for i in paginate(client, params={"status": "running"}, page_size=10)]
    assert [i["id"] for i in items] == list(range(25))
    assert len(server.requests) == 3
    for n, request in enumerate(server.requests):
        assert request.url.host == "api.pneumatic.test"  # never the 'next' host
        assert request.url.params["status"] == "running"
        assert request.url.params["limit"] == "10"
        assert request.url.params["offset"] == str(10 * n)


async def test_limit_always_sent_even_for_first_page() -> None:
    server = Pages(3)
    async with make_client(server) as client:
        page = await paginate(client).first_page()
    assert "limit" in server.requests[0].url.params
    assert page.count == 3
    assert page.items == [{"id": 0}, {"id": 1}, {"id": 2}]


async def test_bare_array_is_the_whole_list() -> None:
    seen = Recorder(httpx.Response(200, json=[{"id": 1}, {"id": 2}]))
    async with make_client(seen) as client:
        items = [i async for i in paginate(client, page_size=1)]
    assert items == [{"id": 1}, {"id": 2}]
    assert len(seen.requests) == 1


async def test_early_break_fetches_no_more_pages() -> None:
    server = Pages(1000)
    async with make_client(server) as client:
        async for item in paginate(client, page_size=10):
            if item["id"] == 14:
                break
    assert len(server.requests) == 2


async def test_max_items_bounds_requests_and_results() -> None:
    server = Pages(1000)
    async with make_client(server) as client:
        items = [i async for i in paginate(client, page_size=10, max_items=15)]
    assert len(items) == 15
    assert [r.url.params["limit"] for r in server.requests] == ["10", "5"]


async def test_collect_needs_a_bound() -> None:
    server = Pages(50)
    async with make_client(server) as client:
        with pytest.raises(ValueError, match="bound"):
            await paginate(client).collect()
        assert len(await paginate(client, page_size=7).collect(max_items=20)) == 20
        assert len(await paginate(client, max_items=3).collect()) == 3


async def test_pages_yield_counts() -> None:
    server = Pages(25)
    async with make_client(server) as client:
        pages = [p async for p in paginate(client, page_size=10).pages()]
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert [p.offset for p in pages] == [0, 10, 20]
    assert all(p.count == 25 for p in pages)
    assert [p.has_next for p in pages] == [True, True, False]


async def test_empty_list() -> None:
    server = Pages(0)
    async with make_client(server) as client:
        assert [i async for i in paginate(client)] == []
    assert len(server.requests) == 1


async def test_stops_on_empty_page_even_if_next_is_set() -> None:
    seen = Recorder(httpx.Response(200, json=envelope([], 10, "http://x/?offset=5")))
    async with make_client(seen) as client:
        assert [i async for i in paginate(client)] == []
    assert len(seen.requests) == 1


@pytest.mark.parametrize("size", [0, 1001])
def test_page_size_bounds(size: int) -> None:
    with pytest.raises(ValueError, match="page_size"):
        Paginator(object(), "/x", decode=list, page_size=size)  # type: ignore[arg-type]
