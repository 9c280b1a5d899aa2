"""A minimal, fast HTTP/1.1 keep-alive server for bulk runs: each launch answers a workflow
carrying the request's name (so the bulk launcher trusts it), with a fresh id.

``GET /templates/<id>`` answers the captured template detail with two simple kickoff fields
(``client``: string, required; ``amount``: number); ``POST /templates/<id>/run`` answers the
captured launch response with ``id`` and ``name`` replaced; every other request answers ``[]``.
Run as a process: ``python benchmarks/_echo_server.py PORT DATA_DIR``; prints ``ready``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any


def _response(payload: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + payload


class _Protocol(asyncio.Protocol):
    def __init__(self, template: bytes, launch: dict[str, Any], counter: list[int]) -> None:
        self.template = template
        self.launch = launch
        self.counter = counter
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

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
            body = self.buffer[head_end + 4 : total]
            self.buffer = self.buffer[total:]
            if head.startswith(b"get /templates/"):
                self.transport.write(self.template)
            elif head.startswith(b"post ") and b"/run " in head.split(b"\r\n", 1)[0]:
                self.counter[0] += 1
                name = json.loads(body).get("name", "")
                answer = dict(self.launch, id=self.counter[0], name=name)
                self.transport.write(_response(json.dumps(answer).encode()))
            else:
                self.transport.write(_response(b"[]"))


async def main(port: int, data: Path) -> None:
    template = json.loads((data / "template.json").read_text())
    fields = template["kickoff"]["fields"]
    base = next(f for f in fields if f["type"] == "string")
    template["kickoff"]["fields"] = [
        dict(base, api_name="client", name="Client", type="string", order=1, is_required=True),
        dict(base, api_name="amount", name="Amount", type="number", order=2, is_required=False),
    ]
    encoded = _response(json.dumps(template).encode())
    launch = json.loads((data / "launch_response.json").read_text())
    counter = [0]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Protocol(encoded, launch, counter), "127.0.0.1", port, backlog=1024
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
