"""``client.templates``: respx routes built from the real server's captures (the SDK's requests
are checked against what the real server was sent), and the fake server end to end."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    BadRequestError,
    InvalidValuesError,
    NotFoundError,
    PermissionDeniedError,
)
from pneumatic_async.models.common import FieldType, PerformerType, TaskStatus, WorkflowStatus
from pneumatic_async.models.templates import (
    Kickoff,
    NewTemplate,
    Owner,
    OwnerRole,
    RawPerformer,
    Selection,
    TemplateTask,
)
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.values import FieldSpec
from tests.captures import body, capture


def sent_json(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def envelope(items: list[Any]) -> dict[str, Any]:
    return {"count": len(items), "next": None, "previous": None, "results": items}


# --------------------------------------------------------------------------------------------
# list / get / fields / steps


async def test_list_sends_filters_and_decodes_items(client: Any, router: respx.MockRouter) -> None:
    route = router.get("/templates").respond(json=body("71_templates_list_limit1_offset0"))
    items = await client.templates.list(
        is_active=True, is_public=False, search="purchase", ordering="-date", max_items=10
    ).collect()
    params = dict(route.calls.last.request.url.params)
    assert params == {
        "is_active": "true",
        "is_public": "false",
        "search": "purchase",
        "ordering": "-date",
        "limit": "10",
        "offset": "0",
    }
    [item] = items
    assert item.id == 1
    assert item.name == "Research: purchase request"
    assert item.tasks_count == 3
    assert item.owners[0].role == OwnerRole.OWNER
    assert item.owners[0].source_id == "1"
    assert item.workflows_count is None
    department = next(f for f in item.kickoff.fields if f.api_name == "department")
    assert department.selections == ["Engineering", "Marketing", "Sales"]


async def test_list_without_filters_sends_only_paging(
    client: Any, router: respx.MockRouter
) -> None:
    route = router.get("/templates").respond(json=body("71_templates_list_limit1_offset0"))
    first = await client.templates.list(page_size=1).first_page()
    assert dict(route.calls.last.request.url.params) == {"limit": "1", "offset": "0"}
    assert first.count == 1
    assert [t.id for t in first.items] == [1]


async def test_get_decodes_the_template(client: Any, router: respx.MockRouter) -> None:
    route = router.get("/templates/1").respond(json=body("74_templates_get"))
    template = await client.templates.get(1)
    assert route.called
    assert template.id == 1
    assert template.is_active is True
    assert [t.api_name for t in template.tasks] == ["task-review", "task-order", "task-notify"]
    priority = next(f for f in template.kickoff.fields if f.api_name == "priority")
    assert priority.type == FieldType.RADIO
    assert priority.selections[1] == Selection(value="High", api_name="selection-584eo9")
    assert template.tasks[0].raw_performers[0].source_id == "approver"


async def test_get_404(client: Any, router: respx.MockRouter) -> None:
    router.get("/templates/999999").respond(404, json=body("75_templates_get_404"))
    with pytest.raises(NotFoundError) as info:
        await client.templates.get(999999)
    assert info.value.message == "Not found."


async def test_fields(client: Any, router: respx.MockRouter) -> None:
    router.get("/templates/1/fields").respond(json=body("76_templates_fields"))
    fields = await client.templates.fields(1)
    assert fields.id == 1
    assert fields.kickoff.fields[0].api_name == "approver"
    assert [t.api_name for t in fields.tasks] == ["task-review", "task-order", "task-notify"]
    assert fields.tasks[0].fields[1].type == FieldType.RADIO


async def test_steps(client: Any, router: respx.MockRouter) -> None:
    router.get("/templates/1/steps").respond(
        json=[{"name": "Review", "number": 1, "api_name": "task-review"}]
    )
    [step] = await client.templates.steps(1)
    assert (step.name, step.number, step.api_name) == ("Review", 1, "task-review")


# --------------------------------------------------------------------------------------------
# create / update / delete


DOC_EXAMPLE: dict[str, Any] = {
    "name": "Employee onboarding",
    "tasks": [
        {
            "name": "Fill out paperwork",
            "number": 1,
            "raw_performers": [{"type": "user", "source_id": 1}],
        }
    ],
    "is_active": True,
}


async def test_create_fills_in_owner_and_kickoff_like_capture_150(
    client: Any, router: respx.MockRouter
) -> None:
    """The docs' minimal example fails on the real server (142: no kickoff; 151: no owners);
    the SDK sends what capture 150 sent, which the server accepted."""
    me = router.get("/accounts/user").respond(json=body("22_accounts_user_get"))
    post = router.post("/templates").respond(
        json=body("150_templates_create_minimal_with_owners_and_kickoff")
    )
    template = await client.templates.create(DOC_EXAMPLE)
    assert (
        sent_json(post)
        == capture("150_templates_create_minimal_with_owners_and_kickoff")["request"]["json"]
    )
    assert me.call_count == 1
    assert template.id == 2
    assert template.owners[0].role == OwnerRole.OWNER
    assert template.kickoff == Kickoff()
    # the caller's id is cached: a second create asks no more
    await client.templates.create(DOC_EXAMPLE)
    assert me.call_count == 1
    assert DOC_EXAMPLE.get("owners") is None  # the caller's mapping is not changed


async def test_create_keeps_given_owners_and_adds_missing_roles(
    client: Any, router: respx.MockRouter
) -> None:
    post = router.post("/templates").respond(
        json=body("150_templates_create_minimal_with_owners_and_kickoff")
    )
    await client.templates.create(
        {
            **DOC_EXAMPLE,
            "owners": [
                {"type": "user", "source_id": 1},
                {"type": "group", "source_id": 4, "role": "viewer"},
            ],
            "kickoff": {"fields": []},
        }
    )
    sent = sent_json(post)
    assert sent["owners"] == [
        {"role": "owner", "type": "user", "source_id": 1},
        {"type": "group", "source_id": 4, "role": "viewer"},
    ]
    assert sent["kickoff"] == {"fields": []}


async def test_create_maps_documented_template_owners(
    client: Any, router: respx.MockRouter
) -> None:
    post = router.post("/templates").respond(
        json=body("150_templates_create_minimal_with_owners_and_kickoff")
    )
    await client.templates.create({**DOC_EXAMPLE, "template_owners": [1, 5]})
    sent = sent_json(post)
    assert "template_owners" not in sent
    assert sent["owners"] == [
        {"type": "user", "source_id": 1, "role": "owner"},
        {"type": "user", "source_id": 5, "role": "owner"},
    ]


async def test_create_draft_is_sent_as_given(client: Any, router: respx.MockRouter) -> None:
    me = router.get("/accounts/user").respond(json=body("22_accounts_user_get"))
    post = router.post("/templates").respond(
        json=body("153_templates_create_draft_is_active_false")
    )
    draft = await client.templates.create({"name": "Draft only", "is_active": False})
    assert sent_json(post) == {"name": "Draft only", "is_active": False}
    assert not me.called
    assert draft.id == 4
    assert draft.is_active is False
    assert draft.owners[0].role is None  # drafts come back with the raw, unnormalised owners


async def test_create_from_new_template_model(client: Any, router: respx.MockRouter) -> None:
    post = router.post("/templates").respond(
        json=body("150_templates_create_minimal_with_owners_and_kickoff")
    )
    new = NewTemplate(
        name="Employee onboarding",
        owners=[Owner(type=PerformerType.USER, source_id="1", role=OwnerRole.OWNER)],
        tasks=[
            TemplateTask(
                name="Fill out paperwork",
                number=1,
                raw_performers=[RawPerformer(type="user", source_id="1")],
            )
        ],
    )
    await client.templates.create(new)
    sent = sent_json(post)
    assert sent["owners"] == [{"type": "user", "source_id": "1", "role": "owner"}]
    assert sent["kickoff"] == {"fields": [], "fieldsets": []}
    assert sent["tasks"][0]["raw_performers"] == [{"type": "user", "source_id": "1"}]
    assert sent["is_active"] is True


async def test_create_validation_error(client: Any, router: respx.MockRouter) -> None:
    router.post("/templates").respond(
        400, json=body("152_templates_create_dropdown_without_selections")
    )
    with pytest.raises(BadRequestError) as info:
        await client.templates.create({"name": "bad", "is_active": False})
    assert info.value.code == "validation_error"
    assert "selections" in info.value.message


async def test_update_puts_the_full_template(client: Any, router: respx.MockRouter) -> None:
    route = router.put("/templates/1").respond(json=body("74_templates_get"))
    template = await client.templates.update(
        1, {"name": "Renamed", "is_active": True, "owners": [{"type": "user", "source_id": 1}]}
    )
    assert route.calls.last.request.method == "PUT"
    assert sent_json(route) == {
        "name": "Renamed",
        "is_active": True,
        "owners": [{"role": "owner", "type": "user", "source_id": 1}],
        "kickoff": {},
    }
    assert template.id == 1


async def test_update_accepts_a_fetched_template(client: Any, router: respx.MockRouter) -> None:
    router.get("/templates/1").respond(json=body("74_templates_get"))
    route = router.put("/templates/1").respond(json=body("74_templates_get"))
    template = await client.templates.get(1)
    await client.templates.update(1, template)
    sent = sent_json(route)
    assert sent["name"] == "Research: purchase request"
    assert sent["kickoff"]["fields"][0]["api_name"] == "approver"
    assert sent["tasks"][1]["conditions"][0]["api_name"] == "cond-skip-if-rejected"
    assert sent["owners"][0]["role"] == "owner"


async def test_delete(client: Any, router: respx.MockRouter) -> None:
    route = router.delete("/templates/3").respond(204)
    assert await client.templates.delete(3) is None
    assert route.called


# --------------------------------------------------------------------------------------------
# run


def run_kickoff() -> dict[str, Any]:
    """Capture 80's kickoff as a Python user would write it."""
    return {
        "requester-name": "Jane Doe",
        "justification": "Need a **new** laptop\nfor work.",
        "department": "Engineering",
        "priority": "selection-584eo9",  # the api_name of "High"
        "items": ("Laptop", "Monitor"),
        "needed-by": datetime(2026, 11, 30, 3, 24, 47, tzinfo=UTC),
        "vendor-url": "https://example.com/shop",
        "approver": "owner@example.com",
    }


