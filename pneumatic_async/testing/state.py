"""The fake server's in-memory store: plain objects and id-keyed dicts.

Every entity kind has its own id counter starting at 1 (like the database sequences of the real
server); a counter value, once taken, is never reused, even when the operation that took it failed
(the real server consumes sequence values inside rolled-back transactions too).

Nothing here knows about HTTP: handlers and the engine read and mutate these objects directly, and
the serializers turn them into the JSON shapes of the API. All lookups by id are dict lookups.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "State",
    "StoredApiKey",
    "StoredDelay",
    "StoredEvent",
    "StoredField",
    "StoredFieldValue",
    "StoredGroup",
    "StoredPerformer",
    "StoredTask",
    "StoredTemplate",
    "StoredTemplateTask",
    "StoredUser",
    "StoredWorkflow",
]

#: Workflow statuses (ints on the wire).
RUNNING: Final = 0
DONE: Final = 1
SNOOZED: Final = 3

_API_NAME_ALPHABET: Final = string.ascii_lowercase + string.digits


@dataclass(slots=True, eq=False)
class StoredUser:
    """An account user (``type`` ``"user"`` or ``"guest"``)."""

    id: int
    email: str
    first_name: str
    last_name: str
    date_joined: float
    is_admin: bool = False
    is_account_owner: bool = False
    status: str = "active"
    type: str = "user"
    phone: str | None = None
    photo: str | None = None
    language: str = "en"
    timezone: str = "UTC"
    date_fmt: str = "MMM dd, yyy, p"
    date_fdw: int = 0
    manager_id: int | None = None
    invited_by: int | None = None
    invite_id: str | None = None

    @property
    def name(self) -> str:
        """``"First Last"`` (the display name used in values and labels)."""
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(slots=True, eq=False)
class StoredGroup:
    """A user group."""

    id: int
    name: str
    user_ids: list[int] = field(default_factory=list)
    photo: str = ""


@dataclass(slots=True, eq=False)
class StoredApiKey:
    """An API key (``token`` is the raw ``pn-`` key)."""

    id: int
    name: str
    token: str
    user_id: int
    date_created: float
    is_active: bool = True
    last_used_at: float | None = None
    expires_at: float | None = None


@dataclass(slots=True, eq=False)
class StoredField:
    """A template field (kickoff or task output)."""

    api_name: str
    name: str
    type: str
    order: int
    is_required: bool = False
    is_hidden: bool = False
    description: str | None = None
    default: str = ""
    selections: list[dict[str, str]] = field(default_factory=list)
    dataset: int | None = None

    @property
    def selection_values(self) -> list[str]:
        """The selection value texts, in template order."""
        return [s["value"] for s in self.selections]


@dataclass(slots=True, eq=False)
class StoredTemplateTask:
    """A task of a template. ``conditions``, ``raw_performers``, ``checklists`` and
    ``raw_due_date`` are kept in their normalized JSON form (without labels)."""

    id: int
    api_name: str
    number: int
    name: str
    description: str | None = None
    require_completion_by_all: bool = False
    skip_for_starter: bool = False
    delay: float | None = None
    fields: list[StoredField] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    raw_performers: list[dict[str, Any]] = field(default_factory=list)
    checklists: list[dict[str, Any]] = field(default_factory=list)
    raw_due_date: dict[str, Any] | None = None
    revert_task: str | None = None
    parents: list[str] = field(default_factory=list)
    ancestors: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class StoredTemplate:
    """A template; inactive templates keep their raw ``draft`` JSON."""

    id: int
    name: str
    date_updated: float
    updated_by: int | None
    public_id: str
    embed_id: str
    description: str = ""
    wf_name_template: str | None = None
    is_active: bool = False
    is_public: bool = False
    is_embedded: bool = False
    finalizable: bool = False
    public_success_url: str | None = None
    reminder_notification: bool = False
    completion_notification: bool = False
    owners: list[dict[str, str]] = field(default_factory=list)
    kickoff_fields: list[StoredField] = field(default_factory=list)
    tasks: list[StoredTemplateTask] = field(default_factory=list)
    draft: dict[str, Any] | None = None
    date_created: float = 0.0
    workflows_count: int = 0

    def task(self, api_name: str) -> StoredTemplateTask | None:
        """The template task with this api_name."""
        return next((t for t in self.tasks if t.api_name == api_name), None)


@dataclass(slots=True, eq=False)
class StoredFieldValue:
    """A field of a running workflow (kickoff or task output) with its current value."""

    id: int
    definition: StoredField
    workflow_id: int
    task_id: int | None = None
    kickoff_id: int | None = None
    value: str = ""
    markdown_value: str | None = None
    clear_value: str | None = None
    user_id: int | None = None
    group_id: int | None = None

    @property
    def api_name(self) -> str:
        """The field's api_name."""
        return self.definition.api_name


@dataclass(slots=True, eq=False)
class StoredPerformer:
    """A performer of a task: a user or a group."""

    type: str
    source_id: int
    is_completed: bool = False
    date_completed: float | None = None


@dataclass(slots=True, eq=False)
class StoredDelay:
    """A task delay (template ``delay`` or a snooze)."""

    id: int
    duration: float
    start_date: float | None = None
    end_date: float | None = None
    estimated_end_date: float | None = None
    directly: bool = False


