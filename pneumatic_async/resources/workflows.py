"""``client.workflows``: workflow runs — list, get, field values, update, delete (terminate),
return, finish, snooze, resume, comment, events and completing the current task.

Real-server facts this is built on (``contract.md`` §6):

* Workflow lists are always paginated (default 15, at most 1000 per page); the list filter
  ``status`` takes ``running|done|snoozed`` while items carry the numeric status (0 running,
  1 done, 3 snoozed; there is no "terminated": terminating deletes).
* A workflow has no ``current_task``: the active tasks are the ``tasks`` whose status is
  ``"active"``. The documented ``POST /workflows/<id>/task-complete`` is gone (HTML 404); tasks
  are completed at ``POST /v2/tasks/<task id>/complete``.
* ``PATCH /workflows/<id>``, delete, return-to, finish, snooze and resume need an admin (or the
  account owner) with rights on the workflow; ``GET /workflows/fields`` needs the account owner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pneumatic_async import _legacy_forms
from pneumatic_async import values as _values
from pneumatic_async._encodable import check_encodable
from pneumatic_async._ids import object_id, object_ids
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.errors import TaskSelectionError
from pneumatic_async.models.common import TaskStatus
from pneumatic_async.models.workflows import (
    Workflow,
    WorkflowEvent,
    WorkflowFields,
    WorkflowListItem,
)
from pneumatic_async.resources._base import Resource
from pneumatic_async.resources.tasks import Tasks
from pneumatic_async.resources.users import Users

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient
    from pneumatic_async.models.tasks import Task
    from pneumatic_async.pagination import Paginator

__all__ = ["WorkflowStatusFilter", "Workflows"]

#: The ``status`` filter values of workflow lists (items carry 0/1/3 instead).
WorkflowStatusFilter = Literal["running", "done", "snoozed", "delayed"]


def _csv(value: int | str | Sequence[int] | Sequence[str] | NotGiven) -> str | None:
    """A query value for the server's comma-separated list filters (``None``: not sent)."""
    if isinstance(value, NotGiven):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return ",".join(str(item) for item in value)


def _checked_as_given(values: Mapping[str, Any]) -> dict[str, Any]:
    check_encodable(values)
    return dict(values)


def _given(value: Any) -> Any:
    return None if isinstance(value, NotGiven) else value


