"""Access to the real server's captured request/response pairs, kept in ``tests/data/real-server``.

The captures were copied from the project's API documents so that a fresh clone runs every test:
``responses/`` holds the numbered replay (and ``webhook-deliveries/``), ``checklists/`` the task
checklist pairs. Keys and session ids in them are placeholders.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

#: The captured real-server data, inside the repository.
REAL_SERVER = Path(__file__).resolve().parent / "data" / "real-server"
RESPONSES = REAL_SERVER / "responses"
DELIVERIES = RESPONSES / "webhook-deliveries"
CHECKLISTS = REAL_SERVER / "checklists"


@cache
def _load(folder: Path, name: str) -> dict[str, Any]:
    matches = sorted(folder.glob(f"{name}*.json"))
    if not matches:
        raise FileNotFoundError(f"no capture named {name!r} in {folder}")
    data: dict[str, Any] = json.loads(matches[0].read_text())
    return data


def capture(name: str) -> dict[str, Any]:
    """The capture whose file name starts with ``name`` (e.g. ``"80_templates_run_ok"``)."""
    return _load(RESPONSES, name)


def body(name: str) -> Any:
    """The response body of a capture."""
    return capture(name)["response"]["body"]


def checklist_capture(name: str) -> dict[str, Any]:
    """The checklist capture whose file name starts with ``name`` (e.g. ``"05_v2_tasks"``)."""
    return _load(CHECKLISTS, name)


def all_captures() -> list[dict[str, Any]]:
    """Every capture, in the order they were made."""
    files = sorted(RESPONSES.glob("*.json"), key=lambda p: int(p.name.split("_", 1)[0]))
    return [json.loads(p.read_text()) for p in files]


def deliveries() -> list[dict[str, Any]]:
    """Every webhook delivery the real server sent during the replay, in order."""
    return [json.loads(p.read_text()) for p in sorted(DELIVERIES.glob("*.json"))]
