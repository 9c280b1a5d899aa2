"""The examples of docs/exactly-once.md, run against the in-process fake with memory stores."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio

from pneumatic_async.stores import MemoryStore
from pneumatic_async.testing import FakePneumatic
from tests.bulk.test_integration import TEMPLATE, make_client, rows, workflows_of
from tests.stores.test_multiprocess import TEMPLATE as ORDERS

DOC = Path(__file__).parents[2] / "docs" / "exactly-once.md"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


async def test_the_idempotency_key_example_launches_once() -> None:
    fake = FakePneumatic(seed=30)
    template = fake.add_template(ORDERS)
    namespace: dict[str, Any] = {}
    exec(examples()[0], namespace)
    namespace.update(store=MemoryStore(), TEMPLATE_ID=template.id)
    ids: list[int] = []
    async with make_client(fake) as client:

        async def paid() -> None:
            ids.append(await namespace["on_order_paid"](client, "1001"))

        async with anyio.create_task_group() as tg:
            for _ in range(5):  # a re-delivered event, five times at once
                tg.start_soon(paid)
    assert len(set(ids)) == 1
    assert len(workflows_of(fake, template.id)) == 1


async def test_the_shared_batch_example_runs_one_batch_with_two_workers() -> None:
    fake = FakePneumatic(seed=31)
    template = fake.add_template(TEMPLATE)
    namespace: dict[str, Any] = {}
    exec(examples()[1], namespace)
    shared = MemoryStore()  # stands in for the Redis server both workers reach
    namespace.update(RedisStore=lambda _url: shared, TEMPLATE_ID=template.id)
    failures: list[Any] = []
    async with make_client(fake) as client, anyio.create_task_group() as tg:
        for _ in range(2):

            async def worker() -> None:
                failures.extend(await namespace["import_worker"](client, rows(50)))

            tg.start_soon(worker)
    assert failures == []
    assert len(workflows_of(fake, template.id)) == 50
