"""The webhook router: authentication, limits, dispatch by type, exactly-once, both modes."""

from __future__ import annotations

import copy
import logging
from typing import Any

import anyio
import pytest
from anyio import wait_all_tasks_blocked
from fastapi import FastAPI

from pneumatic_async import Pneumatic
from pneumatic_async.events import (
    TaskCompletedEvent,
    UnknownEvent,
    WorkflowCompletedEvent,
    WorkflowStartedEvent,
)
from pneumatic_async.fastapi import (
    MemoryDeliveryStore,
    WebhookRouter,
    delivery_key,
    pneumatic_lifespan,
)
from tests.fastapi.helpers import (
    SECRET,
    LifespanTask,
    client_factory,
    make_fake,
    post_delivery,
    running,
    sample,
)


def build(
    *, drain_timeout: float = 5.0, **options: Any
) -> tuple[FastAPI, WebhookRouter, MemoryDeliveryStore]:
    store = MemoryDeliveryStore()
    hooks = WebhookRouter(secret=SECRET, store=store, **options)
    app = FastAPI(
        lifespan=pneumatic_lifespan(client=client_factory(make_fake()), drain_timeout=drain_timeout)
    )
    app.include_router(hooks)
    return app, hooks, store


# -- refusals ---------------------------------------------------------------------------------


async def test_wrong_or_missing_token_is_403_before_the_body_is_read() -> None:
    app, _hooks, _ = build()
    async with running(app) as http:
        assert (await post_delivery(http, b"x" * 10, token="guess")).status_code == 403
        response = await http.post("/hooks/pneumatic", content=b"{}")
        assert response.status_code == 403


async def test_too_large_body_is_413() -> None:
    app, _hooks, _ = build(max_body=100)
    async with running(app) as http:
        response = await post_delivery(http, b"{" + b" " * 200 + b"}")
        assert response.status_code == 413
        assert "100 bytes" in response.json()["detail"]
    # no Content-Length: counted while streamed, and not read to the end
    chunks = [{"type": "http.request", "body": b" " * 40, "more_body": True} for _ in range(10)]
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/hooks/pneumatic",
        "raw_path": b"/hooks/pneumatic",
        "query_string": f"token={SECRET}".encode(),
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("app.test", 80),
    }
    async with running(app):
        await app(scope, receive, send)
    assert status == [413]
    assert len(chunks) == 7  # stopped after the third chunk


async def test_not_an_event_is_400() -> None:
    app, _, _ = build()
    async with running(app) as http:
        for body in (b"<html>", b"[1]", b'{"no": "hook"}'):
            response = await post_delivery(http, body)
            assert response.status_code == 400, body
            assert response.json()["detail"]


async def test_event_without_handler_is_ignored() -> None:
    app, _, store = build()
    async with running(app) as http:
        response = await post_delivery(http, sample("real_workflow_completed"))
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "event": "workflow_completed"}
    assert len(store) == 0


# -- inline -----------------------------------------------------------------------------------


async def test_inline_handler_gets_the_typed_event_and_the_client_once() -> None:
    app, hooks, store = build()
    seen: list[tuple[TaskCompletedEvent, Pneumatic]] = []

    @hooks.on(TaskCompletedEvent)
    async def handle(event: TaskCompletedEvent, client: Pneumatic) -> None:
        seen.append((event, client))

    payload = sample("real_task_completed")
    copy_to_other_hook = copy.deepcopy(payload)
    copy_to_other_hook["hook"]["id"] += 1
    async with running(app) as http:
        first = await post_delivery(http, payload)
        second = await post_delivery(http, copy_to_other_hook)
    assert first.status_code == 200
    assert first.json()["status"] == "handled"
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert len(seen) == 1
    event, client = seen[0]
    assert event.task.api_name == "task-review"
    assert isinstance(client, Pneumatic)
    assert store.state(delivery_key(payload)) == "done"


async def test_failed_inline_handler_answers_500_and_its_retry_is_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, hooks, store = build()
    calls: list[int] = []

    @hooks.on(TaskCompletedEvent)
    async def handle(event: TaskCompletedEvent, client: Pneumatic) -> None:
        calls.append(event.task.id)
        if len(calls) == 1:
            raise RuntimeError("downstream hiccup")

    payload = sample("real_task_completed")
    async with running(app) as http:
        failed = await post_delivery(http, payload)
        retried = await post_delivery(http, payload)
        again = await post_delivery(http, payload)
    assert failed.status_code == 500
    assert retried.json()["status"] == "handled"
    assert again.json()["status"] == "duplicate"
    assert calls == [1, 1]
    assert store.state(delivery_key(payload)) == "done"
    record = next(r for r in caplog.records if "failed" in r.getMessage())
    assert delivery_key(payload) in record.getMessage()
    assert record.exc_info is not None
    assert SECRET not in caplog.text


async def test_docs_sample_reaches_its_handler() -> None:
    app, hooks, _ = build()
    seen: list[Any] = []

    @hooks.on(WorkflowStartedEvent)
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        seen.append(event)

    async with running(app) as http:
        response = await post_delivery(http, sample("docs_workflow_started"))
    assert response.json()["status"] == "handled"
    assert seen[0].workflow.name == "Workflow Name"


