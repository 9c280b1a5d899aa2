"""Workflow events (``WorkflowEventType``) and the base every part of the engine stands on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import (
    insert_vars,
)
from pneumatic_async.testing.state import (
    State,
    StoredDelay,
    StoredEvent,
    StoredTask,
    StoredUser,
    StoredWorkflow,
)

__all__ = ["EventLog", "EventType"]


class EventType:
    """Workflow event types (``WorkflowEventType``)."""

    RUN = 0
    COMPLETE = 1
    TASK_START = 2
    TASK_COMPLETE = 3
    TASK_REVERT = 4
    COMMENT = 5
    ENDED = 6
    REVERT = 8
    TASK_SKIP = 9
    ENDED_BY_CONDITION = 10
    URGENT = 11
    NOT_URGENT = 12
    TASK_SKIP_NO_PERFORMERS = 13
    FORCE_RESUME = 16
    FORCE_SNOOZE = 17
    DUE_DATE_CHANGED = 18
    TASK_SNOOZED = 22

    #: Types listed by ``GET /v2/tasks/<id>/events`` (the real server's ``TASK_EVENTS``: no
    #: task-started or skipped events, but the workflow revert and urgency events of the task).
    TASK_EVENTS: Final = frozenset({3, 4, 5, 8, 11, 12, 14, 15, 18, 19, 20, 21, 22, 23})


class EventLog:
    """The engine's base: the store, the clock, workflow events and webhook emission.

    ``clock`` returns epoch seconds; ``emit(event, payload)`` delivers webhook events;
    ``file_service_url`` is where file field links must point.
    """

    def __init__(
        self,
        state: State,
        *,
        clock: Callable[[], float],
        emit: Callable[[str, dict[str, Any]], None],
        file_service_url: str,
        delay_job_interval: float = 60.0,
    ) -> None:
        self.state = state
        self.clock = clock
        self._emit = emit
        self.file_service_url = file_service_url
        self._delays: list[tuple[float, int, int]] = []
        #: Seconds between two runs of the job that resumes expired delays (0: every request).
        self.delay_job_interval = delay_job_interval
        #: When the job first runs; it then runs every ``delay_job_interval`` seconds.
        self.delay_job_epoch = clock()
        self._at: float | None = None

    def now(self) -> float:
        """The current time (epoch seconds); while the delay job runs, the job's time."""
        return self.clock() if self._at is None else self._at

    def _hooks(self, event: str) -> bool:
        return bool(self.state.webhooks.get(event))

    def _emit_workflow(self, event: str, workflow: StoredWorkflow) -> None:
        if self._hooks(event):
            self._emit(event, {"workflow": serializers.workflow_details(workflow)})

    def _emit_task(self, event: str, task: StoredTask) -> None:
        if self._hooks(event):
            payload = serializers.task_object(self.state, task, None, full_workflow=True)
            self._emit(event, {"task": payload})

    def _event(
        self,
        workflow: StoredWorkflow,
        kind: int,
        *,
        task: StoredTask | None = None,
        user: StoredUser | None = None,
        text: str | None = None,
        with_output: bool = False,
        delay: StoredDelay | None = None,
    ) -> StoredEvent:
        if delay is None and task is not None:
            delay = task.delay
        event = StoredEvent(
            id=self.state.next_id("event"),
            type=kind,
            workflow_id=workflow.id,
            created=self.now(),
            task_json=serializers.event_task_json(task, with_output=with_output) if task else None,
            delay_json=serializers.delay_json(delay) if delay is not None else None,
            user_id=user.id if user else None,
            text=text,
            task_id=task.id if task else None,
        )
        workflow.events.append(event)
        return event

    def _markdown_values(self, workflow: StoredWorkflow) -> dict[str, str | None]:
        values: dict[str, str | None] = {
            v.api_name: v.markdown_value for v in workflow.all_fields()
        }
        starter = self.state.users.get(workflow.workflow_starter or 0)
        values["workflow-starter"] = starter.name if starter else "Guest"
        return values

    def _render_task_text(self, task: StoredTask) -> None:
        values = self._markdown_values(task.workflow)
        template_task = task.template_task
        task.name = insert_vars(template_task.name, values) or template_task.name
        task.description = insert_vars(template_task.description, values)
