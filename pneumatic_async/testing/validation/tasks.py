"""A template's ``tasks``: numbering, names, parents, variables, delay, due date, checklists."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import (
    DURATION_ERROR,
    VAR_PATTERN,
    parse_duration,
)
from pneumatic_async.testing.errors import (
    value_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredField,
    StoredTemplate,
    StoredTemplateTask,
)
from pneumatic_async.testing.validation._common import (
    DUE_DATE_RULES,
    SYSTEM_VARS,
    TASK_NAME_LENGTH,
    ancestors_of,
    dicts,
    has_cycle,
    is_int_like,
    nested_error,
    parents_by_task,
)
from pneumatic_async.testing.validation.conditions import validate_conditions
from pneumatic_async.testing.validation.fields import validate_fields
from pneumatic_async.testing.validation.performers import validate_performers

__all__ = [
    "check_variables",
    "validate_checklists",
    "validate_delay",
    "validate_due_date",
    "validate_tasks",
]


def validate_tasks(
    state: State,
    data: list[dict[str, Any]],
    kickoff_fields: list[StoredField],
    template: StoredTemplate,
    shared: bool,
) -> list[StoredTemplateTask]:
    """A template's ``tasks``, validated in the real server's order and built."""
    data = sorted(data, key=lambda t: t["number"])
    parents = parents_by_task(data)
    by_api = {t["api_name"]: t for t in data}
    existing_ids = {t.api_name: t.id for t in template.tasks}
    seen_api_names: set[str] = set()
    field_api_names = {f.api_name for f in kickoff_fields}
    available_fields: dict[str, StoredField] = {f.api_name: f for f in kickoff_fields}
    result: list[StoredTemplateTask] = []
    for raw in data:
        api_name = raw["api_name"]
        name = raw.get("name")
        if api_name in seen_api_names:
            raise value_error(
                api_name,
                f'Task "{name}": Contains a duplicate api_name "{api_name}". '
                "Recreate the task or change its api_name.",
            )
        seen_api_names.add(api_name)
        if name in (None, ""):
            raise nested_error(api_name, "name", "This field is required.")
        name = str(name)
        if len(name) > TASK_NAME_LENGTH:
            raise nested_error(
                api_name,
                "name",
                f"Ensure this field has no more than {TASK_NAME_LENGTH} characters.",
            )
        fields = validate_fields(state, dicts(raw.get("fields")), template, owner_name=name)
        for field in fields:
            if field.api_name in field_api_names:
                raise value_error(
                    field.api_name,
                    f'Task "{name}": Output field "{field.name}" contains a duplicate '
                    f'api_name "{field.api_name}". Change the api_name or recreate the '
                    "output field.",
                )
            field_api_names.add(field.api_name)
        if has_cycle(api_name, parents):
            raise value_error(
                api_name,
                f'Task "{name}" has a circular dependency. '
                'Please change the "start after" condition.',
            )
        ancestors = ancestors_of(api_name, parents, data)
        # fields visible to this task: kickoff + fields of the previous tasks
        visible = dict(available_fields)
        for previous in result:
            for field in previous.fields:
                visible[field.api_name] = field
        check_variables(state, api_name, name, raw.get("description"), visible, fields)
        performers = validate_performers(state, raw, name, visible, by_api, shared)
        conditions = validate_conditions(state, raw, name, visible, fields, by_api, ancestors)
        delay = validate_delay(state, raw, api_name)
        due = validate_due_date(state, raw, name, visible, fields, by_api)
        revert = raw.get("revert_task") or None
        if revert is not None:
            if revert == api_name:
                raise value_error(api_name, f'Task "{name}": Cannot be set to return to itself.')
            if revert not in ancestors:
                raise value_error(
                    api_name, f'Task "{name}": Can be returned only to one of its ancestors.'
                )
        description = raw.get("description")
        result.append(
            StoredTemplateTask(
                id=existing_ids.get(api_name) or state.next_id("template_task"),
                api_name=api_name,
                number=raw["number"],
                name=name,
                description=str(description) if description is not None else None,
                require_completion_by_all=bool(raw.get("require_completion_by_all")),
                skip_for_starter=bool(raw.get("skip_for_starter")),
                delay=delay,
                fields=fields,
                conditions=conditions,
                raw_performers=performers,
                checklists=validate_checklists(state, raw),
                raw_due_date=due,
                revert_task=revert,
                parents=parents.get(api_name, []),
                ancestors=ancestors,
            )
        )
    return result


def check_variables(
    state: State,
    api_name: str,
    name: str,
    description: Any,
    visible: dict[str, StoredField],
    own_fields: list[StoredField],
) -> None:
    """Variables in a task's name and description must name visible fields."""
    known = set(visible) | SYSTEM_VARS
    if {n.strip() for n in VAR_PATTERN.findall(name)} - known:
        raise value_error(api_name, f'Some fields in task "{name}" do not exist.')
    if isinstance(description, str):
        names = {n.strip() for n in VAR_PATTERN.findall(description)}
        if names - known - {f.api_name for f in own_fields}:
            raise value_error(
                api_name,
                f'Some fields referenced in the description of task "{name}" do not exist.',
            )


