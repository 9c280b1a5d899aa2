"""Task actions (contract §7.4-7.5, §11.7): complete, revert, return-to, comments, due dates."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import (
    FieldData,
    validate_value,
)
from pneumatic_async.testing.engine.events import EventType
from pneumatic_async.testing.engine.performers import can_complete, complete_share, performers_for
from pneumatic_async.testing.engine.running import WorkflowRunner
from pneumatic_async.testing.errors import (
    ApiError,
    forbidden,
    service_error,
)
from pneumatic_async.testing.state import (
    DONE,
    RUNNING,
    SNOOZED,
    StoredEvent,
    StoredFieldValue,
    StoredTask,
    StoredUser,
    StoredWorkflow,
)

__all__ = ["TaskActions"]


class TaskActions(WorkflowRunner):
    """What callers do to tasks: complete, revert, return to, comment, set a due date."""

    def complete(self, task: StoredTask, user: StoredUser, output: dict[str, Any] | None) -> None:
        """``POST /v2/tasks/<id>/complete`` (the caller completes their share, or the task)."""
        workflow = task.workflow
        if workflow.status == SNOOZED:
            raise service_error("You need to resume the workflow before completing the task.")
        if workflow.status == DONE:
            raise service_error("You have already completed this workflow.")
        if task.status != "active":
            raise service_error("Available only for active tasks.")
        mine = performers_for(self.state, task, user.id)
        if not mine and not user.is_account_owner:
            raise service_error(
                "You must be added to the task as a performer to complete this action."
            )
        if any(not s["is_selected"] for c in task.checklists for s in c["selections"]):
            raise service_error(
                "Check off all the items in the checklist before completing the task."
            )
        if any(
            w.status != DONE and not w.deleted for w in self.state.sub_workflows.get(task.id, [])
        ):
            raise service_error(
                "The task can't be completed until all the embedded workflows are done."
            )
        output = output or {}
        updates: list[tuple[StoredFieldValue, FieldData]] = []
        for value in task.fields:
            if value.api_name in output:
                stored = validate_value(
                    value.definition,
                    output[value.api_name],
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
        self._event(workflow, EventType.TASK_COMPLETE, task=task, user=user, with_output=True)
        if mine and not can_complete(self.state, task, user.id):
            complete_share(self.state, task, user.id, self.now())
        else:
            self._complete_task(task)
        self._check_delay(workflow)

    def revert(self, task: StoredTask, user: StoredUser, comment: str = "") -> None:
        """``POST /v2/tasks/<id>/revert`` (the comment, validated by the caller, becomes the
        revert event's text)."""
        workflow = task.workflow
        if user.type == "guest":
            raise forbidden()
        if task.status != "active":
            raise service_error("Available only for active tasks.")
        if workflow.status == RUNNING:
            if any(
                w.status != DONE and not w.deleted
                for w in self.state.sub_workflows.get(task.id, [])
            ):
                raise service_error(
                    "The task can't be returned until all the embedded workflows are done."
                )
        elif workflow.status == SNOOZED:
            raise service_error("Snoozed workflow cannot be changed.")
        else:
            raise service_error("Completed workflow cannot be changed.")
        try:
            mine = performers_for(self.state, task, user.id)
        except ApiError:
            raise service_error("Completed task can't be returned.") from None
        if not mine and not user.is_account_owner:
            raise service_error(
                "You must be added to the task as a performer to complete this action."
            )
        targets = serializers.revert_targets(task)
        self._validate_revert(targets)
        for target in targets:
            self._event(workflow, EventType.TASK_REVERT, task=target, user=user, text=comment)
        self._return_to_tasks(workflow, [task], targets)

    def _revert_possible(self, targets: list[StoredTask]) -> bool:
        for target in targets:
            if self.conditions(target) in ("start", "end"):
                return True
            if self._revert_possible(serializers.revert_targets(target)):
                return True
        return False

    def _validate_revert(self, targets: list[StoredTask]) -> None:
        if not targets:
            raise service_error("You can't revert from the first task.")
        deeper = False
        for target in targets:
            if self.conditions(target) in ("start", "end"):
                return
            previous = serializers.revert_targets(target)
            if previous:
                deeper = True
                if self._revert_possible(previous):
                    return
        name = targets[0].name
        if deeper:
            raise service_error(
                f'Unable return to "{name}", because it was skipped by a condition '
                "(as were all the tasks before it)."
            )
        raise service_error(f'Unable return to "{name}" because it was skipped by a condition.')

    def return_to(self, workflow: StoredWorkflow, target: StoredTask, user: StoredUser) -> None:
        """``POST /workflows/<id>/return-to``."""
        if target.status == "pending":
            raise service_error("A workflow can't return to a later task.")
        if self.conditions(target) in (None, "skip"):
            raise service_error(
                f'Unable return to "{target.name}" because it was skipped by a condition.'
            )
        sources = [t for t in workflow.tasks if t.status in ("active", "snoozed")]
        if workflow.status == RUNNING:
            for source in sources:
                if any(
                    w.status != DONE and not w.deleted
                    for w in self.state.sub_workflows.get(source.id, [])
                ):
                    raise service_error(
                        "The task can't be returned until all the embedded workflows are done."
                    )
        self._event(workflow, EventType.REVERT, task=target, user=user)
        self._return_to_tasks(workflow, sources, [target])

    def _return_to_tasks(
        self, workflow: StoredWorkflow, sources: list[StoredTask], targets: list[StoredTask]
    ) -> None:
        if workflow.status != RUNNING:
            workflow.date_completed = None
            workflow.status = RUNNING
        for target in targets:
            action = self.conditions(target)
            if action is not None:
                self._apply_returned(action, target)
        for target in targets:
            self._deactivate(target)
        self._check_delay(workflow)
        for source in sources:
            self._emit_task("task_returned", source)

    def _deactivate(self, parent: StoredTask) -> None:
        workflow = parent.workflow
        deactivated = []
        for task in workflow.tasks:
            if parent.api_name not in task.parents or task.status == "pending":
                continue
            action = self.conditions(task)
            if action is None:
                if task.delay is not None:
                    if task.delay.directly:
                        task.delay.end_date = self.now()
                    else:
                        task.delay = None
                task.date_started = None
                task.date_completed = None
                task.status = "pending"
                for performer in task.performers:
                    performer.is_completed = False
                    performer.date_completed = None
                task.group_user_completions.clear()
                deactivated.append(task)
            elif action == "skip":
                deactivated.append(task)
        for task in deactivated:
            self._deactivate(task)

    def comment(
        self, workflow: StoredWorkflow, task: StoredTask | None, user: StoredUser, text: str
    ) -> StoredEvent:
        """Add a comment event (workflow or task)."""
        if workflow.status == DONE:
            raise service_error("You cannot write a comment on a completed workflow.")
        if task is not None:
            task.contains_comments = True
        return self._event(workflow, EventType.COMMENT, task=task, user=user, text=text)

    def set_task_due_date(self, task: StoredTask, due_date: float | None, user: StoredUser) -> None:
        """``POST/DELETE /v2/tasks/<id>/due-date``."""
        task.due_date = due_date
        self._event(task.workflow, EventType.DUE_DATE_CHANGED, task=task, user=user)
