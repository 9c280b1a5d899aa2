"""The fake Flowdash Actions API (doc 004) under ``/api/v1``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.flowdash import FakeFlowdash, get_flowdash

pytestmark = pytest.mark.anyio

WF = "/api/v1/workflows/abc123"


@pytest.fixture
def fake() -> FakePneumatic:
    return FakePneumatic()


@pytest.fixture
def flowdash(fake: FakePneumatic) -> FakeFlowdash:
    return get_flowdash(fake)


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=fake.base_url, headers=headers
    ) as client:
        yield client


async def test_lists_a_tasks_actions(http: httpx.AsyncClient, flowdash: FakeFlowdash) -> None:
    flowdash.add_task("abc123", 678, actions=[{"id": "edHR10", "name": "Approve"}, "Reject"])
    response = await http.get(f"{WF}/tasks/678/actions")
    assert response.status_code == 200
    [approve, reject] = response.json()
    assert approve == {"id": "edHR10", "name": "Approve"}
    assert reject["name"] == "Reject"
    assert len(reject["id"]) == 6
    assert reject["id"].isalnum()


async def test_generated_ids_are_deterministic() -> None:
    first, second = FakeFlowdash(seed=5), FakeFlowdash(seed=5)
    assert first.new_id() == second.new_id()
    assert FakeFlowdash(seed=6).new_id() != FakeFlowdash(seed=5).new_id()


async def test_execution_is_pending_then_succeeds(
    http: httpx.AsyncClient, flowdash: FakeFlowdash
) -> None:
    task = flowdash.add_task("abc123", "678", actions=["Approve"])
    action_id = task.actions[0].id
    created = await http.post(
        f"{WF}/executions",
        json={"task_id": "678", "action_id": action_id, "performed_by": "harry@hogwarts.edu"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "Pending"
    execution_id = body["id"]

    polls = [(await http.get(f"{WF}/executions/{execution_id}")).json() for _ in range(3)]
    assert polls == [
        {"id": execution_id, "status": "Pending"},
        {"id": execution_id, "status": "Success"},
        {"id": execution_id, "status": "Success"},
    ]
    execution = flowdash.executions[execution_id]
    assert (execution.task_id, execution.action_id, execution.performed_by) == (
        "678",
        action_id,
        "harry@hogwarts.edu",
    )


async def test_polls_pending_is_configurable(
    http: httpx.AsyncClient, flowdash: FakeFlowdash
) -> None:
    flowdash.polls_pending = 0
    task = flowdash.add_task("abc123", "1", actions=["Go"])
    created = await http.post(
        f"{WF}/executions", json={"task_id": 1, "action_id": task.actions[0].id}
    )
    status = await http.get(f"{WF}/executions/{created.json()['id']}")
    assert status.json()["status"] == "Success"


async def test_missing_requirements_are_422(
    http: httpx.AsyncClient, flowdash: FakeFlowdash
) -> None:
    task = flowdash.add_task(
        "abc123",
        "678",
        actions=["Approve"],
        requirements=["Name is required", "Checklist must be completed"],
    )
    body = {"task_id": "678", "action_id": task.actions[0].id}
    refused = await http.post(f"{WF}/executions", json=body)
    assert refused.status_code == 422
    assert refused.json() == {
        "status": "Fail",
        "errors": ["Name is required", "Checklist must be completed"],
    }
    assert not flowdash.executions

    flowdash.satisfy("abc123", "678")
    assert (await http.post(f"{WF}/executions", json=body)).status_code == 201


async def test_a_failing_action_ends_in_fail_with_errors(
    http: httpx.AsyncClient, flowdash: FakeFlowdash
) -> None:
    flowdash.add_task(
        "abc123",
        "9",
        actions=[{"id": "mail01", "name": "Send", "fail": ["foo is not a valid email"]}],
    )
    created = await http.post(f"{WF}/executions", json={"task_id": "9", "action_id": "mail01"})
    execution_id = created.json()["id"]
    assert (await http.get(f"{WF}/executions/{execution_id}")).json()["status"] == "Pending"
    final = (await http.get(f"{WF}/executions/{execution_id}")).json()
    assert final == {"id": execution_id, "status": "Fail", "errors": ["foo is not a valid email"]}


async def test_bad_execution_requests_are_422(
    http: httpx.AsyncClient, flowdash: FakeFlowdash
) -> None:
    flowdash.add_task("abc123", "678", actions=["Approve"])
    for body in [{}, {"task_id": "678"}, {"task_id": "678", "action_id": "nope00"}]:
        response = await http.post(f"{WF}/executions", json=body)
        assert response.status_code == 422
        assert response.json()["status"] == "Fail"
        assert response.json()["errors"]


async def test_unknown_things_are_404(http: httpx.AsyncClient, flowdash: FakeFlowdash) -> None:
    assert (await http.get(f"{WF}/tasks/1/actions")).status_code == 404
    assert (await http.get(f"{WF}/executions/nope00")).status_code == 404
    task = flowdash.add_task("abc123", "1", actions=["Go"])
    created = await http.post(
        f"{WF}/executions", json={"task_id": "1", "action_id": task.actions[0].id}
    )
    other_workflow = await http.get(f"/api/v1/workflows/zzz/executions/{created.json()['id']}")
    assert other_workflow.status_code == 404


async def test_requires_the_bearer_key(fake: FakePneumatic, flowdash: FakeFlowdash) -> None:
    flowdash.add_task("abc123", "1", actions=["Go"])
    async with httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url) as anonymous:
        response = await anonymous.get(f"{WF}/tasks/1/actions")
        assert response.status_code == 401
        flowdash.api_key = "fd-own-key"
        own = await anonymous.get(
            f"{WF}/tasks/1/actions", headers={"Authorization": "Bearer fd-own-key"}
        )
        assert own.status_code == 200
