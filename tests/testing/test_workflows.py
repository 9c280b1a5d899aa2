"""The fake's ``/workflows`` routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.state import StoredTemplate
from tests.testing._core_fixtures import Clock, client, field, linear, statuses, task

HTML_404 = "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"


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
    return fake.add_template(
        name="Flow",
        kickoff={"fields": [field("who"), field("n", "number", order=2)]},
        tasks=linear(2),
    )


async def run(http: httpx.AsyncClient, template: StoredTemplate, **body: Any) -> dict[str, Any]:
    response = await http.post(f"/templates/{template.id}/run", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# -- list ------------------------------------------------------------------------------------------


async def test_list_is_always_enveloped(
    http: httpx.AsyncClient, template: StoredTemplate, clock: Clock
) -> None:
    for index in range(17):
        clock.now += 1
        await run(http, template, name=f"run {index}")
    page = (await http.get("/workflows")).json()
    assert page["count"] == 17
    assert len(page["results"]) == 15  # default limit
    assert page["results"][0]["name"] == "run 16"  # newest first
    assert page["next"] == "http://pneumatic.test/workflows?limit=15&offset=15"
    item = page["results"][0]
    assert "kickoff" not in item
    assert item["fields"] == []
    assert set(item["template"]) == {"id", "name", "is_active"}
    oldest = (await http.get("/workflows?ordering=date&limit=1")).json()["results"]
    assert oldest[0]["name"] == "run 0"


async def test_list_filters(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    first = await run(http, template, kickoff={"who": "x"})
    second = await run(http, template, kickoff={"who": "y"})
    await http.post(f"/workflows/{second['id']}/snooze", json={"date": fake.now() + 60})
    running = (await http.get("/workflows?status=running")).json()
    assert [w["id"] for w in running["results"]] == [first["id"]]
    snoozed = (await http.get("/workflows?status=snoozed")).json()
    assert [w["id"] for w in snoozed["results"]] == [second["id"]]
    by_performer = (
        await http.get("/workflows?current_performer=1&template_task_api_name=step-1")
    ).json()
    assert [w["id"] for w in by_performer["results"]] == [first["id"]]  # second is snoozed
    with_fields = (await http.get("/workflows?fields=who")).json()["results"]
    assert [f["api_name"] for f in with_fields[0]["fields"]] == ["who"]
    assert with_fields[0]["fields"][0]["value"] == "y"
    searched = (await http.get("/workflows?search=x")).json()
    assert [w["id"] for w in searched["results"]] == [first["id"]]


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("status=delayed", "status", '"delayed" is not a valid choice.'),
        ("template_id=a,b", "template_id", "Value should be a list of integers."),
        ("limit=1001", "limit", "Ensure this value is less than or equal to 1000."),
        ("ordering=name", "ordering", '"name" is not a valid choice.'),
    ],
)
async def test_list_errors(http: httpx.AsyncClient, query: str, name: str, message: str) -> None:
    response = await http.get(f"/workflows?{query}")
    assert response.status_code == 400
    assert response.json()["details"] == {"name": name, "reason": message}


async def test_current_performer_only_for_running(http: httpx.AsyncClient) -> None:
    response = await http.get("/workflows?status=done&current_performer=1")
    assert response.status_code == 400
    assert response.json() == {
        "message": 'Only "in-progress" workflows can be filtered by current performer.',
        "code": "validation_error",
    }


# -- fields ----------------------------------------------------------------------------------------


async def test_workflow_fields(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    await run(http, template, kickoff={"who": "a", "n": 3})
    page = (await http.get(f"/workflows/fields?template_id={template.id}&fields=n")).json()
    assert page["count"] == 1
    [values] = page["results"][0]["fields"]
    assert (values["api_name"], values["value"], values["kickoff_id"]) == ("n", "3", 1)
    assert "selections" not in values
    everything = (await http.get("/workflows/fields")).json()["results"][0]["fields"]
    assert {f["api_name"] for f in everything} == {"who", "n"}
    bad = await http.get("/workflows/fields?template_id=0")
    assert bad.status_code == 400
    admin = fake.add_user("a@example.com", "A", "Dmin", is_admin=True)
    async with client(fake, fake.add_api_key(admin).token) as other:
        denied = await other.get("/workflows/fields")
    assert denied.json() == {"detail": "Only the account owner is allowed to perform this action."}


# -- detail ----------------------------------------------------------------------------------------


async def test_get_404_and_403(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    workflow = await run(http, template)
    assert (await http.get(f"/workflows/{workflow['id']}")).json()["id"] == workflow["id"]
    assert (await http.get("/workflows/999")).json() == {"detail": "Not found."}
    stranger = fake.add_user("s@example.com", "St", "Ranger")
    async with client(fake, fake.add_api_key(stranger).token) as other:
        assert (await other.get(f"/workflows/{workflow['id']}")).status_code == 403
        assert (await other.get("/workflows/999")).status_code == 403
        assert (await other.get("/workflows/abc")).status_code == 403


async def test_unmapped_methods_and_legacy_routes(
    http: httpx.AsyncClient, template: StoredTemplate
) -> None:
    workflow = await run(http, template)
    denied = await http.post(f"/workflows/{workflow['id']}")
    assert (denied.status_code, denied.json()) == (
        403,
        {"detail": "You do not have permission to perform this action."},
    )
    legacy = await http.post(f"/workflows/{workflow['id']}/task-complete", json={"task_id": 1})
    assert (legacy.status_code, legacy.text) == (404, HTML_404)
    assert (await http.post(f"/workflows/{workflow['id']}/run")).status_code == 404


async def test_patch(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    workflow = await run(http, template, kickoff={"who": "a"})
    url = f"/workflows/{workflow['id']}"
    due = fake.now() + 3600
    patched = (
        await http.patch(url, json={"name": "New", "is_urgent": True, "due_date_tsp": due})
    ).json()
    assert (patched["name"], patched["is_urgent"], patched["due_date_tsp"]) == ("New", True, due)
    assert patched["tasks"][0]["status"] == "active"
    kickoff = (await http.put(url, json={"kickoff": {"who": "b"}, "due_date_tsp": None})).json()
    assert {f["api_name"]: f["value"] for f in kickoff["kickoff"]["output"]}["who"] == "b"
    assert kickoff["due_date_tsp"] is None
    past = await http.patch(url, json={"due_date_tsp": 10})
    assert past.json()["details"] == {
        "name": "due_date_tsp",
        "reason": "Due date should be greater than current.",
    }
    bad_value = await http.patch(url, json={"kickoff": {"n": "x"}})
    assert bad_value.json()["details"]["api_name"] == "n"


async def test_delete(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    workflow = await run(http, template)
    response = await http.delete(f"/workflows/{workflow['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert (await http.get(f"/workflows/{workflow['id']}")).status_code == 404
    task_id = workflow["tasks"][0]["id"]
    assert (await http.get(f"/v2/tasks/{task_id}")).status_code == 404


async def test_non_admin_cannot_change(fake: FakePneumatic, template: StoredTemplate) -> None:
    user = fake.add_user("u@example.com", "U", "Ser")
    workflow = fake.run_workflow(template)
    workflow.owners.append(user.id)
    async with client(fake, fake.add_api_key(user).token) as http:
        assert (await http.get(f"/workflows/{workflow.id}")).status_code == 200
        assert (
            await http.patch(f"/workflows/{workflow.id}", json={"name": "x"})
        ).status_code == 403
        assert (await http.delete(f"/workflows/{workflow.id}")).status_code == 403


# -- actions ---------------------------------------------------------------------------------------


async def test_return_to(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    workflow = await run(http, template)
    first, second = (t["id"] for t in workflow["tasks"])
    url = f"/workflows/{workflow['id']}/return-to"
    missing = await http.post(url, json={})
    assert missing.json() == {
        "message": 'You need to pass in a "task_id", or a "task api_name".',
        "code": "validation_error",
    }
    unknown = await http.post(url, json={"task_api_name": "nope"})
    assert unknown.json()["message"] == "The passed in task was not found in the workflow."
    later = await http.post(url, json={"task": second})
    assert later.json() == {
        "code": "validation_error",
        "message": "A workflow can't return to a later task.",
        "details": {},
    }
    await http.post(f"/v2/tasks/{first}/complete", json={})
    assert (await http.post(url, json={"task_api_name": "step-1"})).status_code == 204
    after = (await http.get(f"/workflows/{workflow['id']}")).json()
    assert statuses(after) == {"step-1": "active", "step-2": "pending"}


async def test_finish(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    workflow = await run(http, template)
    refused = await http.post(f"/workflows/{workflow['id']}/finish")
    assert refused.json()["message"] == "You are not allowed to finish this workflow."
    finalizable = fake.add_template(name="Fin", tasks=linear(2), finalizable=True)
    other = await run(http, finalizable)
    assert (await http.post(f"/workflows/{other['id']}/finish")).status_code == 204
    assert (await http.get(f"/workflows/{other['id']}")).json()["status"] == 1
    again = await http.post(f"/workflows/{other['id']}/finish")
    assert again.json()["message"] == "You have already completed this workflow."


async def test_snooze_and_resume(
    http: httpx.AsyncClient, fake: FakePneumatic, template: StoredTemplate
) -> None:
    workflow = await run(http, template)
    url = f"/workflows/{workflow['id']}"
    missing = await http.post(f"{url}/snooze", json={})
    assert missing.json()["details"] == {"name": "date", "reason": "This field is required."}
    not_number = await http.post(f"{url}/snooze", json={"date": "tomorrow"})
    assert not_number.json()["details"]["reason"] == "Numeric type expected."
    snoozed = (await http.post(f"{url}/snooze", json={"date": fake.now() + 60})).json()
    assert snoozed["status"] == 3
    assert snoozed["tasks"][0]["status"] == "snoozed"
    assert snoozed["tasks"][0]["delay"]["duration"] == "00:01:00"
    resumed = (await http.post(f"{url}/resume")).json()
    assert (resumed["status"], resumed["tasks"][0]["status"]) == (0, "active")


async def test_comment_and_events(http: httpx.AsyncClient, template: StoredTemplate) -> None:
    workflow = await run(http, template)
    url = f"/workflows/{workflow['id']}"
    blank = await http.post(f"{url}/comment", json={"text": "  "})
    assert blank.json()["details"] == {
        "name": "text",
        "reason": "You need to specify the comment text.",
    }
    comment = (await http.post(f"{url}/comment", json={"text": " hello "})).json()
    assert (comment["type"], comment["text"], comment["user_id"]) == (5, "hello", 1)
    events = (await http.get(f"{url}/events")).json()
    assert [e["type"] for e in events] == [5, 2]  # newest first; the run event is hidden
    assert events[1]["task"]["performers"][0]["source_id"] == 1
    no_comments = (await http.get(f"{url}/events?include_comments=false")).json()
    assert [e["type"] for e in no_comments] == [2]
    ascending = (await http.get(f"{url}/events?ordering=created")).json()
    assert [e["type"] for e in ascending] == [2, 5]
    paged = (await http.get(f"{url}/events?limit=1")).json()
    assert paged["count"] == 2
    bad = await http.get(f"{url}/events?ordering=id")
    assert bad.json() == {
        "ordering": ["Select a valid choice. id is not one of the available choices."]
    }


async def test_comment_on_a_completed_workflow(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    template = fake.add_template(name="One", tasks=linear(1))
    workflow = await run(http, template)
    await http.post(f"/v2/tasks/{workflow['tasks'][0]['id']}/complete", json={})
    refused = await http.post(f"/workflows/{workflow['id']}/comment", json={"text": "late"})
    assert refused.json()["message"] == "You cannot write a comment on a completed workflow."


async def test_webhook_example(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    nothing = await http.get("/workflows/webhook-example")
    assert (nothing.status_code, nothing.content) == (404, b"")
    template = fake.add_template(name="One", tasks=[task(1)])
    workflow = await run(http, template)
    example = (await http.get("/workflows/webhook-example")).json()
    assert example["hook"] == {
        "event": "workflow_started",
        "id": 123,
        "target": "https://example.com/webhooks/",
    }
    assert example["workflow"]["id"] == workflow["id"]
    await http.post(f"/v2/tasks/{workflow['tasks'][0]['id']}/complete", json={})
    done = (await http.get("/workflows/webhook-example?status=1")).json()
    assert done["hook"]["event"] == "workflow_completed"
