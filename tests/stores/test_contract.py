"""The store contract, on every store (memory, SQLite, PostgreSQL, Redis), asyncio and trio."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest

from pneumatic_async.stores import (
    BatchMismatchError,
    BatchStore,
    ItemState,
    ItemUpdate,
    KeyStore,
    MemoryStore,
    SQLiteStore,
    StoreError,
)

STORES = ["memory", "sqlite", "postgres", "redis"]
BINDING = {"template_id": "7", "items_hash": "abc", "token_field": ""}
#: A lease that has expired by the next operation.
TINY = 0.001


def make_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> KeyStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "store.db")
    if kind == "postgres":
        from pneumatic_async.stores import PostgresStore

        return PostgresStore(request.getfixturevalue("postgres_dsn"))
    from pneumatic_async.stores import RedisStore

    return RedisStore(request.getfixturevalue("redis_url"))


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[object]:
    made = make_store(request.param, request, tmp_path)
    try:
        yield made
    finally:
        await made.aclose()


def name() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


async def until_acquired(store: KeyStore, key: str, owner: str) -> int:
    for _ in range(500):  # bounded: the tiny lease expires within milliseconds
        claim = await store.claim_key(key, owner=owner, lease=30)
        if claim.status == "acquired":
            return claim.claims
        await anyio.sleep(0.01)
    raise AssertionError("the expired lease was never taken over")


async def test_every_store_implements_both_protocols(store: object) -> None:
    assert isinstance(store, KeyStore)
    assert isinstance(store, BatchStore)


async def test_key_lease_result_and_busy(store: KeyStore) -> None:
    key = name()
    first = await store.claim_key(key, owner="a", lease=30)
    assert (first.status, first.claims) == ("acquired", 0)
    busy = await store.claim_key(key, owner="b", lease=30)
    assert busy.status == "busy"
    assert 0 < busy.retry_in <= 30
    await store.complete_key(key, owner="a", result="101")
    done = await store.claim_key(key, owner="b", lease=30)
    assert (done.status, done.result) == ("done", "101")
    await store.complete_key(key, owner="b", result="202")  # the first result stays
    assert (await store.claim_key(key, owner="c", lease=30)).result == "101"


async def test_released_key_is_acquired_next_with_claim_count(store: KeyStore) -> None:
    key = name()
    await store.claim_key(key, owner="a", lease=30)
    await store.release_key(key, owner="b")  # not b's lease: nothing happens
    assert (await store.claim_key(key, owner="b", lease=30)).status == "busy"
    await store.release_key(key, owner="a")
    claim = await store.claim_key(key, owner="b", lease=30)
    assert (claim.status, claim.claims) == ("acquired", 1)


async def test_expired_key_lease_is_taken_over(store: KeyStore) -> None:
    key = name()
    assert (await store.claim_key(key, owner="a", lease=TINY)).status == "acquired"
    assert await until_acquired(store, key, "b") == 1


async def test_open_batch_creates_reopens_and_refuses_another_binding(store: BatchStore) -> None:
    batch = name()
    info = await store.open_batch(batch, binding=BINDING, item_count=3, run_id="bcdfghjk")
    assert (info.run_id, info.created) == ("bcdfghjk", True)
    again = await store.open_batch(batch, binding=BINDING, item_count=3, run_id="zzzzzzzz")
    assert (again.run_id, again.created) == ("bcdfghjk", False)
    other = {**BINDING, "items_hash": "def"}
    with pytest.raises(BatchMismatchError, match="items_hash"):
        await store.open_batch(batch, binding=other, item_count=3, run_id="zzzzzzzz")
    records = await store.batch_items(batch)
    assert [(r.index, r.state, r.attempts) for r in records] == [
        (i, ItemState.PENDING, 0) for i in range(3)
    ]


async def test_unknown_batch_is_a_store_error(store: BatchStore) -> None:
    with pytest.raises(StoreError):
        await store.batch_items(name())


async def test_items_are_claimed_by_one_owner_at_a_time(store: BatchStore) -> None:
    batch = name()
    await store.open_batch(batch, binding=BINDING, item_count=5, run_id="bcdfghjk")
    a = await store.claim_items(batch, owner="a", limit=3, lease=30)
    b = await store.claim_items(batch, owner="b", limit=3, lease=30)
    assert [c.index for c in a] == [0, 1, 2]
    assert [c.index for c in b] == [3, 4]
    assert await store.claim_items(batch, owner="c", limit=3, lease=30) == []


async def test_records_are_fenced_by_the_lease(store: BatchStore) -> None:
    batch = name()
    await store.open_batch(batch, binding=BINDING, item_count=3, run_id="bcdfghjk")
    await store.claim_items(batch, owner="a", limit=3, lease=30)
    applied = await store.record_items(
        batch,
        owner="b",
        updates=[
            ItemUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1),
            ItemUpdate(index=1, state=ItemState.FAILED, error="nope"),
            ItemUpdate(index=2, state=ItemState.LAUNCHED, workflow_id=77),
        ],
    )
    assert applied == [False, False, True]  # a workflow is a fact whoever reports it
    applied = await store.record_items(
        batch,
        owner="a",
        updates=[
            ItemUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1),
            ItemUpdate(index=0, state=ItemState.LAUNCHED, workflow_id=5),
            ItemUpdate(index=1, state=ItemState.FAILED, error="400: bad"),
            ItemUpdate(index=2, state=ItemState.LAUNCHED, workflow_id=78),
        ],
    )
    assert applied == [True, True, True, False]
    records = await store.batch_items(batch)
    assert [(r.state, r.attempts, r.workflow_id, r.error) for r in records] == [
        (ItemState.LAUNCHED, 1, 5, None),
        (ItemState.FAILED, 0, None, "400: bad"),
        (ItemState.LAUNCHED, 0, 77, None),
    ]
    assert await store.claim_items(batch, owner="c", limit=3, lease=30) == []


async def test_expired_items_are_taken_over_and_the_old_owner_is_fenced(
    store: BatchStore,
) -> None:
    batch = name()
    await store.open_batch(batch, binding=BINDING, item_count=2, run_id="bcdfghjk")
    await store.claim_items(batch, owner="a", limit=1, lease=30)
    assert await store.record_items(
        batch, owner="a", updates=[ItemUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=1)]
    ) == [True]
    assert await store.renew_items(batch, owner="a", indexes=[0], lease=TINY) == {0}
    taken = []
    for _ in range(500):  # bounded: the tiny lease expires within milliseconds
        taken = await store.claim_items(batch, owner="b", limit=2, lease=30)
        if any(c.index == 0 for c in taken):
            break
        await anyio.sleep(0.01)
    assert [(c.index, c.attempts) for c in taken if c.index == 0] == [(0, 1)]
    late = ItemUpdate(index=0, state=ItemState.IN_FLIGHT, attempts=2)
    assert await store.record_items(batch, owner="a", updates=[late]) == [False]
    assert await store.renew_items(batch, owner="a", indexes=[0], lease=30) == set()
    assert await store.renew_items(batch, owner="b", indexes=[0, 1], lease=30) == {0, 1}


async def test_released_items_are_claimable_at_once(store: BatchStore) -> None:
    batch = name()
    await store.open_batch(batch, binding=BINDING, item_count=2, run_id="bcdfghjk")
    await store.claim_items(batch, owner="a", limit=2, lease=30)
    await store.record_items(
        batch, owner="a", updates=[ItemUpdate(index=1, state=ItemState.IN_FLIGHT, attempts=1)]
    )
    await store.release_items(batch, owner="a", indexes=[0, 1])
    claimed = await store.claim_items(batch, owner="b", limit=5, lease=30)
    assert [(c.index, c.attempts) for c in claimed] == [(0, 0), (1, 1)]
