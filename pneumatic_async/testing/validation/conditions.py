"""A template task's ``conditions`` (rules and predicates)."""

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
    ALLOWED_OPERATORS,
    TASK_OPERATORS,
    UNARY_OPERATORS,
    dicts,
    is_int_like,
    nested_error,
)

__all__ = [
    "validate_conditions",
]


def validate_conditions(
    state: State,
    raw: dict[str, Any],
    name: str,
    visible: dict[str, StoredField],
    own_fields: list[StoredField],
    by_api: dict[str, dict[str, Any]],
    ancestors: list[str],
) -> list[dict[str, Any]]:
    """A template task's ``conditions``, validated and normalized."""
    state = state
    result = []
    for index, condition in enumerate(dicts(raw.get("conditions")), start=1):
        cond_api = condition.get("api_name") or state.api_name("condition")
        action = condition.get("action")
        if action not in ("skip_task", "start_task", "end_process"):
            raise nested_error(cond_api, "action", f'"{action}" is not a valid choice.')
        rules = dicts(condition.get("rules"))
        if not rules:
            raise nested_error(cond_api, "rules", "This list may not be empty.")
        normalized_rules = []
        for rule in rules:
            rule_api = rule.get("api_name") or state.api_name("rule")
            predicates = dicts(rule.get("predicates"))
            if not predicates:
                raise nested_error(rule_api, "predicates", "This list may not be empty.")
            normalized = []
            for predicate in predicates:
                normalized.append(
                    _predicate(
                        state,
                        predicate,
                        name,
                        str(action),
                        cond_api,
                        visible,
                        by_api,
                        ancestors,
                        raw["api_name"],
                    )
                )
            normalized_rules.append({"api_name": rule_api, "predicates": normalized})
        order = condition.get("order")
        result.append(
            {
                "action": action,
                "order": int(str(order)) if is_int_like(order) else index,
                "api_name": cond_api,
                "rules": normalized_rules,
            }
        )
    return result


def _predicate(
    state: State,
    predicate: dict[str, Any],
    name: str,
    action: str,
    cond_api: str,
    visible: dict[str, StoredField],
    by_api: dict[str, dict[str, Any]],
    ancestors: list[str],
    task_api: str,
) -> dict[str, Any]:
    pred_api = predicate.get("api_name") or state.api_name("predicate")
    operator = predicate.get("operator")
    field_type = predicate.get("field_type")
    if field_type not in ALLOWED_OPERATORS:
        raise nested_error(pred_api, "field_type", f'"{field_type}" is not a valid choice.')
    if operator not in ALLOWED_OPERATORS[str(field_type)]:
        raise value_error(
            pred_api,
            f'Task "{name}": operator "{operator}" can\'t be use with type of field '
            f'"{field_type}".',
        )
    if action == "start_task" and operator not in TASK_OPERATORS:
        raise value_error(
            cond_api,
            f'Task condition "{name}": Only the "completed", "skipped", or '
            '"completed_or_skipped" operators are allowed for the "start_task" action',
        )
    field = predicate.get("field")
    value = predicate.get("value")
    if field_type == "task":
        if field not in by_api:
            message = (
                f'Task "{name}": the "start after" condition points to a non-existent task. '
                'Please change the "start after" condition.'
                if action == "start_task"
                else f'Task "{name}": the "check if" condition points to a non-existent '
                'task. Please change the "check if" condition.'
            )
            raise value_error(pred_api, message)
        if action != "start_task" and field not in ancestors and field != task_api:
            raise value_error(
                pred_api,
                f'Task "{name}": the "check if" condition points to a non ancestor task. '
                'Please change the "check if" condition.',
            )
    elif field_type != "kickoff":
        if field not in visible:
            raise value_error(
                pred_api,
                f'Some fields referenced in the conditions of task "{name}" do not exist.',
            )
        if operator not in UNARY_OPERATORS:
            if value in (None, ""):
                raise value_error(
                    pred_api, f'Task "{name}": operator "{operator}" should have some value.'
                )
            if field_type == "number":
                try:
                    float(str(value))
                except ValueError:
                    raise value_error(pred_api, "The value must be a number.") from None
            if field_type == "user" and (
                not is_int_like(value) or int(str(value)) not in state.users
            ):
                raise value_error(
                    pred_api,
                    f'Task "{name}": user id "{value}" doesn\'t exist or can\'t be used in '
                    "this condition.",
                )
            if field_type == "group" and (
                not is_int_like(value) or int(str(value)) not in state.groups
            ):
                raise value_error(
                    pred_api,
                    f'Task "{name}": Group ID "{value}" does not exist or cannot be used in '
                    "this condition.",
                )
    else:
        field = None
    return {
        "operator": operator,
        "field_type": field_type,
        "field": field,
        "value": None if value is None else str(value),
        "api_name": pred_api,
    }
