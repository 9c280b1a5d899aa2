"""Whether field values can be sent as JSON, found before the request instead of while sending.

A value can pass the field checks and still fail in the JSON encoder: a string holding a lone
surrogate (``"\\ud800"``, not encodable as UTF-8), an integer beyond 64 bits (``10**40``), a
non-finite float, an object JSON has no type for. :func:`check_encodable` turns every such
value into a :class:`~pneumatic_async.errors.FieldProblem` of one
:class:`~pneumatic_async.errors.InvalidValuesError`, so the caller gets a typed error naming the
field, with or without validation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from pneumatic_async import _json
from pneumatic_async.errors import FieldProblem, InvalidValuesError

__all__ = ["INT_LIMIT", "check_encodable", "sendable", "unencodable"]

#: Integers are sent exactly up to 64 bits (what JSON parsers and the server's columns hold).
INT_LIMIT: Final = 2**63


def unencodable(value: Any) -> str | None:
    """Why ``value`` cannot be sent as JSON, or ``None`` when it can."""
    problem = _walk(value, 0)
    if problem is not None:
        return problem
    try:
        _json.dumps(value)
    except (TypeError, ValueError, OverflowError) as exc:
        return f"cannot be encoded as JSON ({type(exc).__name__}: {exc})"
    return None


def sendable(values: Mapping[Any, Any]) -> bool:
    """True when every value can be sent (one pass of the encoder over the whole mapping; call
    :func:`unencodable` per value to find out why not)."""
    if any(_walk(value, 0) is not None for value in values.values()):
        return False
    try:
        _json.dumps(values)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def check_encodable(values: Mapping[Any, Any], *, item: int | None = None) -> None:
    """Raise :class:`InvalidValuesError` with one problem per value that cannot be sent."""
    if sendable(values):
        return
    problems = [
        FieldProblem(field=str(key), message=message, item=item)
        for key, value in values.items()
        if (message := unencodable(value)) is not None
    ]
    if problems:
        raise InvalidValuesError(problems)


def _walk(value: Any, depth: int) -> str | None:
    if depth > 50:
        return "is nested too deeply to encode"
    if type(value) is str and value.isascii():  # the common case, checked without copying
        return None
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"holds a character that cannot be sent ({exc.reason} at position {exc.start}: "
                f"{value[exc.start : exc.end]!r})"
            )
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if not -INT_LIMIT <= value < INT_LIMIT:
            return f"the number {value} is too large to send (integers are limited to 64 bits)"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"the number {value} is not finite"
    if isinstance(value, Mapping):
        for key, inner in value.items():
            problem = _walk(key, depth + 1) or _walk(inner, depth + 1)
            if problem is not None:
                return problem
        return None
    if isinstance(value, list | tuple):
        for inner in value:
            problem = _walk(inner, depth + 1)
            if problem is not None:
                return problem
    return None
