"""Item by item iteration decodes each item when it is reached: raw items are released as they
go, a bad item raises at its own position (after the items before it), iteration can go on."""

from __future__ import annotations

import copy
import gc
import json
import weakref
from pathlib import Path
from typing import Any

import pytest

from pneumatic_async._converter import item_decoder
from pneumatic_async._http import httpx
from pneumatic_async.errors import ResponseValidationError
from pneumatic_async.models import WorkflowListItem
from pneumatic_async.pagination import Paginator
from tests.core.test_client import Recorder, make_client
from tests.core.test_pagination import envelope

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
ITEM: dict[str, Any] = json.loads((DATA / "workflows_page.json").read_text())["results"][0]


def _item(ident: int, **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ITEM), "id": ident, **changes}


def _bad(ident: int) -> dict[str, Any]:
    """An item whose first task has no valid status (the detailed path names it)."""
    item = _item(ident)
    item["tasks"][0]["status"] = None
    return item


async def test_a_bad_item_raises_when_reached_after_the_items_before_it() -> None:
    page = envelope([_item(1), _item(2), _bad(3), _item(4)], 4, None)
    server = Recorder(httpx.Response(200, json=page))
    async with make_client(server) as client:
        workflows = client.paginate("/workflows", cast_to=WorkflowListItem)
        assert (await workflows.__anext__()).id == 1
        assert (await workflows.__anext__()).id == 2
        with pytest.raises(ResponseValidationError) as caught:
            await workflows.__anext__()
        error = caught.value
        assert (error.field_path, error.model) == ("$[2].tasks[0].status", "list[WorkflowListItem]")
        assert (error.method, error.path) == ("GET", "/workflows")
        # The bad item is behind; iterating on gives the items after it, with no new request.
        assert [workflow.id async for workflow in workflows] == [4]
    assert len(server.requests) == 1


async def test_pages_and_first_page_decode_the_whole_page_and_name_the_item() -> None:
    page = envelope([_item(1), _bad(2)], 2, None)
    async with make_client(Recorder(httpx.Response(200, json=page))) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.paginate("/workflows", cast_to=WorkflowListItem).first_page()
        assert caught.value.field_path == "$[1].tasks[0].status"
        good = envelope([_item(1), _item(2)], 2, None)
    async with make_client(Recorder(httpx.Response(200, json=good))) as client:
        pages = [p async for p in client.paginate("/workflows", cast_to=WorkflowListItem).pages()]
    assert [type(item) for item in pages[0].items] == [WorkflowListItem, WorkflowListItem]


async def test_items_are_the_same_whether_read_item_by_item_or_by_page() -> None:
    items = [_item(i) for i in range(1, 6)]
    answer = httpx.Response(200, json=envelope(items, 5, None))
    async with make_client(Recorder(answer)) as client:
        lazily = [w async for w in client.paginate("/workflows", cast_to=WorkflowListItem)]
        paged = await client.paginate("/workflows", cast_to=WorkflowListItem).first_page()
    assert lazily == paged.items
    assert all(type(item) is WorkflowListItem for item in lazily)


class _Raw:
    """A raw item that can be weakly referenced."""

    def __init__(self, ident: int) -> None:
        self.ident = ident


async def test_each_raw_item_is_released_once_it_is_yielded() -> None:
    pending = [[_Raw(i) for i in range(4)]]
    refs = [weakref.ref(item) for item in pending[0]]

    async def fetch(params: Any) -> Any:
        return {"count": 4, "next": None, "results": pending.pop()}

    paginator = Paginator(fetch, "/x", decode=list, decode_item=lambda item, _: item.ident)
    assert await paginator.__anext__() == 0
    assert await paginator.__anext__() == 1
    gc.collect()
    assert [ref() is None for ref in refs] == [True, True, False, False]
    assert [item async for item in paginator] == [2, 3]


async def test_without_an_item_decoder_items_go_through_the_page_decoder() -> None:
    calls: list[list[Any]] = []

    def decode(items: list[Any]) -> list[Any]:
        calls.append(list(items))
        return [item * 10 for item in items]

    async def fetch(params: Any) -> Any:
        return [1, 2]

    paginator = Paginator(fetch, "/x", decode=decode)
    assert [item async for item in paginator] == [10, 20]
    assert calls == [[1], [2]]


async def test_max_items_counts_only_the_items_yielded() -> None:
    page = envelope([_bad(1), _item(2), _item(3)], 3, None)
    async with make_client(Recorder(httpx.Response(200, json=page))) as client:
        workflows = client.paginate("/workflows", cast_to=WorkflowListItem, max_items=2)
        with pytest.raises(ResponseValidationError):
            await workflows.__anext__()
        assert [w.id async for w in workflows] == [2, 3]


def test_item_decoder_matches_the_list_decoder_and_names_the_index() -> None:
    decode = item_decoder(WorkflowListItem)
    assert decode(_item(5), 0).id == 5
    with pytest.raises(ResponseValidationError) as caught:
        decode(_bad(1), 7)
    error = caught.value
    assert (error.field_path, error.method, error.path) == ("$[7].tasks[0].status", None, None)
