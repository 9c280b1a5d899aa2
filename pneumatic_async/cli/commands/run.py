"""``pneumatic run TEMPLATE_ID [--kickoff FILE.json] [key=value ...] [--name N]``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pneumatic_async.cli.assignments import load_json_object, parse_assignments, resolve_values
from pneumatic_async.cli.parsing import Parser, object_id

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``run`` command."""
    run = commands.add_parser(
        "run",
        parents=[common],
        help="launch one workflow from a template",
        description="Launch a workflow. Kickoff values come from --kickoff FILE.json and/or "
        "key=value arguments (key:=JSON for JSON values, key=@PATH to upload a file into a "
        "file field); they are checked against the template before anything is sent.",
    )
    run.add_argument("template_id", type=object_id, metavar="TEMPLATE_ID")
    run.add_argument("values", nargs="*", metavar="KEY=VALUE", help="kickoff field values")
    run.add_argument("--kickoff", metavar="FILE.json", help="kickoff values as a JSON object")
    run.add_argument("--name", metavar="NAME", help="workflow name (default: the template's)")
    run.add_argument("--urgent", action="store_true", help="mark the workflow urgent")
    run.set_defaults(handler=run_workflow)


async def run_workflow(ctx: Context, args: argparse.Namespace) -> int:
    """``POST /templates/<id>/run`` and print the new workflow."""
    from pneumatic_async.cli.commands.workflows import print_workflow

    client = ctx.client
    base = load_json_object(args.kickoff) if args.kickoff else {}
    assignments = parse_assignments(args.values)
    specs = await client.templates.kickoff_specs(args.template_id)
    kickoff = await resolve_values(client, assignments, specs, base=base)
    options: dict[str, Any] = {"kickoff": kickoff}
    if args.name is not None:
        options["name"] = args.name
    if args.urgent:
        options["is_urgent"] = True
    workflow = await client.templates.run(args.template_id, **options)
    if ctx.output.json_mode:
        ctx.output.json(workflow)
    else:
        print_workflow(ctx, workflow)
    return 0
