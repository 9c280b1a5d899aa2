"""Fake task routes: ``GET /v3/tasks`` and ``/v2/tasks/<id>`` (get, complete, revert, comment,
due-date, events) plus ``GET /v2/tasks/webhook-example``.

``TaskViewSet`` denies unmapped methods (``DenyAll`` → 403).
"""

from __future__ import annotations

import re
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import parse_timestamp
from pneumatic_async.testing.engine import EventType
from pneumatic_async.testing.errors import (
    choice_error,
    field_error,
    forbidden,
    message_error,
    service_error,
)
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    ServedFake,
    current_user,
    dict_body,
    empty,
    fake_of,
    is_performer,
    ok,
    parse_bool_param,
    require_admin,
    task_for_complete,
    task_for_view,
)
from pneumatic_async.testing.handlers.workflows import comment_text, list_events
from pneumatic_async.testing.pagination import paginate, plain_limit
from pneumatic_async.testing.state import RUNNING, StoredTask, StoredUser

__all__ = ["ROUTES"]

ORDERINGS: Final = ("date", "-date", "overdue", "-overdue", "completed", "-completed")
WEBHOOK_TARGET: Final = "https://example.com/webhooks/"
_WORD: Final = re.compile(r"\w+")


def performs(fake: ServedFake, task: StoredTask, user: StoredUser) -> bool:
    """Whether the user performs the task (directly or via a group)."""
    return is_performer(fake, task, user)


async def list_tasks(request: Request) -> Response:
    """``GET /v3/tasks``."""
    fake = fake_of(request)
    state = fake.state
    user = current_user(request)
    params = request.query_params
    assignee = user
    raw_assigned = params.get("assigned_to")
    if raw_assigned is not None:
        if not raw_assigned.isdigit():
            raise field_error("assigned_to", "A valid integer is required.")
        if not (user.is_admin or user.is_account_owner):
            raise field_error(
                "assigned_to", 'Filter by "assigned_to" is only allowed for the admin.'
            )
        found = state.users.get(int(raw_assigned))
        if found is None:
            return ok([] if params.get("limit") is None else _empty_page(request))
        assignee = found
    ordering = params.get("ordering")
    if ordering is not None and ordering not in ORDERINGS:
        raise field_error("ordering", f'"{ordering}" is not a valid choice.')
    raw_template = params.get("template_id")
    template_id = None
    if raw_template:
        if not raw_template.isdigit():
            raise field_error("template_id", "A valid integer is required.")
        template_id = int(raw_template)
    limit = plain_limit(request, strict=True)
    completed = parse_bool_param(request, "is_completed") is True
    api_name = params.get("template_task_api_name")
    words = search_words(params.get("search"))

    def matches(task: StoredTask) -> bool:
        if not performs(fake, task, assignee):
            return False
        done = serializers.user_completed(task, assignee.id)
        if completed:
            if not done:
                return False
        elif task.status != "active" or task.workflow.status != RUNNING or done:
            return False
        if template_id is not None and task.workflow.template.id != template_id:
            return False
        if api_name and task.api_name != api_name:
            return False
        return not words or matches_search(words, task)

    items = [t for t in state.tasks.values() if matches(t)]
    items.sort(key=lambda t: (t.date_started or 0.0, t.id), reverse=True)
    if ordering:
        key = ordering.lstrip("-")
        reverse = ordering.startswith("-")
        if key == "date":
            items.sort(key=lambda t: t.date_started or 0.0, reverse=reverse)
        elif key == "overdue":
            items.sort(key=lambda t: t.due_date or float("inf"), reverse=reverse)
        else:
            items.sort(key=lambda t: t.date_completed or 0.0, reverse=reverse)
    elif not completed:
        items.sort(key=lambda t: not t.is_urgent)
    return ok(paginate(request, items, serializers.task_list_item, limit))


async def get_task(request: Request) -> Response:
    """``GET /v2/tasks/{id}``."""
    fake = fake_of(request)
    state = fake.state
    user = current_user(request)
    task = task_for_view(fake, request, user)
    return ok(serializers.task_object(state, task, user))


async def complete(request: Request) -> Response:
    """``POST /v2/tasks/{id}/complete``."""
    fake = fake_of(request)
    state = fake.state
    engine = fake.engine

    user = current_user(request)
    task = task_for_complete(fake, request, user)
    data = await dict_body(request)
    output = data.get("output")
    if "output" in data and not isinstance(output, dict):
        if output is None:
            raise field_error("output", "This field may not be null.")
        kind = type(output).__name__
        raise field_error("output", f'Expected a dictionary of items but got type "{kind}".')
    engine.complete(task, user, output)
    return ok(serializers.task_object(state, task, user))


