"""``pneumatic demo``: the SDK end to end on the embedded fake server, in a few seconds.

:func:`run_demo` drives a :class:`~pneumatic_async.Pneumatic` client against a
:class:`~pneumatic_async.testing.FakePneumatic` in the same process (no API key, no network):

1. creates a template with every field type and three tasks with conditions
   (``client.templates.create``; see :func:`~pneumatic_async.cli.samples.demo_template`);
2. uploads a file for its file field (``client.files.upload``);
3. mounts a webhook receiver (an ASGI app) on the fake's dispatcher and subscribes it to every
   event (``client.webhooks.subscribe_all``);
4. launches ``workflows`` workflows concurrently with the bulk API (``run_many``);
5. completes their tasks, half through ``client.workflows.complete_current_task`` and half through
   ``client.tasks.complete`` with outputs, returning some to the first task on the way
   (``client.tasks.revert``); a "Reject" decision ends a workflow by condition and small contracts
   skip the finance task;
6. waits for the webhooks and returns a :class:`DemoSummary`.

Every step checks what the server answered (the task completed is the one expected, each
workflow ends done), so the summary's numbers are consistent: ``workflow_started`` webhooks equal
the workflows launched, ``task_completed`` the tasks completed, ``workflow_completed`` the
workflows completed and ``task_returned`` the returns.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
import attrs
from rich.console import Console
from rich.markup import escape

from pneumatic_async.bulk import run_many
from pneumatic_async.cli.samples import (
    DEMO_FIELD_TYPES,
    DEMO_MODULES,
    DEMO_PLANS,
    DEMO_REGIONS,
    SKIP_FINANCE_BELOW,
    demo_template,
)
from pneumatic_async.errors import PneumaticError
from pneumatic_async.events import UnknownEvent, parse_event
from pneumatic_async.models.common import TaskStatus
from pneumatic_async.resources.files import files_value

if TYPE_CHECKING:
    from pneumatic_async.client import Pneumatic
    from pneumatic_async.models.files import UploadedFile
    from pneumatic_async.testing import FakePneumatic

__all__ = ["DemoError", "DemoSummary", "WebhookReceiver", "demo_plan", "run_demo"]

#: Where the demo's webhook receiver is mounted on the fake's dispatcher (never a network URL).
RECEIVER_URL = "https://hooks.demo.invalid/pneumatic"
#: The file uploaded for the template's file field.
CONTRACT_NAME = "demo-contract.txt"
CONTRACT_BYTES = b"Demo contract\n\nSigned by both parties.\n"


class DemoError(PneumaticError):
    """The fake server did not do what the demo expected (a bug in the SDK or the fake)."""


@attrs.frozen(kw_only=True)
class DemoSummary:
    """What the demo did. ``webhooks`` counts the deliveries received, by event name."""

    template_id: int
    template_name: str
    field_types: list[str]
    tasks_in_template: int
    uploaded_file: str
    workflows_launched: int
    launch_seconds: float
    launches_per_second: float
    tasks_completed: int
    completed_via_workflows: int
    completed_via_tasks: int
    tasks_returned: int
    workflows_completed: int
    workflows_ended_by_condition: int
    webhooks: dict[str, int]
    webhooks_failed: int
    elapsed_seconds: float

    @property
    def webhooks_received(self) -> int:
        """Deliveries received, all events."""
        return sum(self.webhooks.values())


class WebhookReceiver:
    """An in-process ASGI app receiving webhook deliveries: it parses each body with
    :func:`~pneumatic_async.events.parse_event` and counts the events by name (answering 200;
    400 for a body that is not a Pneumatic event)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.rejected = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Handle one HTTP request (the ASGI interface)."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 200
        try:
            event = parse_event(body)
        except PneumaticError:
            self.rejected += 1
            status = 400
        else:
            name = event.event if isinstance(event, UnknownEvent) else str(event.EVENT)
            self.counts[name] += 1
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


# --------------------------------------------------------------------------------------------
# The workload


def _amount(index: int) -> int:
    """Contract values from 1,000 to about 30,000: about half are below the finance threshold."""
    return 1_000 + (index * 7_919) % 29_000


