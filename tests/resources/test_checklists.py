"""``client.tasks.checklists`` against the real server's checklist captures and the fake."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import BadRequestError, NotFoundError
from pneumatic_async.models.tasks import TaskChecklist
from pneumatic_async.testing import FakePneumatic
from tests.captures import checklist_capture


def answer(name: str) -> tuple[int, Any]:
    response = checklist_capture(name)["response"]
    return response["status"], response["body"]


def sent(route: respx.Route, call: int = -1) -> Any:
    return json.loads(route.calls[call].request.content)


async def test_get_decodes_the_checklist(router: respx.MockRouter, client: Pneumatic) -> None:
    status, data = answer("05_v2_tasks_checklists_get")
    router.get("/v2/tasks/checklists/2").respond(status, json=data)
    checklist = await client.tasks.checklists.get(2)
    assert isinstance(checklist, TaskChecklist)
    assert (checklist.id, checklist.api_name) == (2, "checklist-1")
    assert [(s.id, s.api_name, s.value, s.is_selected) for s in checklist.selections] == [
        (3, "cl-sel-1", "First", False),
        (4, "cl-sel-2", "Second", False),
    ]


async def test_mark_and_unmark_send_the_selection_id(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    mark = router.post("/v2/tasks/checklists/2/mark").respond(
        200, json=answer("06_v2_tasks_checklists_mark_first")[1]
    )
    unmark = router.post("/v2/tasks/checklists/2/unmark").respond(
        200, json=answer("08_v2_tasks_checklists_unmark_first")[1]
    )
    marked = await client.tasks.checklists.mark(2, 3)
    assert sent(mark) == {"selection_id": 3}
    assert [s.is_selected for s in marked.selections] == [True, False]
    unmarked = await client.tasks.checklists.unmark(2, 3)
    assert sent(unmark) == {"selection_id": 3}
    assert [s.is_selected for s in unmarked.selections] == [False, False]


@pytest.mark.parametrize(
    ("name", "error", "text"),
    [
        ("09_v2_tasks_checklists_mark_unknown", BadRequestError, "Checklist item with given id"),
        ("15_v2_tasks_checklists_unmark_after", BadRequestError, "Available only for the active"),
        ("16_v2_tasks_checklists_get_404", NotFoundError, "Not found"),
    ],
)
async def test_server_errors_are_typed(
    router: respx.MockRouter, client: Pneumatic, name: str, error: type[Exception], text: str
) -> None:
    status, data = answer(name)
    router.route(path__startswith="/v2/tasks/checklists/").respond(status, json=data)
    checklists = client.tasks.checklists
    call = checklists.get(999999) if "get" in name else checklists.mark(2, 999999)
    with pytest.raises(error, match=text):
        await call


@pytest.mark.parametrize(
    ("args", "error", "text"),
    [
        (("x2", 3), ValueError, "checklist_id must be a string of ASCII digits"),
        ((2, None), TypeError, "selection_id must be an int"),
        ((2, True), TypeError, "selection_id must be an int"),
        ((0, 3), ValueError, "checklist_id must be a positive id"),
    ],
)
async def test_bad_ids_fail_before_sending(
    router: respx.MockRouter, client: Pneumatic, args: Any, error: type[Exception], text: str
) -> None:
    route = router.route(path__startswith="/v2/tasks/checklists/").respond(200, json={})
    with pytest.raises(error, match=text):
        await client.tasks.checklists.mark(*args)
    assert not route.called


async def test_mark_all_marks_only_unmarked_items(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    task = checklist_capture("03_v2_tasks_get_with_checklist")["response"]["body"]
    task["checklists"][0]["selections"][0]["is_selected"] = True  # one already marked
    done = checklist_capture("13_v2_tasks_get_checklist_all_marked")["response"]["body"]
    get = router.get("/v2/tasks/4385")
    get.side_effect = [respx.MockResponse(200, json=task), respx.MockResponse(200, json=done)]
    mark = router.post("/v2/tasks/checklists/2/mark").respond(
        200, json=answer("12_v2_tasks_checklists_mark_cl_sel_2")[1]
    )
    result = await client.tasks.checklists.mark_all(4385)
    assert [sent(mark, i) for i in range(mark.call_count)] == [{"selection_id": 4}]
    assert get.call_count == 2
    assert result.checklists_marked == result.checklists_total == 2


async def test_mark_all_without_checklists_costs_one_request(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    task = checklist_capture("03_v2_tasks_get_with_checklist")["response"]["body"]
    task.update(checklists=[], checklists_total=0)
    get = router.get("/v2/tasks/4385").respond(200, json=task)
    result = await client.tasks.checklists.mark_all(4385)
    assert get.call_count == 1
    assert result.checklists == []


def _checklist_template(fake: FakePneumatic) -> int:
    template = fake.add_template(
        name="Checklist",
        tasks=[
            {
                "number": 1,
                "name": "Check things",
                "api_name": "task-cl",
                "raw_performers": [{"type": "workflow_starter", "source_id": None}],
                "checklists": [
                    {
                        "api_name": "checklist-1",
                        "selections": [
                            {"value": "First", "api_name": "cl-sel-1"},
                            {"value": "Second", "api_name": "cl-sel-2"},
                        ],
                    }
                ],
            },
            {
                "number": 2,
                "name": "Then",
                "api_name": "task-then",
                "raw_performers": [{"type": "workflow_starter", "source_id": None}],
            },
        ],
    )
    return template.id


async def test_a_checklist_task_completes_once_every_item_is_marked(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    client = pneumatic_client
    workflow = await client.templates.run(_checklist_template(fake_pneumatic), name="Run")
    task = await client.tasks.get(workflow.tasks[0].id)
    assert (task.checklists_marked, task.checklists_total) == (0, 2)
    with pytest.raises(BadRequestError, match="Check off all the items"):
        await client.tasks.complete(task.id)
    checklist = task.checklists[0]
    first = await client.tasks.checklists.mark(checklist.id, checklist.selections[0].id)
    assert [s.is_selected for s in first.selections] == [True, False]
    assert (await client.tasks.checklists.get(checklist.id)) == first
    with pytest.raises(BadRequestError, match="Check off all the items"):
        await client.tasks.complete(task.id)
    marked = await client.tasks.checklists.mark_all(task.id)
    assert marked.checklists_marked == marked.checklists_total == 2
    completed = await client.tasks.complete(task.id)
    assert completed.status == "completed"
    with pytest.raises(BadRequestError, match="Available only for the active task"):
        await client.tasks.checklists.unmark(checklist.id, checklist.selections[0].id)
