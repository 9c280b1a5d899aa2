"""Template create/update as the real server validates it (contract §5.4).

:func:`save_template` turns a ``POST /templates`` / ``PUT /templates/<id>`` body into a
:class:`~pneumatic_async.testing.state.Template` stored in the state, or raises the first
validation error as :class:`~pneumatic_async.testing.errors.ApiError`:

* falsy ``is_active`` → saved as a draft without validation (the raw JSON is kept);
* otherwise: name → ``wf_name_template`` variables → tasks (present, numbered 1..N, revert
  targets) → kickoff present → owners → then, after the template id is taken (like the real
  server, which creates the row before validating nested objects), fields, performers,
  conditions, delays, due dates and variables of every task.
"""

from __future__ import annotations

from typing import Any, Final

from pneumatic_async.testing._values import (
    DURATION_ERROR,
    VAR_PATTERN,
    parse_duration,
    truncate,
)
from pneumatic_async.testing.errors import (
    ApiError,
    field_error,
    service_error,
    value_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredField,
    StoredTemplate,
    StoredTemplateTask,
    StoredUser,
)

__all__ = ["FIELD_TYPES", "save_template"]

TEMPLATE_NAME_LENGTH: Final = 120
TASK_NAME_LENGTH: Final = 280
FIELD_TYPES: Final = (
    "string",
    "text",
    "radio",
    "checkbox",
    "date",
    "url",
    "dropdown",
    "file",
    "user",
    "number",
)
SELECTION_TYPES: Final = ("radio", "checkbox", "dropdown")
TASK_OPERATORS: Final = frozenset({"completed", "skipped", "completed_or_skipped"})
UNARY_OPERATORS: Final = frozenset(
    {"exists", "not_exists", "completed", "skipped", "completed_or_skipped"}
)
_EQ: Final = ("equals", "not_equals", "exists", "not_exists")
ALLOWED_OPERATORS: Final[dict[str, tuple[str, ...]]] = {
    "kickoff": ("completed",),
    "task": ("completed", "skipped", "completed_or_skipped"),
    "user": _EQ,
    "group": _EQ,
    "radio": _EQ,
    "dropdown": _EQ,
    "file": ("exists", "not_exists"),
    "string": (*_EQ, "contains", "not_contains"),
    "text": (*_EQ, "contains", "not_contains"),
    "url": (*_EQ, "contains", "not_contains"),
    "checkbox": (*_EQ, "contains", "not_contains"),
    "date": (*_EQ, "more_than", "less_than"),
    "number": (*_EQ, "more_than", "less_than"),
}
DUE_DATE_RULES: Final = (
    "before field",
    "after field",
    "after workflow started",
    "after task started",
    "after task completed",
)
SYSTEM_VARS: Final = frozenset({"date", "template-name", "workflow-starter", "workflow-id"})
PERFORMER_TYPES: Final = ("user", "group", "workflow_starter", "field", "manager")


def save_template(
    state: State,
    body: Any,
    *,
    user: StoredUser,
    now: float,
    existing: StoredTemplate | None = None,
) -> StoredTemplate:
    """Validate ``body`` and create (or update ``existing``) a template in ``state``."""
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise field_error(
            "non_field_errors", f"Invalid data. Expected a dictionary, but got {kind}."
        )
    if not body.get("is_active"):
        return _save_draft(state, body, user=user, now=now, existing=existing)
    return _Builder(state, body, user=user, now=now, existing=existing).save()


# -- drafts ----------------------------------------------------------------------------------


