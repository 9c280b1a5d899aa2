"""Shared test fixtures.

Every ``async def`` test runs on asyncio and on trio through anyio's pytest plugin in auto mode
(``anyio_mode = "auto"`` in pyproject.toml); a module narrows that with its own parametrized
``anyio_backend`` fixture. HTTP is mocked with respx routers
plugged in as the client's transport, or served by the fake Pneumatic server in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from pneumatic_async._http import httpx

BASE_URL = "https://api.pneumatic.test"
API_KEY = "pn-TESTKEYtestkeyTESTKEYtestkey0001"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def router() -> respx.MockRouter:
    """A respx router for the test API base URL (unmatched requests fail the test)."""
    return respx.MockRouter(base_url=BASE_URL, assert_all_called=False)


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[object]:
    """A ``Pneumatic`` client whose transport is the respx router; retries don't wait."""
    from pneumatic_async import Pneumatic
    from pneumatic_async.retries import RetryPolicy

    async with Pneumatic(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(router.async_handler),
        retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0),
    ) as pneumatic:
        yield pneumatic
