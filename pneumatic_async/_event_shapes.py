"""The public docs' webhook sample shapes, rewritten into the real server's shape.

The API docs show webhook payloads the real server never sends (``contract.md`` §10.3, §13): ISO
``date_created``/``date_started``/``date_completed`` instead of ``*_tsp`` epoch seconds, a
``current_task`` instead of ``tasks``, performers as ``{id, first_name, last_name}``, selections
as objects, ``value: null``, and no ``api_name``/``status`` on the task. A receiver tested with
those samples should not answer 400, so :func:`pneumatic_async.events.parse_event` retries a
payload that does not fit the real shape once through :func:`documented_to_real`.

Only keys that are missing are filled in; a key the payload already has is never overwritten.
Real deliveries fit on the first try and never come here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

__all__ = ["EVENT_ALIASES", "documented_to_real"]

#: Older event names (the 001 revision of the docs) and the real events they are.
EVENT_ALIASES: Final = {
    "task_completed_v2": "task_completed",
    "process_started": "workflow_started",
    "process_completed": "workflow_completed",
}

_ISO_TO_TSP: Final = (
    ("date_created", "date_created_tsp"),
    ("date_started", "date_started_tsp"),
    ("date_completed", "date_completed_tsp"),
    ("due_date", "due_date_tsp"),
)


def documented_to_real(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy of a documented-sample ``payload`` with the real server's keys filled in."""
    out = dict(payload)
    if "workflow" not in out and isinstance(out.get("process"), dict):
        out["workflow"] = out.pop("process")  # the oldest revision's name for a workflow
    if isinstance(out.get("workflow"), dict):
        out["workflow"] = _workflow(out["workflow"])
    if isinstance(out.get("task"), dict):
        out["task"] = _task(out["task"])
    return out


def _epoch(value: Any) -> Any:
    """ISO text as epoch seconds; anything else unchanged (the model will judge it)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return value
    return value


def _timestamps(obj: dict[str, Any]) -> None:
    for iso, tsp in _ISO_TO_TSP:
        if tsp not in obj and iso in obj:
            obj[tsp] = _epoch(obj[iso])


def _performers(items: Any, *, completed: bool) -> Any:
    if not isinstance(items, list):
        return items
    return [
        {"source_id": item["id"], "type": "user", "is_completed": completed}
        if isinstance(item, dict) and "source_id" not in item and "id" in item
        else item
        for item in items
    ]


def _field(field: Any) -> Any:
    if not isinstance(field, dict):
        return field
    out = dict(field)
    if out.get("value") is None:
        out["value"] = ""
    selections = out.get("selections")
    if isinstance(selections, list):
        out["selections"] = [
            item.get("value", "") if isinstance(item, dict) else item for item in selections
        ]
    return out


def _fields(items: Any) -> Any:
    return [_field(item) for item in items] if isinstance(items, list) else items


def _task_status(task: dict[str, Any]) -> str:
    return "completed" if task.get("date_completed_tsp") is not None else "active"


def _workflow_task(task: Any) -> Any:
    if not isinstance(task, dict):
        return task
    out = dict(task)
    _timestamps(out)
    out.setdefault("api_name", "")
    out.setdefault("status", _task_status(out))
    out["performers"] = _performers(
        out.get("performers", []), completed=out.get("date_completed_tsp") is not None
    )
    return out


def _workflow(workflow: dict[str, Any]) -> dict[str, Any]:
    out = dict(workflow)
    _timestamps(out)
    template = out.get("template")
    if isinstance(template, dict) and "is_active" not in template:
        out["template"] = {**template, "is_active": True}
    kickoff = out.get("kickoff")
    if isinstance(kickoff, dict):
        out["kickoff"] = {**kickoff, "output": _fields(kickoff.get("output", []))}
    current = out.pop("current_task", None)
    if "tasks" not in out and isinstance(current, dict):
        out["tasks"] = [_workflow_task(current)]
    return out


def _task(task: dict[str, Any]) -> dict[str, Any]:
    out = dict(task)
    _timestamps(out)
    out.setdefault("api_name", "")
    out.setdefault("status", _task_status(out))
    done = out.get("date_completed_tsp") is not None
    out.setdefault("is_completed", done)
    out["performers"] = _performers(out.get("performers", []), completed=done)
    out["output"] = _fields(out.get("output", []))
    if isinstance(out.get("workflow"), dict):
        out["workflow"] = _workflow(out["workflow"])
    return out
