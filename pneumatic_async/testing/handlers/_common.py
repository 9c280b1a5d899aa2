"""Small request/response helpers shared by the webhooks and files handlers.

Bodies are rendered the way the real server renders them: DRF's compact JSON
(``{"detail":"Not found."}``), Django's HTML 404/500 pages.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "HTML_404",
    "HTML_500",
    "PERMISSION_DENIED",
    "caller",
    "caller_id",
    "forbidden_unless_admin",
    "json_response",
    "not_found_html",
    "read_data",
    "server_error_500",
    "validation_error",
]

HTML_404: Final = b"<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
HTML_500: Final = b"<h1>Server Error (500)</h1>"
PERMISSION_DENIED: Final = "You do not have permission to perform this action."


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response rendered like DRF (compact separators, UTF-8)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def validation_error(name: str, reason: str) -> Response:
    """400 in the server's custom shape for a top-level field error."""
    body = {
        "message": reason,
        "code": "validation_error",
        "details": {"name": name, "reason": reason},
    }
    return json_response(body, 400)


def not_found_html() -> Response:
    """Django's HTML 404 page (unrouted paths)."""
    return Response(HTML_404, status_code=404, media_type="text/html")


def server_error_500() -> Response:
    """Django's HTML 500 page (an unhandled server error)."""
    return Response(HTML_500, status_code=500, media_type="text/html")


async def read_data(request: Request) -> Any:
    """``request.data`` as DRF parses it: JSON, form-encoded or empty (``{}``).

    Returns the parsed data, or a 400/415 response for a malformed or unsupported body.
    """
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.loads(body)
        except ValueError as exc:
            return json_response({"detail": f"JSON parse error - {exc}"}, 400)
    if media_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return json_response({"detail": f'Unsupported media type "{content_type}" in request.'}, 415)


def caller(fake: Any, request: Request) -> Any:
    """The user the request's API key belongs to, as the fake core's auth recorded it (or None)."""
    for source in (request.scope, request.scope.get("state") or {}):
        for key in ("user", "pneumatic_user"):
            user = source.get(key) if isinstance(source, dict) else None
            if user is not None:
                return user
    return None


def _field(user: Any, name: str) -> Any:
    if isinstance(user, dict):
        return user.get(name)
    return getattr(user, name, None)


def caller_id(fake: Any, request: Request) -> Any:
    """The calling user's id (None when the fake core recorded no user)."""
    user = caller(fake, request)
    return _field(user, "id") if user is not None else None


def forbidden_unless_admin(fake: Any, request: Request) -> Response | None:
    """403 for callers who are neither admin nor account owner; None when allowed."""
    user = caller(fake, request)
    if user is None:
        return None
    if _field(user, "is_admin") or _field(user, "is_account_owner"):
        return None
    return json_response({"detail": PERMISSION_DENIED}, 403)
