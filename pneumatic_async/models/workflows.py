"""Workflows: details (``GET /workflows/<id>``, run, snooze, resume, patch), list items, fields
(``GET /workflows/fields``) and events (``GET /workflows/<id>/events``, comments)."""

import enum
from datetime import datetime
from typing import Any

import attrs

from pneumatic_async.models.common import (
    Delay,
    FieldSet,
    FieldType,
    Performer,
    TaskField,
    TaskStatus,
    WorkflowStatus,
)

__all__ = [
    "EventTask",
    "TaskFieldList",
    "Workflow",
    "WorkflowDetails",
    "WorkflowEvent",
    "WorkflowEventStatus",
    "WorkflowEventType",
    "WorkflowFields",
    "WorkflowKickoff",
    "WorkflowListItem",
    "WorkflowTask",
    "WorkflowTemplate",
]


@attrs.frozen(kw_only=True)
class WorkflowTemplate:
    """The template a workflow runs (``template`` of workflow bodies); list items lack
    ``wf_name_template``."""

    id: int
    name: str
    is_active: bool
    wf_name_template: str | None = None


@attrs.frozen(kw_only=True)
class WorkflowTask:
    """A task inside a workflow body (``tasks[]``; skipped tasks are left out by the server)."""

    id: int
    name: str
    api_name: str
    number: int
    status: TaskStatus | str
    description: str | None = None
    delay: Delay | None = None
    due_date_tsp: datetime | None = None
    date_started_tsp: datetime | None = None
    date_completed_tsp: datetime | None = None
    performers: list[Performer] = attrs.Factory(list)
    checklists_total: int = 0
    checklists_marked: int = 0


@attrs.frozen(kw_only=True)
class WorkflowKickoff:
    """A workflow's kickoff values (``kickoff`` of workflow details)."""

    id: int
    output: list[TaskField] = attrs.Factory(list)
    fieldsets: list[FieldSet] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Workflow:
    """A workflow (the server's WorkflowDetails): ``GET /workflows/<id>``, ``POST
    /templates/<id>/run``, snooze/resume/patch, and the ``workflow`` of webhook payloads.

    There is no ``current_task``: the active tasks are ``tasks`` with status ``active``
    (:attr:`active_tasks`).
    """

    id: int
    name: str
    status: WorkflowStatus | int
    date_created_tsp: datetime
    description: str | None = None
    finalizable: bool = False
    is_external: bool = False
    is_urgent: bool = False
    date_completed_tsp: datetime | None = None
    due_date_tsp: datetime | None = None
    workflow_starter: int | None = None
    ancestor_task_id: int | None = None
    is_legacy_template: bool = False
    legacy_template_name: str | None = None
    template: WorkflowTemplate | None = None
    owners: list[int] = attrs.Factory(list)
    tasks: list[WorkflowTask] = attrs.Factory(list)
    kickoff: WorkflowKickoff | None = None
    is_read_only_viewer: bool = False

    @property
    def active_tasks(self) -> list[WorkflowTask]:
        """The tasks whose status is ``active``."""
        return [task for task in self.tasks if task.status == TaskStatus.ACTIVE]


#: The server's name for :class:`Workflow`.
WorkflowDetails = Workflow


@attrs.frozen(kw_only=True)
class TaskFieldList:
    """A field value as ``GET /workflows/fields`` (and workflow list ``fields``) give it: with
    ``task_id``/``kickoff_id``/``fieldset_id``, without selections."""

    id: int
    api_name: str
    name: str
    type: FieldType | str
    order: int = 0
    task_id: int | None = None
    kickoff_id: int | None = None
    fieldset_id: int | None = None
    is_required: bool = False
    is_hidden: bool = False
    description: str | None = None
    value: str = ""
    markdown_value: str | None = None
    clear_value: str | None = None
    user_id: int | None = None
    group_id: int | None = None


@attrs.frozen(kw_only=True)
class WorkflowListItem:
    """An item of ``GET /workflows`` (also a task's ``sub_workflows``): details without
    ``kickoff``, plus the ``fields`` named by the ``fields=`` filter."""

    id: int
    name: str
    status: WorkflowStatus | int
    date_created_tsp: datetime
    description: str | None = None
    finalizable: bool = False
    is_external: bool = False
    is_urgent: bool = False
    date_completed_tsp: datetime | None = None
    due_date_tsp: datetime | None = None
    workflow_starter: int | None = None
    ancestor_task_id: int | None = None
    is_legacy_template: bool = False
    legacy_template_name: str | None = None
    template: WorkflowTemplate | None = None
    owners: list[int] = attrs.Factory(list)
    tasks: list[WorkflowTask] = attrs.Factory(list)
    fields: list[TaskFieldList] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class WorkflowFields:
    """An item of ``GET /workflows/fields``: a workflow and its field values."""

    id: int
    name: str
    status: WorkflowStatus | int
    date_created_tsp: datetime
    date_completed_tsp: datetime | None = None
    fields: list[TaskFieldList] = attrs.Factory(list)


class WorkflowEventType(enum.IntEnum):
    """The ``type`` of a workflow event."""

    WORKFLOW_STARTED = 0
    WORKFLOW_COMPLETED = 1
    TASK_STARTED = 2
    TASK_COMPLETED = 3
    TASK_REVERTED = 4
    COMMENT = 5
    WORKFLOW_ENDED = 6
    WORKFLOW_SNOOZED_BY_TEMPLATE = 7
    WORKFLOW_REVERTED = 8
    TASK_SKIPPED = 9
    WORKFLOW_ENDED_BY_CONDITION = 10
    WORKFLOW_URGENT = 11
    WORKFLOW_NOT_URGENT = 12
    TASK_SKIPPED_NO_PERFORMERS = 13
    PERFORMER_ADDED = 14
    PERFORMER_DELETED = 15
    WORKFLOW_RESUMED = 16
    WORKFLOW_SNOOZED = 17
    DUE_DATE_CHANGED = 18
    PERFORMER_GROUP_ADDED = 20
    PERFORMER_GROUP_DELETED = 21
    TASK_SNOOZED_BY_TEMPLATE = 22
    TASK_DELEGATED = 23


class WorkflowEventStatus(enum.StrEnum):
    """The ``status`` of a workflow event (comments can be edited or deleted)."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@attrs.frozen(kw_only=True)
class EventTask:
    """The task an event is about (``task`` of a workflow event); sub-shapes kept as sent."""

    id: int
    name: str
    number: int | None = None
    description: str | None = None
    due_date_tsp: datetime | None = None
    performers: list[Performer] = attrs.Factory(list)
    output: list[Any] | None = None
    fieldsets: list[Any] | None = None
    sub_workflow: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class WorkflowEvent:
    """An item of ``GET /workflows/<id>/events`` or ``/v2/tasks/<id>/events``; a posted comment.

    ``created``/``updated`` are the server's legacy ISO strings; ``*_tsp`` the same instants.
    """

    id: int
    type: WorkflowEventType | int
    created_tsp: datetime
    workflow_id: int | None = None
    created: str | None = None
    updated: str | None = None
    updated_tsp: datetime | None = None
    status: WorkflowEventStatus | str | None = None
    text: str | None = None
    user_id: int | None = None
    target_user_id: int | None = None
    target_group_id: int | None = None
    is_urgent: bool = False
    task: EventTask | None = None
    delay: dict[str, Any] | None = None
    watched: list[Any] = attrs.Factory(list)
    reactions: dict[str, Any] = attrs.Factory(dict)