class Workflows(Resource):
    """Workflow runs: ``client.workflows``."""

    __slots__ = ()

    _client: BaseClient

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)

    # -- reading ------------------------------------------------------------------------------

    def list(
        self,
        *,
        status: WorkflowStatusFilter | NotGiven = NOT_GIVEN,
        template_id: int | Sequence[int] | NotGiven = NOT_GIVEN,
        current_performer: int | Sequence[int] | NotGiven = NOT_GIVEN,
        current_performer_group_ids: int | Sequence[int] | NotGiven = NOT_GIVEN,
        workflow_starter: int | Sequence[int] | NotGiven = NOT_GIVEN,
        template_task_api_name: str | Sequence[str] | NotGiven = NOT_GIVEN,
        is_external: bool | NotGiven = NOT_GIVEN,
        search: str | NotGiven = NOT_GIVEN,
        fields: Sequence[str] | str | NotGiven = NOT_GIVEN,
        ordering: str | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[WorkflowListItem]:
        """Iterate workflow runs (``GET /workflows``), newest first by default.

        Filters (lists of ids or names go as the server's comma-separated values):
        ``status`` (``"running"``, ``"done"``, ``"snoozed"``), ``template_id``,
        ``current_performer`` / ``current_performer_group_ids`` (user/group ids; only with
        running workflows, the server refuses them with another status), ``workflow_starter``,
        ``template_task_api_name``, ``is_external``, ``search`` (full text over names, field
        values, comments...). ``fields``: kickoff/output field api_names whose values each item
        carries in ``fields``. ``ordering``: ``-date`` (default), ``date``, ``-urgent``,
        ``overdue``. ``page_size`` is at most 1000 (the server's limit).
        """
        params = {
            "status": _legacy_forms.workflow_status(_given(status)),
            "template_id": _csv(
                template_id
                if isinstance(template_id, NotGiven)
                else object_ids(template_id, "template_id")
            ),
            "current_performer": _csv(current_performer),
            "current_performer_group_ids": _csv(current_performer_group_ids),
            "workflow_starter": _csv(workflow_starter),
            "template_task_api_name": _csv(template_task_api_name),
            "is_external": None
            if isinstance(is_external, NotGiven)
            else ("true" if is_external else "false"),
            "search": _given(search),
            "fields": _csv(fields),
            "ordering": _given(ordering),
        }
        return self._paginate(
            "/workflows",
            WorkflowListItem,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    async def get(self, workflow_id: int) -> Workflow:
        """Fetch a workflow with its tasks and kickoff values (``GET /workflows/<id>``).

        Skipped tasks are not listed by the server; ``workflow.active_tasks`` are the current
        ones (there is no ``current_task``).
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        return await self._get(f"/workflows/{workflow_id}", Workflow)

    def fields(
        self,
        *,
        template_id: int | NotGiven = NOT_GIVEN,
        status: WorkflowStatusFilter | NotGiven = NOT_GIVEN,
        fields: Sequence[str] | str | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[WorkflowFields]:
        """Iterate workflows with their field values (``GET /workflows/fields``), newest first.

        ``template_id`` is optional on the real server (the docs say required: without it every
        template's workflows come back). ``status`` is ``"running"``, ``"done"`` or ``"snoozed"``
        (not the documented ``delayed``); ``fields`` limits the values to these api_names. The
        real server allows this to the **account owner** only (others get 403).
        """
        params = {
            "template_id": _given(template_id),
            "status": _legacy_forms.workflow_status(_given(status)),
            "fields": _csv(fields),
        }
        return self._paginate(
            "/workflows/fields",
            WorkflowFields,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    def events(
        self,
        workflow_id: int,
        *,
        ordering: Literal["created", "-created"] | NotGiven = NOT_GIVEN,
        include_comments: bool | NotGiven = NOT_GIVEN,
        only_attachments: bool | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[WorkflowEvent]:
        """Iterate a workflow's history (``GET /workflows/<id>/events``): task starts and
        completions, returns, comments, urgency and due date changes... (newest first unless
        ``ordering="created"``)."""
        workflow_id = object_id(workflow_id, "workflow_id")
        params = {
            "ordering": _given(ordering),
            "include_comments": None
            if isinstance(include_comments, NotGiven)
            else ("true" if include_comments else "false"),
            "only_attachments": None
            if isinstance(only_attachments, NotGiven)
            else ("true" if only_attachments else "false"),
        }
        return self._paginate(
            f"/workflows/{workflow_id}/events",
            WorkflowEvent,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    # -- changing -----------------------------------------------------------------------------

    async def update(
        self,
        workflow_id: int,
        *,
        name: str | NotGiven = NOT_GIVEN,
        is_urgent: bool | NotGiven = NOT_GIVEN,
        kickoff: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        due_date: datetime | date | float | NotGiven | None = NOT_GIVEN,
        validate: bool = True,
    ) -> Workflow:
        """Change a running workflow (``PATCH /workflows/<id>``); returns it.

        Only the given arguments are sent. ``kickoff`` is partial: the named fields change, the
        others keep their values. ``due_date`` (``datetime``, ``date`` or epoch seconds, in the
        future) is sent as ``due_date_tsp``; ``None`` clears it. With ``validate`` (default) the
        kickoff values are checked and encoded like :meth:`Templates.run
        <pneumatic_async.resources.templates.Templates.run>` does, against the workflow's own
        kickoff fields (one ``GET /workflows/<id>`` first); required fields may be left out.
        Needs an admin with rights on the workflow (or the account owner).
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        body: dict[str, Any] = {}
        if not isinstance(name, NotGiven):
            body["name"] = name
        if not isinstance(is_urgent, NotGiven):
            body["is_urgent"] = is_urgent
        if not isinstance(kickoff, NotGiven):
            body["kickoff"] = (
                await self._encode_kickoff(workflow_id, kickoff)
                if validate
                else _checked_as_given(kickoff)
            )
        if not isinstance(due_date, NotGiven):
            body["due_date_tsp"] = None if due_date is None else _values.epoch_seconds(due_date)
        path = f"/workflows/{workflow_id}"
        updated: Workflow = await self._client.patch(path, cast_to=Workflow, json=body)
        return updated

    async def _encode_kickoff(self, workflow_id: int, kickoff: Mapping[str, Any]) -> dict[str, Any]:
        specs = _values.SpecIndex(_values.specs_from_workflow(await self.get(workflow_id)))
        raw = dict(kickoff)
        user_ids = _values.user_ids_in(specs, raw)
        emails = await Users(self._client).emails_by_id(user_ids)
        return _values.encode_values(specs, raw, check_required=False, user_emails=emails)

    async def delete(self, workflow_id: int) -> None:
        """Terminate a workflow: the server deletes it (``DELETE /workflows/<id>``, 204).

        No webhook is sent; a later :meth:`get` answers 404.
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        await self._client.delete(f"/workflows/{workflow_id}")

    async def return_to(
        self,
        workflow_id: int,
        *,
        task_id: int | NotGiven = NOT_GIVEN,
        task_api_name: str | NotGiven = NOT_GIVEN,
    ) -> None:
        """Return the workflow to an earlier task (``POST /workflows/<id>/return-to``, 204).

        Name the task by ``task_id`` or by its template ``task_api_name`` (exactly one). The task
        and the ones after it start over; a completed workflow is re-opened. The server refuses
        pending tasks ("A workflow can't return to a later task.") and tasks skipped by a
        condition.
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        if isinstance(task_id, NotGiven) == isinstance(task_api_name, NotGiven):
            raise ValueError("pass exactly one of task_id= or task_api_name=")
        body = (
            {"task": object_id(task_id, "task_id")}
            if not isinstance(task_id, NotGiven)
            else {"task_api_name": task_api_name}
        )
        await self._client.post(f"/workflows/{workflow_id}/return-to", json=body)

    async def finish(self, workflow_id: int) -> None:
        """Complete a workflow now (``POST /workflows/<id>/finish``, 204).

        Only for templates marked ``finalizable``; otherwise the server answers 400 "You are not
        allowed to finish this workflow.".
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        await self._client.post(f"/workflows/{workflow_id}/finish", json={})

    async def snooze(self, workflow_id: int, until: datetime | date | float) -> Workflow:
        """Snooze the workflow until ``until`` (``POST /workflows/<id>/snooze``); returns it.

        ``until``: a ``datetime`` (naive = UTC), a ``date`` or epoch seconds. Its active tasks
        become ``snoozed`` and its status 3. Repeating it is harmless, so it is retried like a
        read.
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        return await self._post(
            f"/workflows/{workflow_id}/snooze",
            Workflow,
            json={"date": _values.epoch_seconds(until)},
            idempotent=True,
        )

    async def resume(self, workflow_id: int) -> Workflow:
        """Resume a snoozed workflow now (``POST /workflows/<id>/resume``); returns it.

        A running workflow is left as it is. Retried like a read (repeating it is harmless).
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        return await self._post(
            f"/workflows/{workflow_id}/resume", Workflow, json={}, idempotent=True
        )

    async def comment(self, workflow_id: int, text: str) -> WorkflowEvent:
        """Post a comment on the workflow (``POST /workflows/<id>/comment``); returns the event.

        The server strips ``text`` and refuses a blank one, and refuses comments on completed
        workflows. Markdown links to uploaded files attach them.
        """
        workflow_id = object_id(workflow_id, "workflow_id")
        return await self._post(
            f"/workflows/{workflow_id}/comment", WorkflowEvent, json={"text": text}
        )

    # -- tasks --------------------------------------------------------------------------------

    async def complete_current_task(
        self,
        workflow_id: int,
        output: Mapping[str, Any] | None = None,
        *,
        validate: bool = True,
    ) -> Task:
        """Complete the workflow's one active task with ``output``; returns the task.

        The documented ``POST /workflows/<id>/task-complete`` no longer exists on the real
        server and workflows have no ``current_task``. This fetches the workflow
        (``GET /workflows/<id>``), picks the task whose status is ``"active"`` and completes it
        with ``client.tasks.complete(task_id, output, validate=validate)``
        (``POST /v2/tasks/<task id>/complete``), which checks ``output`` against that task's
        own fields. Raises :class:`~pneumatic_async.errors.TaskSelectionError` when no task is
        active (e.g. the workflow is done or snoozed) or several are (parallel branches): then
        complete the one you mean with ``client.tasks.complete(task_id, ...)``.
        """
        workflow = await self.get(workflow_id)
        active = [task for task in workflow.tasks if task.status == TaskStatus.ACTIVE]
        if len(active) != 1:
            ids = [task.id for task in active]
            if not active:
                message = (
                    f"workflow {workflow.id} has no active task (status {int(workflow.status)}, "
                    f"tasks: {_task_statuses(workflow)}); nothing to complete"
                )
            else:
                listed = ", ".join(f"{task.id} ({task.api_name})" for task in active)
                message = (
                    f"workflow {workflow.id} has {len(active)} active tasks: {listed}; "
                    "complete the one you mean with client.tasks.complete(task_id, ...)"
                )
            raise TaskSelectionError(message, workflow_id=workflow.id, active_task_ids=ids)
        return await Tasks(self._client).complete(active[0].id, output, validate=validate)


def _task_statuses(workflow: Workflow) -> str:
    if not workflow.tasks:
        return "none"
    parts = [f"{task.api_name}={task.status}" for task in workflow.tasks]
    return ", ".join(parts)
