"""Object ids as the API takes them, checked before any request is built.

An id is an ``int`` (not a ``bool``) or a string of ASCII digits, and at least 1. Anything else
is refused instead of coerced: ``int(True)`` is 1, ``int(1.9)`` is 1, ``int(Decimal("7.5"))`` is
7 and ``int()`` of full-width digits is 12, so coercing would act on the wrong object.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["object_id", "object_ids"]


def object_id(value: object, name: str) -> int:
    """``value`` as an id, or ``TypeError`` / ``ValueError`` naming the argument ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"{name} must be an int or a string of digits, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"{name} must be a string of ASCII digits, got {value!r}")
        number = int(value)
    else:
        number = int(value)  # an int subclass (IntEnum) counts as its value
    if number < 1:
        raise ValueError(f"{name} must be a positive id, got {value!r}")
    return number


def object_ids(values: int | str | Iterable[int | str], name: str) -> list[int]:
    """One id or several (each checked like :func:`object_id`)."""
    if isinstance(values, int | str) and not isinstance(values, bool):
        return [object_id(values, name)]
    if isinstance(values, bool) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an id or ids, got {type(values).__name__} {values!r}")
    return [object_id(value, f"{name}[{i}]") for i, value in enumerate(values)]
