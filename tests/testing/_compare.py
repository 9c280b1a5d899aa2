"""Structural comparison of JSON answers (the fake's against the real server's captures)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def load_capture(path: Path) -> dict[str, Any]:
    """One capture file (request, response) as a dict."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (ints and floats are told apart)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Structural differences: key sets, JSON types and list lengths at every level."""
    if json_type(expected) != json_type(actual):
        return [f"{path}: {json_type(expected)} != {json_type(actual)}"]
    if isinstance(expected, dict):
        found = []
        if set(expected) != set(actual):
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            found.append(f"{path}: keys missing {missing}, extra {extra}")
        for key in sorted(set(expected) & set(actual)):
            found.extend(differences(expected[key], actual[key], f"{path}.{key}"))
        return found
    if isinstance(expected, list):
        found = []
        if len(expected) != len(actual):
            found.append(f"{path}: {len(expected)} items != {len(actual)}")
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found.extend(differences(left, right, f"{path}[{index}]"))
        return found
    return []


#: Keys whose values the fake cannot reproduce: times, generated names and URLs, cookies.
VOLATILE_KEYS = re.compile(
    r"(_tsp|^created|^updated|^date_updated|^date_completed|^date_started|^date_created"
    r"|^start_date|^end_date|^estimated_end_date|_url|^api_name)$"
)


def value_differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Values that differ, key by key (volatile keys skipped; lists compared item by item)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) & set(actual)):
            if not VOLATILE_KEYS.search(key):
                found += value_differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found += value_differences(left, right, f"{path}[{index}]")
        return found
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]
