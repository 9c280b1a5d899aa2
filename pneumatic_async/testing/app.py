"""The fake server's ASGI application.

Request handling, in the real server's order:

1. URL resolution: a path no route matches — including any trailing-slash variant — gets
   Django's HTML 404 page (before authentication, so without cookies).
2. Authentication (contract §1): ``Authorization: Bearer <pn- key or session token>``; the exact
   401 bodies with ``WWW-Authenticate: Token realm="api"``.
3. The handler (permissions → lookup → body validation → business rules); ``ApiError`` becomes
   its JSON error. A routed path with an unmapped method gets 405 — or 403 on the workflow/task
   viewsets (``DenyAll``) and after a failed admin check.
4. Authenticated responses carry the ``Set-Cookie`` headers the real server sends
   (``file_service_auth=<raw key>`` for the file service, and ``sessionid``).

File-service, storage and Flowdash paths have their own authentication: the fake only records
the caller there (if the key is valid) and never answers 401 for them itself.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, MutableMapping
from email.utils import formatdate
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from pneumatic_async.testing.errors import PERMISSION_DENIED, ApiError
from pneumatic_async.testing.faults import FaultMiddleware
from pneumatic_async.testing.handlers import (
    accounts,
    checklists,
    files,
    flowdash,
    tasks,
    templates,
    webhooks,
    workflows,
)
from pneumatic_async.testing.handlers._helpers import ApiRoute, ServedFake, json_body
from pneumatic_async.testing.state import StoredUser

__all__ = ["PneumaticApp", "build_app"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[..., Any]

HTML_404: Final = b"<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"
_TOKEN_NOT_VALID: Final = {
    "detail": "Given token not valid for any token type",
    "code": "token_not_valid",
    "messages": [
        {
            "token_class": "AccessToken",
            "token_type": "access",
            "message": "Token is invalid or expired",
        },
        {
            "token_class": "GuestToken",
            "token_type": "Guest",
            "message": "Token is invalid or expired",
        },
    ],
}
_NOT_PROVIDED: Final = {"detail": "Authentication credentials were not provided."}
_METHOD_ORDER: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_COMMON_HEADERS: Final = [(b"x-frame-options", b"SAMEORIGIN"), (b"vary", b"Origin, Cookie")]
_API_ROOTS: Final = frozenset({"/templates/", "/workflows/"})


class _AuthFailure(Exception):
    def __init__(self, body: Any) -> None:
        super().__init__(body)
        self.body = body


def build_app(fake: ServedFake) -> ASGIApp:
    """The fake's ASGI app (wrapped in the fault middleware)."""
    routes: list[BaseRoute] = [
        *files.routes(fake),
        *flowdash.ROUTES,
        *webhooks.ROUTES,
        *templates.ROUTES,
        *workflows.ROUTES,
        *checklists.ROUTES,
        *tasks.ROUTES,
        *accounts.ROUTES,
    ]
    file_service = fake.files
    exempt = (
        file_service.path + "/",
        urlsplit(file_service.storage_url).path.rstrip("/") + "/",
        flowdash.PREFIX + "/",
    )
    return FaultMiddleware(PneumaticApp(fake, routes, exempt_prefixes=exempt), fake.faults)


