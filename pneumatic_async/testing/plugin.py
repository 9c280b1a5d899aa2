"""pytest plugin for testing code that uses pneumatic-async against the fake Pneumatic server.

Installed with the package (entry point ``pytest11: pneumatic_async``), so with
``pip install "pneumatic-async[testing]"`` these fixtures are available in any test suite:

``fake_pneumatic``
    A fresh :class:`~pneumatic_async.testing.FakePneumatic` per test (in-process, no socket).
    Seed data through its fixture builders, inject faults with ``fake_pneumatic.faults.add(...)``,
    inspect webhook deliveries in ``fake_pneumatic.dispatcher.deliveries``. Failed webhook
    deliveries are retried without waiting (``retry_delays`` ``(0, 0)``).

``pneumatic_client``
    An open :class:`pneumatic_async.Pneumatic` client wired to ``fake_pneumatic`` through its
    in-process transport (the fake's ``base_url``, ``api_key`` and file service URL; the
    signed-URL upload strategy when the fake was made with ``signed_url_uploads=True``). Retries
    keep the SDK's policy but wait no backoff time. While the test runs, the fake's webhooks are
    delivered in the background. Async fixture: run your tests with anyio's pytest plugin
    (``@pytest.mark.anyio``), on asyncio or trio.

``fake_flowdash``
    The fake Flowdash Actions API of ``fake_pneumatic`` (its :class:`~pneumatic_async.testing.
    FakeFlowdash` store, served under ``<base_url>/api/v1``): seed tasks and actions with
    ``fake_flowdash.add_task(...)``.

``flowdash_client``
    An open :class:`pneumatic_async.Flowdash` client wired to ``fake_flowdash`` in-process
    (the fake's key, no backoff waits).

Constructor arguments for the fake come from an optional marker::

    @pytest.mark.pneumatic_fake(seed=3, signed_url_uploads=True)
    @pytest.mark.anyio
    async def test_upload(pneumatic_client, fake_pneumatic):
        ...

Example::

    @pytest.mark.anyio
    async def test_launch(pneumatic_client, fake_pneumatic):
        template = fake_pneumatic.add_template(...)          # a fixture builder
        workflow = await pneumatic_client.templates.run(template.id)
        assert workflow.id
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pneumatic_async import Flowdash, Pneumatic
    from pneumatic_async.testing import FakeFlowdash, FakePneumatic

__all__ = ["fake_flowdash", "fake_pneumatic", "flowdash_client", "pneumatic_client"]

MARKER = "pneumatic_fake"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``pneumatic_fake`` marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**kwargs): keyword arguments for the FakePneumatic of fake_pneumatic",
    )


@pytest.fixture
def fake_pneumatic(request: pytest.FixtureRequest) -> FakePneumatic:
    """A fresh in-process fake Pneumatic server for one test."""
    from pneumatic_async.testing import FakePneumatic

    kwargs: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        kwargs.update(marker.kwargs)
    fake = FakePneumatic(**kwargs)
    fake.dispatcher.retry_delays = (0.0, 0.0)  # tests never wait for webhook backoff
    return fake


@pytest.fixture
async def pneumatic_client(fake_pneumatic: FakePneumatic) -> AsyncIterator[Pneumatic]:
    """A ``Pneumatic`` client talking to ``fake_pneumatic`` in-process."""
    from pneumatic_async import Pneumatic, RetryPolicy

    options: dict[str, Any] = {}
    file_service_url = getattr(fake_pneumatic, "file_service_url", None)
    if file_service_url:
        options["file_service_url"] = file_service_url
    if getattr(fake_pneumatic, "signed_url_uploads", False):
        options["upload_strategy"] = "signed_url"
    async with AsyncExitStack() as stack:
        if hasattr(fake_pneumatic, "__aenter__"):
            await stack.enter_async_context(fake_pneumatic)  # background webhook delivery
        client = Pneumatic(
            transport=fake_pneumatic.transport(),
            base_url=fake_pneumatic.base_url,
            api_key=fake_pneumatic.api_key,
            retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0),
            **options,
        )
        yield await stack.enter_async_context(client)


@pytest.fixture
def fake_flowdash(fake_pneumatic: FakePneumatic) -> FakeFlowdash:
    """The fake Flowdash Actions API of ``fake_pneumatic`` (served under ``/api/v1``)."""
    return fake_pneumatic.flowdash


@pytest.fixture
async def flowdash_client(
    fake_flowdash: FakeFlowdash, fake_pneumatic: FakePneumatic
) -> AsyncIterator[Flowdash]:
    """A ``Flowdash`` client talking to ``fake_flowdash`` in-process."""
    from pneumatic_async import Flowdash, RetryPolicy

    client = Flowdash(
        api_key=fake_flowdash.api_key or fake_pneumatic.api_key,
        base_url=fake_pneumatic.base_url + "/api/v1",
        transport=fake_pneumatic.transport(),
        retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0),
    )
    async with client:
        yield client
