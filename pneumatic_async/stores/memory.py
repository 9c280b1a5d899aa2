""":class:`MemoryStore`: key leases and batch journals in this process's memory.

For one process (tests, a single worker): nothing survives the process and nothing is shared with
other processes. Every operation runs without awaiting, so it is atomic on any event loop
(asyncio or trio).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import attrs

from pneumatic_async.stores.base import (
    BatchInfo,
    ItemClaim,
    ItemRecord,
    ItemState,
    ItemUpdate,
    KeyClaim,
    StoreError,
    encode_binding,
    mismatch,
)

__all__ = ["MemoryStore"]

_FINAL = (ItemState.LAUNCHED, ItemState.FAILED)


@attrs.define
class _Key:
    owner: str | None = None
    until: float = 0.0
    claims: int = 0
    result: str | None = None


@attrs.define
class _Item:
    state: ItemState = ItemState.PENDING
    attempts: int = 0
    workflow_id: int | None = None
    error: str | None = None
    owner: str | None = None
    until: float = 0.0


@attrs.define
class _Batch:
    binding: str
    run_id: str
    items: list[_Item]


class MemoryStore:
    """Key leases and batch journals kept in memory (one process; any event loop)."""

    def __init__(self) -> None:
        self._keys: dict[str, _Key] = {}
        self._batches: dict[str, _Batch] = {}

    def __repr__(self) -> str:
        return f"MemoryStore(keys={len(self._keys)}, batches={len(self._batches)})"

    # -- keys ---------------------------------------------------------------------------------

    async def claim_key(self, key: str, *, owner: str, lease: float) -> KeyClaim:
        """See :meth:`~pneumatic_async.stores.KeyStore.claim_key`."""
        now = time.monotonic()
        record = self._keys.setdefault(key, _Key())
        if record.result is not None:
            return KeyClaim(status="done", result=record.result)
        if record.owner is not None and record.owner != owner and record.until > now:
            return KeyClaim(status="busy", retry_in=record.until - now)
        claims = record.claims
        record.owner, record.until, record.claims = owner, now + lease, claims + 1
        return KeyClaim(status="acquired", claims=claims)

    async def complete_key(self, key: str, *, owner: str, result: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.complete_key`."""
        record = self._keys.setdefault(key, _Key())
        if record.result is None:
            record.result = result
        record.owner = None

    async def release_key(self, key: str, *, owner: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.release_key`."""
        record = self._keys.get(key)
        if record is not None and record.owner == owner:
            record.owner = None

    # -- batches ------------------------------------------------------------------------------

    def _batch(self, batch_id: str) -> _Batch:
        try:
            return self._batches[batch_id]
        except KeyError:
            raise StoreError(f"no batch {batch_id!r} in this store (open_batch first)") from None

    async def open_batch(
        self, batch_id: str, *, binding: Mapping[str, str], item_count: int, run_id: str
    ) -> BatchInfo:
        """See :meth:`~pneumatic_async.stores.BatchStore.open_batch`."""
        encoded = encode_binding(binding, item_count)
        batch = self._batches.get(batch_id)
        if batch is None:
            items = [_Item() for _ in range(item_count)]
            self._batches[batch_id] = _Batch(binding=encoded, run_id=run_id, items=items)
            return BatchInfo(run_id=run_id, created=True)
        if batch.binding != encoded:
            raise mismatch(batch_id, batch.binding, encoded)
        return BatchInfo(run_id=batch.run_id, created=False)

    async def claim_items(
        self, batch_id: str, *, owner: str, limit: int, lease: float
    ) -> list[ItemClaim]:
        """See :meth:`~pneumatic_async.stores.BatchStore.claim_items`."""
        now = time.monotonic()
        claimed: list[ItemClaim] = []
        for index, item in enumerate(self._batch(batch_id).items):
            if len(claimed) >= limit:
                break
            if item.state in _FINAL or (item.owner is not None and item.until > now):
                continue
            item.owner, item.until = owner, now + lease
            claimed.append(ItemClaim(index=index, attempts=item.attempts))
        return claimed

    async def record_items(
        self, batch_id: str, *, owner: str, updates: Sequence[ItemUpdate]
    ) -> list[bool]:
        """See :meth:`~pneumatic_async.stores.BatchStore.record_items`."""
        now = time.monotonic()
        items = self._batch(batch_id).items
        applied: list[bool] = []
        for update in updates:
            item = items[update.index]
            held = item.owner == owner
            if update.state is ItemState.LAUNCHED:
                ok = item.state is not ItemState.LAUNCHED
            elif update.state is ItemState.FAILED:
                ok = held and item.state not in _FINAL
            else:
                ok = held and item.until > now and item.state not in _FINAL
            if ok:
                item.state = update.state
                if update.attempts is not None:
                    item.attempts = update.attempts
                item.workflow_id, item.error = update.workflow_id, update.error
                if update.state in _FINAL:
                    item.owner = None
            applied.append(ok)
        return applied

    async def renew_items(
        self, batch_id: str, *, owner: str, indexes: Sequence[int], lease: float
    ) -> set[int]:
        """See :meth:`~pneumatic_async.stores.BatchStore.renew_items`."""
        now = time.monotonic()
        items = self._batch(batch_id).items
        held: set[int] = set()
        for index in indexes:
            item = items[index]
            if item.owner == owner and item.until > now and item.state not in _FINAL:
                item.until = now + lease
                held.add(index)
        return held

    async def release_items(self, batch_id: str, *, owner: str, indexes: Sequence[int]) -> None:
        """See :meth:`~pneumatic_async.stores.BatchStore.release_items`."""
        items = self._batch(batch_id).items
        for index in indexes:
            if items[index].owner == owner:
                items[index].owner = None

    async def batch_items(self, batch_id: str) -> list[ItemRecord]:
        """See :meth:`~pneumatic_async.stores.BatchStore.batch_items`."""
        return [
            ItemRecord(
                index=index,
                state=item.state,
                attempts=item.attempts,
                workflow_id=item.workflow_id,
                error=item.error,
            )
            for index, item in enumerate(self._batch(batch_id).items)
        ]

    async def aclose(self) -> None:
        """Nothing to close."""
