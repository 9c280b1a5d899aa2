"""A journal that cannot lie: empty, damaged or tampered files are refused with a typed error
naming the file and the problem, before anything is sent; and any store can stand in for SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from pneumatic_async.bulk import JournalMismatchError, JournalStore, LaunchItem, run_many
from pneumatic_async.bulk.journal import Binding, ItemState, JournalEntry, JournalUpdate
from pneumatic_async.bulk.sqlite_journal import Journal, SqliteJournalStore
from pneumatic_async.bulk.tokens import index_width, make_token, new_run_id
from tests.bulk.fakes import FakeClient

if TYPE_CHECKING:
    from pneumatic_async import Pneumatic

BINDING = Binding(template_id=7, item_count=5, items_hash="ab" * 32, token_field=None)


def items(n: int) -> list[LaunchItem]:
    return [LaunchItem({"client": f"C{i}"}, name=f"Launch {i}") for i in range(n)]


async def launch(client: FakeClient, n: int, journal: Any) -> list[Any]:
    return await run_many(cast("Pneumatic", client), 7, items(n), validate=False, journal=journal)


def tamper(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql)
    conn.close()


async def test_a_journal_truncated_to_zero_bytes_is_refused_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    client = FakeClient()
    await launch(client, 50, path)
    assert len(client.server.workflows) == 50
    path.write_bytes(b"")  # truncated
    with pytest.raises(JournalMismatchError, match="empty") as caught:
        await launch(client, 50, path)
    assert str(path) in str(caught.value)
    assert len(client.server.workflows) == 50  # nothing sent again
    assert len(client.server.launches) == 50


DAMAGE: dict[str, tuple[str, str]] = {
    "state outside the schema": ("UPDATE items SET state = 'launchd' WHERE idx = 2", "state"),
    "deleted row": ("DELETE FROM items WHERE idx = 3", "rows were deleted"),
    "added row": ("INSERT INTO items (idx, token) VALUES (9, 'x')", "rows were deleted or added"),
    "foreign token": ("UPDATE items SET token = 'bbbbbbbb1' WHERE idx = 1", "token"),
    "meta wiped": ("DELETE FROM meta", "not a bulk-launch journal"),
    "table dropped": ("DROP TABLE items", "damaged"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damage_is_refused_at_open_naming_file_and_problem(tmp_path: Path, case: str) -> None:
    path = tmp_path / "j.db"
    Journal.open(path, BINDING, create=True).close()
    sql, named = DAMAGE[case]
    tamper(path, sql)
    with pytest.raises(JournalMismatchError, match=named) as caught:
        Journal.open(path, BINDING, create=True)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("UPDATE items SET state = 'launched', workflow_id = NULL WHERE idx = 1", "workflow id"),
        ("UPDATE items SET state = 'in_flight', attempts = -1 WHERE idx = 1", "attempts"),
        ("UPDATE items SET state = 'failed', workflow_id = 'x' WHERE idx = 1", "workflow id"),
    ],
)
def test_every_row_read_is_validated(tmp_path: Path, sql: str, named: str) -> None:
    path = tmp_path / "j.db"
    Journal.open(path, BINDING, create=True).close()
    tamper(path, sql)
    journal = Journal.open(path, BINDING, create=False)
    try:
        with pytest.raises(JournalMismatchError, match=named):
            journal.recorded()
    finally:
        journal.close()


async def test_a_damaged_journal_stops_a_run_before_anything_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    client = FakeClient()
    await launch(client, 10, path)
    tamper(path, "UPDATE items SET state = 'bogus' WHERE idx = 4")
    with pytest.raises(JournalMismatchError, match="state"):
        await launch(client, 10, path)
    assert len(client.server.launches) == 10


def test_creation_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal.open(path, BINDING, create=True)
    journal.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.db"]
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    conn.close()
    assert meta["run_id"] == journal.run_id
    assert meta["items_hash"] == "ab" * 32
    assert mode == "wal"


async def test_sqlite_store_is_a_journal_store(tmp_path: Path) -> None:
    store = SqliteJournalStore(tmp_path / "j.db")
    assert isinstance(store, JournalStore)
    assert await store.open(BINDING, create=False) is None
    run_id = await store.open(BINDING, create=True)
    assert run_id is not None
    assert not store.resumed
    await store.write([JournalUpdate(index=3, state=ItemState.IN_FLIGHT, attempts=1)])
    assert [(e.index, e.state) async for e in store.recorded()] == [(3, ItemState.IN_FLIGHT)]
    await store.close()
    again = SqliteJournalStore(tmp_path / "j.db")
    assert await again.open(BINDING, create=False) == run_id
    assert again.resumed
    await again.close()


class MemoryStore:
    """A minimal JournalStore kept in a dict: what a shared-database store implements."""

    def __init__(self) -> None:
        self.description = "memory"
        self.binding: Binding | None = None
        self.run_id = ""
        self.rows: dict[int, JournalEntry] = {}
        self.resumed = False
        self.writes = 0
        self.on_write: Callable[[Sequence[JournalUpdate]], None] | None = None

    async def open(self, binding: Binding, *, create: bool) -> str | None:
        if self.binding is None:
            if not create:
                return None
            self.binding, self.run_id = binding, new_run_id()
            width = index_width(binding.item_count)
            self.rows = {
                i: JournalEntry(index=i, token=make_token(self.run_id, i, width), state="pending")  # type: ignore[arg-type]
                for i in range(binding.item_count)
            }
            return self.run_id
        if binding != self.binding:
            raise JournalMismatchError("memory journal belongs to another run")
        self.resumed = True
        return self.run_id

    async def recorded(self) -> AsyncIterator[JournalEntry]:
        for index in sorted(self.rows):
            if self.rows[index].state != ItemState.PENDING:
                yield self.rows[index]

    async def write(self, updates: Sequence[JournalUpdate]) -> None:
        self.writes += 1
        if self.on_write is not None:
            self.on_write(updates)
        for u in updates:
            old = self.rows[u.index]
            self.rows[u.index] = JournalEntry(
                index=u.index,
                token=old.token,
                state=u.state,
                attempts=old.attempts if u.attempts is None else u.attempts,
                workflow_id=u.workflow_id,
                error=u.error,
            )

    async def close(self) -> None:
        pass


async def test_a_custom_store_journals_and_resumes_a_run() -> None:
    store = MemoryStore()
    assert isinstance(store, JournalStore)
    client = FakeClient()
    client.server.script = lambda item, attempt: (True, "ok" if item < 6 else "drop")
    first = await launch(client, 8, store)
    # item 6 and 7: applied, then the lookup found them (the fake's lookups work)
    assert [r.status for r in first] == ["launched"] * 6 + ["reconciled"] * 2
    assert {e.state for e in store.rows.values()} == {ItemState.LAUNCHED}
    second = await launch(client, 8, store)
    assert {r.status for r in second} == {"resumed"}
    assert store.resumed
    assert len(client.server.workflows) == 8
