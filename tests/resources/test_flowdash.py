"""The Flowdash client on the fake Flowdash (doc 004) and respx."""

from __future__ import annotations

import json

import pytest
import respx

from pneumatic_async._flowdash import Flowdash
from pneumatic_async._http import httpx
from pneumatic_async.errors import ConfigurationError, UnprocessableEntityError
from pneumatic_async.models.flowdash import ExecutionStatus
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.flowdash import get_flowdash

KEY = "fd-TESTKEYtestkey"


def test_key_from_its_own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWDASH_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="FLOWDASH_API_KEY"):
        Flowdash()


async def test_execute_and_wait_on_the_fake() -> None:
    fake = FakePneumatic()
    get_flowdash(fake).add_task("abc123", "678", actions=["Approve", "Reject"])
    async with Flowdash(
        api_key=fake.api_key, base_url=fake.base_url + "/api/v1", transport=fake.transport()
    ) as flowdash:
        actions = await flowdash.actions.list("abc123", "678")
        assert [a.name for a in actions] == ["Approve", "Reject"]
        execution = await flowdash.actions.execute(
            "abc123", "678", actions[0].id, performed_by="harry@hogwarts.edu"
        )
        assert execution.status == ExecutionStatus.PENDING
        done = await flowdash.actions.wait("abc123", execution.id, interval=0)
    assert done.status == ExecutionStatus.SUCCESS


async def test_unmet_requirements_are_a_422_with_errors() -> None:
    fake = FakePneumatic()
    get_flowdash(fake).add_task(
        "abc123", "678", actions=["Approve"], requirements=["Name is required"]
    )
    async with Flowdash(
        api_key=fake.api_key, base_url=fake.base_url + "/api/v1", transport=fake.transport()
    ) as flowdash:
        action = (await flowdash.actions.list("abc123", "678"))[0]
        with pytest.raises(UnprocessableEntityError) as info:
            await flowdash.actions.execute("abc123", "678", action.id)
    assert info.value.errors == ["Name is required"]


async def test_request_shapes() -> None:
    router = respx.MockRouter(base_url="https://app.flowdash.com/api/v1")
    create = router.post("/workflows/abc%2F1/executions").respond(
        201, json={"id": "091has", "status": "Pending"}
    )
    router.get("/workflows/abc%2F1/executions/091has").respond(
        200, json={"id": "091has", "status": "Fail", "errors": ["foo is not a valid email"]}
    )
    async with Flowdash(
        api_key=KEY,
        transport=httpx.MockTransport(router.async_handler),
        retry=RetryPolicy(initial_backoff=0),
    ) as flowdash:
        assert flowdash.base_url == "https://app.flowdash.com/api/v1"
        execution = await flowdash.actions.execute("abc/1", 678, "edHR10")
        failed = await flowdash.actions.wait("abc/1", execution.id, interval=0)
    assert json.loads(create.calls[0].request.content) == {"task_id": "678", "action_id": "edHR10"}
    assert create.calls[0].request.headers["authorization"] == f"Bearer {KEY}"
    assert failed.errors == ["foo is not a valid email"]