async def test_unknown_events_reach_an_unknown_event_handler() -> None:
    app, hooks, _ = build()
    seen: list[UnknownEvent] = []

    @hooks.on(UnknownEvent)
    async def handle(event: UnknownEvent, client: Pneumatic) -> None:
        seen.append(event)

    payload = {"hook": {"id": 1, "event": "task_snoozed", "target": "x"}, "task": {"id": 3}}
    async with running(app) as http:
        response = await post_delivery(http, payload)
    assert response.json() == {
        "status": "handled",
        "event": "task_snoozed",
        "key": delivery_key(payload),
    }
    assert seen[0].raw["task"] == {"id": 3}


# -- background -------------------------------------------------------------------------------


async def test_background_handler_runs_after_the_answer_and_marks_done() -> None:
    app, hooks, store = build()
    release = anyio.Event()
    finished: list[int] = []

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        await release.wait()
        finished.append(event.workflow.id)

    payload = sample("real_workflow_started")
    key = delivery_key(payload)
    async with running(app) as http:
        response = await post_delivery(http, payload)
        assert response.status_code == 202
        assert response.json()["status"] == "accepted"
        assert store.state(key) == "claimed"
        assert finished == []
        assert (await post_delivery(http, payload)).json()["status"] == "duplicate"
        release.set()
        await wait_all_tasks_blocked()
        assert finished == [1]
        assert store.state(key) == "done"


async def test_failed_background_handler_is_logged_and_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, hooks, store = build()

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        raise LookupError("no such customer")

    payload = sample("real_workflow_started")
    async with running(app) as http:
        assert (await post_delivery(http, payload)).status_code == 202
        await wait_all_tasks_blocked()
        assert store.state(delivery_key(payload)) is None  # a later duplicate may retry it
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert delivery_key(payload) in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], LookupError)


async def test_shutdown_drains_background_handlers() -> None:
    app, hooks, store = build()
    started = anyio.Event()
    release = anyio.Event()
    finished: list[int] = []

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        started.set()
        await release.wait()
        await client.users.me()  # the client is still open while draining
        finished.append(event.workflow.id)

    payload = sample("real_workflow_started")
    lifespan = LifespanTask(app)
    async with anyio.create_task_group() as task_group:
        await task_group.start(lifespan.run)
        from pneumatic_async._http import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
            assert (await post_delivery(http, payload)).status_code == 202
        await started.wait()
        lifespan.stop.set()
        await wait_all_tasks_blocked()
        assert not lifespan.stopped.is_set()  # shutdown waits for the handler
        release.set()
    assert lifespan.stopped.is_set()
    assert finished == [1]
    assert store.state(delivery_key(payload)) == "done"


async def test_handlers_past_the_drain_timeout_are_cancelled_and_released(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, hooks, store = build(drain_timeout=0.01)

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        await anyio.sleep_forever()

    payload = sample("real_workflow_started")
    with anyio.fail_after(10):
        async with running(app) as http:
            assert (await post_delivery(http, payload)).status_code == 202
    assert store.state(delivery_key(payload)) is None
    assert "cancelled" in caplog.text


async def test_background_handler_without_lifespan_is_503() -> None:
    hooks = WebhookRouter(secret=SECRET)

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def handle(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        raise AssertionError("not reached")

    app = FastAPI()
    app.include_router(hooks)
    from pneumatic_async._http import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
        response = await post_delivery(http, sample("real_workflow_started"))
    assert response.status_code == 503
    assert await hooks.store.claim(delivery_key(sample("real_workflow_started")), 1)


# -- registration and description ---------------------------------------------------------------


def test_registration_mistakes_are_refused() -> None:
    hooks = WebhookRouter(secret=SECRET)

    @hooks.on(TaskCompletedEvent)
    async def handle(event: TaskCompletedEvent, client: Pneumatic) -> None:
        pass

    with pytest.raises(ValueError, match="already registered"):
        hooks.on(TaskCompletedEvent)
    with pytest.raises(TypeError, match="not a webhook event class"):
        hooks.on(dict)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="mode"):
        hooks.on(WorkflowCompletedEvent, mode="later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret"):
        WebhookRouter(secret="")
    assert hooks.events == ["task_completed"]
    assert SECRET not in repr(hooks)


def test_subscription_url_carries_the_secret() -> None:
    hooks = WebhookRouter(secret="a b&c")
    url, events = hooks.subscription("https://example.com/hooks/pneumatic", ["task_returned"])
    assert url == "https://example.com/hooks/pneumatic?token=a%20b%26c"
    assert events == ["task_returned"]
    assert hooks.target_url("https://e.com/h?x=1") == "https://e.com/h?x=1&token=a%20b%26c"


def test_openapi_documents_body_and_token() -> None:
    app, _hooks, _ = build()
    operation = app.openapi()["paths"]["/hooks/pneumatic"]["post"]
    (param,) = operation["parameters"]
    assert (param["name"], param["in"]) == ("token", "query")
    assert "secret" in param["description"]
    body = operation["requestBody"]["content"]["application/json"]
    assert [s["title"] for s in body["schema"]["oneOf"]] == ["WorkflowEvent", "TaskEvent"]
    assert body["example"]["hook"]["event"] == "task_completed"
    assert {"200", "202", "400", "403", "413", "500"} <= set(operation["responses"])
