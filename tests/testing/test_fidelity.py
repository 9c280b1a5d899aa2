"""Places where the fake used to differ from the real server, one test each.

Each test shows the real server's behaviour (from the captures in ``tests/data/real-server`` or,
where no capture covers it, from the server's code as summarised in the contract) and that the
fake now does the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from tests.captures import body as captured_body
from tests.testing._core_fixtures import Clock, client, field, linear, task, template_body


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


async def run(http: httpx.AsyncClient, body: dict[str, Any], **run: Any) -> dict[str, Any]:
    template = (await http.post("/templates", json=body)).json()
    workflow: dict[str, Any] = (
        await http.post(f"/templates/{template['id']}/run", json=run)
    ).json()
    return workflow


async def workflow_of(http: httpx.AsyncClient, workflow_id: int) -> dict[str, Any]:
    data: dict[str, Any] = (await http.get(f"/workflows/{workflow_id}")).json()
    return data


# -- delays end when the periodic job runs -----------------------------------------------------


async def test_a_delay_ends_when_the_periodic_job_next_runs(
    http: httpx.AsyncClient, clock: Clock
) -> None:
    start = clock.now
    clock.now += 10  # the job runs at start, start + 60, start + 120, ...
    workflow = await run(http, template_body([task(1, delay="00:01:00")]))
    assert workflow["status"] == 3
    clock.now = start + 70  # the delay ended at +70, exactly now: the job has not run since
    waiting = await workflow_of(http, workflow["id"])
    assert (waiting["status"], waiting["tasks"][0]["status"]) == (3, "snoozed")
    clock.now = start + 119
    assert (await workflow_of(http, workflow["id"]))["status"] == 3
    clock.now = start + 125  # the run at +120 resumed it
    resumed = await workflow_of(http, workflow["id"])
    assert (resumed["status"], resumed["tasks"][0]["status"]) == (0, "active")
    assert resumed["tasks"][0]["date_started_tsp"] == start + 120
    assert resumed["tasks"][0]["delay"] is None


async def test_tests_can_run_the_delay_job_or_end_delays_on_time(clock: Clock) -> None:
    fake = FakePneumatic(clock=clock)
    workflow = fake.run_workflow(fake.add_template(template_body([task(1, delay="00:00:30")])))
    clock.now += 30
    fake.advance()
    assert workflow.tasks[0].status == "snoozed"
    fake.run_delay_job()
    assert (workflow.tasks[0].status, workflow.tasks[0].date_started) == ("active", clock.now)
    on_time = FakePneumatic(clock=clock, delay_job_interval=0)
    other = on_time.run_workflow(on_time.add_template(template_body([task(1, delay="00:00:30")])))
    clock.now += 30
    on_time.advance()
    assert other.tasks[0].status == "active"


# -- template validation -----------------------------------------------------------------------


async def test_kickoff_fields_sharing_an_api_name_keep_the_last(
    http: httpx.AsyncClient,
) -> None:
    kickoff = {"fields": [field("dup", name="First"), field("dup", name="Second", order=2)]}
    template = (
        await http.post("/templates", json=template_body(linear(1), kickoff=kickoff))
    ).json()
    assert [(f["api_name"], f["name"]) for f in template["kickoff"]["fields"]] == [
        ("dup", "Second")
    ]


async def test_a_bad_delay_is_reported_like_the_real_server(http: httpx.AsyncClient) -> None:
    response = await http.post("/templates", json=template_body([task(1, delay="soon")]))
    reason = (
        "Delay: duration has wrong format. use one of these formats instead: "
        "[dd] [hh:[mm:]]ss[.uuuuuu]."
    )
    assert response.json() == {
        "code": "validation_error",
        "message": reason,
        "details": {"reason": reason, "api_name": "step-1"},
    }


async def test_a_field_performer_error_names_the_task(http: httpx.AsyncClient) -> None:
    performer = {"type": "field", "source_id": "missing", "api_name": "raw-performer-x"}
    response = await http.post("/templates", json=template_body([task(1, performers=[performer])]))
    assert response.json()["details"] == {
        "reason": "One or more performers are incorrect.",
        "api_name": "step-1",
    }


async def test_no_tasks_answers_empty_details(http: httpx.AsyncClient) -> None:
    response = await http.post("/templates", json=template_body([]))
    assert response.json() == {
        "code": "validation_error",
        "message": "Tasks data not provided, one task required.",
        "details": {},
    }


async def test_a_draft_has_no_description_in_the_list(http: httpx.AsyncClient) -> None:
    draft = captured_body("153_templates_create_draft_is_active_false")
    assert "description" not in draft  # the draft itself stores none
    await http.post("/templates", json={"name": "Draft only", "is_active": False})
    [listed] = (await http.get("/templates")).json()
    assert listed["description"] is None


# -- events ------------------------------------------------------------------------------------


async def test_task_events_have_no_task_started_event(http: httpx.AsyncClient) -> None:
    workflow = await run(http, template_body(linear(2)))
    first = workflow["tasks"][0]["id"]
    assert (await http.get(f"/v2/tasks/{first}/events")).json() == []
    await http.post(f"/v2/tasks/{first}/complete", json={})
    assert [e["type"] for e in (await http.get(f"/v2/tasks/{first}/events")).json()] == [3]
    # the workflow's own events still show the start, like capture 103
    started = captured_body("103_workflows_events")[0]
    events = (await http.get(f"/workflows/{workflow['id']}/events")).json()
    assert (events[-1]["type"], events[-1]["user_id"]) == (started["type"], started["user_id"])


async def test_event_output_values_have_no_selections(http: httpx.AsyncClient) -> None:
    choice = field("choice", "radio", selections=["A", "B"])
    workflow = await run(http, template_body(linear(1, fields=[choice])))
    task_id = workflow["tasks"][0]["id"]
    await http.post(f"/v2/tasks/{task_id}/complete", json={"output": {"choice": "A"}})
    [completed] = (await http.get(f"/v2/tasks/{task_id}/events")).json()
    assert set(completed["task"]["output"][0]) == {
        "id", "order", "type", "is_required", "is_hidden", "description", "api_name", "name",
        "value", "markdown_value", "clear_value", "user_id", "group_id",
    }  # fmt: skip


async def test_the_revert_event_carries_the_comment(http: httpx.AsyncClient) -> None:
    workflow = await run(http, template_body(linear(2)))
    first, second = (t["id"] for t in workflow["tasks"])
    await http.post(f"/v2/tasks/{first}/complete", json={})
    second = (await workflow_of(http, workflow["id"]))["tasks"][1]["id"]
    await http.post(f"/v2/tasks/{second}/revert", json={"comment": "Redo the numbers"})
    events = (await http.get(f"/workflows/{workflow['id']}/events")).json()
    reverted = next(e for e in events if e["type"] == 4)
    assert reverted["text"] == "Redo the numbers"


async def test_the_workflow_snoozed_event_has_no_task(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    workflow = await run(http, template_body(linear(1)))
    await http.post(f"/workflows/{workflow['id']}/snooze", json={"date": fake.now() + 3600})
    events = (await http.get(f"/workflows/{workflow['id']}/events")).json()
    snoozed = next(e for e in events if e["type"] == 17)
    assert snoozed["task"] is None
    assert snoozed["delay"]["estimated_end_date_tsp"] == fake.now() + 3600


# -- delays after snooze ---------------------------------------------------------------------


@pytest.mark.parametrize("action", ["resume", "finish"])
async def test_a_closed_delay_shows_as_null(
    http: httpx.AsyncClient, fake: FakePneumatic, action: str
) -> None:
    workflow = await run(http, template_body(linear(1), finalizable=True))
    url = f"/workflows/{workflow['id']}"
    snoozed = (await http.post(f"{url}/snooze", json={"date": fake.now() + 3600})).json()
    assert snoozed["tasks"][0]["delay"] is not None
    await http.post(f"{url}/{action}")
    after = await workflow_of(http, workflow["id"])
    assert after["tasks"][0]["delay"] is None
    task = (await http.get(f"/v2/tasks/{after['tasks'][0]['id']}")).json()
    assert task["delay"] is None


# -- task search and webhook event listing ----------------------------------------------------


async def test_task_search_matches_workflow_names(http: httpx.AsyncClient) -> None:
    await run(http, template_body(linear(1)), name="Quarterly audit")
    await run(http, template_body(linear(1)), name="Hiring")
    found = (await http.get("/v3/tasks", params={"search": "quart"})).json()
    assert [t["workflow_name"] for t in found] == ["Quarterly audit"]
    by_task_name = (await http.get("/v3/tasks", params={"search": "step"})).json()
    assert len(by_task_name) == 2
    assert (await http.get("/v3/tasks", params={"search": "nothing"})).json() == []


async def test_webhook_events_are_listed_in_an_order_tests_should_not_rely_on() -> None:
    captured = [e["event"] for e in captured_body("61_webhooks_events_list_final")]
    orders = set()
    for seed in range(6):
        fake = FakePneumatic(seed=seed)
        async with client(fake) as http:
            listed = [e["event"] for e in (await http.get("/webhooks/events")).json()]
        if seed == 0:
            assert listed == captured
        assert sorted(listed) == sorted(captured)
        orders.add(tuple(listed))
    assert len(orders) > 1  # like the real server's set, the order varies


async def test_the_listed_url_is_the_last_hook_of_the_event(fake: FakePneumatic) -> None:
    fake.state.webhooks["task_completed"] = [
        {"id": 1, "event": "task_completed", "target": "https://a.example/", "user_id": 1},
        {"id": 2, "event": "task_completed", "target": "https://b.example/", "user_id": 1},
    ]
    async with client(fake) as http:
        listed = (await http.get("/webhooks/events")).json()
    assert {e["event"]: e["url"] for e in listed}["task_completed"] == "https://b.example/"
