"""``client.tasks`` against the captured real responses (respx) and the fake server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import BadRequestError, InvalidValuesError, NotFoundError
from pneumatic_async.models.common import TaskStatus
from pneumatic_async.testing import FakePneumatic
from tests.captures import body


def sent_json(route: respx.Route, call: int = -1) -> Any:
    return json.loads(route.calls[call].request.content)


async def test_list_sends_filters_and_limit(router: respx.MockRouter, client: Pneumatic) -> None:
    route = router.get("/v3/tasks").respond(200, json=body("96_v3_tasks_assigned_to"))
    tasks = [t async for t in client.tasks.list(assigned_to=1, is_completed=False)]
    params = route.calls[0].request.url.params
    assert params["assigned_to"] == "1"
    assert params["is_completed"] == "false"
    assert params["limit"] == "100"
    assert tasks[0].id == 4
    assert tasks[0].status == TaskStatus.ACTIVE
    assert tasks[0].template_task_api_name == "task-review"
    assert tasks[0].date_started_tsp is not None
    assert tasks[0].date_started_tsp.tzinfo is UTC


async def test_get_decodes_the_task(router: respx.MockRouter, client: Pneumatic) -> None:
    router.get("/v2/tasks/1").respond(200, json=body("100_v2_tasks_get"))
    task = await client.tasks.get(1)
    assert task.api_name == "task-review"
    assert task.workflow.id == 1
    assert {field.api_name for field in task.output} >= {"review-decision"}


async def test_skipped_task_is_not_found(router: respx.MockRouter, client: Pneumatic) -> None:
    router.get("/v2/tasks/9").respond(404, json=body("143_v2_tasks_get_skipped_task"))
    with pytest.raises(NotFoundError):
        await client.tasks.get(9)


async def test_complete_validates_against_the_tasks_fields(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/v2/tasks/1").respond(200, json=body("100_v2_tasks_get"))
    done = router.post("/v2/tasks/1/complete").respond(
        200, json=body("115_v2_tasks_complete_task2")
    )
    task = await client.tasks.complete(1, {"review-decision": "Approve"})
    assert sent_json(done) == {"output": {"review-decision": "Approve"}}
    assert task.id == 2


async def test_complete_rejects_bad_values_before_sending(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/v2/tasks/1").respond(200, json=body("100_v2_tasks_get"))
    # "Maybe" is no value text: the template is read for the selections' api_names first
    router.get("/workflows/1").respond(200, json=body("90_workflows_get"))
    router.get("/templates/1").respond(200, json=body("74_templates_get"))
    done = router.post("/v2/tasks/1/complete").respond(200, json={})
    with pytest.raises(InvalidValuesError) as info:
        await client.tasks.complete(1, {"review-decision": "Maybe", "reveiw-note": "typo"})
    fields = {problem.field for problem in info.value.problems}
    assert fields == {"review-decision", "reveiw-note"}
    assert not done.called


async def test_complete_without_validation_sends_raw(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    done = router.post("/v2/tasks/1/complete").respond(
        400, json=body("167_v2_tasks_complete_bad_radio_value_on_active_task")
    )
    with pytest.raises(BadRequestError) as info:
        await client.tasks.complete(1, {"review-decision": "approve"}, validate=False)
    assert sent_json(done) == {"output": {"review-decision": "approve"}}
    assert info.value.field == "review-decision"
    assert len(router.calls) == 1  # no GET: nothing validated


async def test_revert_needs_a_comment(router: respx.MockRouter, client: Pneumatic) -> None:
    route = router.post("/v2/tasks/6/revert").respond(204)
    with pytest.raises(ValueError, match="comment"):
        await client.tasks.revert(6, "  ")
    assert not route.called
    assert await client.tasks.revert(6, "Please re-check the decision") is None
    assert sent_json(route) == {"comment": "Please re-check the decision"}


async def test_revert_error_body_without_details(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.post("/v2/tasks/6/revert").respond(400, json=body("123_v2_tasks_revert_no_comment"))
    with pytest.raises(BadRequestError, match="You must supply a comment"):
        await client.tasks.revert(6, "x")


async def test_due_dates(router: respx.MockRouter, client: Pneumatic) -> None:
    set_route = router.post("/v2/tasks/3/due-date").respond(204)
    clear_route = router.delete("/v2/tasks/3/due-date").respond(204)
    await client.tasks.set_due_date(3, datetime(2030, 1, 1, tzinfo=UTC))
    await client.tasks.clear_due_date(3)
    assert sent_json(set_route) == {"due_date_tsp": 1893456000}
    assert clear_route.called


async def test_against_the_fake_complete_and_list() -> None:
    fake = FakePneumatic()
    template = fake.add_template(
        {
            "name": "Two steps",
            "is_active": True,
            "kickoff": {},
            "tasks": [
                {
                    "number": 1,
                    "name": "Decide",
                    "api_name": "task-decide",
                    "raw_performers": [{"type": "workflow_starter", "source_id": None}],
                    "fields": [
                        {
                            "order": 1,
                            "name": "Decision",
                            "type": "radio",
                            "api_name": "decision",
                            "is_required": True,
                            "selections": [{"value": "Yes"}, {"value": "No"}],
                        }
                    ],
                }
            ],
        }
    )
    template_id = template["id"] if isinstance(template, dict) else template.id
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        workflow = await client.templates.run(template_id)
        active = [t async for t in client.tasks.list()]
        assert [t.api_name for t in active] == ["task-decide"]
        task = await client.tasks.complete(active[0].id, {"decision": "Yes"})
        assert task.status == TaskStatus.COMPLETED
        assert [t async for t in client.tasks.list()] == []
        done = await client.workflows.get(workflow.id)
        assert int(done.status) == 1
