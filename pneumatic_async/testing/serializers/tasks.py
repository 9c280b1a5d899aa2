"""Task JSON: the task object of ``/v2/tasks/<id>`` and webhooks, ``/v3/tasks`` items
(``handlers/tasks.py``).
"""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing.serializers.workflows import (
    checklist_counts,
    current_delay,
    field_value,
    performer_json,
    sorted_values,
    workflow_details,
    workflow_list_item,
    workflow_short,
)
from pneumatic_async.testing.state import (
    State,
    StoredTask,
    StoredUser,
)

__all__ = [
    "revert_targets",
    "task_list_item",
    "task_object",
    "user_completed",
]


def user_completed(task: StoredTask, user_id: int | None) -> bool:
    """Whether this user's share of the task is completed."""
    if user_id is None:
        return False
    if user_id in task.group_user_completions:
        return True
    return any(
        p.type == "user" and p.source_id == user_id and p.is_completed for p in task.performers
    )


def revert_targets(task: StoredTask) -> list[StoredTask]:
    """The tasks a revert from ``task`` goes back to (``revert_task`` or the parents)."""
    workflow = task.workflow
    template_task = task.template_task
    if template_task.revert_task:
        target = workflow.task(template_task.revert_task)
        return [target] if target is not None else []
    return [t for t in workflow.tasks if t.api_name in template_task.parents]


def task_object(
    state: State,
    task: StoredTask,
    user: StoredUser | None,
    *,
    full_workflow: bool = False,
) -> dict[str, Any]:
    """``GET /v2/tasks/<id>`` / complete response; ``full_workflow`` for webhook payloads."""
    total, marked = checklist_counts(task)
    is_completed = task.status == "completed" or (
        task.template_task.require_completion_by_all
        and user_completed(task, user.id if user else None)
    )
    workflow = task.workflow
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "description": task.description,
        "workflow": workflow_details(workflow) if full_workflow else workflow_short(workflow),
        "contains_comments": task.contains_comments,
        "require_completion_by_all": task.template_task.require_completion_by_all,
        "output": [field_value(v) for v in sorted_values(task.fields)],
        "delay": current_delay(task.delay),
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "due_date_tsp": task.due_date,
        "is_completed": is_completed,
        "performers": [performer_json(p) for p in task.performers],
        "is_urgent": task.is_urgent,
        "checklists_marked": marked,
        "checklists_total": total,
        "checklists": [
            {
                "id": c["id"],
                "api_name": c["api_name"],
                "selections": [dict(s) for s in c["selections"]],
            }
            for c in task.checklists
        ],
        "sub_workflows": [
            workflow_list_item(w, None)
            for w in state.sub_workflows.get(task.id, [])
            if not w.deleted
        ],
        "status": task.status,
        "revert_tasks": [
            {"id": t.id, "name": t.name, "api_name": t.api_name} for t in revert_targets(task)
        ],
        "is_read_only_viewer": False,
        "fieldsets": [],
    }


def task_list_item(task: StoredTask) -> dict[str, Any]:
    """An item of ``GET /v3/tasks``."""
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "workflow_name": task.workflow.name,
        "due_date_tsp": task.due_date,
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "template_id": task.workflow.template.id,
        "template_task_api_name": task.api_name,
        "is_urgent": task.is_urgent,
        "status": task.status,
    }
