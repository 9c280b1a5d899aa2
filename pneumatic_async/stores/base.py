"""The store interfaces: leases on keys (idempotent launches, webhook deduplication) and shared
batch journals (``run_many`` across worker processes).

A store keeps small records that several tasks, processes or machines share. Two protocols:

* :class:`KeyStore`: one record per key. :meth:`~KeyStore.claim_key` either gives the caller a
  *lease* on the key (``acquired``: act, then :meth:`~KeyStore.complete_key` with the result or
  :meth:`~KeyStore.release_key` to let another caller act), reports the recorded result
  (``done``), or reports that another caller holds a live lease (``busy``). A lease that is not
  completed or released within its duration expires, and the next claim acquires the key with
  ``claims`` > 0: an earlier holder may have acted, so the new holder settles that first.
* :class:`BatchStore`: one batch of ``item_count`` items under a batch id, each item claimed by
  one worker at a time under a lease, its state recorded (``pending`` → ``in_flight`` →
  ``launched`` / ``failed``). :meth:`~BatchStore.record_items` is *fenced*: an ``in_flight``
  update is applied only while the worker holds a live lease on the item, so a worker whose
  lease expired (and whose item another worker took over) learns it before sending anything.

Implementations: :class:`~pneumatic_async.stores.MemoryStore` (one process),
:class:`~pneumatic_async.stores.SQLiteStore` (one machine),
:class:`~pneumatic_async.stores.PostgresStore` and :class:`~pneumatic_async.stores.RedisStore`
(many machines). Each implements both protocols; users may implement their own.
"""

from __future__ import annotations

import enum
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

import attrs

from pneumatic_async.errors import ConfigurationError, PneumaticError

__all__ = [
    "DEFAULT_LEASE",
    "BatchInfo",
    "BatchMismatchError",
    "BatchStore",
    "ItemClaim",
    "ItemRecord",
    "ItemState",
    "ItemUpdate",
    "KeyBusyError",
    "KeyClaim",
    "KeyStore",
    "StoreError",
    "check_lease",
    "check_name",
    "encode_binding",
    "mismatch",
    "new_owner",
    "unique_runs",
]

#: Default lease duration, seconds.
DEFAULT_LEASE = 30.0
_NAME = re.compile(r"[A-Za-z0-9_.:@/+=-]{1,200}")


class StoreError(PneumaticError):
    """The store cannot be reached or refused an operation (the message says which)."""


class BatchMismatchError(StoreError, ValueError):
    """The batch id is in use by another batch (other template, items or options)."""


class ItemState(enum.StrEnum):
    """The recorded state of one batch item."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    LAUNCHED = "launched"
    FAILED = "failed"


@attrs.frozen(kw_only=True)
class KeyClaim:
    """The answer to :meth:`KeyStore.claim_key`.

    * ``acquired``: the caller holds the lease; ``claims`` counts the earlier claims of the key
      (0: nobody ever held it; more: an earlier holder may have acted before its lease ended).
    * ``done``: the key has a recorded ``result``.
    * ``busy``: another caller holds a live lease, for about ``retry_in`` more seconds.
    """

    status: Literal["acquired", "done", "busy"]
    result: str | None = None
    claims: int = 0
    retry_in: float = 0.0


@attrs.frozen(kw_only=True)
class BatchInfo:
    """An opened batch: its run id (the prefix of its launch tokens) and whether this call
    created it."""

    run_id: str
    created: bool


@attrs.frozen(kw_only=True)
class ItemClaim:
    """An item leased to the caller; ``attempts`` > 0: it may have been sent already."""

    index: int
    attempts: int = 0


@attrs.frozen(kw_only=True)
class ItemUpdate:
    """A state change for one item (``attempts`` ``None``: leave the count as it is)."""

    index: int
    state: ItemState
    attempts: int | None = None
    workflow_id: int | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class ItemRecord:
    """One item as recorded."""

    index: int
    state: ItemState
    attempts: int = 0
    workflow_id: int | None = None
    error: str | None = None


@runtime_checkable
class KeyStore(Protocol):
    """Leases on keys and their recorded results (see the module docs)."""

    async def claim_key(self, key: str, *, owner: str, lease: float) -> KeyClaim:
        """Take the lease on ``key`` for ``lease`` seconds unless the key has a result or a live
        lease of another owner (see :class:`KeyClaim`)."""
        ...

    async def complete_key(self, key: str, *, owner: str, result: str) -> None:
        """Record ``result`` for ``key`` and end the lease (a result recorded earlier stays)."""
        ...

    async def release_key(self, key: str, *, owner: str) -> None:
        """End ``owner``'s lease on ``key`` without a result (the next claim acquires it)."""
        ...

    async def aclose(self) -> None:
        """Close the store's connections."""
        ...


