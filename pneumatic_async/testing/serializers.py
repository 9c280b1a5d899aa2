"""JSON shapes of the fake server's objects, key for key as the real server renders them.

One function per shape; they read the store's objects and build fresh dicts (nothing is cached,
nothing in the store is handed out for mutation).
"""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import format_duration, iso
from pneumatic_async.testing.state import (
    State,
    StoredApiKey,
    StoredDelay,
    StoredEvent,
    StoredField,
    StoredFieldValue,
    StoredGroup,
    StoredPerformer,
    StoredTask,
    StoredTemplate,
    StoredTemplateTask,
    StoredUser,
    StoredWorkflow,
)

__all__ = [
    "api_key_item",
    "event_item",
    "field_value",
    "field_value_list",
    "group_item",
    "task_list_item",
    "task_object",
    "template_detail",
    "template_fields",
    "template_list_item",
    "template_steps",
    "user_item",
    "workflow_details",
    "workflow_fields_item",
    "workflow_list_item",
    "workflow_short",
    "workflow_task",
]


# -- templates -------------------------------------------------------------------------------


def _owner(owner: dict[str, str]) -> dict[str, Any]:
    return {
        "api_name": owner["api_name"],
        "role": owner["role"],
        "type": owner["type"],
        "source_id": owner["source_id"],
    }


def _template_field(definition: StoredField, *, list_form: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": definition.name,
        "description": definition.description or "",
        "type": definition.type,
        "is_required": definition.is_required,
        "is_hidden": definition.is_hidden,
        "api_name": definition.api_name,
    }
    if definition.type in ("radio", "checkbox", "dropdown"):
        if list_form:
            data["selections"] = definition.selection_values
        else:
            data["selections"] = [
                {"value": s["value"], "api_name": s["api_name"]} for s in definition.selections
            ]
        data["default"] = definition.default
        data["dataset"] = definition.dataset
    else:
        data["default"] = definition.default
    data["order"] = definition.order
    return data


def _sorted_fields(fields: list[StoredField]) -> list[StoredField]:
    return sorted(fields, key=lambda f: -f.order)


def _performer_label(state: State, template: StoredTemplate, performer: dict[str, Any]) -> str:
    kind, source = performer["type"], performer.get("source_id")
    if kind == "user":
        user = state.users.get(int(source)) if source and str(source).isdigit() else None
        return user.name if user else ""
    if kind == "group":
        group = state.groups.get(int(source)) if source and str(source).isdigit() else None
        return group.name if group else ""
    if kind == "workflow_starter":
        return "Workflow starter"
    if kind == "field":
        for definition in _all_field_defs(template):
            if definition.api_name == source:
                return definition.name
        return ""
    if kind == "manager":
        task = template.task(str(source))
        return f"Manager: {task.name if task else source}"
    return ""


def _all_field_defs(template: StoredTemplate) -> list[StoredField]:
    result = list(template.kickoff_fields)
    for task in template.tasks:
        result.extend(task.fields)
    return result


def _template_task(
    state: State, template: StoredTemplate, task: StoredTemplateTask
) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "number": task.number,
        "description": task.description or "",
        "require_completion_by_all": task.require_completion_by_all,
        "skip_for_starter": task.skip_for_starter,
        "delay": format_duration(task.delay) if task.delay is not None else None,
        "fields": [_template_field(f) for f in _sorted_fields(task.fields)],
        "fieldsets": [],
        "conditions": [
            {
                "action": c["action"],
                "rules": [
                    {
                        "predicates": [dict(p) for p in rule["predicates"]],
                        "api_name": rule["api_name"],
                    }
                    for rule in c["rules"]
                ],
                "order": c["order"],
                "api_name": c["api_name"],
            }
            for c in task.conditions
        ],
        "api_name": task.api_name,
        "raw_performers": [
            {
                "api_name": p["api_name"],
                "source_id": p["source_id"],
                "type": p["type"],
                "label": _performer_label(state, template, p),
            }
            for p in task.raw_performers
        ],
        "checklists": [
            {
                "api_name": c["api_name"],
                "selections": [
                    {"value": s["value"], "api_name": s["api_name"]} for s in c["selections"]
                ],
            }
            for c in task.checklists
        ],
        "raw_due_date": _raw_due_date(task.raw_due_date),
        "revert_task": task.revert_task,
        "parents": list(task.parents),
        "ancestors": list(task.ancestors),
    }


