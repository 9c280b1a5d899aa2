"""The workflow engine of the fake server (contract §11), mirroring the real server's
``WorkflowActionService``.

* **run** — workflow, kickoff values and all tasks are created (``pending``); then pending tasks
  are evaluated one at a time: the first whose conditions allow an action gets it (start, skip,
  end the workflow) and evaluation starts over, until nothing more happens. With no pending task
  left and nothing active/snoozed, the workflow completes.
* **conditions** — rules are OR'd, predicates AND'd; of several ``start_task`` conditions only the
  last counts; ``end_process`` beats ``skip_task`` beats start.
* **start** — variables filled in, performers resolved (user, group, workflow starter, user field,
  manager); no performers → skipped; ``skip_for_starter``; template ``delay`` → snoozed.
* **complete / revert / return-to / snooze / resume / finish / delete / urgency** as in §7 and §6.5.

Webhook events are handed to ``emit(event, payload)`` only when the account has hooks for them
(payloads are computed at event time, like the real server's).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import (
    FieldData,
    format_user_date,
    insert_vars,
    truncate,
    validate_value,
)
from pneumatic_async.testing.errors import (
    ApiError,
    forbidden,
    message_error,
    service_error,
)
from pneumatic_async.testing.state import (
    DONE,
    RUNNING,
    SNOOZED,
    State,
    StoredDelay,
    StoredEvent,
    StoredFieldValue,
    StoredPerformer,
    StoredTask,
    StoredTemplate,
    StoredUser,
    StoredWorkflow,
)

__all__ = ["Engine", "EventType"]

WORKFLOW_NAME_LENGTH: Final = 120
_MONTH: Final = 30 * 86400

Action = Literal["start", "skip", "end"]


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


def _unary(operator: str) -> bool:
    return operator in ("exists", "not_exists", "completed", "skipped", "completed_or_skipped")


def _compare(operator: str, field: Any, value: Any) -> bool:
    """The real server's ``Comparator`` (missing values make comparisons false)."""
    if operator == "equals":
        return bool(field == value)
    if operator == "not_equals":
        return bool(field != value)
    if operator == "contains":
        return field is not None and value is not None and value in field
    if operator == "not_contains":
        return field is not None and value is not None and value not in field
    if operator == "exists":
        return field is not None and (field == 0 or bool(field))
    if operator == "not_exists":
        return not (field is not None and (field == 0 or bool(field)))
    if operator in ("more_than", "less_than"):
        if field is None or value is None:
            return False
        return bool(field > value) if operator == "more_than" else bool(field < value)
    return bool(field)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return value if isinstance(value, int) else None


