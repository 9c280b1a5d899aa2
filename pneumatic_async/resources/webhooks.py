"""``client.webhooks``: webhook event subscriptions on the real server's per-event API.

Real-server facts (``contract.md`` §10, captures 40-61):

* Routes: ``GET /webhooks/events``, ``GET /webhooks/events/<event>``,
  ``POST /webhooks/events/<event>/subscribe|unsubscribe``, ``POST /webhooks/subscribe`` (every
  event) and ``POST /webhooks/unsubscribe``. The docs' older ``/webhooks`` collection (by id, by
  target URL) is gone (HTML 404): its capabilities are provided here on the per-event API.
* Subscribe and unsubscribe answer 204 with an empty body; they are safe to repeat.
* Events: ``workflow_started``, ``workflow_completed``, ``task_completed``, ``task_returned``;
  the docs' ``task_completed_v2`` is a 404 (accepted here as ``task_completed``).
* A URL longer than 255 characters makes the server fail with a 500: refused here first.
* Deliveries are unsigned: put a secret in the URL and check it when receiving.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from pneumatic_async._protocol.responses import structure
from pneumatic_async.models.webhooks import WebhookSubscription
from pneumatic_async.resources._base import Resource

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient

__all__ = ["EVENTS", "Webhooks"]

#: The events the real server sends.
EVENTS: Final = ("workflow_started", "workflow_completed", "task_completed", "task_returned")
_ALIASES: Final = {"task_completed_v2": "task_completed"}
_MAX_URL: Final = 255


def event_name(event: str) -> str:
    """The server's name for ``event`` (the docs' ``task_completed_v2`` is ``task_completed``)."""
    name = _ALIASES.get(event, event)
    if name not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; valid events: {', '.join(EVENTS)}")
    return name


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL of at most 255 characters."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"webhook url must be an absolute http(s) URL, got {url!r}")
    if len(url) > _MAX_URL:
        raise ValueError(
            f"webhook url is {len(url)} characters; the server accepts at most {_MAX_URL}"
        )
    return url


class Webhooks(Resource):
    """Webhook subscriptions: ``client.webhooks`` (needs an admin or account-owner key)."""

    __slots__ = ()

    _client: BaseClient

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)

    async def list(self) -> builtins.list[WebhookSubscription]:
        """Every event with its subscribed URL (``GET /webhooks/events``), sorted by event."""
        items = await self._get("/webhooks/events", builtins.list[WebhookSubscription])
        return sorted(items, key=lambda item: str(item.event))

    async def get(self, event: str) -> WebhookSubscription:
        """One event's subscription (``GET /webhooks/events/<event>``); ``url`` may be null."""
        name = event_name(event)
        body = await self._client.request("GET", f"/webhooks/events/{name}")
        data = {"event": name, **(body or {})}
        return structure(data, WebhookSubscription, method="GET", path=f"/webhooks/events/{name}")

    async def subscribe(self, event: str, url: str) -> None:
        """Send ``event`` to ``url`` (``POST /webhooks/events/<event>/subscribe``, 204)."""
        name = event_name(event)
        await self._client.request(
            "POST",
            f"/webhooks/events/{name}/subscribe",
            json={"url": check_url(url)},
            idempotent=True,
        )

    async def unsubscribe(self, event: str) -> None:
        """Stop sending ``event`` (``POST /webhooks/events/<event>/unsubscribe``, 204)."""
        name = event_name(event)
        await self._client.request(
            "POST", f"/webhooks/events/{name}/unsubscribe", json={}, idempotent=True
        )

    async def subscribe_all(self, url: str) -> None:
        """Send every event to ``url`` (``POST /webhooks/subscribe``, 204; replaces all hooks)."""
        await self._client.request(
            "POST", "/webhooks/subscribe", json={"url": check_url(url)}, idempotent=True
        )

    async def unsubscribe_all(self) -> None:
        """Remove every subscription (``POST /webhooks/unsubscribe``, 204)."""
        await self._client.request("POST", "/webhooks/unsubscribe", json={}, idempotent=True)

    async def unsubscribe_url(self, url: str) -> builtins.list[str]:
        """Unsubscribe every event whose URL is ``url``; returns those events.

        The docs' ``DELETE /webhooks/target`` does this on a server that no longer has it.
        """
        events = [item.event for item in await self.list() if item.url == url]
        for event in events:
            await self.unsubscribe(str(event))
        return [str(event) for event in events]
