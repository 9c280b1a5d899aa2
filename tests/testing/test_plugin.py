"""The pytest plugin's fixtures, as a user's test suite sees them."""

from __future__ import annotations

import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.testing import FakePneumatic, plugin
from pneumatic_async.testing.plugin import fake_pneumatic, pneumatic_client

__all__ = ["fake_pneumatic", "pneumatic_client"]  # fixtures used by this module's tests

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
