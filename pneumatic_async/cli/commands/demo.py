"""``pneumatic demo [--workflows N]``: the SDK end to end on the embedded fake server."""

from __future__ import annotations

import argparse

import attrs

from pneumatic_async.cli.output import Column, Output
from pneumatic_async.cli.parsing import Parser, positive_int

__all__ = ["register"]

#: The most workflows a demo launches (it keeps everything in memory).
MAX_WORKFLOWS = 20_000


def _workflow_count(text: str) -> int:
    value = positive_int(text)
    if value > MAX_WORKFLOWS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKFLOWS}, got {value}")
    return value


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``demo`` command."""
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="see the SDK at work on the embedded fake server (no key, no network)",
        description="Create a template with every field type, upload a file, subscribe a "
        "webhook receiver, launch workflows concurrently, complete their tasks and count the "
        "webhooks, all on the embedded fake Pneumatic server, in-process. Needs no API key and "
        "no network (--api-key, --base-url and --sandbox are ignored).",
    )
    demo.add_argument(
        "--workflows",
        type=_workflow_count,
        default=200,
        metavar="N",
        help="workflows to launch (default 200)",
    )
    demo.add_argument(
        "--concurrency",
        type=positive_int,
        default=50,
        metavar="N",
        help="requests in flight at once (default 50)",
    )
    demo.set_defaults(handler=demo_command, needs_client=False)


async def demo_command(output: Output, args: argparse.Namespace) -> int:
    """Run :func:`~pneumatic_async.cli.demo.run_demo` on a fresh fake server, print a summary."""
    from pneumatic_async.cli.demo import run_demo
    from pneumatic_async.client import Pneumatic
    from pneumatic_async.testing import FakePneumatic

    fake = FakePneumatic(seed=0)
    console = None if output.json_mode else output.console
    if console is not None:
        output.line(
            "pneumatic demo: the SDK against the embedded fake Pneumatic server "
            "(in-process: no API key, no network)"
        )
    async with Pneumatic(
        transport=fake.transport(),
        base_url=fake.base_url,
        api_key=fake.api_key,
        file_service_url=fake.file_service_url,
        max_concurrency=args.concurrency,
    ) as client:
        summary = await run_demo(
            client, fake, workflows=args.workflows, console=console, concurrency=args.concurrency
        )
    if output.json_mode:
        output.json({**attrs.asdict(summary), "webhooks_received": summary.webhooks_received})
        return 0
    output.line()
    output.table(
        ["what", Column("count", numeric=True)],
        [
            ("templates created", 1),
            ("kickoff field types", len(summary.field_types)),
            ("workflows launched", summary.workflows_launched),
            ("launches per second", f"{summary.launches_per_second:.0f}"),
            ("tasks completed", summary.tasks_completed),
            ("tasks returned", summary.tasks_returned),
            ("workflows completed", summary.workflows_completed),
            *((f"webhooks: {event}", n) for event, n in summary.webhooks.items()),
            ("webhooks failed", summary.webhooks_failed),
            ("elapsed", f"{summary.elapsed_seconds:.2f} s"),
        ],
        title="Summary",
        header=False,
    )
    output.line()
    output.line(
        "Next: run any command on a sandbox, e.g. `pneumatic --sandbox templates list`, or set "
        "PNEUMATIC_API_KEY and drop --sandbox to use your account."
    )
    return 0
