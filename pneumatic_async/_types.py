"""Small shared types: the ``NOT_GIVEN`` sentinel and request-option aliases."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias, TypeVar

__all__ = ["NOT_GIVEN", "NotGiven", "NotGivenOr", "Query", "TimeoutTypes", "omit_not_given"]

T = TypeVar("T")


class NotGiven(enum.Enum):
    """The type of :data:`NOT_GIVEN`: "the caller did not pass this argument".

    Distinct from ``None``, which the API uses to mean "clear this value".
    """

    NOT_GIVEN = "NOT_GIVEN"

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


#: Sentinel for arguments that were not passed; such keys are left out of request bodies.
NOT_GIVEN: Final = NotGiven.NOT_GIVEN

NotGivenOr: TypeAlias = T | NotGiven

#: Query parameters as the SDK builds them (``None`` values are dropped).
Query: TypeAlias = Mapping[str, Any]

#: A timeout: seconds for every phase, or ``None`` for no timeout.
TimeoutTypes: TypeAlias = float | None


def omit_not_given(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``values`` without the entries whose value is :data:`NOT_GIVEN`."""
    return {key: value for key, value in values.items() if value is not NOT_GIVEN}
