"""Deterministic fault injection for the fake Pneumatic server.

A :class:`FaultInjector` holds a list of :class:`Fault` rules and a seeded :class:`random.Random`;
:class:`FaultMiddleware` (a pure ASGI middleware) asks it, for every HTTP request, which fault (if
any) to inject. With the same seed and the same sequence of requests the same faults fire, so
flaky-network tests are reproducible::

    fake.faults.add("status", route="POST /templates/{id}/run", status=500, times=1)
    fake.faults.add("rate_limit", rate=0.2, retry_after=3)      # every route, 20 % of requests
    fake.faults.add("applied_then_drop", route="POST /templates/{id}/run", times=1)
    ...
    assert fake.faults.injected["applied_then_drop"] == 1

Kinds (:data:`FaultKind`):

``status``
    An error answer instead of the real one (the request is **not** applied). 5xx bodies look like
    the real server's: Django's HTML page ``<h1>Server Error (500)</h1>`` (``style="django"``, the
    default) or the ASGI server's plain-text ``Internal Server Error`` (``style="asgi"``, what the
    real server answered for overloaded launches). Other statuses get DRF's ``{"detail": ...}``.
``rate_limit``
    429 ``{"detail": "Request was throttled. Expected available in N seconds."}`` with
    ``Retry-After: N`` (``retry_after``, default 1), not applied.
``latency``
    Sleeps ``latency`` seconds (``anyio.sleep``) and then lets the request through; other faults
    may still fire for the same request.
``drop``
    The connection drops **before** the request is applied.
``malformed``
    200 with a ``Content-Type: application/json`` body that is not JSON; not applied.
``truncated``
    The request **is** applied; the response headers and the first half of the real body are sent,
    then the connection drops (the client sees a protocol/read error mid-body).
``applied_then_drop``
    The request **is** applied (e.g. the workflow really is created), then the connection drops
    before any body byte: the exactly-once case.

Dropping a connection means: send ``http.response.start`` (with a ``Content-Length``), then raise
:class:`ConnectionDropped`. Over a real socket uvicorn then closes the connection mid-response, so
the client sees a protocol/read error, never a 500; the fake's in-process transport turns the
exception into :class:`httpx.RemoteProtocolError`.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final, Literal, TypeAlias, get_args

import anyio

__all__ = [
    "ConnectionDropped",
    "FaultDecision",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultMiddleware",
    "RoutePattern",
]

# Minimal ASGI typing (kept local so this module has no dependency on Starlette).
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Any]
Send: TypeAlias = Callable[[Message], Any]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Any]

#: The fault kinds :meth:`FaultInjector.add` accepts.
FaultKind = Literal[
    "status", "rate_limit", "latency", "drop", "malformed", "truncated", "applied_then_drop"
]
_KINDS: Final = frozenset(get_args(FaultKind))
#: Kinds that replace or damage the response (at most one fires per request).
_TERMINAL_KINDS: Final = _KINDS - {"latency"}

#: Body of Django's default 500 page (no ``500.html`` template configured).
DJANGO_500_BODY: Final = b"<h1>Server Error (500)</h1>"
#: Body of the ASGI server's own 500 answer (uvicorn / gunicorn workers).
ASGI_500_BODY: Final = b"Internal Server Error"
#: What a ``malformed`` fault answers with (declared as JSON, is not JSON).
MALFORMED_BODY: Final = b"<html><body>this is not JSON</body></html>"

_DRF_DETAIL: Final[dict[int, str]] = {
    400: "Malformed request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    406: "Could not satisfy the request Accept header.",
    415: "Unsupported media type in request.",
}


async def _sleep(seconds: float) -> None:
    """The latency wait (a module-level name so tests can replace it)."""
    await anyio.sleep(seconds)


class ConnectionDropped(Exception):
    """Raised by the fake server to mean "drop this connection now".

    Over a socket uvicorn closes the connection (after ``http.response.start`` was sent, so it
    cannot answer 500 instead); the in-process transport maps it to ``httpx.RemoteProtocolError``.
    """


class RoutePattern:
    """``"POST /templates/{id}/run"``-style pattern matched against a concrete method and path.

    The method is optional (``"/templates/{id}/run"`` matches any method); ``{name}`` matches one
    path segment; ``*`` at the end matches any rest of the path.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        method, _, path = pattern.strip().rpartition(" ")
        self.method = method.strip().upper() or None
        if not path.startswith("/"):
            raise ValueError(f"route pattern must contain a path starting with '/': {pattern!r}")
        regex = ""
        for piece in re.split(r"(\{[^{}/]+\}|\*$)", path):
            if piece == "*":
                regex += ".*"
            elif piece.startswith("{") and piece.endswith("}"):
                regex += "[^/]+"
            else:
                regex += re.escape(piece)
        self._regex = re.compile(regex)

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path matches the pattern."""
        if self.method is not None and self.method != method.upper():
            return False
        return self._regex.fullmatch(path) is not None

    def __repr__(self) -> str:
        return f"RoutePattern({self.pattern!r})"


@dataclass(eq=False)
class Fault:
    """One fault rule, as returned by :meth:`FaultInjector.add`.

    ``times`` is the number of injections left (``None``: unlimited); ``injected`` counts how often
    this rule fired.
    """

    kind: FaultKind
    route: RoutePattern | None = None
    rate: float = 1.0
    times: int | None = None
    status: int = 500
    retry_after: float | None = None
    latency: float = 0.0
    style: Literal["django", "asgi"] = "django"
    injected: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to the request (ignoring rate and remaining times)."""
        if self.times is not None and self.times <= 0:
            return False
        return self.route is None or self.route.matches(method, path)

    @property
    def exhausted(self) -> bool:
        """True once a ``times``-limited rule has fired that many times."""
        return self.times is not None and self.times <= 0


