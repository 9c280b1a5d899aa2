"""WebhookDispatcher: real-server-like deliveries, retries, in-process and socket targets."""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async.testing import delivery
from pneumatic_async.testing.delivery import WebhookDispatcher, encode_delivery
from pneumatic_async.testing.server import bind_socket, serve
from tests.captures import RESPONSES

pytestmark = pytest.mark.anyio

DELIVERIES = RESPONSES / "webhook-deliveries"
TARGET = "http://receiver.test/hooks/all"


class Receiver:
    """An ASGI app that records what it receives and answers with scripted statuses."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []
        self.received = anyio.Event()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.requests.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "headers": [(k.decode(), v.decode()) for k, v in scope["headers"]],
                "body": body,
            }
        )
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        self.received.set()


class FakeTarget:
    """Just enough of a FakePneumatic for ``serve()``: an ``app`` attribute."""

    def __init__(self, app: Any) -> None:
        self.app = app


def hook(target: str = TARGET, event: str = "workflow_started", hook_id: int = 7) -> dict[str, Any]:
    return {"id": hook_id, "event": event, "target": target, "user_id": 1}


def dispatcher_for(receiver: Receiver, prefix: str = "http://receiver.test") -> WebhookDispatcher:
    dispatcher = WebhookDispatcher(retry_delays=(0, 0))
    dispatcher.mount(prefix, receiver)
    return dispatcher


def is_running(dispatcher: WebhookDispatcher) -> bool:
    return dispatcher.running  # a fresh read (mypy would keep an earlier narrowing)


def load_delivery(name: str) -> dict[str, Any]:
    path: Path = next(DELIVERIES.glob(f"{name}*.json"))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize(
    "name",
    ["01_workflow_started", "03_task_completed", "10_task_returned", "05_workflow_completed"],
)
async def test_body_and_headers_match_a_real_delivery(name: str) -> None:
    real = load_delivery(name)
    parsed = real["body_parsed"]
    payload = {key: value for key, value in parsed.items() if key != "hook"}
    receiver = Receiver()
    dispatcher = WebhookDispatcher(retry_delays=(0, 0))
    dispatcher.mount("http://127.0.0.1:8765", receiver)

    dispatcher.enqueue({**parsed["hook"], "user_id": 1}, payload)
    await dispatcher.flush()

    [request] = receiver.requests
    assert request["method"] == "POST"
    assert request["path"] == real["path"]
    assert request["body"].decode() == real["body"]  # byte for byte
    real_headers = [(k.lower(), v) for k, v in real["headers"]]
    sent_headers = [(k.lower(), v) for k, v in request["headers"]]
    assert [k for k, _ in sent_headers] == [k for k, _ in real_headers]
    assert dict(sent_headers) == dict(real_headers)
    [record] = dispatcher.deliveries
    assert record.ok
    assert (record.event, record.target, record.attempts) == (
        parsed["hook"]["event"],
        parsed["hook"]["target"],
        1,
    )
    assert record.payload == parsed


def test_encode_delivery_is_ascii_with_spaced_separators() -> None:
    body = encode_delivery(hook(), {"workflow": {"name": "Café — run", "id": 1}})
    assert body == (
        b'{"hook": {"id": 7, "event": "workflow_started", "target": "http://receiver.test/hooks/all"}'
        b', "workflow": {"name": "Caf\\u00e9 \\u2014 run", "id": 1}}'
    )


async def test_5xx_is_retried_twice_then_given_up() -> None:
    receiver = Receiver(500, 502, 503, 200)
    dispatcher = dispatcher_for(receiver)
    dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
    await dispatcher.flush()

    [record] = dispatcher.deliveries
    assert len(receiver.requests) == 3
    assert record.attempts == 3
    assert record.statuses == [500, 502, 503]
    assert record.status == 503
    assert not record.ok
    assert len({r["body"] for r in receiver.requests}) == 1  # the same body every time


async def test_5xx_then_success_stops_retrying() -> None:
    receiver = Receiver(500, 204)
    dispatcher = dispatcher_for(receiver)
    dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
    [record] = await dispatcher.flush()
    assert record.statuses == [500, 204]
    assert record.ok


@pytest.mark.parametrize("status", [400, 404, 410, 429])
async def test_4xx_is_not_retried(status: int) -> None:
    receiver = Receiver(status, 200)
    dispatcher = dispatcher_for(receiver)
    dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
    [record] = await dispatcher.flush()
    assert record.attempts == 1
    assert record.status == status
    assert record.error == f"HTTP {status}"
    assert len(receiver.requests) == 1


async def test_connection_errors_are_retried_three_attempts_max() -> None:
    sock = bind_socket()  # bound but never listening: connections are refused
    port = sock.getsockname()[1]
    try:
        dispatcher = WebhookDispatcher(retry_delays=(0, 0), timeout=5)
        dispatcher.enqueue(hook(target=f"http://127.0.0.1:{port}/hook"), {"task": {"id": 1}})
        [record] = await dispatcher.flush()
    finally:
        sock.close()
    assert record.attempts == 3
    assert record.statuses == [None, None, None]
    assert record.status is None
    assert record.error is not None
    assert "Connect" in record.error


async def test_default_backoff_waits_one_then_two_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(delivery, "_sleep", no_sleep)
    receiver = Receiver(500, 500, 500)
    dispatcher = WebhookDispatcher()
    dispatcher.mount("http://receiver.test", receiver)
    dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
    await dispatcher.flush()
    assert waits == [1.0, 2.0]


async def test_deliveries_keep_enqueue_order_and_longest_mount_wins() -> None:
    general, specific = Receiver(), Receiver()
    dispatcher = WebhookDispatcher(retry_delays=())
    dispatcher.mount("http://receiver.test", general)
    dispatcher.mount("http://receiver.test/special", specific)
    dispatcher.enqueue(hook(event="workflow_completed"), {"workflow": {"id": 1}})
    dispatcher.enqueue(hook(event="task_completed"), {"task": {"id": 2}})
    dispatcher.enqueue(hook(target="http://receiver.test/special/x"), {"workflow": {"id": 3}})
    assert dispatcher.pending == 3

    await dispatcher.flush()

    assert dispatcher.pending == 0
    assert [r.event for r in dispatcher.deliveries] == [
        "workflow_completed",
        "task_completed",
        "workflow_started",
    ]
    assert len(general.requests) == 2
    assert [r["path"] for r in specific.requests] == ["/special/x"]


async def test_background_delivery_inside_async_with() -> None:
    receiver = Receiver()
    dispatcher = dispatcher_for(receiver)
    async with dispatcher:
        assert dispatcher.running
        dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
        with anyio.fail_after(5):
            await receiver.received.wait()
        dispatcher.enqueue(hook(event="task_completed"), {"task": {"id": 1}})
    # leaving the block delivers what is still pending
    assert not is_running(dispatcher)
    assert [r.event for r in dispatcher.deliveries] == ["workflow_started", "task_completed"]


async def test_run_in_a_task_group() -> None:
    receiver = Receiver()
    dispatcher = dispatcher_for(receiver)
    async with anyio.create_task_group() as tg:
        tg.start_soon(dispatcher.run)
        dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
        with anyio.fail_after(5):
            await receiver.received.wait()
        tg.cancel_scope.cancel()
    assert len(dispatcher.deliveries) == 1


async def test_a_crashing_in_process_target_counts_as_500() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    dispatcher = WebhookDispatcher(retry_delays=(0,))
    dispatcher.mount("http://receiver.test", broken)
    dispatcher.enqueue(hook(), {"workflow": {"id": 1}})
    [record] = await dispatcher.flush()
    assert record.statuses == [500, 500]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_delivery_over_a_real_socket(anyio_backend: str) -> None:
    receiver = Receiver(500, 200)
    async with serve(FakeTarget(receiver)) as base_url:
        dispatcher = WebhookDispatcher(retry_delays=(0, 0))
        dispatcher.enqueue(hook(target=f"{base_url}/hooks/all"), {"workflow": {"id": 1}})
        [record] = await dispatcher.flush()

    assert record.statuses == [500, 200]
    request = receiver.requests[-1]
    headers = dict(request["headers"])
    assert headers["host"] == base_url.removeprefix("http://")
    assert headers["user-agent"] == "python-requests/2.22.0"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(request["body"]))
    assert json.loads(request["body"])["hook"]["target"] == f"{base_url}/hooks/all"
