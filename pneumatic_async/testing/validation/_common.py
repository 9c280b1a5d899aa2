"""Constants and helpers shared by the sections of template validation."""

from __future__ import annotations

from typing import Any, Final

from pneumatic_async.testing.errors import (
    ApiError,
    value_error,
)
from pneumatic_async.testing.state import (
    StoredField,
    StoredTemplate,
)

__all__ = [
    "ALLOWED_OPERATORS",
    "DUE_DATE_RULES",
    "FIELD_TYPES",
    "PERFORMER_TYPES",
    "SELECTION_TYPES",
    "SYSTEM_VARS",
    "TASK_NAME_LENGTH",
    "TASK_OPERATORS",
    "TEMPLATE_NAME_LENGTH",
    "UNARY_OPERATORS",
    "ancestors_of",
    "dicts",
    "existing_fields",
    "has_cycle",
    "is_int_like",
    "last_by_api_name",
    "nested_error",
    "parents_by_task",
]

TEMPLATE_NAME_LENGTH: Final = 120
TASK_NAME_LENGTH: Final = 280
FIELD_TYPES: Final = (
    "string",
    "text",
    "radio",
    "checkbox",
    "date",
    "url",
    "dropdown",
    "file",
    "user",
    "number",
)
SELECTION_TYPES: Final = ("radio", "checkbox", "dropdown")
TASK_OPERATORS: Final = frozenset({"completed", "skipped", "completed_or_skipped"})
UNARY_OPERATORS: Final = frozenset(
    {"exists", "not_exists", "completed", "skipped", "completed_or_skipped"}
)
_EQ: Final = ("equals", "not_equals", "exists", "not_exists")
ALLOWED_OPERATORS: Final[dict[str, tuple[str, ...]]] = {
    "kickoff": ("completed",),
    "task": ("completed", "skipped", "completed_or_skipped"),
    "user": _EQ,
    "group": _EQ,
    "radio": _EQ,
    "dropdown": _EQ,
    "file": ("exists", "not_exists"),
    "string": (*_EQ, "contains", "not_contains"),
    "text": (*_EQ, "contains", "not_contains"),
    "url": (*_EQ, "contains", "not_contains"),
    "checkbox": (*_EQ, "contains", "not_contains"),
    "date": (*_EQ, "more_than", "less_than"),
    "number": (*_EQ, "more_than", "less_than"),
}
DUE_DATE_RULES: Final = (
    "before field",
    "after field",
    "after workflow started",
    "after task started",
    "after task completed",
)
SYSTEM_VARS: Final = frozenset({"date", "template-name", "workflow-starter", "workflow-id"})
PERFORMER_TYPES: Final = ("user", "group", "workflow_starter", "field", "manager")


def parents_by_task(tasks: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Parents derived from ``start_task`` predicates on tasks (like ``get_tasks_parents``)."""
    available = {t.get("api_name") for t in tasks if t.get("api_name")}
    result: dict[str, list[str]] = {}
    for task in tasks:
        api_name = task.get("api_name")
        if not api_name:
            continue
        parents: list[str] = []
        for condition in dicts(task.get("conditions")):
            if condition.get("action") != "start_task":
                continue
            for rule in dicts(condition.get("rules")):
                for predicate in dicts(rule.get("predicates")):
                    if (
                        predicate.get("operator") in TASK_OPERATORS
                        and predicate.get("field_type") == "task"
                        and predicate.get("field") in available
                        and predicate["field"] not in parents
                    ):
                        parents.append(predicate["field"])
        result[api_name] = parents
    return result


def ancestors_of(
    api_name: str, parents: dict[str, list[str]], tasks: list[dict[str, Any]]
) -> list[str]:
    """Api names of every task before this one, in template order."""
    seen: set[str] = set()
    stack = list(parents.get(api_name, []))
    while stack:
        current = stack.pop()
        if current in seen or current == api_name:
            continue
        seen.add(current)
        stack.extend(parents.get(current, []))
    order = [t.get("api_name") for t in tasks]
    return sorted(seen, key=lambda name: order.index(name) if name in order else 0)


def has_cycle(api_name: str, parents: dict[str, list[str]]) -> bool:
    """Whether a task's parents lead back to it."""
    seen: set[str] = set()
    stack = list(parents.get(api_name, []))
    while stack:
        current = stack.pop()
        if current == api_name:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(parents.get(current, []))
    return False


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of a list (anything else: empty)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def nested_error(api_name: str | None, field: str, message: str) -> ApiError:
    """A DRF error inside a nested entity: ``"<Field>: <message lower-cased>"`` (the real
    server capitalizes the field name and lower-cases the whole message)."""
    text = f"{field.capitalize()}: {message.lower()}"
    return value_error(api_name or "", text)


def is_int_like(value: Any) -> bool:
    """Whether a value is an int or an integer string (not a bool)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()


# -- active templates ------------------------------------------------------------------------


def last_by_api_name(fields: list[StoredField]) -> list[StoredField]:
    """Kickoff fields sharing an api_name: the real server saves them one by one into the same
    row (update-or-create by api_name), so the last one's settings win, in the first's place."""
    kept: dict[str, StoredField] = {}
    for definition in fields:
        kept[definition.api_name] = definition  # a dict keeps the first insertion's place
    return list(kept.values())


def existing_fields(template: StoredTemplate) -> list[StoredField]:
    """The template's current kickoff and task fields."""
    result = list(template.kickoff_fields)
    for task in template.tasks:
        result.extend(task.fields)
    return result
