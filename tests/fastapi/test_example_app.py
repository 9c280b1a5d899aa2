"""The example app of docs/fastapi.md, served by uvicorn on a loopback socket, against the fake
server served on another: subscription at startup, deliveries, retries, duplicates, endpoint
errors and shutdown draining.

asyncio only: uvicorn runs on asyncio (the router itself is tested on both in test_router.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.fastapi import delivery_key
from pneumatic_async.fastapi.lifespan import app_background
from pneumatic_async.models import WorkflowEventType
from pneumatic_async.testing.handlers.webhooks import hooks_for
from pneumatic_async.testing.server import bind_socket, socket_url
from tests.fastapi.helpers import SECRET, TEMPLATE, make_fake
from tests.fastapi.uvicorn_app import load_example, serve_app, until


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # uvicorn serves on asyncio only


class CommentGate:
    """ASGI middleware in front of the fake: counts comment requests, and holds them while
    closed."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.held = 0
        self.passed = 0
        self._open = anyio.Event()
        self._open.set()
        self._changed = anyio.Event()

    def close(self) -> None:
        self._open = anyio.Event()

    def open(self) -> None:
        self._open.set()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        with anyio.fail_after(15):
            while not condition():
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not (scope["type"] == "http" and scope["path"].endswith("/comment")):
            await self.app(scope, receive, send)
            return
        self.held += 1
        self._notify()
        await self._open.wait()
        self.held -= 1
        await self.app(scope, receive, send)
        self.passed += 1
        self._notify()


async def comments(client: Pneumatic, workflow_id: int) -> list[str]:
    return [
        str(event.text)
        async for event in client.workflows.events(workflow_id, include_comments=True)
        if event.type == WorkflowEventType.COMMENT
    ]


async def test_example_app_end_to_end(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = make_fake()
    template = fake.add_template(TEMPLATE)
    gate = CommentGate(fake.app)
    fake.app = gate
    sock = bind_socket()
    app_url = socket_url(sock)
    hook_url = f"{app_url}/hooks/pneumatic"
    deliveries = fake.dispatcher.deliveries
    async with fake.serve() as fake_url:
        monkeypatch.setenv("PNEUMATIC_API_KEY", fake.api_key)
        monkeypatch.setenv("PNEUMATIC_BASE_URL", fake_url)
        monkeypatch.setenv("HOOK_SECRET", SECRET)
        monkeypatch.setenv("PUBLIC_URL", hook_url)
        monkeypatch.setenv("DELIVERY_DB", str(tmp_path / "deliveries.sqlite3"))
        example = load_example("fastapi_app")
        async with (
            Pneumatic(base_url=fake_url, api_key=fake.api_key) as client,
            httpx.AsyncClient(base_url=app_url) as http,
        ):
            async with serve_app(example.app, sock) as server:
                # the app subscribed its URL (with the secret) at startup
                targets = {hook["event"]: hook["target"] for hook in hooks_for(fake)}
                assert targets == {
                    "task_completed": f"{hook_url}?token={SECRET}",
                    "workflow_started": f"{hook_url}?token={SECRET}",
                }

                # an endpoint using the injected client; workflow_started handled in background
                launched = await http.post(f"/launch/{template.id}", json={"item": "Laptop"})
                assert launched.status_code == 200
                workflow_id = launched.json()["id"]
                await fake.dispatcher.flush()  # returns once every enqueued delivery finished
                assert [(d.event, d.statuses) for d in deliveries] == [("workflow_started", [202])]
                await gate.wait_for(lambda: gate.passed == 1)  # the welcome comment

                # SDK errors in endpoints come back with their mapped status
                assert (await http.get("/workflows/424242")).status_code == 404
                bad = await http.post(f"/launch/{template.id}", json={"item": 5})
                assert bad.status_code == 422
                assert bad.json()["problems"][0]["field"] == "item"

                # inline handler failing once: 500, the fake retries, handled exactly once
                fake.faults.add("status", route="POST /workflows/{id}/comment", status=500, times=1)
                workflow = await client.workflows.get(workflow_id)
                review = next(t for t in workflow.tasks if t.api_name == "task-review")
                await client.tasks.complete(review.id)
                await fake.dispatcher.flush()
                assert (deliveries[1].event, deliveries[1].statuses) == (
                    "task_completed",
                    [500, 200],
                )

                # the same delivery again (the server re-runs its loop on retries): handled once
                again = await http.post(
                    f"/hooks/pneumatic?token={SECRET}",
                    content=deliveries[1].body,
                    headers={"Content-Type": "application/json"},
                )
                assert again.json()["status"] == "duplicate"
                texts = await comments(client, workflow_id)
                assert texts.count("Task 'Review' was completed.") == 1

                # a background handler still running at shutdown is drained, not lost
                gate.close()
                second = await client.templates.run(template.id, kickoff={"item": "Desk"})
                await fake.dispatcher.flush()
                assert deliveries[2].statuses == [202]
                await gate.wait_for(lambda: gate.held == 1)
                background = app_background(example.app)
                assert background is not None
                assert background.running == 1
                server.should_exit = True  # shut down while the handler waits
                await until(lambda: background.closed, what="shutdown to start draining")
                assert background.running == 1
                gate.open()
            # uvicorn has shut down: the lifespan waited for the handler
            assert background.running == 0
            assert example.store.state(delivery_key(deliveries[2].payload)) == "done"
            assert example.store.state(delivery_key(deliveries[0].payload)) == "done"
            assert await comments(client, second.id) == [f"Welcome, {second.name}!"]
            assert f"Welcome, {launched.json()['name']}!" in await comments(client, workflow_id)
        example.store.close()
