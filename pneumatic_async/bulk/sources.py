"""Reading launch items from CSV and JSON Lines files, remembering where each came from.

Both formats hold one workflow per row/line, keyed by kickoff field api_name, plus the optional
reserved keys ``_name`` (workflow name), ``_is_urgent`` (``true``/``false``/``1``/``0``/``yes``/
``no``) and ``_due_date`` (epoch seconds, or an ISO 8601 date-time with a time zone).

* **CSV** (``.csv``): the header row names the columns; an empty cell means "not given" (the key
  is left out, so a required field shows up as missing). Cells are strings, which the kickoff
  encoder (:mod:`pneumatic_async.values`) takes for string, text, url, number, dropdown/radio
  and user (email) fields and for dates as epoch seconds. Given the template's kickoff specs
  (``specs=await client.templates.kickoff_specs(template_id)``), cells of the other types are
  converted first: checkbox cells are a JSON array (``["A", "B"]``) or ``;``-separated choices
  (``A; B``), date cells may be ISO 8601 (``2026-12-01`` = midnight UTC, or a date-time), user
  cells may be a numeric user id. Rows are numbered like a spreadsheet: the header is row 1, the
  first item row 2.
* **JSON Lines** (``.jsonl``/``.ndjson``): one JSON object per line, values keep their JSON types
  (lists for checkboxes, numbers for dates); blank lines are skipped. Lines are numbered from 1.

:func:`read_items` returns an :class:`ItemSource`; its ``items`` go to ``run_many`` and its
:meth:`ItemSource.describe` turns a :class:`~pneumatic_async.errors.FieldProblem` (which names the
item index) into ``"row 7, field 'amount': ..."``::

    specs = await client.templates.kickoff_specs(template_id)
    source = read_items("launches.csv", specs=specs)
    source.raise_for_problems()           # unreadable reserved columns
    try:
        results = await client.templates.run_many(template_id, source.items)
    except InvalidValuesError as exc:
        for problem in exc.problems:
            print(source.describe(problem))
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.errors import FieldProblem, InvalidValuesError
from pneumatic_async.values import FieldSpec

__all__ = [
    "RESERVED_KEYS",
    "ItemSource",
    "SourceFormatError",
    "StreamedItems",
    "read_csv",
    "read_items",
    "read_jsonl",
    "stream_items",
]

#: Keys that are run options, not kickoff fields.
RESERVED_KEYS = ("_name", "_is_urgent", "_due_date")
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})


class SourceFormatError(ValueError):
    """The file is not a readable CSV / JSON Lines file of launch items (names the row/line)."""


@attrs.frozen(kw_only=True)
class ItemSource:
    """Items read from a file, with the row (CSV) or line (JSON Lines) of each.

    ``problems`` are values of the reserved columns that could not be read (``item`` = index);
    kickoff values are checked later, by the bulk run.
    """

    path: str
    unit: str  # "row" or "line"
    items: list[LaunchItem]
    rows: list[int]
    problems: list[FieldProblem] = attrs.Factory(list)

    def row_of(self, index: int) -> int:
        """The row/line number of item ``index``."""
        return self.rows[index]

    def describe(self, problem: FieldProblem) -> str:
        """``"launches.csv row 7, field 'amount': The value must be a number."``"""
        where = self.path
        if problem.item is not None and 0 <= problem.item < len(self.rows):
            where = f"{where} {self.unit} {self.rows[problem.item]}"
        return f"{where}, field {problem.field!r}: {problem.message}"

    def raise_for_problems(self) -> None:
        """Raise :class:`~pneumatic_async.errors.InvalidValuesError` if any reserved value was
        unreadable."""
        if self.problems:
            raise InvalidValuesError(self.problems)


def read_items(
    path: str | os.PathLike[str],
    *,
    specs: Iterable[FieldSpec] | None = None,
    encoding: str = "utf-8-sig",
) -> ItemSource:
    """Read ``path`` as CSV (``.csv``, ``.tsv``) or JSON Lines (``.jsonl``, ``.ndjson``).

    ``specs`` (the template's kickoff specs) lets CSV cells of checkbox, date and user fields be
    written naturally (see the module docs); JSON Lines values are taken as they are.
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".tsv"):
        delimiter = "\t" if suffix == ".tsv" else ","
        return read_csv(path, specs=specs, encoding=encoding, delimiter=delimiter)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_jsonl(path, encoding=encoding)
    raise SourceFormatError(
        f"{os.fspath(path)}: unknown item file type {suffix!r} (use .csv, .tsv or .jsonl)"
    )


