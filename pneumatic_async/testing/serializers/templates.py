"""Template JSON: the list item, the detail, ``/fields`` and ``/steps``
(``handlers/templates.py``).
"""

from __future__ import annotations

from typing import Any

from pneumatic_async.testing._values import format_duration, iso
from pneumatic_async.testing.state import (
    State,
    StoredField,
    StoredTemplate,
    StoredTemplateTask,
)

__all__ = [
    "iso_offset",
    "template_detail",
    "template_fields",
    "template_list_item",
    "template_steps",
]


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
