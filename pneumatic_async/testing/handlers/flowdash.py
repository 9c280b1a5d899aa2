"""Flowdash routes under ``/api/v1`` (doc 004), served from the store in ``testing/flowdash.py``
(``fake.flowdash``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from pneumatic_async.testing.flowdash import FakeFlowdash
from pneumatic_async.testing.handlers._helpers import fake_of

__all__ = ["PREFIX", "ROUTES", "create_execution", "get_execution", "list_actions"]

PREFIX = "/api/v1"


def _flowdash(request: Request) -> FakeFlowdash | None:
    """The Flowdash store, or ``None`` when the request's key is not the expected one."""
    fake = fake_of(request)
    flowdash = fake.flowdash
    expected = flowdash.api_key or fake.api_key
    if request.headers.get("authorization") != f"Bearer {expected}":
        return None
    return flowdash


def _unauthorized() -> Response:
    return JSONResponse({"errors": ["Unauthorized"]}, status_code=401)


def _not_found() -> Response:
    return JSONResponse({"errors": ["Not found"]}, status_code=404)


async def list_actions(request: Request) -> Response:
    """``GET /api/v1/workflows/<workflow-id>/tasks/<task-id>/actions``."""
    flowdash = _flowdash(request)
    if flowdash is None:
        return _unauthorized()
    params = request.path_params
    task = flowdash.get_task(params["workflow_id"], params["task_id"])
    if task is None:
        return _not_found()
    return JSONResponse([action.to_json() for action in task.actions])


async def create_execution(request: Request) -> Response:
    """``POST /api/v1/workflows/<workflow-id>/executions``."""
    flowdash = _flowdash(request)
    if flowdash is None:
        return _unauthorized()
    workflow_id = request.path_params["workflow_id"]
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("task_id") or not body.get("action_id"):
        errors = ["task_id and action_id are required"]
        return JSONResponse({"status": "Fail", "errors": errors}, status_code=422)
    performed_by = body.get("performed_by")
    result = flowdash.execute(
        workflow_id,
        str(body["task_id"]),
        str(body["action_id"]),
        str(performed_by) if performed_by is not None else None,
    )
    if isinstance(result, list):
        return JSONResponse({"status": "Fail", "errors": result}, status_code=422)
    return JSONResponse({"id": result.id, "status": "Pending"}, status_code=201)


async def get_execution(request: Request) -> Response:
    """``GET /api/v1/workflows/<workflow-id>/executions/<execution-id>``."""
    flowdash = _flowdash(request)
    if flowdash is None:
        return _unauthorized()
    execution = flowdash.executions.get(request.path_params["execution_id"])
    if execution is None or execution.workflow_id != request.path_params["workflow_id"]:
        return _not_found()
    return JSONResponse(execution.poll())


_BASE = f"{PREFIX}/workflows/{{workflow_id}}"
ROUTES: tuple[BaseRoute, ...] = (
    Route(f"{_BASE}/tasks/{{task_id}}/actions", list_actions, methods=["GET"]),
    Route(f"{_BASE}/executions", create_execution, methods=["POST"]),
    Route(f"{_BASE}/executions/{{execution_id}}", get_execution, methods=["GET"]),
)
