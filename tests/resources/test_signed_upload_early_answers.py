"""Signed-URL uploads against a storage host on a real socket that answers before reading the
whole body (as S3 does for an expired signature), reads slowly, or drops the connection mid-body;
through both transports.

The API half (create, publish) is the fake served by uvicorn; the storage half is a raw TCP
server scripted per case. A 200 must go on to publish; anything else is an ``UploadError`` with
``stage="put"`` and publish never runs; never an untyped error.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import SocketStream

from pneumatic_async import Pneumatic
from pneumatic_async.errors import APIStatusError, UploadError
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn and aiohttp: asyncio

SIZE = 3 * 1024 * 1024 + 7
FORBIDDEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)

Storage = Callable[[SocketStream, int, "StorageLog"], Awaitable[None]]


class StorageLog:
    """What the storage host saw."""

    def __init__(self) -> None:
        self.requests = 0
        self.received = 0
        self.answered: list[int] = []
        self.on_answer: Callable[[int], None] = lambda status: None


async def read_head(stream: SocketStream) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive(65536)
        if not chunk:
            raise anyio.EndOfStream
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


async def drain(stream: SocketStream, remaining: int, log: StorageLog, pause: float = 0) -> None:
    while remaining > 0:
        chunk = await stream.receive(min(remaining, 65536))
        remaining -= len(chunk)
        log.received += len(chunk)
        if pause:
            await anyio.sleep(pause)


async def answer(stream: SocketStream, status: int, log: StorageLog, body: bytes = b"") -> None:
    reason = {200: b"OK", 403: b"Forbidden"}[status]
    log.answered.append(status)
    log.on_answer(status)
    await stream.send(
        b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
        b"Connection: close\r\n\r\n%s" % (status, reason, len(body), body)
    )


async def early_200(stream: SocketStream, remaining: int, log: StorageLog) -> None:
    await answer(stream, 200, log)
    await drain(stream, remaining, log)


async def early_403(stream: SocketStream, remaining: int, log: StorageLog) -> None:
    await answer(stream, 403, log, FORBIDDEN)
    await drain(stream, remaining, log)


async def early_403_then_close(stream: SocketStream, remaining: int, log: StorageLog) -> None:
    await answer(stream, 403, log, FORBIDDEN)


async def slow_storage(stream: SocketStream, remaining: int, log: StorageLog) -> None:
    await drain(stream, remaining, log, pause=0.002)
    await answer(stream, 200, log)


async def close_mid_body(stream: SocketStream, remaining: int, log: StorageLog) -> None:
    await drain(stream, remaining // 3, log)  # then the connection goes away, no answer


@asynccontextmanager
async def storage_host(script: Storage, log: StorageLog) -> AsyncIterator[str]:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def handle(stream: SocketStream) -> None:
        async with stream:
            try:
                head, rest = await read_head(stream)
                log.requests += 1
                log.received += len(rest)
                await script(stream, content_length(head) - len(rest), log)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return
            except OSError:
                return

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        try:
            yield f"http://127.0.0.1:{port}/bucket"
        finally:
            tg.cancel_scope.cancel()


def transport(kind: str) -> httpx.AsyncBaseTransport:
    from pneumatic_async._http.aiohttp import AiohttpTransport

    return AiohttpTransport() if kind == "aiohttp" else httpx.AsyncHTTPTransport()


async def upload(kind: str, script: Storage, tmp_path: Path) -> tuple[Any, StorageLog, Any]:
    """Run one signed-URL upload; return (result or raised error, storage log, fake)."""
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    fake = FakePneumatic(signed_url_uploads=True)
    log = StorageLog()

    def stored(status: int) -> None:  # the storage host "has" the object once it says 200
        if status == 200:
            for attachment in fake.files.signed.values():
                attachment.data = b"stored"

    log.on_answer = stored
    async with storage_host(script, log) as storage_url:
        fake.files.storage_url = storage_url
        async with (
            fake.serve() as url,
            Pneumatic(
                transport=transport(kind),
                base_url=url,
                api_key=fake.api_key,
                upload_strategy="signed_url",
                retry=RetryPolicy(max_attempts=2, initial_backoff=0, max_backoff=0),
            ) as client,
        ):
            with anyio.fail_after(30):
                try:
                    outcome: Any = await client.files.upload(path)
                except Exception as exc:  # the test inspects the exact type
                    outcome = exc
    return outcome, log, fake


KINDS = ["aiohttp", "httpx"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("script", [early_200, slow_storage], ids=["early-200", "slow"])
async def test_a_200_from_storage_goes_on_to_publish(
    anyio_backend: str, kind: str, script: Storage, tmp_path: Path
) -> None:
    outcome, log, fake = await upload(kind, script, tmp_path)
    assert not isinstance(outcome, BaseException), repr(outcome)
    [attachment] = fake.files.signed.values()
    assert attachment.published
    assert outcome.file_id == str(attachment.id)
    assert log.answered == [200]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "script", [early_403, early_403_then_close], ids=["early-403", "early-403-close"]
)
async def test_an_early_403_is_a_put_stage_error_and_nothing_is_published(
    anyio_backend: str, kind: str, script: Storage, tmp_path: Path
) -> None:
    outcome, log, fake = await upload(kind, script, tmp_path)
    assert isinstance(outcome, UploadError), repr(outcome)
    assert outcome.stage == "put"
    [attachment] = fake.files.signed.values()
    assert not attachment.published
    assert 403 in log.answered
    if script is early_403:  # the storage host drained the body: the 403 itself came through
        assert isinstance(outcome.cause, APIStatusError)
        assert outcome.cause.status_code == 403


@pytest.mark.parametrize("kind", KINDS)
async def test_storage_closing_mid_body_is_a_put_stage_error(
    anyio_backend: str, kind: str, tmp_path: Path
) -> None:
    outcome, log, fake = await upload(kind, close_mid_body, tmp_path)
    assert isinstance(outcome, UploadError), repr(outcome)
    assert outcome.stage == "put"
    assert log.requests == 2  # a PUT is idempotent: sent again from the start, then given up
    assert not next(iter(fake.files.signed.values())).published
