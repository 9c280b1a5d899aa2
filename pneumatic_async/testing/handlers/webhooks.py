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

Hooks live in ``fake.state.webhooks``: ``{event: [{"id", "event", "target", "user_id"}, ...]}``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pneumatic_async.testing.handlers._common import (
    caller_id,
    forbidden_unless_admin,
    json_response,
    read_data,
    server_error_500,
    validation_error,
)

__all__ = ["EVENTS", "hooks_for", "routes", "validate_url"]

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


def hooks_for(fake: Any, event: str | None = None) -> list[dict[str, Any]]:
    """The account's hooks (of one event, or all), for the engine's delivery code and tests."""
    store = _store(fake)
    if event is not None:
        return list(store.get(event, []))
    return [hook for name in EVENTS for hook in store.get(name, [])]


def validate_url(value: Any) -> str | Response:
    """DRF ``URLField`` validation of a ``url`` value: the cleaned URL or the 400 response."""
    if value is None:
        return validation_error("url", "This field may not be null.")
    if isinstance(value, bool | dict | list):
        return validation_error("url", "Not a valid string.")
    url = str(value).strip()
    if not url:
        return validation_error("url", "This field may not be blank.")
    if not _URL_RE.match(url):
        return validation_error("url", "Enter a valid URL.")
    return url


def _store(fake: Any) -> dict[str, list[dict[str, Any]]]:
    state = fake.state
    store: dict[str, list[dict[str, Any]]] | None = getattr(state, "webhooks", None)
    if store is None:
        store = {}
        state.webhooks = store
    return store


def routes(fake: Any) -> list[BaseRoute]:
    """The webhook management routes."""
    last_id = 0

    def new_hook(event: str, target: str, user_id: Any) -> dict[str, Any]:
        # Like database ids: increasing, never reused (also past hooks added by others).
        nonlocal last_id
        last_id = max([last_id, *(hook["id"] for hook in hooks_for(fake))]) + 1
        return {"id": last_id, "event": event, "target": target, "user_id": user_id}

    async def list_events(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        store = _store(fake)
        return json_response(
            [
                {"url": hooks[0]["target"] if (hooks := store.get(event)) else None, "event": event}
                for event in EVENTS
            ]
        )

    async def get_event(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        event = request.path_params["event"]
        if event not in EVENTS:
            return json_response({"detail": "Not found."}, 404)
        hooks = _store(fake).get(event)
        return json_response({"url": hooks[0]["target"] if hooks else None})

    async def subscribe_event(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        url = await _url_from_body(request)
        if isinstance(url, Response):
            return url
        event = request.path_params["event"]
        if event not in EVENTS:
            return json_response({"detail": "Not found."}, 404)
        user_id = caller_id(fake, request)
        hooks = _store(fake).setdefault(event, [])
        mine = next((hook for hook in hooks if hook["user_id"] == user_id), None)
        if mine is not None:
            mine["target"] = url
        else:
            hooks.append(new_hook(event, url, user_id))
        return Response(status_code=204)

    async def unsubscribe_event(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        event = request.path_params["event"]
        if event not in EVENTS:
            return json_response({"detail": "Not found."}, 404)
        _store(fake).pop(event, None)
        return Response(status_code=204)

    async def subscribe_all(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        url = await _url_from_body(request)
        if isinstance(url, Response):
            return url
        user_id = caller_id(fake, request)
        store = _store(fake)
        store.clear()
        for event in EVENTS:
            store[event] = [new_hook(event, url, user_id)]
        return Response(status_code=204)

    async def unsubscribe_all(request: Request) -> Response:
        if (denied := forbidden_unless_admin(fake, request)) is not None:
            return denied
        _store(fake).clear()
        return Response(status_code=204)

    return [
        Route("/webhooks/events", list_events, methods=["GET"]),
        Route("/webhooks/events/{event}", get_event, methods=["GET"]),
        Route("/webhooks/events/{event}/subscribe", subscribe_event, methods=["POST"]),
        Route("/webhooks/events/{event}/unsubscribe", unsubscribe_event, methods=["POST"]),
        Route("/webhooks/subscribe", subscribe_all, methods=["POST"]),
        Route("/webhooks/unsubscribe", unsubscribe_all, methods=["POST"]),
    ]


async def _url_from_body(request: Request) -> str | Response:
    data = await read_data(request)
    if isinstance(data, Response):
        return data
    if not isinstance(data, dict) or "url" not in data:
        return validation_error("url", "This field is required.")
    url = validate_url(data["url"])
    if isinstance(url, str) and len(url) > _TARGET_MAX_LENGTH:
        return server_error_500()
    return url
