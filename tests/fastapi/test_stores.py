"""Delivery stores: claim / done / release, leases that expire, done keys kept for a while."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pneumatic_async.fastapi import (
    DeliveryStore,
    KeyStoreDeliveries,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
    WebhookRouter,
)
from pneumatic_async.stores import MemoryStore, SQLiteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, clock: Clock, tmp_path: Path) -> Iterator[DeliveryStore]:
    if request.param == "memory":
        yield MemoryDeliveryStore(keep_for=3600, clock=clock)
    else:
        with SQLiteDeliveryStore(tmp_path / "d.sqlite3", keep_for=3600, clock=clock) as sqlite:
            yield sqlite


async def test_a_key_is_claimed_once(store: DeliveryStore) -> None:
    assert isinstance(store, DeliveryStore)
    assert await store.claim("k", 60) is True
    assert await store.claim("k", 60) is False
    assert await store.claim("other", 60) is True


async def test_a_released_key_can_be_claimed_again(store: DeliveryStore) -> None:
    assert await store.claim("k", 60)
    await store.release("k")
    assert await store.claim("k", 60)


async def test_a_done_key_is_not_released_nor_claimed(store: DeliveryStore, clock: Clock) -> None:
    assert await store.claim("k", 60)
    await store.done("k")
    await store.release("k")  # only a claim can be released
    clock.now += 3599
    assert await store.claim("k", 60) is False
    clock.now += 2  # past keep_for: forgotten
    assert await store.claim("k", 60) is True


async def test_an_expired_lease_can_be_claimed(store: DeliveryStore, clock: Clock) -> None:
    assert await store.claim("k", 60)
    clock.now += 59
    assert await store.claim("k", 60) is False
    clock.now += 2
    assert await store.claim("k", 60) is True


async def test_sqlite_is_shared_between_connections(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shared.sqlite3"
    with (
        SQLiteDeliveryStore(path, clock=clock) as one,
        SQLiteDeliveryStore(path, clock=clock) as two,
    ):
        assert await one.claim("k", 60)
        assert await two.claim("k", 60) is False
        await one.done("k")
        assert two.state("k") == "done"
        assert await two.claim("k2", 60)
        await two.release("k2")
        assert one.state("k2") is None
    assert "shared.sqlite3" in repr(one)


async def test_memory_store_forgets_expired_keys(clock: Clock) -> None:
    store = MemoryDeliveryStore(keep_for=10, clock=clock)
    for n in range(1024):
        assert await store.claim(f"k{n}", 5)
    clock.now += 20
    for n in range(300):
        assert await store.claim(f"new{n}", 5)
    assert len(store) < 1024
    assert store.state("new0") == "claimed"
    assert store.state("k0") is None


def test_retention_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep_for"):
        MemoryDeliveryStore(keep_for=0)
    with pytest.raises(ValueError, match="keep_for"):
        SQLiteDeliveryStore(tmp_path / "x", keep_for=-1)


@pytest.fixture(params=["MemoryStore", "SQLiteStore"])
async def key_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store = MemoryStore() if request.param == "MemoryStore" else SQLiteStore(tmp_path / "k.db")
    yield store
    await store.aclose()


async def test_key_stores_hold_deliveries(key_store: Any) -> None:
    store = KeyStoreDeliveries(key_store)
    assert isinstance(store, DeliveryStore)
    assert await store.claim("task_completed:task-1:abc", 60)
    assert not await store.claim("task_completed:task-1:abc", 60)  # same process, still once
    await store.release("task_completed:task-1:abc")
    assert await store.claim("task_completed:task-1:abc", 60)
    await store.done("task_completed:task-1:abc")
    assert not await store.claim("task_completed:task-1:abc", 60)
    other = KeyStoreDeliveries(key_store)  # another process on the same store
    assert not await other.claim("task_completed:task-1:abc", 60)
    assert await other.claim("task_completed:task-2:abc", 60)
    assert not await store.claim("task_completed:task-2:abc", 60)


async def test_router_wraps_a_key_store(key_store: Any) -> None:
    router = WebhookRouter(secret="s", store=key_store)
    assert isinstance(router.store, KeyStoreDeliveries)
    assert router.store.store is key_store
    with pytest.raises(TypeError, match="DeliveryStore"):
        WebhookRouter(secret="s", store=object())  # type: ignore[arg-type]


_RACER = """
import sys

import anyio

from pneumatic_async.fastapi.stores import SQLiteDeliveryStore


async def main() -> None:
    with SQLiteDeliveryStore(sys.argv[1]) as store:
        won = [n for n in range(int(sys.argv[2])) if await store.claim(f"k{n}", 60)]
    print(" ".join(map(str, won)))


anyio.run(main)
"""


def test_sqlite_claims_are_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite3"
    SQLiteDeliveryStore(path).close()  # create the schema once
    keys = 200
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(path), str(keys)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    won = []
    for racer in racers:
        out, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0
        won.append({int(n) for n in out.split()})
    assert won[0] | won[1] == set(range(keys))
    assert not won[0] & won[1]
