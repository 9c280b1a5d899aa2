"""What one launch of a bulk run is made of (:class:`LaunchItem`), and input normalisation.

A bulk run takes any iterable of :class:`LaunchItem` or plain mappings (a mapping is the item's
kickoff values). :func:`normalize_items` turns the input into a list of items,
:func:`check_item` finds the problems the server would reject in the non-kickoff parts (blank
name, non-boolean ``is_urgent``, a due date in the past) and :func:`fingerprint` hashes the items
so a journal can tell whether a resumed run is given the same input.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from pneumatic_async._protocol.launch import run_option_problems
from pneumatic_async.errors import FieldProblem

__all__ = [
    "LaunchItem",
    "as_item",
    "check_item",
    "fingerprint",
    "item_fingerprint",
    "normalize_items",
]


def _freeze_kickoff(value: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"kickoff must be a mapping of field api_name to value, got {value!r}")
    return dict(value)


@attrs.frozen(eq=True, hash=False)
class LaunchItem:
    """One workflow to launch: kickoff values plus the optional run options.

    ``kickoff`` maps kickoff field api_names to values in the SDK's accepted forms (see
    :mod:`pneumatic_async.values`). ``name`` is the workflow name (may contain the server's
    ``{{variables}}``; ``None``: the template's name template), ``is_urgent`` marks it urgent
    (``None``: not sent, the server's default ``False``), ``due_date`` is an aware ``datetime``
    or epoch seconds in the future (``None``: no due date). In a bulk run the launch token is added
    to ``name`` (or to the ``token_field`` kickoff field), see :mod:`pneumatic_async.bulk.tokens`.
    """

    kickoff: dict[str, Any] = attrs.field(factory=dict, converter=_freeze_kickoff)
    name: str | None = attrs.field(default=None, kw_only=True)
    is_urgent: bool | None = attrs.field(default=None, kw_only=True)
    due_date: datetime | float | None = attrs.field(default=None, kw_only=True)


def as_item(item: LaunchItem | Mapping[str, Any], index: int) -> LaunchItem:
    """One input as a :class:`LaunchItem` (a mapping = kickoff values); ``TypeError`` naming
    ``index`` for anything else."""
    if isinstance(item, LaunchItem):
        return item
    if isinstance(item, Mapping):
        return LaunchItem(dict(item))
    raise TypeError(
        f"item {index}: expected a LaunchItem or a mapping of kickoff values, "
        f"got {type(item).__name__}"
    )


def normalize_items(items: Iterable[LaunchItem | Mapping[str, Any]]) -> list[LaunchItem]:
    """Materialise the input as a list of :class:`LaunchItem` (a mapping = kickoff values).

    Raises ``TypeError`` for anything else (a programming error, not bad data), naming the index.
    """
    if isinstance(items, Mapping | str | bytes):
        raise TypeError(
            "items must be an iterable of LaunchItem or kickoff mappings, not a single "
            f"{type(items).__name__}"
        )
    result: list[LaunchItem] = []
    for index, item in enumerate(items):
        if isinstance(item, LaunchItem):
            result.append(item)
        elif isinstance(item, Mapping):
            result.append(LaunchItem(dict(item)))
        else:
            raise TypeError(
                f"item {index}: expected a LaunchItem or a mapping of kickoff values, "
                f"got {type(item).__name__}"
            )
    return result


def check_item(item: LaunchItem, index: int, *, now: float | None = None) -> list[FieldProblem]:
    """Problems in an item's run options (not its kickoff values), as the server would see them.

    Checks: kickoff keys are strings, and the run options as
    :func:`~pneumatic_async._protocol.launch.run_option_problems` checks them for every launch.
    """
    keys: list[Any] = list(item.kickoff)  # items may come from untyped input (files, JSON)
    problems = [
        FieldProblem(field=repr(key), message="kickoff keys must be strings", item=index)
        for key in keys
        if not isinstance(key, str)
    ]
    problems += run_option_problems(
        name=item.name, is_urgent=item.is_urgent, due_date=item.due_date, now=now, item=index
    )
    return problems


def _canonical(value: Any) -> Any:
    """JSON-able stand-ins for the values items may hold (for hashing only)."""
    if isinstance(value, datetime | date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, set | frozenset):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    return {"$repr": repr(value)}


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical
)


def _line(item: LaunchItem) -> bytes:
    """One item as canonical bytes (kickoff values, name, urgency, due date)."""
    due = item.due_date
    record = [
        {str(key): value for key, value in item.kickoff.items()},
        item.name,
        item.is_urgent,
        due if due is None or isinstance(due, int | float) else _canonical(due),
    ]
    try:
        line = _ENCODER.encode(record)
    except (TypeError, ValueError):  # nested non-string keys, circular values
        line = repr(record)
    return line.encode("utf-8", "surrogatepass")  # lone surrogates hash too


def fingerprint(items: Iterable[LaunchItem]) -> str:
    """A SHA-256 hex digest of the items, in order (kickoff values, name, urgency, due date)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(_line(item))
        digest.update(b"\n")
    return digest.hexdigest()


def item_fingerprint(item: LaunchItem) -> str:
    """A digest of one item (128 bits of SHA-256, hex): what a journal of a run checked as it
    goes records with each item, to recognise the same item on a resume."""
    return hashlib.sha256(_line(item)).hexdigest()[:32]
