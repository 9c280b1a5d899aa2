"""Subscribing an app's webhook URL at startup: :func:`ensure_subscribed`.

The server keeps one URL per event per account and user: a per-event subscribe updates the
caller's hook of that event or creates it, and ``subscribe_all`` deletes **every** hook of the
account (other users' and other URLs' too) before creating one per event. So this helper reads the
current subscriptions and subscribes, per event, only the events whose URL differs: running it
at every startup (in every worker process) is safe and usually sends no write at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from pneumatic_async.client import Pneumatic
from pneumatic_async.resources.webhooks import EVENTS, event_name

__all__ = ["ensure_subscribed"]

logger: Final = logging.getLogger("pneumatic_async.fastapi")


async def ensure_subscribed(
    client: Pneumatic, url: str, events: Iterable[str] = EVENTS
) -> list[str]:
    """Make the server send ``events`` (default: all) to ``url``; returns the events changed.

    Events not named are left alone. Needs an admin key. The URL (with its secret) is never logged.
    """
    wanted = list(dict.fromkeys(event_name(event) for event in events))
    current = {str(item.event): item.url for item in await client.webhooks.list()}
    changed = [event for event in wanted if current.get(event) != url]
    for event in changed:
        await client.webhooks.subscribe(event, url)
    if changed:
        logger.info("subscribed webhook events %s", ", ".join(changed))
    return changed
