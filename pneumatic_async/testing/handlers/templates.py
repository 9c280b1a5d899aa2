"""Fake ``/templates`` routes: list, create, get, update (PUT), delete, run, fields, steps."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pneumatic_async.testing import serializers
from pneumatic_async.testing._values import parse_timestamp, require_bool
from pneumatic_async.testing.errors import field_error, service_error
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    ServedFake,
    body_of,
    current_user,
    dict_body,
    empty,
    fake_of,
    is_performer,
    ok,
    parse_bool_param,
    require_admin,
    template_for_owner,
    template_for_run,
    template_roles,
)
from pneumatic_async.testing.pagination import paginate, plain_limit
from pneumatic_async.testing.state import SNOOZED, StoredTask, StoredTemplate
from pneumatic_async.testing.validation import save_template

__all__ = ["ROUTES"]

ORDERINGS: Final = ("name", "-name", "date", "-date", "usage", "-usage")


async def list_templates(request: Request) -> Response:
    """``GET /templates``."""
    fake = fake_of(request)
    state = fake.state

    user = current_user(request)
    params = request.query_params
    ordering = params.get("ordering")
    if ordering is not None and ordering not in ORDERINGS:
        raise field_error("ordering", f'"{ordering}" is not a valid choice.')
    limit = plain_limit(request, strict=True)
    is_active = parse_bool_param(request, "is_active")
    is_public = parse_bool_param(request, "is_public")
    search = (params.get("search") or "").strip().lower()
    items = [
        t
        for t in state.templates.values()
        if template_roles(fake, t, user)
        and (is_active is None or t.is_active == is_active)
        and (is_public is None or t.is_public == is_public)
        and (not search or search in t.name.lower() or search in t.description.lower())
    ]
    items.sort(key=lambda t: t.id)
    if ordering:
        key = ordering.lstrip("-")
        reverse = ordering.startswith("-")
        if key == "name":
            items.sort(key=lambda t: t.name.lower(), reverse=reverse)
        elif key == "date":
            items.sort(key=lambda t: t.date_updated, reverse=reverse)
        else:
            items.sort(key=lambda t: t.workflows_count, reverse=reverse)
    items.sort(key=lambda t: not t.is_active)
    with_count = ordering in ("usage", "-usage")
    return ok(
        paginate(
            request,
            items,
            lambda t: serializers.template_list_item(t, with_count=with_count),
            limit,
        )
    )


async def create_template(request: Request) -> Response:
    """``POST /templates``."""
    fake = fake_of(request)
    state = fake.state

    user = current_user(request)
    require_admin(user)
    body = await body_of(request)
    template = save_template(state, body, user=user, now=fake.clock())
    return ok(serializers.template_detail(state, template, fake.forms_url))


async def get_template(request: Request) -> Response:
    """``GET /templates/{id}``."""
    fake = fake_of(request)
    state = fake.state

    template = template_for_owner(fake, request, current_user(request))
    return ok(serializers.template_detail(state, template, fake.forms_url))


async def put_template(request: Request) -> Response:
    """``PUT /templates/{id}``."""
    fake = fake_of(request)
    state = fake.state

    user = current_user(request)
    template = template_for_owner(fake, request, user)
    body = await body_of(request)
    template = save_template(state, body, user=user, now=fake.clock(), existing=template)
    return ok(serializers.template_detail(state, template, fake.forms_url))


async def delete_template(request: Request) -> Response:
    """``DELETE /templates/{id}``."""
    fake = fake_of(request)
    state = fake.state

    template = template_for_owner(fake, request, current_user(request))
    state.templates.pop(template.id, None)
    return empty()


async def run_template(request: Request) -> Response:
    """``POST /templates/{id}/run``."""
    fake = fake_of(request)
    user = current_user(request)
    template = template_for_run(fake, request, user)
    data = await dict_body(request)
    options = _run_options(fake, data)
    ancestor = options.pop("ancestor_task", None)
    if ancestor is not None:
        _check_ancestor(fake, ancestor, user)
    workflow = fake.engine.run(template, user, ancestor_task=ancestor, **options)
    return ok(serializers.workflow_details(workflow))


async def template_fields(request: Request) -> Response:
    """``GET /templates/{id}/fields``."""
    fake = fake_of(request)
    template = _template_for_read(fake, request)
    return ok(serializers.template_fields(template))


async def template_steps(request: Request) -> Response:
    """``GET /templates/{id}/steps``."""
    fake = fake_of(request)
    template = _template_for_read(fake, request)
    return ok(serializers.template_steps(template))


def _template_for_read(fake: ServedFake, request: Request) -> StoredTemplate:
    user = current_user(request)
    return template_for_run(fake, request, user)


def _run_options(fake: ServedFake, data: dict[str, Any]) -> dict[str, Any]:
    """``WorkflowCreateSerializer``: validated run options (first error only)."""
    options: dict[str, Any] = {}
    if "name" in data:
        name = data["name"]
        if name is not None:
            if isinstance(name, bool | dict | list):
                raise field_error("name", "Not a valid string.")
            text = str(name).strip()
            if not text:
                raise field_error("name", "This field may not be blank.")
            options["name"] = text
    if "is_urgent" in data:
        options["is_urgent"] = require_bool("is_urgent", data["is_urgent"])
    if "due_date_tsp" in data:
        due = parse_timestamp("due_date_tsp", data["due_date_tsp"], allow_null=True)
        if due is not None and due <= fake.clock():
            raise field_error("due_date_tsp", "Due date should be greater than current.")
        options["due_date"] = due
    if "ancestor_task_id" in data:
        raw = data["ancestor_task_id"]
        if raw is None:
            raise field_error("ancestor_task_id", "This field may not be null.")
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            kind = type(raw).__name__
            raise field_error(
                "ancestor_task_id", f"Incorrect type. Expected pk value, received {kind}."
            )
        if isinstance(raw, str) and not raw.isdigit():
            raise field_error(
                "ancestor_task_id", "Incorrect type. Expected pk value, received str."
            )
        task = fake.state.tasks.get(int(raw))
        if task is None:
            raise field_error("ancestor_task_id", f'Invalid pk "{raw}" - object does not exist.')
        options["ancestor_task"] = task
    if "kickoff" in data:
        kickoff = data["kickoff"]
        if kickoff is not None and not isinstance(kickoff, dict):
            kind = type(kickoff).__name__
            raise field_error("kickoff", f'Expected a dictionary of items but got type "{kind}".')
        options["kickoff"] = kickoff
    return options


def _check_ancestor(fake: ServedFake, task: StoredTask, user: Any) -> None:
    if task.workflow.status == SNOOZED:
        raise service_error("Snoozed workflow cannot be changed.")
    if task.status != "active":
        raise service_error(
            "Embedded workflows can be created only for the workflow's active task."
        )
    if not user.is_account_owner and not is_performer(fake, task, user):
        raise service_error(
            "You need to be added to the task as a performer in order to create "
            "a embedded workflows."
        )


#: The template routes.
ROUTES: tuple[BaseRoute, ...] = (
    ApiRoute("/templates", list_templates, methods=["GET"]),
    ApiRoute("/templates", create_template, methods=["POST"]),
    ApiRoute("/templates/{id}", get_template, methods=["GET"], unmapped="admin"),
    ApiRoute("/templates/{id}", put_template, methods=["PUT"], unmapped="admin"),
    ApiRoute("/templates/{id}", delete_template, methods=["DELETE"], unmapped="admin"),
    ApiRoute("/templates/{id}/run", run_template, methods=["POST"]),
    ApiRoute("/templates/{id}/fields", template_fields, methods=["GET"]),
    ApiRoute("/templates/{id}/steps", template_steps, methods=["GET"]),
)
