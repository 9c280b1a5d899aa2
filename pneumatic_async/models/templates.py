"""Templates: the detail (``GET/POST/PUT /templates[/<id>]``), list items, fields and steps.

The same classes build request bodies: every key the server assigns (``api_name``, ``id``,
``label``, an owner's missing ``role``) defaults to ``None`` and is left out when unstructured,
so ``unstructure(NewTemplate(...))`` is a valid ``POST /templates`` body and
``unstructure(template)`` of a fetched one a valid ``PUT`` body.

Inactive templates are drafts: the server returns the raw draft JSON, which may lack most keys;
every key a draft may omit has a default here.
"""

import enum
from datetime import datetime
from typing import Any, ClassVar

import attrs

from pneumatic_async.models.common import OMIT_IF_NONE, FieldType, PerformerType

__all__ = [
    "Checklist",
    "ChecklistSelection",
    "Condition",
    "ConditionAction",
    "DueDateRule",
    "Field",
    "Kickoff",
    "NewTemplate",
    "Owner",
    "OwnerRole",
    "Predicate",
    "PredicateFieldType",
    "PredicateOperator",
    "RawDueDate",
    "RawPerformer",
    "RawPerformerType",
    "Rule",
    "Selection",
    "Template",
    "TemplateFieldInfo",
    "TemplateFields",
    "TemplateFieldsKickoff",
    "TemplateFieldsTask",
    "TemplateListField",
    "TemplateListItem",
    "TemplateListKickoff",
    "TemplateStep",
    "TemplateTask",
]


class OwnerRole(enum.StrEnum):
    """A template owner's ``role``."""

    OWNER = "owner"
    VIEWER = "viewer"
    STARTER = "starter"


class RawPerformerType(enum.StrEnum):
    """How a template task's performer is chosen."""

    USER = "user"
    GROUP = "group"
    WORKFLOW_STARTER = "workflow_starter"
    FIELD = "field"
    MANAGER = "manager"


class DueDateRule(enum.StrEnum):
    """What a task's relative due date counts from (the server's values contain spaces)."""

    BEFORE_FIELD = "before field"
    AFTER_FIELD = "after field"
    AFTER_WORKFLOW_STARTED = "after workflow started"
    AFTER_TASK_STARTED = "after task started"
    AFTER_TASK_COMPLETED = "after task completed"


class ConditionAction(enum.StrEnum):
    """What a task condition does when it matches."""

    SKIP_TASK = "skip_task"
    START_TASK = "start_task"
    END_PROCESS = "end_process"


class PredicateOperator(enum.StrEnum):
    """A condition predicate's ``operator``."""

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    MORE_THAN = "more_than"
    LESS_THAN = "less_than"
    COMPLETED = "completed"
    SKIPPED = "skipped"
    COMPLETED_OR_SKIPPED = "completed_or_skipped"


class PredicateFieldType(enum.StrEnum):
    """A predicate's ``field_type``: a field type, or ``task``/``kickoff``/``group``."""

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
    GROUP = "group"
    TASK = "task"
    KICKOFF = "kickoff"


@attrs.frozen(kw_only=True)
class Owner:
    """A template owner, viewer or starter; ``source_id`` is the user/group id as a string."""

    type: PerformerType | str
    source_id: str
    role: OwnerRole | str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Selection:
    """A radio/checkbox/dropdown choice of a template field: its value text and api_name."""

    value: str
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Field:
    """A kickoff or task field of a template (``selections``/``dataset`` only for choice types)."""

    name: str
    type: FieldType | str
    order: int
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)
    description: str | None = None
    is_required: bool = False
    is_hidden: bool = False
    default: str = ""
    selections: list[Selection] = attrs.Factory(list)
    dataset: int | None = None


@attrs.frozen(kw_only=True)
class Kickoff:
    """A template's kickoff form: its fields (and fieldsets, kept as the server sent them)."""

    fields: list[Field] = attrs.Factory(list)
    fieldsets: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class RawPerformer:
    """A template task's performer rule; ``source_id`` is a user/group id string, a field or task
    api_name, or ``None`` for the workflow starter; ``label`` is read-only."""

    type: RawPerformerType | str
    source_id: str | None = None
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)
    label: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class RawDueDate:
    """A template task's relative due date (``duration`` is ``"HH:MM:SS"`` or ``"D HH:MM:SS"``)."""

    duration: str
    rule: DueDateRule | str
    duration_months: int = 0
    source_id: str | None = None
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Predicate:
    """One test of a condition rule; ``field`` is a field or task api_name (None for kickoff)."""

    field_type: PredicateFieldType | str
    operator: PredicateOperator | str
    field: str | None = None
    value: str | None = None
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Rule:
    """A condition rule: it passes when all of its predicates pass."""

    predicates: list[Predicate] = attrs.Factory(list)
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Condition:
    """A template task condition: it matches when any of its rules passes."""

    action: ConditionAction | str
    rules: list[Rule] = attrs.Factory(list)
    order: int | None = None
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class ChecklistSelection:
    """An item of a template task checklist."""

    value: str
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class Checklist:
    """A template task checklist (the key is ``selections``; the docs' ``selecions`` is a typo)."""

    selections: list[ChecklistSelection] = attrs.Factory(list)
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)


