"""The SDK's logger and the redaction applied to everything it logs, and to its libraries' logs.

The logger ``pneumatic_async`` logs method and path at DEBUG, retries at INFO, and never bodies.
Everything passes through :func:`redact`, which removes ``Authorization`` values, ``pn-`` keys,
the ``file_service_auth`` cookie and the query strings of signed URLs.

The HTTP libraries log more than we do: httpcore's DEBUG records print response headers, and the
real server answers every request with ``Set-Cookie: file_service_auth=<the raw key>``. So the
first client installs :class:`RedactingFilter` on the loggers of httpx, httpcore, aiohttp and the
SDK: every record's message is rendered, and the keys of live clients and the patterns above are
replaced before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import weakref
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pneumatic_async._secret import ApiKey

__all__ = ["LIBRARY_LOGGERS", "RedactingFilter", "install_redaction", "logger", "redact"]

logger: Final = logging.getLogger("pneumatic_async")

_PATTERNS: Final = (
    # Authorization: Bearer xxx / Bearer xxx
    (re.compile(r"(?i)\b(bearer|token)\s+[^\s'\",]+"), r"\1 [REDACTED]"),
    # pn- API keys anywhere
    (re.compile(r"\bpn-[A-Za-z0-9_\-]{6,}"), "pn-[REDACTED]"),
    # file_service_auth cookie (holds the raw key)
    (re.compile(r"(?i)(file_service_auth=)[^;\s]+"), r"\1[REDACTED]"),
    # the query string of any URL (signed upload URLs carry signatures there)
    (re.compile(r"(https?://[^\s?'\"]+)\?[^\s'\"]+"), r"\1?[REDACTED]"),
)


def redact(text: str, *secrets: str) -> str:
    """Return ``text`` with keys, bearer tokens and signed-URL query strings removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[REDACTED]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


#: Loggers the redacting filter is installed on (a filter is not inherited by child loggers,
#: so every logger these libraries write to is named).
LIBRARY_LOGGERS: Final = (
    "pneumatic_async",
    "pneumatic_async.bulk",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hpack",
    "hpack.hpack",
    "aiohttp",
    "aiohttp.access",
    "aiohttp.client",
    "aiohttp.internal",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.websocket",
)

_live_keys: weakref.WeakSet[ApiKey] = weakref.WeakSet()


class RedactingFilter(logging.Filter):
    """Renders each record's message with the keys of live clients and secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to logging's own error handling
            return True
        cleaned = redact(message, *(key.reveal() for key in list(_live_keys)))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FILTER: Final = RedactingFilter()


def install_redaction(key: ApiKey) -> None:
    """Redact ``key`` (and the usual secrets) from every record of the SDK's and its libraries'
    loggers, from now on; installing again is harmless."""
    _live_keys.add(key)
    for name in LIBRARY_LOGGERS:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
