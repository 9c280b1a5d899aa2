"""Shared pieces of the core API handlers: the route class, request/response helpers and the
permission checks of contract §2.4 / §5.1 / §6.1 / §7.3."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pneumatic_async.testing.errors import (
    detail_error,
    field_error,
    forbidden,
    not_found,
)
from pneumatic_async.testing.state import StoredTask, StoredTemplate, StoredUser, StoredWorkflow

if TYPE_CHECKING:
    from pneumatic_async.testing._fake import FakePneumatic

__all__ = [
    "ApiRoute",
    "Unmapped",
    "body_of",
    "can_view_workflow",
    "current_user",
    "dict_body",
    "empty",
    "fake_of",
    "json_body",
    "ok",
    "parse_bool_param",
    "parse_id",
    "require_admin",
    "task_for_complete",
    "task_for_view",
    "template_roles",
    "is_performer",
    "template_for_owner",
    "template_for_run",
    "workflow_for_change",
    "workflow_for_view",
]

Endpoint = Callable[[Request], Awaitable[Response]]
#: What a route answers for a method it does not map: DRF's 405, ``DenyAll``'s 403, or 405
#: only after an admin check (403 for others).
Unmapped = Literal["405", "403", "admin"]


class ApiRoute(Route):
    """A route of the core API (authenticated; errors raised as ``ApiError``)."""

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str],
        unmapped: Unmapped = "405",
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.unmapped: Unmapped = unmapped
        self.api_endpoint: Endpoint = endpoint


# -- responses -------------------------------------------------------------------------------


def json_body(data: Any) -> bytes:
    """DRF's renderer: compact separators, UTF-8."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def ok(data: Any, status: int = 200) -> Response:
    """A JSON response."""
    return Response(json_body(data), status_code=status, media_type="application/json")


def empty(status: int = 204) -> Response:
    """An empty-bodied response (204 by default)."""
    return Response(b"", status_code=status)


# -- requests --------------------------------------------------------------------------------


def fake_of(request: Request) -> FakePneumatic:
    """The fake serving the request (the app puts it in the scope)."""
    fake = request.scope.get("fake")
    assert fake is not None, "core API handler called outside the fake's app"
    return fake  # type: ignore[no-any-return]


def current_user(request: Request) -> StoredUser:
    """The authenticated caller (the app authenticated the request before the handler)."""
    user = request.scope.get("user")
    assert isinstance(user, StoredUser), "core API handler called without authentication"
    return user


async def body_of(request: Request) -> Any:
    """``request.data`` as DRF parses it (JSON, form, or ``{}`` when empty)."""
    raw = await request.body()
    if not raw:
        return {}
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise detail_error(400, f"JSON parse error - {exc}") from None
    if media_type == "application/x-www-form-urlencoded":
        form = await request.form()
        return {key: form[key] for key in form}
    raise detail_error(415, f'Unsupported media type "{content_type}" in request.')


async def dict_body(request: Request) -> dict[str, Any]:
    """The body, which must be an object (DRF serializers reject anything else)."""
    data = await body_of(request)
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise field_error(
            "non_field_errors", f"Invalid data. Expected a dictionary, but got {kind}."
        )
    return data


def parse_id(value: str) -> int | None:
    """A URL id (``None`` when not a positive integer)."""
    return int(value) if value.isdigit() else None


def parse_bool_param(request: Request, name: str) -> bool | None:
    """A boolean query parameter (``None`` when absent or unrecognised)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return None


# -- permissions -----------------------------------------------------------------------------


def require_admin(user: StoredUser) -> None:
    """403 unless admin or account owner."""
    if not (user.is_admin or user.is_account_owner):
        raise forbidden()


def template_roles(fake: FakePneumatic, template: StoredTemplate, user: StoredUser) -> set[str]:
    """The caller's roles on a template (``owner``, ``viewer``, ``starter``)."""
    groups = fake.state.groups
    roles = set()
    for owner in template.owners:
        source = owner["source_id"]
        if not source.isdigit():
            continue
        if owner["type"] == "user" and int(source) == user.id:
            roles.add(owner.get("role", "owner"))
        elif owner["type"] == "group":
            group = groups.get(int(source))
            if group is not None and user.id in group.user_ids:
                roles.add(owner.get("role", "owner"))
    return roles