def validate_delay(state: State, raw: dict[str, Any], api_name: str) -> float | None:
    """A template task's ``delay`` in seconds (``None``: no delay)."""
    delay = raw.get("delay")
    if delay in (None, ""):
        return None
    seconds = parse_duration(delay)
    if seconds is None:
        raise nested_error(api_name, "delay", DURATION_ERROR)
    return seconds


def validate_due_date(
    state: State,
    raw: dict[str, Any],
    name: str,
    visible: dict[str, StoredField],
    own_fields: list[StoredField],
    by_api: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    """A template task's ``raw_due_date``, validated and normalized."""
    due = raw.get("raw_due_date")
    if not isinstance(due, dict):
        return None
    due_api = due.get("api_name") or state.api_name("raw-due-date")
    rule = due.get("rule")
    if rule not in DUE_DATE_RULES:
        raise nested_error(due_api, "rule", f'"{rule}" is not a valid choice.')
    duration = parse_duration(due.get("duration"))
    if duration is None:
        if due.get("duration") in (None, ""):
            raise nested_error(due_api, "duration", "This field is required.")
        raise nested_error(due_api, "duration", DURATION_ERROR)
    months = due.get("duration_months", 0) or 0
    if not is_int_like(months):
        raise nested_error(due_api, "duration_months", "A valid integer is required.")
    source = due.get("source_id")
    if rule in ("before field", "after field"):
        if not source:
            raise value_error(due_api, "Expected date field api_name.")
        fields = {**visible, **{f.api_name: f for f in own_fields}}
        field = fields.get(str(source))
        if field is None or field.type != "date":
            raise value_error(due_api, "Only existing date fields can be used as a due date.")
    elif rule in ("after task started", "after task completed"):
        if not source or source not in by_api:
            raise value_error(due_api, "Expected task api_name.")
    else:
        source = None
    return {
        "api_name": due_api,
        "duration": duration,
        "duration_months": int(months),
        "rule": rule,
        "source_id": None if source is None else str(source),
    }


def validate_checklists(state: State, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A template task's ``checklists``, validated."""
    result = []
    for checklist in dicts(raw.get("checklists")):
        selections = [
            {
                "value": str(s.get("value", "")),
                "api_name": s.get("api_name") or state.api_name("cl-selection"),
            }
            for s in dicts(checklist.get("selections"))
        ]
        if not selections:
            raise value_error(
                checklist.get("api_name") or raw["api_name"],
                "Checklist items not exists or invalid.",
            )
        result.append(
            {
                "api_name": checklist.get("api_name") or state.api_name("checklist"),
                "selections": selections,
            }
        )
    return result