@runtime_checkable
class BatchStore(Protocol):
    """Shared batch journals (see the module docs)."""

    async def open_batch(
        self, batch_id: str, *, binding: Mapping[str, str], item_count: int, run_id: str
    ) -> BatchInfo:
        """Create the batch (all items ``pending``, run id ``run_id``) or open the existing one.

        Raises :class:`BatchMismatchError` when it exists with another ``binding`` or count."""
        ...

    async def claim_items(
        self, batch_id: str, *, owner: str, limit: int, lease: float
    ) -> list[ItemClaim]:
        """Lease up to ``limit`` items to ``owner``: pending items nobody holds and unfinished
        items whose lease expired, lowest index first; each to one owner at a time."""
        ...

    async def record_items(
        self, batch_id: str, *, owner: str, updates: Sequence[ItemUpdate]
    ) -> list[bool]:
        """Apply ``updates`` (one transaction per call where the store has them); per update,
        whether it was applied.

        ``in_flight``: only while ``owner`` holds a live lease (renewed by it). ``failed``: only
        while ``owner`` holds the item. ``launched``: unless the item is already launched (a
        workflow is a fact whoever reports it). ``launched`` and ``failed`` end the lease."""
        ...

    async def renew_items(
        self, batch_id: str, *, owner: str, indexes: Sequence[int], lease: float
    ) -> set[int]:
        """Extend ``owner``'s leases on ``indexes``; the indexes it still held."""
        ...

    async def release_items(self, batch_id: str, *, owner: str, indexes: Sequence[int]) -> None:
        """End ``owner``'s leases on unfinished ``indexes`` (others may claim them at once)."""
        ...

    async def batch_items(self, batch_id: str) -> list[ItemRecord]:
        """Every item of the batch as recorded, in index order."""
        ...

    async def aclose(self) -> None:
        """Close the store's connections."""
        ...


def new_owner() -> str:
    """A fresh random owner id (one per process, task or run)."""
    return secrets.token_hex(8)


def check_name(kind: str, value: object) -> str:
    """``value`` if it is a usable key or batch id, else :class:`ConfigurationError`."""
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise ConfigurationError(
            f"{kind} must be 1-200 characters of letters, digits and _.:@/+=-, got {value!r}"
        )
    return value


def check_lease(lease: object) -> float:
    """``lease`` as seconds if it is a positive number, else :class:`ConfigurationError`."""
    if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
        raise ConfigurationError(f"lease must be a positive number of seconds, got {lease!r}")
    return float(lease)


def encode_binding(binding: Mapping[str, str], item_count: int) -> str:
    """The canonical text a store keeps to compare a batch's binding."""
    return json.dumps({"item_count": item_count, **binding}, sort_keys=True)


def mismatch(batch_id: str, stored: str, given: str) -> BatchMismatchError:
    """The error for a batch id used by another batch."""
    old, new = json.loads(stored), json.loads(given)
    diffs = [
        f"{key} {old.get(key)!r} (this run: {new.get(key)!r})"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    return BatchMismatchError(
        f"the batch {batch_id!r} belongs to another run: {'; '.join(diffs)}. Use the same "
        "template, items (same order) and options, or a new batch id."
    )


def unique_runs(updates: Sequence[ItemUpdate]) -> list[list[ItemUpdate]]:
    """``updates`` cut, in order, into runs that name each index at most once."""
    runs: list[list[ItemUpdate]] = [[]]
    seen: set[int] = set()
    for update in updates:
        if update.index in seen:
            runs.append([])
            seen = set()
        runs[-1].append(update)
        seen.add(update.index)
    return [run for run in runs if run]


class KeyBusyError(StoreError):
    """Another caller held the key's lease for longer than this caller was willing to wait."""

    def __init__(self, key: str, waited: float) -> None:
        super().__init__(
            f"the idempotency key {key!r} is held by another caller (waited {waited:.1f} s); "
            "try again later: the same workflow is returned once that caller finishes"
        )
        self.key = key
