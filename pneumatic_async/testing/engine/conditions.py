"""Condition evaluation (contract §11.3-4): which action a pending task's conditions call for.

Rules are OR'd, predicates AND'd; of several ``start_task`` conditions only the last counts;
``end_process`` beats ``skip_task`` beats start.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pneumatic_async.testing.state import (
    StoredTask,
    StoredWorkflow,
)

__all__ = ["ConditionAction", "int_or_none", "next_action"]

ConditionAction = Literal["start", "skip", "end"]


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


def int_or_none(value: Any) -> int | None:
    """An int from an int or a numeric string, else ``None``."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return value if isinstance(value, int) else None


def next_action(task: StoredTask) -> ConditionAction | None:
    """The action the task's conditions call for now (``None``: keep waiting)."""
    conditions = sorted(task.template_task.conditions, key=lambda c: c["order"])
    start = [c for c in conditions if c["action"] == "start_task"]
    if start and not _check(task.workflow, start[-1]):
        return None
    skip = False
    for condition in conditions:
        if condition["action"] == "start_task":
            continue
        if _check(task.workflow, condition):
            if condition["action"] == "end_process":
                return "end"
            skip = True
    return "skip" if skip else "start"


def _check(workflow: StoredWorkflow, condition: dict[str, Any]) -> bool:
    return any(
        all(_predicate(workflow, p) for p in rule["predicates"]) for rule in condition["rules"]
    )


def _predicate(workflow: StoredWorkflow, predicate: dict[str, Any]) -> bool:
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
        wanted = int_or_none(raw) if raw else None
    elif field_type == "group":
        field = value.group_id or None
        wanted = int_or_none(raw) if raw else None
    elif field_type == "date":
        field = int_or_none(value.value)
        wanted = int_or_none(raw)
    elif field_type == "file":
        field = bool(value.value) or None
    else:
        field = value.value or None
    if _unary(operator):
        return _compare(operator, field, None)
    return _compare(operator, field, wanted)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
