"""``flowdash.actions``: the Flowdash Actions API (doc 004) on the SDK's core.

List a task's available actions, execute one (asynchronously on Flowdash's side: the answer is
``Pending``), and poll the execution until it is ``Success`` or ``Fail``. Unmet requirements
make the execution request fail with 422 ``{"status": "Fail", "errors": [...]}``, raised as
:class:`~pneumatic_async.errors.UnprocessableEntityError` whose ``errors`` lists them.
"""

from __future__ import annotations

import builtins
import math
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import anyio

from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.errors import ExecutionTimeoutError
from pneumatic_async.models.flowdash import Action, Execution
from pneumatic_async.resources._base import Resource

__all__ = ["Actions", "poll_delay"]


def poll_delay(
    poll: int,
    *,
    interval: float,
    max_interval: float,
    multiplier: float = 2.0,
    rand: Callable[[], float] | None = None,
) -> float:
    """Seconds to wait after the ``poll``-th status poll (0-based) of an execution.

    Capped exponential backoff with jitter: the step ``min(max_interval, interval *
    multiplier ** poll)`` is waited between half of it and all of it (``rand()``, by default
    ``random.random``, picks where), so many clients waiting for many executions spread their
    polls.
    """
    if interval < 0 or max_interval < 0 or multiplier < 1:
        raise ValueError("interval and max_interval must be >= 0 and multiplier >= 1")
    exponent = min(poll, 64)  # no overflow however long the wait
    step = min(max_interval, interval * math.pow(multiplier, exponent))
    return step / 2 + (random.random() if rand is None else rand()) * step / 2


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
        interval: float = 0.5,
        max_interval: float = 10.0,
        timeout: float = 60.0,
    ) -> Execution:
        """Poll an execution until ``Success`` or ``Fail``, and return it.

        Polls with capped exponential backoff and jitter (:func:`poll_delay`: about
        ``interval``, then twice as long each time, at most ``max_interval`` seconds apart).
        A ``Fail`` is returned (with its ``errors``), not raised: it is the action's outcome.
        After ``timeout`` seconds raises
        :class:`~pneumatic_async.errors.ExecutionTimeoutError` carrying the last execution seen
        (a ``TimeoutError`` too).
        """
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        last: Execution | None = None
        polls = 0
        with anyio.move_on_after(timeout):
            while True:
                last = await self.get_execution(workflow_id, execution_id)
                polls += 1
                if last.done:
                    return last
                await anyio.sleep(
                    poll_delay(polls - 1, interval=interval, max_interval=max_interval)
                )
        status = "no answer" if last is None else f"last status {last.status}"
        raise ExecutionTimeoutError(
            f"execution {execution_id} of Flowdash workflow {workflow_id} did not finish within "
            f"{timeout} s ({polls} polls, {status})",
            execution=last,
            workflow_id=str(workflow_id),
            execution_id=str(execution_id),
            timeout=timeout,
            polls=polls,
        )
