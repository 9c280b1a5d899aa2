"""The SQLite journal file on disk: created whole, locked while in use, checked when opened.

:func:`create_file` builds a complete journal in a temporary file and links it into place;
:func:`lock_file` sets the durable modes and takes the exclusive lock; :func:`check_file`
validates an existing file against a run's :class:`~pneumatic_async.bulk.journal.Binding`
(format, identity, rows, tokens, states, and for a run checked as it goes the fingerprints).
:mod:`pneumatic_async.bulk.sqlite_journal` reads and writes the items.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from typing import Any, Final

from pneumatic_async.bulk.journal import (
    AS_IT_GOES_INDEX_WIDTH,
    Binding,
    ItemState,
    JournalError,
    JournalLockedError,
    JournalMismatchError,
)
from pneumatic_async.bulk.tokens import index_width, is_run_id, make_token, new_run_id

__all__ = ["FORMAT", "FP_LENGTH", "STATES", "check_file", "create_file", "fsync", "lock_file"]

#: The journal format name stored in the file.
FORMAT: Final = "pneumatic-async-bulk/1"
_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE items ("
    " idx INTEGER PRIMARY KEY,"
    " token TEXT NOT NULL UNIQUE,"
    " state TEXT NOT NULL DEFAULT 'pending',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " workflow_id INTEGER,"
    " error TEXT,"
    " updated_at REAL,"
    " fp TEXT)",
    "CREATE INDEX items_recorded ON items (idx) WHERE state != 'pending'",
)
STATES = frozenset(state.value for state in ItemState)
#: Hex digits of an item fingerprint (a journal of a run checked as it goes).
FP_LENGTH = 32

# -- helpers ----------------------------------------------------------------------------------


def lock_file(conn: sqlite3.Connection, path: str) -> None:
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


def check_file(path: str, conn: sqlite3.Connection, binding: Binding) -> tuple[str, int]:
    """Validate an existing journal against ``binding``; return its run id and index width."""
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
    kind = meta.get("check", "upfront")
    wanted = "as_it_goes" if binding.as_it_goes else "upfront"
    if kind != wanted:
        raise JournalMismatchError(
            f"the journal {path!r} was written by a run with check={kind!r}, and this run has "
            f"check={wanted!r}: resume it with check={kind!r} (the same items), or use a new "
            "journal path for a new run"
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
    if binding.item_count is None:
        return run_id, _check_as_it_goes(path, conn, run_id, meta)
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
            "SELECT count(*) FROM items WHERE state NOT IN (" + ",".join("?" * len(STATES)) + ")",
            sorted(STATES),
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
            f"{sorted(STATES)}"
        )
    return run_id, index_width(count)


def _check_as_it_goes(
    path: str, conn: sqlite3.Connection, run_id: str, meta: dict[str, Any]
) -> int:
    """Validate the rows of a journal checked as it goes; return its index width."""
    width_text = str(meta.get("index_width", ""))
    if not width_text.isdigit() or not 1 <= int(width_text) <= 18:
        raise JournalMismatchError(
            f"the journal {path!r} is damaged: its index width is {meta.get('index_width')!r}"
        )
    width = int(width_text)
    try:
        low, bad_tokens, bad_states, bad_fps = conn.execute(
            "SELECT min(idx), "
            "sum(token IS NOT ? || printf('%0*d', ?, idx)), "
            "sum(state NOT IN (" + ",".join("?" * len(STATES)) + ")), "
            "sum(fp IS NULL OR length(fp) != ?) FROM items",
            (run_id, width, *sorted(STATES), FP_LENGTH),
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise JournalMismatchError(f"the journal {path!r} is damaged: {exc}") from exc
    problems = []
    if low is not None and low < 0:
        problems.append(f"an item row has the index {low}")
    if bad_tokens:
        problems.append(f"{bad_tokens} item rows carry a token that is not this run's")
    if bad_states:
        problems.append(f"{bad_states} item rows have a state outside {sorted(STATES)}")
    if bad_fps:
        problems.append(f"{bad_fps} item rows have no valid fingerprint")
    if problems:
        raise JournalMismatchError(f"the journal {path!r} is damaged: " + "; ".join(problems))
    return width


def create_file(path: str, binding: Binding) -> None:
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
            count = binding.item_count
            if count is None:  # checked as it goes: each item's row comes with its first update
                meta["index_width"] = str(AS_IT_GOES_INDEX_WIDTH)
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            if count is not None:
                width = index_width(count)
                conn.executemany(
                    "INSERT INTO items (idx, token) VALUES (?, ?)",
                    ((index, make_token(run_id, index, width)) for index in range(count)),
                )
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        fsync(temporary)
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


def fsync(path: str) -> None:
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
