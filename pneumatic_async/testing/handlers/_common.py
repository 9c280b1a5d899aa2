"""Small helpers of the webhooks, files and Flowdash handlers (the rest comes from ``_api``)."""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from pneumatic_async.testing.errors import detail_error
from pneumatic_async.testing.state import StoredUser

__all__ = ["HTML_500", "SwitchedRoute", "caller", "json_response", "read_data", "server_error_500"]

HTML_500: Final = b"<h1>Server Error (500)</h1>"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response (like DRF's and FastAPI's renderers), with extra headers."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def server_error_500() -> Response:
    """Django's HTML 500 page (an unhandled server error)."""
    return Response(HTML_500, status_code=500, media_type="text/html")


async def read_data(request: Request) -> Any:
    """``request.data`` as DRF parses it: JSON, form-encoded, or ``{}`` for an empty body.

    Raises :class:`~pneumatic_async.testing.errors.ApiError` (400 malformed JSON, 415 other
    media types). Form bodies are parsed here, without Starlette's ``python-multipart`` need.
    """
    body = await request.body()
    if not body:
        return {}
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.loads(body)
        except ValueError as exc:
            raise detail_error(400, f"JSON parse error - {exc}") from None
    if media_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    raise detail_error(415, f'Unsupported media type "{content_type}" in request.')


def caller(request: Request) -> StoredUser | None:
    """The user whose key authenticated the request (the app records it; None if anonymous)."""
    user = request.scope.get("user")
    return user if isinstance(user, StoredUser) else None


class SwitchedRoute(Route):
    """A route that exists only while ``enabled()`` is true (else it matches nothing at all).

    Used for routes the real server no longer has, so that with the switch off the request
    falls through to whatever the real server answers (another route, or the HTML 404).
    """

    def __init__(self, *args: Any, enabled: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enabled = enabled

    def matches(self, scope: Any) -> tuple[Match, Any]:
        """Starlette's matching, or no match while switched off."""
        if not self.enabled():
            return Match.NONE, {}
        return super().matches(scope)
