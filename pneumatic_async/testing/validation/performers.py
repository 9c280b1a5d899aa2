"""A template task's ``raw_performers``."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing.errors import (
    value_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredField,
)
from pneumatic_async.testing.validation._common import (
    PERFORMER_TYPES,
    dicts,
    is_int_like,
    nested_error,
)

__all__ = [
    "validate_performers",
]


def validate_performers(
    state: State,
    raw: dict[str, Any],
    name: str,
    visible: dict[str, StoredField],
    by_api: dict[str, dict[str, Any]],
    shared: bool,
) -> list[dict[str, Any]]:
    """A template task's ``raw_performers``, validated (errors name the task)."""
    api_name = raw["api_name"]
    performers = dicts(raw.get("raw_performers"))
    if not performers:
        raise value_error(
            api_name, "You should set task performers before setting template to active."
        )
    state = state
    result = []
    seen: set[tuple[str, str | None]] = set()
    for performer in performers:
        kind = performer.get("type")
        performer_api = performer.get("api_name") or state.api_name("raw-performer")
        if kind not in PERFORMER_TYPES:
            raise nested_error(performer_api, "type", f'"{kind}" is not a valid choice.')
        source = performer.get("source_id")
        source_id: str | None = None
        if kind == "user":
            if source in (None, ""):
                raise value_error(
                    api_name,
                    'You should set the user id for performer with the type "user".',
                )
            if not is_int_like(source):
                raise value_error(api_name, 'Performer "id" should be a number.')
            user = state.users.get(int(str(source)))
            if user is None or user.status == "inactive":
                raise value_error(api_name, "One or more performers are incorrect.")
            source_id = str(int(str(source)))
        elif kind == "group":
            if source in (None, ""):
                raise value_error(
                    api_name,
                    'You should set the user id for performer with the type "user".',
                )
            if not is_int_like(source):
                raise value_error(api_name, 'Performer "id" should be a number.')
            if int(str(source)) not in state.groups:
                raise value_error(api_name, "One or more performers are incorrect.")
            source_id = str(int(str(source)))
        elif kind == "field":
            if source in (None, ""):
                raise value_error(
                    api_name,
                    'You should set the field api_name for performer with the type "field".',
                )
            field = visible.get(str(source))
            if field is None or field.type != "user":
                raise value_error(api_name, "One or more performers are incorrect.")
            source_id = str(source)
        elif kind == "manager":
            if source in (None, ""):
                raise value_error(
                    api_name,
                    'You should set the source step for performer with the type "manager".',
                )
            if source == api_name:
                raise value_error(
                    api_name,
                    f'Task "{name}": Manager performer cannot reference its own step.',
                )
            step = by_api.get(str(source))
            if step is None:
                raise value_error(
                    api_name,
                    f'Task "{name}": Manager performer references a non-existent step "{source}".',
                )
            if step.get("require_completion_by_all"):
                raise value_error(
                    api_name,
                    f'Task "{name}": Disable "Required completion by all" on step '
                    f'"{step.get("name")}" to use Manager performer.',
                )
            source_id = str(source)
        elif shared:
            raise value_error(
                api_name,
                'A template with "Workflow starter" in the list of performers can not be '
                'shared. Please replace the "workflow starter" with another team member.',
            )
        key = (str(kind), source_id)
        if key in seen:
            raise value_error(api_name, "One or more performers are repeated.")
        seen.add(key)
        result.append({"type": kind, "source_id": source_id, "api_name": performer_api})
    return result
