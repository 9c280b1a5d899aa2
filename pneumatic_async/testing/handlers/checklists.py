"""Fake checklist routes: ``GET /v2/tasks/checklists/<id>`` and ``POST .../mark`` / ``.../unmark``.

A workflow task's checklists are created from its template task's ``checklists`` when the
workflow runs; each item (a *selection*) starts unmarked. Marking answers the whole checklist
(``{id, api_name, selections: [{id, api_name, value, is_selected}]}``); completing a task with an
unmarked item is refused by the engine (contract §7.4).

Who may do what (the fake's reading of the real server): reading needs the task's workflow to
be visible to the caller, marking needs a performer of the task or the account owner; a
checklist the caller cannot see answers 404 like one that does not exist.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from pneumatic_async.testing.errors import field_error, forbidden, not_found, service_error
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    can_view_workflow,
    current_user,
    dict_body,
    fake_of,
    is_performer,
    ok,
    parse_id,
)
from pneumatic_async.testing.state import StoredTask, StoredUser

__all__ = ["ROUTES", "get_checklist", "mark_checklist_item", "unmark_checklist_item"]

NOT_ACTIVE: Final = "Available only for the active task."
UNKNOWN_ITEM: Final = "Checklist item with given id not found."


def checklist_json(checklist: dict[str, Any]) -> dict[str, Any]:
    """A workflow checklist as the API shows it."""
    return {
        "id": checklist["id"],
        "api_name": checklist["api_name"],
        "selections": [
            {
                "id": s["id"],
                "api_name": s["api_name"],
                "value": s["value"],
                "is_selected": s["is_selected"],
            }
            for s in checklist["selections"]
        ],
    }


def _checklist_by_url(request: Request, user: StoredUser) -> tuple[StoredTask, dict[str, Any]]:
    fake = fake_of(request)
    checklist_id = parse_id(request.path_params["id"])
    task = fake.state.checklist_tasks.get(checklist_id) if checklist_id is not None else None
    if task is None or task.workflow.deleted:
        raise not_found()
    if not user.is_account_owner and not can_view_workflow(fake, task.workflow, user):
        raise not_found()
    checklist = next(c for c in task.checklists if c["id"] == checklist_id)
    return task, checklist


async def get_checklist(request: Request) -> Response:
    """``GET /v2/tasks/checklists/<id>``."""
    user = current_user(request)
    _, checklist = _checklist_by_url(request, user)
    return ok(checklist_json(checklist))


async def _set_item(request: Request, *, selected: bool) -> Response:
    user = current_user(request)
    task, checklist = _checklist_by_url(request, user)
    if not user.is_account_owner and not is_performer(fake_of(request), task, user):
        raise forbidden()
    data = await dict_body(request)
    if "selection_id" not in data:
        raise field_error("selection_id", "This field is required.")
    raw = data["selection_id"]
    if raw is None:
        raise field_error("selection_id", "This field may not be null.")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
        raise field_error("selection_id", "A valid integer is required.")
    selection_id = int(raw)
    if task.status != "active":
        raise service_error(NOT_ACTIVE)
    selection = next((s for s in checklist["selections"] if s["id"] == selection_id), None)
    if selection is None:
        raise service_error(UNKNOWN_ITEM)
    selection["is_selected"] = selected
    return ok(checklist_json(checklist))


async def mark_checklist_item(request: Request) -> Response:
    """``POST /v2/tasks/checklists/<id>/mark`` with ``{"selection_id": int}``."""
    return await _set_item(request, selected=True)


async def unmark_checklist_item(request: Request) -> Response:
    """``POST /v2/tasks/checklists/<id>/unmark`` with ``{"selection_id": int}``."""
    return await _set_item(request, selected=False)


ROUTES: Final = (
    ApiRoute("/v2/tasks/checklists/{id}", get_checklist, methods=["GET"], unmapped="403"),
    ApiRoute(
        "/v2/tasks/checklists/{id}/mark", mark_checklist_item, methods=["POST"], unmapped="403"
    ),
    ApiRoute(
        "/v2/tasks/checklists/{id}/unmark",
        unmark_checklist_item,
        methods=["POST"],
        unmapped="403",
    ),
)
