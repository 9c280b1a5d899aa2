"""What the CLI prints: rich tables for people, JSON for scripts, one-line errors on stderr.

Every command prints through an :class:`Output`. With ``--json`` a command prints exactly one JSON
document on stdout (models converted with the SDK's converter, so keys are the server's and
timestamps are epoch seconds); without it, tables and short key/value panels. Errors always go to
stderr as one line (``pneumatic: error: ...``), never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import IO, Any

import attrs
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["Column", "Output", "cell", "one_line", "to_json"]

#: Width used when stdout is not a terminal (pipes, tests): wide enough not to truncate ids.
PIPE_WIDTH = 160


def to_json(data: Any) -> Any:
    """``data`` as JSON-able values: attrs models through the SDK converter, the rest as is."""
    from pneumatic_async._converter import unstructure

    if attrs.has(type(data)):
        return unstructure(data)
    if isinstance(data, Mapping):
        return {str(key): to_json(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [to_json(value) for value in data]
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


def dumps(data: Any) -> str:
    """Pretty JSON text of ``data`` (see :func:`to_json`)."""
    return json.dumps(to_json(data), indent=2, ensure_ascii=False, default=_json_default)


def one_line(text: str) -> str:
    """``text`` with line breaks folded into spaces (errors are printed on one line)."""
    return " ".join(str(text).split())


def cell(value: Any) -> str:
    """A value as table text: ``-`` for nothing, dates in UTC, enums by value, lists joined."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value) or "-"
    return str(value)


@attrs.frozen
class Column:
    """A table column: its header and whether it holds numbers (right-aligned)."""

    header: str
    numeric: bool = False


class Output:
    """Where a command's results and errors go.

    ``json_mode`` selects JSON on stdout. ``stdout``/``stderr`` default to the process's streams,
    looked up when printing (so redirected streams, e.g. pytest's ``capsys``, are honoured).
    """

    def __init__(
        self,
        *,
        json_mode: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> None:
        self.json_mode = json_mode
        self._stdout = stdout
        self._stderr = stderr
        self.console = Console(file=stdout, width=self._width(stdout), highlight=False)
        self.err_console = Console(
            file=stderr, stderr=stderr is None, width=self._width(stderr), highlight=False
        )

    @staticmethod
    def _width(stream: IO[str] | None) -> int | None:
        target = stream if stream is not None else sys.stdout
        isatty = getattr(target, "isatty", None)
        return None if isatty is not None and isatty() else PIPE_WIDTH

    @property
    def stdout(self) -> IO[str]:
        """The stream results are written to."""
        return self._stdout or sys.stdout

    @property
    def stderr(self) -> IO[str]:
        """The stream errors and progress are written to."""
        return self._stderr or sys.stderr

    @property
    def interactive(self) -> bool:
        """True when stderr is a terminal (progress bars are shown only then)."""
        isatty = getattr(self.stderr, "isatty", None)
        return bool(isatty and isatty())

    # -- results -------------------------------------------------------------------------------

    def json(self, data: Any) -> None:
        """Print ``data`` as one JSON document on stdout."""
        self.stdout.write(dumps(data) + "\n")
        self.stdout.flush()

    def table(
        self,
        columns: Sequence[Column | str],
        rows: Iterable[Sequence[Any]],
        *,
        title: str | None = None,
        empty: str = "nothing found",
        header: bool = True,
    ) -> None:
        """Print a table (cells through :func:`cell`); ``empty`` when there are no rows."""
        specs = [c if isinstance(c, Column) else Column(c) for c in columns]
        table = Table(
            title=title,
            title_justify="left",
            show_edge=False,
            pad_edge=False,
            show_header=header,
        )
        for spec in specs:
            table.add_column(spec.header, justify="right" if spec.numeric else "left")
        count = 0
        for row in rows:
            table.add_row(*(escape(cell(value)) for value in row))
            count += 1
        if count == 0:
            if title:
                self.console.print(escape(title))
            self.console.print(f"[dim]{escape(empty)}[/dim]")
            return
        self.console.print(table)

    def fields(self, pairs: Iterable[tuple[str, Any]], *, title: str | None = None) -> None:
        """Print ``label: value`` lines (an object's main attributes)."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for label, value in pairs:
            table.add_row(escape(label), escape(cell(value)))
        if title:
            self.console.print(f"[bold]{escape(title)}[/bold]")
        self.console.print(table)

    def line(self, text: str = "", *, markup: bool = False) -> None:
        """Print a line of text on stdout (rich markup only when ``markup``)."""
        self.console.print(text if markup else escape(text))

    def note(self, text: str) -> None:
        """Print an informational line on stderr (kept off stdout, which scripts read)."""
        self.err_console.print(escape(text), style="dim")

    # -- errors --------------------------------------------------------------------------------

    def error(self, message: str, *, kind: str | None = None, exit_code: int | None = None) -> None:
        """Print ``pneumatic: error: <message>`` on stderr, on one line.

        In JSON mode the line is a JSON object instead: ``{"error": {"message", "type",
        "exit_code"}}`` (``type`` and ``exit_code`` when given).
        """
        if self.json_mode:
            error: dict[str, Any] = {"message": one_line(message)}
            if kind is not None:
                error["type"] = kind
            if exit_code is not None:
                error["exit_code"] = int(exit_code)
            self.stderr.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")
        else:
            self.stderr.write(f"pneumatic: error: {one_line(message)}\n")
        self.stderr.flush()
