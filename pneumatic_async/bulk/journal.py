"""The bulk-launch journal: one SQLite file recording each item's launch token and state.

States: ``pending`` (never sent) → ``in_flight`` (committed *before* each send: the server may
have it) → ``launched`` (with the workflow id) or ``failed`` (with the error text). A run that
crashed or was cancelled is resumed from the same file: launched items are not sent again,
items that were ever sent are first looked up by their token.

The file is bound to the run's template id, item count, a hash of the items and the token field,
and refuses a resume with other input (:class:`JournalMismatchError`). While a run has it open, the
file is locked (SQLite ``locking_mode=EXCLUSIVE``): a second run on the same journal fails with
:class:`JournalLockedError` instead of launching the same items twice.

:class:`Journal` is the synchronous SQLite layer; :class:`JournalWriter` is the async side used by
the runner: it commits updates from many launch tasks in one transaction (group commit), in a
worker thread, and a task waits until its own update is durable before it sends anything.
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import time
from collections.abc import Sequence
from typing import Final

import anyio
import anyio.to_thread
import attrs

from pneumatic_async.bulk.tokens import index_width, is_run_id, make_token, new_run_id
from pneumatic_async.errors import PneumaticError

__all__ = [
    "FORMAT",
    "Binding",
    "ItemState",
    "Journal",
    "JournalEntry",
    "JournalError",
    "JournalLockedError",
    "JournalMismatchError",
    "JournalUpdate",
    "JournalWriter",
]

logger = logging.getLogger("pneumatic_async.bulk")

#: The journal format name stored in the file.
FORMAT: Final = "pneumatic-async-bulk/1"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    idx INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    workflow_id INTEGER,
    error TEXT,
    updated_at REAL
);
"""


class ItemState(enum.StrEnum):
    """The journal state of one item."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    LAUNCHED = "launched"
    FAILED = "failed"


class JournalError(PneumaticError):
    """The journal file cannot be used."""


class JournalMismatchError(JournalError, ValueError):
    """The journal belongs to another run (other template, items or token field), or is not a
    journal at all."""


class JournalLockedError(JournalError):
    """Another run (in this or another process) has the journal open."""


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One item as recorded: token, state, attempts made, workflow id or error text."""

    index: int
    token: str
    state: ItemState
    attempts: int = 0
    workflow_id: int | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class JournalUpdate:
    """A state change to record for one item (``attempts`` ``None``: leave the count as is)."""

    index: int
    state: ItemState
    attempts: int | None = None
    workflow_id: int | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class Binding:
    """What a journal is bound to; a resume must present the same values."""

    template_id: int
    item_count: int
    items_hash: str
    token_field: str | None

    def as_meta(self) -> dict[str, str]:
        """The binding as ``meta`` rows."""
        return {
            "template_id": str(self.template_id),
            "item_count": str(self.item_count),
            "items_hash": self.items_hash,
            "token_field": self.token_field or "",
        }


