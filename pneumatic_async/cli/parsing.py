"""The argparse pieces every command shares: the parser class, global options, value types."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from pneumatic_async.cli.output import one_line

__all__ = [
    "Parser",
    "UsageError",
    "add_global_options",
    "global_options_parser",
    "non_negative_int",
    "object_id",
    "positive_int",
]


class UsageError(Exception):
    """Bad command-line usage: reported by the ``pneumatic`` command as one line, exit code 2
    (a JSON object on stderr with ``--json``)."""

    def __init__(self, message: str, prog: str) -> None:
        super().__init__(f"{one_line(message)} (see '{prog} --help')")


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors raise :class:`UsageError` (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Raise :class:`UsageError`: the command prints it (plain or JSON) and exits with 2."""
        raise UsageError(message, self.prog)


def add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes, before or after the command name.

    On the subcommand parsers the defaults are suppressed, so a global option given before the
    command is not reset by the subcommand's parser.
    """

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=default(None),
        help="API key (default: $PNEUMATIC_API_KEY)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default(None),
        help="API base URL (default: $PNEUMATIC_BASE_URL, else https://api.pneumatic.app)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print JSON for scripts instead of tables",
    )
    group.add_argument(
        "--sandbox",
        action="store_true",
        default=default(False),
        help="run against the embedded fake Pneumatic server (no key, no network)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show a traceback for unexpected errors",
    )


def global_options_parser() -> Parser:
    """A parent parser holding the global options with suppressed defaults."""
    parent = Parser(add_help=False)
    add_global_options(parent, suppress=True)
    return parent


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def object_id(text: str) -> int:
    """An argparse type: a template/workflow/task id (a positive integer)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"an id is a number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"an id is a positive number, got {value}")
    return value
