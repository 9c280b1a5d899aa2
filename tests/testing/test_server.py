"""Serving the fake over a real socket (uvicorn on 127.0.0.1, asyncio only) and the CLI."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.text import TextReceiveStream

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.__main__ import build_parser, make_fake
from pneumatic_async.testing.delivery import WebhookDispatcher
from pneumatic_async.testing.server import bind_socket, serve

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn runs on asyncio only


def is_running(dispatcher: WebhookDispatcher) -> bool:
    return dispatcher.running  # a fresh read (mypy would keep an earlier narrowing)


def client(base_url: str, fake: FakePneumatic) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10)


async def test_serves_on_a_free_port_and_stops_cleanly() -> None:
    fake = FakePneumatic()
    async with serve(fake) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        async with client(base_url, fake) as http:
            response = await http.get("/webhooks/events")
            subscribed = await http.post("/webhooks/subscribe", json={"url": "https://a.test/h"})
        assert response.status_code == 200
        assert response.headers["server"] == "uvicorn"
        assert [item["url"] for item in response.json()] == [None] * 4
        assert subscribed.status_code == 204
    async with client(base_url, fake) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("/webhooks/events")


async def test_two_servers_get_different_ports() -> None:
    async with serve(FakePneumatic()) as first, serve(FakePneumatic()) as second:
        assert first != second


@pytest.mark.parametrize("kind", ["drop", "applied_then_drop", "truncated"])
async def test_dropped_connection_is_a_protocol_error_not_a_500(kind: Any) -> None:
    fake = FakePneumatic()
    fake.faults.add(kind, route="POST /webhooks/subscribe", times=1)
    async with serve(fake) as base_url, client(base_url, fake) as http:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await http.post("/webhooks/subscribe", json={"url": "https://a.test/h"})
        applied = bool(fake.state.webhooks)
        # the server survives the drop and answers the next request normally
        listing = await http.get("/webhooks/events")
    assert listing.status_code == 200
    assert applied is (kind != "drop")
    assert fake.faults.injected[kind] == 1


async def test_status_fault_over_a_socket() -> None:
    fake = FakePneumatic()
    fake.faults.add("status", status=500, style="asgi", times=1)
    async with serve(fake) as base_url, client(base_url, fake) as http:
        response = await http.get("/webhooks/events")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


async def test_webhooks_are_delivered_in_the_background_while_serving() -> None:
    fake = FakePneumatic()
    received = anyio.Event()
    bodies: list[bytes] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        bodies.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        received.set()

    dispatcher = fake.dispatcher
    dispatcher.mount("http://receiver.test", receiver)
    async with serve(fake):
        assert is_running(dispatcher)
        hook = {"id": 1, "event": "workflow_started", "target": "http://receiver.test/h"}
        dispatcher.enqueue(hook, {"workflow": {"id": 1}})
        with anyio.fail_after(5):
            await received.wait()
    assert not is_running(dispatcher)
    [body] = bodies
    assert b'"workflow_started"' in body


async def test_serve_on_a_given_socket() -> None:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    async with serve(FakePneumatic(), sock=sock) as base_url:
        assert base_url == f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_gets_a_clear_error(anyio_backend: str) -> None:
    with pytest.raises(RuntimeError, match="asyncio"):
        async with serve(FakePneumatic()):
            pass


def test_cli_parser_and_fake_urls() -> None:
    args = build_parser().parse_args(["serve", "--port", "8123", "--seed", "4"])
    assert (args.command, args.host, args.port, args.seed) == ("serve", "127.0.0.1", 8123, 4)
    fake = make_fake("http://127.0.0.1:8123", seed=4)
    assert fake.base_url.rstrip("/") == "http://127.0.0.1:8123"


async def test_cli_serves_until_ctrl_c() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pneumatic_async.testing", "serve", "--port", "0"]
    async with await anyio.open_process(command, env=env) as process:
        assert process.stdout is not None
        output = ""
        with anyio.fail_after(20):
            async for text in TextReceiveStream(process.stdout):
                output += text
                if output.count("\n") >= 2:
                    break
        first, second = output.splitlines()[:2]
        base_url = first.rsplit(" ", 1)[-1]
        api_key = second.rsplit(" ", 1)[-1]
        assert base_url.startswith("http://127.0.0.1:"), output
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(
                f"{base_url}/webhooks/events", headers={"Authorization": f"Bearer {api_key}"}
            )
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        with anyio.fail_after(20):
            code = await process.wait()
    assert code == 0


def test_bound_socket_is_tcp_so_asyncio_disables_nagle() -> None:
    import socket as _socket

    from pneumatic_async.testing.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        # asyncio sets TCP_NODELAY on accepted connections only for proto IPPROTO_TCP; without
        # it every response of the served fake waited ~40 ms for a delayed ACK.
        assert sock.proto == _socket.IPPROTO_TCP
    finally:
        sock.close()
