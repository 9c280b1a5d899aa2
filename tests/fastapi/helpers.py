"""Helpers of the FastAPI integration tests: a fake server, clients on it, a running app."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import TaskStatus
from fastapi import FastAPI

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic

DATA = Path(__file__).parent / "data"
SECRET = "s3cr3t-for-tests"
APP_URL = "http://app.test"

#: Two tasks, so completing the first leaves the workflow running (comments allowed).
TEMPLATE: dict[str, Any] = {
    "name": "Purchase",
    "kickoff": {
        "fields": [
            {"order": 1, "name": "Item", "type": "string", "api_name": "item", "is_required": True}
        ]
    },
    "tasks": [
        {
            "number": 1,
            "name": "Review",
            "api_name": "task-review",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        },
        {
            "number": 2,
            "name": "Order",
            "api_name": "task-order",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        },
    ],
}


def sample(name: str) -> dict[str, Any]:
    """A payload from ``data/`` (docs samples and real captured deliveries)."""
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def make_fake() -> FakePneumatic:
    """A fake whose failed webhook deliveries are retried without waiting."""
    fake = FakePneumatic()
    fake.dispatcher.retry_delays = (0.0, 0.0)
    return fake


def client_factory(fake: FakePneumatic, base_url: str | None = None) -> Callable[[], Pneumatic]:
    """Makes clients on ``fake`` (in-process unless ``base_url``); retries don't wait."""

    def make() -> Pneumatic:
        return Pneumatic(
            transport=None if base_url else fake.transport(),
            base_url=base_url or fake.base_url,
            api_key=fake.api_key,
            retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0, max_retry_after=0.002),
        )

    return make


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan and yield an HTTP client on it (in-process)."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP_URL) as http,
    ):
        yield http


class LifespanTask:
    """Runs an app's lifespan in a task of its own, so a test can ask it to stop and watch."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.stop = anyio.Event()
        self.stopped = anyio.Event()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Start the lifespan, report started, wait for :attr:`stop`, shut down."""
        try:
            async with self.app.router.lifespan_context(self.app):
                task_status.started()
                await self.stop.wait()
        finally:
            self.stopped.set()


async def post_delivery(
    http: httpx.AsyncClient, payload: Any, *, path: str = "/hooks/pneumatic", token: str = SECRET
) -> httpx.Response:
    """POST a delivery the way the server does."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await http.post(
        f"{path}?token={token}", content=body, headers={"Content-Type": "application/json"}
    )
