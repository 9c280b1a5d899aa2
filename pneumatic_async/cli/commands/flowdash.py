"""``pneumatic flowdash actions|execute``: the Flowdash Actions API from a shell.

The key comes from ``--api-key`` or ``FLOWDASH_API_KEY``, the URL from ``--base-url`` or
``FLOWDASH_BASE_URL`` (default ``https://app.flowdash.com/api/v1``). ``--sandbox`` talks to the
embedded fake server, whose Flowdash task ``678`` of workflow ``abc123`` offers Approve and
Reject.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from pneumatic_async._flowdash import Flowdash
from pneumatic_async.cli.errors import CliError, ExitCode
from pneumatic_async.cli.parsing import Parser
from pneumatic_async.models.flowdash import Execution, ExecutionStatus

if TYPE_CHECKING:
    from pneumatic_async.cli.output import Output

__all__ = ["SANDBOX_TASK", "register"]

#: The (workflow id, task id) the sandbox seeds, with the actions Approve and Reject.
SANDBOX_TASK = ("abc123", "678")

_NO_KEY = (
    "no Flowdash API key: set FLOWDASH_API_KEY (or pass --api-key KEY), or add --sandbox to try "
    "the command on the embedded fake server"
)


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seconds are a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be a finite number > 0, got {text!r}")
    return value


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``flowdash`` command group."""
    group = commands.add_parser("flowdash", help="Flowdash Actions API: task actions, executions")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("actions", parents=[common], help="the actions a task offers")
    listing.add_argument("workflow_id", metavar="WORKFLOW_ID")
    listing.add_argument("task_id", metavar="TASK_ID")
    listing.set_defaults(handler=list_actions, needs_client=False)

    execute = actions.add_parser(
        "execute", parents=[common], help="execute an action of a task (--wait: its outcome)"
    )
    execute.add_argument("workflow_id", metavar="WORKFLOW_ID")
    execute.add_argument("task_id", metavar="TASK_ID")
    execute.add_argument("action_id", metavar="ACTION_ID")
    execute.add_argument("--performed-by", metavar="EMAIL", help="the user acting (an email)")
    execute.add_argument(
        "--wait", action="store_true", help="poll until Success or Fail (exit 1 on Fail)"
    )
    execute.add_argument(
        "--timeout",
        type=positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="with --wait: give up after SECONDS (default 60; exit 1)",
    )
    execute.set_defaults(handler=execute_action, needs_client=False)


@asynccontextmanager
async def open_flowdash(args: argparse.Namespace) -> AsyncIterator[Flowdash]:
    """The command's Flowdash client (the sandbox's fake with ``--sandbox``); closed on exit."""
    if args.sandbox:
        from pneumatic_async.cli.sandbox import build_sandbox

        fake = build_sandbox()
        if SANDBOX_TASK not in fake.flowdash.tasks:
            fake.flowdash.add_task(*SANDBOX_TASK, actions=["Approve", "Reject"])
        async with Flowdash(
            transport=fake.transport(), base_url=f"{fake.base_url}/api/v1", api_key=fake.api_key
        ) as client:
            yield client
        return
    api_key = args.api_key if args.api_key is not None else os.environ.get("FLOWDASH_API_KEY")
    if api_key is None or not api_key.strip():
        raise CliError(_NO_KEY, ExitCode.CONFIG)
    async with Flowdash(api_key=api_key, base_url=args.base_url) as client:
        yield client


async def list_actions(output: Output, args: argparse.Namespace) -> int:
    """``GET /workflows/<wf>/tasks/<task>/actions``."""
    async with open_flowdash(args) as flowdash:
        actions = await flowdash.actions.list(args.workflow_id, args.task_id)
    if output.json_mode:
        output.json(actions)
    else:
        output.table(["id", "name"], ((a.id, a.name) for a in actions), empty="no actions")
    return 0


def _show(output: Output, execution: Execution) -> None:
    if output.json_mode:
        output.json(execution)
        return
    pairs = [("execution", execution.id), ("status", execution.status)]
    pairs += [("error", error) for error in execution.errors]
    output.fields(pairs)


async def execute_action(output: Output, args: argparse.Namespace) -> int:
    """Start an execution; with ``--wait``, poll it to its outcome (``Fail``: exit code 1)."""
    options = {} if args.performed_by is None else {"performed_by": args.performed_by}
    async with open_flowdash(args) as flowdash:
        execution = await flowdash.actions.execute(
            args.workflow_id, args.task_id, args.action_id, **options
        )
        if args.wait and not execution.done:
            execution = await flowdash.actions.wait(
                args.workflow_id, execution.id, timeout=args.timeout
            )
    _show(output, execution)
    return ExitCode.FAILED if execution.status == ExecutionStatus.FAIL else 0
