"""``pneumatic webhooks list|subscribe|unsubscribe``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pneumatic_async.cli.parsing import Parser
from pneumatic_async.models.webhooks import WebhookEventType

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context

__all__ = ["EVENTS", "register"]

#: The events the server knows, plus ``all``.
EVENTS = (*(event.value for event in WebhookEventType), "all")


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``webhooks`` command group."""
    group = commands.add_parser("webhooks", help="manage webhook subscriptions (admin keys)")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[common], help="each event and its URL")
    listing.set_defaults(handler=list_webhooks)

    subscribe = actions.add_parser(
        "subscribe", parents=[common], help="send EVENT (or all events) to URL"
    )
    subscribe.add_argument("event", choices=EVENTS, metavar="EVENT", help=", ".join(EVENTS))
    subscribe.add_argument("url", metavar="URL")
    subscribe.set_defaults(handler=subscribe_webhook)

    unsubscribe = actions.add_parser(
        "unsubscribe", parents=[common], help="stop sending EVENT (or all events)"
    )
    unsubscribe.add_argument("event", choices=EVENTS, metavar="EVENT", help=", ".join(EVENTS))
    unsubscribe.set_defaults(handler=unsubscribe_webhook)


async def list_webhooks(ctx: Context, args: argparse.Namespace) -> int:
    """``GET /webhooks/events``, sorted by event name (the server's order is not stable)."""
    subscriptions = sorted(await ctx.client.webhooks.list(), key=lambda s: str(s.event))
    out = ctx.output
    if out.json_mode:
        out.json(subscriptions)
        return 0
    out.table(
        ["event", "url"],
        ((s.event, s.url or "(not subscribed)") for s in subscriptions),
        empty="no events",
    )
    return 0


async def subscribe_webhook(ctx: Context, args: argparse.Namespace) -> int:
    """Subscribe one event or all of them (the server answers 204)."""
    webhooks = ctx.client.webhooks
    if args.event == "all":
        await webhooks.subscribe_all(args.url)
    else:
        await webhooks.subscribe(args.event, args.url)
    if ctx.output.json_mode:
        ctx.output.json({"event": args.event, "url": args.url, "subscribed": True})
    else:
        ctx.output.line(f"Subscribed {args.event} to {args.url}")
    return 0


async def unsubscribe_webhook(ctx: Context, args: argparse.Namespace) -> int:
    """Unsubscribe one event or all of them (the server answers 204)."""
    webhooks = ctx.client.webhooks
    if args.event == "all":
        await webhooks.unsubscribe_all()
    else:
        await webhooks.unsubscribe(args.event)
    if ctx.output.json_mode:
        ctx.output.json({"event": args.event, "subscribed": False})
    else:
        ctx.output.line(f"Unsubscribed {args.event}")
    return 0