class Engine:
    """Runs and advances workflows in a :class:`~pneumatic_async.testing.state.State`.

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

    # -- helpers -----------------------------------------------------------------------------

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

    # -- run ---------------------------------------------------------------------------------

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
            source = _int_or_none(owner["source_id"])
            if source is None:
                continue
            if owner["type"] == "user":
                ids.add(source)
            elif source in self.state.groups:
                ids.update(self.state.groups[source].user_ids)
        return sorted(ids)

    # -- conditions --------------------------------------------------------------------------

    def conditions(self, task: StoredTask) -> Action | None:
        """The action the task's conditions call for now (``None``: keep waiting)."""
        conditions = sorted(task.template_task.conditions, key=lambda c: c["order"])
        start = [c for c in conditions if c["action"] == "start_task"]
        if start and not self._check(task.workflow, start[-1]):
            return None
        skip = False
        for condition in conditions:
            if condition["action"] == "start_task":
                continue
            if self._check(task.workflow, condition):
                if condition["action"] == "end_process":
                    return "end"
                skip = True
        return "skip" if skip else "start"

    def _check(self, workflow: StoredWorkflow, condition: dict[str, Any]) -> bool:
        return any(
            all(self._predicate(workflow, p) for p in rule["predicates"])
            for rule in condition["rules"]
        )

    def _predicate(self, workflow: StoredWorkflow, predicate: dict[str, Any]) -> bool:
        field_type = predicate["field_type"]
        operator = predicate["operator"]
        raw = predicate["value"]
        if field_type == "kickoff":
            return True
        if field_type == "task":
            target = workflow.task(predicate["field"])
            if target is None:
                return False
            if operator == "skipped":
                return target.status == "skipped"
            if operator == "completed":
                return target.status == "completed"
            return target.status in ("completed", "skipped")
        value = workflow.field_value(predicate["field"])
        if value is None:
            return False
        field: Any
        wanted: Any = raw
        if field_type == "number":
            field = _decimal(value.value)
            wanted = _decimal(raw)
        elif field_type == "checkbox":
            field = value.value.split(",") if value.value else []
            if operator in ("equals", "not_equals"):
                wanted = [raw]
        elif field_type == "user":
            field = value.user_id or None
            wanted = _int_or_none(raw) if raw else None
        elif field_type == "group":
            field = value.group_id or None
            wanted = _int_or_none(raw) if raw else None
        elif field_type == "date":
            field = _int_or_none(value.value)
            wanted = _int_or_none(raw)
        elif field_type == "file":
            field = bool(value.value) or None
        else:
            field = value.value or None
        if _unary(operator):
            return _compare(operator, field, None)
        return _compare(operator, field, wanted)

    # -- starting tasks ----------------------------------------------------------------------

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

    def _resolve_performers(self, task: StoredTask) -> list[StoredPerformer]:
        workflow = task.workflow
        users = self.state.users
        result: list[StoredPerformer] = []
        seen: set[tuple[str, int]] = set()

        def add(kind: str, source_id: int | None) -> None:
            if source_id is None or (kind, source_id) in seen:
                return
            if kind == "user":
                user = users.get(source_id)
                if user is None or user.status == "inactive":
                    return
            elif source_id not in self.state.groups:
                return
            seen.add((kind, source_id))
            result.append(StoredPerformer(type=kind, source_id=source_id))

        for raw in task.template_task.raw_performers:
            kind, source = raw["type"], raw.get("source_id")
            if kind == "user":
                add("user", _int_or_none(source))
            elif kind == "group":
                add("group", _int_or_none(source))
            elif kind == "workflow_starter":
                if not workflow.is_external:
                    add("user", workflow.workflow_starter)
            elif kind == "field":
                value = workflow.field_value(str(source))
                if value is not None:
                    add("user", value.user_id)
                    add("group", value.group_id)
            elif kind == "manager":
                source_task = workflow.task(str(source))
                for performer in source_task.performers if source_task else []:
                    if performer.type == "user" and performer.source_id in users:
                        add("user", users[performer.source_id].manager_id)
        return result

    def _performer_users(self, task: StoredTask) -> set[int]:
        ids: set[int] = set()
        for performer in task.performers:
            if performer.type == "user":
                ids.add(performer.source_id)
            else:
                group = self.state.groups.get(performer.source_id)
                for user_id in group.user_ids if group else []:
                    user = self.state.users.get(user_id)
                    if user is not None and user.status != "inactive":
                        ids.add(user_id)
        return ids

    def _start_task(self, task: StoredTask, *, returned: bool) -> str:
        """``start_task``; returns ``"skipped"``, ``"snoozed"`` or ``"started"``.

        Not returned: the caller's loop goes on evaluating. Returned: the follow-up (previous
        tasks or next tasks) happens here.
        """
        workflow = task.workflow
        self._render_task_text(task)
        task.performers = self._resolve_performers(task)
        users = self._performer_users(task)
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
                self._complete_share(task, starter, now)
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

    def _apply_returned(self, action: Action, task: StoredTask) -> None:
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

    # -- completing --------------------------------------------------------------------------

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

    def _performers_for(self, task: StoredTask, user_id: int) -> list[StoredPerformer]:
        """The caller's performer records (direct or via a group); raises if already done."""
        if user_id in task.group_user_completions:
            raise service_error("You have already completed this task.")
        result = []
        for performer in task.performers:
            if performer.type == "user":
                mine = performer.source_id == user_id
            else:
                group = self.state.groups.get(performer.source_id)
                mine = group is not None and user_id in group.user_ids
            if mine:
                if performer.is_completed:
                    raise service_error("You have already completed this task.")
                result.append(performer)
        return result

    def _complete_share(self, task: StoredTask, user_id: int, now: float) -> None:
        for performer in task.performers:
            if performer.type == "user" and performer.source_id == user_id:
                performer.is_completed, performer.date_completed = True, now
            elif performer.type == "group":
                group = self.state.groups.get(performer.source_id)
                if group is not None and user_id in group.user_ids:
                    task.group_user_completions[user_id] = now

    def _can_complete(self, task: StoredTask, user_id: int) -> bool:
        if not task.template_task.require_completion_by_all:
            return True
        for performer in task.performers:
            if performer.type == "user":
                if performer.source_id != user_id and not performer.is_completed:
                    return False
            else:
                group = self.state.groups.get(performer.source_id)
                for member in group.user_ids if group else []:
                    if member != user_id and member not in task.group_user_completions:
                        return False
        return True

    def complete(self, task: StoredTask, user: StoredUser, output: dict[str, Any] | None) -> None:
        """``POST /v2/tasks/<id>/complete`` (the caller completes their share, or the task)."""
        workflow = task.workflow
        if workflow.status == SNOOZED:
            raise service_error("You need to resume the workflow before completing the task.")
        if workflow.status == DONE:
            raise service_error("You have already completed this workflow.")
        if task.status != "active":
            raise service_error("Available only for active tasks.")
        mine = self._performers_for(task, user.id)
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
        if mine and not self._can_complete(task, user.id):
            self._complete_share(task, user.id, self.now())
        else:
            self._complete_task(task)
        self._check_delay(workflow)

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

    # -- returning ---------------------------------------------------------------------------

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
            mine = self._performers_for(task, user.id)
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

    # -- workflow actions --------------------------------------------------------------------

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

    # -- time --------------------------------------------------------------------------------

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


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
