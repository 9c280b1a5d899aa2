"""``pneumatic tasks list|complete``."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from pneumatic_async.cli.assignments import Assignment, parse_assignments, resolve_values
from pneumatic_async.cli.commands._lists import take
from pneumatic_async.cli.errors import InputError
from pneumatic_async.cli.output import Column
from pneumatic_async.cli.parsing import Parser, non_negative_int, object_id
from pneumatic_async.values import specs_from_task

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context

__all__ = ["parse_output_arguments", "register"]


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``tasks`` command group."""
    group = commands.add_parser("tasks", help="list and complete your tasks")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", parents=[common], help="list the tasks of the key's user (active by default)"
    )
    listing.add_argument("--completed", action="store_true", help="list completed tasks instead")
    listing.add_argument(
        "--limit",
        type=non_negative_int,
        default=50,
        metavar="N",
        help="show at most N tasks (default 50; 0: all)",
    )
    listing.set_defaults(handler=list_tasks)

    complete = actions.add_parser(
        "complete",
        parents=[common],
        help="complete a task, with output field values",
        description="Complete a task. Output values are a JSON object and/or key=value, "
        "key:=JSON or key=@FILE (upload to a file field) arguments, keyed by field api_name.",
    )
    complete.add_argument("task_id", type=object_id, metavar="TASK_ID")
    complete.add_argument(
        "--output",
        nargs="+",
        action="extend",
        default=[],
        metavar="JSON|KEY=VALUE",
        help="output values: a JSON object or key=value pairs",
    )
    complete.set_defaults(handler=complete_task)


def parse_output_arguments(items: list[str]) -> tuple[dict[str, Any], list[Assignment]]:
    """Split ``--output`` arguments into JSON objects (merged) and ``key=value`` assignments."""
    base: dict[str, Any] = {}
    pairs: list[str] = []
    for item in items:
        if item.lstrip().startswith("{"):
            try:
                data = json.loads(item)
            except ValueError as exc:
                raise InputError(f"--output {item!r}: not a JSON object ({exc})") from None
            if not isinstance(data, dict):
                raise InputError(f"--output {item!r}: expected a JSON object")
            base.update(data)
        else:
            pairs.append(item)
    return base, parse_assignments(pairs)


async def list_tasks(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /v3/tasks``: the key user's active (or completed) tasks."""
    tasks = await take(ctx.client.tasks.list(is_completed=args.completed), args.limit)
    out = ctx.output
    if out.json_mode:
        out.json(tasks)
        return 0
    out.table(
        [Column("id", numeric=True), "task", "workflow", "status", "started", "due"],
        (
            (t.id, t.name, t.workflow_name, t.status, t.date_started_tsp, t.due_date_tsp)
            for t in tasks
        ),
        empty="no completed tasks" if args.completed else "no active tasks",
    )
    return 0


async def complete_task(ctx: Context, args: argparse.Namespace) -> int:
    """``POST /v2/tasks/<id>/complete`` with the output values (checked before sending)."""
    client = ctx.client
    base, assignments = parse_output_arguments(args.output)
    if assignments:
        task = await client.tasks.get(args.task_id)
        output = await resolve_values(client, assignments, specs_from_task(task), base=base)
    else:
        output = base
    completed = await client.tasks.complete(args.task_id, output=output)
    out = ctx.output
    if out.json_mode:
        out.json(completed)
        return 0
    out.line(
        f"Completed task #{completed.id} {completed.name!r} of workflow "
        f"{completed.workflow.name!r} (#{completed.workflow.id})"
    )
    return 0
