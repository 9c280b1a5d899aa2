"""The demo-seeded fake server the docs' examples and ``examples/`` scripts run against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.demo import seed_demo
from pneumatic_async.testing.server import bind_socket, serve, socket_url

#: The sample files the docs' examples read, created in the scratch directory.
SAMPLE_FILES = {
    "contract.pdf": b"%PDF-1.4\n% a sample contract\n",
    "clients.csv": b"client,amount,plan\nACME,12500,Enterprise\nInitech,980,Starter\n",
}


async def _sink(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Webhook deliveries never leave the machine: every URL answers 200 here."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[BlockingPortal, FakePneumatic]]:
    """A demo-seeded fake served on 127.0.0.1 from a portal thread; cwd is a scratch dir."""
    for name, content in SAMPLE_FILES.items():
        (tmp_path / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    sock = bind_socket("127.0.0.1", 0)
    url = socket_url(sock)
    fake = FakePneumatic(base_url=url, file_service_url=f"{url}/files")
    seed_demo(fake)
    for prefix in ("http://", "https://"):
        fake.webhooks.mount(prefix, _sink)
    monkeypatch.setenv("PNEUMATIC_BASE_URL", url)
    monkeypatch.setenv("PNEUMATIC_API_KEY", fake.api_key)
    monkeypatch.setenv("PNEUMATIC_FILE_SERVICE_URL", f"{url}/files")
    monkeypatch.setenv("FLOWDASH_BASE_URL", f"{url}/api/v1")
    monkeypatch.setenv("FLOWDASH_API_KEY", fake.api_key)
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(serve(fake, sock=sock)),
    ):
        yield portal, fake
