"""The SQLite journal: creation, binding checks, locking, group commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio
import pytest

from pneumatic_async.bulk.journal import (
    Binding,
    ItemState,
    JournalLockedError,
    JournalMismatchError,
    JournalUpdate,
    JournalWriter,
)
from pneumatic_async.bulk.sqlite_journal import FORMAT, Journal, SqliteJournalStore
from pneumatic_async.bulk.tokens import is_run_id, make_token

BINDING = Binding(template_id=7, item_count=5, items_hash="ab" * 32, token_field=None)


def test_create_records_every_item_pending_with_its_token(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal.open(path, BINDING, create=True)
    try:
        assert not journal.resumed
        assert is_run_id(journal.run_id)
        entries = journal.entries()
    finally:
        journal.close()
    assert [e.index for e in entries] == list(range(5))
    assert [e.token for e in entries] == [make_token(journal.run_id, i) for i in range(5)]
    assert {e.state for e in entries} == {ItemState.PENDING}
    with sqlite3.connect(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    assert meta["format"] == FORMAT
    assert meta["template_id"] == "7"
    assert meta["item_count"] == "5"
    assert meta["token_field"] == ""


def test_updates_persist_and_a_reopen_resumes_with_the_same_run_id(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal.open(path, BINDING, create=True)
    run_id = journal.run_id
    journal.write(
        [
            JournalUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1),
            JournalUpdate(index=1, state=ItemState.IN_FLIGHT, attempts=1),
        ]
    )
    journal.write(
        [
            JournalUpdate(index=0, state=ItemState.LAUNCHED, workflow_id=99),
            JournalUpdate(index=2, state=ItemState.FAILED, attempts=2, error="BadRequestError: x"),
        ]
    )
    journal.close()

    again = Journal.open(path, BINDING, create=False)
    try:
        assert again.resumed
        assert again.run_id == run_id
        entries = again.entries()
    finally:
        again.close()
    assert (entries[0].state, entries[0].workflow_id, entries[0].attempts) == (
        ItemState.LAUNCHED,
        99,
        1,  # attempts kept when an update does not say
    )
    assert (entries[1].state, entries[1].attempts) == (ItemState.IN_FLIGHT, 1)
    assert (entries[2].state, entries[2].error, entries[2].attempts) == (
        ItemState.FAILED,
        "BadRequestError: x",
        2,
    )
    assert entries[3].state is ItemState.PENDING


def test_missing_journal_without_create(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Journal.open(tmp_path / "none.db", BINDING, create=False)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"template_id": 8}, "template_id"),
        ({"item_count": 6}, "item_count"),
        ({"items_hash": "cd" * 32}, "items_hash"),
        ({"token_field": "ref"}, "token_field"),
    ],
)
def test_a_journal_refuses_another_run(
    tmp_path: Path, change: dict[str, object], named: str
) -> None:
    path = tmp_path / "j.db"
    Journal.open(path, BINDING, create=True).close()
    other = _evolve(change)
    with pytest.raises(JournalMismatchError, match=named) as caught:
        Journal.open(path, other, create=True)
    assert "new journal path" in str(caught.value)
    # refusing did not damage it
    Journal.open(path, BINDING, create=False).close()


def _evolve(change: dict[str, object]) -> Binding:
    import attrs

    return attrs.evolve(BINDING, **change)  # type: ignore[arg-type]


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("just some text, not SQLite\n" * 100)
    with pytest.raises(JournalMismatchError, match="not a bulk-launch journal"):
        Journal.open(text, BINDING, create=True)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    conn.close()
    with pytest.raises(JournalMismatchError, match="format"):
        Journal.open(other, BINDING, create=True)


def test_an_open_journal_is_locked_against_a_second_run(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    first = Journal.open(path, BINDING, create=True)
    try:
        with pytest.raises(JournalLockedError, match="in use"):
            Journal.open(path, BINDING, create=False)
    finally:
        first.close()
    Journal.open(path, BINDING, create=False).close()  # released on close


async def test_writer_commits_concurrent_updates_together(tmp_path: Path) -> None:
    binding = Binding(template_id=7, item_count=200, items_hash="x", token_field=None)
    store = SqliteJournalStore(tmp_path / "j.db")
    await store.open(binding, create=True)
    writer = JournalWriter(store)

    async def one(index: int) -> None:
        await writer.record(JournalUpdate(index=index, state=ItemState.IN_FLIGHT, attempts=1))
        await writer.record(
            JournalUpdate(index=index, state=ItemState.LAUNCHED, workflow_id=index + 1)
        )

    async with anyio.create_task_group() as tg:
        for index in range(200):
            tg.start_soon(one, index)
    assert writer.commits < 200  # 400 updates, grouped
    await writer.aclose()
    reopened = Journal.open(tmp_path / "j.db", binding, create=False)
    entries = reopened.entries()
    reopened.close()
    assert {e.state for e in entries} == {ItemState.LAUNCHED}
    assert [e.workflow_id for e in entries] == list(range(1, 201))


async def test_updates_of_cancelled_waiters_are_flushed_on_close(tmp_path: Path) -> None:
    binding = Binding(template_id=7, item_count=3, items_hash="x", token_field=None)
    store = SqliteJournalStore(tmp_path / "j.db")
    await store.open(binding, create=True)
    writer = JournalWriter(store)
    release = anyio.Event()

    async def commit_in_progress() -> None:  # holds the lock: the next updates must wait
        async with writer._lock:
            await release.wait()

    async with anyio.create_task_group() as tg:
        tg.start_soon(commit_in_progress)
        await anyio.wait_all_tasks_blocked()
        with anyio.move_on_after(0.01) as scope:
            await writer.record(JournalUpdate(index=1, state=ItemState.IN_FLIGHT, attempts=1))
        assert scope.cancelled_caught
        release.set()
    await writer.aclose()
    reopened = Journal.open(tmp_path / "j.db", binding, create=False)
    entries = reopened.entries()
    reopened.close()
    assert entries[1].state is ItemState.IN_FLIGHT


def test_sqlite_failures_on_write_are_journal_errors(tmp_path: Path) -> None:
    from pneumatic_async.bulk.journal import JournalError

    journal = Journal.open(tmp_path / "j.db", BINDING, create=True)
    journal.close()
    with pytest.raises(JournalError, match="cannot write to the journal"):
        journal.write([JournalUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1)])