def read_csv(
    path: str | os.PathLike[str],
    *,
    specs: Iterable[FieldSpec] | None = None,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
) -> ItemSource:
    """Read launch items from a CSV file (header row = kickoff api_names + reserved columns).

    With ``specs``, checkbox, date and user cells are converted (see the module docs).
    """
    fspath = os.fspath(path)
    items: list[LaunchItem] = []
    rows: list[int] = []
    problems: list[FieldProblem] = []
    for row_number, record in _csv_records(fspath, specs, encoding, delimiter):
        items.append(_item(record, len(items), problems))
        rows.append(row_number)
    return ItemSource(path=fspath, unit="row", items=items, rows=rows, problems=problems)


def _csv_records(
    fspath: str, specs: Iterable[FieldSpec] | None, encoding: str, delimiter: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    types = {spec.api_name: spec.type for spec in specs or ()}
    with open(fspath, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next(reader, None)
            if header is None:
                raise SourceFormatError(f"{fspath}: empty file (expected a header row)")
            columns = [name.strip() for name in header]
            _check_header(fspath, columns)
            for row_number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue  # a blank row
                if len(cells) > len(columns):
                    raise SourceFormatError(
                        f"{fspath} row {row_number}: {len(cells)} cells but only "
                        f"{len(columns)} columns in the header"
                    )
                yield (
                    row_number,
                    {
                        column: text_value(types.get(column), cell)
                        for column, cell in zip(columns, cells, strict=False)
                        if cell.strip() != ""
                    },
                )
        except csv.Error as exc:
            raise SourceFormatError(f"{fspath} row {reader.line_num}: {exc}") from exc


def read_jsonl(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig") -> ItemSource:
    """Read launch items from a JSON Lines file (one object of api_name → value per line)."""
    fspath = os.fspath(path)
    items: list[LaunchItem] = []
    rows: list[int] = []
    problems: list[FieldProblem] = []
    errors: list[str] = []
    for line_number, record in _jsonl_records(fspath, encoding, errors):
        items.append(_item(record, len(items), problems))
        rows.append(line_number)
    if errors:
        raise SourceFormatError(f"{fspath}: " + "; ".join(errors[:20]))
    return ItemSource(path=fspath, unit="line", items=items, rows=rows, problems=problems)


def _jsonl_records(
    fspath: str, encoding: str, errors: list[str] | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` per line; bad lines go to ``errors`` (``None``: raise at once)."""
    with open(fspath, encoding=encoding) as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                problem = f"line {line_number}: not JSON ({exc})"
            else:
                if isinstance(record, dict):
                    yield line_number, record
                    continue
                problem = f"line {line_number}: expected a JSON object, got {record!r:.40}"
            if errors is None:
                raise SourceFormatError(f"{fspath}: {problem}")
            errors.append(problem)


@attrs.frozen(kw_only=True)
class StreamedItems:
    """A CSV or JSON Lines file of items, read again from disk on every iteration.

    Give it to ``run_many`` / ``stream_run`` for a bounded-memory run over a large file: the run
    reads it once to check every item (keeping only the problems) and once more while
    launching, never holding all items. A bad line or an unreadable reserved value raises
    :class:`SourceFormatError` / :class:`~pneumatic_async.errors.InvalidValuesError` (naming the
    row or line) during the first, checking, pass: before anything is sent.
    """

    path: str
    unit: str
    specs: tuple[FieldSpec, ...] = ()
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    #: Tells the bulk runner it may iterate this more than once.
    reiterable: bool = True

    def __iter__(self) -> Iterator[LaunchItem]:
        for item, problems in self.each():
            if problems:
                raise InvalidValuesError(problems)
            yield item

    def each(self) -> Iterator[tuple[LaunchItem, list[FieldProblem]]]:
        """Each item with the problems of its reserved values (their messages naming the row or
        line), without raising for them: how a run checked as it goes
        (``check="as_it_goes"``) reports such a row as one ``invalid`` result and goes on. A
        line that cannot be read at all still raises :class:`SourceFormatError`."""
        if self.unit == "row":
            records = _csv_records(self.path, self.specs, self.encoding, self.delimiter)
        else:
            records = _jsonl_records(self.path, self.encoding, None)
        for index, (number, record) in enumerate(records):
            problems: list[FieldProblem] = []
            item = _item(record, index, problems)
            if problems:
                where = f"{self.path} {self.unit} {number}"
                problems = [attrs.evolve(p, message=f"{where}: {p.message}") for p in problems]
            yield item, problems


def stream_items(
    path: str | os.PathLike[str],
    *,
    specs: Iterable[FieldSpec] | None = None,
    encoding: str = "utf-8-sig",
) -> StreamedItems:
    """Like :func:`read_items`, but nothing is read until iterated, and each iteration reads
    the file again (for runs over files too large to hold in memory)."""
    suffix = Path(path).suffix.lower()
    fspath = os.fspath(path)
    if suffix in (".csv", ".tsv"):
        return StreamedItems(
            path=fspath,
            unit="row",
            specs=tuple(specs or ()),
            encoding=encoding,
            delimiter="\t" if suffix == ".tsv" else ",",
        )
    if suffix in (".jsonl", ".ndjson", ".json"):
        return StreamedItems(path=fspath, unit="line", encoding=encoding)
    raise SourceFormatError(
        f"{fspath}: unknown item file type {suffix!r} (use .csv, .tsv or .jsonl)"
    )


def text_value(field_type: str | None, text: str) -> Any:
    """Text (a CSV cell, a CLI ``key=value``) as the encoder wants it for a ``field_type`` field.

    Checkbox: a JSON array or ``;``-separated choices; date: epoch seconds, ISO date or datetime;
    user: a digit string becomes a user id. Unconvertible text is returned as is, for the value
    encoder to report.
    """
    if field_type == "checkbox":
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                parsed = json.loads(stripped)
            except ValueError:
                return text
            return parsed if isinstance(parsed, list) else text
        return [choice.strip() for choice in stripped.split(";") if choice.strip()]
    if field_type == "date":
        stripped = text.strip()
        try:
            float(stripped)
        except ValueError:
            pass
        else:
            return text  # epoch seconds: the encoder takes numeric strings
        try:
            return date.fromisoformat(stripped)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(stripped.replace("Z", "+00:00"))
        except ValueError:
            return text
    if field_type == "user" and text.strip().isdigit():
        return int(text.strip())
    return text


def _check_header(path: str, columns: list[str]) -> None:
    seen: set[str] = set()
    for number, column in enumerate(columns, start=1):
        if not column:
            raise SourceFormatError(f"{path} row 1: column {number} has no name")
        if column in seen:
            raise SourceFormatError(f"{path} row 1: column {column!r} appears twice")
        seen.add(column)


def _item(record: Mapping[str, Any], index: int, problems: list[FieldProblem]) -> LaunchItem:
    kickoff = {key: value for key, value in record.items() if key not in RESERVED_KEYS}
    name = record.get("_name")
    if name is not None and not isinstance(name, str):
        problems.append(FieldProblem(field="_name", message="must be a string", item=index))
        name = None
    is_urgent = _bool(record.get("_is_urgent"), index, problems)
    due_date = _due_date(record.get("_due_date"), index, problems)
    return LaunchItem(kickoff, name=name, is_urgent=is_urgent, due_date=due_date)


def _bool(value: Any, index: int, problems: list[FieldProblem]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(
        FieldProblem(
            field="_is_urgent", message=f"expected true or false, got {value!r}", item=index
        )
    )
    return None


def _due_date(value: Any, index: int, problems: list[FieldProblem]) -> datetime | float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
            problems.append(
                FieldProblem(
                    field="_due_date",
                    message=f"{value!r} has no time zone (add e.g. +00:00 or Z)",
                    item=index,
                )
            )
            return None
    problems.append(
        FieldProblem(
            field="_due_date",
            message=f"expected epoch seconds or an ISO 8601 date-time, got {value!r}",
            item=index,
        )
    )
    return None
