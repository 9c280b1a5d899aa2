"""Fake ``/workflows`` routes: list, fields, webhook-example, get, patch/put, delete, return-to,
finish, snooze, resume, comment, events.

``WorkflowViewSet`` denies unmapped methods (``DenyAll`` → 403); the legacy
``POST /workflows/<id>/task-complete`` is not routed (HTML 404, like the real server).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import parse_timestamp, require_bool
from pneumatic_async.testing.engine import EventType
from pneumatic_async.testing.errors import (
    choice_error,
    field_error,
    forbidden,
    message_error,
)
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    ServedFake,
    can_view_workflow,
    current_user,
    dict_body,
    empty,
    fake_of,
    ok,
    parse_bool_param,
    workflow_for_change,
    workflow_for_view,
)
from pneumatic_async.testing.pagination import (
    default_limit,
    envelope,
    offset_of,
    paginate,
    plain_limit,
)
from pneumatic_async.testing.state import DONE, RUNNING, SNOOZED, StoredUser, StoredWorkflow

__all__ = ["comment_text", "list_events", "ROUTES"]

STATUSES: Final = {"running": RUNNING, "done": DONE, "snoozed": SNOOZED}
ORDERINGS: Final = ("-date", "date", "-urgent", "overdue")
WEBHOOK_TARGET: Final = "https://example.com/webhooks/"


def _int_list(request: Request, name: str) -> list[int] | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return [int(part) for part in raw.split(",")]
    except ValueError:
        raise field_error(name, "Value should be a list of integers.") from None


def _str_list(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _status(request: Request) -> int | None:
    raw = request.query_params.get("status")
    if raw is None:
        return None
    if raw not in STATUSES:
        raise field_error("status", f'"{raw}" is not a valid choice.')
    return STATUSES[raw]


def visible(fake: ServedFake, user: StoredUser) -> list[StoredWorkflow]:
    """The workflows the user may see."""
    workflows = fake.state.workflows.values()
    if user.is_account_owner:
        return list(workflows)
    return [w for w in workflows if can_view_workflow(fake, w, user)]


async def list_workflows(request: Request) -> Response:
    """``GET /workflows``."""
    fake = fake_of(request)
    user = current_user(request)
    status = _status(request)
    template_ids = _int_list(request, "template_id")
    performers = _int_list(request, "current_performer")
    performer_groups = _int_list(request, "current_performer_group_ids")
    starters = _int_list(request, "workflow_starter")
    task_api_names = _str_list(request, "template_task_api_name")
    field_names = _str_list(request, "fields")
    is_external = parse_bool_param(request, "is_external")
    ordering = request.query_params.get("ordering") or "-date"
    if ordering not in ORDERINGS:
        raise field_error("ordering", f'"{ordering}" is not a valid choice.')
    if (performers or performer_groups) and status in (DONE, SNOOZED):
        raise message_error('Only "in-progress" workflows can be filtered by current performer.')
    limit = default_limit(request)
    search = (request.query_params.get("search") or "").strip().lower()

    def matches(workflow: StoredWorkflow) -> bool:
        if status is not None and workflow.status != status:
            return False
        if template_ids and workflow.template.id not in template_ids:
            return False
        if starters and workflow.workflow_starter not in starters:
            return False
        if is_external is not None and workflow.is_external != is_external:
            return False
        active = [t for t in workflow.tasks if t.status == "active"]
        if task_api_names and not any(t.api_name in task_api_names for t in active):
            return False
        if performers and not any(
            p.type == "user" and p.source_id in performers for t in active for p in t.performers
        ):
            return False
        if performer_groups and not any(
            p.type == "group" and p.source_id in performer_groups
            for t in active
            for p in t.performers
        ):
            return False
        return not search or _search_matches(workflow, search)

    items = [w for w in visible(fake, user) if matches(w)]
    _order(items, ordering)
    offset = offset_of(request)
    page = [serializers.workflow_list_item(w, field_names) for w in items[offset : offset + limit]]
    return ok(envelope(request, len(items), limit, offset, page))


async def workflow_fields(request: Request) -> Response:
    """``GET /workflows/fields``."""
    fake = fake_of(request)
    state = fake.state
    user = current_user(request)
    if not user.is_account_owner:
        raise forbidden("Only the account owner is allowed to perform this action.")
    raw_template = request.query_params.get("template_id")
    template_id = None
    if raw_template not in (None, ""):
        assert raw_template is not None
        try:
            template_id = int(raw_template)
        except ValueError:
            raise field_error("template_id", "A valid integer is required.") from None
        if template_id < 1:
            raise field_error("template_id", "Ensure this value is greater than or equal to 1.")
    status = _status(request)
    field_names = _str_list(request, "fields")
    limit = default_limit(request)
    items = [
        w
        for w in state.workflows.values()
        if (template_id is None or w.template.id == template_id)
        and (status is None or w.status == status)
    ]
    items.sort(key=lambda w: (-w.date_created, -w.id))
    offset = offset_of(request)
    page = [
        serializers.workflow_fields_item(w, field_names) for w in items[offset : offset + limit]
    ]
    return ok(envelope(request, len(items), limit, offset, page))


async def webhook_example(request: Request) -> Response:
    """``GET /workflows/webhook-example``."""
    fake = fake_of(request)
    state = fake.state
    user = current_user(request)
    raw_status = request.query_params.get("status")
    if raw_status is not None and raw_status not in ("0", "1"):
        raise choice_error("status", raw_status)
    ordering = request.query_params.get("ordering")
    if ordering is not None and ordering not in ("date_created", "-date_created"):
        raise choice_error("ordering", ordering)
    items = [
        w
        for w in state.workflows.values()
        if (user.is_account_owner or user.id in w.owners)
        and (raw_status is None or w.status == int(raw_status))
    ]
    items.sort(key=lambda w: (w.date_created, w.id), reverse=ordering != "date_created")
    if not items:
        return empty(404)
    workflow = items[0]
    event = "workflow_completed" if workflow.status == DONE else "workflow_started"
    return ok(
        {
            "hook": {"event": event, "id": 123, "target": WEBHOOK_TARGET},
            "workflow": serializers.workflow_details(workflow),
        }
    )


async def get_workflow(request: Request) -> Response:
    """``GET /workflows/{id}``."""
    fake = fake_of(request)
    workflow = workflow_for_view(fake, request, current_user(request))
    return ok(serializers.workflow_details(workflow))


async def update_workflow(request: Request) -> Response:
    """``PATCH/PUT /workflows/{id}``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    workflow = workflow_for_change(fake, request, user)
    data = await dict_body(request)
    name = None
    if "name" in data:
        raw = data["name"]
        if raw is None:
            raise field_error("name", "This field may not be null.")
        if isinstance(raw, bool | dict | list):
            raise field_error("name", "Not a valid string.")
        name = str(raw).strip()
        if not name:
            raise field_error("name", "This field may not be blank.")
    is_urgent = require_bool("is_urgent", data["is_urgent"]) if "is_urgent" in data else None
    kickoff = data.get("kickoff")
    if "kickoff" in data and not isinstance(kickoff, dict):
        if kickoff is None:
            raise field_error("kickoff", "This field may not be null.")
        kind = type(kickoff).__name__
        raise field_error("kickoff", f'Expected a dictionary of items but got type "{kind}".')
    due_given = "due_date_tsp" in data
    due = parse_timestamp("due_date_tsp", data.get("due_date_tsp"), allow_null=True)
    if due is not None and due <= fake.clock():
        raise field_error("due_date_tsp", "Due date should be greater than current.")
    if kickoff:
        engine.update_kickoff(workflow, kickoff, user)
    if name:
        workflow.name = name
    if due_given:
        workflow.due_date = due
    if is_urgent is not None:
        engine.set_urgent(workflow, is_urgent, user)
    return ok(serializers.workflow_details(workflow))


