"""The fake Flowdash Actions API's store: tasks, actions and executions (``fake.flowdash``).


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

__all__ = [
    "FakeFlowdash",
    "FlowdashAction",
    "FlowdashExecution",
    "FlowdashTask",
    "get_flowdash",
]

FlowdashStatus = Literal["Pending", "Success", "Fail"]


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
    final_status: FlowdashStatus
    errors: list[str]
    pending_polls: int
    polls: int = 0

    @property
    def status(self) -> FlowdashStatus:
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
