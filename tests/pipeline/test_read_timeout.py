"""The read timeout over real sockets: a silent or stalled server fails an attempt long before
the call's deadline; a slow body whose pauses stay under the read timeout is read in full.

On asyncio the default pipeline bounds the wait for an answer with one timer per exchange
(``connect + read`` from the start, then ``read`` between body chunks); these tests hold it to
the same behaviour as httpx's transport (asyncio and trio) and the aiohttp transport given as
``transport=``.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.errors import AmbiguousOutcomeError, APITimeoutError
from pneumatic_async.retries import RetryPolicy
from tests.conftest import API_KEY
from tests.local_server import serve

#: One attempt and a deadline far away: only the read timeout can end these calls early.
ONE_ATTEMPT = RetryPolicy(max_attempts=1, deadline=60.0)
SHORT = httpx.Timeout(connect=0.2, read=0.4, write=1.0, pool=1.0)

#: The default client (no ``transport=``: the cheap aiohttp path on asyncio, httpx's on trio),
#: and both transports given explicitly.
KINDS = pytest.mark.parametrize(
    ("anyio_backend", "kind"),
    [
        ("asyncio", "default"),
        ("trio", "default"),
        ("asyncio", "httpx"),
        ("trio", "httpx"),
        ("asyncio", "aiohttp"),
    ],
)


def client_for(kind: str, base: str, **options: Any) -> Pneumatic:
    transport: httpx.AsyncBaseTransport | None = None
    if kind == "aiohttp":
        from pneumatic_async._http.aiohttp import AiohttpTransport

        transport = AiohttpTransport()
    elif kind == "httpx":
        transport = httpx.AsyncHTTPTransport()
    return Pneumatic(
        api_key=API_KEY,
        base_url=base,
        transport=transport,
        **{"retry": ONE_ATTEMPT, "timeout": SHORT, **options},
    )


async def _silent(head: bytes, stream: SocketStream) -> None:
    await anyio.sleep(30)  # reads the request, never answers


async def _stalls_mid_body(head: bytes, stream: SocketStream) -> None:
    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[1, 2, 3")
    await anyio.sleep(30)


async def _slow_but_steady(head: bytes, stream: SocketStream) -> None:
    body = b"[" + b",".join(b"%d" % i for i in range(12)) + b"]"
    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
    for start in range(0, len(body), 3):  # 10 pieces, 0.12 s apart: 1.2 s in all
        await anyio.sleep(0.12)
        await stream.send(body[start : start + 3])


@KINDS
async def test_a_silent_server_fails_the_attempt_at_the_read_timeout(
    kind: str, anyio_backend: str
) -> None:
    async with serve(_silent, keep_alive=False) as base, client_for(kind, base) as client:
        with anyio.fail_after(10):  # the guard: the deadline is 60 s away
            with pytest.raises(APITimeoutError) as get:
                await client.request("GET", "/templates")
            with pytest.raises(AmbiguousOutcomeError) as post:
                await client.request("POST", "/templates/1/run", json={})
    assert "deadline" not in str(get.value)
    assert get.value.may_have_been_sent
    assert isinstance(post.value.cause, APITimeoutError)


@KINDS
async def test_a_body_stalled_midway_fails_at_the_read_timeout(
    kind: str, anyio_backend: str
) -> None:
    async with serve(_stalls_mid_body, keep_alive=False) as base, client_for(kind, base) as client:
        with anyio.fail_after(10), pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/templates")
    assert "deadline" not in str(info.value)
    assert info.value.may_have_been_sent


@KINDS
async def test_pauses_shorter_than_the_read_timeout_never_fail_a_slow_body(
    kind: str, anyio_backend: str
) -> None:
    # The whole body takes 1.2 s, three times connect + read: only a timer re-armed after
    # each piece lets it through.
    async with serve(_slow_but_steady, keep_alive=False) as base, client_for(kind, base) as client:
        with anyio.fail_after(10):
            assert await client.request("GET", "/templates") == list(range(12))


@KINDS
async def test_the_deadline_still_ends_a_call_whose_pauses_fit_the_read_timeout(
    kind: str, anyio_backend: str
) -> None:
    policy = RetryPolicy(max_attempts=1, deadline=0.5)
    async with (
        serve(_slow_but_steady, keep_alive=False) as base,
        client_for(kind, base, retry=policy) as client,
    ):
        with anyio.fail_after(10), pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/templates")
    assert "deadline" in str(info.value)