async def delete_workflow(request: Request) -> Response:
    """``DELETE /workflows/{id}``."""
    fake = fake_of(request)
    engine = fake.engine

    workflow = workflow_for_change(fake, request, current_user(request))
    engine.delete(workflow)
    return empty()


async def return_to(request: Request) -> Response:
    """``POST /workflows/{id}/return-to``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    workflow = workflow_for_change(fake, request, user)
    data = await dict_body(request)
    task_id = data.get("task")
    if task_id is not None and (isinstance(task_id, bool) or not str(task_id).isdigit()):
        raise field_error("task", "A valid integer is required.")
    api_name = data.get("task_api_name")
    if not (task_id or api_name):
        raise message_error('You need to pass in a "task_id", or a "task api_name".')
    if task_id:
        target = next((t for t in workflow.tasks if t.id == int(task_id)), None)
    else:
        target = workflow.task(str(api_name))
    if target is None:
        raise message_error("The passed in task was not found in the workflow.")
    engine.return_to(workflow, target, user)
    return empty()


async def finish(request: Request) -> Response:
    """``POST /workflows/{id}/finish``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    workflow = workflow_for_change(fake, request, user)
    if workflow.status == DONE:
        raise message_error("You have already completed this workflow.")
    if not workflow.finalizable:
        raise message_error("You are not allowed to finish this workflow.")
    engine.finish(workflow, user)
    return empty()