def _raw_due_date(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {
        "api_name": data["api_name"],
        "duration": format_duration(data["duration"]),
        "duration_months": data["duration_months"],
        "rule": data["rule"],
        "source_id": data["source_id"],
    }


def template_detail(state: State, template: StoredTemplate, forms_url: str) -> dict[str, Any]:
    """``GET /templates/<id>`` (and create/update): the template, or its stored draft."""
    public_url = f"{forms_url}/{template.public_id}"
    embed_url = f"{forms_url}/embed/{template.embed_id}"
    if not template.is_active and template.draft is not None:
        draft = dict(template.draft)
        draft.update(
            {
                "public_url": public_url,
                "embed_url": embed_url,
                "date_updated": iso_offset(template.date_updated),
                "date_updated_tsp": template.date_updated,
                "updated_by": template.updated_by,
                "id": template.id,
            }
        )
        return draft
    return {
        "id": template.id,
        "name": template.name,
        "wf_name_template": template.wf_name_template,
        "description": template.description or "",
        "tasks": [_template_task(state, template, t) for t in template.tasks],
        "kickoff": {
            "fields": [_template_field(f) for f in _sorted_fields(template.kickoff_fields)],
            "fieldsets": [],
        },
        "owners": [_owner(o) for o in template.owners],
        "is_active": template.is_active,
        "is_public": template.is_public,
        "is_embedded": template.is_embedded,
        "public_url": public_url,
        "embed_url": embed_url,
        "public_success_url": template.public_success_url,
        "finalizable": template.finalizable,
        "updated_by": template.updated_by,
        "date_updated": iso(template.date_updated),
        "date_updated_tsp": template.date_updated,
        "reminder_notification": template.reminder_notification,
        "completion_notification": template.completion_notification,
    }


def iso_offset(timestamp: float) -> str:
    """ISO-8601 with ``+00:00`` (how drafts store ``date_updated``)."""
    text = iso(timestamp) or ""
    return text[:-1] + "+00:00"


def template_list_item(template: StoredTemplate, *, with_count: bool = False) -> dict[str, Any]:
    """An item of ``GET /templates`` (``workflows_count`` only with usage ordering)."""
    data: dict[str, Any] = {
        "id": template.id,
        "wf_name_template": template.wf_name_template,
        "tasks_count": len(template.tasks),
        "owners": [_owner(o) for o in template.owners],
        "name": template.name,
        "is_active": template.is_active,
        "is_public": template.is_public,
        "is_embedded": template.is_embedded,
        # A draft that was never activated has no stored description (null).
        "description": template.description if template.is_active or template.description else None,
        "kickoff": {
            "fields": [
                _template_field(f, list_form=True) for f in _sorted_fields(template.kickoff_fields)
            ],
            "fieldsets": [],
        },
        "is_editable": True,
    }
    if with_count:
        data["workflows_count"] = template.workflows_count
    return data


def _short_field(definition: StoredField) -> dict[str, Any]:
    return {
        "name": definition.name,
        "type": definition.type,
        "order": definition.order,
        "description": definition.description,
        "is_hidden": definition.is_hidden,
        "api_name": definition.api_name,
    }


def template_fields(template: StoredTemplate) -> dict[str, Any]:
    """``GET /templates/<id>/fields``."""
    return {
        "id": template.id,
        "kickoff": {
            "fields": [_short_field(f) for f in _sorted_fields(template.kickoff_fields)],
            "fieldsets": [],
        },
        "tasks": [
            {
                "name": t.name,
                "number": t.number,
                "api_name": t.api_name,
                "fields": [_short_field(f) for f in _sorted_fields(t.fields)],
                "fieldsets": [],
            }
            for t in template.tasks
        ],
    }


def template_steps(template: StoredTemplate) -> list[dict[str, Any]]:
    """``GET /templates/<id>/steps``."""
    return [{"name": t.name, "number": t.number, "api_name": t.api_name} for t in template.tasks]


# -- workflows -------------------------------------------------------------------------------


def field_value(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskField`` (kickoff/output value with its field's settings)."""
    definition = value.definition
    return {
        "id": value.id,
        "order": definition.order,
        "type": definition.type,
        "is_required": definition.is_required,
        "is_hidden": definition.is_hidden,
        "description": definition.description,
        "api_name": definition.api_name,
        "name": definition.name,
        "value": value.value,
        "markdown_value": value.markdown_value,
        "clear_value": value.clear_value,
        "user_id": value.user_id,
        "group_id": value.group_id,
        "selections": definition.selection_values if definition.selections else [],
    }


def field_value_list(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskFieldList`` (``/workflows/fields`` and list ``fields``)."""
    definition = value.definition
    return {
        "id": value.id,
        "order": definition.order,
        "task_id": value.task_id,
        "kickoff_id": value.kickoff_id,
        "type": definition.type,
        "is_required": definition.is_required,
        "is_hidden": definition.is_hidden,
        "description": definition.description,
        "api_name": definition.api_name,
        "name": definition.name,
        "value": value.value,
        "markdown_value": value.markdown_value,
        "clear_value": value.clear_value,
        "user_id": value.user_id,
        "group_id": value.group_id,
        "fieldset_id": None,
    }


def _performer(performer: StoredPerformer) -> dict[str, Any]:
    return {
        "is_completed": performer.is_completed,
        "date_completed_tsp": performer.date_completed,
        "type": performer.type,
        "source_id": performer.source_id,
    }


def _delay(delay: StoredDelay | None) -> dict[str, Any] | None:
    """A task's current delay: only an open one (``end_date`` unset), else null."""
    if delay is None or delay.end_date is not None:
        return None
    return _delay_json(delay)


def _delay_json(delay: StoredDelay) -> dict[str, Any]:
    return {
        "id": delay.id,
        "duration": format_duration(delay.duration),
        "start_date": iso(delay.start_date),
        "start_date_tsp": delay.start_date,
        "end_date": iso(delay.end_date),
        "end_date_tsp": delay.end_date,
        "estimated_end_date": iso(delay.estimated_end_date),
        "estimated_end_date_tsp": delay.estimated_end_date,
    }


def _sorted_values(values: list[StoredFieldValue]) -> list[StoredFieldValue]:
    return sorted(values, key=lambda v: (-v.definition.order, v.id))


def _checklist_counts(task: StoredTask) -> tuple[int, int]:
    total = marked = 0
    for checklist in task.checklists:
        for selection in checklist["selections"]:
            total += 1
            marked += bool(selection["is_selected"])
    return total, marked


def workflow_task(task: StoredTask) -> dict[str, Any]:
    """A ``WorkflowTask`` (an item of a workflow's ``tasks``)."""
    total, marked = _checklist_counts(task)
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "description": task.description,
        "number": task.number,
        "delay": _delay(task.delay),
        "due_date_tsp": task.due_date,
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "performers": [_performer(p) for p in task.performers],
        "checklists_total": total,
        "checklists_marked": marked,
        "status": task.status,
    }


def _visible_tasks(workflow: StoredWorkflow) -> list[dict[str, Any]]:
    return [workflow_task(t) for t in workflow.tasks if t.status != "skipped"]


def workflow_details(workflow: StoredWorkflow) -> dict[str, Any]:
    """``WorkflowDetails``: ``GET /workflows/<id>``, run, snooze, resume, patch, webhooks."""
    template = workflow.template
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "description": workflow.description,
        "finalizable": workflow.finalizable,
        "is_external": workflow.is_external,
        "is_urgent": workflow.is_urgent,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "workflow_starter": workflow.workflow_starter,
        "ancestor_task_id": workflow.ancestor_task_id,
        "is_legacy_template": False,
        "legacy_template_name": None,
        "template": {
            "id": template.id,
            "name": template.name,
            "is_active": template.is_active,
            "wf_name_template": template.wf_name_template,
        },
        "owners": list(workflow.owners),
        "tasks": _visible_tasks(workflow),
        "kickoff": {
            "id": workflow.kickoff_id,
            "output": [field_value(v) for v in _sorted_values(workflow.kickoff_fields)],
            "fieldsets": [],
        },
        "due_date_tsp": workflow.due_date,
        "is_read_only_viewer": False,
    }


def workflow_list_item(workflow: StoredWorkflow, field_names: list[str] | None) -> dict[str, Any]:
    """An item of ``GET /workflows`` (``fields`` only for the names asked for)."""
    template = workflow.template
    fields: list[dict[str, Any]] = []
    if field_names:
        wanted = set(field_names)
        fields = [
            field_value_list(v)
            for v in _sorted_values(workflow.all_fields())
            if v.definition.api_name in wanted
        ]
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "description": workflow.description,
        "finalizable": workflow.finalizable,
        "is_external": workflow.is_external,
        "is_urgent": workflow.is_urgent,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "workflow_starter": workflow.workflow_starter,
        "ancestor_task_id": workflow.ancestor_task_id,
        "is_legacy_template": False,
        "legacy_template_name": None,
        "template": {"id": template.id, "name": template.name, "is_active": template.is_active},
        "owners": list(workflow.owners),
        "tasks": _visible_tasks(workflow),
        "fields": fields,
        "due_date_tsp": workflow.due_date,
    }


def workflow_fields_item(workflow: StoredWorkflow, field_names: list[str] | None) -> dict[str, Any]:
    """An item of ``GET /workflows/fields``."""
    values = _sorted_values(workflow.all_fields())
    if field_names:
        wanted = set(field_names)
        values = [v for v in values if v.definition.api_name in wanted]
    return {
        "id": workflow.id,
        "name": workflow.name,
        "status": workflow.status,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
        "fields": [field_value_list(v) for v in values],
    }


def workflow_short(workflow: StoredWorkflow) -> dict[str, Any]:
    """The ``workflow`` object inside a task."""
    return {
        "id": workflow.id,
        "status": workflow.status,
        "name": workflow.name,
        "template_name": workflow.template.name,
        "date_created_tsp": workflow.date_created,
        "date_completed_tsp": workflow.date_completed,
    }


# -- tasks -----------------------------------------------------------------------------------


def user_completed(task: StoredTask, user_id: int | None) -> bool:
    """Whether this user's share of the task is completed."""
    if user_id is None:
        return False
    if user_id in task.group_user_completions:
        return True
    return any(
        p.type == "user" and p.source_id == user_id and p.is_completed for p in task.performers
    )


def revert_targets(task: StoredTask) -> list[StoredTask]:
    """The tasks a revert from ``task`` goes back to (``revert_task`` or the parents)."""
    workflow = task.workflow
    template_task = task.template_task
    if template_task.revert_task:
        target = workflow.task(template_task.revert_task)
        return [target] if target is not None else []
    return [t for t in workflow.tasks if t.api_name in template_task.parents]


def task_object(
    state: State,
    task: StoredTask,
    user: StoredUser | None,
    *,
    full_workflow: bool = False,
) -> dict[str, Any]:
    """``GET /v2/tasks/<id>`` / complete response; ``full_workflow`` for webhook payloads."""
    total, marked = _checklist_counts(task)
    is_completed = task.status == "completed" or (
        task.template_task.require_completion_by_all
        and user_completed(task, user.id if user else None)
    )
    workflow = task.workflow
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "description": task.description,
        "workflow": workflow_details(workflow) if full_workflow else workflow_short(workflow),
        "contains_comments": task.contains_comments,
        "require_completion_by_all": task.template_task.require_completion_by_all,
        "output": [field_value(v) for v in _sorted_values(task.fields)],
        "delay": _delay(task.delay),
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "due_date_tsp": task.due_date,
        "is_completed": is_completed,
        "performers": [_performer(p) for p in task.performers],
        "is_urgent": task.is_urgent,
        "checklists_marked": marked,
        "checklists_total": total,
        "checklists": [
            {
                "id": c["id"],
                "api_name": c["api_name"],
                "selections": [dict(s) for s in c["selections"]],
            }
            for c in task.checklists
        ],
        "sub_workflows": [
            workflow_list_item(w, None)
            for w in state.sub_workflows.get(task.id, [])
            if not w.deleted
        ],
        "status": task.status,
        "revert_tasks": [
            {"id": t.id, "name": t.name, "api_name": t.api_name} for t in revert_targets(task)
        ],
        "is_read_only_viewer": False,
        "fieldsets": [],
    }


