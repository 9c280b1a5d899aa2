"""Fake webhook management routes, as the real server answers them (captures 40-61, 161-165).

* ``GET  /webhooks/events`` → ``[{"event", "url"}]``, one item per event (``url`` of the first hook
  or ``null``)
* ``GET  /webhooks/events/<event>`` → ``{"url"}``
* ``POST /webhooks/events/<event>/subscribe`` ``{"url"}`` → 204: update-or-create the caller's hook
  for that event; the URL is validated (400) **before** an unknown event is rejected (404)
* ``POST /webhooks/events/<event>/unsubscribe`` → 204: delete every hook of that event
* ``POST /webhooks/subscribe`` ``{"url"}`` → 204: replace all hooks by one per event
* ``POST /webhooks/unsubscribe`` → 204: delete all hooks

Unknown events (including the documented ``task_completed_v2``) → 404 ``{"detail": "Not found."}``.
The old CRUD routes (``GET/POST /webhooks``, ``DELETE /webhooks/<id>``) are not routed, so they get
the app's HTML 404. Bodies may be JSON or form-encoded (the wiki's examples send form data).

Hooks live in ``fake.state.webhooks``: ``{event: [{"id", "event", "target", "user_id"}, ...]}``
(ids from the store's ``webhook`` counter). Management needs an admin or the account owner (403
otherwise, also for unmapped methods, which are 405 for admins).
"""

from __future__ import annotations

import random
import re
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pneumatic_async.testing.errors import field_error, not_found
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    ServedFake,
    body_of,
    current_user,
    empty,
    fake_of,
    ok,
    require_admin,
    server_error_500,
)

__all__ = ["EVENTS", "hooks_for", "listing_order", "ROUTES", "validate_url"]

#: The events the server accepts, in the order the real server listed them.
EVENTS: Final = ("task_completed", "workflow_started", "workflow_completed", "task_returned")

#: Django's ``URLValidator`` (schemes http, https, ftp, ftps; a TLD or localhost or an IP).
_URL_RE: Final = re.compile(
    r"^(?:https?|ftps?)://"
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
    r"(?:"
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
    r"|\[[0-9a-f:.]+\]"
    r"|(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?"
    r"(?:\.(?!-)[a-z0-9\u00a1-\uffff-]{1,63}(?<!-))*"
    r"\.(?!-)(?:[a-z\u00a1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?"
    r"|localhost)"
    r")"
    r"(?::\d{1,5})?"
    r"(?:[/?#]\S*)?\Z",
    re.IGNORECASE,
)
#: The database column holding hook targets; longer URLs made the real server answer 500.
_TARGET_MAX_LENGTH: Final = 255


def hooks_for(fake: ServedFake, event: str | None = None) -> list[dict[str, Any]]:
    """The account's hooks (of one event, or all), for tests."""
    store = fake.state.webhooks
    if event is not None:
        return list(store.get(event, []))
    return [hook for name in EVENTS for hook in store.get(name, [])]


def validate_url(value: Any) -> str:
    """DRF ``URLField`` validation of a ``url`` value: the cleaned URL, or raises the 400."""
    if value is None:
        raise field_error("url", "This field may not be null.")
    if isinstance(value, bool | dict | list):
        raise field_error("url", "Not a valid string.")
    url = str(value).strip()
    if not url:
        raise field_error("url", "This field may not be blank.")
    if not _URL_RE.match(url):
        raise field_error("url", "Enter a valid URL.")
    return url


async def _url_from_body(request: Request) -> str | None:
    """The validated ``url`` of the body; None when it is too long for the database (→ 500)."""
    data = await body_of(request)
    if not isinstance(data, dict) or "url" not in data:
        raise field_error("url", "This field is required.")
    url = validate_url(data["url"])
    return url if len(url) <= _TARGET_MAX_LENGTH else None


def _event_of(request: Request) -> str:
    event: str = request.path_params["event"]
    if event not in EVENTS:
        raise not_found()
    return event


def _last_target(hooks: list[dict[str, Any]] | None) -> str | None:
    return hooks[-1]["target"] if hooks else None


def listing_order(seed: int) -> tuple[str, ...]:
    """The order ``GET /webhooks/events`` lists the events in.

    The real server builds the list from a Python ``set``, so its order changes from one server
    process to the next. The fake's depends on its seed: seed 0 gives the captured order, other
    seeds a seeded shuffle, so that a test relying on the order fails under some seed.
    """
    if seed == 0:
        return EVENTS
    events = list(EVENTS)
    random.Random(f"hook-events-{seed}").shuffle(events)
    return tuple(events)


def new_hook(fake: ServedFake, event: str, target: str, user_id: int) -> dict[str, Any]:
    """A new hook (ids increase, never reused)."""
    hook_id = fake.state.next_id("webhook")  # increasing, never reused
    return {"id": hook_id, "event": event, "target": target, "user_id": user_id}


async def list_events(request: Request) -> Response:
    """``GET /webhooks/events``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    order = listing_order(fake.seed)

    require_admin(current_user(request))
    return ok(
        [
            # every hook of the event overwrites ``url`` in turn: the last one shows
            {"url": _last_target(store.get(event)), "event": event}
            for event in order
        ]
    )


async def get_event(request: Request) -> Response:
    """``GET /webhooks/events/{event}``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    require_admin(current_user(request))
    hooks = store.get(_event_of(request))
    return ok({"url": hooks[0]["target"] if hooks else None})


async def subscribe_event(request: Request) -> Response:
    """``POST /webhooks/events/{event}/subscribe``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    user = current_user(request)
    require_admin(user)
    url = await _url_from_body(request)  # validated before the event (contract §2.4)
    event = _event_of(request)
    if url is None:
        return server_error_500()
    hooks = store.setdefault(event, [])
    mine = next((hook for hook in hooks if hook["user_id"] == user.id), None)
    if mine is not None:  # update-or-create keyed by (account, event, user)
        mine["target"] = url
    else:
        hooks.append(new_hook(fake, event, url, user.id))
    return empty()


async def unsubscribe_event(request: Request) -> Response:
    """``POST /webhooks/events/{event}/unsubscribe``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    require_admin(current_user(request))
    store.pop(_event_of(request), None)
    return empty()


async def subscribe_all(request: Request) -> Response:
    """``POST /webhooks/subscribe``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    user = current_user(request)
    require_admin(user)
    url = await _url_from_body(request)
    if url is None:
        return server_error_500()
    store.clear()
    for event in EVENTS:
        store[event] = [new_hook(fake, event, url, user.id)]
    return empty()


async def unsubscribe_all(request: Request) -> Response:
    """``POST /webhooks/unsubscribe``."""
    fake = fake_of(request)
    store = fake.state.webhooks

    require_admin(current_user(request))
    store.clear()
    return empty()


def route(path: str, endpoint: Any, method: str) -> ApiRoute:
    """A webhook management route (admins only for unmapped methods too)."""
    return ApiRoute(path, endpoint, methods=[method], unmapped="admin")


#: The webhook management routes.
ROUTES: tuple[BaseRoute, ...] = (
    route("/webhooks/events", list_events, "GET"),
    route("/webhooks/events/{event}", get_event, "GET"),
    route("/webhooks/events/{event}/subscribe", subscribe_event, "POST"),
    route("/webhooks/events/{event}/unsubscribe", unsubscribe_event, "POST"),
    route("/webhooks/subscribe", subscribe_all, "POST"),
    route("/webhooks/unsubscribe", unsubscribe_all, "POST"),
)
