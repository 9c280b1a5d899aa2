"""The delivery key: what makes two webhook deliveries "the same delivery".

The server sends no delivery id, and the ``hook.id`` differs between hooks that receive the same
event. What stays the same between a delivery, its retries and the duplicates the server sends
(its retry re-runs the loop over every hook of the event) is the payload, computed once when the
event happened. The key is built from the event name, the object's ids and every timestamp in
the object: ``task_completed:task-6:workflow-8:3f0c1a...``. A task completed again after a return
has a new ``date_completed_tsp`` and so a new key; a workflow returned to and completed again has
a new ``date_completed_tsp`` too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from pneumatic_async._event_shapes import EVENT_ALIASES

__all__ = ["delivery_key"]

_TIMESTAMP_KEYS: Final = ("date_created", "date_started", "date_completed", "due_date")
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")


def _safe(value: Any) -> str:
    """``value`` as a short key part of letters, digits and ``_.-`` (bodies are untrusted)."""
    return _UNSAFE.sub("_", str(value))[:40]


def _is_timestamp(name: str) -> bool:
    return name.endswith("_tsp") or name in _TIMESTAMP_KEYS


def _timestamps(value: Any, path: str, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, Mapping):
        for name, item in value.items():
            where = f"{path}.{name}"
            if _is_timestamp(str(name)):
                out.append((where, item))
            elif isinstance(item, Mapping | list):
                _timestamps(item, where, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _timestamps(item, f"{path}[{index}]", out)


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def delivery_key(payload: Mapping[str, Any]) -> str:
    """The delivery key of a decoded webhook body (``{"hook": {...}, ...}``): at most 170
    characters of letters, digits and ``_.:-``.

    Same key for a delivery, its retries and its copies to other hooks; a new key for each new
    occurrence of an event. Bodies of unknown events are keyed by everything but their ``hook``.
    """
    hook = payload.get("hook")
    event = str(hook.get("event")) if isinstance(hook, Mapping) else "unknown"
    event = _safe(EVENT_ALIASES.get(event, event))
    parts = [event]
    stamps: list[tuple[str, Any]] = []
    obj: Any = None
    for kind in ("task", "workflow", "process"):
        obj = payload.get(kind)
        if isinstance(obj, Mapping):
            parts.append(f"{'workflow' if kind == 'process' else kind}-{_safe(obj.get('id'))}")
            inner = obj.get("workflow")
            if kind == "task" and isinstance(inner, Mapping):
                parts.append(f"workflow-{_safe(inner.get('id'))}")
            _timestamps(obj, f"$.{kind}", stamps)
            break
    else:
        rest = {name: value for name, value in payload.items() if name != "hook"}
        return f"{event}:{_digest(rest)}"
    parts.append(_digest(sorted(stamps)))
    return ":".join(parts)
