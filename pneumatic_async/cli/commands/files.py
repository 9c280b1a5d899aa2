"""``pneumatic files upload PATH``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from pneumatic_async.cli.errors import InputError
from pneumatic_async.cli.parsing import Parser

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``files`` command group."""
    group = commands.add_parser("files", help="upload files for file fields")
    actions = group.add_subparsers(dest="action", metavar="ACTION", required=True)
    upload = actions.add_parser(
        "upload",
        parents=[common],
        help="upload a file; prints its id, URL and the link a file field takes",
    )
    upload.add_argument("path", metavar="PATH")
    upload.add_argument("--name", metavar="FILENAME", help="file name to store (default: PATH's)")
    upload.set_defaults(handler=upload_file)


async def upload_file(ctx: Context, args: argparse.Namespace) -> int:
    """Upload through the file service (streamed; at most 100 MiB)."""
    path = Path(args.path)
    if not await anyio.Path(path).is_file():
        raise InputError(f"{args.path}: no such file")
    if args.name:
        uploaded = await ctx.client.files.upload(path, filename=args.name)
    else:
        uploaded = await ctx.client.files.upload(path)
    out = ctx.output
    if out.json_mode:
        out.json(uploaded)
        return 0
    out.fields(
        [
            ("file id", uploaded.file_id),
            ("url", uploaded.public_url),
            ("field value", uploaded.markdown_link()),
        ],
        title=f"Uploaded {uploaded.filename or path.name}",
    )
    return 0