def task_list_item(task: StoredTask) -> dict[str, Any]:
    """An item of ``GET /v3/tasks``."""
    return {
        "id": task.id,
        "name": task.name,
        "api_name": task.api_name,
        "workflow_name": task.workflow.name,
        "due_date_tsp": task.due_date,
        "date_started_tsp": task.date_started,
        "date_completed_tsp": task.date_completed,
        "template_id": task.workflow.template.id,
        "template_task_api_name": task.api_name,
        "is_urgent": task.is_urgent,
        "status": task.status,
    }


def event_item(event: StoredEvent, workflow: StoredWorkflow) -> dict[str, Any]:
    """A ``WorkflowEvent``."""
    return {
        "id": event.id,
        "created": iso(event.created),
        "created_tsp": event.created,
        "updated": None,
        "updated_tsp": None,
        "status": "created",
        "text": event.text,
        "type": event.type,
        "user_id": event.user_id,
        "target_user_id": event.target_user_id,
        "target_group_id": event.target_group_id,
        "delay": event.delay_json,
        "task": event.task_json,
        "workflow_id": event.workflow_id,
        "is_urgent": workflow.is_urgent,
        "watched": [],
        "reactions": {},
    }


def event_task_json(task: StoredTask, *, with_output: bool = False) -> dict[str, Any]:
    """The ``task`` snapshot stored in an event."""
    return {
        "id": task.id,
        "name": task.name,
        "number": task.number,
        "output": [_event_field(v) for v in _sorted_values(task.fields)] if with_output else None,
        "fieldsets": None,
        "performers": [
            {
                "type": p.type,
                "source_id": p.source_id,
                "is_completed": p.is_completed,
                "date_completed_tsp": p.date_completed,
            }
            for p in task.performers
        ],
        "description": task.description,
        "due_date_tsp": task.due_date,
        "sub_workflow": None,
    }