class Journal:
    """A journal file opened for one run (synchronous; see :class:`JournalWriter` for async).

    Use :meth:`open`; the connection may be used from any one thread at a time.
    """

    def __init__(self, path: str, conn: sqlite3.Connection, run_id: str, *, resumed: bool) -> None:
        self.path = path
        self.run_id = run_id
        #: True when the file existed (this run continues an earlier one).
        self.resumed = resumed
        self._conn = conn

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], binding: Binding, *, create: bool) -> Journal:
        """Open ``path`` for a run with ``binding``.

        An existing journal is checked against ``binding`` (:class:`JournalMismatchError`) and
        resumed. A missing one is created (all items ``pending``) when ``create`` is true; else
        ``FileNotFoundError``. The file stays locked until :meth:`close`.
        """
        fspath = os.fspath(path)
        exists = os.path.exists(fspath) and os.path.getsize(fspath) > 0
        if not exists and not create:
            raise FileNotFoundError(fspath)
        try:
            conn = sqlite3.connect(
                fspath, timeout=0.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {fspath!r}: {exc}") from exc
        try:
            return cls._setup(fspath, conn, binding, exists=exists)
        except BaseException:
            conn.close()
            raise

    @classmethod
    def _setup(
        cls, path: str, conn: sqlite3.Connection, binding: Binding, *, exists: bool
    ) -> Journal:
        try:
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before the launch it announces is sent.
            conn.execute("PRAGMA synchronous=FULL")
            # Take the exclusive lock now (a write transaction), so a second run fails here.
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise JournalLockedError(
                    f"the journal {path!r} is in use by another run; wait for it to end"
                ) from exc
            raise JournalError(f"cannot use the journal {path!r}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise JournalMismatchError(f"{path!r} is not a bulk-launch journal: {exc}") from exc
        try:
            run_id = cls._check(path, conn, binding) if exists else cls._create(conn, binding)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cls(path, conn, run_id, resumed=exists)

    @staticmethod
    def _create(conn: sqlite3.Connection, binding: Binding) -> str:
        run_id = new_run_id()
        for statement in _SCHEMA.strip().split(";"):
            if statement.strip():
                conn.execute(statement)
        meta = {"format": FORMAT, "run_id": run_id, "created_at": repr(time.time())}
        meta.update(binding.as_meta())
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        width = index_width(binding.item_count)
        conn.executemany(
            "INSERT INTO items (idx, token) VALUES (?, ?)",
            ((index, make_token(run_id, index, width)) for index in range(binding.item_count)),
        )
        return run_id

    @staticmethod
    def _check(path: str, conn: sqlite3.Connection, binding: Binding) -> str:
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalMismatchError(f"{path!r} is not a bulk-launch journal: {exc}") from exc
        meta = dict(rows)
        if meta.get("format") != FORMAT or not is_run_id(meta.get("run_id", "")):
            raise JournalMismatchError(
                f"{path!r} is not a bulk-launch journal of this SDK version "
                f"(format {meta.get('format')!r}, expected {FORMAT!r})"
            )
        expected = binding.as_meta()
        diffs = [
            f"{key} {meta.get(key)!r} (this run: {value!r})"
            for key, value in expected.items()
            if meta.get(key) != value
        ]
        if diffs:
            raise JournalMismatchError(
                f"the journal {path!r} belongs to another run: " + "; ".join(diffs) + ". Resume "
                "with the same template, items (same order) and token_field, or use a new journal "
                "path for a new run."
            )
        return str(meta["run_id"])

    # -- reading and writing ------------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        """Every item's recorded token and state, in index order."""
        rows = self._conn.execute(
            "SELECT idx, token, state, attempts, workflow_id, error FROM items ORDER BY idx"
        ).fetchall()
        return [
            JournalEntry(
                index=idx,
                token=token,
                state=ItemState(state),
                attempts=attempts,
                workflow_id=workflow_id,
                error=error,
            )
            for idx, token, state, attempts, workflow_id, error in rows
        ]

    def write(self, updates: Sequence[JournalUpdate]) -> None:
        """Record ``updates`` in one transaction (durable when this returns).

        Raises :class:`JournalError` when SQLite fails (disk full, I/O error): the bulk run then
        stops, since it can no longer promise to resume correctly.
        """
        if not updates:
            return
        now = time.time()
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "UPDATE items SET state = ?, attempts = COALESCE(?, attempts), "
                    "workflow_id = ?, error = ?, updated_at = ? WHERE idx = ?",
                    [
                        (u.state.value, u.attempts, u.workflow_id, u.error, now, u.index)
                        for u in updates
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write to the journal {self.path!r}: {exc}") from exc

    def close(self) -> None:
        """Close the file (and release its lock)."""
        self._conn.close()


class _Batch:
    __slots__ = ("done", "updates")

    def __init__(self) -> None:
        self.updates: list[JournalUpdate] = []
        self.done = False


class JournalWriter:
    """Async access to a :class:`Journal`, committing concurrent updates together.

    :meth:`record` returns once the update is committed. While one commit runs in a worker
    thread, updates of other tasks gather in the next batch, committed by whichever of them gets
    the lock first: one transaction (and one fsync) per batch instead of per update.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._lock = anyio.Lock()
        self._batch = _Batch()
        #: Number of transactions committed (for measurements).
        self.commits = 0

    async def record(self, update: JournalUpdate) -> None:
        """Add ``update`` to the next commit and wait until it is durable."""
        batch = self._batch
        batch.updates.append(update)
        async with self._lock:
            if not batch.done:
                await self._commit()

    async def _commit(self) -> None:
        batch, self._batch = self._batch, _Batch()
        try:
            await anyio.to_thread.run_sync(self.journal.write, batch.updates)
        except BaseException:
            # Put the updates back in front of the next batch so a later commit retries them.
            self._batch.updates[:0] = batch.updates
            raise
        batch.done = True
        self.commits += 1

    async def flush(self) -> None:
        """Commit whatever is pending (updates of tasks cancelled while waiting included)."""
        async with self._lock:
            if self._batch.updates:
                await self._commit()

    async def aclose(self, *, quiet: bool = False) -> None:
        """Flush (even when the caller is being cancelled) and close the journal.

        ``quiet``: log a failing flush instead of raising it (used while another exception, a
        cancellation say, is already propagating).
        """
        with anyio.CancelScope(shield=True):
            try:
                await self.flush()
            except JournalError:
                if not quiet:
                    raise
                logger.exception("the last journal updates could not be written")
            finally:
                await anyio.to_thread.run_sync(self.journal.close)
