"""Kickoff and task output fields of a template (``kickoff.fields``, ``tasks[].fields``)."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing.errors import (
    value_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredField,
    StoredTemplate,
)
from pneumatic_async.testing.validation._common import (
    FIELD_TYPES,
    SELECTION_TYPES,
    dicts,
    existing_fields,
    is_int_like,
    nested_error,
)

__all__ = [
    "validate_fields",
]


def validate_fields(
    state: State, data: list[dict[str, Any]], template: StoredTemplate, owner_name: str | None
) -> list[StoredField]:
    """Kickoff or task output fields, validated (selections keep their api_names)."""
    previous = {f.api_name: f for f in existing_fields(template)}
    result = []
    for raw in data:
        api_name = raw.get("api_name") or state.api_name("field")
        for key in ("name", "type", "order"):
            if raw.get(key) in (None, ""):
                raise nested_error(api_name, key, "This field is required.")
        kind = raw["type"]
        if kind not in FIELD_TYPES:
            raise nested_error(api_name, "type", f'"{kind}" is not a valid choice.')
        if not is_int_like(raw["order"]):
            raise nested_error(api_name, "order", "A valid integer is required.")
        if len(str(api_name)) > 200:
            raise nested_error(
                api_name, "api_name", "Ensure this field has no more than 200 characters."
            )
        is_required = bool(raw.get("is_required"))
        if kind == "user" and not is_required:
            raise value_error(api_name, "A field with a type 'User' should be required.")
        selections: list[dict[str, str]] = []
        if kind in SELECTION_TYPES:
            raw_selections = dicts(raw.get("selections"))
            if not raw_selections and raw.get("dataset") is None:
                raise value_error(
                    api_name,
                    'You must provide either a "selections" or a "dataset" for the field.',
                )
            old = previous.get(api_name)
            old_by_value = {s["value"]: s["api_name"] for s in old.selections} if old else {}
            seen: set[str] = set()
            for selection in raw_selections:
                value = selection.get("value")
                if value in (None, ""):
                    raise nested_error(api_name, "value", "This field is required.")
                text = str(value)
                if len(text) > 200:
                    raise nested_error(
                        api_name, "value", "Ensure this field has no more than 200 characters."
                    )
                if text in seen:
                    prefix = f'Task "{owner_name}": ' if owner_name else ""
                    raise value_error(
                        api_name,
                        f'{prefix}The output field "{raw["name"]}" contains a duplicate value '
                        f'in option "{text}". Please use a unique value.',
                    )
                seen.add(text)
                selections.append(
                    {
                        "value": text,
                        "api_name": selection.get("api_name")
                        or old_by_value.get(text)
                        or state.api_name("selection"),
                    }
                )
        description = raw.get("description")
        default = raw.get("default")
        result.append(
            StoredField(
                api_name=str(api_name),
                name=str(raw["name"]),
                type=str(kind),
                order=int(raw["order"]),
                is_required=is_required,
                is_hidden=bool(raw.get("is_hidden")),
                description=str(description) if description not in (None, "") else None,
                default="" if default is None else str(default),
                selections=selections,
                dataset=raw.get("dataset") if isinstance(raw.get("dataset"), int) else None,
            )
        )
    return result
