"""The sync client's ``tasks.checklists`` (a namespace nested in a namespace) on the fake."""

from __future__ import annotations

import pytest

from pneumatic_async.errors import BadRequestError
from pneumatic_async.sync import Pneumatic
from pneumatic_async.sync.resources.checklists import Checklists
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.demo import seed_demo


def test_sync_checklists_mark_and_complete(client: Pneumatic, fake: FakePneumatic) -> None:
    seed_demo(fake)
    assert isinstance(client.tasks.checklists, Checklists)
    client.workflows.complete_current_task(1, {"decision": "dec-approve"})
    [setup] = client.workflows.get(1).active_tasks
    task = client.tasks.get(setup.id)
    assert (task.checklists_marked, task.checklists_total) == (0, 2)
    with pytest.raises(BadRequestError, match="Check off all the items"):
        client.tasks.complete(setup.id)
    checklist = task.checklists[0]
    marked = client.tasks.checklists.mark(checklist.id, checklist.selections[0].id)
    assert [s.is_selected for s in marked.selections] == [True, False]
    assert client.tasks.checklists.get(checklist.id) == marked
    unmarked = client.tasks.checklists.unmark(checklist.id, checklist.selections[0].id)
    assert [s.is_selected for s in unmarked.selections] == [False, False]
    done = client.tasks.checklists.mark_all(setup.id)
    assert done.checklists_marked == 2
    assert client.tasks.complete(setup.id).status == "completed"
