"""Transports over a real socket: the aiohttp transport classifies failures truthfully."""

from __future__ import annotations

import gc
import os
import sys

import anyio
import pytest
from anyio.abc import SocketStream

from pneumatic_async import Pneumatic
from pneumatic_async._http import SendFailure, classify, httpx
from pneumatic_async._http.aiohttp import AiohttpTransport
from pneumatic_async._http.auto import AutoTransport
from pneumatic_async.errors import AmbiguousOutcomeError, APIConnectionError
from pneumatic_async.retries import RetryPolicy
from tests.conftest import API_KEY
from tests.local_server import answer_ok, ok_json, serve


@pytest.fixture(params=["asyncio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)  # aiohttp runs on asyncio only


async def _send(transport: httpx.AsyncBaseTransport, url: str, method: str = "GET") -> bytes:
    async with httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(0.5)) as client:
        response = await client.request(method, url, content=b"{}")
        return response.content


async def test_aiohttp_transport_round_trip() -> None:
    async with serve() as base:
        assert await _send(AiohttpTransport(), base + "/templates") == b"[]"


async def test_connection_refused_is_not_sent() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    with pytest.raises(httpx.ConnectError) as info:
        await _send(AiohttpTransport(), f"http://127.0.0.1:{port}/x")
    assert classify(info.value) is SendFailure.NOT_SENT


async def _drop(head: bytes, stream: SocketStream) -> None:
    await stream.aclose()  # read the request, then hang up without answering


async def test_drop_after_send_is_maybe_sent() -> None:
    async with serve(_drop) as base:
        with pytest.raises(httpx.TransportError) as info:
            await _send(AiohttpTransport(), base + "/templates/1/run", "POST")
    assert not isinstance(info.value, httpx.ConnectError | httpx.ConnectTimeout)
    assert classify(info.value) is SendFailure.MAYBE_SENT


async def _truncate(head: bytes, stream: SocketStream) -> None:
    await stream.send(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"id": 1')
    await stream.aclose()


async def test_truncated_body_is_maybe_sent() -> None:
    async with serve(_truncate) as base:
        with pytest.raises(httpx.TransportError) as info:
            await _send(AiohttpTransport(), base + "/x")
    assert classify(info.value) is SendFailure.MAYBE_SENT


async def _stall(head: bytes, stream: SocketStream) -> None:
    await anyio.sleep(5)


async def test_read_timeout_is_maybe_sent() -> None:
    async with serve(_stall) as base:
        with pytest.raises(httpx.ReadTimeout):
            await _send(AiohttpTransport(), base + "/x")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sdk_post_dropped_over_a_socket_is_ambiguous(backend: str) -> None:
    requests = 0

    async def count_and_drop(head: bytes, stream: SocketStream) -> None:
        nonlocal requests
        requests += 1
        await stream.aclose()

    async def main() -> None:
        async with (
            serve(count_and_drop) as base,
            Pneumatic(api_key=API_KEY, base_url=base) as client,
        ):
            with pytest.raises(AmbiguousOutcomeError):
                await client.request("POST", "/templates/1/run", json={})

    anyio.run(main, backend=backend)
    assert requests == 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_auto_transport_picks_per_event_loop(backend: str) -> None:
    async def main() -> type:
        transport = AutoTransport(limits=httpx.Limits())
        assert transport.selected is None
        async with serve() as base, httpx.AsyncClient(transport=transport) as client:
            assert (await client.get(base + "/x")).content == b"[]"
            selected = type(transport.selected)
        assert transport.selected is None  # closed with the client
        return selected

    chosen = anyio.run(main, backend=backend)
    expected = AiohttpTransport if backend == "asyncio" else httpx.AsyncHTTPTransport
    assert chosen is expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")
async def test_thousand_used_clients_leave_no_file_descriptors() -> None:
    async with serve(answer_ok) as base:

        async def round_trip() -> None:
            for _ in range(1000):
                async with Pneumatic(api_key=API_KEY, base_url=base) as client:
                    assert await client.request("GET", "/templates") == []

        await round_trip()  # warm up
        gc.collect()
        before = len(os.listdir("/proc/self/fd"))
        await round_trip()
        gc.collect()
        await anyio.sleep(0.05)  # let the server side close its sockets
        after = len(os.listdir("/proc/self/fd"))
    assert after <= before


async def test_connect_error_retried_then_raises_connection_error() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    async with Pneumatic(
        api_key=API_KEY,
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_attempts=2, initial_backoff=0),
    ) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.request("POST", "/templates/1/run", json={})
    assert info.value.attempts == 2


def test_ok_json_helper() -> None:
    assert ok_json(b"{}").endswith(b"\r\n\r\n{}")


def test_classification_table() -> None:
    request = httpx.Request("POST", "http://x/")
    assert classify(httpx.ConnectError("x", request=request)) is SendFailure.NOT_SENT
    assert classify(httpx.PoolTimeout("x", request=request)) is SendFailure.NOT_SENT
    assert classify(httpx.ReadTimeout("x", request=request)) is SendFailure.MAYBE_SENT
    assert classify(httpx.WriteTimeout("x", request=request)) is SendFailure.MAYBE_SENT
    assert classify(httpx.RemoteProtocolError("x", request=request)) is SendFailure.MAYBE_SENT
    assert classify(httpx.DecodingError("x", request=request)) is SendFailure.MAYBE_SENT
    assert classify(httpx.UnsupportedProtocol("x", request=request)) is SendFailure.FATAL
    assert classify(ValueError("x")) is None
