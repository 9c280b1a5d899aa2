"""Task output by selection api_name: the task lists value texts, the template has api_names."""

from __future__ import annotations

import json

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async._choices import (
    specs_from_template_task,
    unresolved_choices,
    with_selection_api_names,
)
from pneumatic_async._http import httpx
from pneumatic_async.errors import InvalidValuesError
from pneumatic_async.models.templates import Field, Selection, TemplateTask
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.values import FieldSpec
from tests.captures import body

DECISION = {
    "name": "Decision",
    "type": "radio",
    "api_name": "decision",
    "order": 1,
    "is_required": True,
    "selections": [
        {"value": "Approve", "api_name": "dec-approve"},
        {"value": "Reject", "api_name": "dec-reject"},
    ],
}
TAGS = {
    "name": "Tags",
    "type": "checkbox",
    "api_name": "tags",
    "order": 2,
    "is_required": False,
    "selections": [{"value": "Red", "api_name": "tag-red"}, {"value": "Blue", "api_name": "t-b"}],
}


def _template(fake: FakePneumatic) -> int:
    template = fake.add_template(
        name="Approval",
        tasks=[
            {
                "number": 1,
                "name": "Decide",
                "api_name": "task-decide",
                "raw_performers": [{"type": "workflow_starter", "source_id": None}],
                "fields": [DECISION, TAGS],
            },
        ],
    )
    return template.id


def _spec(api_name: str, kind: str, *values: str) -> FieldSpec:
    return FieldSpec(
        api_name=api_name,
        name=api_name,
        type=kind,
        is_required=False,
        selections=tuple(Selection(value=v) for v in values),
    )


def test_unresolved_choices_names_only_unknown_choice_values() -> None:
    specs = [
        _spec("decision", "radio", "Approve", "Reject"),
        _spec("tags", "checkbox", "Red", "Blue"),
        _spec("note", "string"),
    ]
    assert unresolved_choices(specs, {"decision": "Approve", "tags": ["Red"]}) == []
    assert unresolved_choices(specs, {"decision": "dec-reject", "note": "x"}) == ["decision"]
    assert unresolved_choices(specs, {"tags": ["Red", "tag-blue"], "decision": ""}) == ["tags"]
    assert unresolved_choices(specs, {"decision": None, "tags": 3}) == []


def test_template_api_names_are_merged_by_value_text() -> None:
    step = TemplateTask(
        number=1,
        name="Decide",
        api_name="task-decide",
        fields=[
            Field(
                name="Decision",
                type="radio",
                order=1,
                api_name="decision",
                selections=[
                    Selection(value="Approve", api_name="dec-approve"),
                    Selection(value="Reject", api_name="dec-reject"),
                ],
            )
        ],
    )
    specs = [_spec("decision", "radio", "Approve", "Reject"), _spec("other", "radio", "A")]
    merged = with_selection_api_names(specs, specs_from_template_task(step))
    assert [(s.value, s.api_name) for s in merged[0].selections] == [
        ("Approve", "dec-approve"),
        ("Reject", "dec-reject"),
    ]
    assert merged[1] == specs[1]


async def test_complete_current_task_accepts_a_selection_api_name(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    client = pneumatic_client
    workflow = await client.templates.run(_template(fake_pneumatic), name="Run")
    task = await client.workflows.complete_current_task(
        workflow.id, {"decision": "dec-reject", "tags": ["tag-red", "Blue"]}
    )
    values = {field.api_name: field.value for field in task.output}
    assert values["decision"] == "Reject"
    assert task.status == "completed"


class Spy(httpx.AsyncBaseTransport):
    """The fake's transport, recording ``METHOD /path`` of every request."""

    def __init__(self, fake: FakePneumatic) -> None:
        self.inner = fake.transport()
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


async def test_only_an_api_name_costs_the_template_requests(fake_pneumatic: FakePneumatic) -> None:
    template_id = _template(fake_pneumatic)
    spy = Spy(fake_pneumatic)
    async with Pneumatic(
        api_key=fake_pneumatic.api_key, base_url=fake_pneumatic.base_url, transport=spy
    ) as client:
        first = await client.templates.run(template_id, name="One")
        second = await client.templates.run(template_id, name="Two")
        spy.seen.clear()
        await client.tasks.complete(first.tasks[0].id, {"decision": "Approve"})
        assert spy.seen == [
            f"GET /v2/tasks/{first.tasks[0].id}",
            f"POST /v2/tasks/{first.tasks[0].id}/complete",
        ]
        spy.seen.clear()
        await client.tasks.complete(second.tasks[0].id, {"decision": "dec-approve"})
        assert spy.seen == [
            f"GET /v2/tasks/{second.tasks[0].id}",
            f"GET /workflows/{second.id}",
            f"GET /templates/{template_id}",
            f"POST /v2/tasks/{second.tasks[0].id}/complete",
        ]


async def test_a_value_matching_neither_is_still_refused_before_sending(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    workflow = await pneumatic_client.templates.run(_template(fake_pneumatic), name="Run")
    with pytest.raises(InvalidValuesError) as caught:
        await pneumatic_client.tasks.complete(workflow.tasks[0].id, {"decision": "dec-maybe"})
    assert '"dec-maybe" is not one of "Approve", "Reject"' in str(caught.value)
    assert fake_pneumatic.workflow(workflow.id).tasks[0].status == "active"


async def test_a_caller_who_may_not_read_the_template_gets_the_value_text_check(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/v2/tasks/1").respond(200, json=body("100_v2_tasks_get"))
    router.get("/workflows/1").respond(403, json={"detail": "You do not have permission."})
    complete = router.post("/v2/tasks/1/complete").respond(200, json=body("112_v2_tasks_complete"))
    with pytest.raises(InvalidValuesError, match='"dec-reject" is not one of "Approve", "Reject"'):
        await client.tasks.complete(1, {"review-decision": "dec-reject"})
    assert not complete.called


async def test_the_real_servers_template_api_names_are_used(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/v2/tasks/1").respond(200, json=body("100_v2_tasks_get"))
    router.get("/workflows/1").respond(200, json=body("90_workflows_get"))
    router.get("/templates/1").respond(200, json=body("74_templates_get"))
    complete = router.post("/v2/tasks/1/complete").respond(200, json=body("100_v2_tasks_get"))
    await client.tasks.complete(1, {"review-decision": "selection-kdcrom"})
    assert json.loads(complete.calls[0].request.content) == {
        "output": {"review-decision": "Reject"}
    }
