"""Fake of the Flowdash Actions API (doc 004), served by the fake under ``/api/v1``.

Routes (``Authorization: Bearer <key>``; the key is ``fake.flowdash.api_key``, by default the fake's
own ``api_key``):

* ``GET  /api/v1/workflows/<workflow-id>/tasks/<task-id>/actions`` → ``[{"id", "name"}]``
* ``POST /api/v1/workflows/<workflow-id>/executions`` ``{"task_id", "action_id", "performed_by"?}``
  → 201 ``{"id", "status": "Pending"}``; 422 ``{"status": "Fail", "errors": [...]}`` while the
  task has unmet requirements (or the action is not available)
* ``GET  /api/v1/workflows/<workflow-id>/executions/<execution-id>`` → ``{"id", "status"}``:
  ``"Pending"`` for the first ``polls_pending`` polls, then ``"Success"`` (or ``"Fail"`` with
  ``"errors"`` for an action seeded with ``fail=[...]``)

Seed it from a test::

    task = fake.flowdash.add_task("abc123", "678", actions=["Approve", "Reject"],
                                  requirements=["Name is required"])
    ...                                   # create execution → 422 with those errors
    fake.flowdash.satisfy("abc123", "678")  # now executions are accepted
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = [
    "FakeFlowdash",
    "FlowdashAction",
    "FlowdashExecution",
    "FlowdashTask",
    "get_flowdash",
    "routes",
]

PREFIX = "/api/v1"
ExecutionStatus = Literal["Pending", "Success", "Fail"]


@dataclass
class FlowdashAction:
    """An action a task offers; ``fail`` makes its executions end in ``Fail`` with these errors."""

    id: str
    name: str
    fail: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, str]:
        """The listing shape ``{"id", "name"}``."""
        return {"id": self.id, "name": self.name}


@dataclass
class FlowdashTask:
    """A task of a Flowdash workflow: its actions and the requirements still unmet."""

    workflow_id: str
    task_id: str
    actions: list[FlowdashAction]
    requirements: list[str] = field(default_factory=list)


@dataclass
class FlowdashExecution:
    """One action execution and how many polls it still answers ``Pending``."""

    id: str
    workflow_id: str
    task_id: str
    action_id: str
    performed_by: str | None
    final_status: ExecutionStatus
    errors: list[str]
    pending_polls: int
    polls: int = 0

    @property
    def status(self) -> ExecutionStatus:
        """The status the next poll reports (without counting a poll)."""
        return "Pending" if self.polls < self.pending_polls else self.final_status

    def poll(self) -> dict[str, Any]:
        """Count one poll and return the execution's JSON."""
        status = self.status
        self.polls += 1
        body: dict[str, Any] = {"id": self.id, "status": status}
        if status == "Fail":
            body["errors"] = list(self.errors)
        return body


