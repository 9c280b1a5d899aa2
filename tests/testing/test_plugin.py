"""The pytest plugin's fixtures, as a user's test suite sees them."""

from __future__ import annotations

import pytest

from pneumatic_async import Flowdash, Pneumatic
from pneumatic_async.models.flowdash import ExecutionStatus
from pneumatic_async.testing import FakeFlowdash, FakePneumatic, plugin
from pneumatic_async.testing.plugin import (
    fake_flowdash,
    fake_pneumatic,
    flowdash_client,
    pneumatic_client,
)

# fixtures used by this module's tests
__all__ = ["fake_flowdash", "fake_pneumatic", "flowdash_client", "pneumatic_client"]

pytestmark = pytest.mark.anyio


def test_fake_pneumatic_is_fresh_per_test(fake_pneumatic: FakePneumatic) -> None:
    assert isinstance(fake_pneumatic, FakePneumatic)
    assert not fake_pneumatic.state.webhooks
    assert fake_pneumatic.dispatcher.retry_delays == (0.0, 0.0)


def test_marker_passes_constructor_arguments(request: pytest.FixtureRequest) -> None:
    plugin.pytest_configure(request.config)  # what loading the plugin by entry point does
    request.node.add_marker(pytest.mark.pneumatic_fake(signed_url_uploads=True))
    fake = request.getfixturevalue("fake_pneumatic")
    assert fake.signed_url_uploads is True


async def test_pneumatic_client_talks_to_the_fake(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    assert pneumatic_client.base_url == fake_pneumatic.base_url.rstrip("/")
    body = {"url": "https://hooks.example.com/all"}
    result = await pneumatic_client.request("POST", "/webhooks/subscribe", json=body)
    assert result is None  # 204, empty body
    targets = {hook["target"] for hooks in fake_pneumatic.state.webhooks.values() for hook in hooks}
    assert targets == {"https://hooks.example.com/all"}


def test_fake_flowdash_is_the_fakes_flowdash(
    fake_flowdash: FakeFlowdash, fake_pneumatic: FakePneumatic
) -> None:
    assert isinstance(fake_flowdash, FakeFlowdash)
    assert fake_flowdash is fake_pneumatic.flowdash


async def test_flowdash_client_talks_to_the_fake(
    flowdash_client: Flowdash, fake_flowdash: FakeFlowdash
) -> None:
    fake_flowdash.add_task("wf-1", "task-1", actions=["Approve"])
    [action] = await flowdash_client.actions.list("wf-1", "task-1")
    assert action.name == "Approve"
    execution = await flowdash_client.actions.execute("wf-1", "task-1", action.id)
    done = await flowdash_client.actions.wait("wf-1", execution.id, interval=0)
    assert done.status == ExecutionStatus.SUCCESS
