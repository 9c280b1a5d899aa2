"""Field values from the command line: ``key=value``, ``key:=json`` and ``key=@file``.

``pneumatic run`` (kickoff values) and ``pneumatic tasks complete`` (output values) take field
values as arguments, keyed by field api_name:

* ``client=ACME``: text, read according to the field's type, like a CSV cell of ``bulk-run``:
  checkbox fields take a JSON array (``modules='["CRM","Billing"]'``) or ``;``-separated choices
  (``modules="CRM; Billing"``); date fields take epoch seconds, an ISO date (``2026-12-01``,
  midnight UTC) or an ISO date-time with a zone; user fields an email or a numeric user id;
  every other type (string, text, url, number, dropdown, radio) the text as is.
* ``amount:=1500`` / ``modules:='["CRM"]'``: a JSON value, sent as given.
* ``contract=@report.pdf``: for a ``file`` field, upload the file first
  (``client.files.upload``) and link it; several ``@`` arguments for the same field add files.

Values are then checked by the SDK (:mod:`pneumatic_async.values`) before anything is sent, so a
typo in an api_name or a choice is reported with the field's name and a suggestion.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async.bulk.sources import text_value
from pneumatic_async.cli.errors import InputError
from pneumatic_async.values import FieldSpec

if TYPE_CHECKING:
    from pneumatic_async.client import Pneumatic

__all__ = ["Assignment", "load_json_object", "parse_assignments", "resolve_values"]


@attrs.frozen
class Assignment:
    """One ``key=value`` argument: ``kind`` is ``"text"``, ``"json"`` or ``"file"``."""

    key: str
    kind: str
    value: Any


def parse_assignments(tokens: Iterable[str]) -> list[Assignment]:
    """Parse ``key=value`` / ``key:=json`` / ``key=@path`` arguments (syntax only).

    Raises :class:`~pneumatic_async.cli.errors.InputError` naming the bad argument.
    """
    result: list[Assignment] = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep:
            raise InputError(
                f"expected key=value, got {token!r} (use key:=JSON for JSON values, "
                "key=@PATH to upload a file)"
            )
        if key.endswith(":"):
            key = key[:-1]
            try:
                parsed = json.loads(value)
            except ValueError as exc:
                raise InputError(f"{token!r}: the value after ':=' is not JSON ({exc})") from None
            assignment = Assignment(key.strip(), "json", parsed)
        elif value.startswith("@") and len(value) > 1:
            assignment = Assignment(key.strip(), "file", value[1:])
        else:
            assignment = Assignment(key.strip(), "text", value)
        if not assignment.key:
            raise InputError(f"{token!r}: the field api_name before '=' is empty")
        result.append(assignment)
    return result


def load_json_object(path: str) -> dict[str, Any]:
    """Read a JSON file holding one object of api_name → value (``--kickoff FILE.json``)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object of field api_name to value")
    return data


def convert_text(spec: FieldSpec | None, text: str) -> Any:
    """A ``key=value`` text as the value encoder wants it for the field's type."""
    field_type = spec.type if spec is not None else None
    if field_type == "file":
        return [text]
    return text_value(field_type, text)


async def resolve_values(
    client: Pneumatic,
    assignments: Sequence[Assignment],
    specs: Sequence[FieldSpec],
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of ``assignments`` on top of ``base`` (e.g. a ``--kickoff`` file).

    ``key=@path`` arguments of ``file`` fields are uploaded here; for other fields ``@`` is
    refused (use ``key=value``). Later arguments for the same key replace earlier ones, except
    files, which accumulate.
    """
    by_name = {spec.api_name: spec for spec in specs}
    values: dict[str, Any] = dict(base or {})
    uploaded: dict[str, list[Any]] = {}
    for assignment in assignments:
        spec = by_name.get(assignment.key)
        if assignment.kind == "json":
            values[assignment.key] = assignment.value
        elif assignment.kind == "file":
            if spec is None or spec.type != "file":
                kind = f"a {spec.type} field" if spec is not None else "not a field"
                raise InputError(
                    f"{assignment.key}=@{assignment.value}: '@' uploads a file, but "
                    f"{assignment.key!r} is {kind}"
                )
            if not await anyio.Path(assignment.value).is_file():
                raise InputError(f"{assignment.key}=@{assignment.value}: no such file")
            file = await client.files.upload(assignment.value)
            uploaded.setdefault(assignment.key, []).append(file)
            values[assignment.key] = uploaded[assignment.key]
        else:
            values[assignment.key] = convert_text(spec, assignment.value)
    return values
