"""Pieces shared by several areas: statuses, field types, performers, delays, task fields.

Shapes are those of the real server (``contract.md`` §6.2, §7.2), not of the public docs.
"""

import enum
from datetime import datetime

import attrs

__all__ = [
    "Delay",
    "FieldSet",
    "FieldType",
    "FieldsetLayout",
    "LabelPosition",
    "Performer",
    "PerformerType",
    "TaskField",
    "TaskStatus",
    "WorkflowStatus",
]

#: Field metadata: leave the key out when unstructuring if the value is ``None`` (server-assigned
#: keys such as ``api_name`` that a request may omit but must not send as ``null``).
OMIT_IF_NONE = {"omit_if_none": True}


class WorkflowStatus(enum.IntEnum):
    """A workflow's ``status``: 0 running, 1 done, 3 snoozed (there is no 2 any more)."""

    RUNNING = 0
    DONE = 1
    SNOOZED = 3


class TaskStatus(enum.StrEnum):
    """A task's ``status`` string."""

    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    SNOOZED = "snoozed"
    SKIPPED = "skipped"


class FieldType(enum.StrEnum):
    """The ``type`` of a kickoff or task output field."""

    STRING = "string"
    TEXT = "text"
    RADIO = "radio"
    CHECKBOX = "checkbox"
    DATE = "date"
    URL = "url"
    DROPDOWN = "dropdown"
    FILE = "file"
    USER = "user"
    NUMBER = "number"


class PerformerType(enum.StrEnum):
    """Who a performer or template owner is: a user or a group."""

    USER = "user"
    GROUP = "group"


class LabelPosition(enum.StrEnum):
    """Where a fieldset shows its field labels."""

    TOP = "top"
    LEFT = "left"


class FieldsetLayout(enum.StrEnum):
    """How a fieldset lays out its fields."""

    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"


@attrs.frozen(kw_only=True)
class Performer:
    """A task's performer (user or group) and whether they completed it (task/workflow bodies)."""

    source_id: int
    type: PerformerType | str
    is_completed: bool = False
    date_completed_tsp: datetime | None = None


@attrs.frozen(kw_only=True)
class Delay:
    """A task's delay (snooze); ``*_date`` are the server's legacy ISO strings, kept as sent."""

    id: int
    duration: str
    start_date: str | None = None
    start_date_tsp: datetime | None = None
    end_date: str | None = None
    end_date_tsp: datetime | None = None
    estimated_end_date: str | None = None
    estimated_end_date_tsp: datetime | None = None


@attrs.frozen(kw_only=True)
class TaskField:
    """A kickoff or task output field with its value (workflow ``kickoff.output``, task ``output``).

    ``value`` is the stored text (a date as epoch-seconds text, a checkbox as ``", "``-joined
    values); ``selections`` are the selection value strings of radio/checkbox/dropdown fields.
    """

    id: int
    api_name: str
    name: str
    type: FieldType | str
    order: int = 0
    is_required: bool = False
    is_hidden: bool = False
    description: str | None = None
    value: str = ""
    markdown_value: str | None = None
    clear_value: str | None = None
    user_id: int | None = None
    group_id: int | None = None
    selections: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class FieldSet:
    """A group of output fields of a workflow kickoff or task (``fieldsets`` in those bodies)."""

    id: int
    api_name: str
    name: str
    title: str | None = None
    description: str | None = None
    order: int | None = None
    label_position: LabelPosition | str | None = None
    layout: FieldsetLayout | str | None = None
    fields: list[TaskField] = attrs.Factory(list)
