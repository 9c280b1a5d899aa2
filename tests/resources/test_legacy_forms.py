"""The older documents' forms: ``selecions``, users ``order=asc|desc``, status ``delayed``."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async._legacy_forms import checklist_selections, users_ordering, workflow_status
from pneumatic_async.testing import FakePneumatic
from tests.captures import body


def _task(**extra: Any) -> dict[str, Any]:
    return {
        "number": 1,
        "name": "Check",
        "api_name": "task-check",
        "raw_performers": [{"type": "workflow_starter", "source_id": None}],
        **extra,
    }


def test_selecions_is_renamed_without_changing_the_input() -> None:
    original = {"tasks": [_task(checklists=[{"api_name": "cl", "selecions": [{"value": "A"}]}])]}
    snapshot = json.dumps(original)
    fixed = checklist_selections(original)
    assert fixed["tasks"][0]["checklists"][0] == {"api_name": "cl", "selections": [{"value": "A"}]}
    assert json.dumps(original) == snapshot
    untouched = {"tasks": [_task(checklists=[{"selections": []}])]}
    assert checklist_selections(untouched) is untouched


def test_both_spellings_are_ambiguous() -> None:
    both = {"tasks": [_task(checklists=[{"selections": [], "selecions": []}])]}
    with pytest.raises(ValueError, match=r"tasks\[0\]\.checklists\[0\] has both"):
        checklist_selections(both)


def test_users_order_and_delayed_map_to_the_servers_forms() -> None:
    assert users_ordering("asc") == "last_name"
    assert users_ordering("desc") == "-last_name"
    with pytest.raises(ValueError, match="order must be 'asc' or 'desc', got 'up'"):
        users_ordering("up")
    assert workflow_status("delayed") == "snoozed"
    assert workflow_status("running") == "running"


async def test_a_template_with_the_documented_typo_is_created_with_its_items(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    checklist = {"api_name": "cl", "selecions": [{"value": "First"}, {"value": "Second"}]}
    template = await pneumatic_client.templates.create(
        {"name": "Typo", "is_active": True, "tasks": [_task(checklists=[checklist])]}
    )
    assert [s.value for s in template.tasks[0].checklists[0].selections] == ["First", "Second"]
    workflow = await pneumatic_client.templates.run(template.id, name="Run")
    task = await pneumatic_client.tasks.get(workflow.tasks[0].id)
    assert task.checklists_total == 2


async def test_users_order_is_sent_as_ordering(router: respx.MockRouter, client: Pneumatic) -> None:
    route = router.get("/accounts/users").respond(200, json=body("21_accounts_users_get_limit1"))
    [u async for u in client.users.list(order="desc")]
    assert route.calls[0].request.url.params["ordering"] == "-last_name"
    assert "order" not in route.calls[0].request.url.params
    with pytest.raises(ValueError, match="not both"):
        client.users.list(order="asc", ordering="first_name")
    with pytest.raises(ValueError, match="order must be"):
        client.users.list(order="sideways")  # type: ignore[arg-type]


async def test_delayed_lists_snoozed_workflows(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    template = fake_pneumatic.add_template(name="T", tasks=[_task()])
    running = fake_pneumatic.run_workflow(template, name="Running")
    snoozed = fake_pneumatic.run_workflow(template, name="Snoozed")
    await pneumatic_client.workflows.snooze(snoozed.id, until=fake_pneumatic.now() + 86400)
    delayed = [w.id async for w in pneumatic_client.workflows.list(status="delayed")]
    assert delayed == [snoozed.id]
    assert running.id not in delayed
