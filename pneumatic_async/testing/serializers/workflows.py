"""Workflow JSON: details, list items, ``/workflows/fields`` items, field values
(``handlers/workflows.py``).
"""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import format_duration, iso
from pneumatic_async.testing.state import (
    StoredDelay,
    StoredFieldValue,
    StoredPerformer,
    StoredTask,
    StoredWorkflow,
)

__all__ = [
    "checklist_counts",
    "current_delay",
    "delay_snapshot",
    "field_value",
    "field_value_list",
    "performer_json",
    "sorted_values",
    "workflow_details",
    "workflow_fields_item",
    "workflow_list_item",
    "workflow_short",
    "workflow_task",
]


def field_value(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskField`` (kickoff/output value with its field's settings)."""
    definition = value.definition
    return {
        "id": value.id,
        "order": definition.order,
        "type": definition.type,
        "is_required": definition.is_required,
        "is_hidden": definition.is_hidden,
        "description": definition.description,
        "api_name": definition.api_name,
        "name": definition.name,
        "value": value.value,
        "markdown_value": value.markdown_value,
        "clear_value": value.clear_value,
        "user_id": value.user_id,
        "group_id": value.group_id,
        "selections": definition.selection_values if definition.selections else [],
    }


def field_value_list(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskFieldList`` (``/workflows/fields`` and list ``fields``)."""
    definition = value.definition
    return {
        "id": value.id,
        "order": definition.order,
        "task_id": value.task_id,
        "kickoff_id": value.kickoff_id,
        "type": definition.type,
        "is_required": definition.is_required,
        "is_hidden": definition.is_hidden,
        "description": definition.description,
        "api_name": definition.api_name,
        "name": definition.name,
        "value": value.value,
        "markdown_value": value.markdown_value,
        "clear_value": value.clear_value,
        "user_id": value.user_id,
        "group_id": value.group_id,
        "fieldset_id": None,
    }


def performer_json(performer: StoredPerformer) -> dict[str, Any]:
    """A task performer."""
    return {
        "is_completed": performer.is_completed,
        "date_completed_tsp": performer.date_completed,
        "type": performer.type,
        "source_id": performer.source_id,
    }


def current_delay(delay: StoredDelay | None) -> dict[str, Any] | None:
    """A task's current delay: only an open one (``end_date`` unset), else null."""
    if delay is None or delay.end_date is not None:
        return None
    return delay_snapshot(delay)


def delay_snapshot(delay: StoredDelay) -> dict[str, Any]:
    """A delay as events store it (open or closed)."""
    return {
        "id": delay.id,
        "duration": format_duration(delay.duration),
        "start_date": iso(delay.start_date),
        "start_date_tsp": delay.start_date,
        "end_date": iso(delay.end_date),
        "end_date_tsp": delay.end_date,
        "estimated_end_date": iso(delay.estimated_end_date),
        "estimated_end_date_tsp": delay.estimated_end_date,
    }


def sorted_values(values: list[StoredFieldValue]) -> list[StoredFieldValue]:
    """Field values in the order the server lists them."""
    return sorted(values, key=lambda v: (-v.definition.order, v.id))


def checklist_counts(task: StoredTask) -> tuple[int, int]:
    """``(total, marked)`` checklist items of a task."""
    total = marked = 0
    for checklist in task.checklists:
        for selection in checklist["selections"]:
            total += 1
            marked += bool(selection["is_selected"])
    return total, marked


def workflow_task(task: StoredTask) -> dict[str, Any]:
    """A ``WorkflowTask`` (an item of a workflow's ``tasks``)."""
    total, marked = checklist_counts(task)
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "description": task.description,
        "number": task.number,
        "delay": current_delay(task.delay),
        "due_date_tsp": task.due_date,
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "performers": [performer_json(p) for p in task.performers],
        "checklists_total": total,
        "checklists_marked": marked,
        "status": task.status,
    }


def _visible_tasks(workflow: StoredWorkflow) -> list[dict[str, Any]]:
    return [workflow_task(t) for t in workflow.tasks if t.status != "skipped"]


def workflow_details(workflow: StoredWorkflow) -> dict[str, Any]:
    """``WorkflowDetails``: ``GET /workflows/<id>``, run, snooze, resume, patch, webhooks."""
    template = workflow.template
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "description": workflow.description,
        "finalizable": workflow.finalizable,
        "is_external": workflow.is_external,
        "is_urgent": workflow.is_urgent,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "workflow_starter": workflow.workflow_starter,
        "ancestor_task_id": workflow.ancestor_task_id,
        "is_legacy_template": False,
        "legacy_template_name": None,
        "template": {
            "id": template.id,
            "name": template.name,
            "is_active": template.is_active,
            "wf_name_template": template.wf_name_template,
        },
        "owners": list(workflow.owners),
        "tasks": _visible_tasks(workflow),
        "kickoff": {
            "id": workflow.kickoff_id,
            "output": [field_value(v) for v in sorted_values(workflow.kickoff_fields)],
            "fieldsets": [],
        },
        "due_date_tsp": workflow.due_date,
        "is_read_only_viewer": False,
    }


def workflow_list_item(workflow: StoredWorkflow, field_names: list[str] | None) -> dict[str, Any]:
    """An item of ``GET /workflows`` (``fields`` only for the names asked for)."""
    template = workflow.template
    fields: list[dict[str, Any]] = []
    if field_names:
        wanted = set(field_names)
        fields = [
            field_value_list(v)
            for v in sorted_values(workflow.all_fields())
            if v.definition.api_name in wanted
        ]
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "description": workflow.description,
        "finalizable": workflow.finalizable,
        "is_external": workflow.is_external,
        "is_urgent": workflow.is_urgent,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "workflow_starter": workflow.workflow_starter,
        "ancestor_task_id": workflow.ancestor_task_id,
        "is_legacy_template": False,
        "legacy_template_name": None,
        "template": {"id": template.id, "name": template.name, "is_active": template.is_active},
        "owners": list(workflow.owners),
        "tasks": _visible_tasks(workflow),
        "fields": fields,
        "due_date_tsp": workflow.due_date,
    }


def workflow_fields_item(workflow: StoredWorkflow, field_names: list[str] | None) -> dict[str, Any]:
    """An item of ``GET /workflows/fields``."""
    values = sorted_values(workflow.all_fields())
    if field_names:
        wanted = set(field_names)
        values = [v for v in values if v.definition.api_name in wanted]
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "fields": [field_value_list(v) for v in values],
    }


def workflow_short(workflow: StoredWorkflow) -> dict[str, Any]:
    """The ``workflow`` object inside a task."""
    return {
        "id": workflow.id,
        "status": workflow.status,
        "name": workflow.name,
        "template_name": workflow.template.name,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
    }
