"""A worker process for the multi-process store tests (run as a script by the tests).

``python _child.py keys <base_url> <api_key> <store kind> <store address> <template id> <count>
<order seed>``: launch one workflow per idempotency key ``key-0 .. key-<count-1>`` (in an order
shuffled by the seed, 16 at a time) and print ``{"key-i": workflow id}`` as JSON.

``python _child.py batch <base_url> <api_key> <store kind> <store address> <template id> <count>
<batch id>``: run the shared batch and print the result statuses as JSON.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import anyio

from pneumatic_async import Pneumatic
from pneumatic_async.bulk import SharedBatch, run_many
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.stores import MemoryStore, SQLiteStore

#: Seconds a shared-batch item stays leased to a worker that stopped renewing (a killed one).
#: Short to keep the test quick, but longer than a launch takes on a loaded machine: a lease
#: that runs out while its launch is still on its way is the documented remaining risk (2 s
#: was too short on a machine with a load average of 15: 4 items launched twice).
LEASE = 5.0


def make_store(kind: str, address: str) -> Any:
    if kind == "sqlite":
        return SQLiteStore(address)
    if kind == "postgres":
        from pneumatic_async.stores import PostgresStore

        return PostgresStore(address)
    if kind == "redis":
        from pneumatic_async.stores import RedisStore

        return RedisStore(address)
    return MemoryStore()


def client(base_url: str, api_key: str) -> Pneumatic:
    retry = RetryPolicy(max_attempts=8, initial_backoff=0.01, max_backoff=0.2)
    return Pneumatic(base_url=base_url, api_key=api_key, retry=retry, max_concurrency=32)


async def keys(argv: list[str]) -> None:
    base_url, api_key, kind, address, template_id, count, seed = argv
    store = make_store(kind, address)
    order = [f"key-{i}" for i in range(int(count))]
    random.Random(int(seed)).shuffle(order)
    found: dict[str, int] = {}
    limiter = anyio.CapacityLimiter(16)
    async with client(base_url, api_key) as pneumatic:

        async def one(key: str) -> None:
            async with limiter:
                workflow = await pneumatic.templates.run(
                    int(template_id),
                    kickoff={"order": key},
                    name=f"Order {key}",
                    idempotency_key=key,
                    idempotency_store=store,
                    validate=False,
                )
                found[key] = workflow.id

        async with anyio.create_task_group() as tg:
            for key in order:
                tg.start_soon(one, key)
    await store.aclose()
    print(json.dumps(found))


async def batch(argv: list[str]) -> None:
    base_url, api_key, kind, address, template_id, count, batch_id = argv
    store = make_store(kind, address)
    shared = SharedBatch(store=store, batch_id=batch_id, lease=LEASE, poll=0.05)
    items = [{"order": f"item-{i}"} for i in range(int(count))]
    async with client(base_url, api_key) as pneumatic:
        results = await run_many(
            pneumatic, int(template_id), items, journal=shared, concurrency=16, validate=False
        )
    await store.aclose()
    print(json.dumps([[r.index, r.status, r.workflow_id] for r in results]))


if __name__ == "__main__":
    anyio.run({"keys": keys, "batch": batch}[sys.argv[1]], sys.argv[2:])
