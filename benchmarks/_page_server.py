"""A minimal HTTP/1.1 list server (raw asyncio protocol) for ``paginate.py``.

Answers every ``GET ...?limit=L&offset=O`` with a ``{count, next, previous, results}`` page of
``L`` copies of the captured ``GET /workflows`` item (``next`` is null on the last page), from
bodies built once, so the client, not the server, is what gets measured. Run as a process:
``python -m benchmarks._page_server PORT TOTAL``; it prints ``ready`` when listening.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ITEM = json.loads((Path(__file__).with_name("data") / "workflows_page.json").read_text())[
    "results"
][0]


class _Pages:
    def __init__(self, total: int) -> None:
        self.total = total
        self.cache: dict[tuple[int, bool], bytes] = {}

    def response(self, target: bytes) -> bytes:
        query = parse_qs(urlsplit(target.decode()).query)
        limit = int(query.get("limit", ["100"])[0])
        offset = int(query.get("offset", ["0"])[0])
        size = max(0, min(limit, self.total - offset))
        last = offset + size >= self.total
        key = (size, last)
        if key not in self.cache:
            body = json.dumps(
                {
                    "count": self.total,
                    "next": None if last else "http://127.0.0.1/workflows?limit=1&offset=1",
                    "previous": None,
                    "results": [{**ITEM, "id": index + 1} for index in range(size)],
                },
                separators=(",", ":"),
            ).encode()
            self.cache[key] = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
        return self.cache[key]


class _Protocol(asyncio.Protocol):
    def __init__(self, pages: _Pages) -> None:
        self.pages = pages
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end]
            self.buffer = self.buffer[head_end + 4 :]  # GET requests: no body
            target = head.split(b" ", 2)[1]
            self.transport.write(self.pages.response(target))  # type: ignore[attr-defined]


async def main(port: int, total: int) -> None:
    pages = _Pages(total)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(pages), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
