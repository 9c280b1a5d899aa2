"""A minimal, fast HTTP/1.1 server (raw asyncio protocol) answering every request with one body.

Used by ``overhead.py`` so the client, not the server, is what gets measured. Run as a process:
``python benchmarks/_minimal_server.py PORT BODY_FILE``; it prints ``ready`` when listening.
"""

from __future__ import annotations

import asyncio
import sys


class _Protocol(asyncio.Protocol):
    def __init__(self, response: bytes) -> None:
        self.response = response
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end >= 0 else None])
            total = head_end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.transport.write(self.response)  # type: ignore[attr-defined]


async def main(port: int, body: bytes) -> None:
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(response), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with open(sys.argv[2], "rb") as f:
        asyncio.run(main(int(sys.argv[1]), f.read()))
