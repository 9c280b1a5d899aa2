"""Kickoff and task output values: the Python values you write, checked and encoded into what the
real server accepts (``contract.md`` §5.5).

The server takes field values in forms the public docs get wrong (selection *value text*, not ids
or api_names; dates as epoch seconds, not ``DD/MM/YYYY``; users as emails, not ids; files as
Markdown links, not attachment ids), reports only the first bad field per request, and silently
ignores keys that name no field (so a typo loses data). This module checks every value *before*
a request is sent, reports every problem at once in one
:class:`~pneumatic_async.errors.InvalidValuesError` (one
:class:`~pneumatic_async.errors.FieldProblem` per field), and converts friendly Python values:

============  =======================================================  ============================
field type    you may pass                                             sent as
============  =======================================================  ============================
string        ``str`` of at most 140 characters                        as given
text          ``str``                                                  as given
url           ``str`` URL, with or without scheme (``example.com/x``)  as given
number        ``int``, ``float``, ``Decimal`` or a numeric ``str``     int/float as given;
                                                                       ``Decimal``/``str`` as text
dropdown,     a selection's value text, or its ``api_name``            the value text
radio
checkbox      a ``list``/``tuple`` of those (a plain ``str`` is an     list of value texts
              error, as on the server)
date          aware ``datetime``; naive ``datetime`` (taken as         epoch seconds (``int`` when
              **UTC**); ``date`` (midnight UTC); epoch seconds         whole)
              (``int``/``float``/numeric ``str``)
user          an account user's email or a group name; an ``int``     the email / group name
              user id (resolved to the email, see
              ``client.users.emails_by_id``); a ``User`` model
file          a ``list`` of :class:`~pneumatic_async.models.files.     list of ``[name](url)``
              UploadedFile` (from ``client.files.upload()``) and/or    Markdown links
              ``"[name](url)"`` Markdown-link strings
============  =======================================================  ============================

``None``, ``""`` and ``[]`` clear a field that is not required; for a required field they are an
error (as on the server). Missing required fields are an error when ``check_required`` is true
(kickoff values; the server does not check omitted task *output* fields). Field types this module
does not know (a newer server's) are sent as given.

Everything here is pure except ``client.users.emails_by_id``, which lists the account's users once
per client. To send values exactly as given, pass ``validate=False`` to the calls that take them.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from pneumatic_async._encodable import sendable, unencodable
from pneumatic_async.errors import FieldProblem, InvalidValuesError
from pneumatic_async.fields import (
    SLOW,
    STRING_MAX_LENGTH,
    YEAR_9999,
    FieldSpec,
    SpecIndex,
    find_spec,
    specs_from_list_item,
    specs_from_task,
    specs_from_template,
    specs_from_workflow,
)
from pneumatic_async.models.files import UploadedFile
from pneumatic_async.models.templates import Selection
from pneumatic_async.models.users import User

__all__ = [
    "STRING_MAX_LENGTH",
    "FieldSpec",
    "Selection",
    "SpecIndex",
    "encode_values",
    "epoch_seconds",
    "find_spec",
    "is_valid_url",
    "specs_from_list_item",
    "specs_from_task",
    "specs_from_template",
    "specs_from_workflow",
    "user_ids_in",
]

_CHOICE_TYPES: Final = frozenset({"radio", "dropdown"})
_MAX_LISTED: Final = 10
_MARKDOWN_LINK: Final = re.compile(r"^\[[^\]\r\n]+\]\([^)\s]+\)$")


# --------------------------------------------------------------------------------------------
# Small public helpers


def epoch_seconds(value: datetime | date | float | int) -> int | float:
    """Epoch seconds for a ``datetime`` (naive = UTC), a ``date`` (midnight UTC) or a number.

    Whole values come back as ``int``. Raises ``ValueError`` for non-finite or out-of-range
    numbers and ``TypeError`` for anything else (booleans included).
    """
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        seconds: float = moment.timestamp()
    elif isinstance(value, date):
        seconds = datetime.combine(value, time(), tzinfo=UTC).timestamp()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if 0 <= value <= YEAR_9999:  # 1970 to 9999: representable everywhere
            if isinstance(value, int):
                return value
            return int(value) if value.is_integer() else value
        seconds = float(value)
        if not math.isfinite(seconds):
            raise ValueError(f"{value!r} is not a finite number of epoch seconds")
        try:
            datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value!r} is out of range for epoch seconds") from None
        if isinstance(value, int):
            return value
    else:
        raise TypeError(f"expected a datetime, a date or epoch seconds, got {_kind(value)}")
    return int(seconds) if seconds.is_integer() else seconds


# Django 2.2's URLValidator host patterns, as the server's NoSchemaURLValidator uses them.
_UL = "\u00a1-\uffff"
_IPV4 = r"(?:25[0-5]|2[0-4]\d|[0-1]?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|[0-1]?\d?\d)){3}"
_IPV6 = r"\[[0-9a-f:\.]+\]"
_HOSTNAME = r"[a-z" + _UL + r"0-9](?:[a-z" + _UL + r"0-9-]{0,61}[a-z" + _UL + r"0-9])?"
_DOMAIN = r"(?:\.(?!-)[a-z" + _UL + r"0-9-]{1,63}(?<!-))*"
_TLD = r"\.(?!-)(?:[a-z" + _UL + r"-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?"
_HOST = "(" + _HOSTNAME + _DOMAIN + _TLD + "|localhost)"
_RELATIVE_URL = (
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
    r"(?:" + _IPV4 + "|" + _IPV6 + "|" + _HOST + ")"
    r"(?::\d{2,5})?"
    r"(?:[/?#][^\s]*)?"
    r"\Z"
)
_RELATIVE_URL_RE: Final = re.compile("^" + _RELATIVE_URL, re.IGNORECASE)
_ABSOLUTE_URL_RE: Final = re.compile(r"^(?:[a-z0-9\.\-\+]*)://" + _RELATIVE_URL, re.IGNORECASE)
_URL_SCHEMES: Final = frozenset({"http", "https", "ftp", "ftps"})
_IPV6_NETLOC: Final = re.compile(r"^\[(.+)\](?::\d{2,5})?$")


def is_valid_url(value: str) -> bool:
    """Whether the server's ``url`` field accepts ``value`` (Django's URL rules, scheme optional:
    ``https://example.com/x`` and ``example.com/x`` pass, ``not a url`` does not; schemes other
    than http, https, ftp and ftps are refused)."""
    relative = "://" not in value
    pattern = _RELATIVE_URL_RE if relative else _ABSOLUTE_URL_RE
    parts = value.split("://")
    if not relative and len(parts) == 2 and parts[0].lower() not in _URL_SCHEMES:
        return False
    try:
        split = urlsplit(value)
    except ValueError:  # e.g. "Invalid IPv6 URL"
        return False
    if pattern.search(value) is None:
        try:  # maybe an internationalised domain name: try its ASCII form
            netloc = split.netloc.encode("idna").decode("ascii")
        except UnicodeError:
            return False
        ascii_url = urlunsplit((split.scheme, netloc, split.path, split.query, split.fragment))
        if pattern.search(ascii_url) is None:
            return False
    else:
        host = _IPV6_NETLOC.search(split.netloc)
        if host is not None:
            try:
                ipaddress.IPv6Address(host.group(1))
            except ValueError:
                return False
    return len(split.netloc) <= 253


# --------------------------------------------------------------------------------------------
# Encoding


class _Invalid(Exception):
    """One field's problem (internal: collected into FieldProblems)."""


