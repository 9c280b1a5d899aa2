"""The fake's task routes: ``/v3/tasks`` and ``/v2/tasks/<id>/...``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.state import StoredTemplate
from tests.testing._core_fixtures import Clock, client, field, linear, task


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakePneumatic:
    return FakePneumatic(clock=clock)


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    async with client(fake) as http:
        yield http


@pytest.fixture
def template(fake: FakePneumatic) -> StoredTemplate:
    decision = field("decision", "radio", selections=["Approve", "Reject"], is_required=True)
    return fake.add_template(
        name="Review", tasks=linear(2, fields=[decision, field("note", order=2)])
    )


async def run(http: httpx.AsyncClient, template: StoredTemplate) -> list[int]:
    response = await http.post(f"/templates/{template.id}/run", json={})
    return [t["id"] for t in response.json()["tasks"]]


# -- /v3/tasks -------------------------------------------------------------------------------------


async def test_task_list(http: httpx.AsyncClient, template: StoredTemplate, clock: Clock) -> None:
    first, _ = await run(http, template)
    clock.now += 10
    third, _ = await run(http, template)
    listing = (await http.get("/v3/tasks")).json()
    assert [t["id"] for t in listing] == [third, first]  # newest started first
    assert set(listing[0]) == {
        "id", "name", "api_name", "workflow_name", "due_date_tsp", "date_started_tsp",
        "date_completed_tsp", "template_id", "template_task_api_name", "is_urgent", "status",
    }  # fmt: skip
    page = (await http.get("/v3/tasks?limit=1")).json()
    assert (page["count"], page["next"]) == (2, "http://pneumatic.test/v3/tasks?limit=1&offset=1")
    await http.post(f"/v2/tasks/{first}/complete", json={"output": {"decision": "Approve"}})
    done = (await http.get("/v3/tasks?is_completed=true&assigned_to=1")).json()
    assert [t["id"] for t in done] == [first]
    assert done[0]["status"] == "completed"
    ascending = (await http.get("/v3/tasks?ordering=date")).json()
    assert ascending[0]["date_started_tsp"] <= ascending[-1]["date_started_tsp"]
    assert (await http.get("/v3/tasks?ordering=name")).status_code == 400
    assert (await http.get("/v3/tasks?limit=x")).status_code == 400


async def test_assigned_to_is_for_admins(fake: FakePneumatic) -> None:
    user = fake.add_user("u@example.com", "U", "Ser")
    async with client(fake, fake.add_api_key(user).token) as http:
        response = await http.get("/v3/tasks?assigned_to=1")
    assert response.status_code == 400
    assert response.json()["details"] == {
        "name": "assigned_to",
        "reason": 'Filter by "assigned_to" is only allowed for the admin.',
    }


# -- /v2/tasks/<id> --------------------------------------------------------------------------------


async def test_get_task(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    first, second = await run(http, template)
    data = (await http.get(f"/v2/tasks/{first}")).json()
    assert data["workflow"]["template_name"] == "Review"
    assert [f["api_name"] for f in data["output"]] == ["note", "decision"]  # by -order
    assert data["output"][1]["selections"] == ["Approve", "Reject"]
    assert data["performers"] == [
        {"is_completed": False, "date_completed_tsp": None, "type": "user", "source_id": 1}
    ]
    assert (data["is_completed"], data["status"], data["revert_tasks"]) == (False, "active", [])
    never_started = await http.get(f"/v2/tasks/{second}")
    assert (never_started.status_code, never_started.json()) == (404, {"detail": "Not found."})
    assert (await http.get("/v2/tasks/999")).status_code == 404


async def test_complete_task(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    first, second = await run(http, template)
    url = f"/v2/tasks/{first}/complete"
    not_object = await http.post(url, json={"output": ["x"]})
    assert not_object.json() == {
        "message": 'Expected a dictionary of items but got type "list".',
        "code": "validation_error",
        "details": {
            "name": "output",
            "reason": 'Expected a dictionary of items but got type "list".',
        },
    }
    empty_required = await http.post(url, json={"output": {"decision": ""}})
    assert empty_required.json()["message"] == "Please fill in the required fields."
    done = await http.post(url, json={"output": {"note": "ok"}})  # omitted required: accepted
    assert done.status_code == 200
    data = done.json()
    assert (data["status"], data["is_completed"]) == ("completed", True)
    assert {f["api_name"]: f["value"] for f in data["output"]} == {"note": "ok", "decision": ""}
    again = await http.post(url, json={})
    assert again.json() == {
        "code": "validation_error",
        "message": "Available only for active tasks.",
        "details": {},
    }
    started = (await http.get(f"/v2/tasks/{second}")).json()
    assert started["status"] == "active"
    assert started["revert_tasks"] == [{"id": first, "name": "Step 1", "api_name": "step-1"}]


async def test_complete_permissions(fake: FakePneumatic, template: StoredTemplate) -> None:
    workflow = fake.run_workflow(template)
    stranger = fake.add_user("s@example.com", "St", "Ranger")
    async with client(fake, fake.add_api_key(stranger).token) as http:
        denied = await http.post(f"/v2/tasks/{workflow.tasks[0].id}/complete", json={})
        assert denied.status_code == 403
        assert (await http.post("/v2/tasks/999/complete", json={})).status_code == 403
    async with client(fake) as http:
        assert (await http.post("/v2/tasks/999/complete", json={})).status_code == 404
        assert (await http.put(f"/v2/tasks/{workflow.tasks[0].id}")).status_code == 403


async def test_revert(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    first, second = await run(http, template)
    await http.post(f"/v2/tasks/{first}/complete", json={"output": {"decision": "Reject"}})
    url = f"/v2/tasks/{second}/revert"
    no_comment = await http.post(url, json={})
    assert no_comment.json() == {
        "message": "You must supply a comment.",
        "code": "validation_error",
    }
    response = await http.post(url, json={"comment": "Please re-check"})
    assert (response.status_code, response.content) == (204, b"")
    assert (await http.get(f"/v2/tasks/{first}")).json()["status"] == "active"
    assert (await http.get(f"/v2/tasks/{second}")).json()["status"] == "pending"
    events = (await http.get(f"/v2/tasks/{first}/events")).json()
    # newest first: reverted (with the comment), completed; no task-started events (real server)
    assert [e["type"] for e in events] == [4, 3]
    assert events[0]["text"] == "Please re-check"


async def test_comment_due_date_and_events(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    first, _ = await run(http, template)
    comment = await http.post(f"/v2/tasks/{first}/comment", json={"text": "hi"})
    assert comment.json()["task"]["id"] == first
    assert (await http.get(f"/v2/tasks/{first}")).json()["contains_comments"] is True
    due = fake.now() + 86400
    assert (
        await http.post(f"/v2/tasks/{first}/due-date", json={"due_date_tsp": due})
    ).status_code == 204
    assert (await http.get(f"/v2/tasks/{first}")).json()["due_date_tsp"] == due
    required = await http.post(f"/v2/tasks/{first}/due-date", json={})
    assert required.json()["details"] == {
        "name": "due_date_tsp",
        "reason": "This field is required.",
    }
    assert (await http.delete(f"/v2/tasks/{first}/due-date")).status_code == 204
    assert (await http.get(f"/v2/tasks/{first}")).json()["due_date_tsp"] is None
    types = [e["type"] for e in (await http.get(f"/v2/tasks/{first}/events")).json()]
    assert types == [18, 18, 5]  # the task-started event is not a task event


async def test_webhook_example(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    assert (await http.get("/v2/tasks/webhook-example")).status_code == 404
    first, _ = await run(http, template)
    example = (await http.get("/v2/tasks/webhook-example")).json()
    # pending tasks have no start date; Postgres sorts them first in "-date_started"
    assert example["hook"]["event"] == "task_returned"
    assert example["task"]["status"] == "pending"
    assert set(example["task"]["workflow"]) >= {"kickoff", "tasks", "owners"}
    active = (await http.get("/v2/tasks/webhook-example?status=active")).json()
    assert active["task"]["id"] == first
    await http.post(f"/v2/tasks/{first}/complete", json={})
    completed = (await http.get("/v2/tasks/webhook-example?status=completed")).json()
    assert completed["hook"]["event"] == "task_completed"
    bad = await http.get("/v2/tasks/webhook-example?status=done")
    assert bad.status_code == 400


async def test_complete_with_checklist(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    checklist = [{"api_name": "cl", "selections": [{"value": "Check it"}]}]
    template = fake.add_template(name="List", tasks=[task(1, checklists=checklist)])
    [first] = await run(http, template)
    data: dict[str, Any] = (await http.get(f"/v2/tasks/{first}")).json()
    assert (data["checklists_total"], data["checklists_marked"]) == (1, 0)
    assert data["checklists"][0]["selections"][0]["is_selected"] is False
    refused = await http.post(f"/v2/tasks/{first}/complete", json={})
    assert refused.json()["message"] == (
        "Check off all the items in the checklist before completing the task."
    )
