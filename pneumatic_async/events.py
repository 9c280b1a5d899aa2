"""Webhook payloads: typed models of what the server POSTs to a subscribed URL, and
:func:`parse_event`.

Every delivery is ``{"hook": {"id", "event", "target"}, ...}`` (``contract.md`` §10.3):

* ``workflow_started`` / ``workflow_completed``: ``"workflow"`` is the full workflow
  (:class:`~pneumatic_async.models.Workflow`);
* ``task_completed`` / ``task_returned``: ``"task"`` is the task, whose ``workflow`` is the full
  workflow (:class:`~pneumatic_async.models.WebhookTask`).

The docs' ``task_completed_v2`` is read as ``task_completed``, and the 001 revision's
``process_started``/``process_completed`` as ``workflow_started``/``workflow_completed``. The docs'
sample payloads (ISO dates, ``current_task``, no task ``api_name``...) are accepted too: a payload
that does not fit the real shape is read once more with the missing keys filled in
(:mod:`pneumatic_async._event_shapes`). Any other event name gives an :class:`UnknownEvent`
holding the raw payload. Deliveries are unsigned: there is nothing to verify.

Example::

    event = parse_event(await request.body())
    match event:
        case TaskCompletedEvent(task=task):
            print(task.name, "completed in", task.workflow.name)
        case UnknownEvent():
            pass
"""

from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from pneumatic_async import _json
from pneumatic_async._converter import structure
from pneumatic_async._event_shapes import documented_to_real
from pneumatic_async.errors import InvalidWebhookPayloadError, ResponseValidationError
from pneumatic_async.models.tasks import WebhookTask
from pneumatic_async.models.webhooks import WebhookEventType
from pneumatic_async.models.workflows import Workflow

__all__ = [
    "Hook",
    "TaskCompletedEvent",
    "TaskReturnedEvent",
    "UnknownEvent",
    "WebhookEvent",
    "WorkflowCompletedEvent",
    "WorkflowStartedEvent",
    "parse_event",
]


@attrs.frozen(kw_only=True)
class Hook:
    """The ``hook`` of every webhook payload: the subscription that fired it."""

    id: int
    event: WebhookEventType | str
    target: str


@attrs.frozen(kw_only=True)
class WorkflowStartedEvent:
    """``workflow_started``: a workflow was run (also from a public form)."""

    EVENT: ClassVar[WebhookEventType] = WebhookEventType.WORKFLOW_STARTED

    hook: Hook
    workflow: Workflow


@attrs.frozen(kw_only=True)
class WorkflowCompletedEvent:
    """``workflow_completed``: a workflow finished (sent before the last ``task_completed``)."""

    EVENT: ClassVar[WebhookEventType] = WebhookEventType.WORKFLOW_COMPLETED

    hook: Hook
    workflow: Workflow


@attrs.frozen(kw_only=True)
class TaskCompletedEvent:
    """``task_completed`` (the docs' ``task_completed_v2``): a task became fully completed."""

    EVENT: ClassVar[WebhookEventType] = WebhookEventType.TASK_COMPLETED

    hook: Hook
    task: WebhookTask


@attrs.frozen(kw_only=True)
class TaskReturnedEvent:
    """``task_returned``: a task was returned (reverted) to an earlier one."""

    EVENT: ClassVar[WebhookEventType] = WebhookEventType.TASK_RETURNED

    hook: Hook
    task: WebhookTask


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """A payload whose ``hook.event`` this SDK does not know; ``raw`` is the whole payload."""

    hook: Hook
    raw: dict[str, Any]

    @property
    def event(self) -> str:
        """The event name the server sent."""
        return str(self.hook.event)


#: What :func:`parse_event` returns.
WebhookEvent: TypeAlias = (
    WorkflowStartedEvent
    | WorkflowCompletedEvent
    | TaskCompletedEvent
    | TaskReturnedEvent
    | UnknownEvent
)

_EVENT_CLASSES: dict[str, type[WebhookEvent]] = {
    "workflow_started": WorkflowStartedEvent,
    "workflow_completed": WorkflowCompletedEvent,
    "task_completed": TaskCompletedEvent,
    "task_completed_v2": TaskCompletedEvent,
    "task_returned": TaskReturnedEvent,
    "process_started": WorkflowStartedEvent,
    "process_completed": WorkflowCompletedEvent,
}


def parse_event(body: bytes | bytearray | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a webhook request body (raw bytes/text, or already-decoded JSON) into its event.

    Raises :class:`~pneumatic_async.errors.InvalidWebhookPayloadError` when the body is not JSON,
    not an object, has no valid ``hook``, or does not fit its event's model.
    """
    if isinstance(body, Mapping):
        payload: Any = dict(body)
    else:
        try:
            payload = _json.loads(body)
        except (ValueError, TypeError) as exc:
            raise InvalidWebhookPayloadError(f"webhook body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        kind = "an array" if isinstance(payload, list) else type(payload).__name__
        raise InvalidWebhookPayloadError(f"webhook body must be a JSON object, got {kind}")
    hook = payload.get("hook")
    if not isinstance(hook, dict) or not isinstance(hook.get("event"), str):
        raise InvalidWebhookPayloadError(
            "webhook body has no 'hook' object with an 'event' name; not a Pneumatic event"
        )
    cls = _EVENT_CLASSES.get(hook["event"])
    try:
        if cls is None:
            return UnknownEvent(hook=structure(hook, Hook), raw=payload)
        return structure(payload, cls)
    except ResponseValidationError as exc:
        if cls is not None:  # a documented sample shape? (real deliveries never get here)
            try:
                return structure(documented_to_real(payload), cls)
            except (ResponseValidationError, KeyError, TypeError):
                pass
        where = exc.field_path.replace("$", "$.hook", 1) if cls is None else exc.field_path
        raise InvalidWebhookPayloadError(
            f"{hook['event']} payload does not fit {exc.model}: {where}: {exc.args[0]}"
        ) from exc
