"""DRF ``LimitOffsetPagination`` as the real server uses it (contract §3).

* :func:`plain_limit` — plain LimitOffset: no (or a non-positive) ``limit`` means **no**
  pagination (a bare array); ``strict`` endpoints (templates, v3 tasks) first reject a ``limit``
  or ``offset`` that is not an integer ≥ 0 with a 400.
* :func:`default_limit` — ``DefaultPagination`` (workflows, workflows/fields): always enveloped,
  default 15, more than 1000 → 400.
* :func:`envelope` — ``{"count", "next", "previous", "results"}`` with absolute ``next`` /
  ``previous`` URLs built from the request (query keys sorted, like DRF's ``replace_query_param``).

Only the page is serialized: ``serialize`` is called for the items on the page alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from pneumatic_async.testing.errors import field_error

__all__ = ["default_limit", "envelope", "offset_of", "paginate", "plain_limit"]

T = TypeVar("T")

DEFAULT_LIMIT: Final = 15
MAX_LIMIT: Final = 1000


def _positive_int(text: str | None, *, strict: bool = False) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        return None
    if value < 0 or (strict and value == 0):
        return None
    return value


def _validate_int(request: Request, name: str, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise field_error(name, "A valid integer is required.") from None
    if value < 0:
        raise field_error(name, "Ensure this value is greater than or equal to 0.")
    if maximum is not None and value > maximum:
        raise field_error(name, f"Ensure this value is less than or equal to {maximum}.")
    return value


def plain_limit(request: Request, *, strict: bool) -> int | None:
    """The page size of a plain LimitOffset endpoint (``None``: answer a bare array)."""
    if strict:
        _validate_int(request, "limit")
        _validate_int(request, "offset")
    return _positive_int(request.query_params.get("limit"), strict=True)


def default_limit(request: Request) -> int:
    """The page size of a ``DefaultPagination`` endpoint (validated: 0..1000)."""
    _validate_int(request, "offset")
    value = _validate_int(request, "limit", MAX_LIMIT)
    return value if value else DEFAULT_LIMIT


def offset_of(request: Request) -> int:
    """The ``offset`` query parameter (invalid → 0)."""
    return _positive_int(request.query_params.get("offset")) or 0


def _replace(url: str, key: str, value: int | None) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    if value is None:
        params.pop(key, None)
    else:
        params[key] = [str(value)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def envelope(
    request: Request, count: int, limit: int, offset: int, results: list[Any]
) -> dict[str, Any]:
    """The paginated envelope with DRF's ``next`` / ``previous`` links."""
    url = str(request.url)
    next_url = None
    if offset + limit < count:
        next_url = _replace(_replace(url, "limit", limit), "offset", offset + limit)
    previous_url = None
    if offset > 0:
        with_limit = _replace(url, "limit", limit)
        if offset - limit <= 0:
            previous_url = _replace(with_limit, "offset", None)
        else:
            previous_url = _replace(with_limit, "offset", offset - limit)
    return {"count": count, "next": next_url, "previous": previous_url, "results": results}


def paginate(
    request: Request,
    items: Sequence[T],
    serialize: Callable[[T], Any],
    limit: int | None,
) -> Any:
    """A bare array (``limit`` None) or the envelope of one page."""
    if limit is None:
        return [serialize(item) for item in items]
    offset = offset_of(request)
    page = [serialize(item) for item in items[offset : offset + limit]]
    return envelope(request, len(items), limit, offset, page)
