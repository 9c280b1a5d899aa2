"""Shared batches (``journal=SharedBatch(...)``) with several workers in one process, on the
in-process fake (asyncio and trio). Separate processes with a SIGKILL: tests/stores."""

from __future__ import annotations

from collections import Counter
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from pneumatic_async.bulk import LaunchResult, SharedBatch, run_many, stream_run
from pneumatic_async.bulk.items import fingerprint, normalize_items
from pneumatic_async.bulk.journal import Binding
from pneumatic_async.bulk.tokens import index_width, make_token, stamp_name
from pneumatic_async.errors import ConfigurationError
from pneumatic_async.stores import BatchMismatchError, ItemState, ItemUpdate, MemoryStore
from pneumatic_async.testing import FakePneumatic
from tests.bulk.test_integration import (
    RUN_ROUTE,
    TEMPLATE,
    make_client,
    rows,
    tokens_in_names,
    workflows_of,
)


async def test_two_workers_share_one_batch_through_faults() -> None:
    fake = FakePneumatic(seed=20)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", rate=0.03, route=RUN_ROUTE)
    fake.faults.add("status", status=503, rate=0.03, route=RUN_ROUTE)
    store = MemoryStore()
    batch = SharedBatch(store=store, batch_id="shared-1", poll=0.01)
    total = 300
    outcomes: list[list[LaunchResult]] = []
    async with make_client(fake) as client:

        async def worker() -> None:
            outcomes.append(await run_many(client, template.id, rows(total), journal=batch))

        async with anyio.create_task_group() as tg:
            tg.start_soon(worker)
            tg.start_soon(worker)
    assert len(workflows_of(fake, template.id)) == total
    assert max(tokens_in_names(fake, template.id).values()) == 1
    first, second = outcomes
    assert [r.index for r in first] == list(range(total))
    assert all(r.ok for r in first + second)
    assert [r.workflow_id for r in first] == [r.workflow_id for r in second]
    mine = Counter(r.status for r in first)
    theirs = Counter(r.status for r in second)
    assert mine["resumed"] > 0  # both did part of the work
    assert theirs["resumed"] > 0
    records = await store.batch_items("shared-1")
    assert all(r.state is ItemState.LAUNCHED for r in records)


async def test_a_dead_workers_items_are_looked_up_before_launching() -> None:
    fake = FakePneumatic(seed=21)
    template = fake.add_template(TEMPLATE)
    store = MemoryStore()
    total, run_id = 40, "bcdfghjk"
    items = normalize_items(rows(total))
    binding = Binding(
        template_id=template.id,
        item_count=total,
        items_hash=fingerprint(items),
        token_field=None,
    )
    await store.open_batch("shared-2", binding=binding.as_meta(), item_count=total, run_id=run_id)
    # A worker claimed 10 items, sent 5 of them (created on the server), then died.
    claimed = await store.claim_items("shared-2", owner="dead", limit=10, lease=30)
    width = index_width(total)
    async with make_client(fake) as client:
        for claim in claimed:
            await store.record_items(
                "shared-2",
                owner="dead",
                updates=[ItemUpdate(index=claim.index, state=ItemState.IN_FLIGHT, attempts=1)],
            )
            if claim.index < 5:
                name = stamp_name("Bulk onboarding", make_token(run_id, claim.index, width))
                await client.templates.run(template.id, name=name, kickoff=rows(total)[claim.index])
        indexes = [claim.index for claim in claimed]
        assert await store.renew_items("shared-2", owner="dead", indexes=indexes, lease=0.001)
        batch = SharedBatch(store=store, batch_id="shared-2", poll=0.01)
        results = await run_many(client, template.id, rows(total), journal=batch)
    assert len(workflows_of(fake, template.id)) == total
    assert max(tokens_in_names(fake, template.id).values()) == 1
    statuses = Counter(r.status for r in results)
    assert statuses == {"reconciled": 5, "launched": total - 5}


async def test_a_batch_id_used_with_other_items_is_refused() -> None:
    fake = FakePneumatic(seed=22)
    template = fake.add_template(TEMPLATE)
    batch = SharedBatch(store=MemoryStore(), batch_id="shared-3", poll=0.01)
    async with make_client(fake) as client:
        await run_many(client, template.id, rows(3), journal=batch)
        with pytest.raises(BatchMismatchError, match="items_hash"):
            await run_many(client, template.id, rows(4)[1:], journal=batch)
    assert len(workflows_of(fake, template.id)) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"store": object(), "batch_id": "b"}, "BatchStore"),
        ({"batch_id": "has space"}, "batch_id"),
        ({"batch_id": "b", "lease": 0}, "lease"),
        ({"batch_id": "b", "poll": -1}, "poll"),
    ],
)
def test_bad_shared_batch_options_are_refused(options: dict[str, Any], message: str) -> None:
    options.setdefault("store", MemoryStore())
    with pytest.raises(ConfigurationError, match=message):
        SharedBatch(**options)


async def test_stream_run_on_a_shared_batch_yields_every_result() -> None:
    fake = FakePneumatic(seed=23)
    template = fake.add_template(TEMPLATE)
    batch = SharedBatch(store=MemoryStore(), batch_id="shared-4", poll=0.01)
    async with make_client(fake) as client:
        stream = stream_run(client, template.id, rows(12), journal=batch)
        async with aclosing(stream):
            results = [result async for result in stream]
    assert [r.index for r in results] == list(range(12))
    assert all(r.status == "launched" for r in results)
    assert len(workflows_of(fake, template.id)) == 12
