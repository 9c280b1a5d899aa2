"""``client.tasks``: list, get, complete, revert, comment, due dates and events of tasks.

Real-server facts this is built on (``contract.md`` §7):

* The documented ``POST /workflows/<id>/task-complete`` is gone; tasks are completed at
  ``POST /v2/tasks/<id>/complete`` with ``{"output": {...}}``, answered with the task (200).
* ``GET /v3/tasks`` answers a bare array without ``limit`` (the paginator always sends it);
  ``assigned_to`` is allowed for admins only.
* A task skipped by a condition (never started) is a 404 on ``GET /v2/tasks/<id>``.
* Revert ("return the task") needs a non-blank comment and answers 204.
* Omitted required output fields are not checked by the server; only keys present in
  ``output`` are validated, and unknown keys are silently ignored.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pneumatic_async import _choices
from pneumatic_async import values as _values
from pneumatic_async._encodable import check_encodable
from pneumatic_async._ids import object_id
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.errors import NotFoundError, PermissionDeniedError
from pneumatic_async.models.tasks import Task, TaskListItem
from pneumatic_async.models.templates import Template
from pneumatic_async.models.workflows import Workflow, WorkflowEvent
from pneumatic_async.resources._base import Resource
from pneumatic_async.resources.checklists import Checklists
from pneumatic_async.resources.users import Users

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient
    from pneumatic_async.pagination import Paginator

__all__ = ["Tasks"]


def _given(value: Any) -> Any:
    return None if isinstance(value, NotGiven) else value


def _bool(value: bool | NotGiven) -> str | None:
    return None if isinstance(value, NotGiven) else ("true" if value else "false")


class Tasks(Resource):
    """Tasks: ``client.tasks``."""

    __slots__ = ()

    _client: BaseClient

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)

    @property
    def checklists(self) -> Checklists:
        """A task's checklists: get, mark, unmark, mark all (``client.tasks.checklists``)."""
        return Checklists(self._client)

    def list(
        self,
        *,
        assigned_to: int | NotGiven = NOT_GIVEN,
        is_completed: bool | NotGiven = NOT_GIVEN,
        search: str | NotGiven = NOT_GIVEN,
        template_id: int | NotGiven = NOT_GIVEN,
        template_task_api_name: str | NotGiven = NOT_GIVEN,
        ordering: str | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[TaskListItem]:
        """Iterate the caller's tasks (``GET /v3/tasks``): active ones by default.

        ``is_completed=True`` lists the tasks the user completed. ``assigned_to`` (a user id)
        lists another user's tasks; the server allows it for admins only (400 otherwise).
        ``ordering``: ``date``, ``-date``, ``overdue``, ``-overdue``, ``completed``,
        ``-completed``.
        """
        params = {
            "assigned_to": _given(assigned_to),
            "is_completed": _bool(is_completed),
            "search": _given(search),
            "template_id": None
            if isinstance(template_id, NotGiven)
            else object_id(template_id, "template_id"),
            "template_task_api_name": _given(template_task_api_name),
            "ordering": _given(ordering),
        }
        return self._paginate(
            "/v3/tasks",
            TaskListItem,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    async def get(self, task_id: int) -> Task:
        """Fetch a task with its output fields (``GET /v2/tasks/<id>``).

        A task that never started (skipped by a condition) is a
        :class:`~pneumatic_async.errors.NotFoundError`.
        """
        task_id = object_id(task_id, "task_id")
        return await self._get(f"/v2/tasks/{task_id}", Task)

    async def complete(
        self,
        task_id: int,
        output: Mapping[str, Any] | None = None,
        *,
        validate: bool = True,
    ) -> Task:
        """Complete a task with ``output`` values (``POST /v2/tasks/<id>/complete``).

        With ``validate`` (the default) the task is fetched first and ``output`` is checked and
        encoded against its own fields (:mod:`pneumatic_async.values`): unknown field names and
        bad values raise :class:`~pneumatic_async.errors.InvalidValuesError` before anything is
        sent (the server would silently ignore an unknown name). A radio, dropdown or checkbox
        value may be the selection's value text or its ``api_name``: the task lists value texts
        only, so an api_name is looked up in the template (``GET /workflows/<id>`` and
        ``GET /templates/<id>``, only then). ``validate=False`` sends ``output`` as given.
        Never re-sent after an ambiguous failure. A task with checklists needs every item marked
        first (:meth:`Checklists.mark_all
        <pneumatic_async.resources.checklists.Checklists.mark_all>`).
        """
        task_id = object_id(task_id, "task_id")
        body: dict[str, Any] = {"output": dict(output or {})}
        if not validate:
            check_encodable(body["output"])
        elif output:
            task = await self.get(task_id)
            specs = _values.specs_from_task(task)
            if _choices.unresolved_choices(specs, output):
                specs = await self._with_template_selections(task, specs)
            index = _values.SpecIndex(specs)
            ids = _values.user_ids_in(index, output)
            emails = await Users(self._client).emails_by_id(ids)
            body["output"] = _values.encode_values(
                index, output, check_required=False, user_emails=emails
            )
        return await self._post(f"/v2/tasks/{task_id}/complete", Task, json=body)

    async def _with_template_selections(
        self, task: Task, specs: builtins.list[_values.FieldSpec]
    ) -> builtins.list[_values.FieldSpec]:
        """``specs`` with the selection api_names of the task's template step.

        A caller who may not read the template (403/404) keeps the task's own specs: values are
        then checked against the value texts only.
        """
        try:
            workflow = await self._get(f"/workflows/{task.workflow.id}", Workflow)
            if workflow.template is None:
                return specs
            template = await self._get(f"/templates/{workflow.template.id}", Template)
        except (NotFoundError, PermissionDeniedError):
            return specs
        step = next((t for t in template.tasks if t.api_name == task.api_name), None)
        if step is None:
            return specs
        return _choices.with_selection_api_names(specs, _choices.specs_from_template_task(step))

    async def revert(self, task_id: int, comment: str) -> None:
        """Return an active task to the previous step (``POST /v2/tasks/<id>/revert``, 204).

        The server requires a comment; a blank one is a ``ValueError`` here, before sending.
        """
        task_id = object_id(task_id, "task_id")
        if not comment or not comment.strip():
            raise ValueError("revert needs a non-blank comment (the server requires one)")
        await self._client.request("POST", f"/v2/tasks/{task_id}/revert", json={"comment": comment})

    async def comment(self, task_id: int, text: str) -> WorkflowEvent:
        """Comment on a task's workflow (``POST /v2/tasks/<id>/comment``); returns the event."""
        task_id = object_id(task_id, "task_id")
        if not text or not text.strip():
            raise ValueError("a comment needs non-blank text")
        return await self._post(f"/v2/tasks/{task_id}/comment", WorkflowEvent, json={"text": text})

    async def set_due_date(self, task_id: int, due: datetime | date | float) -> None:
        """Set a task's due date (``POST /v2/tasks/<id>/due-date``, 204; must be a number)."""
        task_id = object_id(task_id, "task_id")
        await self._client.request(
            "POST",
            f"/v2/tasks/{task_id}/due-date",
            json={"due_date_tsp": _values.epoch_seconds(due)},
            idempotent=True,
        )

    async def clear_due_date(self, task_id: int) -> None:
        """Remove a task's due date (``DELETE /v2/tasks/<id>/due-date``, 204)."""
        task_id = object_id(task_id, "task_id")
        await self._client.request("DELETE", f"/v2/tasks/{task_id}/due-date")

    def events(
        self,
        task_id: int,
        *,
        ordering: str | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[WorkflowEvent]:
        """Iterate a task's events (``GET /v2/tasks/<id>/events``); ``ordering``: ``created``."""
        task_id = object_id(task_id, "task_id")
        return self._paginate(
            f"/v2/tasks/{task_id}/events",
            WorkflowEvent,
            params={"ordering": _given(ordering)},
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )
