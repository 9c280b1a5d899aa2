"""The fake's ``/templates`` routes: list, create (active/draft), get, PUT, DELETE, run, fields."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from tests.testing._core_fixtures import client, field, linear, task, template_body

HTML_404 = "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"


@pytest.fixture
def fake() -> FakePneumatic:
    return FakePneumatic()


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    async with client(fake) as http:
        yield http


def validation(message: str, **details: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": "validation_error", "message": message}
    if details:
        body["details"] = {"reason": message, **details}
    return body


# -- list ------------------------------------------------------------------------------------------


async def test_list_is_bare_without_limit_and_enveloped_with_it(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    for name in ("B", "A", "C"):
        fake.add_template(name=name, tasks=linear(1))
    bare = (await http.get("/templates")).json()
    assert [t["name"] for t in bare] == ["B", "A", "C"]  # id order by default
    page = (await http.get("/templates", params={"limit": 1, "offset": 1})).json()
    assert page["count"] == 3
    assert [t["name"] for t in page["results"]] == ["A"]
    assert page["next"] == "http://pneumatic.test/templates?limit=1&offset=2"
    assert page["previous"] == "http://pneumatic.test/templates?limit=1"
    assert isinstance((await http.get("/templates", params={"limit": 0})).json(), list)
    offset_only = (await http.get("/templates", params={"offset": 2})).json()
    assert len(offset_only) == 3  # offset alone does nothing


async def test_list_validates_limit(http: httpx.AsyncClient) -> None:
    response = await http.get("/templates", params={"limit": "abc"})
    assert response.status_code == 400
    assert response.json() == {
        "message": "A valid integer is required.",
        "code": "validation_error",
        "details": {"name": "limit", "reason": "A valid integer is required."},
    }
    negative = await http.get("/templates", params={"offset": "-1"})
    assert negative.json()["details"]["name"] == "offset"


async def test_list_ordering_puts_active_first(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    fake.add_template(name="Zed", tasks=linear(1))
    fake.add_template({"name": "Draft", "is_active": False})
    fake.add_template(name="Alpha", tasks=linear(1))
    names = [t["name"] for t in (await http.get("/templates?ordering=name")).json()]
    assert names == ["Alpha", "Zed", "Draft"]
    names = [t["name"] for t in (await http.get("/templates?ordering=-name")).json()]
    assert names == ["Zed", "Alpha", "Draft"]
    usage = (await http.get("/templates?ordering=usage")).json()
    assert all("workflows_count" in t for t in usage)
    assert all("workflows_count" not in t for t in (await http.get("/templates")).json())
    active = (await http.get("/templates?is_active=false")).json()
    assert [t["name"] for t in active] == ["Draft"]
    bad = await http.get("/templates?ordering=-date_created")
    assert bad.status_code == 400


async def test_list_shows_only_templates_the_caller_belongs_to(fake: FakePneumatic) -> None:
    fake.add_template(name="Owner's", tasks=linear(1))
    ann = fake.add_user("ann@example.com", "Ann", "A", is_admin=True)
    async with client(fake, fake.add_api_key(ann).token) as http:
        assert (await http.get("/templates")).json() == []


async def test_list_item_shape(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    fake.add_template(
        name="Shape",
        kickoff={"fields": [field("d", "dropdown", selections=["x", "y"])]},
        tasks=linear(2),
    )
    [item] = (await http.get("/templates")).json()
    assert item["tasks_count"] == 2
    assert item["kickoff"]["fields"][0]["selections"] == ["x", "y"]
    assert item["owners"][0]["source_id"] == "1"
    assert item["is_editable"] is True


# -- create ----------------------------------------------------------------------------------------


async def test_create_active_template(http: httpx.AsyncClient) -> None:
    body = template_body(
        [
            task(1, fields=[field("d", "radio", selections=["A", "B"])]),
            task(2, start_after="step-1"),
        ],
        kickoff={"fields": [field("who", "user")]},
    )
    response = await http.post("/templates", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == 1
    assert data["is_active"] is True
    assert data["tasks"][1]["parents"] == ["step-1"]
    assert data["tasks"][1]["ancestors"] == ["step-1"]
    selections = data["tasks"][0]["fields"][0]["selections"]
    assert [s["value"] for s in selections] == ["A", "B"]
    assert all(s["api_name"].startswith("selection-") for s in selections)
    assert data["tasks"][0]["raw_performers"][0]["label"] == "Workflow starter"
    assert data["date_updated"].endswith("Z")
    assert isinstance(data["date_updated_tsp"], float)
    assert data["description"] == ""


async def test_create_draft_is_not_validated(http: httpx.AsyncClient) -> None:
    response = await http.post("/templates", json={"name": "Draft only", "is_active": False})
    assert response.status_code == 200
    draft = response.json()
    assert draft["is_active"] is False
    assert draft["tasks"] == []
    assert draft["kickoff"] == {"fields": [], "fieldsets": []}
    assert draft["owners"][0]["source_id"] == "1"
    assert draft["date_updated"].endswith("+00:00")
    run = await http.post(f"/templates/{draft['id']}/run", json={})
    assert run.status_code == 400
    assert run.json() == validation(
        "Your template is disabled. Please, enable this template before running."
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": ""}, {"name": "name", "message": "This field may not be blank."}),
        ({"kickoff": None}, {"name": "kickoff", "message": "Kickoff form data not provided."}),
        ({"owners": []}, {"name": "owners", "message": "You should set 'template owners' value."}),
        (
            {"owners": [{"type": "user", "source_id": 1, "role": "viewer"}]},
            {"name": "owners", "message": "You cannot remove yourself from template owners."},
        ),
        (
            {"owners": [{"type": "user", "source_id": 1, "role": "owner"}] * 2},
            {"name": "owners", "message": "Duplicate template owners in the add owners request."},
        ),
        ({"tasks": [task(2)]}, {"name": "tasks", "message": "Incorrect tasks order."}),
        # the real server answers this one with an empty ``details``
        ({"tasks": []}, {"message": "Tasks data not provided, one task required.", "details": {}}),
        (
            {"tasks": [task(1, raw_performers=[])]},
            {
                "api_name": "step-1",
                "message": "You should set task performers before setting template to active.",
            },
        ),
        (
            {"kickoff": {"fields": [field("d", "dropdown")]}},
            {
                "api_name": "d",
                "message": 'You must provide either a "selections" or a "dataset" for the field.',
            },
        ),
        (
            {"tasks": [task(1, name="Hi {{nobody}}")]},
            {"api_name": "step-1", "message": 'Some fields in task "Hi {{nobody}}" do not exist.'},
        ),
    ],
)
async def test_create_validation_first_error(
    http: httpx.AsyncClient, change: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = template_body(linear(1))
    body.update(change)
    if change.get("kickoff", {}) is None:
        del body["kickoff"]
    response = await http.post("/templates", json=body)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "validation_error"
    assert data["message"] == expected["message"]
    if "details" in expected:
        assert data["details"] == expected["details"]
    elif "name" in expected:
        assert data["details"] == {"name": expected["name"], "reason": expected["message"]}
    elif "api_name" in expected:
        assert data["details"] == {"api_name": expected["api_name"], "reason": expected["message"]}
    else:
        assert "details" not in data


async def test_start_task_conditions_accept_only_task_operators(http: httpx.AsyncClient) -> None:
    bad_start = {
        "action": "start_task",
        "api_name": "cond-1",
        "rules": [
            {
                "predicates": [
                    {"field_type": "string", "operator": "equals", "field": "k", "value": "x"}
                ]
            }
        ],
    }
    body = template_body([task(1, conditions=[bad_start])], kickoff={"fields": [field("k")]})
    response = await http.post("/templates", json=body)
    assert response.status_code == 400
    assert response.json()["details"]["api_name"] == "cond-1"
    assert "start_task" in response.json()["message"]


async def test_failed_nested_validation_consumes_a_template_id(http: httpx.AsyncClient) -> None:
    bad = template_body(linear(1), kickoff={"fields": [field("d", "dropdown")]})
    assert (await http.post("/templates", json=bad)).status_code == 400
    created = await http.post("/templates", json=template_body(linear(1)))
    assert created.json()["id"] == 2  # like the real server (captures 152/153)


async def test_non_admin_cannot_create(fake: FakePneumatic) -> None:
    user = fake.add_user("u@example.com", "U", "Ser")
    async with client(fake, fake.add_api_key(user).token) as http:
        response = await http.post("/templates", json=template_body(linear(1)))
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


# -- get / put / delete ----------------------------------------------------------------------------


async def test_get_permissions_and_404(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(name="Mine", tasks=linear(1))
    assert (await http.get(f"/templates/{template.id}")).json()["name"] == "Mine"
    missing = await http.get("/templates/999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    admin = fake.add_user("admin@example.com", "Ad", "Min", is_admin=True)
    plain = fake.add_user("plain@example.com", "Pl", "Ain")
    async with client(fake, fake.add_api_key(admin).token) as other:
        denied = await other.get(f"/templates/{template.id}")
        assert denied.status_code == 403
        assert denied.json() == {"detail": "Permission denied. You are not a template owner."}
        assert (await other.get("/templates/999")).status_code == 403  # 403 before 404
    async with client(fake, fake.add_api_key(plain).token) as other:
        assert (await other.get(f"/templates/{template.id}")).json() == {
            "detail": "You do not have permission to perform this action."
        }


async def test_patch_is_405_for_admins_and_403_for_others(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    template = fake.add_template(name="T", tasks=linear(1))
    response = await http.patch(f"/templates/{template.id}", json={})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PATCH" not allowed.'}
    assert response.headers["allow"] == "GET, PUT, DELETE, HEAD, OPTIONS"
    user = fake.add_user("u@example.com", "U", "Ser")
    async with client(fake, fake.add_api_key(user).token) as other:
        assert (await other.patch(f"/templates/{template.id}", json={})).status_code == 403


async def test_put_replaces_and_keeps_ids_by_api_name(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    created = (await http.post("/templates", json=template_body(linear(2)))).json()
    body = template_body([task(1), task(2, start_after="step-1"), task(3)], name="Renamed")
    updated = (await http.put(f"/templates/{created['id']}", json=body)).json()
    assert updated["name"] == "Renamed"
    assert [t["id"] for t in updated["tasks"][:2]] == [t["id"] for t in created["tasks"]]
    assert updated["tasks"][2]["id"] not in [t["id"] for t in created["tasks"]]
    deactivated = await http.put(f"/templates/{created['id']}", json={"name": "Off"})
    assert deactivated.json()["is_active"] is False
    run = await http.post(f"/templates/{created['id']}/run", json={})
    assert run.json()["message"].startswith("Your template is disabled.")


async def test_delete_then_404(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(name="Gone", tasks=linear(1))
    response = await http.delete(f"/templates/{template.id}")
    assert (response.status_code, response.content) == (204, b"")
    assert (await http.get(f"/templates/{template.id}")).status_code == 404


async def test_fields_and_steps(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="F",
        kickoff={"fields": [field("a"), field("b", order=2)]},
        tasks=[task(1, fields=[field("c")]), task(2, start_after="step-1")],
    )
    fields = (await http.get(f"/templates/{template.id}/fields")).json()
    assert [f["api_name"] for f in fields["kickoff"]["fields"]] == ["b", "a"]  # by -order
    assert fields["kickoff"]["fields"][0]["description"] is None
    assert fields["tasks"][0]["fields"][0]["api_name"] == "c"
    steps = (await http.get(f"/templates/{template.id}/steps")).json()
    assert steps == [
        {"name": "Step 1", "number": 1, "api_name": "step-1"},
        {"name": "Step 2", "number": 2, "api_name": "step-2"},
    ]


async def test_trailing_slash_is_an_html_404(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(name="Slash", tasks=linear(1))
    response = await http.get(f"/templates/{template.id}/")
    assert response.status_code == 404
    assert response.text == HTML_404
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers


# -- run -------------------------------------------------------------------------------------------


async def test_run_returns_workflow_details(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="Run",
        kickoff={"fields": [field("who", "user"), field("when", "date", order=2)]},
        tasks=linear(2),
    )
    response = await http.post(
        f"/templates/{template.id}/run",
        json={
            "name": "Run 1",
            "is_urgent": True,
            "kickoff": {"who": "owner@example.com", "when": 1796009087},
        },
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["status"], data["is_urgent"]) == ("Run 1", 0, True)
    assert [t["status"] for t in data["tasks"]] == ["active", "pending"]
    assert data["tasks"][0]["performers"][0]["source_id"] == 1
    output = {f["api_name"]: f for f in data["kickoff"]["output"]}
    assert output["who"]["value"] == "Olga Owner"
    assert output["who"]["user_id"] == 1
    assert output["when"]["value"] == "1796009087"
    assert output["when"]["markdown_value"] == "Nov 30, 2026, 03:24AM"
    assert "current_task" not in data


@pytest.mark.parametrize(
    ("kind", "extra", "value", "message"),
    [
        ("string", {}, 5, "Value should be a string."),
        ("string", {}, "x" * 141, "The value of the field exceeds the limit of 140 characters."),
        ("number", {}, "abc", "The value must be a number."),
        ("date", {}, "2026-12-01", "The date value must be an integer or a floating-point number."),
        ("url", {}, "not a url", "The URL is invalid."),
        ("url", {}, 1, "URL field value should be a string."),
        (
            "radio",
            {"selections": ["A"]},
            "selection-abc",
            "A selection with the given value does not exist.",
        ),
        ("checkbox", {"selections": ["A"]}, "A", "Checkbox value should be a list."),
        ("checkbox", {"selections": ["A"]}, [1], "Checkbox value contains invalid selections."),
        (
            "checkbox",
            {"selections": ["A"]},
            ["B"],
            "Checkbox value contains non existent selections.",
        ),
        ("user", {}, 1, 'The user or group specified for a "User" field does not exist.'),
        (
            "file",
            {},
            ["https://elsewhere.test/x"],
            "File value should be a list of Markdown links.",
        ),
    ],
)
async def test_run_value_errors(
    http: httpx.AsyncClient,
    fake: FakePneumatic,
    kind: str,
    extra: dict[str, Any],
    value: Any,
    message: str,
) -> None:
    template = fake.add_template(
        name="V", kickoff={"fields": [field("f", kind, **extra)]}, tasks=linear(1)
    )
    response = await http.post(f"/templates/{template.id}/run", json={"kickoff": {"f": value}})
    assert response.status_code == 400
    assert response.json() == validation(message, api_name="f")


async def test_run_accepts_good_values(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    files = [f"[a.txt]({fake.file_service_url}/abc-1)", f"[b.txt]({fake.file_service_url}/def-2)"]
    kickoff = {"u": "example.com/shop", "n": "1.50", "c": ["A", "B"], "f": files}
    template = fake.add_template(
        name="V",
        kickoff={
            "fields": [
                field("u", "url"),
                field("n", "number", order=2),
                field("c", "checkbox", order=3, selections=["A", "B"]),
                field("f", "file", order=4),
            ]
        },
        tasks=linear(1),
    )
    response = await http.post(f"/templates/{template.id}/run", json={"kickoff": kickoff})
    output = {f["api_name"]: f for f in response.json()["kickoff"]["output"]}
    assert output["u"]["markdown_value"] == "[U](example.com/shop)"
    assert output["n"]["value"] == "1.50"
    assert output["c"]["value"] == "A, B"
    assert output["c"]["selections"] == ["A", "B"]
    assert output["f"]["value"] == f"{fake.file_service_url}/abc-1, {fake.file_service_url}/def-2"
    assert output["f"]["markdown_value"] == ", ".join(files)


async def test_run_request_errors(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="R", kickoff={"fields": [field("req", is_required=True)]}, tasks=linear(1)
    )
    url = f"/templates/{template.id}/run"
    missing = await http.post(url, json={})
    assert missing.json() == validation("Please fill in the required fields.", api_name="req")
    blank = await http.post(url, json={"name": "", "kickoff": {"req": "x"}})
    assert blank.json()["details"] == {"name": "name", "reason": "This field may not be blank."}
    past = await http.post(url, json={"due_date_tsp": 1000, "kickoff": {"req": "x"}})
    assert past.json()["message"] == "Due date should be greater than current."
    null_urgent = await http.post(url, json={"is_urgent": None, "kickoff": {"req": "x"}})
    assert null_urgent.json()["details"]["name"] == "is_urgent"
    not_found = await http.post("/templates/99/run", json={})
    assert not_found.status_code == 404


async def test_run_permission_for_other_users(fake: FakePneumatic) -> None:
    starter = fake.add_user("s@example.com", "St", "Arter")
    template = fake.add_template(
        name="Shared",
        tasks=linear(1),
        owners=[
            {"type": "user", "source_id": 1, "role": "owner"},
            {"type": "user", "source_id": starter.id, "role": "starter"},
        ],
    )
    private = fake.add_template(name="Private", tasks=linear(1))
    async with client(fake, fake.add_api_key(starter).token) as http:
        assert (await http.post(f"/templates/{template.id}/run", json={})).status_code == 200
        denied = await http.post(f"/templates/{private.id}/run", json={})
        assert denied.status_code == 403
        assert denied.json() == {
            "detail": "Permission denied. You do not have access to this template."
        }


async def test_failed_runs_consume_workflow_ids(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    template = fake.add_template(
        name="Ids", kickoff={"fields": [field("req", is_required=True)]}, tasks=linear(1)
    )
    url = f"/templates/{template.id}/run"
    assert (await http.post(url, json={"kickoff": {"req": "x"}})).json()["id"] == 1
    assert (await http.post(url, json={})).status_code == 400
    assert (await http.post(url, json={"kickoff": {"req": "y"}})).json()["id"] == 3
