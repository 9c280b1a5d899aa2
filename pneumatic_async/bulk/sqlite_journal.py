"""The SQLite journal store: one file per bulk run (``journal="run.db"``).

How it keeps its promises (see :class:`~pneumatic_async.bulk.journal.JournalStore`):

* **Created whole.** The file is built in a temporary file next to it (schema, the run's identity
  and every item ``pending``, in one transaction), closed, synced and only then linked into place.
  A file at the journal's path is therefore always complete: an empty (0-byte) or unreadable file
  is damage and is refused, never silently recreated (recreating it would launch every item again).
* **Durable.** WAL mode with ``synchronous=FULL``: a commit is on disk before the launch it
  announces is sent, so a ``kill -9`` between the two cannot lose the ``in_flight`` mark.
* **Locked.** ``locking_mode=EXCLUSIVE``, taken at open: a second run on the same file fails with
  :class:`~pneumatic_async.bulk.journal.JournalLockedError` instead of launching items twice.
* **Validated.** Opening checks the identity, the row count and range, every token against the
  run id and every state; each row read is checked again. Anything off is
  :class:`~pneumatic_async.bulk.journal.JournalMismatchError` naming the file and the problem.
* **Checked as it goes.** The journal of a run checked as it goes (``check="as_it_goes"``, item
  count unknown) is created with no item rows; an item's row is inserted by its first update
  with the item's fingerprint, and an update carrying another fingerprint is refused. Its
  tokens have a fixed index width (:data:`~pneumatic_async.bulk.journal.AS_IT_GOES_INDEX_WIDTH`,
  recorded in the file). Files of either kind are only resumed by a run of the same kind.

:class:`Journal` is the synchronous layer (one thread at a time); :class:`SqliteJournalStore`
runs it in worker threads for the runner.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import anyio
import anyio.to_thread

from pneumatic_async.bulk.journal import (
    Binding,
    ItemState,
    JournalEntry,
    JournalError,
    JournalMismatchError,
    JournalUpdate,
)
from pneumatic_async.bulk.sqlite_file import (
    FORMAT,
    FP_LENGTH,
    STATES,
    check_file,
    create_file,
    fsync,
    lock_file,
)
from pneumatic_async.bulk.tokens import index_width, make_token

__all__ = ["FORMAT", "Journal", "SqliteJournalStore"]

#: Rows read per query when streaming the recorded items.
READ_CHUNK = 2000

_COLUMNS = "idx, token, state, attempts, workflow_id, error"
#: An update of a journal checked as it goes: insert the row, or update it if its fingerprint
#: is the same (parameters: idx, token, state, attempts, workflow_id, error, now, fp).
_UPSERT = (
    "INSERT INTO items (idx, token, state, attempts, workflow_id, error, updated_at, fp) "
    "VALUES (?1, ?2, ?3, COALESCE(?4, 0), ?5, ?6, ?7, ?8) "
    "ON CONFLICT (idx) DO UPDATE SET state = ?3, attempts = COALESCE(?4, attempts), "
    "workflow_id = ?5, error = ?6, updated_at = ?7 WHERE fp IS ?8"
)


class Journal:
    """A journal file opened for one run (synchronous; :class:`SqliteJournalStore` is async).

    Use :meth:`open`; the connection may be used from any one thread at a time.
    """

    def __init__(
        self,
        path: str,
        conn: sqlite3.Connection,
        run_id: str,
        count: int | None,
        *,
        resumed: bool,
        width: int | None = None,
    ) -> None:
        self.path = path
        self.run_id = run_id
        #: True when the file existed (this run continues an earlier one).
        self.resumed = resumed
        self._conn = conn
        #: ``None``: a journal of a run checked as it goes (rows added by their first update).
        self._count = count
        self._width = width if width is not None else index_width(count or 0)
        self._columns = _COLUMNS + (", fp" if count is None else "")
        self._lock = threading.Lock()  # reads and writes may come from different threads

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], binding: Binding, *, create: bool) -> Journal:
        """Open ``path`` for a run with ``binding``.

        An existing file is checked (:class:`JournalMismatchError` when it is empty, damaged or
        bound to another run) and resumed. A missing one is created when ``create`` is true;
        else ``FileNotFoundError``. The file stays locked until :meth:`close`.
        """
        fspath = os.fspath(path)
        if not os.path.exists(fspath):
            if not create:
                raise FileNotFoundError(fspath)
            create_file(fspath, binding)
            journal = cls._open_existing(fspath, binding)
            journal.resumed = False
            fsync(os.path.dirname(os.path.abspath(fspath)))  # the link itself is durable
            return journal
        return cls._open_existing(fspath, binding)

    @classmethod
    def _open_existing(cls, path: str, binding: Binding) -> Journal:
        if os.path.getsize(path) == 0:
            raise JournalMismatchError(
                f"the journal {path!r} is empty (0 bytes): it was truncated or overwritten after "
                "it was created, and what it recorded is lost. It is refused rather than "
                "recreated, which would send every item again; check the workflows the earlier "
                "run launched before starting a new run with a new journal path"
            )
        try:
            conn = sqlite3.connect(path, timeout=0.0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {path!r}: {exc}") from exc
        try:
            lock_file(conn, path)
            try:
                run_id, width = check_file(path, conn, binding)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, run_id, binding.item_count, resumed=True, width=width)

    # -- reading and writing ------------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        """Every item's recorded token and state, in index order (validated)."""
        return list(self._read("SELECT " + self._columns + " FROM items ORDER BY idx", ()))

    def recorded(self, after: int = -1, limit: int = READ_CHUNK) -> list[JournalEntry]:
        """Up to ``limit`` items not ``pending`` with an index above ``after``, in index order."""
        return list(
            self._read(
                "SELECT " + self._columns + " FROM items WHERE state != 'pending' AND idx > ? "
                "ORDER BY idx LIMIT ?",
                (after, limit),
            )
        )

    def _read(self, sql: str, params: tuple[Any, ...]) -> Iterator[JournalEntry]:
        try:
            with self._lock:
                rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalMismatchError(f"cannot read the journal {self.path!r}: {exc}") from exc
        for row in rows:
            yield self._entry(row)

    def _entry(self, row: tuple[Any, ...]) -> JournalEntry:
        idx, token, state, attempts, workflow_id, error = row[:6]
        fp = row[6] if len(row) > 6 else None
        count = self._count
        problem = None
        if not isinstance(idx, int) or idx < 0 or (count is not None and idx >= count):
            problem = f"item index {idx!r} is outside 0..{'' if count is None else count - 1}"
        elif token != make_token(self.run_id, idx, self._width):
            problem = f"item {idx} has the token {token!r}, not this run's"
        elif state not in STATES:
            problem = f"item {idx} has the state {state!r} (expected one of {sorted(STATES)})"
        elif not isinstance(attempts, int) or attempts < 0:
            problem = f"item {idx} has {attempts!r} attempts"
        elif state == ItemState.LAUNCHED and not (isinstance(workflow_id, int) and workflow_id > 0):
            problem = f"item {idx} is launched with the workflow id {workflow_id!r}"
        elif workflow_id is not None and not isinstance(workflow_id, int):
            problem = f"item {idx} has the workflow id {workflow_id!r}"
        elif error is not None and not isinstance(error, str):
            problem = f"item {idx} has the error {error!r}"
        elif count is None and not (isinstance(fp, str) and len(fp) == FP_LENGTH):
            problem = f"item {idx} has the fingerprint {fp!r}"
        if problem is not None:
            raise JournalMismatchError(f"the journal {self.path!r} is damaged: {problem}")
        return JournalEntry(
            index=idx,
            token=token,
            state=ItemState(state),
            attempts=attempts,
            workflow_id=workflow_id,
            error=error,
            fingerprint=fp,
        )

    def write(self, updates: Sequence[JournalUpdate]) -> None:
        """Record ``updates`` in one transaction (durable when this returns).

        Raises :class:`JournalError` when SQLite fails (disk full, I/O error): the bulk run then
        stops, since it can no longer promise to resume correctly.
        """
        if not updates:
            return
        now = time.time()
        conn = self._conn
        as_it_goes = self._count is None
        if as_it_goes:
            for u in updates:
                if not (isinstance(u.fingerprint, str) and len(u.fingerprint) == FP_LENGTH):
                    raise ValueError(f"item {u.index}: an update needs the item's fingerprint")
        try:
            with self._lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if as_it_goes:
                        cursor = conn.executemany(_UPSERT, self._upserts(updates, now))
                        what = "were recorded with another item's fingerprint"
                    else:
                        cursor = conn.executemany(
                            "UPDATE items SET state = ?, attempts = COALESCE(?, attempts), "
                            "workflow_id = ?, error = ?, updated_at = ? WHERE idx = ?",
                            [
                                (u.state.value, u.attempts, u.workflow_id, u.error, now, u.index)
                                for u in updates
                            ],
                        )
                        what = "have no row"
                    if cursor.rowcount != len(updates):
                        raise JournalMismatchError(
                            f"the journal {self.path!r} is damaged: "
                            f"{len(updates) - cursor.rowcount} of the items being recorded {what}"
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write to the journal {self.path!r}: {exc}") from exc

    def _upserts(self, updates: Sequence[JournalUpdate], now: float) -> list[tuple[Any, ...]]:
        return [
            (
                u.index,
                make_token(self.run_id, u.index, self._width),
                u.state.value,
                u.attempts,
                u.workflow_id,
                u.error,
                now,
                u.fingerprint,
            )
            for u in updates
        ]

    def close(self) -> None:
        """Close the file (and release its lock)."""
        self._conn.close()


class SqliteJournalStore:
    """The :class:`~pneumatic_async.bulk.journal.JournalStore` of a SQLite file at ``path``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self.description = repr(self.path)
        self._journal: Journal | None = None

    def __repr__(self) -> str:
        return f"SqliteJournalStore({self.path!r})"

    @property
    def resumed(self) -> bool:
        """True when :meth:`open` found an existing file."""
        return self._journal is not None and self._journal.resumed

    @property
    def journal(self) -> Journal:
        """The open :class:`Journal` (``RuntimeError`` before :meth:`open`)."""
        if self._journal is None:
            raise RuntimeError("the journal store is not open")
        return self._journal

    async def open(self, binding: Binding, *, create: bool) -> str | None:
        """Open or create the file; ``None`` when it is missing and ``create`` is false."""
        path = self.path

        def opened() -> Journal | None:
            try:
                return Journal.open(path, binding, create=create)
            except FileNotFoundError:
                return None

        journal = await anyio.to_thread.run_sync(opened)
        if journal is None:
            return None
        self._journal = journal
        return journal.run_id

    async def recorded(self) -> AsyncIterator[JournalEntry]:
        """Every item not ``pending``, validated, in index order (read in chunks)."""
        journal = self.journal
        after = -1
        while True:
            chunk = await anyio.to_thread.run_sync(journal.recorded, after)
            for entry in chunk:
                yield entry
            if len(chunk) < READ_CHUNK:
                return
            after = chunk[-1].index

    async def write(self, updates: Sequence[JournalUpdate]) -> None:
        """Commit ``updates`` (durable on return)."""
        await anyio.to_thread.run_sync(self.journal.write, updates)

    async def close(self) -> None:
        """Close the file (idempotent)."""
        journal, self._journal = self._journal, None
        if journal is not None:
            await anyio.to_thread.run_sync(journal.close)
