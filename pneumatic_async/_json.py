"""JSON encoding and decoding: orjson when it is installed, the standard library otherwise.

Both paths behave the same: :func:`dumps` returns compact UTF-8 bytes (no spaces, non-ASCII
characters unescaped) and raises ``ValueError`` for NaN or infinite floats (JSON has no such
values; orjson alone would silently write ``null``), ``TypeError`` for values JSON has no type for
(datetimes included). :func:`loads` takes ``bytes`` or ``str`` and raises ``ValueError`` for
anything that is not strict JSON, including the ``NaN``/``Infinity`` tokens the standard library
would otherwise accept. (Non-string dict keys and integers beyond 64 bits work only without orjson:
request bodies never need them.)
"""

from __future__ import annotations

import json as _std_json
import math
from types import ModuleType
from typing import Any

_orjson: ModuleType | None
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the tests cover this path by monkeypatching ``_orjson``
    _orjson = None

__all__ = ["dumps", "loads"]

_NON_FINITE = "Out of range float values are not JSON compliant"
# Types orjson would encode on its own but the standard library rejects: reject them too.
_PASSTHROUGH = (
    0 if _orjson is None else _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Decode a JSON document; ``ValueError`` when it is not strict JSON.

    Depth-safe: a document nested deeper than the decoder can follow (orjson stops at 1,024
    levels, the standard library at the interpreter's recursion limit) is a ``ValueError`` too,
    never a ``RecursionError``.
    """
    if _orjson is not None:
        return _orjson.loads(data)
    if isinstance(data, memoryview):
        data = data.tobytes()
    try:
        return _std_json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("the JSON document is nested too deeply") from None


def _has_non_finite(obj: Any) -> bool:
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if isinstance(obj, dict):
        return any(_has_non_finite(value) for value in obj.values())
    if isinstance(obj, list | tuple):
        return any(_has_non_finite(value) for value in obj)
    return False


def dumps(obj: Any) -> bytes:
    """Encode ``obj`` as compact UTF-8 JSON bytes."""
    if _orjson is not None:
        out: bytes = _orjson.dumps(obj, option=_PASSTHROUGH)
        # orjson writes NaN/Infinity as null: only then can the document hide one.
        if b"null" in out and _has_non_finite(obj):
            raise ValueError(_NON_FINITE)
        return out
    return _std_json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )
