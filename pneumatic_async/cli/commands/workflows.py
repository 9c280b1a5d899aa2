"""``pneumatic workflows list|show``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pneumatic_async.cli.commands._lists import take
from pneumatic_async.cli.output import Column, cell
from pneumatic_async.cli.parsing import Parser, non_negative_int, object_id
from pneumatic_async.models.common import FieldType, TaskField, TaskStatus, WorkflowStatus

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context
    from pneumatic_async.models.workflows import Workflow, WorkflowListItem

__all__ = ["field_value_text", "register", "status_text"]

STATUSES = ("running", "done", "snoozed")


def status_text(status: WorkflowStatus | int) -> str:
    """``running``/``done``/``snoozed`` for a workflow status (the raw number if unknown)."""
    try:
        return WorkflowStatus(status).name.lower()
    except ValueError:
        return str(status)


def field_value_text(field: TaskField) -> str:
    """A field's value for display: dates (epoch seconds) as UTC date-times."""
    if field.type == FieldType.DATE and field.value:
        try:
            moment = datetime.fromtimestamp(float(field.value), UTC)
        except (ValueError, OverflowError, OSError):
            return field.value
        return cell(moment)
    return field.value


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``workflows`` command group."""
    group = commands.add_parser("workflows", help="list and show workflows")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[common], help="list workflows (newest first)")
    listing.add_argument("--status", choices=STATUSES, help="only workflows in this status")
    listing.add_argument(
        "--template-id", type=object_id, metavar="ID", help="only workflows of this template"
    )
    listing.add_argument(
        "--search", metavar="TEXT", help="full-text search (names, field values, task texts)"
    )
    listing.add_argument(
        "--limit",
        type=non_negative_int,
        default=50,
        metavar="N",
        help="show at most N workflows (default 50; 0: all)",
    )
    listing.set_defaults(handler=list_workflows)

    show = actions.add_parser("show", parents=[common], help="show a workflow and its tasks")
    show.add_argument("workflow_id", type=object_id, metavar="WORKFLOW_ID")
    show.set_defaults(handler=show_workflow)


def _active(workflow: WorkflowListItem | Workflow) -> str:
    """The workflow's active tasks as ``name (#id)``."""
    return ", ".join(f"{t.name} (#{t.id})" for t in workflow.tasks if t.status == TaskStatus.ACTIVE)


async def list_workflows(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /workflows`` with the given filters."""
    options: dict[str, Any] = {}
    if args.status:
        options["status"] = args.status
    if args.template_id:
        options["template_id"] = args.template_id
    if args.search:
        options["search"] = args.search
    workflows = await take(ctx.client.workflows.list(**options), args.limit)
    out = ctx.output
    if out.json_mode:
        out.json(workflows)
        return 0
    out.table(
        [Column("id", numeric=True), "name", "status", "template", "created", "active tasks"],
        (
            (
                w.id,
                w.name,
                status_text(w.status),
                w.template.name if w.template else None,
                w.date_created_tsp,
                _active(w),
            )
            for w in workflows
        ),
        empty="no workflows",
    )
    return 0


def print_workflow(ctx: Context, workflow: Workflow) -> None:
    """A workflow's summary, kickoff values and tasks."""
    out = ctx.output
    out.fields(
        [
            ("id", workflow.id),
            ("status", status_text(workflow.status)),
            (
                "template",
                f"{workflow.template.name} (#{workflow.template.id})"
                if workflow.template
                else None,
            ),
            ("urgent", workflow.is_urgent),
            ("created", workflow.date_created_tsp),
            ("completed", workflow.date_completed_tsp),
            ("due", workflow.due_date_tsp),
        ],
        title=workflow.name,
    )
    if workflow.kickoff is not None and workflow.kickoff.output:
        out.line()
        out.table(
            ["field", "type", "value"],
            (
                (f.api_name, f.type, field_value_text(f))
                for f in sorted(workflow.kickoff.output, key=lambda f: f.order)
            ),
            title="Kickoff",
        )
    out.line()
    out.table(
        [
            Column("#", numeric=True),
            Column("task id", numeric=True),
            "name",
            "status",
            "started",
            "completed",
        ],
        (
            (t.number, t.id, t.name, t.status, t.date_started_tsp, t.date_completed_tsp)
            for t in workflow.tasks
        ),
        title="Tasks",
        empty="no tasks",
    )


async def show_workflow(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /workflows/<id>``."""
    workflow = await ctx.client.workflows.get(args.workflow_id)
    if ctx.output.json_mode:
        ctx.output.json(workflow)
    else:
        print_workflow(ctx, workflow)
    return 0