async def test_run_encodes_kickoff_like_capture_80(client: Any, router: respx.MockRouter) -> None:
    get = router.get("/templates/1").respond(json=body("74_templates_get"))
    run = router.post("/templates/1/run").respond(json=body("80_templates_run_ok"))
    workflow = await client.templates.run(
        1, kickoff=run_kickoff(), name="Research run #1", is_urgent=False
    )
    assert sent_json(run) == capture("80_templates_run_ok")["request"]["json"]
    assert get.call_count == 1
    assert workflow.id == 1
    assert workflow.status == WorkflowStatus.RUNNING
    assert [t.status for t in workflow.tasks] == [
        TaskStatus.ACTIVE,
        TaskStatus.PENDING,
        TaskStatus.PENDING,
    ]
    assert workflow.active_tasks[0].performers[0].source_id == 1


async def test_run_sends_due_date_tsp_and_reads_specs_once(
    client: Any, router: respx.MockRouter
) -> None:
    get = router.get("/templates/1").respond(json=body("74_templates_get"))
    run = router.post("/templates/1/run").respond(json=body("163_templates_run_due_date_tsp"))
    kickoff = {"requester-name": "X", "department": "Sales", "approver": "owner@example.com"}
    due = datetime.fromtimestamp(1900000000, tz=UTC)
    workflow = await client.templates.run(1, kickoff=kickoff, name="with due date", due_date=due)
    assert sent_json(run) == capture("163_templates_run_due_date_tsp")["request"]["json"]
    assert workflow.due_date_tsp == due
    await client.templates.run(1, kickoff=kickoff, due_date=1900000000.5)
    assert sent_json(run)["due_date_tsp"] == 1900000000.5
    await client.templates.run(1, kickoff=kickoff, due_date=None)
    assert sent_json(run)["due_date_tsp"] is None
    assert get.call_count == 1  # kickoff specs are cached per client


