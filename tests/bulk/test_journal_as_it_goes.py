"""The SQLite journal of runs checked as they go: rows added by their first update with the
item's fingerprint, fixed-width tokens, checks on reopen, and files of the other kind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pneumatic_async.bulk.items import LaunchItem, item_fingerprint
from pneumatic_async.bulk.journal import (
    AS_IT_GOES_INDEX_WIDTH,
    Binding,
    ItemState,
    JournalMismatchError,
    JournalUpdate,
)
from pneumatic_async.bulk.sqlite_journal import Journal
from pneumatic_async.bulk.tokens import make_token

GOES = Binding(template_id=7, item_count=None, items_hash="", token_field=None)
UPFRONT = Binding(template_id=7, item_count=3, items_hash="ab" * 32, token_field=None)
FP = [item_fingerprint(LaunchItem({"client": f"C{i}"})) for i in range(5)]


def test_it_starts_empty_and_each_update_adds_the_item_with_its_fingerprint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    journal = Journal.open(path, GOES, create=True)
    run_id = journal.run_id
    assert journal.entries() == []
    journal.write(
        [
            JournalUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1, fingerprint=FP[0]),
            JournalUpdate(index=3, state=ItemState.FAILED, error="x", fingerprint=FP[3]),
        ]
    )
    journal.write(
        [JournalUpdate(index=0, state=ItemState.LAUNCHED, workflow_id=9, fingerprint=FP[0])]
    )
    journal.close()
    with sqlite3.connect(path) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    assert meta["check"] == "as_it_goes"
    assert meta["item_count"] == ""
    assert meta["index_width"] == str(AS_IT_GOES_INDEX_WIDTH)

    again = Journal.open(path, GOES, create=False)
    try:
        assert again.resumed
        assert again.run_id == run_id
        entries = again.recorded()
    finally:
        again.close()
    assert [(e.index, e.state, e.attempts, e.workflow_id, e.fingerprint) for e in entries] == [
        (0, ItemState.LAUNCHED, 1, 9, FP[0]),
        (3, ItemState.FAILED, 0, None, FP[3]),
    ]
    assert entries[0].token == make_token(run_id, 0, AS_IT_GOES_INDEX_WIDTH)
    assert len(entries[0].token) == 8 + AS_IT_GOES_INDEX_WIDTH


def test_an_update_for_another_item_at_a_recorded_index_is_refused(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.db", GOES, create=True)
    try:
        journal.write(
            [JournalUpdate(index=1, state=ItemState.IN_FLIGHT, attempts=1, fingerprint=FP[1])]
        )
        with pytest.raises(JournalMismatchError, match="another item's fingerprint"):
            journal.write(
                [JournalUpdate(index=1, state=ItemState.LAUNCHED, workflow_id=5, fingerprint=FP[2])]
            )
        with pytest.raises(ValueError, match="fingerprint"):
            journal.write([JournalUpdate(index=2, state=ItemState.IN_FLIGHT, attempts=1)])
        (entry,) = journal.entries()
    finally:
        journal.close()
    assert (entry.state, entry.workflow_id) == (ItemState.IN_FLIGHT, None)  # unchanged


def test_a_row_without_a_valid_fingerprint_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    journal = Journal.open(path, GOES, create=True)
    journal.write(
        [JournalUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1, fingerprint=FP[0])]
    )
    journal.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE items SET fp = 'short'")
    conn.close()
    with pytest.raises(JournalMismatchError, match="1 item rows have no valid fingerprint"):
        Journal.open(path, GOES, create=False)


def test_files_of_the_other_kind_are_refused_naming_the_check(tmp_path: Path) -> None:
    goes, upfront = tmp_path / "goes.db", tmp_path / "upfront.db"
    Journal.open(goes, GOES, create=True).close()
    Journal.open(upfront, UPFRONT, create=True).close()
    with pytest.raises(JournalMismatchError, match="check='as_it_goes'"):
        Journal.open(goes, UPFRONT, create=False)
    with pytest.raises(JournalMismatchError, match="check='upfront'"):
        Journal.open(upfront, GOES, create=False)


def test_an_upfront_file_of_the_earlier_schema_still_resumes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    journal = Journal.open(path, UPFRONT, create=True)
    journal.write([JournalUpdate(index=1, state=ItemState.LAUNCHED, workflow_id=4)])
    journal.close()
    with sqlite3.connect(path) as conn:  # files written before the fingerprint column
        conn.execute("ALTER TABLE items DROP COLUMN fp")
    conn.close()
    again = Journal.open(path, UPFRONT, create=False)
    try:
        again.write([JournalUpdate(index=2, state=ItemState.IN_FLIGHT, attempts=1)])
        states = [e.state for e in again.entries()]
    finally:
        again.close()
    assert states == [ItemState.PENDING, ItemState.LAUNCHED, ItemState.IN_FLIGHT]