async def snooze(request: Request) -> Response:
    """``POST /workflows/{id}/snooze``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    data = await dict_body(request)
    if "date" not in data:
        raise field_error("date", "This field is required.")
    until = parse_timestamp("date", data["date"])
    assert until is not None
    workflow = workflow_for_change(fake, request, user)
    engine.snooze(workflow, until, user)
    return ok(serializers.workflow_details(workflow))


async def resume(request: Request) -> Response:
    """``POST /workflows/{id}/resume``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    workflow = workflow_for_change(fake, request, user)
    engine.resume(workflow, user)
    return ok(serializers.workflow_details(workflow))


async def comment(request: Request) -> Response:
    """``POST /workflows/{id}/comment``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    workflow = workflow_for_view(fake, request, user)
    text = await comment_text(request)
    current = sorted(
        (t for t in workflow.tasks if t.status in ("active", "snoozed")),
        key=lambda t: -t.number,
    )
    event = engine.comment(workflow, current[0] if current else None, user, text)
    return ok(serializers.event_item(event, workflow))


async def events(request: Request) -> Response:
    """``GET /workflows/{id}/events``."""
    fake = fake_of(request)
    user = current_user(request)
    workflow = workflow_for_view(fake, request, user)
    return ok(
        list_events(
            request,
            workflow,
            [e for e in workflow.events if e.type != EventType.RUN],
        )
    )


def _search_matches(workflow: StoredWorkflow, search: str) -> bool:
    if search in workflow.name.lower():
        return True
    return any(search in (v.value or "").lower() for v in workflow.all_fields())


def _order(items: list[StoredWorkflow], ordering: str) -> None:
    if ordering == "date":
        items.sort(key=lambda w: (w.date_created, w.id))
    elif ordering == "-urgent":
        items.sort(key=lambda w: (not w.is_urgent, -w.date_created, -w.id))
    elif ordering == "overdue":
        items.sort(key=lambda w: (w.due_date is None, w.due_date or 0.0, -w.id))
    else:
        items.sort(key=lambda w: (-w.date_created, -w.id))


async def comment_text(request: Request) -> str:
    """``CommentCreateSerializer``: the stripped, non-blank ``text``."""
    data = await dict_body(request)
    if "text" not in data:
        raise field_error("text", "This field is required.")
    text = data["text"]
    if text is None:
        raise field_error("text", "This field may not be null.")
    if isinstance(text, bool | dict | list):
        raise field_error("text", "Not a valid string.")
    stripped = str(text).strip()
    if not stripped:
        raise field_error("text", "You need to specify the comment text.")
    return stripped


def list_events(request: Request, workflow: StoredWorkflow, events: list[Any]) -> Any:
    """Events (``ordering``, ``include_comments``; plain LimitOffset pagination)."""
    ordering = request.query_params.get("ordering")
    if ordering is not None and ordering not in ("created", "-created"):
        raise choice_error("ordering", ordering)
    if parse_bool_param(request, "include_comments") is False:
        events = [e for e in events if e.type != EventType.COMMENT]
    events = sorted(events, key=lambda e: (e.created, e.id), reverse=ordering != "created")
    limit = plain_limit(request, strict=False)
    return paginate(request, events, lambda e: serializers.event_item(e, workflow), limit)


#: The workflow routes.
ROUTES: tuple[BaseRoute, ...] = (
    ApiRoute("/workflows", list_workflows, methods=["GET"], unmapped="403"),
    ApiRoute("/workflows/fields", workflow_fields, methods=["GET"], unmapped="403"),
    ApiRoute("/workflows/webhook-example", webhook_example, methods=["GET"], unmapped="403"),
    ApiRoute("/workflows/{id}", get_workflow, methods=["GET"], unmapped="403"),
    ApiRoute("/workflows/{id}", update_workflow, methods=["PATCH", "PUT"], unmapped="403"),
    ApiRoute("/workflows/{id}", delete_workflow, methods=["DELETE"], unmapped="403"),
    ApiRoute("/workflows/{id}/return-to", return_to, methods=["POST"], unmapped="403"),
    ApiRoute("/workflows/{id}/finish", finish, methods=["POST"], unmapped="403"),
    ApiRoute("/workflows/{id}/snooze", snooze, methods=["POST"], unmapped="403"),
    ApiRoute("/workflows/{id}/resume", resume, methods=["POST"], unmapped="403"),
    ApiRoute("/workflows/{id}/comment", comment, methods=["POST"], unmapped="403"),
    ApiRoute("/workflows/{id}/events", events, methods=["GET"], unmapped="403"),
)
