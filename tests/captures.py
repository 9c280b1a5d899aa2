"""Access to the real server's captured request/response pairs in ``../shared/api-docs``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

#: ``../shared/api-docs`` beside the repository root.
API_DOCS = Path(__file__).resolve().parents[1].parent / "shared" / "api-docs"
RESPONSES = API_DOCS / "real-server" / "responses"

#: Skips a test only when the shared folder is absent (it is present in CI).
requires_shared = pytest.mark.skipif(
    not RESPONSES.is_dir(), reason=f"captured real responses not found at {RESPONSES}"
)


@cache
def _load(name: str) -> dict[str, Any]:
    matches = sorted(RESPONSES.glob(f"{name}*.json"))
    if not matches:
        raise FileNotFoundError(f"no capture named {name!r} in {RESPONSES}")
    data: dict[str, Any] = json.loads(matches[0].read_text())
    return data


def capture(name: str) -> dict[str, Any]:
    """The capture whose file name starts with ``name`` (e.g. ``"80_templates_run_ok"``)."""
    return _load(name)


def body(name: str) -> Any:
    """The response body of a capture."""
    return capture(name)["response"]["body"]


def all_captures() -> list[dict[str, Any]]:
    """Every capture, in the order they were made."""
    if not RESPONSES.is_dir():
        return []
    files = sorted(RESPONSES.glob("*.json"), key=lambda p: int(p.name.split("_", 1)[0]))
    return [json.loads(p.read_text()) for p in files]
