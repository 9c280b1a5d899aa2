""":class:`RedisStore`: key leases and shared batch journals in Redis (many machines).

Needs the ``redis`` extra (``pip install "pneumatic-async[redis]"``: redis-py). Every operation
is one Lua script, atomic on the server; lease times are the Redis server's clock (``TIME``).
A batch's keys share one hash tag (``{<batch id>}``), so they live on one node of a cluster.

Durability is Redis's: without ``appendonly yes`` (and ``appendfsync always`` for every write) a
Redis restart can forget recent leases and results; see ``docs/exactly-once.md``.

Event loops: asyncio (``redis.asyncio``) and trio (redis-py's synchronous client in a worker
thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pneumatic_async.errors import ConfigurationError
from pneumatic_async.stores import _lua
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
)

__all__ = ["RedisStore"]

_BATCH_KEYS = ("meta", "free", "leases", "state", "attempts", "workflow", "error", "owner")


def _import() -> Any:
    try:
        import redis
        import redis.asyncio
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigurationError(
            'RedisStore needs redis-py: pip install "pneumatic-async[redis]"'
        ) from exc
    return redis


def _ms(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


class RedisStore:
    """Key leases and batch journals in Redis.

    ``url``: ``redis://[user:password@]host:port/db`` (never shown in a repr or an error).
    ``prefix``: the start of every Redis key this store writes. ``timeout``: seconds any one
    operation may take before :class:`StoreError`.
    """

    def __init__(self, url: str, *, prefix: str = "pneumatic:", timeout: float = 30.0) -> None:
        if not isinstance(prefix, str) or "{" in prefix or "}" in prefix:
            raise ConfigurationError(f"prefix must be a string without braces, got {prefix!r}")
        redis = _import()
        self._prefix = prefix
        options = {"decode_responses": True, "socket_timeout": timeout}

        async def open_async() -> Any:
            return redis.asyncio.Redis.from_url(url, **options)

        def open_sync() -> Any:
            return redis.Redis.from_url(url, **options)

        async def close_async(conn: Any) -> None:
            await conn.aclose()

        def close_sync(conn: Any) -> None:
            conn.close()

        self._driver: Driver[Any] = Driver(
            name="Redis",
            timeout=timeout,
            open_async=open_async,
            open_sync=open_sync,
            close_async=close_async,
            close_sync=close_sync,
            errors=(redis.RedisError, OSError),
        )

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self._prefix!r})"

    async def _eval(self, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        async def native(conn: Any) -> Any:
            return await conn.eval(script, len(keys), *keys, *args)

        def threaded(conn: Any) -> Any:
            return conn.eval(script, len(keys), *keys, *args)

        return await self._driver.call(native, threaded)

    def _key(self, key: str) -> str:
        return f"{self._prefix}key:{key}"

    def _batch_keys(self, batch_id: str) -> list[str]:
        return [f"{self._prefix}batch:{{{batch_id}}}:{part}" for part in _BATCH_KEYS]

    # -- keys ---------------------------------------------------------------------------------

    async def claim_key(self, key: str, *, owner: str, lease: float) -> KeyClaim:
        """See :meth:`~pneumatic_async.stores.KeyStore.claim_key`."""
        status, result, claims, retry_ms = await self._eval(
            _lua.CLAIM_KEY, [self._key(key)], [owner, _ms(lease)]
        )
        if status == "done":
            return KeyClaim(status="done", result=str(result))
        if status == "busy":
            return KeyClaim(status="busy", retry_in=int(retry_ms) / 1000)
        return KeyClaim(status="acquired", claims=int(claims))

    async def complete_key(self, key: str, *, owner: str, result: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.complete_key`."""
        await self._eval(_lua.COMPLETE_KEY, [self._key(key)], [result])

    async def release_key(self, key: str, *, owner: str) -> None:
        """See :meth:`~pneumatic_async.stores.KeyStore.release_key`."""
        await self._eval(_lua.RELEASE_KEY, [self._key(key)], [owner])

    # -- batches ------------------------------------------------------------------------------

    async def open_batch(
        self, batch_id: str, *, binding: Mapping[str, str], item_count: int, run_id: str
    ) -> BatchInfo:
        """See :meth:`~pneumatic_async.stores.BatchStore.open_batch`."""
        encoded = encode_binding(binding, item_count)
        stored, stored_run_id, created = await self._eval(
            _lua.OPEN_BATCH, self._batch_keys(batch_id), [encoded, run_id, item_count]
        )
        if stored != encoded:
            raise mismatch(batch_id, stored, encoded)
        return BatchInfo(run_id=str(stored_run_id), created=bool(created))

    async def claim_items(
        self, batch_id: str, *, owner: str, limit: int, lease: float
    ) -> list[ItemClaim]:
        """See :meth:`~pneumatic_async.stores.BatchStore.claim_items`."""
        flat = await self._eval(
            _lua.CLAIM_ITEMS, self._batch_keys(batch_id), [owner, limit, _ms(lease)]
        )
        claims = [
            ItemClaim(index=int(flat[i]), attempts=int(flat[i + 1])) for i in range(0, len(flat), 2)
        ]
        return sorted(claims, key=lambda claim: claim.index)

    async def record_items(
        self, batch_id: str, *, owner: str, updates: Sequence[ItemUpdate]
    ) -> list[bool]:
        """See :meth:`~pneumatic_async.stores.BatchStore.record_items` (one script per call)."""
        if not updates:
            return []
        args: list[Any] = [owner]
        for u in updates:
            args += [
                u.index,
                u.state.value,
                "" if u.attempts is None else u.attempts,
                "" if u.workflow_id is None else u.workflow_id,
                u.error or "",
            ]
        applied = await self._eval(_lua.RECORD_ITEMS, self._batch_keys(batch_id), args)
        return [bool(int(flag)) for flag in applied]

    async def renew_items(
        self, batch_id: str, *, owner: str, indexes: Sequence[int], lease: float
    ) -> set[int]:
        """See :meth:`~pneumatic_async.stores.BatchStore.renew_items`."""
        if not indexes:
            return set()
        held = await self._eval(
            _lua.RENEW_ITEMS, self._batch_keys(batch_id), [owner, _ms(lease), *indexes]
        )
        return {int(idx) for idx in held}

    async def release_items(self, batch_id: str, *, owner: str, indexes: Sequence[int]) -> None:
        """See :meth:`~pneumatic_async.stores.BatchStore.release_items`."""
        if indexes:
            await self._eval(_lua.RELEASE_ITEMS, self._batch_keys(batch_id), [owner, *indexes])

    async def batch_items(self, batch_id: str) -> list[ItemRecord]:
        """See :meth:`~pneumatic_async.stores.BatchStore.batch_items`."""
        keys = self._batch_keys(batch_id)

        async def native(conn: Any) -> list[Any]:
            pipe = conn.pipeline(transaction=True)
            pipe.hget(keys[0], "item_count")
            for key in keys[3:7]:
                pipe.hgetall(key)
            return list(await pipe.execute())

        def threaded(conn: Any) -> list[Any]:
            pipe = conn.pipeline(transaction=True)
            pipe.hget(keys[0], "item_count")
            for key in keys[3:7]:
                pipe.hgetall(key)
            return list(pipe.execute())

        count, states, attempts, workflows, errors = await self._driver.call(native, threaded)
        if count is None:
            raise StoreError(f"no batch {batch_id!r} in this store (open_batch first)")
        return [
            ItemRecord(
                index=index,
                state=ItemState(states.get(str(index), "pending")),
                attempts=int(attempts.get(str(index), 0)),
                workflow_id=int(workflows[str(index)]) if str(index) in workflows else None,
                error=errors.get(str(index)),
            )
            for index in range(int(count))
        ]

    async def aclose(self) -> None:
        """Close the connections."""
        await self._driver.aclose()
