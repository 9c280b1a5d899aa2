"""Workflow event JSON (``/workflows/<id>/events``, ``/v2/tasks/<id>/events``) and the snapshots
events store.
"""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import iso
from pneumatic_async.testing.serializers.workflows import delay_snapshot, field_value, sorted_values
from pneumatic_async.testing.state import (
    StoredDelay,
    StoredEvent,
    StoredFieldValue,
    StoredTask,
    StoredWorkflow,
)

__all__ = [
    "delay_json",
    "event_item",
    "event_task_json",
]


def event_item(event: StoredEvent, workflow: StoredWorkflow) -> dict[str, Any]:
    """A ``WorkflowEvent``."""
    return {
        "id": event.id,
        "created": iso(event.created),
        "created_tsp": event.created,
        "updated": None,
        "updated_tsp": None,
        "status": "created",
        "text": event.text,
        "type": event.type,
        "user_id": event.user_id,
        "target_user_id": event.target_user_id,
        "target_group_id": event.target_group_id,
        "delay": event.delay_json,
        "task": event.task_json,
        "workflow_id": event.workflow_id,
        "is_urgent": workflow.is_urgent,
        "watched": [],
        "reactions": {},
    }


def event_task_json(task: StoredTask, *, with_output: bool = False) -> dict[str, Any]:
    """The ``task`` snapshot stored in an event."""
    return {
        "id": task.id,
        "name": task.name,
        "number": task.number,
        "output": [_event_field(v) for v in sorted_values(task.fields)] if with_output else None,
        "fieldsets": None,
        "performers": [
            {
                "type": p.type,
                "source_id": p.source_id,
                "is_completed": p.is_completed,
                "date_completed_tsp": p.date_completed,
            }
            for p in task.performers
        ],
        "description": task.description,
        "due_date_tsp": task.due_date,
        "sub_workflow": None,
    }


def _event_field(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskFieldEvent`` (a value in an event's ``task.output``: no ``selections``)."""
    data = field_value(value)
    del data["selections"]
    return data


def delay_json(delay: StoredDelay) -> dict[str, Any] | None:
    """A delay as stored in an event (a snapshot, open or closed)."""
    return delay_snapshot(delay)
