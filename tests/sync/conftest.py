"""Fixtures of the synchronous client's tests: a fake server and a sync client on each backend.

The sync client's own tests are plain functions (it is called from threads, not from an event
loop); ``backend`` runs each of them with the client's loop on asyncio and on trio.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pneumatic_async.sync import Backend, Pneumatic
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.state import StoredTemplate


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The event loop the sync client runs on."""
    value: Backend = request.param
    return value


@pytest.fixture
def fake() -> FakePneumatic:
    """A fresh fake Pneumatic server."""
    return FakePneumatic()


@pytest.fixture
def client(fake: FakePneumatic, backend: Backend) -> Iterator[Pneumatic]:
    """A sync client on the fake's in-process transport."""
    with Pneumatic(
        api_key=fake.api_key, base_url=fake.base_url, transport=fake.transport(), backend=backend
    ) as pneumatic:
        yield pneumatic


def task_body(number: int, **extra: Any) -> dict[str, Any]:
    """A template task (performer: the workflow starter), after the previous one if any."""
    body: dict[str, Any] = {
        "number": number,
        "name": f"Step {number}",
        "api_name": f"step-{number}",
        "raw_performers": [{"type": "workflow_starter", "source_id": None}],
    }
    if number > 1:
        predicate = {"field_type": "task", "operator": "completed", "field": f"step-{number - 1}"}
        body["conditions"] = [
            {"action": "start_task", "order": 1, "rules": [{"predicates": [predicate]}]}
        ]
    body.update(extra)
    return body


def template_body(**extra: Any) -> dict[str, Any]:
    """An active template: a required ``client`` kickoff field, then two tasks; the first asks
    for a ``decision``."""
    body: dict[str, Any] = {
        "name": "Onboarding",
        "is_active": True,
        "kickoff": {
            "fields": [
                {
                    "name": "Client",
                    "type": "string",
                    "api_name": "client",
                    "order": 1,
                    "is_required": True,
                }
            ]
        },
        "tasks": [
            task_body(
                1,
                fields=[{"name": "Decision", "type": "string", "api_name": "decision", "order": 1}],
            ),
            task_body(2),
        ],
    }
    body.update(extra)
    return body


@pytest.fixture
def template(fake: FakePneumatic) -> StoredTemplate:
    """The onboarding template on the fake."""
    return fake.add_template(template_body())
