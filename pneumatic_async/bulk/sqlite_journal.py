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

:class:`Journal` is the synchronous layer (one thread at a time); :class:`SqliteJournalStore`
runs it in worker threads for the runner.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Final

import anyio
import anyio.to_thread

from pneumatic_async.bulk.journal import (
    Binding,
    ItemState,
    JournalEntry,
    JournalError,
    JournalLockedError,
    JournalMismatchError,
    JournalUpdate,
)
from pneumatic_async.bulk.tokens import index_width, is_run_id, make_token, new_run_id

__all__ = ["FORMAT", "Journal", "SqliteJournalStore"]

#: The journal format name stored in the file.
FORMAT: Final = "pneumatic-async-bulk/1"
#: Rows read per query when streaming the recorded items.
READ_CHUNK = 2000

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE items ("
    " idx INTEGER PRIMARY KEY,"
    " token TEXT NOT NULL UNIQUE,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " workflow_id INTEGER,"
    " error TEXT,"
    " updated_at REAL)",
    "CREATE INDEX items_recorded ON items (idx) WHERE state != 'pending'",
)
_STATES = frozenset(state.value for state in ItemState)
_COLUMNS = "idx, token, state, attempts, workflow_id, error"


class Journal:
    """A journal file opened for one run (synchronous; :class:`SqliteJournalStore` is async).

    Use :meth:`open`; the connection may be used from any one thread at a time.
    """

    def __init__(
        self, path: str, conn: sqlite3.Connection, run_id: str, count: int, *, resumed: bool
    ) -> None:
        self.path = path
        self.run_id = run_id
        #: True when the file existed (this run continues an earlier one).
        self.resumed = resumed
        self._conn = conn
        self._count = count
        self._width = index_width(count)

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
            _create_file(fspath, binding)
            journal = cls._open_existing(fspath, binding)
            journal.resumed = False
            _fsync(os.path.dirname(os.path.abspath(fspath)))  # the link itself is durable
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
            _lock(conn, path)
            try:
                run_id = _check(path, conn, binding)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, run_id, binding.item_count, resumed=True)

    # -- reading and writing ------------------------------------------------------------------

    def entries(self) -> list[JournalEntry]:
        """Every item's recorded token and state, in index order (validated)."""
        return list(self._read("SELECT " + _COLUMNS + " FROM items ORDER BY idx", ()))

    def recorded(self, after: int = -1, limit: int = READ_CHUNK) -> list[JournalEntry]:
        """Up to ``limit`` items not ``pending`` with an index above ``after``, in index order."""
        return list(
            self._read(
                "SELECT " + _COLUMNS + " FROM items WHERE state != 'pending' AND idx > ? "
                "ORDER BY idx LIMIT ?",
                (after, limit),
            )
        )

    def _read(self, sql: str, params: tuple[Any, ...]) -> Iterator[JournalEntry]:
        try:
            rows = self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalMismatchError(f"cannot read the journal {self.path!r}: {exc}") from exc
        for row in rows:
            yield self._entry(row)

    def _entry(self, row: tuple[Any, ...]) -> JournalEntry:
        idx, token, state, attempts, workflow_id, error = row
        problem = None
        if not isinstance(idx, int) or not 0 <= idx < self._count:
            problem = f"item index {idx!r} is outside 0..{self._count - 1}"
        elif token != make_token(self.run_id, idx, self._width):
            problem = f"item {idx} has the token {token!r}, not this run's"
        elif state not in _STATES:
            problem = f"item {idx} has the state {state!r} (expected one of {sorted(_STATES)})"
        elif not isinstance(attempts, int) or attempts < 0:
            problem = f"item {idx} has {attempts!r} attempts"
        elif state == ItemState.LAUNCHED and not (isinstance(workflow_id, int) and workflow_id > 0):
            problem = f"item {idx} is launched with the workflow id {workflow_id!r}"
        elif workflow_id is not None and not isinstance(workflow_id, int):
            problem = f"item {idx} has the workflow id {workflow_id!r}"
        elif error is not None and not isinstance(error, str):
            problem = f"item {idx} has the error {error!r}"
        if problem is not None:
            raise JournalMismatchError(f"the journal {self.path!r} is damaged: {problem}")
        return JournalEntry(
            index=idx,
            token=token,
            state=ItemState(state),
            attempts=attempts,
            workflow_id=workflow_id,
            error=error,
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
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = conn.executemany(
                    "UPDATE items SET state = ?, attempts = COALESCE(?, attempts), "
                    "workflow_id = ?, error = ?, updated_at = ? WHERE idx = ?",
                    [
                        (u.state.value, u.attempts, u.workflow_id, u.error, now, u.index)
                        for u in updates
                    ],
                )
                if cursor.rowcount != len(updates):
                    raise JournalMismatchError(
                        f"the journal {self.path!r} is damaged: {len(updates) - cursor.rowcount} "
                        "of the items being recorded have no row"
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


# -- helpers ----------------------------------------------------------------------------------


def _lock(conn: sqlite3.Connection, path: str) -> None:
    """Set the durable modes and take the exclusive lock (a write transaction stays open)."""
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the launch it announces is sent.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise JournalLockedError(
                f"the journal {path!r} is in use by another run; wait for it to end"
            ) from exc
        raise JournalMismatchError(f"{path!r} is not a bulk-launch journal: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise JournalMismatchError(f"{path!r} is not a bulk-launch journal: {exc}") from exc


def _check(path: str, conn: sqlite3.Connection, binding: Binding) -> str:
    """Validate an existing journal against ``binding``; return its run id."""
    try:
        rows = conn.execute("SELECT key, value FROM meta").fetchall()
    except sqlite3.DatabaseError as exc:
        raise JournalMismatchError(f"{path!r} is not a bulk-launch journal: {exc}") from exc
    meta = {str(key): value for key, value in rows}
    if meta.get("format") != FORMAT or not is_run_id(str(meta.get("run_id", ""))):
        raise JournalMismatchError(
            f"{path!r} is not a bulk-launch journal of this SDK version "
            f"(format {meta.get('format')!r}, expected {FORMAT!r})"
        )
    diffs = [
        f"{key} {meta.get(key)!r} (this run: {value!r})"
        for key, value in binding.as_meta().items()
        if meta.get(key) != value
    ]
    if diffs:
        raise JournalMismatchError(
            f"the journal {path!r} belongs to another run: " + "; ".join(diffs) + ". Resume "
            "with the same template, items (same order) and token_field, or use a new journal "
            "path for a new run."
        )
    run_id = str(meta["run_id"])
    count = binding.item_count
    try:
        rows_count, low, high = conn.execute(
            "SELECT count(*), min(idx), max(idx) FROM items"
        ).fetchone()
        bad_tokens = conn.execute(
            "SELECT count(*) FROM items WHERE token IS NOT ? || printf('%0*d', ?, idx)",
            (run_id, index_width(count)),
        ).fetchone()[0]
        bad_states = conn.execute(
            "SELECT count(*) FROM items WHERE state NOT IN (" + ",".join("?" * len(_STATES)) + ")",
            sorted(_STATES),
        ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise JournalMismatchError(f"the journal {path!r} is damaged: {exc}") from exc
    if rows_count != count or (count and (low, high) != (0, count - 1)):
        raise JournalMismatchError(
            f"the journal {path!r} is damaged: it has {rows_count} item rows (indexes "
            f"{low}..{high}) for a run of {count} items; rows were deleted or added"
        )
    if bad_tokens:
        raise JournalMismatchError(
            f"the journal {path!r} is damaged: {bad_tokens} item rows carry a token that is not "
            "this run's"
        )
    if bad_states:
        raise JournalMismatchError(
            f"the journal {path!r} is damaged: {bad_states} item rows have a state outside "
            f"{sorted(_STATES)}"
        )
    return run_id


def _create_file(path: str, binding: Binding) -> None:
    """Write a complete journal to a temporary file and link it into place atomically.

    The identity and every item go in one transaction, and the file appears at ``path`` only
    once it is complete and synced. If another run created ``path`` meanwhile, that run is about
    to open it: :class:`JournalLockedError`.
    """
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        directory, f".{os.path.basename(path)}.{os.getpid()}.{new_run_id()}.tmp"
    )
    try:
        conn = sqlite3.connect(temporary, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            run_id = new_run_id()
            meta = {"format": FORMAT, "run_id": run_id, "created_at": repr(time.time())}
            meta.update(binding.as_meta())
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            width = index_width(binding.item_count)
            conn.executemany(
                "INSERT INTO items (idx, token) VALUES (?, ?)",
                ((index, make_token(run_id, index, width)) for index in range(binding.item_count)),
            )
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _fsync(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise JournalLockedError(
                f"the journal {path!r} was just created by another run; wait for it to end"
            ) from None
    except sqlite3.Error as exc:
        raise JournalError(f"cannot create the journal {path!r}: {exc}") from exc
    finally:
        for leftover in (temporary, temporary + "-wal", temporary + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)


def _fsync(path: str) -> None:
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without fsync on directories
        pass
    finally:
        os.close(fd)
