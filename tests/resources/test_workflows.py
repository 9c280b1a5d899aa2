"""``client.workflows``: respx routes built from the real server's captures (or from
``contract.md`` §6 where none exists), checking the requests sent and the decoded models; the fake
server end to end."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import (
    BadRequestError,
    InvalidValuesError,
    NotFoundError,
    TaskSelectionError,
)
from pneumatic_async.models.common import FieldType, TaskStatus, WorkflowStatus
from pneumatic_async.models.workflows import WorkflowEventType
from pneumatic_async.testing import FakePneumatic
from tests.captures import body, capture


def sent_json(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def workflow_body(name: str = "90_workflows_get", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(body(name))
    data.update(changes)
    return data


# --------------------------------------------------------------------------------------------
# list / get / fields / events


async def test_list_sends_filters_as_csv(client: Any, router: respx.MockRouter) -> None:
    route = router.get("/workflows").respond(json=body("91_workflows_list"))
    items = await client.workflows.list(
        status="running",
        template_id=[1, 2],
        current_performer=3,
        workflow_starter=[1],
        current_performer_group_ids=(4, 5),
        template_task_api_name=["task-review", "task-order"],
        is_external=False,
        search="kqzrtxwm17",
        fields=["approver", "department"],
        ordering="-urgent",
        max_items=50,
    ).collect()
    assert dict(route.calls.last.request.url.params) == {
        "status": "running",
        "template_id": "1,2",
        "current_performer": "3",
        "workflow_starter": "1",
        "current_performer_group_ids": "4,5",
        "template_task_api_name": "task-review,task-order",
        "is_external": "false",
        "search": "kqzrtxwm17",
        "fields": "approver,department",
        "ordering": "-urgent",
        "limit": "50",
        "offset": "0",
    }
    assert [w.id for w in items] == [8, 1]
    first = items[0]
    assert first.status == WorkflowStatus.RUNNING
    assert first.template is not None
    assert first.template.name == "Research: purchase request"
    assert first.tasks[0].status == TaskStatus.ACTIVE
    assert first.fields == []


async def test_list_follows_pages_by_offset(client: Any, router: respx.MockRouter) -> None:
    second = copy.deepcopy(body("92_workflows_list_limit1"))
    second["results"] = body("91_workflows_list")["results"][1:]
    second["next"] = None

    def answer(request: Any) -> respx.MockResponse:
        offset = request.url.params["offset"]
        return respx.MockResponse(
            json=body("92_workflows_list_limit1") if offset == "0" else second
        )

    route = router.get("/workflows").mock(side_effect=answer)
    ids = [w.id async for w in client.workflows.list(status="done", page_size=1)]
    assert ids == [8, 1]
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"status": "done", "limit": "1", "offset": "0"},
        {"status": "done", "limit": "1", "offset": "1"},
    ]


async def test_list_page_size_is_capped_at_the_servers_limit(client: Any) -> None:
    with pytest.raises(ValueError, match="1000"):
        client.workflows.list(page_size=1001)


async def test_get(client: Any, router: respx.MockRouter) -> None:
    router.get("/workflows/1").respond(json=body("90_workflows_get"))
    workflow = await client.workflows.get(1)
    assert workflow.id == 1
    assert workflow.status == WorkflowStatus.RUNNING
    assert workflow.kickoff is not None
    assert workflow.kickoff.output[0].api_name == "approver"
    assert workflow.kickoff.output[0].user_id == 1
    assert [t.id for t in workflow.active_tasks] == [1]


async def test_get_404(client: Any, router: respx.MockRouter) -> None:
    router.get("/workflows/999999").respond(404, json=body("145_workflows_get_404"))
    with pytest.raises(NotFoundError):
        await client.workflows.get(999999)


async def test_fields_with_and_without_template_id(client: Any, router: respx.MockRouter) -> None:
    route = router.get("/workflows/fields").respond(json=body("93_workflows_fields_template_id"))
    items = await client.workflows.fields(
        template_id=1, status="running", fields=["approver", "needed-by"], max_items=10
    ).collect()
    assert dict(route.calls.last.request.url.params) == {
        "template_id": "1",
        "status": "running",
        "fields": "approver,needed-by",
        "limit": "10",
        "offset": "0",
    }
    assert [w.id for w in items] == [8, 1]
    approver = items[0].fields[0]
    assert approver.api_name == "approver"
    assert approver.type == FieldType.USER
    assert approver.kickoff_id == 8
    assert approver.task_id is None

    route.respond(json=body("95_workflows_fields_no_template_id"))
    page = await client.workflows.fields().first_page()
    assert dict(route.calls.last.request.url.params) == {"limit": "100", "offset": "0"}
    assert page.count == 2


async def test_events(client: Any, router: respx.MockRouter) -> None:
    route = router.get("/workflows/1/events").respond(json=body("103_workflows_events"))
    events = await client.workflows.events(
        1, ordering="created", include_comments=False, only_attachments=True, max_items=20
    ).collect()
    assert dict(route.calls.last.request.url.params) == {
        "ordering": "created",
        "include_comments": "false",
        "only_attachments": "true",
        "limit": "20",
        "offset": "0",
    }
    first = events[0]
    assert first.type == WorkflowEventType.TASK_STARTED
    assert first.task is not None
    assert first.task.name == "Review request from Jane Doe"
    assert first.created_tsp == datetime.fromtimestamp(1795404288.115369, tz=UTC)


# --------------------------------------------------------------------------------------------
# update / delete / actions


async def test_update_sends_only_given_keys(client: Any, router: respx.MockRouter) -> None:
    route = router.patch("/workflows/1").respond(json=workflow_body(is_urgent=True))
    workflow = await client.workflows.update(1, is_urgent=True, name="Renamed")
    assert route.calls.last.request.method == "PATCH"
    assert sent_json(route) == {"is_urgent": True, "name": "Renamed"}
    assert workflow.is_urgent is True


async def test_update_due_date_and_clearing_it(client: Any, router: respx.MockRouter) -> None:
    route = router.patch("/workflows/1").respond(json=workflow_body())
    await client.workflows.update(1, due_date=datetime(2030, 3, 17, 12, 0, tzinfo=UTC))
    assert sent_json(route) == {"due_date_tsp": 1899979200}
    await client.workflows.update(1, due_date=date(2030, 3, 18))
    assert sent_json(route) == {"due_date_tsp": 1900022400}
    await client.workflows.update(1, due_date=None)
    assert sent_json(route) == {"due_date_tsp": None}


async def test_update_kickoff_is_checked_against_the_workflow(
    client: Any, router: respx.MockRouter
) -> None:
    get = router.get("/workflows/1").respond(json=body("90_workflows_get"))
    users = router.get("/accounts/users").respond(json=body("20_accounts_users_get"))
    route = router.patch("/workflows/1").respond(json=workflow_body())
    await client.workflows.update(
        1, kickoff={"priority": "Low", "needed-by": date(2026, 12, 1), "approver": 1}
    )
    assert get.call_count == 1
    assert users.call_count == 1
    # partial: required fields may be left out
    assert sent_json(route) == {
        "kickoff": {"priority": "Low", "needed-by": 1796083200, "approver": "owner@example.com"}
    }
    with pytest.raises(InvalidValuesError) as info:
        await client.workflows.update(1, kickoff={"priorty": "Low", "department": None})
    assert route.call_count == 1
    messages = {p.field: p.message for p in info.value.problems}
    assert 'did you mean "priority"?' in messages["priorty"]
    assert "is required" in messages["department"]
    await client.workflows.update(1, kickoff={"anything": 1}, validate=False)
    assert sent_json(route) == {"kickoff": {"anything": 1}}


async def test_delete(client: Any, router: respx.MockRouter) -> None:
    route = router.delete("/workflows/8").respond(204)
    assert await client.workflows.delete(8) is None
    assert route.called


async def test_return_to_by_id_or_api_name(client: Any, router: respx.MockRouter) -> None:
    route = router.post("/workflows/8/return-to").respond(204)
    assert await client.workflows.return_to(8, task_id=4) is None
    assert sent_json(route) == {"task": 4}
    await client.workflows.return_to(8, task_api_name="task-review")
    assert sent_json(route) == {"task_api_name": "task-review"}
    with pytest.raises(ValueError, match="exactly one"):
        await client.workflows.return_to(8)
    with pytest.raises(ValueError, match="exactly one"):
        await client.workflows.return_to(8, task_id=4, task_api_name="task-review")
    assert route.call_count == 2


async def test_return_to_a_later_task_is_refused(client: Any, router: respx.MockRouter) -> None:
    router.post("/workflows/8/return-to").respond(
        400,
        json={"code": "validation_error", "message": "A workflow can't return to a later task."},
    )
    with pytest.raises(BadRequestError, match="later task"):
        await client.workflows.return_to(8, task_id=6)


async def test_finish(client: Any, router: respx.MockRouter) -> None:
    route = router.post("/workflows/8/finish").respond(204)
    assert await client.workflows.finish(8) is None
    assert sent_json(route) == {}


async def test_snooze_and_resume_are_retried_like_reads(
    client: Any, router: respx.MockRouter
) -> None:
    snoozed = workflow_body(status=3)
    snooze = router.post("/workflows/1/snooze")
    snooze.side_effect = [respx.MockResponse(502), respx.MockResponse(json=snoozed)]
    workflow = await client.workflows.snooze(1, datetime(2030, 3, 17, 12, 0, tzinfo=UTC))
    assert snooze.call_count == 2  # a 502 is retried: snoozing twice is harmless
    assert sent_json(snooze) == {"date": 1899979200}
    assert workflow.status == WorkflowStatus.SNOOZED

    resume = router.post("/workflows/1/resume").respond(json=workflow_body())
    resumed = await client.workflows.resume(1)
    assert sent_json(resume) == {}
    assert resumed.status == WorkflowStatus.RUNNING


async def test_comment(client: Any, router: respx.MockRouter) -> None:
    event = copy.deepcopy(body("103_workflows_events")[0])
    event.update({"type": 5, "text": "Looks good", "user_id": 1, "task": None})
    route = router.post("/workflows/1/comment").respond(json=event)
    posted = await client.workflows.comment(1, "Looks good")
    assert sent_json(route) == {"text": "Looks good"}
    assert posted.type == WorkflowEventType.COMMENT
    assert posted.text == "Looks good"


# --------------------------------------------------------------------------------------------
# complete_current_task


async def test_complete_current_task_completes_the_active_task(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/workflows/8").respond(json=body("120_workflows_get_wf2"))
    task = copy.deepcopy(body("100_v2_tasks_get"))
    task["id"] = 4
    router.get("/v2/tasks/4").respond(json=task)
    complete = router.post("/v2/tasks/4/complete").respond(
        json=body("121_v2_tasks_complete_reject_path")
    )
    done = await client.workflows.complete_current_task(8, {"review-decision": "Reject"})
    assert sent_json(complete) == capture("121_v2_tasks_complete_reject_path")["request"]["json"]
    assert done.id == 4
    assert done.status == TaskStatus.COMPLETED


async def test_complete_current_task_validates_output(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/workflows/8").respond(json=body("120_workflows_get_wf2"))
    task = copy.deepcopy(body("100_v2_tasks_get"))
    task["id"] = 4
    router.get("/v2/tasks/4").respond(json=task)
    # "Maybe" is no value text: the template is read for the selections' api_names first
    router.get("/workflows/1").respond(json=body("90_workflows_get"))
    router.get("/templates/1").respond(json=body("74_templates_get"))
    complete = router.post("/v2/tasks/4/complete").respond(
        json=body("121_v2_tasks_complete_reject_path")
    )
    with pytest.raises(InvalidValuesError, match='"Maybe" is not one of "Approve", "Reject"'):
        await client.workflows.complete_current_task(8, {"review-decision": "Maybe"})
    assert not complete.called
    await client.workflows.complete_current_task(8, {"review-decision": "Maybe"}, validate=False)
    assert sent_json(complete) == {"output": {"review-decision": "Maybe"}}


async def test_complete_current_task_without_an_active_task(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/workflows/1").respond(json=body("118_workflows_get_completed"))
    complete = router.post(url__regex=r"/v2/tasks/\d+/complete").respond(json={})
    with pytest.raises(TaskSelectionError) as info:
        await client.workflows.complete_current_task(1)
    assert not complete.called
    assert info.value.workflow_id == 1
    assert info.value.active_task_ids == []
    assert "has no active task (status 1" in str(info.value)
    assert "task-review=completed" in str(info.value)


async def test_complete_current_task_with_several_active_tasks(
    client: Any, router: respx.MockRouter
) -> None:
    data = workflow_body("120_workflows_get_wf2")
    for task in data["tasks"][:2]:
        task["status"] = "active"
    router.get("/workflows/8").respond(json=data)
    with pytest.raises(TaskSelectionError) as info:
        await client.workflows.complete_current_task(8, {"review-decision": "Approve"})
    assert info.value.active_task_ids == [4, 5]
    message = str(info.value)
    assert "2 active tasks: 4 (task-review), 5 (task-order)" in message
    assert "client.tasks.complete(task_id, ...)" in message


# --------------------------------------------------------------------------------------------
# Against the fake server


def linear_template() -> dict[str, Any]:
    """Two tasks in sequence, the second with an output field; finalizable."""
    return {
        "name": "Linear",
        "finalizable": True,
        "kickoff": {
            "fields": [
                {"order": 1, "name": "Topic", "type": "string", "api_name": "topic"},
                {
                    "order": 2,
                    "name": "Size",
                    "type": "radio",
                    "api_name": "size",
                    "selections": [{"value": "S"}, {"value": "L"}],
                },
            ]
        },
        "tasks": [
            {
                "number": 1,
                "name": "First",
                "api_name": "first",
                "raw_performers": [{"type": "workflow_starter"}],
                "fields": [
                    {"order": 1, "name": "Note", "type": "text", "api_name": "note"},
                ],
                "conditions": [
                    {
                        "action": "start_task",
                        "order": 1,
                        "rules": [
                            {
                                "predicates": [
                                    {
                                        "field_type": "kickoff",
                                        "operator": "completed",
                                        "field": None,
                                        "value": None,
                                    }
                                ]
                            }
                        ],
                    }
                ],
            },
            {
                "number": 2,
                "name": "Second",
                "api_name": "second",
                "raw_performers": [{"type": "workflow_starter"}],
                "conditions": [
                    {
                        "action": "start_task",
                        "order": 1,
                        "rules": [
                            {
                                "predicates": [
                                    {
                                        "field_type": "task",
                                        "operator": "completed",
                                        "field": "first",
                                        "value": None,
                                    }
                                ]
                            }
                        ],
                    }
                ],
            },
        ],
    }


async def test_fake_workflow_lifecycle() -> None:
    fake = FakePneumatic()
    template = fake.add_template(linear_template())
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        started = await client.templates.run(
            template.id, kickoff={"topic": "Budget", "size": "S"}, name="Run A"
        )
        assert [t.api_name for t in started.active_tasks] == ["first"]

        listed = [w.id async for w in client.workflows.list(status="running", fields=["topic"])]
        assert listed == [started.id]
        [item] = await client.workflows.list(template_id=template.id, fields="topic").collect(
            max_items=5
        )
        assert [(f.api_name, f.value) for f in item.fields] == [("topic", "Budget")]

        [values] = await client.workflows.fields(template_id=template.id).collect(max_items=5)
        assert {f.api_name: f.value for f in values.fields}["size"] == "S"

        updated = await client.workflows.update(
            started.id, kickoff={"size": "L"}, is_urgent=True, due_date=time.time() + 600
        )
        assert updated.is_urgent is True
        assert updated.due_date_tsp is not None
        assert updated.kickoff is not None
        assert {f.api_name: f.value for f in updated.kickoff.output}["size"] == "L"
        cleared = await client.workflows.update(started.id, due_date=None)
        assert cleared.due_date_tsp is None

        first = await client.workflows.complete_current_task(started.id, {"note": "done"})
        assert first.api_name == "first"
        assert first.status == TaskStatus.COMPLETED
        after = await client.workflows.get(started.id)
        assert [t.api_name for t in after.active_tasks] == ["second"]

        await client.workflows.return_to(started.id, task_api_name="first")
        returned = await client.workflows.get(started.id)
        assert [t.api_name for t in returned.active_tasks] == ["first"]

        snoozed = await client.workflows.snooze(started.id, time.time() + 3600)
        assert snoozed.status == WorkflowStatus.SNOOZED
        with pytest.raises(TaskSelectionError):
            await client.workflows.complete_current_task(started.id)
        resumed = await client.workflows.resume(started.id)
        assert resumed.status == WorkflowStatus.RUNNING

        comment = await client.workflows.comment(started.id, "Hello")
        assert comment.text == "Hello"
        kinds = [e.type async for e in client.workflows.events(started.id)]
        assert WorkflowEventType.COMMENT in kinds

        await client.workflows.finish(started.id)
        assert (await client.workflows.get(started.id)).status == WorkflowStatus.DONE

        await client.workflows.delete(started.id)
        with pytest.raises(NotFoundError):
            await client.workflows.get(started.id)
