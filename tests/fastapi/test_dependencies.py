"""Receiving the real server's captured webhook deliveries in a FastAPI app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from pneumatic_async._http import httpx
from pneumatic_async.events import TaskCompletedEvent, WebhookEvent
from pneumatic_async.fastapi import PneumaticEvent, require_token
from tests.captures import RESPONSES

received: list[WebhookEvent] = []
app = FastAPI()


@app.post("/hooks", dependencies=[require_token("s3cr3t")])
async def hook(event: PneumaticEvent) -> dict[str, str]:
    received.append(event)
    return {"event": type(event).__name__}


def deliveries() -> list[Path]:
    return sorted((RESPONSES / "webhook-deliveries").glob("*.json"))


async def post(content: bytes, token: str = "s3cr3t") -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://app"
    ) as client:
        return await client.post(
            f"/hooks?token={token}", content=content, headers={"Content-Type": "application/json"}
        )


@pytest.mark.parametrize(
    "delivery",
    [json.loads(p.read_text()) for p in deliveries()],
    ids=[p.name for p in deliveries()],
)
async def test_every_captured_delivery_is_parsed(delivery: dict[str, Any]) -> None:
    raw = delivery["body"] if isinstance(delivery["body"], str) else json.dumps(delivery["body"])
    response = await post(raw.encode())
    assert response.status_code == 200
    event_name = json.loads(raw)["hook"]["event"]
    expected = {
        "workflow_started": "WorkflowStartedEvent",
        "workflow_completed": "WorkflowCompletedEvent",
        "task_completed": "TaskCompletedEvent",
        "task_returned": "TaskReturnedEvent",
    }[event_name]
    assert response.json() == {"event": expected}


async def test_not_an_event_is_400() -> None:
    response = await post(b"<html>")
    assert response.status_code == 400
    assert "detail" in response.json()


async def test_wrong_token_is_403() -> None:
    response = await post(b"{}", token="guess")
    assert response.status_code == 403


def test_empty_secret_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        require_token("")


def test_task_completed_type_is_exported() -> None:
    assert TaskCompletedEvent.__name__ == "TaskCompletedEvent"
