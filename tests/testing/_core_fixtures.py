"""Template bodies and clients shared by the tests of the fake's core routes and engine."""

from __future__ import annotations

from typing import Any

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic


class Clock:
    """A settable clock for the fake (epoch seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def client(fake: FakePneumatic, key: str | None = None) -> httpx.AsyncClient:
    """An httpx client on the fake's in-process transport, authenticated with ``key``."""
    token = key if key is not None else fake.api_key
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url, headers=headers)


def after(api_name: str, operator: str = "completed") -> list[dict[str, Any]]:
    """A ``start_task`` condition: start once ``api_name`` is completed (or skipped)."""
    return [
        {
            "action": "start_task",
            "order": 1,
            "rules": [
                {"predicates": [{"field_type": "task", "operator": operator, "field": api_name}]}
            ],
        }
    ]


def task(
    number: int,
    *,
    performers: list[dict[str, Any]] | None = None,
    start_after: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A template task body (performer: the workflow starter unless given)."""
    body: dict[str, Any] = {
        "number": number,
        "name": extra.pop("name", f"Step {number}"),
        "api_name": extra.pop("api_name", f"step-{number}"),
        "raw_performers": performers or [{"type": "workflow_starter", "source_id": None}],
    }
    if start_after is not None:
        body["conditions"] = after(start_after)
    body.update(extra)
    return body


def linear(count: int, **first: Any) -> list[dict[str, Any]]:
    """``count`` tasks, each starting after the previous one."""
    tasks = [task(1, **first)]
    tasks += [task(n, start_after=f"step-{n - 1}") for n in range(2, count + 1)]
    return tasks


def template_body(tasks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A valid active ``POST /templates`` body for the account owner (user 1)."""
    body: dict[str, Any] = {
        "name": "Template",
        "is_active": True,
        "owners": [{"type": "user", "source_id": 1, "role": "owner"}],
        "kickoff": {},
        "tasks": tasks,
    }
    body.update(extra)
    return body


def field(api_name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    """A field body (selections given as value texts)."""
    body: dict[str, Any] = {
        "order": extra.pop("order", 1),
        "name": extra.pop("name", api_name.title()),
        "type": kind,
        "api_name": api_name,
        "is_required": extra.pop("is_required", kind == "user"),
    }
    if "selections" in extra:
        body["selections"] = [{"value": v} for v in extra.pop("selections")]
    body.update(extra)
    return body


def statuses(workflow: dict[str, Any]) -> dict[str, str]:
    """``{task api_name: status}`` of a workflow's (non-skipped) tasks."""
    return {t["api_name"]: t["status"] for t in workflow["tasks"]}
