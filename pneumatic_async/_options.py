"""Client settings: base URLs, timeouts and their resolution from arguments and environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

import attrs

from pneumatic_async._http import httpx
from pneumatic_async.errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "RequestOptions",
    "Timeout",
    "make_timeout",
    "origin_of",
    "resolve_base_url",
]

#: The public Pneumatic API.
DEFAULT_BASE_URL: Final = "https://api.pneumatic.app"

#: Timeouts for one HTTP request, per phase (seconds). ``pneumatic_async.Timeout`` is httpx's.
Timeout = httpx.Timeout

#: connect 5 s, read 30 s, write 30 s, waiting for a pooled connection 10 s.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)


def make_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A ``Timeout`` from seconds (every phase), a ``Timeout``, or ``None`` (no timeout)."""
    if isinstance(value, httpx.Timeout):
        return value
    if value is not None and value <= 0:
        raise ConfigurationError(f"timeout must be positive, got {value!r}")
    return httpx.Timeout(value)


def resolve_base_url(value: str | None, *, env: str, default: str) -> str:
    """The base URL from the argument, else the environment variable ``env``, else ``default``.

    Validated here, so a typo is a clear error at construction rather than a confusing failure on
    the first request. The trailing slash is removed (the server's routes have none).
    """
    url = value or os.environ.get(env) or default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {url!r}")
    if parts.username is not None or parts.password is not None:
        # Never echo it: the part before "@" may hold a password.
        shown = f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
        raise ConfigurationError(
            f"base_url must not contain a user name or password ({shown!r} with credentials); "
            "the API key is the only credential"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment, got {url!r}")
    return url.rstrip("/")


def origin_of(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL, with the default port filled in."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-client request options that ``with_options`` may change."""

    timeout: httpx.Timeout = DEFAULT_TIMEOUT
    default_headers: Mapping[str, str] = attrs.field(factory=dict)
