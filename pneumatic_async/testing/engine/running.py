"""Running workflows (contract §11.1-2, 5-6): run, start tasks, end the workflow, resume delays."""

from __future__ import annotations

import heapq
import math
from typing import Any, Final

from pneumatic_async.testing._values import (
    FieldData,
    format_user_date,
    insert_vars,
    truncate,
    validate_value,
)
from pneumatic_async.testing.engine.conditions import ConditionAction, int_or_none, next_action
from pneumatic_async.testing.engine.events import EventLog, EventType
from pneumatic_async.testing.engine.performers import (
    complete_share,
    performer_users,
    resolve_performers,
)
from pneumatic_async.testing.errors import (
    message_error,
)
from pneumatic_async.testing.state import (
    DONE,
    RUNNING,
    SNOOZED,
    StoredDelay,
    StoredFieldValue,
    StoredTask,
    StoredTemplate,
    StoredUser,
    StoredWorkflow,
)

__all__ = ["WorkflowRunner"]


WORKFLOW_NAME_LENGTH: Final = 120
_MONTH: Final = 30 * 86400


class WorkflowRunner(EventLog):
    """Runs workflows: creation, condition evaluation, task starts, completion of the workflow,
    and the periodic job that resumes expired delays."""

    def run(
        self,
        template: StoredTemplate,
        starter: StoredUser,
        *,
        name: str | None = None,
        is_urgent: bool = False,
        due_date: float | None = None,
        kickoff: dict[str, Any] | None = None,
        ancestor_task: StoredTask | None = None,
    ) -> StoredWorkflow:
        """Create and start a workflow (``POST /templates/<id>/run``)."""
        if not template.is_active:
            raise message_error(
                "Your template is disabled. Please, enable this template before running."
            )
        state = self.state
        now = self.now()
        workflow_id = state.next_id("workflow")
        kickoff_id = state.next_id("kickoff")
        values = {
            "date": format_user_date(now, starter),
            "template-name": template.name,
            "workflow-starter": starter.name,
        }
        if name:
            workflow_name = insert_vars(name, values) or ""
        elif template.wf_name_template:
            workflow_name = insert_vars(template.wf_name_template, values) or ""
        else:
            workflow_name = f"{values['date']} — {template.name}"
        workflow_name = insert_vars(workflow_name, {"workflow-id": str(workflow_id)}) or ""
        workflow = StoredWorkflow(
            id=workflow_id,
            name=workflow_name,
            template=template,
            date_created=now,
            kickoff_id=kickoff_id,
            description=template.description,
            finalizable=template.finalizable,
            is_urgent=is_urgent,
            workflow_starter=starter.id,
            ancestor_task_id=ancestor_task.id if ancestor_task else None,
            due_date=due_date,
        )
        data = kickoff or {}
        for definition in sorted(template.kickoff_fields, key=lambda f: -f.order):
            stored = validate_value(
                definition,
                data.get(definition.api_name),
                state=state,
                user=starter,
                file_service_url=self.file_service_url,
            )
            workflow.kickoff_fields.append(
                self._field(definition, workflow, stored, kickoff_id=kickoff_id)
            )
        if "{{" in workflow.name:
            kickoff_values = {v.api_name: v.value for v in workflow.kickoff_fields}
            workflow.name = insert_vars(workflow.name, kickoff_values) or ""
        workflow.name = truncate(workflow.name, WORKFLOW_NAME_LENGTH)
        for template_task in sorted(template.tasks, key=lambda t: t.number):
            task = StoredTask(
                id=state.next_id("task"),
                workflow=workflow,
                template_task=template_task,
                name=template_task.name,
                description=template_task.description,
                is_urgent=is_urgent,
            )
            for definition in sorted(template_task.fields, key=lambda f: -f.order):
                value = StoredFieldValue(
                    id=state.next_id("field"),
                    definition=definition,
                    workflow_id=workflow.id,
                    task_id=task.id,
                    markdown_value=None,
                    clear_value=None,
                )
                task.fields.append(value)
            for checklist in template_task.checklists:
                checklist_id = state.next_id("checklist")
                state.checklist_tasks[checklist_id] = task
                task.checklists.append(
                    {
                        "id": checklist_id,
                        "api_name": checklist["api_name"],
                        "selections": [
                            {
                                "id": state.next_id("checklist_selection"),
                                "api_name": s["api_name"],
                                "value": s["value"],
                                "is_selected": False,
                            }
                            for s in checklist["selections"]
                        ],
                    }
                )
            workflow.tasks.append(task)
            state.tasks[task.id] = task
        workflow.owners = self._template_owner_users(template)
        state.workflows[workflow.id] = workflow
        template.workflows_count += 1
        if ancestor_task is not None:
            state.sub_workflows.setdefault(ancestor_task.id, []).append(workflow)

        for task in workflow.tasks:
            if not task.parents:
                self._render_task_text(task)
        self._event(workflow, EventType.RUN, user=starter)
        self._start_next(workflow)
        self._check_delay(workflow)
        self._emit_workflow("workflow_started", workflow)
        return workflow

    def _field(
        self,
        definition: Any,
        workflow: StoredWorkflow,
        stored: FieldData,
        *,
        kickoff_id: int | None = None,
        task_id: int | None = None,
    ) -> StoredFieldValue:
        return StoredFieldValue(
            id=self.state.next_id("field"),
            definition=definition,
            workflow_id=workflow.id,
            task_id=task_id,
            kickoff_id=kickoff_id,
            value=stored.value,
            markdown_value=stored.markdown_value,
            clear_value=stored.clear_value,
            user_id=stored.user_id,
            group_id=stored.group_id,
        )

    def _template_owner_users(self, template: StoredTemplate) -> list[int]:
        ids: set[int] = set()
        for owner in template.owners:
            if owner.get("role", "owner") != "owner":
                continue
            source = int_or_none(owner["source_id"])
            if source is None:
                continue
            if owner["type"] == "user":
                ids.add(source)
            elif source in self.state.groups:
                ids.update(self.state.groups[source].user_ids)
        return sorted(ids)

    def conditions(self, task: StoredTask) -> ConditionAction | None:
        """The action the task's conditions call for now (``None``: keep waiting)."""
        return next_action(task)

    def _start_next(self, workflow: StoredWorkflow, parent: StoredTask | None = None) -> None:
        """Evaluate pending tasks until nothing changes (``_start_next_tasks``)."""
        while True:
            pending = [t for t in workflow.tasks if t.status == "pending"]
            if not pending:
                if not any(t.status in ("active", "pending", "snoozed") for t in workflow.tasks):
                    self._end_process(
                        workflow,
                        parent,
                        by_condition=False,
                        by_complete=parent is not None and parent.status == "completed",
                    )
                return
            for task in pending:
                action = self.conditions(task)
                if action is not None:
                    break
            else:
                return
            if action == "end":
                self._end_process(workflow, task, by_condition=True, by_complete=False)
                return
            if action == "skip":
                self._render_task_text(task)
                self._event(workflow, EventType.TASK_SKIP, task=task)
                task.status = "skipped"
                parent = task
                continue
            outcome = self._start_task(task, returned=False)
            parent = task if outcome == "skipped" else None

    def _start_task(self, task: StoredTask, *, returned: bool) -> str:
        """``start_task``; returns ``"skipped"``, ``"snoozed"`` or ``"started"``.

        Not returned: the caller's loop goes on evaluating. Returned: the follow-up (previous
        tasks or next tasks) happens here.
        """
        workflow = task.workflow
        self._render_task_text(task)
        task.performers = resolve_performers(self.state, task)
        users = performer_users(self.state, task)
        if not users:
            self._event(workflow, EventType.TASK_SKIP_NO_PERFORMERS, task=task)
            task.status = "skipped"
            if returned:
                self._start_prev(task)
            return "skipped"
        template_task = task.template_task
        if template_task.skip_for_starter and not workflow.is_external:
            starter = workflow.workflow_starter
            if starter in users:
                others = users - {starter}
                if not template_task.require_completion_by_all or not others:
                    self._event(workflow, EventType.TASK_SKIP, task=task)
                    if returned and task.parents:
                        task.status = "pending"
                        self._start_prev(task)
                    else:
                        task.status = "skipped"
                        if returned:
                            self._start_next(workflow, task)
                    return "skipped"
        if returned:
            self._continue_workflow(task, returned=True)
            return "started"
        if template_task.delay is not None:
            now = self.now()
            task.status = "snoozed"
            task.delay = StoredDelay(
                id=self.state.next_id("delay"),
                duration=template_task.delay,
                start_date=now,
                estimated_end_date=now + template_task.delay,
            )
            heapq.heappush(self._delays, (now + template_task.delay, task.id, task.delay.id))
            self._event(workflow, EventType.TASK_SNOOZED, task=task)
            return "snoozed"
        self._continue_workflow(task, returned=False, loop=True)
        return "started"

    def _continue_workflow(self, task: StoredTask, *, returned: bool, loop: bool = False) -> None:
        workflow = task.workflow
        if workflow.status != RUNNING:
            workflow.status = RUNNING
        self._continue_task(task, returned=returned, loop=loop)

    def _continue_task(self, task: StoredTask, *, returned: bool, loop: bool = False) -> None:
        """Make the task active (after start, delay end or return)."""
        workflow = task.workflow
        now = self.now()
        event_exists = not returned and task.date_started is not None
        if task.delay is not None and task.delay.end_date is None:
            task.delay.end_date = now
        task.is_urgent = workflow.is_urgent
        task.date_completed = None
        task.status = "active"
        task.date_started = now
        if task.date_first_started is None:
            task.date_first_started = now
        self._set_due_date(task)
        for later in workflow.tasks:
            if later.number >= task.number:
                for performer in later.performers:
                    performer.is_completed = False
                    performer.date_completed = None
                later.group_user_completions.clear()
        if task.template_task.skip_for_starter and task.template_task.require_completion_by_all:
            starter = workflow.workflow_starter
            if not workflow.is_external and starter is not None:
                complete_share(self.state, task, starter, now)
        if not event_exists:
            self._event(workflow, EventType.TASK_START, task=task)
        if not loop:
            self._start_next(workflow)

    def _set_due_date(self, task: StoredTask) -> None:
        due = task.template_task.raw_due_date
        if due is None:
            return
        workflow = task.workflow
        seconds = due["duration"] + due["duration_months"] * _MONTH
        rule, source = due["rule"], due["source_id"]
        base: float | None = None
        if rule == "after workflow started":
            base = workflow.date_created
        elif rule in ("after task started", "after task completed"):
            source_task = workflow.task(str(source))
            if source_task is not None:
                if rule == "after task started":
                    base = source_task.date_started
                else:
                    base = source_task.date_completed
        else:
            value = workflow.field_value(str(source))
            if value is not None and value.value:
                try:
                    base = float(value.value)
                except ValueError:
                    base = None
            if base is not None and rule == "before field":
                seconds = -seconds
        task.due_date = base + seconds if base is not None else None

    def _start_prev(self, child: StoredTask) -> None:
        for task in child.workflow.tasks:
            if task.api_name in child.parents:
                action = self.conditions(task)
                if action is not None:
                    self._apply_returned(action, task)

    def _apply_returned(self, action: ConditionAction, task: StoredTask) -> None:
        workflow = task.workflow
        if action == "end":
            self._end_process(workflow, task, by_condition=False, by_complete=False)
        elif action == "skip":
            self._render_task_text(task)
            self._event(workflow, EventType.TASK_SKIP, task=task)
            if task.parents:
                task.status = "pending"
                self._start_prev(task)
            else:
                task.status = "skipped"
                self._start_next(workflow, task)
        else:
            self._start_task(task, returned=True)

    def _check_delay(self, workflow: StoredWorkflow) -> None:
        if (
            workflow.status == RUNNING
            and not any(t.status == "active" for t in workflow.tasks)
            and any(t.status == "snoozed" for t in workflow.tasks)
        ):
            workflow.status = SNOOZED

    def _complete_workflow(self, workflow: StoredWorkflow) -> None:
        now = self.now()
        for task in workflow.tasks:
            if task.status == "snoozed":
                if task.delay is not None:
                    task.delay.end_date = now
                task.status = "active"
        if workflow.is_urgent:
            workflow.is_urgent = False
            for task in workflow.tasks:
                task.is_urgent = False
        workflow.status = DONE
        workflow.date_completed = now
        self._emit_workflow("workflow_completed", workflow)

    def _end_process(
        self,
        workflow: StoredWorkflow,
        task: StoredTask | None,
        *,
        by_condition: bool,
        by_complete: bool,
        user: StoredUser | None = None,
    ) -> None:
        self._complete_workflow(workflow)
        if by_condition:
            self._event(workflow, EventType.ENDED_BY_CONDITION, task=task)
        elif by_complete:
            self._event(workflow, EventType.COMPLETE, task=task)
        else:
            self._event(workflow, EventType.ENDED, user=user)

    def _complete_task(self, task: StoredTask) -> None:
        now = self.now()
        task.status = "completed"
        task.date_completed = now
        if task.date_started is None:
            task.date_started = now
        for performer in task.performers:
            if not performer.is_completed:
                performer.is_completed, performer.date_completed = True, now
        self._start_next(task.workflow, task)
        self._emit_task("task_completed", task)

    def next_delay_job(self, after: float) -> float:
        """When the delay job first runs at or after ``after``."""
        interval = self.delay_job_interval
        if interval <= 0:
            return after
        runs = math.ceil((after - self.delay_job_epoch) / interval)
        return self.delay_job_epoch + max(runs, 0) * interval

    def advance(self) -> None:
        """Apply the runs of the delay job due by now (the real server's periodic job).

        A delay ending at ``t`` is resumed by the first job run at or after ``t``, and the task
        starts at that run's time; between its end and that run the task stays snoozed.
        """
        now = self.clock()
        delays = self._delays
        while delays and self.next_delay_job(delays[0][0]) <= now:
            ends, task_id, delay_id = heapq.heappop(delays)
            self._resume_expired(task_id, delay_id, at=self.next_delay_job(ends))

    def run_delay_job(self) -> None:
        """Run the delay job now: resume every delay that has ended by now."""
        now = self.clock()
        delays = self._delays
        while delays and delays[0][0] <= now:
            _, task_id, delay_id = heapq.heappop(delays)
            self._resume_expired(task_id, delay_id, at=now)

    def _resume_expired(self, task_id: int, delay_id: int, *, at: float) -> None:
        task = self.state.tasks.get(task_id)
        if (
            task is None
            or task.status != "snoozed"
            or task.delay is None
            or task.delay.id != delay_id
            or task.workflow.status == DONE
        ):
            return
        workflow = task.workflow
        self._at = at
        try:
            self._continue_task(task, returned=False)
            if not any(t.status == "snoozed" for t in workflow.tasks):
                workflow.status = RUNNING
        finally:
            self._at = None
