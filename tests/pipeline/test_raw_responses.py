"""Raw responses: ``client.send`` and ``client.capture_responses()``."""

from __future__ import annotations

import anyio
import pytest

from pneumatic_async import Pneumatic, RawResponse
from pneumatic_async._http import httpx
from pneumatic_async.errors import NotFoundError
from pneumatic_async.retries import RetryPolicy
from tests.conftest import API_KEY, BASE_URL


def make(handler: object) -> Pneumatic:
    return Pneumatic(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0),
    )


async def test_send_returns_the_raw_answer_with_attempts() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return httpx.Response(503)
        return httpx.Response(
            201,
            json={"id": 7},
            headers={"X-Request-Id": "r-1", "Set-Cookie": f"file_service_auth={API_KEY}"},
        )

    async with make(handler) as client:
        raw = await client.send("GET", "/templates/7?x=1")
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 201
    assert raw.attempts == 2
    assert raw.headers["x-request-id"] == "r-1"
    assert "set-cookie" not in raw.headers
    assert raw.json() == {"id": 7}
    assert raw.content == b'{"id":7}'
    assert raw.elapsed >= 0
    assert (raw.method, raw.path) == ("GET", "/templates/7")


async def test_capture_responses_collects_every_answer_of_the_block_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": request.url.path})

    async with make(handler) as client:
        await client.request("GET", "/before")
        other: list[RawResponse] = []

        async def elsewhere() -> None:
            with client.capture_responses() as seen:
                await client.request("GET", "/other-task")
            other.extend(seen)

        with client.capture_responses() as responses:
            await client.request("GET", "/one")
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.request, "GET", "/child")
            await client.request("POST", "/two", json={})
        async with anyio.create_task_group() as tg:
            tg.start_soon(elsewhere)
        await client.request("GET", "/after")
    assert [r.path for r in responses] == ["/one", "/child", "/two"]
    assert [r.method for r in responses] == ["GET", "GET", "POST"]
    assert responses[-1].json() == {"path": "/two"}
    assert [r.path for r in other] == ["/other-task"]


async def test_errors_carry_the_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not found."}, headers={"X-Request-Id": "r-2"})

    async with make(handler) as client:
        with client.capture_responses() as responses, pytest.raises(NotFoundError) as info:
            await client.request("GET", "/templates/1")
    assert responses == []
    assert info.value.status_code == 404
    assert info.value.headers["x-request-id"] == "r-2"
    assert info.value.body == {"detail": "Not found."}