def _save_draft(
    state: State,
    body: dict[str, Any],
    *,
    user: StoredUser,
    now: float,
    existing: StoredTemplate | None,
) -> StoredTemplate:
    data = dict(body)
    data["name"] = data.get("name", "")
    data["is_public"] = bool(data.get("is_public"))
    data["is_embedded"] = bool(data.get("is_embedded"))
    data["owners"] = _draft_owners(state, data, user)
    tasks = data.get("tasks") or []
    data["tasks"] = tasks if isinstance(tasks, list) else []
    plain_tasks = [t for t in data["tasks"] if isinstance(t, dict)]
    parents = _parents_by_task(plain_tasks)
    for task in plain_tasks:
        api_name = task.get("api_name")
        task["parents"] = parents.get(api_name, []) if api_name else []
        task["ancestors"] = _ancestors(api_name, parents, plain_tasks) if api_name else []
        task["fieldsets"] = task.get("fieldsets") or []
    kickoff = data.get("kickoff")
    if isinstance(kickoff, dict):
        kickoff = dict(kickoff)
        kickoff["fields"] = kickoff.get("fields", [])
        kickoff["fieldsets"] = kickoff.get("fieldsets") or []
    else:
        kickoff = {"fields": [], "fieldsets": []}
    data["is_active"] = False
    data["kickoff"] = kickoff
    name = data["name"] if isinstance(data["name"], str) and data["name"] else "New template"
    if existing is None:
        template = StoredTemplate(
            id=state.next_id("template"),
            name=truncate(name, TEMPLATE_NAME_LENGTH),
            date_updated=now,
            updated_by=user.id,
            public_id=state.token(8),
            embed_id=state.token(32),
            owners=[{**o, "role": o.get("role", "owner")} for o in data["owners"]],
            date_created=now,
        )
        state.templates[template.id] = template
    else:
        template = existing
        template.date_updated, template.updated_by = now, user.id
    template.is_active = False
    template.draft = data
    return template


def _draft_owners(state: State, data: dict[str, Any], user: StoredUser) -> list[dict[str, Any]]:
    result = []
    owners = data.get("owners")
    if isinstance(owners, list):
        for owner in owners:
            if (
                isinstance(owner, dict)
                and owner.get("source_id")
                and owner.get("type") in ("user", "group")
            ):
                owner = dict(owner)
                owner["api_name"] = owner.get("api_name") or state.api_name("owner")
                owner["source_id"] = str(owner["source_id"])
                result.append(owner)
    if not result:
        result = [{"source_id": str(user.id), "type": "user", "api_name": state.api_name("owner")}]
    return result


# -- graph helpers ---------------------------------------------------------------------------