class PneumaticApp:
    """Routes requests, authenticates them and renders errors (see the module docstring)."""

    def __init__(
        self,
        fake: ServedFake,
        routes: list[BaseRoute],
        *,
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.fake = fake
        self.routes = routes
        self.exempt_prefixes = tuple(p for p in exempt_prefixes if p != "/")
        self._by_segment: dict[str, list[BaseRoute]] = {}
        self._allow: dict[str, bytes] = {}
        methods_by_path: dict[str, set[str]] = {}
        for route in routes:
            path = getattr(route, "path", "/")
            segment = path.split("/", 2)[1] if path.count("/") >= 1 else ""
            if "{" in segment:
                segment = ""
            self._by_segment.setdefault(segment, []).append(route)
            if isinstance(route, ApiRoute):
                methods_by_path.setdefault(path, set()).update(route.methods or ())
        for path, methods in methods_by_path.items():
            allowed = set(methods) | {"OPTIONS"}
            if "GET" in allowed:
                allowed.add("HEAD")
            self._allow[path] = ", ".join(m for m in _METHOD_ORDER if m in allowed).encode()
        host = urlsplit(fake.base_url).hostname or ""
        parts = host.split(".")
        self._cookie_domain = "." + ".".join(parts[-2:]) if len(parts) >= 2 else None
        self._session_rng = random.Random(f"sessions-{fake.seed}")
        self._date_cache: dict[int, tuple[bytes, bytes]] = {}

    # -- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        scope["fake"] = self.fake
        self.fake.engine.advance()
        route, child, partial = self._match(scope)
        path: str = scope["path"]
        exempt = path.startswith(self.exempt_prefixes)
        if route is None and partial is None and path not in _API_ROOTS:
            await _html_404()(scope, receive, send)
            return
        if exempt:
            await self._exempt(scope, receive, send, route, child, partial)
            return
        headers = dict(scope["headers"])
        try:
            user, token = self._authenticate(headers.get(b"authorization"))
        except _AuthFailure as failure:
            await self._unauthorized(failure.body)(scope, receive, send)
            return
        if user is None or token is None:
            await self._unauthorized(_NOT_PROVIDED)(scope, receive, send)
            return
        scope["user"] = user
        target = route or partial
        try:
            if path in _API_ROOTS and target is None:
                response = Response(json_body({}), media_type="application/json")
            elif route is not None:
                scope.update(child)
                response = await self._endpoint(route)(Request(scope, receive))
            else:
                assert partial is not None
                scope.update(child)
                response = self._unmapped(partial, scope["method"], user)
        except ApiError as error:
            response = _error_response(error)
        raw_headers = response.raw_headers
        raw_headers.extend(_COMMON_HEADERS)
        allow = self._allow.get(getattr(target, "path", ""))
        if allow is not None:
            raw_headers.append((b"allow", allow))
        raw_headers.extend(self._cookies(token))
        await response(scope, receive, send)

    # -- routing -----------------------------------------------------------------------------

    def _match(self, scope: Scope) -> tuple[BaseRoute | None, Scope, BaseRoute | None]:
        path: str = scope["path"]
        segment = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        candidates = self._by_segment.get(segment, [])
        fallback = self._by_segment.get("", [])
        partial: BaseRoute | None = None
        partial_child: Scope = {}
        for route in (*candidates, *fallback):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return route, child, None
            if match == Match.PARTIAL and partial is None:
                partial, partial_child = route, child
        return None, partial_child, partial

    @staticmethod
    def _endpoint(route: BaseRoute) -> Callable[[Request], Any]:
        if isinstance(route, ApiRoute):
            return route.api_endpoint
        assert isinstance(route, Route)
        return route.endpoint

    def _unmapped(self, route: BaseRoute, method: str, user: StoredUser) -> Response:
        mode = route.unmapped if isinstance(route, ApiRoute) else "405"
        if mode == "403" or (mode == "admin" and not (user.is_admin or user.is_account_owner)):
            return _error_response(ApiError(403, {"detail": PERMISSION_DENIED}))
        return _error_response(ApiError(405, {"detail": f'Method "{method}" not allowed.'}))

    async def _exempt(
        self,
        scope: Scope,
        receive: Any,
        send: Any,
        route: BaseRoute | None,
        child: Scope,
        partial: BaseRoute | None,
    ) -> None:
        headers = dict(scope["headers"])
        try:
            user, _ = self._authenticate(headers.get(b"authorization"))
        except _AuthFailure:
            user = None
        if user is not None:
            scope["user"] = user
        if route is None:
            response = _error_response(
                ApiError(405, {"detail": f'Method "{scope["method"]}" not allowed.'})
            )
            await response(scope, receive, send)
            return
        await route.handle({**scope, **child}, receive, send)

    # -- authentication ----------------------------------------------------------------------

    def _authenticate(self, header: bytes | None) -> tuple[StoredUser | None, str | None]:
        """``(user, token)``; ``(None, None)`` for anonymous; raises ``_AuthFailure``."""
        if header is None:
            return None, None
        parts = header.decode("latin-1").split()
        if not parts or parts[0].lower() != "bearer":
            return None, None
        if len(parts) == 1:
            raise _AuthFailure({"detail": "Invalid token header. No credentials provided."})
        if len(parts) > 2:
            raise _AuthFailure(
                {"detail": "Invalid token header. Token string should not contain spaces."}
            )
        token = parts[1]
        state = self.fake.state
        user_id: int | None = None
        key = state.api_keys_by_token.get(token)
        if key is not None and key.is_active:
            now = self.fake.clock()
            if key.expires_at is None or key.expires_at > now:
                key.last_used_at = now
                user_id = key.user_id
        else:
            user_id = state.sessions.get(token)
        user = state.users.get(user_id) if user_id is not None else None
        if user is None or user.status != "active":
            raise _AuthFailure(_TOKEN_NOT_VALID)
        return user, token

    def _unauthorized(self, body: Any) -> Response:
        response = Response(json_body(body), status_code=401, media_type="application/json")
        response.raw_headers.append((b"www-authenticate", b'Token realm="api"'))
        response.raw_headers.extend(_COMMON_HEADERS)
        response.raw_headers.append((b"set-cookie", self._session_cookie(None)))
        return response

    # -- cookies -----------------------------------------------------------------------------

    def _expiry(self) -> tuple[bytes, bytes]:
        now = int(self.fake.clock())
        cached = self._date_cache.get(now)
        if cached is None:
            cached = (
                formatdate(now + 86400, usegmt=True).encode(),
                formatdate(now + 1209600, usegmt=True).encode(),
            )
            self._date_cache = {now: cached}
        return cached

    def _session_cookie(self, token: str | None) -> bytes:
        if token is None:
            session = f"{self._session_rng.getrandbits(128):032x}"
        else:
            session = hashlib.sha1(token.encode(), usedforsecurity=False).hexdigest()[:32]
        expires = self._expiry()[1]
        return (
            b"sessionid="
            + session.encode()
            + b"; expires="
            + expires
            + b"; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"
        )

    def _cookies(self, token: str) -> list[tuple[bytes, bytes]]:
        domain = b"; Domain=" + self._cookie_domain.encode() if self._cookie_domain else b""
        file_cookie = (
            b"file_service_auth="
            + token.encode()
            + domain
            + b"; expires="
            + self._expiry()[0]
            + b"; HttpOnly; Max-Age=86400; Path=/; SameSite=Lax; Secure"
        )
        return [(b"set-cookie", file_cookie), (b"set-cookie", self._session_cookie(token))]


def _error_response(error: ApiError) -> Response:
    if error.body is None:
        return Response(b"", status_code=error.status)
    return Response(json_body(error.body), status_code=error.status, media_type="application/json")


def _html_404() -> Response:
    response = Response(HTML_404, status_code=404, media_type="text/html")
    response.raw_headers.extend(_COMMON_HEADERS)
    return response


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