def _kind(value: object) -> str:
    """How a value is named in messages: ``int 5``, ``list``, ``a string``..."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"bool {value}"
    if isinstance(value, int | float | Decimal):
        return f"{type(value).__name__} {value}"
    if isinstance(value, str):
        return f"the string {_q(value)}"
    return type(value).__name__


def _q(text: str, limit: int = 60) -> str:
    """``text`` in double quotes, shortened for messages."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _listing(values: Sequence[str]) -> str:
    shown = ", ".join(_q(value) for value in values[:_MAX_LISTED])
    if len(values) > _MAX_LISTED:
        shown += f" and {len(values) - _MAX_LISTED} more"
    return shown


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, (str, list, tuple)) and not value)


def _encode_string(spec: FieldSpec, value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_kind(value)}")
    if spec.type == "string" and len(value) > STRING_MAX_LENGTH:
        raise _Invalid(
            f"is {len(value)} characters long; a string field takes at most "
            f"{STRING_MAX_LENGTH} (a text field has no limit)"
        )
    return value


def _encode_url(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a URL string, got {_kind(value)}")
    if not is_valid_url(value):
        raise _Invalid(f"{_q(value)} is not a valid URL (e.g. https://example.com/page)")
    return value


def _encode_number(value: object) -> int | float | str:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _Invalid(f"expected a number, got {_kind(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid(f"expected a finite number, got {value}")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Invalid(f"expected a finite number, got Decimal {value}")
        return str(value)  # exact; JSON numbers would go through float
    text = value.strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Invalid(f"{_q(value)} is not a number") from None
    if not number.is_finite():
        raise _Invalid(f"{_q(value)} is not a finite number")
    return text


def _encode_date(value: object) -> int | float:
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Invalid(
                f"{_q(value)} is not a date: pass a datetime, a date or epoch seconds "
                "(the server takes epoch seconds only)"
            ) from None
        value = int(number) if number.is_integer() else number
    if isinstance(value, bool) or not isinstance(value, datetime | date | int | float):
        raise _Invalid(f"expected a datetime, a date or epoch seconds, got {_kind(value)}")
    try:
        return epoch_seconds(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise _Invalid(str(exc)) from None


def _choice(spec: FieldSpec, value: object) -> str:
    """The value text for a radio/dropdown/checkbox choice (its value or api_name)."""
    values = spec.choice_values
    if not isinstance(value, str):
        if values:
            raise _Invalid(f"expected one of {_listing(values)}, got {_kind(value)}")
        raise _Invalid(f"expected a selection's value text, got {_kind(value)}")
    if value in values or not values:
        return value
    for selection in spec.selections:
        if selection.api_name is not None and selection.api_name == value:
            return selection.value
    if spec.dataset is not None:
        return value  # may be one of the dataset's items, which the template does not list
    message = f"{_q(value)} is not one of {_listing(values)}"
    folded = [v for v in values if v.casefold() == value.strip().casefold()]
    close = folded or difflib.get_close_matches(value, values, n=1)
    if close:
        message += f"; did you mean {_q(close[0])}?"
    raise _Invalid(message)


def _encode_checkbox(spec: FieldSpec, value: object) -> list[str]:
    if isinstance(value, str):
        raise _Invalid(f"expected a list of choices, got a string: write [{_q(value)}]")
    if not isinstance(value, list | tuple):
        raise _Invalid(f"expected a list of choices, got {_kind(value)}")
    chosen: list[str] = []
    bad: list[str] = []
    for item in value:
        try:
            chosen.append(_choice(spec, item))
        except _Invalid as exc:
            bad.append(str(exc))
    if bad:
        raise _Invalid("; ".join(bad))
    return chosen


def _encode_user(value: object, user_emails: Mapping[int, str]) -> str:
    if isinstance(value, User):
        return value.email
    if isinstance(value, int) and not isinstance(value, bool):
        email = user_emails.get(value)
        if email is None:
            raise _Invalid(f"user {value} is not a user of this account")
        return email
    if isinstance(value, str):
        return value
    raise _Invalid(f"expected a user's email, a group name or a user id, got {_kind(value)}")


def _encode_files(value: object) -> list[str]:
    if isinstance(value, UploadedFile | str):
        raise _Invalid("expected a list of files: wrap the file in a list")
    if not isinstance(value, list | tuple):
        raise _Invalid(f"expected a list of files, got {_kind(value)}")
    links: list[str] = []
    for item in value:
        if isinstance(item, UploadedFile):
            links.append(item.markdown_link())  # named by its filename (else file_id)
        elif isinstance(item, str) and _MARKDOWN_LINK.match(item.strip()):
            links.append(item.strip())
        elif isinstance(item, str):
            raise _Invalid(
                f'{_q(item)} is not a Markdown link: write "[name](<file\'s public_url>)" or '
                "pass the UploadedFile that client.files.upload() returns"
            )
        else:
            raise _Invalid(f"expected UploadedFile objects or Markdown links, got {_kind(item)}")
    return links


def _encode(spec: FieldSpec, value: object, user_emails: Mapping[int, str]) -> Any:
    if _is_empty(value):
        if spec.is_required:
            shown = "None" if value is None else repr(value)
            raise _Invalid(f"is required: an empty value ({shown}) is not allowed")
        return [] if isinstance(value, tuple) else value
    kind = spec.type
    if kind in ("string", "text"):
        return _encode_string(spec, value)
    if kind == "url":
        return _encode_url(value)
    if kind == "number":
        return _encode_number(value)
    if kind == "date":
        return _encode_date(value)
    if kind in _CHOICE_TYPES:
        return _choice(spec, value)
    if kind == "checkbox":
        return _encode_checkbox(spec, value)
    if kind == "user":
        return _encode_user(value, user_emails)
    if kind == "file":
        return _encode_files(value)
    return value  # a field type this SDK does not know: the server decides


def _unknown_field_message(key: str, specs: Sequence[FieldSpec]) -> str:
    api_names = [spec.api_name for spec in specs]
    message = "no field has this api_name (the server would silently ignore it)"
    by_name = [spec for spec in specs if spec.name.strip().casefold() == key.strip().casefold()]
    if by_name:
        return message + f"; did you mean {_q(by_name[0].api_name)} (field {_q(by_name[0].name)})?"
    close = difflib.get_close_matches(key, api_names, n=1, cutoff=0.6)
    if close:
        return message + f"; did you mean {_q(close[0])}?"
    if api_names:
        return message + f"; the fields are {_listing(api_names)}"
    return message + "; there are no fields"


def encode_values(
    specs: Iterable[FieldSpec],
    values: Mapping[str, Any],
    *,
    check_required: bool,
    user_emails: Mapping[int, str] | None = None,
    item: int | None = None,
) -> dict[str, Any]:
    """Check ``values`` (field api_name → Python value) against ``specs`` and encode them.

    Returns the body the server accepts (only the given keys). Raises
    :class:`~pneumatic_async.errors.InvalidValuesError` listing every problem (one
    :class:`~pneumatic_async.errors.FieldProblem` per field, with ``item`` when given): unknown
    api_names (with a "did you mean"), values of the wrong form, explicit empty values for
    required fields and, when ``check_required``, required fields left out. Integer user ids are
    looked up in ``user_emails`` (see :func:`user_ids_in` and ``client.users.emails_by_id``).
    """
    index = SpecIndex.of(specs)
    fast_values = index.fast_values()
    if fast_values is not None and (sent := fast_values(values, check_required)) is not None:
        return sent  # every value an everyday valid one: nothing for the full check to say
    by_api_name = index.by_api_name
    emails: Mapping[int, str] = user_emails if user_emails is not None else {}
    problems: list[FieldProblem] = []
    encoded: dict[str, Any] = {}
    fast = index.fast
    checked: list[str] = []  # encoded the full way: their JSON form is checked below
    for key, value in values.items():
        encoder = fast.get(key) if type(key) is str else None
        if encoder is not None and (sent := encoder(value)) is not SLOW:
            encoded[key] = sent
            continue
        spec = by_api_name.get(key) if isinstance(key, str) else None
        if spec is None:
            message = (
                _unknown_field_message(key, index.specs)
                if isinstance(key, str)
                else f"field keys are api_name strings, got {_kind(key)}"
            )
            problems.append(FieldProblem(field=str(key), message=message, item=item))
            continue
        try:
            encoded[key] = _encode(spec, value, emails)
            checked.append(key)
        except _Invalid as exc:
            problems.append(FieldProblem(field=key, message=str(exc), item=item))
    if checked and not sendable({key: encoded[key] for key in checked}):
        for key in checked:  # rare: find the values the JSON encoder refuses, one by one
            not_sendable = unencodable(encoded[key])
            if not_sendable is not None:
                problems.append(FieldProblem(field=key, message=not_sendable, item=item))
    if check_required:
        for spec in index.required:
            if spec.api_name not in values:
                problems.append(
                    FieldProblem(
                        field=spec.api_name,
                        message=f"required field {_q(spec.name)} ({spec.type}) is missing",
                        item=item,
                    )
                )
    if problems:
        raise InvalidValuesError(problems)
    return encoded


def user_ids_in(specs: Iterable[FieldSpec], values: Mapping[str, Any]) -> set[int]:
    """The integer user ids given for ``user`` fields (to resolve to emails before encoding)."""
    found: set[int] = set()
    for name in SpecIndex.of(specs).user_fields:
        value = values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            found.add(value)
    return found