@dataclass(slots=True, eq=False)
class StoredTask:
    """A task of a workflow."""

    id: int
    workflow: StoredWorkflow
    template_task: StoredTemplateTask
    name: str
    description: str | None
    status: str = "pending"
    date_started: float | None = None
    date_first_started: float | None = None
    date_completed: float | None = None
    due_date: float | None = None
    is_urgent: bool = False
    performers: list[StoredPerformer] = field(default_factory=list)
    #: Group members who completed a ``require_completion_by_all`` task (user id → time).
    group_user_completions: dict[int, float] = field(default_factory=dict)
    fields: list[StoredFieldValue] = field(default_factory=list)
    checklists: list[dict[str, Any]] = field(default_factory=list)
    delay: StoredDelay | None = None
    contains_comments: bool = False

    @property
    def api_name(self) -> str:
        """The template task's api_name."""
        return self.template_task.api_name

    @property
    def number(self) -> int:
        """The template task's number."""
        return self.template_task.number

    @property
    def parents(self) -> list[str]:
        """Api names of the tasks whose completion starts this one."""
        return self.template_task.parents


@dataclass(slots=True, eq=False)
class StoredWorkflow:
    """A running (or finished) workflow."""

    id: int
    name: str
    template: StoredTemplate
    date_created: float
    kickoff_id: int
    description: str | None = None
    status: int = RUNNING
    finalizable: bool = False
    is_external: bool = False
    is_urgent: bool = False
    date_completed: float | None = None
    workflow_starter: int | None = None
    ancestor_task_id: int | None = None
    due_date: float | None = None
    kickoff_fields: list[StoredFieldValue] = field(default_factory=list)
    tasks: list[StoredTask] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    events: list[StoredEvent] = field(default_factory=list)
    deleted: bool = False

    def task(self, api_name: str) -> StoredTask | None:
        """The workflow's task with this api_name."""
        for task in self.tasks:
            if task.template_task.api_name == api_name:
                return task
        return None

    def field_value(self, api_name: str) -> StoredFieldValue | None:
        """The kickoff or task field with this api_name."""
        for value in self.kickoff_fields:
            if value.definition.api_name == api_name:
                return value
        for task in self.tasks:
            for value in task.fields:
                if value.definition.api_name == api_name:
                    return value
        return None

    def all_fields(self) -> list[StoredFieldValue]:
        """Kickoff fields then every task's fields."""
        result = list(self.kickoff_fields)
        for task in self.tasks:
            result.extend(task.fields)
        return result


@dataclass(slots=True, eq=False)
class StoredEvent:
    """A workflow event (``type`` as in the API's ``WorkflowEventType``)."""

    id: int
    type: int
    workflow_id: int
    created: float
    task_json: dict[str, Any] | None = None
    delay_json: dict[str, Any] | None = None
    user_id: int | None = None
    text: str | None = None
    task_id: int | None = None
    target_user_id: int | None = None
    target_group_id: int | None = None


class State:
    """Everything the fake server stores, with O(1) lookups by id and by key token."""

    def __init__(self, *, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._counters: defaultdict[str, int] = defaultdict(int)
        self.users: dict[int, StoredUser] = {}
        self.users_by_email: dict[str, StoredUser] = {}
        self.groups: dict[int, StoredGroup] = {}
        self.api_keys: dict[int, StoredApiKey] = {}
        self.api_keys_by_token: dict[str, StoredApiKey] = {}
        #: Session (login) tokens → user id; they authenticate as ``Bearer`` too.
        self.sessions: dict[str, int] = {}
        self.templates: dict[int, StoredTemplate] = {}
        self.workflows: dict[int, StoredWorkflow] = {}
        self.tasks: dict[int, StoredTask] = {}
        #: Webhook subscriptions: event → hooks ``{"id", "event", "target", "user_id"}``.
        self.webhooks: dict[str, list[dict[str, Any]]] = {}
        #: Embedded workflows by the id of their ancestor task.
        self.sub_workflows: dict[int, list[StoredWorkflow]] = {}
        #: The task of every workflow checklist, by checklist id.
        self.checklist_tasks: dict[int, StoredTask] = {}
        self.owner_id: int = 0

    def next_id(self, kind: str) -> int:
        """Take the next id of an entity kind (1, 2, 3, ...)."""
        self._counters[kind] += 1
        return self._counters[kind]

    def api_name(self, prefix: str) -> str:
        """A generated api_name ``<prefix>-<6 lowercase letters/digits>``."""
        return prefix + "-" + "".join(self.rng.choices(_API_NAME_ALPHABET, k=6))

    def token(self, length: int) -> str:
        """A url-safe random token (seeded)."""
        alphabet = string.ascii_letters + string.digits + "-_"
        return "".join(self.rng.choices(alphabet, k=length))

    @property
    def owner(self) -> StoredUser:
        """The account owner."""
        return self.users[self.owner_id]

    def user_by_email(self, email: str) -> StoredUser | None:
        """Case-insensitive email lookup."""
        return self.users_by_email.get(email.lower())

    def group_by_name(self, name: str) -> StoredGroup | None:
        """Case-insensitive group name lookup."""
        lowered = name.lower()
        return next((g for g in self.groups.values() if g.name.lower() == lowered), None)

    def groups_of(self, user_id: int) -> list[int]:
        """Ids of the groups the user belongs to."""
        return [g.id for g in self.groups.values() if user_id in g.user_ids]
