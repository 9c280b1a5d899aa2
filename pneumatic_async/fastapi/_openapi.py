"""The OpenAPI description of the webhook route: request body schema, examples and answers."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DESCRIPTION", "operation_extra", "responses"]

#: The route's description.
DESCRIPTION: Final = (
    "Pneumatic POSTs here when a subscribed event happens. The `token` query parameter must be "
    "the subscription's secret (403 otherwise). Each delivery is handled once: duplicates are "
    "answered 200 `duplicate`. An inline handler's failure answers 500, so the server retries "
    "(3 attempts in all); a background handler's delivery is answered 202 at once."
)

_HOOK: Final = {
    "type": "object",
    "description": "The subscription that fired this delivery.",
    "required": ["id", "event", "target"],
    "properties": {
        "id": {"type": "integer"},
        "event": {
            "type": "string",
            "enum": ["workflow_started", "workflow_completed", "task_completed", "task_returned"],
        },
        "target": {"type": "string", "format": "uri"},
    },
}


def _event(name: str, key: str, description: str) -> dict[str, Any]:
    return {
        "title": name,
        "type": "object",
        "required": ["hook", key],
        "properties": {
            "hook": _HOOK,
            key: {"type": "object", "description": description, "additionalProperties": True},
        },
    }


_BODY_SCHEMA: Final = {
    "title": "PneumaticWebhookDelivery",
    "description": (
        "A Pneumatic webhook delivery: `{hook, workflow}` for workflow_started/"
        "workflow_completed, `{hook, task}` for task_completed/task_returned. Unsigned, and "
        "without a delivery id."
    ),
    "oneOf": [
        _event("WorkflowEvent", "workflow", "The full workflow (WorkflowDetails)."),
        _event("TaskEvent", "task", "The task; its `workflow` is the full workflow."),
    ],
}

_EXAMPLE: Final = {
    "hook": {"id": 7, "event": "task_completed", "target": "https://example.com/hooks?token=..."},
    "task": {
        "id": 6,
        "name": "Review",
        "api_name": "task-review",
        "status": "completed",
        "date_completed_tsp": 1795404343.35,
        "workflow": {"id": 8, "name": "Purchase #8", "status": 0, "date_created_tsp": 1795404288.4},
    },
}


def operation_extra(max_body: int) -> dict[str, Any]:
    """``openapi_extra`` of the webhook route: the body the route reads itself."""
    return {
        "requestBody": {
            "required": True,
            "description": f"The delivery's JSON body (at most {max_body} bytes).",
            "content": {"application/json": {"schema": _BODY_SCHEMA, "example": _EXAMPLE}},
        }
    }


def _status(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"status": {"type": "string"}}}
            }
        },
    }


def responses() -> dict[int | str, dict[str, Any]]:
    """The answers of the webhook route."""
    return {
        200: _status("Handled inline, a duplicate of a handled delivery, or an ignored event."),
        202: _status("Recorded; its handler runs in the background."),
        400: {"description": "The body is not a Pneumatic event."},
        403: {"description": "The token is missing or wrong."},
        413: {"description": "The body is larger than the route accepts."},
        500: {"description": "The handler failed; the server retries the delivery."},
    }
