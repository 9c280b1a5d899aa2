""":class:`PostgresStore`: key leases and shared batch journals in PostgreSQL (many machines).

Needs the ``postgres`` extra (``pip install "pneumatic-async[postgres]"``: psycopg 3). Tables
(prefix ``pneumatic_`` by default) are created on first use. Lease times are the database
server's clock (``now()``), so the workers' clocks do not matter. Items are claimed with
``FOR UPDATE SKIP LOCKED``: workers never wait for each other's rows and never get the same item.

Event loops: asyncio (psycopg's ``AsyncConnection``) and trio (psycopg's synchronous connection
in a worker thread).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pneumatic_async.errors import ConfigurationError
from pneumatic_async.stores import _sql
from pneumatic_async.stores._conn import Driver
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
    unique_runs,
)

__all__ = ["PostgresStore"]

_PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,30}")
Rows = list[tuple[Any, ...]]


def _import() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            'PostgresStore needs psycopg 3: pip install "pneumatic-async[postgres]"'
        ) from exc
    return psycopg


class PostgresStore:
    """Key leases and batch journals in a PostgreSQL database.

    ``dsn``: a libpq connection string or URL (``postgresql://user@host/db``); it is never shown
    in a repr or an error. ``table_prefix``: lower-case letters, digits and ``_``. ``timeout``:
    seconds any one operation may take (connecting included) before :class:`StoreError`.
    """

    def __init__(
        self, dsn: str, *, table_prefix: str = "pneumatic_", timeout: float = 30.0
    ) -> None:
        if not isinstance(table_prefix, str) or _PREFIX.fullmatch(table_prefix) is None:
            raise ConfigurationError(
                f"table_prefix must be lower-case letters, digits and _, got {table_prefix!r}"
            )
        psycopg = _import()
        self._prefix = table_prefix
        self._ready = False
        connect_timeout = max(int(timeout), 1)

        async def open_async() -> Any:
            return await psycopg.AsyncConnection.connect(
                dsn, autocommit=True, connect_timeout=connect_timeout
            )

        def open_sync() -> Any:
            return psycopg.Connection.connect(dsn, autocommit=True, connect_timeout=connect_timeout)

        async def close_async(conn: Any) -> None:
            await conn.close()

        def close_sync(conn: Any) -> None:
            conn.close()

        self._driver: Driver[Any] = Driver(
            name="PostgreSQL",
            timeout=timeout,
            open_async=open_async,
            open_sync=open_sync,
            close_async=close_async,
            close_sync=close_sync,
            errors=(psycopg.Error, OSError),
        )

    def __repr__(self) -> str:
        return f"PostgresStore(table_prefix={self._prefix!r})"

    async def _query(self, sql: str, params: Mapping[str, Any] | None = None) -> Rows:
        if not self._ready:
            await self._run(_sql.SCHEMA.format(p=self._prefix), None)
            self._ready = True
        return await self._run(sql.format(p=self._prefix), params)

    async def _run(self, sql: str, params: Mapping[str, Any] | None) -> Rows:
        async def native(conn: Any) -> Rows:
            cursor = await conn.execute(sql, params)
            return list(await cursor.fetchall()) if cursor.description else []

        def threaded(conn: Any) -> Rows:
            cursor = conn.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

        return await self._driver.call(native, threaded)

    # -- keys ---------------------------------------------------------------------------------

    async def claim_key(self, key: str, *, owner: str, lease: float) -> KeyClaim:
        """See :meth:`~pneumatic_async.stores.KeyStore.claim_key`."""
        params = {"key": key, "owner": owner, "lease": lease}
        rows = await self._query(_sql.CLAIM_KEY, params)
        if rows:
            return KeyClaim(status="acquired", claims=int(rows[0][0]))
        rows = await self._query(_sql.KEY_STATE, params)
        if rows and rows[0][0] is not None:
            return KeyClaim(status="done", result=str(rows[0][0]))
        return KeyClaim(status="busy", retry_in=float(rows[0][1] or 0.0) if rows else 0.0)

    async def complete_key(self, key: str, *, owner: str, result: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.complete_key`."""
        await self._query(_sql.COMPLETE_KEY, {"key": key, "result": result})

    async def release_key(self, key: str, *, owner: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.release_key`."""
        await self._query(_sql.RELEASE_KEY, {"key": key, "owner": owner})

    # -- batches ------------------------------------------------------------------------------

    async def open_batch(
        self, batch_id: str, *, binding: Mapping[str, str], item_count: int, run_id: str
    ) -> BatchInfo:
        """See :meth:`~pneumatic_async.stores.BatchStore.open_batch`."""
        encoded = encode_binding(binding, item_count)
        params = {"batch": batch_id, "binding": encoded, "run_id": run_id, "count": item_count}
        created = (await self._query(_sql.OPEN_BATCH, params))[0][0] == 1
        rows = await self._query(_sql.BATCH, params)
        if not rows:  # pragma: no cover - deleted between the two statements
            raise StoreError(f"the batch {batch_id!r} vanished while being opened")
        stored, stored_run_id = rows[0]
        if stored != encoded:
            raise mismatch(batch_id, stored, encoded)
        return BatchInfo(run_id=str(stored_run_id), created=created)

    async def claim_items(
        self, batch_id: str, *, owner: str, limit: int, lease: float
    ) -> list[ItemClaim]:
        """See :meth:`~pneumatic_async.stores.BatchStore.claim_items`."""
        params = {"batch": batch_id, "owner": owner, "limit": limit, "lease": lease}
        rows = await self._query(_sql.CLAIM_ITEMS, params)
        claims = [ItemClaim(index=int(idx), attempts=int(attempts)) for idx, attempts in rows]
        return sorted(claims, key=lambda claim: claim.index)

    async def record_items(
        self, batch_id: str, *, owner: str, updates: Sequence[ItemUpdate]
    ) -> list[bool]:
        """See :meth:`~pneumatic_async.stores.BatchStore.record_items`."""
        applied: list[bool] = []
        for run in unique_runs(updates):
            params = {
                "batch": batch_id,
                "owner": owner,
                "idx": [u.index for u in run],
                "state": [u.state.value for u in run],
                "attempts": [u.attempts for u in run],
                "workflow_id": [u.workflow_id for u in run],
                "error": [u.error for u in run],
            }
            done = {int(row[0]) for row in await self._query(_sql.RECORD_ITEMS, params)}
            applied.extend(u.index in done for u in run)
        return applied

    async def renew_items(
        self, batch_id: str, *, owner: str, indexes: Sequence[int], lease: float
    ) -> set[int]:
        """See :meth:`~pneumatic_async.stores.BatchStore.renew_items`."""
        if not indexes:
            return set()
        params = {"batch": batch_id, "owner": owner, "idx": list(indexes), "lease": lease}
        return {int(row[0]) for row in await self._query(_sql.RENEW_ITEMS, params)}

    async def release_items(self, batch_id: str, *, owner: str, indexes: Sequence[int]) -> None:
        """See :meth:`~pneumatic_async.stores.BatchStore.release_items`."""
        if indexes:
            params = {"batch": batch_id, "owner": owner, "idx": list(indexes)}
            await self._query(_sql.RELEASE_ITEMS, params)

    async def batch_items(self, batch_id: str) -> list[ItemRecord]:
        """See :meth:`~pneumatic_async.stores.BatchStore.batch_items`."""
        rows = await self._query(_sql.BATCH_ITEMS, {"batch": batch_id})
        if not rows and not await self._query(_sql.BATCH, {"batch": batch_id}):
            raise StoreError(f"no batch {batch_id!r} in this store (open_batch first)")
        return [
            ItemRecord(
                index=int(idx),
                state=ItemState(state),
                attempts=int(attempts),
                workflow_id=None if workflow_id is None else int(workflow_id),
                error=error,
            )
            for idx, state, attempts, workflow_id, error in rows
        ]

    async def aclose(self) -> None:
        """Close the connection."""
        await self._driver.aclose()
