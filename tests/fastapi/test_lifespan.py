"""One client per app process, composed with the app's own lifespan; subscription at startup."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from pneumatic_async import Pneumatic
from pneumatic_async.events import TaskCompletedEvent, WorkflowStartedEvent
from pneumatic_async.fastapi import (
    WebhookRouter,
    app_client,
    ensure_subscribed,
    pneumatic_lifespan,
)
from pneumatic_async.testing.handlers.webhooks import hooks_for
from tests.fastapi.helpers import SECRET, client_factory, make_fake, running

URL = "https://service.example.com/hooks/pneumatic?token=abc"


async def test_client_is_opened_at_startup_and_closed_at_shutdown() -> None:
    made: list[Pneumatic] = []
    factory = client_factory(make_fake())

    def make() -> Pneumatic:
        made.append(factory())
        return made[-1]

    app = FastAPI(lifespan=pneumatic_lifespan(client=make))
    with pytest.raises(RuntimeError, match="pneumatic_lifespan"):
        app_client(app)
    async with running(app):
        assert app_client(app) is made[0]
        assert not made[0].is_closed
        assert len(made) == 1
    assert made[0].is_closed
    with pytest.raises(RuntimeError, match="pneumatic_lifespan"):
        app_client(app)


async def test_own_lifespan_runs_inside_with_the_client_open() -> None:
    steps: list[str] = []

    @contextlib.asynccontextmanager
    async def own(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        me = await app_client(app).users.me()
        steps.append(f"start {me.email}")
        yield {"user_id": me.id}
        assert not app_client(app).is_closed
        steps.append("stop")

    app = FastAPI(lifespan=pneumatic_lifespan(own, client=client_factory(make_fake())))
    async with app.router.lifespan_context(app) as state:
        assert state == {"user_id": 1}
        steps.append("serve")
    assert steps == ["start owner@example.com", "serve", "stop"]


def test_negative_drain_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="drain_timeout"):
        pneumatic_lifespan(drain_timeout=-1)


async def test_ensure_subscribed_is_idempotent_and_leaves_other_events() -> None:
    fake = make_fake()
    other = "https://other.example.com/hook"
    async with client_factory(fake)() as client:
        await client.webhooks.subscribe("task_returned", other)
        changed = await ensure_subscribed(client, URL, ["task_completed", "workflow_started"])
        assert changed == ["task_completed", "workflow_started"]
        ids = {hook["id"] for hook in hooks_for(fake)}
        assert await ensure_subscribed(client, URL, ["task_completed_v2", "workflow_started"]) == []
        assert {hook["id"] for hook in hooks_for(fake)} == ids  # nothing re-created
        current = {str(s.event): s.url for s in await client.webhooks.list()}
    assert current == {
        "task_completed": URL,
        "workflow_started": URL,
        "task_returned": other,
        "workflow_completed": None,
    }


async def test_lifespan_subscribes_the_router_events(caplog: pytest.LogCaptureFixture) -> None:
    fake = make_fake()
    hooks = WebhookRouter(secret=SECRET)

    @hooks.on(TaskCompletedEvent)
    async def done(event: TaskCompletedEvent, client: Pneumatic) -> None:
        pass

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def started(event: WorkflowStartedEvent, client: Pneumatic) -> None:
        pass

    subscription = hooks.subscription("https://service.example.com/hooks/pneumatic")
    app = FastAPI(lifespan=pneumatic_lifespan(client=client_factory(fake), webhooks=[subscription]))
    caplog.set_level("INFO", "pneumatic_async.fastapi")
    async with running(app):
        pass
    assert {hook["event"]: hook["target"] for hook in hooks_for(fake)} == {
        "workflow_started": f"https://service.example.com/hooks/pneumatic?token={SECRET}",
        "task_completed": f"https://service.example.com/hooks/pneumatic?token={SECRET}",
    }
    assert "subscribed webhook events" in caplog.text
    assert SECRET not in caplog.text
