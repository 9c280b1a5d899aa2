"""``pneumatic templates list|show``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pneumatic_async.cli.commands._lists import take
from pneumatic_async.cli.output import Column
from pneumatic_async.cli.parsing import Parser, non_negative_int, object_id

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context
    from pneumatic_async.models.templates import Condition, Template, TemplateTask

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``templates`` command group."""
    group = commands.add_parser("templates", help="list and show templates")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", parents=[common], help="list templates (active first, then by id)"
    )
    listing.add_argument("--search", metavar="TEXT", help="only templates matching TEXT")
    state = listing.add_mutually_exclusive_group()
    state.add_argument(
        "--active", dest="is_active", action="store_const", const=True, help="only active templates"
    )
    state.add_argument(
        "--drafts",
        dest="is_active",
        action="store_const",
        const=False,
        help="only inactive templates (drafts)",
    )
    listing.add_argument(
        "--limit",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="show at most N templates (default: all)",
    )
    listing.set_defaults(handler=list_templates)

    show = actions.add_parser(
        "show", parents=[common], help="show a template: kickoff fields and tasks"
    )
    show.add_argument("template_id", type=object_id, metavar="TEMPLATE_ID")
    show.set_defaults(handler=show_template)


async def list_templates(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /templates``: id, name, active, tasks, kickoff fields."""
    options: dict[str, Any] = {}
    if args.search:
        options["search"] = args.search
    if args.is_active is not None:
        options["is_active"] = args.is_active
    templates = await take(ctx.client.templates.list(**options), args.limit)
    out = ctx.output
    if out.json_mode:
        out.json(templates)
        return 0
    out.table(
        [
            Column("id", numeric=True),
            "name",
            "active",
            Column("tasks", numeric=True),
            "kickoff fields",
        ],
        (
            (
                t.id,
                t.name,
                t.is_active,
                t.tasks_count,
                ", ".join(f.api_name for f in sorted(t.kickoff.fields, key=lambda f: f.order)),
            )
            for t in templates
        ),
        empty="no templates",
    )
    return 0


def _condition_text(condition: Condition) -> str:
    rules = []
    for rule in condition.rules:
        tests = []
        for p in rule.predicates:
            parts = [str(p.field or p.field_type), str(p.operator)]
            if p.value is not None:
                parts.append(repr(p.value))
            tests.append(" ".join(parts))
        rules.append(" and ".join(tests))
    return f"{condition.action}: " + " or ".join(rules)


def _performers_text(template_task: TemplateTask) -> str:
    texts = []
    for performer in template_task.raw_performers:
        if performer.label:
            texts.append(str(performer.label))
        elif performer.source_id is not None:
            texts.append(f"{performer.type} {performer.source_id}")
        else:
            texts.append(str(performer.type))
    return ", ".join(texts)


def print_template(ctx: Context, template: Template) -> None:
    """The template's summary, kickoff fields and tasks as tables."""
    out = ctx.output
    out.fields(
        [
            ("id", template.id),
            ("active", template.is_active),
            ("description", template.description),
            ("workflow name", template.wf_name_template),
            ("owners", [f"{o.type} {o.source_id} ({o.role})" for o in template.owners]),
            ("updated", template.date_updated_tsp),
        ],
        title=template.name,
    )
    out.line()
    out.table(
        ["api_name", "name", "type", "required", "choices"],
        (
            (f.api_name, f.name, f.type, f.is_required, [s.value for s in f.selections])
            for f in sorted(template.kickoff.fields, key=lambda f: f.order)
        ),
        title="Kickoff fields",
        empty="no kickoff fields",
    )
    out.line()
    out.table(
        [
            Column("#", numeric=True),
            "api_name",
            "name",
            "performers",
            "conditions",
            "output fields",
        ],
        (
            (
                t.number,
                t.api_name,
                t.name,
                _performers_text(t),
                "; ".join(_condition_text(c) for c in t.conditions),
                ", ".join(f"{f.api_name} ({f.type})" for f in t.fields),
            )
            for t in template.tasks
        ),
        title="Tasks",
        empty="no tasks",
    )


async def show_template(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /templates/<id>``."""
    template = await ctx.client.templates.get(args.template_id)
    if ctx.output.json_mode:
        ctx.output.json(template)
    else:
        print_template(ctx, template)
    return 0
