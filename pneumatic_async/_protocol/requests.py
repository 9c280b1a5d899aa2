"""Calls into requests (pure): the URL with its query, and the path shown in errors.

The base URL is validated once by the client; a call's path is appended to it as a string, so no
URL is parsed again per request. Query values follow httpx's rules: ``None`` is left out,
``True``/``False`` are ``true``/``false``, a list or tuple repeats the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = ["encode_query", "request_url", "target_path"]


def _text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def encode_query(params: Mapping[str, Any] | None) -> str:
    """``a=1&b=true&c=x&c=y`` from ``params`` (``None`` values left out); ``""`` when empty."""
    if not params:
        return ""
    parts: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else (value,)
        key = quote(str(name), safe="")
        parts.extend(f"{key}={quote(_text(item), safe='')}" for item in values if item is not None)
    return "&".join(parts)


def request_url(base_url: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """The absolute URL of ``path`` (relative to ``base_url``, or itself absolute) with a query.

    A relative ``path`` must start with ``/``: ``ValueError`` otherwise.
    """
    if path.startswith(("https://", "http://")):
        url = path
    elif path.startswith("/"):
        url = base_url + path
    else:
        raise ValueError(f"path must start with '/', got {path!r}")
    query = encode_query(params)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def target_path(path_or_url: str) -> str:
    """The path shown in errors and logs: a URL's path, never its query (signatures go there)."""
    if path_or_url.startswith(("https://", "http://")):
        return urlsplit(path_or_url).path or "/"
    return path_or_url.split("?", 1)[0]
