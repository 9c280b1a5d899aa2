"""A minimal, fast HTTP/1.1 keep-alive server (raw asyncio protocol) replaying captured bodies.

Used by ``overhead.py`` so the client, not the server, is what gets measured. Every ``GET``
answers the captured template detail (``GET /templates/<id>``, so the SDK's typed
``templates.run`` can fetch and cache it); every other request answers the captured launch
response (``POST /templates/<id>/run``, 200). Run as a process::

    python benchmarks/_minimal_server.py PORT DATA_DIR [CPU]

``CPU`` pins the process to that core (Linux); it prints ``ready`` when listening. It runs on
uvloop when installed (the server should never be the bottleneck).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any


def _response(body: object) -> bytes:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Connection: keep-alive\r\n\r\n"
    )
    return head.encode() + payload


class _Protocol(asyncio.Protocol):
    def __init__(self, on_get: bytes, on_other: bytes) -> None:
        self.on_get = on_get
        self.on_other = on_other
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            length = 0
            marker = head.find(b"\r\ncontent-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker + 2)
                length = int(head[marker + 17 : line_end if line_end >= 0 else None])
            total = head_end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.transport.write(self.on_get if head.startswith(b"get ") else self.on_other)


async def main(port: int, data: Path) -> None:
    on_get = _response(json.loads((data / "template.json").read_text()))
    on_other = _response(json.loads((data / "launch_response.json").read_text()))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Protocol(on_get, on_other), "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 3 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(sys.argv[3])})
    coro = main(int(sys.argv[1]), Path(sys.argv[2]))
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
    else:
        uvloop.run(coro)
