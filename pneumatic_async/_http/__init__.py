"""The HTTP stack: the only place in the package that imports ``httpx``.

Everything else talks to the network through the names defined here, so the HTTP layer can be
swapped or upgraded in one package. It holds:

* :func:`build_client` - the ``httpx.AsyncClient`` the SDK owns (no cookie jar, our limits);
* :func:`classify` - maps a transport exception onto a :class:`SendFailure` kind, which the retry
  policy uses to tell "never reached the server" from "outcome unknown";
* :class:`AutoTransport` (``auto.py``) - picks a fast transport for the running event loop;
* :class:`AiohttpTransport` (``aiohttp.py``) - an aiohttp-backed transport for asyncio.
"""

from __future__ import annotations

import enum
from typing import Final

import httpx

__all__ = [
    "DEFAULT_LIMITS",
    "SendFailure",
    "build_client",
    "classify",
    "httpx",
]

#: Connection pool limits: generous, because the client's own limiter bounds concurrency.
DEFAULT_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=100)


class SendFailure(enum.Enum):
    """What went wrong while sending a request, as far as the outcome on the server goes."""

    #: Nothing reached the server: connection refused, DNS failure, connect or pool timeout.
    NOT_SENT = "not_sent"
    #: The request may have reached the server: read/write timeout, connection dropped after send.
    MAYBE_SENT = "maybe_sent"
    #: A local problem that no retry can fix (bad URL, unsupported protocol, decoding bug).
    FATAL = "fatal"


def classify(exc: BaseException) -> SendFailure | None:
    """Classify a transport exception; ``None`` when it is not a transport error at all."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendFailure.NOT_SENT
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return SendFailure.FATAL
    if isinstance(exc, httpx.DecodingError):
        # A response arrived (its content-encoding was broken): the request was applied.
        return SendFailure.MAYBE_SENT
    if isinstance(exc, httpx.TransportError):
        # ReadTimeout, WriteTimeout, ReadError, WriteError, RemoteProtocolError, ProxyError, ...
        return SendFailure.MAYBE_SENT
    return None


def is_timeout(exc: BaseException) -> bool:
    """True when ``exc`` is a timeout of any phase (connect, read, write, pool)."""
    return isinstance(exc, httpx.TimeoutException)


def build_client(
    *,
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
) -> httpx.AsyncClient:
    """Build the SDK-owned ``AsyncClient``.

    Cookies are never persisted: the real server answers every API-key request with a
    ``Set-Cookie`` holding the raw key, which must not be stored or sent back.
    """
    from pneumatic_async._http.auto import AutoTransport

    return _CookielessClient(
        transport=transport if transport is not None else AutoTransport(limits=DEFAULT_LIMITS),
        timeout=timeout,
        follow_redirects=False,
    )


class _NoCookies(httpx.Cookies):
    """A cookie jar that never stores anything (so nothing is ever sent back)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class _CookielessClient(httpx.AsyncClient):
    """An ``AsyncClient`` whose cookie jar is always empty and never written to."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        return None
