"""Workflow actions (contract §6.5): snooze, resume, finish, delete, urgency, kickoff edits."""

from __future__ import annotations

import heapq
from typing import Any

from pneumatic_async.testing._values import (
    FieldData,
    validate_value,
)
from pneumatic_async.testing.engine.events import EventType
from pneumatic_async.testing.engine.running import WorkflowRunner
from pneumatic_async.testing.state import (
    DONE,
    RUNNING,
    SNOOZED,
    StoredDelay,
    StoredFieldValue,
    StoredTask,
    StoredUser,
    StoredWorkflow,
)

__all__ = ["WorkflowActions"]


class WorkflowActions(WorkflowRunner):
    """What callers do to workflows: snooze, resume, finish, delete, urgency, kickoff edits."""

    def snooze(self, workflow: StoredWorkflow, until: float, user: StoredUser) -> None:
        """``POST /workflows/<id>/snooze``: active tasks wait until ``until``."""
        now = self.now()
        workflow.status = SNOOZED
        last: StoredTask | None = None
        for task in workflow.tasks:
            if task.status != "active":
                continue
            task.status = "snoozed"
            delay = task.delay if task.delay is not None and task.delay.end_date is None else None
            if delay is None:
                delay = StoredDelay(id=self.state.next_id("delay"), duration=until - now)
                task.delay = delay
            delay.directly = True
            delay.duration = until - now
            delay.start_date = now
            delay.estimated_end_date = until
            heapq.heappush(self._delays, (until, task.id, delay.id))
            last = task
        # The workflow-snoozed event has no task, only the delay.
        self._event(workflow, EventType.FORCE_SNOOZE, user=user, delay=last.delay if last else None)

    def resume(self, workflow: StoredWorkflow, user: StoredUser) -> None:
        """``POST /workflows/<id>/resume`` (a running workflow: no-op)."""
        if workflow.status == RUNNING:
            return
        if workflow.status == DONE:
            workflow.date_completed = None
        workflow.status = RUNNING
        self._event(workflow, EventType.FORCE_RESUME, user=user)
        for task in [t for t in workflow.tasks if t.status == "snoozed"]:
            self._continue_task(task, returned=False)

    def finish(self, workflow: StoredWorkflow, user: StoredUser) -> None:
        """``POST /workflows/<id>/finish`` (validated by the caller)."""
        self._complete_workflow(workflow)
        self._event(workflow, EventType.ENDED, user=user)

    def delete(self, workflow: StoredWorkflow) -> None:
        """``DELETE /workflows/<id>``: the workflow and its tasks are gone (no webhook)."""
        workflow.deleted = True
        self.state.workflows.pop(workflow.id, None)
        for task in workflow.tasks:
            self.state.tasks.pop(task.id, None)

    def set_urgent(self, workflow: StoredWorkflow, urgent: bool, user: StoredUser) -> None:
        """Mark/unmark urgent; started tasks follow."""
        if urgent == workflow.is_urgent:
            return
        workflow.is_urgent = urgent
        for task in workflow.tasks:
            if task.status in ("active", "snoozed"):
                task.is_urgent = urgent
        self._event(workflow, EventType.URGENT if urgent else EventType.NOT_URGENT, user=user)

    def update_kickoff(
        self, workflow: StoredWorkflow, data: dict[str, Any], user: StoredUser
    ) -> None:
        """Set the given kickoff values (``PATCH /workflows/<id>``), then refresh names."""
        updates: list[tuple[StoredFieldValue, FieldData]] = []
        for value in workflow.kickoff_fields:
            if value.api_name in data:
                stored = validate_value(
                    value.definition,
                    data[value.api_name],
                    state=self.state,
                    user=user,
                    file_service_url=self.file_service_url,
                )
                updates.append((value, stored))
        for value, stored in updates:
            value.value = stored.value
            value.markdown_value = stored.markdown_value
            value.clear_value = stored.clear_value
            value.user_id = stored.user_id
            value.group_id = stored.group_id
        for task in workflow.tasks:
            if task.status != "pending":
                self._render_task_text(task)
