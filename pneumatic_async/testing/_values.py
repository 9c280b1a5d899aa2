"""Value formats of the fake server: field values (contract §5.5), dates, durations, markdown.

Pure functions; :func:`validate_value` raises :class:`~pneumatic_async.testing.errors.ApiError`
with the exact messages of the real server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, DecimalException
from functools import cache
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pneumatic_async.testing.errors import field_error, value_error
from pneumatic_async.testing.state import State, StoredField, StoredUser

__all__ = [
    "FieldData",
    "clear_markdown",
    "format_duration",
    "format_user_date",
    "insert_vars",
    "is_valid_url",
    "iso",
    "parse_duration",
    "parse_timestamp",
    "require_bool",
    "truncate",
    "validate_value",
]

STRING_LENGTH: Final = 140

VAR_PATTERN: Final = re.compile(r"{{\s*([^\{\}\s]+)\s*}}")
_BOLD: Final = re.compile(r"(?ms)\*{2}((?=[^\*\r\n]).*?[^\*\r\n])\*{2}")
_ITALIC: Final = re.compile(r"(?ms)\*((?=[^\*\r\n]).*?[^\*\r\n])\*")
_LINK: Final = re.compile(
    r"!?\[(?P<name>[^\]]+)\]\((?P<link>.*?)(?P<desc>\s*\"(?:.*[^\"])\"\s*)?\)"
)
_EMAIL: Final = re.compile(r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")
_HOST: Final = (
    r"(?:"
    r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
    r"|\[[0-9a-f:.]+\]"
    r"|(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?"
    r"(?:\.(?!-)[a-z0-9\u00a1-\uffff-]{1,63}(?<!-))*"
    r"\.(?!-)(?:[a-z\u00a1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?"
    r"|localhost)"
    r")"
)
_RELATIVE_URL: Final = re.compile(
    r"^(?:[^\s:@/]+(?::[^\s:@/]*)?@)?" + _HOST + r"(?::\d{2,5})?(?:[/?#][^\s]*)?\Z",
    re.IGNORECASE,
)
_URL_SCHEMES: Final = ("http", "https", "ftp", "ftps")
_DURATION: Final = re.compile(
    r"^(?:(?P<days>-?\d+) (days?, )?)?"
    r"(?P<sign>-?)"
    r"((?:(?P<hours>\d+):)(?=\d+:\d+))?"
    r"(?:(?P<minutes>\d+):)?"
    r"(?P<seconds>\d+)"
    r"(?:[\.,](?P<microseconds>\d{1,6})\d{0,6})?$"
)
_ISO_DURATION: Final = re.compile(
    r"^(?P<sign>[-+]?)P"
    r"(?:(?P<days>\d+(?:[\.,]\d+)?)D)?"
    r"(?:T"
    r"(?:(?P<hours>\d+(?:[\.,]\d+)?)H)?"
    r"(?:(?P<minutes>\d+(?:[\.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[\.,]\d+)?)S)?"
    r")?$"
)

DURATION_ERROR: Final = (
    "Duration has wrong format. Use one of these formats instead: [DD] [HH:[MM:]]ss[.uuuuuu]."
)
NUMERIC_EXPECTED: Final = "Numeric type expected."
TIMESTAMP_RANGE: Final = "An incorrect value has been passed in; a timestamp format is expected."


class FieldData(NamedTuple):
    """What a validated value stores."""

    value: str = ""
    markdown_value: str | None = ""
    clear_value: str | None = ""
    user_id: int | None = None
    group_id: int | None = None


# -- text helpers ----------------------------------------------------------------------------


def insert_vars(text: str | None, values: Mapping[str, str | None]) -> str | None:
    """Replace ``{{ name }}`` for the given names (other variables stay as they are)."""
    if not text or "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            value = values[name]
            return "" if value is None else str(value)
        return match.group(0)

    return VAR_PATTERN.sub(replace, text)


def truncate(name: str, length: int) -> str:
    """Cut to ``length`` characters ending with "…" (the server's ``string_abbreviation``)."""
    if len(name) > length:
        return name[: length - 1] + "…"
    return name


def clear_markdown(text: str) -> str:
    """Markdown → plain text (bold, italic, links and images), like ``MarkdownService.clear``."""
    if not any(ch in text for ch in "*[]"):
        return text
    for match in list(_BOLD.finditer(text)):
        text = text.replace(f"**{match.group(1)}**", match.group(1))
    for match in list(_ITALIC.finditer(text)):
        text = text.replace(f"*{match.group(1)}*", match.group(1))
    return _LINK.sub(lambda m: m.group("name"), text)


def is_valid_url(value: str) -> bool:
    """Django's URL validation, with the scheme optional (``NoSchemaURLValidator``)."""
    if "://" in value:
        scheme, _, rest = value.partition("://")
        if scheme.lower() not in _URL_SCHEMES:
            return False
        value = rest
    return _RELATIVE_URL.match(value) is not None


# -- dates -----------------------------------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_user_date(timestamp: float, user: StoredUser | None) -> str:
    """A timestamp in the user's date format (``MMM dd, yyy, p``): ``Nov 30, 2026, 03:24AM``."""
    zone = _zone(user.timezone if user is not None else "UTC")
    moment = datetime.fromtimestamp(timestamp, tz=UTC).astimezone(zone)
    return moment.strftime("%b %d, %Y, %I:%M%p")


def iso(timestamp: float | None) -> str | None:
    """DRF's ISO-8601 form (``2026-11-23T03:24:48.115369Z``)."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(name: str, value: Any, *, allow_null: bool = False) -> float | None:
    """A ``*_tsp`` input (int/float or numeric string) → float, or the field's 400 error."""
    if value is None:
        if allow_null:
            return None
        raise field_error(name, "This field may not be null.")
    if isinstance(value, bool):
        raise field_error(name, NUMERIC_EXPECTED)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise field_error(name, NUMERIC_EXPECTED) from None
    if not isinstance(value, int | float):
        raise field_error(name, NUMERIC_EXPECTED)
    try:
        datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise field_error(name, TIMESTAMP_RANGE) from None
    return float(value)


# -- durations -------------------------------------------------------------------------------


def parse_duration(value: Any) -> float | None:
    """A DRF duration (``"HH:MM:SS"``, ``"D HH:MM:SS"``, ISO ``P1DT2H``) → seconds, or None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DURATION.match(text)
    if match:
        parts = match.groupdict()
        sign = -1 if parts.pop("sign") == "-" else 1
        micro = (parts.pop("microseconds") or "0").ljust(6, "0")
        days = float(parts.pop("days") or 0)
        total = timedelta(
            hours=float(parts["hours"] or 0),
            minutes=float(parts["minutes"] or 0),
            seconds=float(parts["seconds"] or 0),
            microseconds=float(micro),
        )
        return days * 86400 + sign * total.total_seconds()
    match = _ISO_DURATION.match(text)
    if match and text not in ("P", "PT"):
        parts = match.groupdict()
        sign = -1 if parts.pop("sign") == "-" else 1
        seconds = sum(
            float((parts[key] or "0").replace(",", ".")) * factor
            for key, factor in (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))
        )
        return sign * seconds
    return None


def format_duration(seconds: float) -> str:
    """Seconds → DRF's duration string (``"01:00:00"``, ``"1 00:00:00"``)."""
    delta = timedelta(seconds=seconds)
    days, rest = delta.days, delta.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days:
        text = f"{days} {text}"
    if delta.microseconds:
        text += f".{delta.microseconds:06d}"
    return text


# -- field values ----------------------------------------------------------------------------


def _file_link(file_service_url: str) -> re.Pattern[str]:
    return _file_link_cached(file_service_url.rstrip("/"))


@cache
def _file_link_cached(base: str) -> re.Pattern[str]:
    return re.compile(r"^\[([^\]]+)\]\((" + re.escape(base) + r"/([^)\s]+))\)$")


def validate_value(
    definition: StoredField,
    raw: Any,
    *,
    state: State,
    user: StoredUser | None,
    file_service_url: str,
) -> FieldData:
    """Validate a kickoff/output value for a field and return what is stored.

    Raises the 400 ``ApiError`` (``details.api_name``) the real server answers with.
    """
    api_name = definition.api_name
    if raw is None or (isinstance(raw, str | list) and len(raw) == 0):
        if definition.is_required:
            raise value_error(api_name, "Please fill in the required fields.")
        return FieldData()
    kind = definition.type
    if kind in ("string", "text"):
        if not isinstance(raw, str):
            raise value_error(api_name, "Value should be a string.")
        if kind == "string" and len(raw) > STRING_LENGTH:
            raise value_error(
                api_name,
                f"The value of the field exceeds the limit of {STRING_LENGTH} characters.",
            )
        return FieldData(raw, raw, clear_markdown(raw))
    if kind == "number":
        try:
            number = Decimal(raw)
        except (TypeError, ValueError, DecimalException):
            raise value_error(api_name, "The value must be a number.") from None
        return FieldData(str(number), str(number), str(number))
    if kind == "date":
        if not isinstance(raw, int | float):
            raise value_error(
                api_name, "The date value must be an integer or a floating-point number."
            )
        try:
            formatted = format_user_date(float(raw), user)
        except (OverflowError, OSError, ValueError):
            raise value_error(
                api_name, "The date value must be an integer or a floating-point number."
            ) from None
        return FieldData(str(raw), formatted, formatted)
    if kind == "url":
        if not isinstance(raw, str):
            raise value_error(api_name, "URL field value should be a string.")
        if not is_valid_url(raw):
            raise value_error(api_name, "The URL is invalid.")
        return FieldData(raw, f"[{definition.name}]({raw})", raw)
    if kind in ("radio", "dropdown"):
        if not isinstance(raw, str) or raw not in definition.selection_values:
            raise value_error(api_name, "A selection with the given value does not exist.")
        return FieldData(raw, raw, clear_markdown(raw))
    if kind == "checkbox":
        if not isinstance(raw, list):
            raise value_error(api_name, "Checkbox value should be a list.")
        if not all(isinstance(item, str) for item in raw):
            raise value_error(api_name, "Checkbox value contains invalid selections.")
        if not set(raw) <= set(definition.selection_values):
            raise value_error(api_name, "Checkbox value contains non existent selections.")
        joined = ", ".join(raw)
        return FieldData(joined, joined, clear_markdown(joined))
    if kind == "user":
        return _user_value(definition, raw, state)
    if kind == "file":
        return _file_value(definition, raw, file_service_url)
    raise value_error(api_name, "Value should be a string.")


def _user_value(definition: StoredField, raw: Any, state: State) -> FieldData:
    if isinstance(raw, str):
        if _EMAIL.match(raw):
            found = state.user_by_email(raw)
            if found is not None and found.status != "inactive":
                return FieldData(found.name, found.name, found.name, user_id=found.id)
        else:
            group = state.group_by_name(raw)
            if group is not None:
                return FieldData(group.name, group.name, group.name, group_id=group.id)
    raise value_error(
        definition.api_name, 'The user or group specified for a "User" field does not exist.'
    )


def _file_value(definition: StoredField, raw: Any, file_service_url: str) -> FieldData:
    message = "File value should be a list of Markdown links."
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise value_error(definition.api_name, message)
    pattern = _file_link(file_service_url)
    urls, links = [], []
    for item in (item.strip() for item in raw):
        if not item:
            continue
        match = pattern.match(item)
        if match is None:
            raise value_error(definition.api_name, message)
        urls.append(match.group(2))
        links.append(item)
    if definition.is_required and not urls:
        raise value_error(definition.api_name, message)
    value = ", ".join(urls)
    return FieldData(value, ", ".join(links), value)


def require_bool(name: str, value: Any) -> bool:
    """A DRF ``BooleanField`` input (bools, 0/1, "true"/"false", ...)."""
    if value is None:
        raise field_error(name, "This field may not be null.")
    if isinstance(value, bool):
        return value
    truthy = {"true", "True", "TRUE", "1", "yes", "on", "y", "t", 1}
    falsy = {"false", "False", "FALSE", "0", "no", "off", "n", "f", 0}
    if isinstance(value, str | int) and not isinstance(value, bool):
        if value in truthy:
            return True
        if value in falsy:
            return False
    raise field_error(name, "Must be a valid boolean.")
