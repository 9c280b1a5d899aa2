"""``flowdash.actions``: the Flowdash Actions API (doc 004) on the SDK's core.

List a task's available actions, execute one (asynchronously on Flowdash's side: the answer is
``Pending``), and poll the execution until it is ``Success`` or ``Fail``. Unmet requirements
make the execution request fail with 422 ``{"status": "Fail", "errors": [...]}``, raised as
:class:`~pneumatic_async.errors.UnprocessableEntityError` whose ``errors`` lists them.
"""

from __future__ import annotations

import builtins
from typing import Any
from urllib.parse import quote

import anyio

from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.models.flowdash import Action, Execution, ExecutionStatus
from pneumatic_async.resources._base import Resource

__all__ = ["Actions"]


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


class Actions(Resource):
    """Flowdash task actions and their executions: ``flowdash.actions``."""

    __slots__ = ()

    async def list(self, workflow_id: str, task_id: str | int) -> builtins.list[Action]:
        """The actions a task offers now (``GET /workflows/<wf>/tasks/<task>/actions``)."""
        path = f"/workflows/{_seg(workflow_id)}/tasks/{_seg(task_id)}/actions"
        return await self._get(path, builtins.list[Action])

    async def execute(
        self,
        workflow_id: str,
        task_id: str | int,
        action_id: str,
        *,
        performed_by: str | NotGiven = NOT_GIVEN,
    ) -> Execution:
        """Start an action execution (``POST /workflows/<wf>/executions``); usually ``Pending``.

        ``performed_by`` is the email of the user acting (who needs the permissions). Not
        re-sent after an ambiguous failure: a second request could execute the action twice.
        """
        body: dict[str, Any] = {"task_id": str(task_id), "action_id": action_id}
        if not isinstance(performed_by, NotGiven):
            body["performed_by"] = performed_by
        return await self._post(f"/workflows/{_seg(workflow_id)}/executions", Execution, json=body)

    async def get_execution(self, workflow_id: str, execution_id: str) -> Execution:
        """An execution's status (``GET /workflows/<wf>/executions/<id>``)."""
        path = f"/workflows/{_seg(workflow_id)}/executions/{_seg(execution_id)}"
        return await self._get(path, Execution)

    async def wait(
        self,
        workflow_id: str,
        execution_id: str,
        *,
        interval: float = 1.0,
        timeout: float = 60.0,
    ) -> Execution:
        """Poll an execution until ``Success`` or ``Fail``; ``TimeoutError`` after ``timeout``.

        A ``Fail`` is returned (with its ``errors``), not raised: it is the action's outcome.
        """
        with anyio.fail_after(timeout):
            while True:
                execution = await self.get_execution(workflow_id, execution_id)
                if execution.status in (ExecutionStatus.SUCCESS, ExecutionStatus.FAIL):
                    return execution
                await anyio.sleep(interval)
