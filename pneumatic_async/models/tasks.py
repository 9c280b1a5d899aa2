"""Tasks: ``GET /v2/tasks/<id>`` (also the complete answer), ``GET /v3/tasks`` items, checklists."""

from datetime import datetime

import attrs

from pneumatic_async.models.common import (
    Delay,
    FieldSet,
    Performer,
    TaskField,
    TaskStatus,
    WorkflowStatus,
)
from pneumatic_async.models.workflows import Workflow, WorkflowListItem

__all__ = [
    "RevertTask",
    "Task",
    "TaskChecklist",
    "TaskChecklistSelection",
    "TaskListItem",
    "TaskWorkflow",
    "WebhookTask",
]


@attrs.frozen(kw_only=True)
class TaskWorkflow:
    """The short workflow summary inside a task (``workflow`` of ``GET /v2/tasks/<id>``)."""

    id: int
    name: str
    status: WorkflowStatus | int
    template_name: str | None = None
    date_created_tsp: datetime | None = None
    date_completed_tsp: datetime | None = None


@attrs.frozen(kw_only=True)
class TaskChecklistSelection:
    """An item of a task checklist and whether it is marked."""

    id: int
    api_name: str
    value: str
    is_selected: bool = False


@attrs.frozen(kw_only=True)
class TaskChecklist:
    """A task checklist: in ``checklists`` of a task, and ``GET /v2/tasks/checklists/<id>``."""

    id: int
    api_name: str
    selections: list[TaskChecklistSelection] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class RevertTask:
    """A task a task can be returned to (``revert_tasks`` of a task)."""

    id: int
    name: str
    api_name: str


@attrs.frozen(kw_only=True)
class _TaskBase:
    """What a task body holds besides its ``workflow``."""

    id: int
    name: str
    api_name: str
    status: TaskStatus | str
    description: str | None = None
    contains_comments: bool = False
    require_completion_by_all: bool = False
    output: list[TaskField] = attrs.Factory(list)
    fieldsets: list[FieldSet] = attrs.Factory(list)
    delay: Delay | None = None
    date_started_tsp: datetime | None = None
    date_completed_tsp: datetime | None = None
    due_date_tsp: datetime | None = None
    is_completed: bool = False
    performers: list[Performer] = attrs.Factory(list)
    is_urgent: bool = False
    checklists_marked: int = 0
    checklists_total: int = 0
    checklists: list[TaskChecklist] = attrs.Factory(list)
    sub_workflows: list[WorkflowListItem] = attrs.Factory(list)
    revert_tasks: list[RevertTask] = attrs.Factory(list)
    is_read_only_viewer: bool = False


@attrs.frozen(kw_only=True)
class Task(_TaskBase):
    """A task: ``GET /v2/tasks/<id>`` and ``POST /v2/tasks/<id>/complete``.

    ``is_completed`` is deprecated by the server (true once the caller completed a
    require-all task); prefer ``status``.
    """

    workflow: TaskWorkflow


@attrs.frozen(kw_only=True)
class WebhookTask(_TaskBase):
    """The task of task_completed/task_returned payloads: its ``workflow`` is the full workflow."""

    workflow: Workflow


@attrs.frozen(kw_only=True)
class TaskListItem:
    """An item of ``GET /v3/tasks`` (the caller's, or ``assigned_to``'s, tasks)."""

    id: int
    name: str
    api_name: str
    status: TaskStatus | str
    workflow_name: str = ""
    template_id: int | None = None
    template_task_api_name: str | None = None
    is_urgent: bool = False
    due_date_tsp: datetime | None = None
    date_started_tsp: datetime | None = None
    date_completed_tsp: datetime | None = None