def _event_field(value: StoredFieldValue) -> dict[str, Any]:
    """A ``TaskFieldEvent`` (a value in an event's ``task.output``: no ``selections``)."""
    data = field_value(value)
    del data["selections"]
    return data


def delay_json(delay: StoredDelay) -> dict[str, Any] | None:
    """A delay as stored in an event (a snapshot, open or closed)."""
    return _delay_json(delay)


# -- accounts --------------------------------------------------------------------------------


def user_item(state: State, user: StoredUser) -> dict[str, Any]:
    """A user of ``/accounts/users`` and ``/accounts/user``."""
    invite = None
    if user.status == "invited":
        invite = {
            "id": user.invite_id,
            "invited_by": user.invited_by,
            "date_created": iso(user.date_joined),
            "invited_from": "email",
            "by_username": None,
        }
    return {
        "id": user.id,
        "type": user.type,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "photo": user.photo,
        "status": user.status,
        "is_admin": user.is_admin,
        "date_joined_tsp": user.date_joined,
        "is_account_owner": user.is_account_owner,
        "is_tasks_digest_subscriber": True,
        "is_digest_subscriber": True,
        "is_newsletters_subscriber": True,
        "is_special_offers_subscriber": True,
        "is_new_tasks_subscriber": True,
        "is_complete_tasks_subscriber": True,
        "is_comments_mentions_subscriber": True,
        "language": user.language,
        "timezone": user.timezone,
        "date_fmt": user.date_fmt,
        "date_fdw": user.date_fdw,
        "invite": invite,
        "groups": state.groups_of(user.id),
        "manager_id": user.manager_id,
        "subordinates_ids": [u.id for u in state.users.values() if u.manager_id == user.id],
        "vacation": None,
    }


def group_item(group: StoredGroup) -> dict[str, Any]:
    """A group of ``/accounts/groups``."""
    return {
        "id": group.id,
        "name": group.name,
        "photo": group.photo,
        "users": list(group.user_ids),
        "type": "regular",
    }


def api_key_item(key: StoredApiKey, *, with_token: bool) -> dict[str, Any]:
    """An API key (the raw token only right after creation)."""
    data: dict[str, Any] = {
        "id": key.id,
        "name": key.name,
        "prefix": key.token[:16],
    }
    if with_token:
        data["token"] = key.token
    data.update(
        {
            "date_created": iso(key.date_created),
            "last_used_at": iso(key.last_used_at),
            "expires_at": iso(key.expires_at),
            "is_active": key.is_active,
        }
    )
    return data
