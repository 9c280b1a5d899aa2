"""The workflow engine of the fake server (contract §11), mirroring the real server's
``WorkflowActionService``.

* **run** — workflow, kickoff values and all tasks are created (``pending``); then pending tasks
  are evaluated one at a time: the first whose conditions allow an action gets it (start, skip,
  end the workflow) and evaluation starts over, until nothing more happens. With no pending task
  left and nothing active/snoozed, the workflow completes.
* **conditions** — rules are OR'd, predicates AND'd; of several ``start_task`` conditions only the
  last counts; ``end_process`` beats ``skip_task`` beats start.
* **start** — variables filled in, performers resolved (user, group, workflow starter, user field,
  manager); no performers → skipped; ``skip_for_starter``; template ``delay`` → snoozed.
* **complete / revert / return-to / snooze / resume / finish / delete / urgency** as in §7 and §6.5.

Webhook events are handed to ``emit(event, payload)`` only when the account has hooks for them
(payloads are computed at event time, like the real server's).

One module per concern: ``events`` (event types, the base), ``conditions``, ``performers``,
``running`` (run, start, complete the workflow, the delay job), ``task_actions``,
``workflow_actions``.
"""

from __future__ import annotations

from pneumatic_async.testing.engine.events import EventType
from pneumatic_async.testing.engine.task_actions import TaskActions
from pneumatic_async.testing.engine.workflow_actions import WorkflowActions

__all__ = ["Engine", "EventType"]


class Engine(TaskActions, WorkflowActions):
    """Runs and advances workflows in a :class:`~pneumatic_async.testing.state.State`."""
