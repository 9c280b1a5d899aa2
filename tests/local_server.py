"""A tiny HTTP/1.1 server on 127.0.0.1 for transport tests (anyio, asyncio and trio).

Each connection is answered by a script function that receives the raw request head and decides
what to send back: a normal response, nothing (drop), or a stall.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.abc import SocketStream

Script = Callable[[bytes, SocketStream], Awaitable[None]]


async def read_head(stream: SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += await stream.receive(65536)
    return head


def ok_json(body: bytes = b"[]") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


async def answer_ok(head: bytes, stream: SocketStream) -> None:
    await stream.send(ok_json())


@asynccontextmanager
async def serve(script: Script = answer_ok, *, keep_alive: bool = True) -> AsyncIterator[str]:
    """Serve on a free port; yield the base URL; stop on exit."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def handle(stream: SocketStream) -> None:
        async with stream:
            try:
                while True:
                    head = await read_head(stream)
                    if not head:
                        return
                    await script(head, stream)
                    if not keep_alive:
                        return
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                return

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            tg.cancel_scope.cancel()