class FakeFlowdash:
    """State of the fake Flowdash Actions API (tasks, actions, executions).

    ``polls_pending`` is how many status polls answer ``Pending`` before the final status;
    ``seed`` makes generated ids deterministic; ``api_key`` (``None``: accept the fake's key)
    is the Bearer token the routes require.
    """

    def __init__(
        self, *, seed: int = 0, polls_pending: int = 1, api_key: str | None = None
    ) -> None:
        self.polls_pending = polls_pending
        self.api_key = api_key
        self.tasks: dict[tuple[str, str], FlowdashTask] = {}
        self.executions: dict[str, FlowdashExecution] = {}
        self._rng = random.Random(seed)

    def new_id(self) -> str:
        """A fresh short id like Flowdash's (``"091has"``)."""
        alphabet = string.ascii_letters + string.digits
        return "".join(self._rng.choice(alphabet) for _ in range(6))

    def add_task(
        self,
        workflow_id: str | int,
        task_id: str | int,
        *,
        actions: Iterable[str | Mapping[str, Any]] = (),
        requirements: Sequence[str] = (),
    ) -> FlowdashTask:
        """Seed a task. ``actions`` are names or ``{"id"?, "name", "fail"?}`` dicts."""
        parsed = []
        for action in actions:
            if isinstance(action, str):
                parsed.append(FlowdashAction(id=self.new_id(), name=action))
            else:
                parsed.append(
                    FlowdashAction(
                        id=str(action.get("id") or self.new_id()),
                        name=str(action["name"]),
                        fail=list(action.get("fail", ())),
                    )
                )
        task = FlowdashTask(str(workflow_id), str(task_id), parsed, list(requirements))
        self.tasks[task.workflow_id, task.task_id] = task
        return task

    def satisfy(self, workflow_id: str | int, task_id: str | int) -> None:
        """Mark all requirements of a task as met."""
        self.tasks[str(workflow_id), str(task_id)].requirements.clear()

    def get_task(self, workflow_id: str, task_id: str) -> FlowdashTask | None:
        """The seeded task, if any."""
        return self.tasks.get((workflow_id, task_id))

    def execute(
        self, workflow_id: str, task_id: str, action_id: str, performed_by: str | None
    ) -> FlowdashExecution | list[str]:
        """Create an execution, or return the errors that prevent it (the 422 body's list)."""
        task = self.get_task(workflow_id, task_id)
        if task is None:
            return ["Task not found"]
        action = next((a for a in task.actions if a.id == action_id), None)
        if action is None:
            return ["Action is not available for this task"]
        if task.requirements:
            return list(task.requirements)
        execution = FlowdashExecution(
            id=self.new_id(),
            workflow_id=workflow_id,
            task_id=task_id,
            action_id=action_id,
            performed_by=performed_by,
            final_status="Fail" if action.fail else "Success",
            errors=list(action.fail),
            pending_polls=self.polls_pending,
        )
        self.executions[execution.id] = execution
        return execution


def get_flowdash(fake: Any) -> FakeFlowdash:
    """``fake.flowdash``, created (and attached to the fake) on first use."""
    flowdash = getattr(fake, "flowdash", None)
    if not isinstance(flowdash, FakeFlowdash):
        flowdash = FakeFlowdash()
        fake.flowdash = flowdash
    return flowdash


def routes(fake: Any) -> list[BaseRoute]:
    """The Flowdash routes, mounted under ``/api/v1`` of the fake's app."""
    flowdash = get_flowdash(fake)

    def authorized(request: Request) -> bool:
        expected = flowdash.api_key or getattr(fake, "api_key", None)
        return request.headers.get("authorization") == f"Bearer {expected}"

    def unauthorized() -> Response:
        return JSONResponse({"errors": ["Unauthorized"]}, status_code=401)

    def not_found() -> Response:
        return JSONResponse({"errors": ["Not found"]}, status_code=404)

    async def list_actions(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        params = request.path_params
        task = flowdash.get_task(params["workflow_id"], params["task_id"])
        if task is None:
            return not_found()
        return JSONResponse([action.to_json() for action in task.actions])

    async def create_execution(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        workflow_id = request.path_params["workflow_id"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("task_id") or not body.get("action_id"):
            errors = ["task_id and action_id are required"]
            return JSONResponse({"status": "Fail", "errors": errors}, status_code=422)
        performed_by = body.get("performed_by")
        result = flowdash.execute(
            workflow_id,
            str(body["task_id"]),
            str(body["action_id"]),
            str(performed_by) if performed_by is not None else None,
        )
        if isinstance(result, list):
            return JSONResponse({"status": "Fail", "errors": result}, status_code=422)
        return JSONResponse({"id": result.id, "status": "Pending"}, status_code=201)

    async def get_execution(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        execution = flowdash.executions.get(request.path_params["execution_id"])
        if execution is None or execution.workflow_id != request.path_params["workflow_id"]:
            return not_found()
        return JSONResponse(execution.poll())

    base = f"{PREFIX}/workflows/{{workflow_id}}"
    return [
        Route(f"{base}/tasks/{{task_id}}/actions", list_actions, methods=["GET"]),
        Route(f"{base}/executions", create_execution, methods=["POST"]),
        Route(f"{base}/executions/{{execution_id}}", get_execution, methods=["GET"]),
    ]