def _rejected(index: int) -> bool:
    return index % 7 == 3


def _returned(index: int) -> bool:
    return not _rejected(index) and index % 10 == 5


def demo_kickoff(index: int, *, manager_email: str, contract: UploadedFile) -> dict[str, Any]:
    """The kickoff values of the demo's ``index``-th workflow (one value per field type)."""
    modules = [m for bit, m in enumerate(DEMO_MODULES) if (index >> bit) & 1] or ["CRM"]
    return {
        "client": f"Client {index:04d}",
        "details": f"Onboarding request number {index}.\nCreated by the demo.",
        "amount": _amount(index),
        "start-date": date(2027, 1, 1) + timedelta(days=index % 90),
        "website": f"https://client{index:04d}.example.com",
        "plan": DEMO_PLANS[index % len(DEMO_PLANS)],
        "region": DEMO_REGIONS[(index // 3) % len(DEMO_REGIONS)],
        "modules": modules,
        "account-manager": manager_email,
        "contract": files_value(contract),
    }


def demo_plan(index: int) -> list[tuple[str, str]]:
    """The steps the demo takes in workflow ``index``: ``("complete" | "return", task api_name)``.

    Every workflow completes its review. A rejected one then ends by condition (end_process on
    the finance task). The others go through finance approval (skipped below 10,000) and
    onboarding; some are first returned to the review from the next task and reviewed again.
    """
    steps = [("complete", "task-review")]
    if _rejected(index):
        return steps
    finance = _amount(index) >= SKIP_FINANCE_BELOW
    if _returned(index):
        steps += [("return", "task-finance" if finance else "task-onboard")]
        steps += [("complete", "task-review")]
    if finance:
        steps.append(("complete", "task-finance"))
    steps.append(("complete", "task-onboard"))
    return steps


def demo_output(index: int, api_name: str) -> dict[str, Any]:
    """The output values the demo completes a task with."""
    if api_name == "task-review":
        return {
            "decision": "Reject" if _rejected(index) else "Approve",
            "review-notes": f"Reviewed request {index}.",
        }
    if api_name == "task-finance":
        return {"approved-amount": _amount(index)}
    return {
        "go-live": datetime(2027, 3, 1, 9, tzinfo=UTC) + timedelta(days=index % 30),
        "handover": f"Handed over to support ({index}).",
    }


@attrs.define
class _Tally:
    via_workflows: int = 0
    via_tasks: int = 0
    returned: int = 0


async def _drive(client: Pneumatic, index: int, workflow_id: int, tally: _Tally) -> None:
    """Take workflow ``workflow_id`` through :func:`demo_plan` (``index`` picks the API used)."""
    for action, api_name in demo_plan(index):
        if action == "complete" and index % 2 == 0:
            task = await client.workflows.complete_current_task(
                workflow_id, demo_output(index, api_name)
            )
            tally.via_workflows += 1
        else:
            workflow = await client.workflows.get(workflow_id)
            active = [t for t in workflow.tasks if t.status == TaskStatus.ACTIVE]
            if len(active) != 1 or active[0].api_name != api_name:
                found = ", ".join(t.api_name for t in active) or "none"
                raise DemoError(
                    f"workflow {workflow_id}: expected {api_name} to be active, found {found}"
                )
            if action == "return":
                await client.tasks.revert(active[0].id, comment="Please review this again.")
                tally.returned += 1
                continue
            task = await client.tasks.complete(active[0].id, demo_output(index, api_name))
            tally.via_tasks += 1
        if task.api_name != api_name:
            raise DemoError(
                f"workflow {workflow_id}: completed {task.api_name}, expected {api_name}"
            )


# --------------------------------------------------------------------------------------------
# The demo


def _step(console: Console | None, started: float, text: str) -> None:
    if console is not None:
        console.print(
            f"[green]✓[/green] {escape(text)} [dim](at {time.monotonic() - started:.2f} s)"
        )


async def run_demo(
    client: Pneumatic,
    fake: FakePneumatic,
    *,
    workflows: int = 200,
    console: Console | None = None,
    concurrency: int = 50,
) -> DemoSummary:
    """Run the demo (see the module docs) and return its summary.

    ``client`` must talk to ``fake`` (e.g. ``Pneumatic(transport=fake.transport(), ...)``).
    Progress lines go to ``console`` when given. Raises :class:`DemoError` if the server does not
    behave as expected, or the SDK's errors.
    """
    if workflows < 1:
        raise ValueError(f"workflows must be at least 1, got {workflows}")
    started = time.monotonic()
    me = await client.users.me()

    template = await client.templates.create(demo_template(me.id))
    _step(
        console,
        started,
        f"created template {template.name!r} (#{template.id}): {len(template.kickoff.fields)} "
        f"kickoff fields ({', '.join(DEMO_FIELD_TYPES)}), {len(template.tasks)} tasks with "
        "conditions",
    )

    contract = await client.files.upload(CONTRACT_BYTES, filename=CONTRACT_NAME)
    _step(console, started, f"uploaded {CONTRACT_NAME} for the file field ({contract.public_url})")

    receiver = WebhookReceiver()
    fake.webhooks.mount(RECEIVER_URL, receiver)
    await client.webhooks.subscribe_all(RECEIVER_URL)
    _step(console, started, "subscribed an in-process webhook receiver to every event")

    items = [demo_kickoff(i, manager_email=me.email, contract=contract) for i in range(workflows)]
    tally = _Tally()
    async with fake.webhooks:  # deliver webhooks in the background from here on
        launch_started = time.monotonic()
        results = await run_many(client, template.id, items, concurrency=concurrency)
        launch_seconds = time.monotonic() - launch_started
        failed = [r for r in results if not r.ok]
        if failed:
            raise DemoError(f"{len(failed)} launch(es) failed, the first: {failed[0].error}")
        _step(
            console,
            started,
            f"launched {workflows} workflows with the bulk API in {launch_seconds:.2f} s "
            f"({workflows / launch_seconds:.0f}/s, concurrency {concurrency})",
        )

        limiter = anyio.CapacityLimiter(concurrency)

        async def drive(index: int, workflow_id: int) -> None:
            async with limiter:
                await _drive(client, index, workflow_id, tally)

        async with anyio.create_task_group() as group:
            for result in results:
                if result.workflow_id is None:
                    raise DemoError(f"launch {result.index} has no workflow id")
                group.start_soon(drive, result.index, result.workflow_id)
        completed = tally.via_workflows + tally.via_tasks
        _step(
            console,
            started,
            f"completed {completed} tasks ({tally.via_workflows} with "
            f"workflows.complete_current_task, {tally.via_tasks} with tasks.complete), "
            f"returned {tally.returned}",
        )
    # Leaving the block delivered every pending webhook.

    done = await client.workflows.list(
        template_id=template.id, status="done", page_size=1
    ).first_page()
    running = await client.workflows.list(
        template_id=template.id, status="running", page_size=1
    ).first_page()
    if running.count:
        raise DemoError(f"{running.count} workflow(s) still running after the demo")
    failed_deliveries = sum(1 for record in fake.webhooks.deliveries if not record.ok)
    webhooks = dict(sorted(receiver.counts.items()))
    _step(
        console,
        started,
        f"received {sum(webhooks.values())} webhooks "
        f"({', '.join(f'{n} {event}' for event, n in webhooks.items())})",
    )
    return DemoSummary(
        template_id=template.id,
        template_name=template.name,
        field_types=[str(field.type) for field in template.kickoff.fields],
        tasks_in_template=len(template.tasks),
        uploaded_file=contract.public_url,
        workflows_launched=sum(1 for r in results if r.ok),
        launch_seconds=round(launch_seconds, 3),
        launches_per_second=round(workflows / launch_seconds, 1) if launch_seconds else 0.0,
        tasks_completed=completed,
        completed_via_workflows=tally.via_workflows,
        completed_via_tasks=tally.via_tasks,
        tasks_returned=tally.returned,
        workflows_completed=done.count if done.count is not None else len(done.items),
        workflows_ended_by_condition=sum(1 for i in range(workflows) if _rejected(i)),
        webhooks=webhooks,
        webhooks_failed=failed_deliveries,
        elapsed_seconds=round(time.monotonic() - started, 3),
    )
