"""Bulk launches against the fake Pneumatic server (in-process), with injected faults.

The fake answers like the real server: 503 pages, 429 with ``Retry-After``, connections dropped
*after* the workflow was created, ``GET /workflows?search=`` over names and field values, names
truncated to 120 characters with "…". Every test counts what exists in the fake's state.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.bulk import LaunchItem, LaunchResult, Progress, run_many, stream_run
from pneumatic_async.bulk.sources import read_items
from pneumatic_async.errors import BadRequestError, InvalidValuesError
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic

RUN_ROUTE = "POST /templates/{id}/run"
TOKEN_IN_NAME = re.compile(r"\[([bcdfghjkmnpqrstvwxz]{8}\d+)\]")

TEMPLATE: dict[str, Any] = {
    "name": "Bulk onboarding",
    "kickoff": {
        "fields": [
            {
                "order": 1,
                "name": "Client",
                "type": "string",
                "api_name": "client",
                "is_required": True,
            },
            {"order": 2, "name": "Amount", "type": "number", "api_name": "amount"},
            {"order": 3, "name": "Reference", "type": "string", "api_name": "ref"},
            {
                "order": 4,
                "name": "Tier",
                "type": "dropdown",
                "api_name": "tier",
                "selections": [{"value": "Gold"}, {"value": "Silver"}],
            },
        ]
    },
    "tasks": [
        {
            "number": 1,
            "name": "Welcome {{client}}",
            "api_name": "task-welcome",
            "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        }
    ],
}


def make_client(fake: FakePneumatic, *, max_attempts: int = 8) -> Pneumatic:
    """A client on the fake: retries and Retry-After pauses without real waiting."""
    return Pneumatic(
        transport=fake.transport(),
        base_url=fake.base_url,
        api_key=fake.api_key,
        retry=RetryPolicy(
            max_attempts=max_attempts, initial_backoff=0.0, max_backoff=0.0, max_retry_after=0.002
        ),
        max_concurrency=64,
    )


def workflows_of(fake: FakePneumatic, template_id: int) -> list[Any]:
    return [
        w for w in fake.state.workflows.values() if w.template.id == template_id and not w.deleted
    ]


def tokens_in_names(fake: FakePneumatic, template_id: int) -> Counter[str]:
    found: Counter[str] = Counter()
    for workflow in workflows_of(fake, template_id):
        found.update(TOKEN_IN_NAME.findall(workflow.name))
    return found


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {"client": f"Client {i}", "amount": i, "tier": "Gold" if i % 2 else "Silver"}
        for i in range(n)
    ]


# -- (1) 10,000 launches through 503s, 429s and dropped connections ----------------------------


@pytest.mark.slow  # about 16-23 s per backend on the in-process fake; still in the default run
async def test_ten_thousand_launches_exactly_once_through_faults(anyio_backend: str) -> None:
    fake = FakePneumatic(seed=0)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("status", status=503, rate=0.05, route=RUN_ROUTE)
    fake.faults.add("rate_limit", rate=0.01, retry_after=0.01)
    fake.faults.add("applied_then_drop", rate=0.01, route=RUN_ROUTE)
    total = 10_000
    progress: list[Progress] = []
    started = time.perf_counter()
    async with make_client(fake) as client:
        results = await run_many(
            client, template.id, rows(total), concurrency=50, on_progress=progress.append
        )
    wall = time.perf_counter() - started

    assert len(results) == total
    assert [r.index for r in results] == list(range(total))
    assert all(r.ok for r in results), Counter(type(r.error).__name__ for r in results if not r.ok)
    existing = workflows_of(fake, template.id)
    assert len(existing) == total
    names = tokens_in_names(fake, template.id)
    assert len(names) == total
    assert max(names.values()) == 1  # no token appears twice
    assert {r.token for r in results} == set(names)
    assert {r.workflow_id for r in results} == {w.id for w in existing}
    statuses = Counter(r.status for r in results)
    injected = fake.faults.injected
    assert injected["status"] > 0
    assert injected["rate_limit"] > 0
    assert injected["applied_then_drop"] > 0
    # every drop after creation was settled by a lookup, not a second launch
    assert statuses["reconciled"] == injected["applied_then_drop"]
    assert statuses["launched"] + statuses["reconciled"] == total
    assert progress[-1].done == total
    assert progress[-1].in_flight == 0
    print(
        f"\n[{anyio_backend}] {total} launches in {wall:.1f}s; injected 503={injected['status']} "
        f"429={injected['rate_limit']} drops={injected['applied_then_drop']}; "
        f"reconciled={statuses['reconciled']}; sends={sum(r.attempts for r in results)}"
    )


# -- (2) a cancelled run resumed from its journal -----------------------------------------------


async def test_cancelled_halfway_and_resumed_from_the_journal(tmp_path: Path) -> None:
    fake = FakePneumatic(seed=1)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", rate=0.05, route=RUN_ROUTE)
    fake.faults.add("status", status=500, style="asgi", rate=0.05, route=RUN_ROUTE)
    journal = tmp_path / "launch.db"
    total, stop_after = 600, 250
    received: list[LaunchResult] = []
    async with make_client(fake) as client:
        with anyio.CancelScope() as scope:
            stream = stream_run(client, template.id, rows(total), concurrency=20, journal=journal)
            async with aclosing(stream):
                async for result in stream:
                    received.append(result)
                    if len(received) == stop_after:
                        scope.cancel()
        assert scope.cancelled_caught
        created_first = len(workflows_of(fake, template.id))
        assert stop_after <= created_first < total

        results = await run_many(client, template.id, rows(total), concurrency=20, journal=journal)

    assert len(workflows_of(fake, template.id)) == total
    names = tokens_in_names(fake, template.id)
    assert len(names) == total
    assert max(names.values()) == 1
    assert all(r.ok for r in results)
    statuses = Counter(r.status for r in results)
    assert statuses["resumed"] >= stop_after
    first_ids = {r.index: r.workflow_id for r in received if r.ok}
    assert all(results[i].workflow_id == wid for i, wid in first_ids.items())


# -- (3) bad CSV rows are reported with row and field before anything is launched ---------------


async def test_bad_csv_rows_are_reported_by_row_and_field_before_any_launch(tmp_path: Path) -> None:
    fake = FakePneumatic(seed=2)
    template = fake.add_template(TEMPLATE)
    path = tmp_path / "launches.csv"
    path.write_text(
        "client,amount,tier,colour,_name\n"
        "ACME,10,Gold,,First\n"  # row 2: fine (empty cells are "not given")
        "Globex,ten,Gold,,Second\n"  # row 3: wrong type
        ",5,Silver,,Third\n"  # row 4: missing required client
        "Initech,7,Gold,red,Fourth\n"  # row 5: unknown field
        "Umbrella,1,Bronze,,Fifth\n",  # row 6: not a selection
        encoding="utf-8",
    )
    async with make_client(fake) as client:
        source = read_items(path, specs=await client.templates.kickoff_specs(template.id))
        assert source.problems == []
        with pytest.raises(InvalidValuesError) as caught:
            await run_many(client, template.id, source.items)
    described = sorted(source.describe(p) for p in caught.value.problems)
    rows_and_fields = sorted(
        (source.row_of(p.item), p.field) for p in caught.value.problems if p.item is not None
    )
    assert rows_and_fields == [(3, "amount"), (4, "client"), (5, "colour"), (6, "tier")], described
    assert all(line.startswith(f"{path} row ") for line in described)
    assert workflows_of(fake, template.id) == []  # nothing was launched


# -- (4) order, isolation, progress, skip_invalid, 120-character names ---------------------------


async def test_results_in_input_order_with_failures_isolated() -> None:
    fake = FakePneumatic(seed=3)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("latency", latency=0.001, rate=0.3, route=RUN_ROUTE)  # completion order varies
    batch: list[dict[str, Any]] = rows(40)
    batch[5] = {"client": "Bad tier", "tier": "Bronze"}  # the server rejects it (no validation)
    batch[17] = {"tier": "Gold"}  # missing required field
    progress: list[Progress] = []
    async with make_client(fake) as client:
        results = await run_many(
            client, template.id, batch, concurrency=8, validate=False, on_progress=progress.append
        )
    assert [r.index for r in results] == list(range(40))
    assert [r.index for r in results if not r.ok] == [5, 17]
    for index in (5, 17):
        error = results[index].error
        assert isinstance(error, BadRequestError)
        assert error.field == ("tier" if index == 5 else "client")
        assert results[index].workflow_id is None
    assert len(workflows_of(fake, template.id)) == 38
    for result in results:
        if result.ok:
            assert result.workflow is None  # slim results unless keep_workflows=True
            assert fake.workflow(result.workflow_id or 0).kickoff_fields  # really created there
    assert progress
    assert (progress[-1].done, progress[-1].failed, progress[-1].total) == (38, 2, 40)


async def test_skip_invalid_launches_the_valid_items() -> None:
    fake = FakePneumatic(seed=4)
    template = fake.add_template(TEMPLATE)
    batch = rows(6)
    batch[1] = {"client": "X", "amount": "many"}
    batch[4] = {"amount": 3}
    async with make_client(fake) as client:
        results = await run_many(client, template.id, batch, skip_invalid=True)
    assert [r.status for r in results] == [
        "launched",
        "invalid",
        "launched",
        "launched",
        "invalid",
        "launched",
    ]
    problems = [r.error.problems for r in results if isinstance(r.error, InvalidValuesError)]
    assert [[(p.item, p.field) for p in found] for found in problems] == [
        [(1, "amount")],
        [(4, "client")],
    ]
    assert len(workflows_of(fake, template.id)) == 4


async def test_token_survives_the_servers_120_character_names() -> None:
    fake = FakePneumatic(seed=5)
    template = fake.add_template(TEMPLATE)
    long_literal = "Annual compliance review " + "z" * 150
    with_variables = "{{client}} " + "y" * 150  # expands after our stamp: token goes first
    items = [
        LaunchItem({"client": "ACME"}, name=long_literal),
        LaunchItem({"client": "Initech " * 10}, name=with_variables),
        LaunchItem({"client": "Globex"}),  # no name: the server's default name template
    ]
    fake.faults.add("applied_then_drop", route=RUN_ROUTE, times=3)  # force lookups by token
    async with make_client(fake) as client:
        results = await run_many(client, template.id, items)
    assert [r.status for r in results] == ["reconciled"] * 3
    for result in results:
        stored = fake.workflow(result.workflow_id or 0).name
        assert len(stored) <= 120
        assert result.token in stored
    assert fake.workflow(results[0].workflow_id or 0).name.endswith(f"… [{results[0].token}]")
    assert fake.workflow(results[1].workflow_id or 0).name.startswith(
        f"[{results[1].token}] Initech"
    )
    assert len(workflows_of(fake, template.id)) == 3


async def test_token_field_mode_reconciles_through_the_field_value() -> None:
    fake = FakePneumatic(seed=6)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", route=RUN_ROUTE, times=2)
    async with make_client(fake) as client:
        results = await run_many(client, template.id, rows(5), token_field="ref", concurrency=1)
    assert [r.status for r in results] == [
        "reconciled",
        "reconciled",
        "launched",
        "launched",
        "launched",
    ]
    for result in results:
        stored = fake.workflow(result.workflow_id or 0)
        value = next(v for v in stored.kickoff_fields if v.api_name == "ref")
        assert value.value == result.token
        assert result.token not in stored.name  # the name is the server's own
    assert len(workflows_of(fake, template.id)) == 5


async def test_stream_run_yields_results_as_completed() -> None:
    fake = FakePneumatic(seed=7)
    template = fake.add_template(TEMPLATE)
    async with make_client(fake) as client:
        stream = stream_run(client, template.id, rows(30), concurrency=5)
        async with aclosing(stream):
            seen = [result async for result in stream]
    assert sorted(r.index for r in seen) == list(range(30))
    assert len(workflows_of(fake, template.id)) == 30


async def test_user_ids_are_resolved_once_for_the_batch() -> None:
    fake = FakePneumatic(seed=8)
    ann = fake.add_user("ann@example.com", "Ann", "Lee")
    body = {
        **TEMPLATE,
        "kickoff": {
            "fields": [
                *TEMPLATE["kickoff"]["fields"],
                {
                    "order": 5,
                    "name": "Manager",
                    "type": "user",
                    "api_name": "manager",
                    "is_required": True,
                },
            ]
        },
    }
    template = fake.add_template(body)
    user_listings = fake.faults.add(
        "latency", route="GET /accounts/users", latency=0.0
    )  # a counter
    batch = [{"client": str(i), "manager": ann.id} for i in range(20)]
    batch.append({"client": "B", "manager": "ANN@example.com"})
    async with make_client(fake) as client:
        results = await run_many(client, template.id, batch)
        assert user_listings.injected == 1  # one listing of the users for the whole batch
        with pytest.raises(InvalidValuesError) as caught:
            await run_many(client, template.id, [{"client": "C", "manager": 999}])
    assert {r.status for r in results} == {"launched"}
    for result in results:
        stored = fake.workflow(result.workflow_id or 0)
        manager = next(v for v in stored.kickoff_fields if v.api_name == "manager")
        assert manager.user_id == ann.id
    assert [(p.item, p.field) for p in caught.value.problems] == [(0, "manager")]
