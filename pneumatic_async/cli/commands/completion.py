"""``pneumatic completion bash``: print the shell completion script."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pneumatic_async.cli.completion import bash_script
from pneumatic_async.cli.parsing import Parser

if TYPE_CHECKING:
    from pneumatic_async.cli.output import Output

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``completion`` command."""
    completion = commands.add_parser(
        "completion",
        help='print a shell completion script: eval "$(pneumatic completion bash)"',
    )
    completion.add_argument("shell", choices=("bash",), metavar="SHELL", help="bash")
    completion.set_defaults(handler=print_completion, needs_client=False)


async def print_completion(output: Output, args: argparse.Namespace) -> int:
    """Write the completion script for the whole ``pneumatic`` parser on stdout."""
    output.stdout.write(bash_script(args.root_parser))
    output.stdout.flush()
    return 0
