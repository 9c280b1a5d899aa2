"""Where a webhook router records which deliveries it handled: the :class:`DeliveryStore` interface,
:class:`MemoryDeliveryStore` (one process, the default), :class:`SQLiteDeliveryStore` (several
processes on one machine) and :class:`KeyStoreDeliveries`, which puts the deliveries in any
:class:`pneumatic_async.stores.KeyStore` (PostgreSQL and Redis for several machines).

A key goes through three states: free, **claimed** (a handler is running; the claim is a lease that
expires after ``ttl`` seconds, so a crashed process does not hold it forever) and **done** (the
handler succeeded; kept for ``keep_for`` seconds, which must outlast the server's retries and
duplicates: seconds in practice, a day by default). The :mod:`pneumatic_async.stores` key stores
keep done keys until they are cleared. Any other store implements the same three methods::

    class MyStore:
        async def claim(self, key: str, ttl: float) -> bool: ...   # free or expired -> claimed
        async def done(self, key: str) -> None: ...                # claimed -> done
        async def release(self, key: str) -> None: ...             # claimed -> free
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

import anyio.to_thread

from pneumatic_async.stores import KeyStore, new_owner

__all__ = [
    "DEFAULT_KEEP_FOR",
    "DeliveryStore",
    "KeyStoreDeliveries",
    "MemoryDeliveryStore",
    "SQLiteDeliveryStore",
    "as_delivery_store",
]

#: How long a done key is remembered by default (seconds): one day.
DEFAULT_KEEP_FOR: Final = 86_400.0

_CLAIMED: Final = "claimed"
_DONE: Final = "done"


@runtime_checkable
class DeliveryStore(Protocol):
    """What the webhook router needs to handle each delivery once (see the module docstring)."""

    async def claim(self, key: str, ttl: float) -> bool:
        """Take ``key`` for ``ttl`` seconds; False when it is done, or claimed and not expired."""
        ...

    async def done(self, key: str) -> None:
        """Mark a claimed ``key`` as handled (remembered for the store's retention time)."""
        ...

    async def release(self, key: str) -> None:
        """Give a claimed, unfinished ``key`` back, so that a retry can claim it."""
        ...


def _check_keep_for(keep_for: float) -> float:
    if not keep_for > 0:
        raise ValueError(f"keep_for must be a positive number of seconds, got {keep_for!r}")
    return float(keep_for)


class MemoryDeliveryStore:
    """Keys in a dict of this process (lost on restart; not shared between worker processes).

    ``clock`` (monotonic seconds) is for tests. Expired keys are dropped as new ones come in.
    """

    def __init__(
        self,
        *,
        keep_for: float = DEFAULT_KEEP_FOR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_for = _check_keep_for(keep_for)
        self._clock = clock
        self._keys: dict[str, tuple[str, float]] = {}  # key -> (state, expires at)

    def __len__(self) -> int:
        """How many keys are remembered (claimed or done, expired or not)."""
        return len(self._keys)

    def state(self, key: str) -> str | None:
        """``"claimed"``, ``"done"`` or ``None`` (free or expired): for tests and diagnostics."""
        entry = self._keys.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def claim(self, key: str, ttl: float) -> bool:
        """See :meth:`DeliveryStore.claim`."""
        now = self._clock()
        if len(self._keys) >= 1024 and len(self._keys) % 256 == 0:
            self._prune(now)
        entry = self._keys.get(key)
        if entry is not None and entry[1] > now:
            return False
        self._keys[key] = (_CLAIMED, now + ttl)
        return True

    async def done(self, key: str) -> None:
        """See :meth:`DeliveryStore.done`."""
        self._keys[key] = (_DONE, self._clock() + self.keep_for)

    async def release(self, key: str) -> None:
        """See :meth:`DeliveryStore.release`."""
        entry = self._keys.get(key)
        if entry is not None and entry[0] == _CLAIMED:
            del self._keys[key]

    def _prune(self, now: float) -> None:
        for key in [key for key, (_, expires) in self._keys.items() if expires <= now]:
            del self._keys[key]


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS pneumatic_deliveries (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS pneumatic_deliveries_expires ON pneumatic_deliveries (expires);
"""


class SQLiteDeliveryStore:
    """Keys in an SQLite file, shared by every worker process of one machine.

    Each call runs in a worker thread; a claim is one ``BEGIN IMMEDIATE`` transaction, so two
    processes never both claim a key. The file is in WAL mode with ``synchronous=NORMAL``: a
    process crash loses nothing, a power cut may lose the last few records. ``clock`` (epoch
    seconds, shared by the processes) is for tests. Call :meth:`close` (or use ``with``) when done.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        keep_for: float = DEFAULT_KEEP_FOR,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.keep_for = _check_keep_for(keep_for)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across processes
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SQLiteDeliveryStore({str(self.path)!r})"

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteDeliveryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def claim(self, key: str, ttl: float) -> bool:
        """See :meth:`DeliveryStore.claim`."""
        return await anyio.to_thread.run_sync(self._claim, key, ttl)

    async def done(self, key: str) -> None:
        """See :meth:`DeliveryStore.done`."""
        await anyio.to_thread.run_sync(self._done, key)

    async def release(self, key: str) -> None:
        """See :meth:`DeliveryStore.release`."""
        await anyio.to_thread.run_sync(self._release, key)

    def state(self, key: str) -> str | None:
        """``"claimed"``, ``"done"`` or ``None`` (free or expired): for tests and diagnostics."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM pneumatic_deliveries WHERE key = ? AND expires > ?",
                (key, self._clock()),
            ).fetchone()
        return None if row is None else str(row[0])

    def _claim(self, key: str, ttl: float) -> bool:
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT 1 FROM pneumatic_deliveries WHERE key = ? AND expires > ?", (key, now)
                ).fetchone()
                if row is None:
                    self._db.execute("DELETE FROM pneumatic_deliveries WHERE expires <= ?", (now,))
                    self._db.execute(
                        "INSERT OR REPLACE INTO pneumatic_deliveries VALUES (?, ?, ?)",
                        (key, _CLAIMED, now + ttl),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return row is None

    def _done(self, key: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO pneumatic_deliveries VALUES (?, ?, ?)",
                (key, _DONE, self._clock() + self.keep_for),
            )

    def _release(self, key: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM pneumatic_deliveries WHERE key = ? AND state = ?", (key, _CLAIMED)
            )


class KeyStoreDeliveries:
    """A :class:`DeliveryStore` on a :class:`pneumatic_async.stores.KeyStore` (``MemoryStore``,
    ``SQLiteStore``, ``PostgresStore``, ``RedisStore``, or your own).

    Each claim takes the key's lease under a fresh owner id, so two claims never share a lease,
    not even in one process; a done key is completed with the result ``"handled"``. A claim whose
    holder died is taken over when its lease expires.
    """

    def __init__(self, store: KeyStore, *, prefix: str = "webhook:") -> None:
        self.store = store
        self.prefix = prefix
        self._owners: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"KeyStoreDeliveries({self.store!r})"

    async def claim(self, key: str, ttl: float) -> bool:
        """See :meth:`DeliveryStore.claim`."""
        owner = new_owner()
        claim = await self.store.claim_key(self.prefix + key, owner=owner, lease=ttl)
        if claim.status != "acquired":
            return False
        self._owners[key] = owner
        return True

    async def done(self, key: str) -> None:
        """See :meth:`DeliveryStore.done`."""
        owner = self._owners.pop(key, None) or new_owner()
        await self.store.complete_key(self.prefix + key, owner=owner, result="handled")

    async def release(self, key: str) -> None:
        """See :meth:`DeliveryStore.release`."""
        owner = self._owners.pop(key, None)
        if owner is not None:
            await self.store.release_key(self.prefix + key, owner=owner)


def as_delivery_store(store: DeliveryStore | KeyStore) -> DeliveryStore:
    """``store`` itself, or a :class:`pneumatic_async.stores.KeyStore` wrapped in
    :class:`KeyStoreDeliveries`."""
    if isinstance(store, DeliveryStore):
        return store
    if isinstance(store, KeyStore):
        return KeyStoreDeliveries(store)
    raise TypeError(
        f"a webhook delivery store needs claim/done/release (DeliveryStore) or a "
        f"pneumatic_async.stores KeyStore, got {type(store).__name__}"
    )