@attrs.frozen(kw_only=True)
class TemplateTask:
    """A task of a template (``Template.tasks``); ``parents``/``ancestors`` are read-only."""

    name: str
    number: int
    id: int | None = attrs.field(default=None, metadata=OMIT_IF_NONE)
    api_name: str | None = attrs.field(default=None, metadata=OMIT_IF_NONE)
    description: str | None = None
    require_completion_by_all: bool = False
    skip_for_starter: bool = False
    delay: str | None = None
    fields: list[Field] = attrs.Factory(list)
    fieldsets: list[dict[str, Any]] = attrs.Factory(list)
    conditions: list[Condition] = attrs.Factory(list)
    raw_performers: list[RawPerformer] = attrs.Factory(list)
    checklists: list[Checklist] = attrs.Factory(list)
    raw_due_date: RawDueDate | None = None
    revert_task: str | None = None
    parents: list[str] = attrs.Factory(list)
    ancestors: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class Template:
    """A template as ``GET /templates/<id>``, ``POST /templates`` and ``PUT`` return it.

    ``date_updated`` is the server's legacy ISO string (kept as sent); ``date_updated_tsp`` the
    same instant. Drafts (``is_active`` false) may lack most keys.
    """

    id: int
    is_active: bool
    name: str = ""
    wf_name_template: str | None = None
    description: str | None = None
    owners: list[Owner] = attrs.Factory(list)
    kickoff: Kickoff = attrs.Factory(Kickoff)
    tasks: list[TemplateTask] = attrs.Factory(list)
    is_public: bool = False
    is_embedded: bool = False
    public_url: str | None = None
    embed_url: str | None = None
    public_success_url: str | None = None
    finalizable: bool = False
    updated_by: int | None = None
    date_updated: str | None = None
    date_updated_tsp: datetime | None = None
    reminder_notification: bool = False
    completion_notification: bool = False


@attrs.frozen(kw_only=True)
class NewTemplate:
    """A ``POST /templates`` (or full ``PUT``) body: ``unstructure(NewTemplate(...))``.

    An active template needs an owner with an explicit ``role="owner"`` for the caller, a
    ``kickoff`` (sent even when empty) and at least one task with performers; ``is_active=False``
    saves an unvalidated draft.
    """

    __request_model__: ClassVar[bool] = True

    name: str
    owners: list[Owner]
    tasks: list[TemplateTask]
    kickoff: Kickoff = attrs.Factory(Kickoff)
    is_active: bool = True
    description: str | None = None
    wf_name_template: str | None = None
    is_public: bool | None = None
    is_embedded: bool | None = None
    public_success_url: str | None = None
    finalizable: bool | None = None
    reminder_notification: bool | None = None
    completion_notification: bool | None = None


@attrs.frozen(kw_only=True)
class TemplateListField:
    """A kickoff field of a template list item (``selections`` are plain value strings)."""

    name: str
    type: FieldType | str
    api_name: str
    order: int = 0
    description: str = ""
    is_required: bool = False
    is_hidden: bool = False
    default: str = ""
    selections: list[str] = attrs.Factory(list)
    dataset: int | None = None


@attrs.frozen(kw_only=True)
class TemplateListKickoff:
    """The kickoff of a template list item."""

    fields: list[TemplateListField] = attrs.Factory(list)
    fieldsets: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TemplateListItem:
    """An item of ``GET /templates``; ``workflows_count`` only with ``ordering=usage/-usage``."""

    id: int
    name: str
    is_active: bool
    wf_name_template: str | None = None
    description: str | None = None
    is_public: bool = False
    is_embedded: bool = False
    tasks_count: int = 0
    owners: list[Owner] = attrs.Factory(list)
    kickoff: TemplateListKickoff = attrs.Factory(TemplateListKickoff)
    is_editable: bool = False
    workflows_count: int | None = None


@attrs.frozen(kw_only=True)
class TemplateFieldInfo:
    """A field as ``GET /templates/<id>/fields`` describes it (no value, no selections)."""

    name: str
    type: FieldType | str
    api_name: str
    order: int = 0
    description: str | None = None
    is_hidden: bool = False
    is_required: bool | None = None


@attrs.frozen(kw_only=True)
class TemplateFieldsKickoff:
    """The kickoff part of ``GET /templates/<id>/fields``."""

    fields: list[TemplateFieldInfo] = attrs.Factory(list)
    fieldsets: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TemplateFieldsTask:
    """A task of ``GET /templates/<id>/fields`` with its output fields."""

    name: str
    number: int
    api_name: str
    fields: list[TemplateFieldInfo] = attrs.Factory(list)
    fieldsets: list[dict[str, Any]] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TemplateFields:
    """Every field of a template, by kickoff and task: ``GET /templates/<id>/fields``."""

    id: int
    kickoff: TemplateFieldsKickoff = attrs.Factory(TemplateFieldsKickoff)
    tasks: list[TemplateFieldsTask] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class TemplateStep:
    """A task (step) name of a template: an item of ``GET /templates/<id>/steps``."""

    name: str
    api_name: str
    number: int | None = None