def _parents_by_task(tasks: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Parents derived from ``start_task`` predicates on tasks (like ``get_tasks_parents``)."""
    available = {t.get("api_name") for t in tasks if t.get("api_name")}
    result: dict[str, list[str]] = {}
    for task in tasks:
        api_name = task.get("api_name")
        if not api_name:
            continue
        parents: list[str] = []
        for condition in _dicts(task.get("conditions")):
            if condition.get("action") != "start_task":
                continue
            for rule in _dicts(condition.get("rules")):
                for predicate in _dicts(rule.get("predicates")):
                    if (
                        predicate.get("operator") in TASK_OPERATORS
                        and predicate.get("field_type") == "task"
                        and predicate.get("field") in available
                        and predicate["field"] not in parents
                    ):
                        parents.append(predicate["field"])
        result[api_name] = parents
    return result


def _ancestors(
    api_name: str, parents: dict[str, list[str]], tasks: list[dict[str, Any]]
) -> list[str]:
    seen: set[str] = set()
    stack = list(parents.get(api_name, []))
    while stack:
        current = stack.pop()
        if current in seen or current == api_name:
            continue
        seen.add(current)
        stack.extend(parents.get(current, []))
    order = [t.get("api_name") for t in tasks]
    return sorted(seen, key=lambda name: order.index(name) if name in order else 0)


def _has_cycle(api_name: str, parents: dict[str, list[str]]) -> bool:
    seen: set[str] = set()
    stack = list(parents.get(api_name, []))
    while stack:
        current = stack.pop()
        if current == api_name:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(parents.get(current, []))
    return False


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _nested(api_name: str | None, field: str, message: str) -> ApiError:
    """A DRF error inside a nested entity: ``"<Field>: <message lower-cased>"`` (the real
    server capitalizes the field name and lower-cases the whole message)."""
    text = f"{field.capitalize()}: {message.lower()}"
    return value_error(api_name or "", text)


def _is_int_like(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()


# -- active templates ------------------------------------------------------------------------


class _Builder:
    """Validates an active template body and builds the template objects."""

    def __init__(
        self,
        state: State,
        body: dict[str, Any],
        *,
        user: StoredUser,
        now: float,
        existing: StoredTemplate | None,
    ) -> None:
        self.state = state
        self.body = body
        self.user = user
        self.now = now
        self.existing = existing

    def save(self) -> StoredTemplate:
        """Validate (first error wins) and store the template."""
        body = self.body
        name = self._name()
        description = self._description()
        wf_name_template = body.get("wf_name_template")
        if wf_name_template is not None and not isinstance(wf_name_template, str):
            raise field_error("wf_name_template", "Not a valid string.")
        tasks_data = self._tasks_data()
        kickoff = body.get("kickoff")
        if kickoff is not None and not isinstance(kickoff, dict):
            kind = type(kickoff).__name__
            raise field_error("kickoff", f"Invalid data. Expected a dictionary, but got {kind}.")
        owners_data = body.get("owners")
        if owners_data is not None and not isinstance(owners_data, list):
            kind = type(owners_data).__name__
            raise field_error("owners", f'Expected a list of items but got type "{kind}".')
        kickoff_fields_data = _dicts((kickoff or {}).get("fields"))
        self._validate_wf_name_template(wf_name_template, kickoff_fields_data)
        self._validate_tasks_top(tasks_data)
        if kickoff is None:
            raise field_error("kickoff", "Kickoff form data not provided.")
        owners = self._owners(owners_data or [])
        public_success_url = body.get("public_success_url")

        template = self.existing
        if template is None:
            template = StoredTemplate(
                id=self.state.next_id("template"),
                name=name,
                date_updated=self.now,
                updated_by=self.user.id,
                public_id=self.state.token(8),
                embed_id=self.state.token(32),
                date_created=self.now,
            )
        is_public = bool(body.get("is_public"))
        is_embedded = bool(body.get("is_embedded"))
        kickoff_fields = _last_by_api_name(
            self._fields(kickoff_fields_data, template, owner_name=None)
        )
        tasks = self._tasks(tasks_data, kickoff_fields, template, is_public or is_embedded)

        template.name = name
        template.description = description
        template.wf_name_template = wf_name_template or None
        template.is_active = True
        template.is_public = is_public
        template.is_embedded = is_embedded
        template.finalizable = bool(body.get("finalizable"))
        template.public_success_url = public_success_url
        template.reminder_notification = bool(body.get("reminder_notification"))
        template.completion_notification = bool(body.get("completion_notification"))
        template.owners = owners
        template.kickoff_fields = kickoff_fields
        template.tasks = tasks
        template.draft = None
        template.date_updated = self.now
        template.updated_by = self.user.id
        self.state.templates[template.id] = template
        return template

    # -- top level -------------------------------------------------------------------------

    def _name(self) -> str:
        if "name" not in self.body:
            raise field_error("name", "This field is required.")
        value = self.body["name"]
        if value is None:
            raise field_error("name", "This field may not be null.")
        if isinstance(value, bool | dict | list):
            raise field_error("name", "Not a valid string.")
        text = str(value).strip()
        if not text:
            raise field_error("name", "This field may not be blank.")
        if len(text) > TEMPLATE_NAME_LENGTH:
            raise field_error(
                "name", f"Ensure this field has no more than {TEMPLATE_NAME_LENGTH} characters."
            )
        return text

    def _description(self) -> str:
        value = self.body.get("description", "")
        if value is None:
            raise field_error("description", "This field may not be null.")
        if isinstance(value, bool | dict | list):
            raise field_error("description", "Not a valid string.")
        return str(value).strip()

    def _tasks_data(self) -> list[dict[str, Any]]:
        tasks = self.body.get("tasks")
        if tasks is not None and not isinstance(tasks, list):
            kind = type(tasks).__name__
            raise field_error("tasks", f'Expected a list of items but got type "{kind}".')
        result = []
        for task in tasks or []:
            if not isinstance(task, dict):
                raise field_error("tasks", "Invalid data. Expected a dictionary.")
            task = dict(task)
            if not task.get("api_name"):
                task["api_name"] = self.state.api_name("task")
            if "number" not in task or not _is_int_like(task["number"]):
                message = (
                    "This field is required."
                    if "number" not in task
                    else "A valid integer is required."
                )
                raise _nested(task["api_name"], "number", message)
            task["number"] = int(task["number"])
            result.append(task)
        return result

    def _validate_wf_name_template(
        self, value: str | None, kickoff_fields: list[dict[str, Any]]
    ) -> None:
        if not value:
            return
        names = {m.strip() for m in VAR_PATTERN.findall(value)}
        if not names:
            return
        used_system = bool(names & SYSTEM_VARS)
        names -= SYSTEM_VARS
        available = {f.get("api_name"): bool(f.get("is_required")) for f in kickoff_fields}
        if names - set(available):
            raise field_error(
                "wf_name_template", 'Some of fields in "workflow template name" don\'t exist.'
            )
        only_vars = VAR_PATTERN.sub("", value).strip() == ""
        if only_vars and not used_system and not any(available[n] for n in names):
            raise field_error(
                "wf_name_template",
                'If a "workflow template name" contains only an output fields, '
                "at least one of the fields must be required.",
            )

    def _validate_tasks_top(self, tasks: list[dict[str, Any]]) -> None:
        if not tasks:
            raise service_error("Tasks data not provided, one task required.")
        numbers = [t["number"] for t in tasks]
        if len(set(numbers)) != len(numbers) or set(numbers) != set(range(1, len(numbers) + 1)):
            raise field_error("tasks", "Incorrect tasks order.")
        api_names = {t["api_name"] for t in tasks}
        for task in tasks:
            revert = task.get("revert_task")
            if revert and revert not in api_names:
                raise value_error(
                    task["api_name"],
                    f'Task "{task.get("name")}": The "Return to" setting refers to a '
                    f'non-existent task (API name: "{revert}").',
                )

    def _owners(self, owners: list[Any]) -> list[dict[str, str]]:
        state = self.state
        user_ids: set[int] = set()
        group_ids: set[int] = set()
        owner_users: set[int] = set()
        pairs: set[tuple[str, int, str]] = set()
        result = []
        for owner in owners:
            if not isinstance(owner, dict):
                raise field_error("owners", "Invalid data. Expected a dictionary.")
            kind = owner.get("type")
            if kind not in ("user", "group"):
                raise field_error("owners", f'"{kind}" is not a valid choice.')
            role = owner.get("role", "owner")
            if role not in ("owner", "viewer", "starter"):
                raise field_error("owners", f'"{role}" is not a valid choice.')
            source = owner.get("source_id")
            if not _is_int_like(source):
                raise field_error("owners", "A valid integer is required.")
            source_id = int(str(source))
            (user_ids if kind == "user" else group_ids).add(source_id)
            pairs.add((str(kind), source_id, str(role)))
            if role == "owner":
                if kind == "user":
                    owner_users.add(source_id)
                elif source_id in state.groups:
                    owner_users.update(state.groups[source_id].user_ids)
            result.append(
                {
                    "api_name": owner.get("api_name") or state.api_name("owner"),
                    "role": str(role),
                    "type": str(kind),
                    "source_id": str(source_id),
                }
            )
        if not user_ids and not group_ids:
            raise field_error("owners", "You should set 'template owners' value.")
        if len(pairs) != len(result):
            raise field_error("owners", "Duplicate template owners in the add owners request.")
        if self.user.id not in owner_users:
            raise field_error("owners", "You cannot remove yourself from template owners.")
        if any(i not in state.users for i in user_ids) or any(
            i not in state.groups for i in group_ids
        ):
            raise field_error("owners", "One or more template owners are incorrect.")
        return result

    # -- nested ----------------------------------------------------------------------------

    def _fields(
        self, data: list[dict[str, Any]], template: StoredTemplate, owner_name: str | None
    ) -> list[StoredField]:
        previous = {f.api_name: f for f in _existing_fields(template)}
        result = []
        for raw in data:
            api_name = raw.get("api_name") or self.state.api_name("field")
            for key in ("name", "type", "order"):
                if raw.get(key) in (None, ""):
                    raise _nested(api_name, key, "This field is required.")
            kind = raw["type"]
            if kind not in FIELD_TYPES:
                raise _nested(api_name, "type", f'"{kind}" is not a valid choice.')
            if not _is_int_like(raw["order"]):
                raise _nested(api_name, "order", "A valid integer is required.")
            if len(str(api_name)) > 200:
                raise _nested(
                    api_name, "api_name", "Ensure this field has no more than 200 characters."
                )
            is_required = bool(raw.get("is_required"))
            if kind == "user" and not is_required:
                raise value_error(api_name, "A field with a type 'User' should be required.")
            selections: list[dict[str, str]] = []
            if kind in SELECTION_TYPES:
                raw_selections = _dicts(raw.get("selections"))
                if not raw_selections and raw.get("dataset") is None:
                    raise value_error(
                        api_name,
                        'You must provide either a "selections" or a "dataset" for the field.',
                    )
                old = previous.get(api_name)
                old_by_value = {s["value"]: s["api_name"] for s in old.selections} if old else {}
                seen: set[str] = set()
                for selection in raw_selections:
                    value = selection.get("value")
                    if value in (None, ""):
                        raise _nested(api_name, "value", "This field is required.")
                    text = str(value)
                    if len(text) > 200:
                        raise _nested(
                            api_name, "value", "Ensure this field has no more than 200 characters."
                        )
                    if text in seen:
                        prefix = f'Task "{owner_name}": ' if owner_name else ""
                        raise value_error(
                            api_name,
                            f'{prefix}The output field "{raw["name"]}" contains a duplicate value '
                            f'in option "{text}". Please use a unique value.',
                        )
                    seen.add(text)
                    selections.append(
                        {
                            "value": text,
                            "api_name": selection.get("api_name")
                            or old_by_value.get(text)
                            or self.state.api_name("selection"),
                        }
                    )
            description = raw.get("description")
            default = raw.get("default")
            result.append(
                StoredField(
                    api_name=str(api_name),
                    name=str(raw["name"]),
                    type=str(kind),
                    order=int(raw["order"]),
                    is_required=is_required,
                    is_hidden=bool(raw.get("is_hidden")),
                    description=str(description) if description not in (None, "") else None,
                    default="" if default is None else str(default),
                    selections=selections,
                    dataset=raw.get("dataset") if isinstance(raw.get("dataset"), int) else None,
                )
            )
        return result

    def _tasks(
        self,
        data: list[dict[str, Any]],
        kickoff_fields: list[StoredField],
        template: StoredTemplate,
        shared: bool,
    ) -> list[StoredTemplateTask]:
        data = sorted(data, key=lambda t: t["number"])
        parents = _parents_by_task(data)
        by_api = {t["api_name"]: t for t in data}
        existing_ids = {t.api_name: t.id for t in template.tasks}
        seen_api_names: set[str] = set()
        field_api_names = {f.api_name for f in kickoff_fields}
        available_fields: dict[str, StoredField] = {f.api_name: f for f in kickoff_fields}
        result: list[StoredTemplateTask] = []
        for raw in data:
            api_name = raw["api_name"]
            name = raw.get("name")
            if api_name in seen_api_names:
                raise value_error(
                    api_name,
                    f'Task "{name}": Contains a duplicate api_name "{api_name}". '
                    "Recreate the task or change its api_name.",
                )
            seen_api_names.add(api_name)
            if name in (None, ""):
                raise _nested(api_name, "name", "This field is required.")
            name = str(name)
            if len(name) > TASK_NAME_LENGTH:
                raise _nested(
                    api_name,
                    "name",
                    f"Ensure this field has no more than {TASK_NAME_LENGTH} characters.",
                )
            fields = self._fields(_dicts(raw.get("fields")), template, owner_name=name)
            for field in fields:
                if field.api_name in field_api_names:
                    raise value_error(
                        field.api_name,
                        f'Task "{name}": Output field "{field.name}" contains a duplicate '
                        f'api_name "{field.api_name}". Change the api_name or recreate the '
                        "output field.",
                    )
                field_api_names.add(field.api_name)
            if _has_cycle(api_name, parents):
                raise value_error(
                    api_name,
                    f'Task "{name}" has a circular dependency. '
                    'Please change the "start after" condition.',
                )
            ancestors = _ancestors(api_name, parents, data)
            # fields visible to this task: kickoff + fields of the previous tasks
            visible = dict(available_fields)
            for previous in result:
                for field in previous.fields:
                    visible[field.api_name] = field
            self._check_vars(api_name, name, raw.get("description"), visible, fields)
            performers = self._performers(raw, name, visible, by_api, shared)
            conditions = self._conditions(raw, name, visible, fields, by_api, ancestors)
            delay = self._delay(raw, api_name)
            due = self._due_date(raw, name, visible, fields, by_api)
            revert = raw.get("revert_task") or None
            if revert is not None:
                if revert == api_name:
                    raise value_error(
                        api_name, f'Task "{name}": Cannot be set to return to itself.'
                    )
                if revert not in ancestors:
                    raise value_error(
                        api_name, f'Task "{name}": Can be returned only to one of its ancestors.'
                    )
            description = raw.get("description")
            result.append(
                StoredTemplateTask(
                    id=existing_ids.get(api_name) or self.state.next_id("template_task"),
                    api_name=api_name,
                    number=raw["number"],
                    name=name,
                    description=str(description) if description is not None else None,
                    require_completion_by_all=bool(raw.get("require_completion_by_all")),
                    skip_for_starter=bool(raw.get("skip_for_starter")),
                    delay=delay,
                    fields=fields,
                    conditions=conditions,
                    raw_performers=performers,
                    checklists=self._checklists(raw),
                    raw_due_date=due,
                    revert_task=revert,
                    parents=parents.get(api_name, []),
                    ancestors=ancestors,
                )
            )
        return result

    def _check_vars(
        self,
        api_name: str,
        name: str,
        description: Any,
        visible: dict[str, StoredField],
        own_fields: list[StoredField],
    ) -> None:
        known = set(visible) | SYSTEM_VARS
        if {n.strip() for n in VAR_PATTERN.findall(name)} - known:
            raise value_error(api_name, f'Some fields in task "{name}" do not exist.')
        if isinstance(description, str):
            names = {n.strip() for n in VAR_PATTERN.findall(description)}
            if names - known - {f.api_name for f in own_fields}:
                raise value_error(
                    api_name,
                    f'Some fields referenced in the description of task "{name}" do not exist.',
                )

    def _performers(
        self,
        raw: dict[str, Any],
        name: str,
        visible: dict[str, StoredField],
        by_api: dict[str, dict[str, Any]],
        shared: bool,
    ) -> list[dict[str, Any]]:
        api_name = raw["api_name"]
        performers = _dicts(raw.get("raw_performers"))
        if not performers:
            raise value_error(
                api_name, "You should set task performers before setting template to active."
            )
        state = self.state
        result = []
        seen: set[tuple[str, str | None]] = set()
        for performer in performers:
            kind = performer.get("type")
            performer_api = performer.get("api_name") or state.api_name("raw-performer")
            if kind not in PERFORMER_TYPES:
                raise _nested(performer_api, "type", f'"{kind}" is not a valid choice.')
            source = performer.get("source_id")
            source_id: str | None = None
            if kind == "user":
                if source in (None, ""):
                    raise value_error(
                        api_name,
                        'You should set the user id for performer with the type "user".',
                    )
                if not _is_int_like(source):
                    raise value_error(api_name, 'Performer "id" should be a number.')
                user = state.users.get(int(str(source)))
                if user is None or user.status == "inactive":
                    raise value_error(api_name, "One or more performers are incorrect.")
                source_id = str(int(str(source)))
            elif kind == "group":
                if source in (None, ""):
                    raise value_error(
                        api_name,
                        'You should set the user id for performer with the type "user".',
                    )
                if not _is_int_like(source):
                    raise value_error(api_name, 'Performer "id" should be a number.')
                if int(str(source)) not in state.groups:
                    raise value_error(api_name, "One or more performers are incorrect.")
                source_id = str(int(str(source)))
            elif kind == "field":
                if source in (None, ""):
                    raise value_error(
                        api_name,
                        'You should set the field api_name for performer with the type "field".',
                    )
                field = visible.get(str(source))
                if field is None or field.type != "user":
                    raise value_error(api_name, "One or more performers are incorrect.")
                source_id = str(source)
            elif kind == "manager":
                if source in (None, ""):
                    raise value_error(
                        api_name,
                        'You should set the source step for performer with the type "manager".',
                    )
                if source == api_name:
                    raise value_error(
                        api_name,
                        f'Task "{name}": Manager performer cannot reference its own step.',
                    )
                step = by_api.get(str(source))
                if step is None:
                    raise value_error(
                        api_name,
                        f'Task "{name}": Manager performer references a non-existent step '
                        f'"{source}".',
                    )
                if step.get("require_completion_by_all"):
                    raise value_error(
                        api_name,
                        f'Task "{name}": Disable "Required completion by all" on step '
                        f'"{step.get("name")}" to use Manager performer.',
                    )
                source_id = str(source)
            elif shared:
                raise value_error(
                    api_name,
                    'A template with "Workflow starter" in the list of performers can not be '
                    'shared. Please replace the "workflow starter" with another team member.',
                )
            key = (str(kind), source_id)
            if key in seen:
                raise value_error(api_name, "One or more performers are repeated.")
            seen.add(key)
            result.append({"type": kind, "source_id": source_id, "api_name": performer_api})
        return result

    def _conditions(
        self,
        raw: dict[str, Any],
        name: str,
        visible: dict[str, StoredField],
        own_fields: list[StoredField],
        by_api: dict[str, dict[str, Any]],
        ancestors: list[str],
    ) -> list[dict[str, Any]]:
        state = self.state
        result = []
        for index, condition in enumerate(_dicts(raw.get("conditions")), start=1):
            cond_api = condition.get("api_name") or state.api_name("condition")
            action = condition.get("action")
            if action not in ("skip_task", "start_task", "end_process"):
                raise _nested(cond_api, "action", f'"{action}" is not a valid choice.')
            rules = _dicts(condition.get("rules"))
            if not rules:
                raise _nested(cond_api, "rules", "This list may not be empty.")
            normalized_rules = []
            for rule in rules:
                rule_api = rule.get("api_name") or state.api_name("rule")
                predicates = _dicts(rule.get("predicates"))
                if not predicates:
                    raise _nested(rule_api, "predicates", "This list may not be empty.")
                normalized = []
                for predicate in predicates:
                    normalized.append(
                        self._predicate(
                            predicate,
                            name,
                            str(action),
                            cond_api,
                            visible,
                            by_api,
                            ancestors,
                            raw["api_name"],
                        )
                    )
                normalized_rules.append({"api_name": rule_api, "predicates": normalized})
            order = condition.get("order")
            result.append(
                {
                    "action": action,
                    "order": int(str(order)) if _is_int_like(order) else index,
                    "api_name": cond_api,
                    "rules": normalized_rules,
                }
            )
        return result

    def _predicate(
        self,
        predicate: dict[str, Any],
        name: str,
        action: str,
        cond_api: str,
        visible: dict[str, StoredField],
        by_api: dict[str, dict[str, Any]],
        ancestors: list[str],
        task_api: str,
    ) -> dict[str, Any]:
        pred_api = predicate.get("api_name") or self.state.api_name("predicate")
        operator = predicate.get("operator")
        field_type = predicate.get("field_type")
        if field_type not in ALLOWED_OPERATORS:
            raise _nested(pred_api, "field_type", f'"{field_type}" is not a valid choice.')
        if operator not in ALLOWED_OPERATORS[str(field_type)]:
            raise value_error(
                pred_api,
                f'Task "{name}": operator "{operator}" can\'t be use with type of field '
                f'"{field_type}".',
            )
        if action == "start_task" and operator not in TASK_OPERATORS:
            raise value_error(
                cond_api,
                f'Task condition "{name}": Only the "completed", "skipped", or '
                '"completed_or_skipped" operators are allowed for the "start_task" action',
            )
        field = predicate.get("field")
        value = predicate.get("value")
        if field_type == "task":
            if field not in by_api:
                message = (
                    f'Task "{name}": the "start after" condition points to a non-existent task. '
                    'Please change the "start after" condition.'
                    if action == "start_task"
                    else f'Task "{name}": the "check if" condition points to a non-existent '
                    'task. Please change the "check if" condition.'
                )
                raise value_error(pred_api, message)
            if action != "start_task" and field not in ancestors and field != task_api:
                raise value_error(
                    pred_api,
                    f'Task "{name}": the "check if" condition points to a non ancestor task. '
                    'Please change the "check if" condition.',
                )
        elif field_type != "kickoff":
            if field not in visible:
                raise value_error(
                    pred_api,
                    f'Some fields referenced in the conditions of task "{name}" do not exist.',
                )
            if operator not in UNARY_OPERATORS:
                if value in (None, ""):
                    raise value_error(
                        pred_api, f'Task "{name}": operator "{operator}" should have some value.'
                    )
                if field_type == "number":
                    try:
                        float(str(value))
                    except ValueError:
                        raise value_error(pred_api, "The value must be a number.") from None
                if field_type == "user" and (
                    not _is_int_like(value) or int(str(value)) not in self.state.users
                ):
                    raise value_error(
                        pred_api,
                        f'Task "{name}": user id "{value}" doesn\'t exist or can\'t be used in '
                        "this condition.",
                    )
                if field_type == "group" and (
                    not _is_int_like(value) or int(str(value)) not in self.state.groups
                ):
                    raise value_error(
                        pred_api,
                        f'Task "{name}": Group ID "{value}" does not exist or cannot be used in '
                        "this condition.",
                    )
        else:
            field = None
        return {
            "operator": operator,
            "field_type": field_type,
            "field": field,
            "value": None if value is None else str(value),
            "api_name": pred_api,
        }

    def _delay(self, raw: dict[str, Any], api_name: str) -> float | None:
        delay = raw.get("delay")
        if delay in (None, ""):
            return None
        seconds = parse_duration(delay)
        if seconds is None:
            raise _nested(api_name, "delay", DURATION_ERROR)
        return seconds

    def _due_date(
        self,
        raw: dict[str, Any],
        name: str,
        visible: dict[str, StoredField],
        own_fields: list[StoredField],
        by_api: dict[str, dict[str, Any]],
    ) -> dict[str, Any] | None:
        due = raw.get("raw_due_date")
        if not isinstance(due, dict):
            return None
        due_api = due.get("api_name") or self.state.api_name("raw-due-date")
        rule = due.get("rule")
        if rule not in DUE_DATE_RULES:
            raise _nested(due_api, "rule", f'"{rule}" is not a valid choice.')
        duration = parse_duration(due.get("duration"))
        if duration is None:
            if due.get("duration") in (None, ""):
                raise _nested(due_api, "duration", "This field is required.")
            raise _nested(due_api, "duration", DURATION_ERROR)
        months = due.get("duration_months", 0) or 0
        if not _is_int_like(months):
            raise _nested(due_api, "duration_months", "A valid integer is required.")
        source = due.get("source_id")
        if rule in ("before field", "after field"):
            if not source:
                raise value_error(due_api, "Expected date field api_name.")
            fields = {**visible, **{f.api_name: f for f in own_fields}}
            field = fields.get(str(source))
            if field is None or field.type != "date":
                raise value_error(due_api, "Only existing date fields can be used as a due date.")
        elif rule in ("after task started", "after task completed"):
            if not source or source not in by_api:
                raise value_error(due_api, "Expected task api_name.")
        else:
            source = None
        return {
            "api_name": due_api,
            "duration": duration,
            "duration_months": int(months),
            "rule": rule,
            "source_id": None if source is None else str(source),
        }

    def _checklists(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        result = []
        for checklist in _dicts(raw.get("checklists")):
            selections = [
                {
                    "value": str(s.get("value", "")),
                    "api_name": s.get("api_name") or self.state.api_name("cl-selection"),
                }
                for s in _dicts(checklist.get("selections"))
            ]
            if not selections:
                raise value_error(
                    checklist.get("api_name") or raw["api_name"],
                    "Checklist items not exists or invalid.",
                )
            result.append(
                {
                    "api_name": checklist.get("api_name") or self.state.api_name("checklist"),
                    "selections": selections,
                }
            )
        return result


def _last_by_api_name(fields: list[StoredField]) -> list[StoredField]:
    """Kickoff fields sharing an api_name: the real server saves them one by one into the same
    row (update-or-create by api_name), so the last one's settings win, in the first's place."""
    kept: dict[str, StoredField] = {}
    for definition in fields:
        kept[definition.api_name] = definition  # a dict keeps the first insertion's place
    return list(kept.values())


def _existing_fields(template: StoredTemplate) -> list[StoredField]:
    result = list(template.kickoff_fields)
    for task in template.tasks:
        result.extend(task.fields)
    return result
