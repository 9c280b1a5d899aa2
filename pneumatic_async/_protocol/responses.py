"""Answers into data or typed errors (pure: status, headers and body bytes in; nothing awaited).

* :func:`decode_json` - a success body into JSON data (``None`` when empty), with one depth-safe
  decoder for every body; :func:`structure` - that data into a model;
* :func:`error_from_response` - any other answer into its typed error, for every body shape the
  real server sends (``validation_error``, DRF ``detail``, django-filter forms, bare arrays,
  Flowdash ``errors``, the file service's ``error_code``, HTML and plain-text pages);
* :func:`parse_retry_after` - the ``Retry-After`` header, in seconds.
"""

from __future__ import annotations

import email.utils
import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from pneumatic_async import _json
from pneumatic_async.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UnexpectedStatusError,
    UnprocessableEntityError,
)

__all__ = [
    "decode_json",
    "error_from_response",
    "parse_error_body",
    "parse_retry_after",
    "structure",
]

T = TypeVar("T")


def decode_json(content: bytes, *, method: str, path: str) -> Any:
    """A success body as JSON data; ``None`` for an empty body.

    Anything that is not strict JSON (nested too deeply included) is a
    :class:`~pneumatic_async.errors.ResponseValidationError` naming the request.
    """
    if not content:
        return None
    try:
        return _json.loads(content)
    except ValueError as exc:
        raise ResponseValidationError(
            f"the response body is not JSON ({exc})",
            field_path="$",
            model="JSON",
            method=method,
            path=path,
        ) from None


@cache
def _converter_structure() -> Callable[..., Any]:
    """The converter's ``structure``, imported once on first use (not at package import)."""
    from pneumatic_async._converter import structure as convert

    return convert


def structure(data: Any, cls: type[T], *, method: str, path: str) -> T:
    """Decode a body the SDK owns into ``cls`` (a page in place); errors name the request."""
    try:
        return _converter_structure()(data, cls, consume=True)  # type: ignore[no-any-return]
    except ResponseValidationError as exc:
        exc.method, exc.path = method, path
        raise


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_TITLE = re.compile(r"<(?:h1|title)[^>]*>(.*?)</(?:h1|title)>", re.IGNORECASE | re.DOTALL)
_MAX_TEXT = 200


def _text_summary(text: str) -> str:
    """A short plain-text summary of a non-JSON body (an HTML error page, say)."""
    match = _TITLE.search(text)
    if match:
        text = match.group(1)
    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()
    return text[:_MAX_TEXT] + ("…" if len(text) > _MAX_TEXT else "")


def parse_error_body(content: bytes) -> tuple[Any, str | None, dict[str, Any], list[str], str]:
    """Parse an error body into ``(body, code, details, errors, message)``.

    Handles the shapes the real server sends: ``{"code","message","details"?}`` with ``details``
    empty, missing or ``{"name"|"api_name","reason"}``; DRF ``{"detail": ...}`` (the 401 token shape
    adds ``code`` and ``messages``); django-filter ``{"param": ["..."]}``; a bare JSON array of
    strings; Flowdash ``{"status": "Fail", "errors": [...]}``; and non-JSON bodies (HTML 404/500
    pages, plain text), which never raise.
    """
    if not content.strip():
        return None, None, {}, [], ""
    try:
        body: Any = _json.loads(content)
    except ValueError:
        text = content.decode("utf-8", errors="replace")
        return text, None, {}, [], _text_summary(text)

    if isinstance(body, list):
        errors = [str(item) for item in body]
        return body, None, {}, errors, "; ".join(errors)
    if not isinstance(body, dict):
        # a JSON null says nothing: the message falls back to the status ("HTTP 404")
        return body, None, {}, [], "" if body is None else str(body)[:_MAX_TEXT]

    code = body.get("code")
    if code is None:
        code = body.get("error_code")  # the file service's own error shape
    code = str(code) if code is not None else None
    raw_details = body.get("details")
    details = dict(raw_details) if isinstance(raw_details, dict) else {}
    raw_errors = body.get("errors")
    errors = [str(e) for e in raw_errors] if isinstance(raw_errors, list) else []

    message: Any = body.get("message")
    if message is None:
        message = body.get("detail")
    if message is None and errors:
        message = "; ".join(errors)
    if message is None:
        # django-filter form errors: {"ordering": ["Select a valid choice. ..."]}
        parts = []
        for key, value in body.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{key}: {text}")
            errors.append(f"{key}: {text}")
            details.setdefault("name", key)
        message = "; ".join(parts)
    return body, code, details, errors, str(message)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date form).

    Returns ``None`` when absent or unparsable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


#: Response headers never kept on an error: the real server's cookies hold the raw API key.
_DROPPED_HEADERS = frozenset({"set-cookie", "authorization", "cookie"})
_REDACTED = "[REDACTED]"


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


def error_from_response(
    *,
    method: str,
    path: str,
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    attempts: int = 1,
    now: datetime | None = None,
    secrets: Sequence[str] = (),
) -> APIStatusError:
    """Build the typed error for an answer that is not a success (pure: no I/O).

    4xx and 5xx map onto the classes above; 1xx and 3xx (which the API never sends: it does not
    redirect) are :class:`UnexpectedStatusError`. Every ``secrets`` value (the API key) is
    replaced by ``[REDACTED]`` in the body and headers kept on the error, so a server that echoes
    the key cannot put it into a message, a repr or a pickle; cookies are never kept.
    """
    for secret in secrets:
        if secret and secret.encode() in content:
            content = content.replace(secret.encode(), _REDACTED.encode())
    kept = {
        str(name).lower(): _scrub(str(value), secrets)
        for name, value in headers.items()
        if str(name).lower() not in _DROPPED_HEADERS
    }
    body, code, details, errors, message = parse_error_body(content)
    if status_code >= 500:
        cls: type[APIStatusError] = InternalServerError
    elif status_code < 200 or 300 <= status_code < 400:
        cls = UnexpectedStatusError
        message = f"unexpected HTTP {status_code} (the API never redirects; not followed)"
    else:
        cls = _STATUS_CLASSES.get(status_code, APIStatusError)
    if not message:
        message = f"HTTP {status_code}"
    request_id = kept.get("x-request-id") or kept.get("request-id")
    common: dict[str, Any] = {
        "status_code": status_code,
        "method": method,
        "path": path,
        "body": body,
        "code": code,
        "details": details,
        "errors": errors,
        "request_id": request_id,
        "attempts": attempts,
        "headers": kept,
    }
    if cls is RateLimitError:
        retry_after = parse_retry_after(kept.get("retry-after"), now=now)
        if retry_after is None and isinstance(body, dict):
            raw = body.get("retry_after")
            retry_after = float(raw) if isinstance(raw, int | float) else None
        return RateLimitError(message, retry_after=retry_after, **common)
    return cls(message, **common)
