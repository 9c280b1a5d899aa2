"""What every route module of the fake shares: the route classes, request parsing, responses,
the view of the fake a handler gets (:class:`ServedFake`), and the permission checks of contract
§2.4 / §5.1 / §6.1 / §7.3.

Handlers are module-level ``async def name(request) -> Response`` functions; they reach the fake
through :func:`fake_of` (the app puts it in the request scope) and the caller through
:func:`current_user` (core API) or :func:`caller` (file service, Flowdash).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Literal, Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from pneumatic_async.testing.engine import Engine
from pneumatic_async.testing.errors import (
    detail_error,
    field_error,
    forbidden,
    not_found,
)
from pneumatic_async.testing.faults import FaultInjector
from pneumatic_async.testing.file_service import FakeFileService
from pneumatic_async.testing.flowdash import FakeFlowdash
from pneumatic_async.testing.state import (
    State,
    StoredApiKey,
    StoredTask,
    StoredTemplate,
    StoredUser,
    StoredWorkflow,
)

__all__ = [
    "HTML_500",
    "ApiRoute",
    "ServedFake",
    "SwitchedRoute",
    "Unmapped",
    "body_of",
    "can_view_workflow",
    "caller",
    "current_user",
    "dict_body",
    "empty",
    "fake_of",
    "is_performer",
    "json_body",
    "json_response",
    "ok",
    "parse_bool_param",
    "parse_id",
    "require_admin",
    "server_error_500",
    "task_for_complete",
    "task_for_view",
    "template_for_owner",
    "template_for_run",
    "template_roles",
    "workflow_for_change",
    "workflow_for_view",
]


class ServedFake(Protocol):
    """What handlers use of :class:`~pneumatic_async.testing.FakePneumatic` (kept to a
    protocol so that no route module imports the fake itself)."""

    seed: int
    base_url: str
    forms_url: str
    file_service_url: str
    signed_url_uploads: bool
    api_key: str
    state: State
    engine: Engine
    faults: FaultInjector
    files: FakeFileService
    flowdash: FakeFlowdash

    def now(self) -> float:
        """The fake's current time."""

    def clock(self) -> float:
        """The fake's clock."""

    def add_api_key(self, user: StoredUser | int, *, name: str = "") -> StoredApiKey:
        """Create an API key."""

    def revoke_api_key(self, key: StoredApiKey) -> None:
        """Revoke an API key."""


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


def fake_of(request: Request) -> ServedFake:
    """The fake serving the request (the app puts it in the scope)."""
    fake = request.scope.get("fake")
    assert fake is not None, "handler called outside the fake's app"
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
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
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


def template_roles(fake: ServedFake, template: StoredTemplate, user: StoredUser) -> set[str]:
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


def template_for_owner(fake: ServedFake, request: Request, user: StoredUser) -> StoredTemplate:
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


def template_for_run(fake: ServedFake, request: Request, user: StoredUser) -> StoredTemplate:
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


def is_performer(fake: ServedFake, task: StoredTask, user: StoredUser) -> bool:
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


def can_view_workflow(fake: ServedFake, workflow: StoredWorkflow, user: StoredUser) -> bool:
    """Workflow members, template owners/viewers, starters of their own runs."""
    if user.is_account_owner or user.id in workflow.owners:
        return True
    roles = template_roles(fake, workflow.template, user)
    if "owner" in roles or "viewer" in roles:
        return True
    if "starter" in roles and workflow.workflow_starter == user.id:
        return True
    return any(is_performer(fake, task, user) for task in workflow.tasks)


def _workflow_by_url(fake: ServedFake, request: Request) -> StoredWorkflow | None:
    workflow_id = parse_id(request.path_params["id"])
    return fake.state.workflows.get(workflow_id) if workflow_id is not None else None


def workflow_for_view(fake: ServedFake, request: Request, user: StoredUser) -> StoredWorkflow:
    """Retrieve/events/comment: a visible workflow (403 before 404 for non-owners)."""
    workflow = _workflow_by_url(fake, request)
    if user.is_account_owner:
        if workflow is None:
            raise not_found()
        return workflow
    if workflow is None or not can_view_workflow(fake, workflow, user):
        raise forbidden()
    return workflow


def workflow_for_change(fake: ServedFake, request: Request, user: StoredUser) -> StoredWorkflow:
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


def task_for_view(fake: ServedFake, request: Request, user: StoredUser) -> StoredTask:
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


def task_for_complete(fake: ServedFake, request: Request, user: StoredUser) -> StoredTask:
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


HTML_500: Final = b"<h1>Server Error (500)</h1>"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response (like DRF's and FastAPI's renderers), with extra headers."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def server_error_500() -> Response:
    """Django's HTML 500 page (an unhandled server error)."""
    return Response(HTML_500, status_code=500, media_type="text/html")


def caller(request: Request) -> StoredUser | None:
    """The user whose key authenticated the request (the app records it; None if anonymous)."""
    user = request.scope.get("user")
    return user if isinstance(user, StoredUser) else None


class SwitchedRoute(Route):
    """A route that exists only while ``enabled()`` is true (else it matches nothing at all).

    Used for routes the real server no longer has, so that with the switch off the request
    falls through to whatever the real server answers (another route, or the HTML 404).
    """

    def __init__(self, *args: Any, enabled: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enabled = enabled

    def matches(self, scope: Any) -> tuple[Match, Any]:
        """Starlette's matching, or no match while switched off."""
        if not self.enabled():
            return Match.NONE, {}
        return super().matches(scope)