async def test_run_resolves_user_ids_to_emails(client: Any, router: respx.MockRouter) -> None:
    router.get("/templates/1").respond(json=body("74_templates_get"))
    users = router.get("/accounts/users").respond(json=body("20_accounts_users_get"))
    run = router.post("/templates/1/run").respond(json=body("80_templates_run_ok"))
    await client.templates.run(
        1, kickoff={"requester-name": "X", "department": "Sales", "approver": 1}
    )
    assert users.call_count == 1
    assert sent_json(run)["kickoff"]["approver"] == "owner@example.com"


async def test_run_reports_every_problem_before_sending(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/templates/1").respond(json=body("74_templates_get"))
    router.get("/accounts/users").respond(json=body("20_accounts_users_get"))
    run = router.post("/templates/1/run").respond(json=body("80_templates_run_ok"))
    with pytest.raises(InvalidValuesError) as info:
        await client.templates.run(
            1,
            kickoff={
                "department": "Finance",  # capture 82
                "needed-by": "2026-12-01",  # capture 83
                "approver": 99,  # capture 84 sent an int id
                "vendor-url": "not a url",  # capture 85
                "items": "Laptop",  # capture 86
                "unknown-key": "x",  # capture 87: silently ignored by the server
            },
            name="  ",
            due_date=datetime.now(UTC) - timedelta(days=1),
        )
    assert not run.called
    by_field = {p.field: p.message for p in info.value.problems}
    assert set(by_field) == {
        "name",
        "due_date",
        "department",
        "needed-by",
        "approver",
        "vendor-url",
        "items",
        "unknown-key",
        "requester-name",  # missing required, like capture 81
    }
    assert by_field["name"] == "This field may not be blank."
    assert by_field["due_date"] == "Due date should be greater than current."
    assert by_field["department"] == '"Finance" is not one of "Engineering", "Marketing", "Sales"'
    assert by_field["approver"] == "user 99 is not a user of this account"


async def test_run_without_kickoff_checks_required_fields(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/templates/1").respond(json=body("74_templates_get"))
    run = router.post("/templates/1/run").respond(json=body("80_templates_run_ok"))
    with pytest.raises(InvalidValuesError) as info:
        await client.templates.run(1)  # capture 88: the server answers 400 for this
    assert not run.called
    assert sorted(p.field for p in info.value.problems) == [
        "approver",
        "department",
        "requester-name",
    ]


async def test_run_without_validation_sends_as_given(client: Any, router: respx.MockRouter) -> None:
    run = router.post("/templates/2/run").respond(json=body("164_templates_run_kickoff_null"))
    workflow = await client.templates.run(2, validate=False)
    assert sent_json(run) == {}
    assert workflow.id == 13
    await client.templates.run(
        2, kickoff={"whatever": 1}, ancestor_task_id=5, is_urgent=True, validate=False
    )
    assert sent_json(run) == {"kickoff": {"whatever": 1}, "ancestor_task_id": 5, "is_urgent": True}


async def test_run_server_rejection_is_a_bad_request(client: Any, router: respx.MockRouter) -> None:
    router.post("/templates/1/run").respond(400, json=body("82_templates_run_bad_dropdown_value"))
    with pytest.raises(BadRequestError) as info:
        await client.templates.run(1, kickoff={"department": "Finance"}, validate=False)
    assert info.value.field == "department"


async def test_run_is_not_retried_after_a_5xx(client: Any, router: respx.MockRouter) -> None:
    run = router.post("/templates/2/run").respond(500, text="Internal Server Error")
    with pytest.raises(AmbiguousOutcomeError) as info:
        await client.templates.run(2, validate=False)
    assert run.call_count == 1
    assert info.value.status_code == 500


# --------------------------------------------------------------------------------------------
# kickoff specs


async def test_kickoff_specs_cache_and_refresh(client: Any, router: respx.MockRouter) -> None:
    get = router.get("/templates/1").respond(json=body("74_templates_get"))
    specs = await client.templates.kickoff_specs(1)
    assert specs[0] == FieldSpec(
        api_name="approver", name="Approver", type="user", is_required=True
    )
    specs.clear()  # the caller's copy
    assert len(await client.templates.kickoff_specs(1)) == 8
    assert get.call_count == 1
    await client.templates.kickoff_specs(1, refresh=True)
    assert get.call_count == 2


async def test_kickoff_specs_concurrent_first_calls_fetch_once(
    client: Any, router: respx.MockRouter
) -> None:
    get = router.get("/templates/1").respond(json=body("74_templates_get"))
    results: list[int] = []

    async def one() -> None:
        results.append(len(await client.templates.kickoff_specs(1)))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(one)
    assert results == [8] * 20
    assert get.call_count == 1


async def test_kickoff_specs_forgotten_after_update_and_delete(
    client: Any, router: respx.MockRouter
) -> None:
    get = router.get("/templates/1").respond(json=body("74_templates_get"))
    router.put("/templates/1").respond(json=body("74_templates_get"))
    router.delete("/templates/1").respond(204)
    await client.templates.kickoff_specs(1)
    await client.templates.update(1, {"name": "x", "is_active": False})
    await client.templates.kickoff_specs(1)
    assert get.call_count == 2
    await client.templates.delete(1)
    await client.templates.kickoff_specs(1)
    assert get.call_count == 3


async def test_kickoff_specs_fall_back_to_the_list_on_403(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/templates/1").respond(
        403, json={"detail": "Permission denied. You are not a template owner."}
    )
    listing = router.get("/templates").respond(json=body("71_templates_list_limit1_offset0"))
    run = router.post("/templates/1/run").respond(json=body("80_templates_run_ok"))
    specs = await client.templates.kickoff_specs(1)
    assert listing.called
    priority = next(s for s in specs if s.api_name == "priority")
    assert priority.selections == (Selection(value="Low"), Selection(value="High"))
    await client.templates.run(
        1,
        kickoff={
            "requester-name": "X",
            "department": "Sales",
            "approver": "a@b.c",
            "priority": "High",
        },
    )
    assert sent_json(run)["kickoff"]["priority"] == "High"
    # the list has no selection api_names: those can't be mapped (the server refuses them too)
    with pytest.raises(InvalidValuesError, match='"selection-584eo9" is not one of'):
        await client.templates.run(
            1,
            kickoff={
                "requester-name": "X",
                "department": "Sales",
                "approver": "a@b.c",
                "priority": "selection-584eo9",
            },
        )


async def test_kickoff_specs_403_for_an_invisible_template_propagates(
    client: Any, router: respx.MockRouter
) -> None:
    router.get("/templates/7").respond(403, json={"detail": "You do not have permission."})
    router.get("/templates").respond(json=envelope([]))
    with pytest.raises(PermissionDeniedError):
        await client.templates.kickoff_specs(7)


# --------------------------------------------------------------------------------------------
# Against the fake server


def research_template() -> dict[str, Any]:
    """Capture 30's template body (the research run's purchase request)."""
    data: dict[str, Any] = capture("30_templates_create")["request"]["json"]
    return {key: value for key, value in data.items() if key != "owners"}


async def test_fake_create_run_and_read_back() -> None:
    fake = FakePneumatic()
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        template = await client.templates.create(research_template())
        assert template.is_active
        assert template.owners[0].source_id == str(fake.owner.id)
        assert template.owners[0].role == OwnerRole.OWNER
        listed = await client.templates.list().collect(max_items=5)
        assert [t.id for t in listed] == [template.id]

        workflow = await client.templates.run(
            template.id,
            kickoff={**run_kickoff(), "priority": "High", "approver": fake.owner.id},
            name="Research run #1",
            due_date=time.time() + 3600,
        )
        assert workflow.name == "Research run #1"
        assert workflow.due_date_tsp is not None
        assert workflow.kickoff is not None
        values = {field.api_name: field.value for field in workflow.kickoff.output}
        assert values["items"] == "Laptop, Monitor"
        assert values["needed-by"] == "1796009087"
        assert values["priority"] == "High"
        assert workflow.active_tasks[0].name == "Review request from Jane Doe"

        with pytest.raises(InvalidValuesError):
            await client.templates.run(template.id, kickoff={"department": "Finance"})

        fields = await client.templates.fields(template.id)
        assert fields.tasks[0].api_name == "task-review"
        steps = await client.templates.steps(template.id)
        assert [s.api_name for s in steps] == ["task-review", "task-order", "task-notify"]

        fetched = await client.templates.get(template.id)
        updated = await client.templates.update(template.id, fetched)
        assert updated.tasks[0].api_name == "task-review"
        await client.templates.delete(template.id)
        with pytest.raises((NotFoundError, PermissionDeniedError)):
            await client.templates.get(template.id)


async def test_fake_starter_runs_through_the_list_fallback() -> None:
    """A non-admin template starter may run but not GET the template (contract §5.1)."""
    fake = FakePneumatic()
    starter = fake.add_user("starter@example.com", "Sam", "Starter")
    key = fake.add_api_key(starter).token
    template = fake.add_template(
        {
            **research_template(),
            "owners": [
                {"type": "user", "source_id": fake.owner.id, "role": "owner"},
                {"type": "user", "source_id": starter.id, "role": "starter"},
            ],
        }
    )
    async with Pneumatic(transport=fake.transport(), base_url=fake.base_url, api_key=key) as client:
        with pytest.raises(PermissionDeniedError):
            await client.templates.get(template.id)
        workflow = await client.templates.run(
            template.id,
            kickoff={
                "requester-name": "Sam",
                "department": "Sales",
                "approver": "Owner@Example.com",
            },
        )
        assert workflow.workflow_starter == starter.id
        with pytest.raises(InvalidValuesError, match="department"):
            await client.templates.run(
                template.id,
                kickoff={"requester-name": "Sam", "department": "HR", "approver": "x@y.z"},
            )


async def test_fake_run_ambiguous_failure_is_not_retried() -> None:
    fake = FakePneumatic()
    template = fake.add_template(
        {
            "name": "T",
            "tasks": [
                {"name": "t", "number": 1, "raw_performers": [{"type": "user", "source_id": 1}]}
            ],
        }
    )
    fake.faults.add("applied_then_drop", route="POST /templates/{id}/run", times=1)
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        with pytest.raises(AmbiguousOutcomeError):
            await client.templates.run(template.id)
    assert fake.faults.injected["applied_then_drop"] == 1
    assert len(fake.state.workflows) == 1  # created once, never sent again
