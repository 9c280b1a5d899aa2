"""``--sandbox``: run a command against the embedded fake Pneumatic server, in-process.

The sandbox is a fresh :class:`~pneumatic_async.testing.FakePneumatic` per command (nothing is
kept between runs), seeded with a demo account (the owner ``owner@example.com`` and two more
users), the sample template "Client onboarding" (id 1, see
:func:`~pneumatic_async.cli.samples.sandbox_template`) and three of its workflows, one of them
with its first task completed. No API key, no network: webhook deliveries to any URL go to an
in-process sink that answers 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pneumatic_async.client import Pneumatic

if TYPE_CHECKING:
    from pneumatic_async.testing import FakePneumatic

__all__ = ["SANDBOX_CLIENTS", "build_sandbox", "sandbox_client"]

#: The clients of the seeded workflows (kickoff ``client`` values).
SANDBOX_CLIENTS = ("ACME", "Globex", "Initech")


async def _sink(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that reads a request and answers 200 with an empty body."""
    if scope["type"] != "http":
        return
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def build_sandbox() -> FakePneumatic:
    """A seeded fake server (see the module docs). Call it inside a running event loop."""
    from pneumatic_async._converter import unstructure
    from pneumatic_async.cli.samples import sandbox_template
    from pneumatic_async.testing import FakePneumatic

    fake = FakePneumatic(seed=0)
    fake.add_user("max@example.com", "Max", "Manager")
    fake.add_user("ana@example.com", "Ana", "Analyst")
    template = fake.add_template(unstructure(sandbox_template(fake.owner.id)))
    amounts = (12_500, 4_200, 980)
    plans = ("Enterprise", "Growth", "Starter")
    for client, amount, plan in zip(SANDBOX_CLIENTS, amounts, plans, strict=True):
        fake.run_workflow(template, kickoff={"client": client, "amount": amount, "plan": plan})
    globex = next(w for w in fake.state.workflows.values() if "Globex" in w.name)
    first = next(task for task in globex.tasks if task.status == "active")
    fake.engine.complete(first, fake.owner, {"note": "Welcome call done"})
    # Deliveries never leave the process: every URL prefix goes to the sink.
    for prefix in ("http://", "https://"):
        fake.webhooks.mount(prefix, _sink)
    return fake


def sandbox_client(fake: FakePneumatic) -> Pneumatic:
    """A client talking to ``fake`` in-process (its API key, base URL and file service)."""
    return Pneumatic(
        transport=fake.transport(),
        base_url=fake.base_url,
        api_key=fake.api_key,
        file_service_url=fake.file_service_url,
    )
