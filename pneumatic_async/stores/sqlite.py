""":class:`SQLiteStore`: key leases and batch journals in a SQLite file (one machine).

Several processes on one machine may share the file (SQLite's file locking; each operation is
one ``BEGIN IMMEDIATE`` transaction, committed with ``synchronous=FULL``). Not for network file
systems. Lease times are this machine's wall clock. Runs in a worker thread: any event loop.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
import anyio.to_thread

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

__all__ = ["SQLiteStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, owner TEXT, lease_until REAL,
    claims INTEGER NOT NULL DEFAULT 0, result TEXT);
CREATE TABLE IF NOT EXISTS batches (batch_id TEXT PRIMARY KEY, binding TEXT NOT NULL,
    run_id TEXT NOT NULL, item_count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_items (batch_id TEXT NOT NULL, idx INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    workflow_id INTEGER, error TEXT, owner TEXT, lease_until REAL, PRIMARY KEY (batch_id, idx));
"""
_OPEN = "state IN ('pending', 'in_flight')"


class SQLiteStore:
    """Key leases and batch journals in the SQLite file at ``path`` (created when missing).

    ``timeout``: seconds to wait for another process's transaction before :class:`StoreError`.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self._timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        return conn

    async def _tx(self, work: Callable[[sqlite3.Connection, float], T]) -> T:
        def run() -> T:
            with self._lock:
                if self._conn is None:
                    self._conn = self._connect()
                conn = self._conn
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn, time.time())
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            return result

        try:
            with anyio.CancelScope(shield=True):
                result = await anyio.to_thread.run_sync(run)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path!r}: {exc}") from exc
        return result

    # -- keys ---------------------------------------------------------------------------------

    async def claim_key(self, key: str, *, owner: str, lease: float) -> KeyClaim:
        """See :meth:`~pneumatic_async.stores.KeyStore.claim_key`."""

        def work(conn: sqlite3.Connection, now: float) -> KeyClaim:
            row = conn.execute(
                "SELECT owner, lease_until, claims, result FROM keys WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO keys (key, owner, lease_until, claims) VALUES (?, ?, ?, 1)",
                    (key, owner, now + lease),
                )
                return KeyClaim(status="acquired", claims=0)
            holder, until, claims, result = row
            if result is not None:
                return KeyClaim(status="done", result=result)
            if holder is not None and holder != owner and until > now:
                return KeyClaim(status="busy", retry_in=until - now)
            conn.execute(
                "UPDATE keys SET owner = ?, lease_until = ?, claims = ? WHERE key = ?",
                (owner, now + lease, claims + 1, key),
            )
            return KeyClaim(status="acquired", claims=claims)

        return await self._tx(work)

    async def complete_key(self, key: str, *, owner: str, result: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.complete_key`."""

        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.execute(
                "INSERT INTO keys (key, result, claims) VALUES (?, ?, 1) ON CONFLICT (key) DO "
                "UPDATE SET result = COALESCE(result, excluded.result), owner = NULL, "
                "lease_until = NULL",
                (key, result),
            )

        await self._tx(work)

    async def release_key(self, key: str, *, owner: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.release_key`."""

        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.execute(
                "UPDATE keys SET owner = NULL, lease_until = NULL WHERE key = ? AND owner = ?",
                (key, owner),
            )

        await self._tx(work)

    # -- batches ------------------------------------------------------------------------------

    async def open_batch(
        self, batch_id: str, *, binding: Mapping[str, str], item_count: int, run_id: str
    ) -> BatchInfo:
        """See :meth:`~pneumatic_async.stores.BatchStore.open_batch`."""
        encoded = encode_binding(binding, item_count)

        def work(conn: sqlite3.Connection, now: float) -> BatchInfo:
            row = conn.execute(
                "SELECT binding, run_id FROM batches WHERE batch_id = ?", (batch_id,)
            ).fetchone()
            if row is not None:
                if row[0] != encoded:
                    raise mismatch(batch_id, row[0], encoded)
                return BatchInfo(run_id=row[1], created=False)
            conn.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?)", (batch_id, encoded, run_id, item_count)
            )
            conn.executemany(
                "INSERT INTO batch_items (batch_id, idx) VALUES (?, ?)",
                ((batch_id, index) for index in range(item_count)),
            )
            return BatchInfo(run_id=run_id, created=True)

        return await self._tx(work)

    async def claim_items(
        self, batch_id: str, *, owner: str, limit: int, lease: float
    ) -> list[ItemClaim]:
        """See :meth:`~pneumatic_async.stores.BatchStore.claim_items`."""

        def work(conn: sqlite3.Connection, now: float) -> list[ItemClaim]:
            rows = conn.execute(
                f"SELECT idx, attempts FROM batch_items WHERE batch_id = ? AND {_OPEN} "
                "AND (owner IS NULL OR lease_until <= ?) ORDER BY idx LIMIT ?",
                (batch_id, now, limit),
            ).fetchall()
            conn.executemany(
                "UPDATE batch_items SET owner = ?, lease_until = ? WHERE batch_id = ? AND idx = ?",
                [(owner, now + lease, batch_id, idx) for idx, _ in rows],
            )
            return [ItemClaim(index=idx, attempts=attempts) for idx, attempts in rows]

        return await self._tx(work)

    async def record_items(
        self, batch_id: str, *, owner: str, updates: Sequence[ItemUpdate]
    ) -> list[bool]:
        """See :meth:`~pneumatic_async.stores.BatchStore.record_items` (one transaction)."""

        def work(conn: sqlite3.Connection, now: float) -> list[bool]:
            applied: list[bool] = []
            params: tuple[Any, ...]
            for u in updates:
                if u.state is ItemState.LAUNCHED:
                    condition, params = "state <> 'launched'", ()
                elif u.state is ItemState.FAILED:
                    condition, params = f"owner = ? AND {_OPEN}", (owner,)
                else:
                    condition, params = f"owner = ? AND lease_until > ? AND {_OPEN}", (owner, now)
                final = u.state in (ItemState.LAUNCHED, ItemState.FAILED)
                cursor = conn.execute(
                    "UPDATE batch_items SET state = ?, attempts = COALESCE(?, attempts), "
                    "workflow_id = ?, error = ?, "
                    + ("owner = NULL, lease_until = NULL " if final else "owner = owner ")
                    + f"WHERE batch_id = ? AND idx = ? AND {condition}",
                    (u.state.value, u.attempts, u.workflow_id, u.error, batch_id, u.index, *params),
                )
                applied.append(cursor.rowcount == 1)
            return applied

        return await self._tx(work)

    async def renew_items(
        self, batch_id: str, *, owner: str, indexes: Sequence[int], lease: float
    ) -> set[int]:
        """See :meth:`~pneumatic_async.stores.BatchStore.renew_items`."""

        def work(conn: sqlite3.Connection, now: float) -> set[int]:
            held: set[int] = set()
            for index in indexes:
                cursor = conn.execute(
                    "UPDATE batch_items SET lease_until = ? WHERE batch_id = ? AND idx = ? "
                    f"AND owner = ? AND lease_until > ? AND {_OPEN}",
                    (now + lease, batch_id, index, owner, now),
                )
                if cursor.rowcount == 1:
                    held.add(index)
            return held

        return await self._tx(work) if indexes else set()

    async def release_items(self, batch_id: str, *, owner: str, indexes: Sequence[int]) -> None:
        """See :meth:`~pneumatic_async.stores.BatchStore.release_items`."""

        def work(conn: sqlite3.Connection, now: float) -> None:
            conn.executemany(
                "UPDATE batch_items SET owner = NULL, lease_until = NULL WHERE batch_id = ? "
                f"AND idx = ? AND owner = ? AND {_OPEN}",
                [(batch_id, index, owner) for index in indexes],
            )

        if indexes:
            await self._tx(work)

    async def batch_items(self, batch_id: str) -> list[ItemRecord]:
        """See :meth:`~pneumatic_async.stores.BatchStore.batch_items`."""

        def work(conn: sqlite3.Connection, now: float) -> list[Any]:
            if conn.execute("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)).fetchone():
                return conn.execute(
                    "SELECT idx, state, attempts, workflow_id, error FROM batch_items "
                    "WHERE batch_id = ? ORDER BY idx",
                    (batch_id,),
                ).fetchall()
            raise StoreError(f"no batch {batch_id!r} in this store (open_batch first)")

        rows = await self._tx(work)
        return [
            ItemRecord(index=i, state=ItemState(s), attempts=a, workflow_id=w, error=e)
            for i, s, a, w, e in rows
        ]

    async def aclose(self) -> None:
        """Close the file."""

        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(close)
