"""The older API documents' forms, mapped onto what the real server takes (where unambiguous).

* The template body's ``tasks[].checklists[].selecions`` (a typo of the documents) is the
  server's ``selections`` (``contract.md`` §10 item 23); the server would ignore the misspelt key
  and answer that the checklist has no items.
* The users list's ``order=asc|desc`` (the 2nd revision of the documents) does not exist on the
  server (it orders by ``ordering``, default ``last_name``): ``asc`` is ``last_name`` and
  ``desc`` is ``-last_name``.
* The workflow status filter ``delayed`` (the documents' name) is the server's ``snoozed``.

Pure functions; the resources call them before sending.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["USERS_ORDER", "checklist_selections", "users_ordering", "workflow_status"]

#: The documented users-list ``order`` values and the server's ``ordering`` for each.
USERS_ORDER = {"asc": "last_name", "desc": "-last_name"}


def checklist_selections(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every ``tasks[].checklists[].selecions`` renamed ``selections``.

    A checklist carrying both keys is ambiguous: ``ValueError`` naming the checklist.
    Returns ``body`` itself when nothing is misspelt, else a copy (the input is not changed).
    """
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not any(_misspelt(task) for task in tasks):
        return body
    fixed_tasks: list[Any] = []
    for t_index, task in enumerate(tasks):
        if not _misspelt(task):
            fixed_tasks.append(task)
            continue
        checklists: list[Any] = []
        for c_index, checklist in enumerate(task["checklists"]):
            if isinstance(checklist, Mapping) and "selecions" in checklist:
                if "selections" in checklist:
                    raise ValueError(
                        f"tasks[{t_index}].checklists[{c_index}] has both 'selections' and the "
                        "documents' misspelt 'selecions': keep only 'selections'"
                    )
                checklist = {
                    ("selections" if key == "selecions" else key): value
                    for key, value in checklist.items()
                }
            checklists.append(checklist)
        fixed_tasks.append({**task, "checklists": checklists})
    return {**body, "tasks": fixed_tasks}


def _misspelt(task: object) -> bool:
    if not isinstance(task, Mapping) or not isinstance(task.get("checklists"), list):
        return False
    return any(isinstance(c, Mapping) and "selecions" in c for c in task["checklists"])


def users_ordering(order: object) -> str:
    """The users list's ``ordering`` for the documented ``order`` (``asc`` or ``desc``).

    Any other value is a ``ValueError`` naming it.
    """
    if not isinstance(order, str) or order not in USERS_ORDER:
        raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
    return USERS_ORDER[order]


def workflow_status(status: object) -> object:
    """The workflow status filter the server takes: the documents' ``delayed`` is ``snoozed``."""
    return "snoozed" if status == "delayed" else status
