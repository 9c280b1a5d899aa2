"""Webhook subscriptions: ``GET /webhooks/events`` and ``GET /webhooks/events/<event>``."""

import enum

import attrs

__all__ = ["WebhookEventType", "WebhookEventUrl", "WebhookSubscription"]


class WebhookEventType(enum.StrEnum):
    """The webhook events the server knows (the docs' ``task_completed_v2`` is task_completed)."""

    WORKFLOW_STARTED = "workflow_started"
    WORKFLOW_COMPLETED = "workflow_completed"
    TASK_COMPLETED = "task_completed"
    TASK_RETURNED = "task_returned"


@attrs.frozen(kw_only=True)
class WebhookSubscription:
    """An item of ``GET /webhooks/events``: an event and its URL (``None`` when unsubscribed).

    The server's order of these items is not stable.
    """

    event: WebhookEventType | str
    url: str | None = None


@attrs.frozen(kw_only=True)
class WebhookEventUrl:
    """``GET /webhooks/events/<event>``: the event's URL, ``None`` when unsubscribed."""

    url: str | None = None
