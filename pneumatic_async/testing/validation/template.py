"""The template as a whole: drafts, name, ``wf_name_template``, kickoff, owners; then the
sections (fields, tasks) in the real server's order."""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import (
    VAR_PATTERN,
    truncate,
)
from pneumatic_async.testing.errors import (
    field_error,
    service_error,
    value_error,
)
from pneumatic_async.testing.state import (
    State,
    StoredTemplate,
    StoredUser,
)
from pneumatic_async.testing.validation._common import (
    SYSTEM_VARS,
    TEMPLATE_NAME_LENGTH,
    ancestors_of,
    dicts,
    is_int_like,
    last_by_api_name,
    nested_error,
    parents_by_task,
)
from pneumatic_async.testing.validation.fields import validate_fields
from pneumatic_async.testing.validation.tasks import validate_tasks

__all__ = [
    "TemplateBuilder",
    "save_template",
]


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
    return TemplateBuilder(state, body, user=user, now=now, existing=existing).save()


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
    parents = parents_by_task(plain_tasks)
    for task in plain_tasks:
        api_name = task.get("api_name")
        task["parents"] = parents.get(api_name, []) if api_name else []
        task["ancestors"] = ancestors_of(api_name, parents, plain_tasks) if api_name else []
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


class TemplateBuilder:
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
        kickoff_fields_data = dicts((kickoff or {}).get("fields"))
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
        kickoff_fields = last_by_api_name(
            validate_fields(self.state, kickoff_fields_data, template, owner_name=None)
        )
        tasks = validate_tasks(
            self.state, tasks_data, kickoff_fields, template, is_public or is_embedded
        )

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
            if "number" not in task or not is_int_like(task["number"]):
                message = (
                    "This field is required."
                    if "number" not in task
                    else "A valid integer is required."
                )
                raise nested_error(task["api_name"], "number", message)
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
            if not is_int_like(source):
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
