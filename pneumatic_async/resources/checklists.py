"""``client.tasks.checklists``: read a task's checklists and mark or unmark their items.

Real-server facts this is built on (``contract.md`` §7, captures in
``tests/data/real-server/checklists/``):

* A task whose template step has checklists cannot be completed until every item is marked: the
  server answers 400 "Check off all the items in the checklist before completing the task.".
* ``GET /v2/tasks/checklists/<id>`` answers ``{id, api_name, selections: [{id, api_name, value,
  is_selected}]}``; ``POST .../mark`` and ``.../unmark`` with ``{"selection_id": <item id>}``
  answer the whole checklist. Marking a marked item (or unmarking an unmarked one) changes
  nothing, so both are retried like reads.
* An unknown item id is a 400 "Checklist item with given id not found."; once the task is
  completed, 400 "Available only for the active task."; an unknown checklist is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pneumatic_async._ids import object_id
from pneumatic_async.models.tasks import Task, TaskChecklist
from pneumatic_async.resources._base import Resource

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient

__all__ = ["Checklists"]


class Checklists(Resource):
    """Task checklists: ``client.tasks.checklists``."""

    __slots__ = ()

    _client: BaseClient

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)

    async def get(self, checklist_id: int) -> TaskChecklist:
        """Fetch a checklist with its items (``GET /v2/tasks/checklists/<id>``).

        The ids come from a task's ``checklists`` (``client.tasks.get(task_id)``).
        """
        return await self._get(
            f"/v2/tasks/checklists/{object_id(checklist_id, 'checklist_id')}", TaskChecklist
        )

    async def mark(self, checklist_id: int, selection_id: int) -> TaskChecklist:
        """Mark one item (``POST /v2/tasks/checklists/<id>/mark``); returns the checklist."""
        return await self._change("mark", checklist_id, selection_id)

    async def unmark(self, checklist_id: int, selection_id: int) -> TaskChecklist:
        """Unmark one item (``POST /v2/tasks/checklists/<id>/unmark``); returns the checklist."""
        return await self._change("unmark", checklist_id, selection_id)

    async def mark_all(self, task_id: int) -> Task:
        """Mark every unmarked item of every checklist of an active task; returns the task.

        Fetches the task (``GET /v2/tasks/<id>``), marks each item whose ``is_selected`` is false
        (one request per item, in order), then fetches the task again, so the answer shows
        ``checklists_marked == checklists_total``. A task without checklists costs one request.
        Then ``client.tasks.complete(task_id, ...)`` is accepted by the server.
        """
        task_id = object_id(task_id, "task_id")
        task = await self._get(f"/v2/tasks/{task_id}", Task)
        unmarked = [
            (checklist.id, item.id)
            for checklist in task.checklists
            for item in checklist.selections
            if not item.is_selected
        ]
        if not unmarked:
            return task
        for checklist_id, selection_id in unmarked:
            await self.mark(checklist_id, selection_id)
        return await self._get(f"/v2/tasks/{task_id}", Task)

    async def _change(
        self, action: Literal["mark", "unmark"], checklist_id: int, selection_id: int
    ) -> TaskChecklist:
        path = f"/v2/tasks/checklists/{object_id(checklist_id, 'checklist_id')}/{action}"
        body = {"selection_id": object_id(selection_id, "selection_id")}
        return await self._post(path, TaskChecklist, json=body, idempotent=True)
