"""``templates.run(..., idempotency_key=...)`` against the in-process fake (asyncio and trio)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    BadRequestError,
    ConfigurationError,
    InvalidValuesError,
)
from pneumatic_async.resources import _idempotent
from pneumatic_async.resources._idempotent import store_key
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.stores import KeyBusyError, MemoryStore, SQLiteStore
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.tokens import key_token

RUN_ROUTE = "POST /templates/{id}/run"
TEMPLATE: dict[str, Any] = {
    "name": "Orders",
    "kickoff": {
        "fields": [
            {"order": 1, "name": "Order", "type": "string", "api_name": "order"},
            {"order": 2, "name": "Ref", "type": "string", "api_name": "ref"},
        ]
    },
    "tasks": [
        {
            "number": 1,
            "name": "Ship",
            "api_name": "task-ship",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        }
    ],
}


def make_client(fake: FakePneumatic, *, max_attempts: int = 4) -> Pneumatic:
    return Pneumatic(
        transport=fake.transport(),
        base_url=fake.base_url,
        api_key=fake.api_key,
        retry=RetryPolicy(max_attempts=max_attempts, initial_backoff=0.0, max_backoff=0.0),
    )


def workflows(fake: FakePneumatic, template_id: int) -> list[Any]:
    return [w for w in fake.state.workflows.values() if w.template.id == template_id]


async def test_the_same_key_returns_the_same_workflow() -> None:
    fake = FakePneumatic(seed=1)
    template = fake.add_template(TEMPLATE)
    async with make_client(fake) as client:
        first = await client.templates.run(
            template.id, kickoff={"order": "A-1"}, name="Order A-1", idempotency_key="order-1"
        )
        again = await client.templates.run(
            template.id, kickoff={"order": "A-1"}, name="Order A-1", idempotency_key="order-1"
        )
        other = await client.templates.run(
            template.id, kickoff={"order": "A-2"}, idempotency_key="order-2"
        )
    assert again.id == first.id
    assert other.id != first.id
    token = key_token(store_key(template.id, "order-1"))
    assert first.name == f"Order A-1 [{token}]"
    assert key_token(store_key(template.id, "order-2")) in other.name  # the template's name
    assert len(workflows(fake, template.id)) == 2


async def test_concurrent_callers_with_one_key_launch_once() -> None:
    fake = FakePneumatic(seed=2)
    template = fake.add_template(TEMPLATE)
    store = MemoryStore()
    ids: list[int] = []
    async with make_client(fake) as client:

        async def call() -> None:
            workflow = await client.templates.run(
                template.id,
                kickoff={"order": "B"},
                idempotency_key="order-b",
                idempotency_store=store,
                token_field="ref",
            )
            ids.append(workflow.id)

        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(call)
    assert len(set(ids)) == 1
    assert len(ids) == 20
    (created,) = workflows(fake, template.id)
    ref = created.field_value("ref")
    assert ref is not None
    assert key_token(store_key(template.id, "order-b")) in str(ref.value)


async def test_a_dead_holders_launch_is_found_by_lookup_not_sent_again(tmp_path: Path) -> None:
    fake = FakePneumatic(seed=3)
    template = fake.add_template(TEMPLATE)
    store = SQLiteStore(tmp_path / "keys.db")
    skey = store_key(template.id, "order-c")
    token = key_token(skey)
    async with make_client(fake) as client:
        # A holder that launched and died before recording: its lease has expired.
        await store.claim_key(skey, owner="dead", lease=0.001)
        launched = await client.templates.run(template.id, name=f"Order C [{token}]")
        workflow = await client.templates.run(
            template.id, name="Order C", idempotency_key="order-c", idempotency_store=store
        )
    await store.aclose()
    assert workflow.id == launched.id
    assert len(workflows(fake, template.id)) == 1


async def test_an_unknown_outcome_is_settled_by_lookup() -> None:
    fake = FakePneumatic(seed=4)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", route=RUN_ROUTE, times=1)
    async with make_client(fake) as client:
        workflow = await client.templates.run(
            template.id, name="Order D", idempotency_key="order-d"
        )
    (created,) = workflows(fake, template.id)
    assert workflow.id == created.id
    assert fake.faults.injected["applied_then_drop"] == 1


async def test_an_unresolved_outcome_keeps_the_key_leased() -> None:
    fake = FakePneumatic(seed=5)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("status", status=503, route=RUN_ROUTE)
    store = MemoryStore()
    async with make_client(fake, max_attempts=2) as client:
        with pytest.raises(AmbiguousOutcomeError):
            await client.templates.run(
                template.id, name="E", idempotency_key="order-e", idempotency_store=store
            )
    claim = await store.claim_key(store_key(template.id, "order-e"), owner="x", lease=1)
    assert claim.status == "busy"  # nobody launches until the lease expires (then: lookup first)


async def test_a_refused_launch_frees_the_key() -> None:
    fake = FakePneumatic(seed=6)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("status", status=400, route=RUN_ROUTE, times=1)
    store = MemoryStore()
    async with make_client(fake) as client:
        with pytest.raises(BadRequestError):
            await client.templates.run(
                template.id, name="F", idempotency_key="order-f", idempotency_store=store
            )
        workflow = await client.templates.run(
            template.id, name="F", idempotency_key="order-f", idempotency_store=store
        )
    assert [w.id for w in workflows(fake, template.id)] == [workflow.id]


async def test_an_expired_lease_is_taken_over_after_a_lookup() -> None:
    fake = FakePneumatic(seed=7)
    template = fake.add_template(TEMPLATE)
    store = MemoryStore()
    await store.claim_key(store_key(template.id, "order-g"), owner="gone", lease=0.05)
    async with make_client(fake) as client:  # waits for the lease to end, then launches
        workflow = await client.templates.run(
            template.id, name="G", idempotency_key="order-g", idempotency_store=store
        )
    assert [w.id for w in workflows(fake, template.id)] == [workflow.id]


async def test_a_key_held_too_long_raises_key_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_idempotent, "WAIT_LEASES", 0)  # give up at the first busy answer
    fake = FakePneumatic(seed=9)
    template = fake.add_template(TEMPLATE)
    store = MemoryStore()
    await store.claim_key(store_key(template.id, "order-h"), owner="alive", lease=30)
    async with make_client(fake) as client:
        with pytest.raises(KeyBusyError, match="order-h"):
            await client.templates.run(
                template.id, name="H", idempotency_key="order-h", idempotency_store=store
            )
    assert workflows(fake, template.id) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"idempotency_key": "bad key"}, "idempotency_key"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"token_field": "ref"}, "only used with an idempotency_key"),
        ({"idempotency_key": "k", "idempotency_store": object()}, "KeyStore"),
        ({"idempotency_key": "k", "token_field": "order"}, "must not set 'order'"),
    ],
)
async def test_bad_options_are_refused_before_any_request(
    options: dict[str, Any], message: str
) -> None:
    fake = FakePneumatic(seed=8)
    template = fake.add_template(TEMPLATE)
    async with make_client(fake) as client:
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            await client.templates.run(template.id, kickoff={"order": "x"}, **options)
    assert workflows(fake, template.id) == []


async def test_invalid_values_are_refused_before_the_key_is_used() -> None:
    fake = FakePneumatic(seed=10)
    template = fake.add_template(TEMPLATE)
    store = MemoryStore()
    async with make_client(fake) as client:
        with pytest.raises(InvalidValuesError, match="colour"):
            await client.templates.run(
                template.id,
                kickoff={"colour": "red"},
                idempotency_key="k1",
                idempotency_store=store,
            )
    claim = await store.claim_key(store_key(template.id, "k1"), owner="next", lease=1)
    assert (claim.status, claim.claims) == ("acquired", 1)  # released, not left leased
    assert workflows(fake, template.id) == []
