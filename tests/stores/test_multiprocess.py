"""Several worker processes sharing one store, against the fake server over a real socket.

The fake server (uvicorn) runs in this test's event loop, so these tests run on asyncio only;
the workers are separate Python processes (``_child.py``), each with its own client and store
connection, as in a service with several workers or machines.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async.resources._idempotent import store_key
from pneumatic_async.stores import ItemState
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.server import serve
from pneumatic_async.tokens import has_token, key_token

CHILD = str(Path(__file__).with_name("_child.py"))
TEMPLATE: dict[str, Any] = {
    "name": "Orders",
    "kickoff": {"fields": [{"order": 1, "name": "Order", "type": "string", "api_name": "order"}]},
    "tasks": [
        {
            "number": 1,
            "name": "Ship",
            "api_name": "task-ship",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        }
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the fake's socket server (uvicorn) runs on asyncio only


def address(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return str(tmp_path / "shared.db")
    if kind == "postgres":
        return str(request.getfixturevalue("postgres_dsn"))
    return str(request.getfixturevalue("redis_url"))


async def run_children(args: list[list[str]]) -> list[str]:
    outputs: list[str] = [""] * len(args)

    async def one(i: int) -> None:
        result = await anyio.run_process([sys.executable, CHILD, *args[i]], check=False)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        outputs[i] = result.stdout.decode()

    with anyio.fail_after(600):
        async with anyio.create_task_group() as tg:
            for i in range(len(args)):
                tg.start_soon(one, i)
    return outputs


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgres", "redis"])
async def test_eight_processes_racing_on_500_keys_create_500_workflows(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store_address = address(kind, request, tmp_path)
    fake = FakePneumatic(seed=10)
    template = fake.add_template(TEMPLATE)
    processes, keys = 8, 500
    started = time.perf_counter()
    common = [str(template.id), str(keys)]
    async with serve(fake) as base_url:
        outputs = await run_children(
            [
                ["keys", base_url, fake.api_key, kind, store_address, *common, str(seed)]
                for seed in range(processes)
            ]
        )
    wall = time.perf_counter() - started
    answers = [json.loads(out) for out in outputs]
    assert all(len(answer) == keys for answer in answers)
    for key in answers[0]:  # every process got the same workflow for every key
        assert len({answer[key] for answer in answers}) == 1, key
    created = [w for w in fake.state.workflows.values() if w.template.id == template.id]
    assert len(created) == keys
    assert {w.id for w in created} == set(answers[0].values())
    for workflow in created:
        key = workflow.field_value("order").value  # type: ignore[union-attr]
        assert has_token(workflow.name, key_token(store_key(template.id, str(key))))
    print(f"\n[{kind}] {processes} processes x {keys} keys: {len(created)} workflows, {wall:.1f}s")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgres", "redis"])
async def test_four_processes_share_2000_items_one_killed_midway(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store_address = address(kind, request, tmp_path)
    fake = FakePneumatic(seed=11)
    template = fake.add_template(TEMPLATE)
    processes, total = 4, 2000
    batch_id = f"kill-{kind}-{time.time_ns()}"
    started = time.perf_counter()
    outputs: dict[int, str] = {}
    async with serve(fake) as base_url:
        args = ["batch", base_url, fake.api_key, kind, store_address, str(template.id)]
        args += [str(total), batch_id]
        children = [await anyio.open_process([sys.executable, CHILD, *args]) for _ in range(4)]

        def created() -> int:
            return sum(1 for w in fake.state.workflows.values() if w.template.id == template.id)

        with anyio.fail_after(600):
            # the fake has no event for "n workflows exist": poll it, bounded by fail_after
            while created() < total // 4:  # noqa: ASYNC110
                await anyio.sleep(0.05)
            victim = children[0]
            victim.kill()  # SIGKILL: no cleanup, its leased items stay in flight
            killed_at = created()

            async def finish(i: int) -> None:
                process = children[i]
                assert process.stdout is not None
                chunks = [chunk async for chunk in process.stdout]
                code = await process.wait()
                if i > 0:
                    assert code == 0, f"worker {i} exited with {code}"
                    outputs[i] = b"".join(chunks).decode()

            async with anyio.create_task_group() as tg:
                for i in range(processes):
                    tg.start_soon(finish, i)
        for child in children:
            await child.aclose()
    wall = time.perf_counter() - started
    assert victim.returncode == -signal.SIGKILL
    workflows = [w for w in fake.state.workflows.values() if w.template.id == template.id]
    orders = Counter(str(w.field_value("order").value) for w in workflows)  # type: ignore[union-attr]
    twice = sorted(order for order, n in orders.items() if n > 1)
    assert len(workflows) == total, f"launched twice: {twice} ({killed_at} when killed)"
    assert len(orders) == total  # every item once
    answers = [json.loads(outputs[i]) for i in range(1, processes)]
    for answer in answers:
        assert [index for index, _, _ in answer] == list(range(total))
        assert all(status in ("launched", "reconciled", "resumed") for _, status, _ in answer)
    ids = [[w for _, _, w in answer] for answer in answers]
    assert ids[0] == ids[1] == ids[2]
    assert set(ids[0]) == {w.id for w in workflows}
    records = await recorded(kind, store_address, batch_id)
    assert [r.state for r in records] == [ItemState.LAUNCHED] * total
    assert [r.workflow_id for r in records] == ids[0]
    print(
        f"\n[{kind}] {processes} workers x {total} items, one SIGKILLed after {killed_at} "
        f"workflows: {len(workflows)} workflows, {wall:.1f}s"
    )


async def recorded(kind: str, store_address: str, batch_id: str) -> list[Any]:
    from tests.stores._child import make_store

    store = make_store(kind, store_address)
    try:
        return list(await store.batch_items(batch_id))
    finally:
        await store.aclose()