def template_for_owner(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredTemplate:
    """Retrieve/update/delete: admin or account owner, and a template owner (owner bypasses)."""
    require_admin(user)
    template_id = parse_id(request.path_params["id"])
    template = fake.state.templates.get(template_id) if template_id is not None else None
    if user.is_account_owner:
        if template is None:
            raise not_found()
        return template
    if template is None or "owner" not in template_roles(fake, template, user):
        raise forbidden("Permission denied. You are not a template owner.")
    return template


def template_for_run(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredTemplate:
    """Run: account owner, or owner/viewer/starter of the template."""
    template_id = parse_id(request.path_params["id"])
    template = fake.state.templates.get(template_id) if template_id is not None else None
    if user.is_account_owner:
        if template is None:
            raise not_found()
        return template
    if user.type != "user" or template is None or not template_roles(fake, template, user):
        raise forbidden("Permission denied. You do not have access to this template.")
    return template


def is_performer(fake: FakePneumatic, task: StoredTask, user: StoredUser) -> bool:
    """Whether the user performs the task (directly or via a group)."""
    for performer in task.performers:
        if performer.type == "user":
            if performer.source_id == user.id:
                return True
        else:
            group = fake.state.groups.get(performer.source_id)
            if group is not None and user.id in group.user_ids:
                return True
    return False


def can_view_workflow(fake: FakePneumatic, workflow: StoredWorkflow, user: StoredUser) -> bool:
    """Workflow members, template owners/viewers, starters of their own runs."""
    if user.is_account_owner or user.id in workflow.owners:
        return True
    roles = template_roles(fake, workflow.template, user)
    if "owner" in roles or "viewer" in roles:
        return True
    if "starter" in roles and workflow.workflow_starter == user.id:
        return True
    return any(is_performer(fake, task, user) for task in workflow.tasks)


def _workflow_by_url(fake: FakePneumatic, request: Request) -> StoredWorkflow | None:
    workflow_id = parse_id(request.path_params["id"])
    return fake.state.workflows.get(workflow_id) if workflow_id is not None else None


def workflow_for_view(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredWorkflow:
    """Retrieve/events/comment: a visible workflow (403 before 404 for non-owners)."""
    workflow = _workflow_by_url(fake, request)
    if user.is_account_owner:
        if workflow is None:
            raise not_found()
        return workflow
    if workflow is None or not can_view_workflow(fake, workflow, user):
        raise forbidden()
    return workflow


def workflow_for_change(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredWorkflow:
    """Patch/delete/return-to/finish/snooze/resume: admin (or owner) with change permission."""
    require_admin(user)
    workflow = _workflow_by_url(fake, request)
    if user.is_account_owner:
        if workflow is None:
            raise not_found()
        return workflow
    if workflow is None or user.id not in workflow.owners:
        raise forbidden()
    return workflow


def task_for_view(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredTask:
    """Retrieve/events: a task of a visible workflow (a missing task is 404 for everybody)."""
    task_id = parse_id(request.path_params["id"])
    if task_id is None:
        raise forbidden()
    task = fake.state.tasks.get(task_id)
    if task is None or task.date_first_started is None:
        raise not_found()
    if not user.is_account_owner and not can_view_workflow(fake, task.workflow, user):
        raise forbidden()
    return task


def task_for_complete(fake: FakePneumatic, request: Request, user: StoredUser) -> StoredTask:
    """Complete/revert/comment: a performer of the task, or the account owner."""
    task_id = parse_id(request.path_params["id"])
    task = fake.state.tasks.get(task_id) if task_id is not None else None
    if user.is_account_owner:
        if task is None:
            raise not_found()
        return task
    if task is None or not is_performer(fake, task, user):
        raise forbidden()
    return task