async def revert(request: Request) -> Response:
    """``POST /v2/tasks/{id}/revert``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    task = task_for_complete(fake, request, user)
    data = await dict_body(request)
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise field_error("comment", "Not a valid string.")
    if not (comment or "").strip():
        raise message_error("You must supply a comment.")
    engine.revert(task, user, comment or "")
    return empty()


async def comment(request: Request) -> Response:
    """``POST /v2/tasks/{id}/comment``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    task = task_for_view(fake, request, user)
    text = await comment_text(request)
    if task.status not in ("active", "snoozed"):
        raise service_error("You cannot write a comment on a inactive task.")
    event = engine.comment(task.workflow, task, user, text)
    return ok(serializers.event_item(event, task.workflow))


async def due_date(request: Request) -> Response:
    """``POST/DELETE /v2/tasks/{id}/due-date``."""
    fake = fake_of(request)
    engine = fake.engine

    user = current_user(request)
    require_admin(user)
    task = task_for_view(fake, request, user)
    if not user.is_account_owner and user.id not in task.workflow.owners:
        raise forbidden()
    value = None
    if request.method == "POST":
        data = await dict_body(request)
        if "due_date_tsp" not in data:
            raise field_error("due_date_tsp", "This field is required.")
        value = parse_timestamp("due_date_tsp", data["due_date_tsp"])
    engine.set_task_due_date(task, value, user)
    return empty()


async def events(request: Request) -> Response:
    """``GET /v2/tasks/{id}/events``."""
    fake = fake_of(request)
    user = current_user(request)
    task = task_for_view(fake, request, user)
    workflow = task.workflow
    items = [e for e in workflow.events if e.task_id == task.id and e.type in EventType.TASK_EVENTS]
    return ok(list_events(request, workflow, items))


async def webhook_example(request: Request) -> Response:
    """``GET /v2/tasks/webhook-example``."""
    fake = fake_of(request)
    state = fake.state
    user = current_user(request)
    status = request.query_params.get("status")
    if status is not None and status not in ("active", "completed"):
        raise choice_error("status", status)
    ordering = request.query_params.get("ordering")
    if ordering is not None and ordering not in ("date_started", "-date_started"):
        raise choice_error("ordering", ordering)
    items = [
        t
        for t in state.tasks.values()
        if (user.is_account_owner or user.id in t.workflow.owners)
        and (status is None or t.status == status)
    ]
    if ordering == "date_started":
        items.sort(key=lambda t: (t.date_started is None, t.date_started or 0.0, t.id))
    else:  # Postgres DESC puts NULLs first
        items.sort(key=lambda t: (t.date_started is not None, -(t.date_started or 0.0), t.id))
    if not items:
        return empty(404)
    task = items[0]
    event = "task_completed" if task.status == "completed" else "task_returned"
    return ok(
        {
            "hook": {"event": event, "id": 123, "target": WEBHOOK_TARGET},
            "task": serializers.task_object(state, task, None, full_workflow=True),
        }
    )


def search_words(text: str | None) -> list[str]:
    """The words of a ``search`` parameter (lower-cased; URL schemes dropped like the real
    server's full-text query)."""
    cleaned = re.sub(r"https?://", "", text or "").lower()
    return [w for w in _WORD.findall(cleaned) if w]


def _tokens(*texts: str | None) -> list[str]:
    return [w for text in texts if text for w in _WORD.findall(text.lower())]


def matches_search(words: list[str], task: StoredTask) -> bool:
    """The real server's task search: any word is a prefix of a word of the task's own text
    (name, description) or of its workflow's name."""
    for tokens in (_tokens(task.name, task.description), _tokens(task.workflow.name)):
        if any(t.startswith(w) for w in words for t in tokens):
            return True
    return False


def _empty_page(request: Request) -> object:
    return {"count": 0, "next": None, "previous": None, "results": []}


#: The task routes.
ROUTES: tuple[BaseRoute, ...] = (
    ApiRoute("/v3/tasks", list_tasks, methods=["GET"]),
    ApiRoute("/v2/tasks/webhook-example", webhook_example, methods=["GET"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}", get_task, methods=["GET"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}/complete", complete, methods=["POST"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}/revert", revert, methods=["POST"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}/comment", comment, methods=["POST"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}/due-date", due_date, methods=["POST", "DELETE"], unmapped="403"),
    ApiRoute("/v2/tasks/{id}/events", events, methods=["GET"], unmapped="403"),
)