@dataclass
class FaultDecision:
    """What the middleware must do for one request: sleep, then maybe one terminal fault."""

    latency: float = 0.0
    fault: Fault | None = None


class FaultInjector:
    """Holds fault rules and decides, deterministically for a given ``seed``, what to inject.

    Rules are checked in the order they were added. Every matching rule draws one number from the
    seeded RNG; a ``latency`` rule that fires adds its delay and checking goes on, the first other
    rule that fires is the request's fault. ``injected`` counts fired rules by kind.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed
        self._rng = random.Random(seed)
        self.faults: list[Fault] = []
        #: How many faults of each kind were injected so far (never reset by :meth:`clear`).
        self.injected: Counter[str] = Counter()

    def add(
        self,
        kind: FaultKind,
        *,
        route: str | None = None,
        rate: float = 1.0,
        times: int | None = None,
        status: int = 500,
        retry_after: float | None = None,
        latency: float = 0.0,
        style: Literal["django", "asgi"] = "django",
    ) -> Fault:
        """Add a rule and return it.

        ``route`` is a pattern such as ``"POST /templates/{id}/run"`` (``None``: every request);
        ``rate`` the probability (0..1) that a matching request is hit; ``times`` how many
        injections at most. ``status`` and ``style`` apply to ``"status"`` faults, ``retry_after``
        to ``"rate_limit"`` and ``latency`` (seconds) to ``"latency"``.
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if kind == "status" and not 400 <= status <= 599:
            raise ValueError("a 'status' fault needs an error status (400-599)")
        fault = Fault(
            kind=kind,
            route=RoutePattern(route) if route is not None else None,
            rate=rate,
            times=times,
            status=status,
            retry_after=retry_after,
            latency=latency,
            style=style,
        )
        self.faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        """Remove one rule (no error if it is already gone)."""
        if fault in self.faults:
            self.faults.remove(fault)

    def clear(self) -> None:
        """Remove every rule. The ``injected`` counter and the RNG state are kept."""
        self.faults.clear()

    def decide(self, method: str, path: str) -> FaultDecision:
        """Decide the faults for one request (consumes RNG draws and ``times``)."""
        decision = FaultDecision()
        for fault in self.faults:
            if decision.fault is not None and fault.kind in _TERMINAL_KINDS:
                continue
            if not fault.matches(method, path):
                continue
            if self._rng.random() >= fault.rate:
                continue
            if fault.times is not None:
                fault.times -= 1
            fault.injected += 1
            self.injected[fault.kind] += 1
            if fault.kind == "latency":
                decision.latency += fault.latency
            else:
                decision.fault = fault
        return decision


class FaultMiddleware:
    """Pure ASGI middleware applying a :class:`FaultInjector` to every HTTP request."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection scope."""
        if scope["type"] != "http" or not self.injector.faults:
            await self.app(scope, receive, send)
            return
        decision = self.injector.decide(scope["method"], scope["path"])
        if decision.latency > 0:
            await _sleep(decision.latency)
        fault = decision.fault
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind in ("truncated", "applied_then_drop"):
            await self._apply_then_drop(fault, scope, receive, send)
        else:
            await self._answer_instead(fault, scope["method"], send)

    async def _answer_instead(self, fault: Fault, method: str, send: Send) -> None:
        if fault.kind == "drop":
            await _send_start(send, 200, [(b"content-type", b"application/json")], 1024)
            raise ConnectionDropped("fault injected: connection dropped before the request")
        status, headers, body = _fault_response(fault, method)
        await _send_start(send, status, headers, len(body))
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _apply_then_drop(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        start = next((m for m in captured if m["type"] == "http.response.start"), None)
        body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
        status = start["status"] if start else 200
        headers = [
            (k, v)
            for k, v in (start.get("headers", []) if start else [])
            if k.lower() != b"content-length"
        ]
        if status < 200 or status in (204, 304):
            status = 200  # a status without a body would let the client finish reading
        await _send_start(send, status, headers, max(len(body), 1))
        if fault.kind == "truncated" and len(body) > 1:
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
        raise ConnectionDropped(f"fault injected: {fault.kind} (the request was applied)")


async def _send_start(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], content_length: int
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(content_length).encode())],
        }
    )


def _fault_response(fault: Fault, method: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of a fault that answers instead of the app."""
    if fault.kind == "malformed":
        return 200, [(b"content-type", b"application/json")], MALFORMED_BODY
    if fault.kind == "rate_limit":
        wait = math.ceil(fault.retry_after if fault.retry_after is not None else 1)
        unit = "second" if wait == 1 else "seconds"
        detail = f"Request was throttled. Expected available in {wait} {unit}."
        headers = [(b"content-type", b"application/json"), (b"retry-after", str(wait).encode())]
        return 429, headers, _json({"detail": detail})
    status = fault.status
    headers = []
    if fault.retry_after is not None:
        headers.append((b"retry-after", str(math.ceil(fault.retry_after)).encode()))
    if status >= 500:
        if fault.style == "asgi":
            body = ASGI_500_BODY if status == 500 else _phrase(status).encode()
            return status, [(b"content-type", b"text/plain; charset=utf-8"), *headers], body
        body = DJANGO_500_BODY if status == 500 else f"<h1>Server Error ({status})</h1>".encode()
        return status, [(b"content-type", b"text/html"), *headers], body
    message = _DRF_DETAIL.get(status)
    if message is None:
        message = f'Method "{method}" not allowed.' if status == 405 else _phrase(status) + "."
    return status, [(b"content-type", b"application/json"), *headers], _json({"detail": message})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
