"""Stores shared by tasks, processes and machines: leases on idempotency keys and shared batch
journals (see :mod:`pneumatic_async.stores.base` and ``docs/exactly-once.md``).

* :class:`MemoryStore`: one process.
* :class:`SQLiteStore`: one machine (processes sharing a file).
* :class:`PostgresStore` (extra ``postgres``) and :class:`RedisStore` (extra ``redis``): many
  machines. Their drivers are imported when the store is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pneumatic_async.stores.base import (
    DEFAULT_LEASE,
    BatchInfo,
    BatchMismatchError,
    BatchStore,
    ItemClaim,
    ItemRecord,
    ItemState,
    ItemUpdate,
    KeyBusyError,
    KeyClaim,
    KeyStore,
    StoreError,
    new_owner,
)
from pneumatic_async.stores.memory import MemoryStore
from pneumatic_async.stores.sqlite import SQLiteStore

if TYPE_CHECKING:
    from pneumatic_async.stores.postgres import PostgresStore
    from pneumatic_async.stores.redis import RedisStore

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
    "MemoryStore",
    "PostgresStore",
    "RedisStore",
    "SQLiteStore",
    "StoreError",
    "new_owner",
]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from pneumatic_async.stores.postgres import PostgresStore

        return PostgresStore
    if name == "RedisStore":
        from pneumatic_async.stores.redis import RedisStore

        return RedisStore
    raise AttributeError(name)
