"""The ``pneumatic`` command: the argparse parser and the dispatch to a command's handler.

:func:`main` parses the arguments, opens the client (or the ``--sandbox`` fake server), runs the
command's async handler with ``anyio.run`` on asyncio, and turns every expected error into one
line on stderr and an exit code (:mod:`pneumatic_async.cli.errors`).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from functools import partial

import anyio

from pneumatic_async import __version__
from pneumatic_async.cli.commands import (
    bulk,
    completion,
    demo,
    files,
    flowdash,
    run,
    tasks,
    templates,
    webhooks,
)
from pneumatic_async.cli.commands import workflows as workflows_commands
from pneumatic_async.cli.context import open_context
from pneumatic_async.cli.errors import CliError, ExitCode, exit_code_for, message_for
from pneumatic_async.cli.output import Output
from pneumatic_async.cli.parsing import (
    Parser,
    UsageError,
    add_global_options,
    global_options_parser,
)
from pneumatic_async.errors import PneumaticError

__all__ = ["build_parser", "main"]

_DESCRIPTION = """\
Drive Pneumatic from the command line: templates, workflows, tasks, files, webhooks, and bulk
launches from a CSV. Configure with PNEUMATIC_API_KEY (and PNEUMATIC_BASE_URL), or add --sandbox
to run any command on the embedded fake server. Start with: pneumatic demo
"""

_EPILOG = """\
exit codes: 0 ok, 1 API error or some items failed, 2 bad usage or input, 3 missing
configuration (no API key)
"""


def build_parser() -> Parser:
    """The full argument parser (every command and its options)."""
    parser = Parser(
        prog="pneumatic",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pneumatic-async {__version__}")
    add_global_options(parser, suppress=False)
    common = global_options_parser()
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = (
        templates,
        workflows_commands,
        tasks,
        files,
        webhooks,
        flowdash,
        run,
        bulk,
        demo,
        completion,
    )
    for module in modules:
        module.register(commands, common)
    parser.set_defaults(root_parser=parser)  # for `completion`, which describes the whole parser
    return parser


def _leaf_errors(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for inner in exc.exceptions:
            leaves.extend(_leaf_errors(inner))
        return leaves
    return [exc]


def _expected(exc: BaseException) -> bool:
    """Errors reported as one line (the rest are bugs: one line too, traceback with --debug)."""
    return isinstance(exc, PneumaticError | CliError | OSError | ValueError | KeyboardInterrupt)


async def _run(args: argparse.Namespace, output: Output) -> int:
    if not getattr(args, "needs_client", True):
        return int(await args.handler(output, args))
    async with open_context(args, output) as ctx:
        return int(await args.handler(ctx, args))


def _parse(parser: Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, letting ``key=value`` arguments of ``run`` follow its options too."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        values = getattr(args, "values", None)
        if isinstance(values, list) and all("=" in e and not e.startswith("-") for e in extras):
            values.extend(extras)
        else:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pneumatic`` command with ``argv`` (default ``sys.argv[1:]``); return the exit
    code (the console script passes it to ``sys.exit``)."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parse(parser, arguments)
    except UsageError as exc:
        Output(json_mode="--json" in arguments).error(
            str(exc), kind="UsageError", exit_code=ExitCode.USAGE
        )
        return ExitCode.USAGE
    except SystemExit as exc:  # --help, --version (0)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else ExitCode.USAGE)
    output = Output(json_mode=args.json)
    try:
        return anyio.run(partial(_run, args, output), backend="asyncio")
    except BaseException as exc:  # reported as one line below; anything else re-raised
        leaves = _leaf_errors(exc)
        first = next((e for e in leaves if _expected(e)), leaves[0])
        if isinstance(first, SystemExit | GeneratorExit):
            raise
        if not _expected(first):
            if args.debug:
                raise
            output.error(
                f"unexpected error: {type(first).__name__}: {first}",
                kind=type(first).__name__,
                exit_code=ExitCode.FAILED,
            )
            output.note("(run again with --debug for a traceback)")
            return ExitCode.FAILED
        if args.debug:
            traceback.print_exception(first, file=sys.stderr)
        code = exit_code_for(first)
        output.error(message_for(first), kind=type(first).__name__, exit_code=code)
        return code
