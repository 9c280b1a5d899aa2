"""The fake's workflow engine (contract §11): starting, conditions, completion, returns, delays."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pneumatic_async.testing import ApiError, FakePneumatic
from pneumatic_async.testing.serializers import task_object, workflow_details
from pneumatic_async.testing.state import StoredWorkflow
from tests.testing._core_fixtures import (
    Clock,
    after,
    client,
    field,
    linear,
    statuses,
    task,
)


def status_of(workflow: StoredWorkflow) -> dict[str, str]:
    return {t.api_name: t.status for t in workflow.tasks}


def complete(fake: FakePneumatic, workflow: StoredWorkflow, api_name: str, **output: Any) -> None:
    target = workflow.task(api_name)
    assert target is not None
    fake.engine.complete(target, fake.owner, output)


def error_message(excinfo: pytest.ExceptionInfo[ApiError]) -> str:
    return str(excinfo.value.body["message"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakePneumatic:
    return FakePneumatic(clock=clock)


# -- starting ------------------------------------------------------------------------------------


def test_tasks_without_conditions_start_in_parallel(fake: FakePneumatic) -> None:
    template = fake.add_template(name="Parallel", tasks=[task(1), task(2), task(3)])
    workflow = fake.run_workflow(template)
    assert status_of(workflow) == {"step-1": "active", "step-2": "active", "step-3": "active"}
    assert workflow.status == 0
    assert all(t.date_started == fake.now() for t in workflow.tasks)


def test_linear_chain_runs_to_completion(fake: FakePneumatic, clock: Clock) -> None:
    template = fake.add_template(name="Chain", tasks=linear(3))
    workflow = fake.run_workflow(template)
    assert status_of(workflow) == {"step-1": "active", "step-2": "pending", "step-3": "pending"}
    complete(fake, workflow, "step-1")
    assert status_of(workflow) == {"step-1": "completed", "step-2": "active", "step-3": "pending"}
    complete(fake, workflow, "step-2")
    clock.now += 60
    complete(fake, workflow, "step-3")
    assert set(status_of(workflow).values()) == {"completed"}
    assert workflow.status == 1
    assert workflow.date_completed == clock.now
    performers = workflow_details(workflow)["tasks"][2]["performers"]
    assert performers == [
        {"is_completed": True, "date_completed_tsp": clock.now, "type": "user", "source_id": 1}
    ]


def test_start_condition_on_kickoff_is_always_true(fake: FakePneumatic) -> None:
    kickoff_start = [
        {
            "action": "start_task",
            "rules": [{"predicates": [{"field_type": "kickoff", "operator": "completed"}]}],
        }
    ]
    template = fake.add_template(
        name="Kickoff", tasks=[task(1, conditions=kickoff_start), task(2, start_after="step-1")]
    )
    workflow = fake.run_workflow(template)
    assert status_of(workflow) == {"step-1": "active", "step-2": "pending"}


def test_task_without_performers_is_skipped_and_workflow_completes(fake: FakePneumatic) -> None:
    fake.add_group("Empty group")
    template = fake.add_template(
        name="Nobody", tasks=[task(1, performers=[{"type": "group", "source_id": 1}])]
    )
    workflow = fake.run_workflow(template)
    assert status_of(workflow) == {"step-1": "skipped"}
    assert workflow.status == 1
    assert workflow_details(workflow)["tasks"] == []  # skipped tasks are not listed


# -- conditions ----------------------------------------------------------------------------------


def decision_template(fake: FakePneumatic, action: str) -> Any:
    skip = {
        "action": action,
        "rules": [
            {
                "predicates": [
                    {
                        "field_type": "radio",
                        "operator": "equals",
                        "field": "decision",
                        "value": "No",
                    }
                ]
            }
        ],
    }
    return fake.add_template(
        name="Decide",
        tasks=[
            task(1, fields=[field("decision", "radio", selections=["Yes", "No"])]),
            task(2, conditions=[*after("step-1"), skip]),
            task(3, conditions=after("step-2", "completed_or_skipped")),
        ],
    )


def test_skip_task_condition_skips_and_continues(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(decision_template(fake, "skip_task"))
    complete(fake, workflow, "step-1", decision="No")
    assert status_of(workflow) == {"step-1": "completed", "step-2": "skipped", "step-3": "active"}


def test_skip_condition_not_matching_starts_the_task(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(decision_template(fake, "skip_task"))
    complete(fake, workflow, "step-1", decision="Yes")
    assert status_of(workflow) == {"step-1": "completed", "step-2": "active", "step-3": "pending"}


def test_end_process_condition_completes_the_workflow(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(decision_template(fake, "end_process"))
    complete(fake, workflow, "step-1", decision="No")
    assert workflow.status == 1
    assert status_of(workflow) == {"step-1": "completed", "step-2": "pending", "step-3": "pending"}
    assert workflow.events[-1].type == 10  # ended by condition


def test_rules_are_ored_and_predicates_anded(fake: FakePneumatic) -> None:
    def predicate(name: str, value: str) -> dict[str, Any]:
        return {"field_type": "string", "operator": "equals", "field": name, "value": value}

    skip = {
        "action": "skip_task",
        "rules": [
            {"predicates": [predicate("a", "1"), predicate("b", "1")]},
            {"predicates": [predicate("a", "2")]},
        ],
    }
    template = fake.add_template(
        name="Logic",
        kickoff={"fields": [field("a"), field("b", order=2)]},
        tasks=[task(1, conditions=[skip])],
    )
    cases = [({"a": "1", "b": "1"}, "skipped"), ({"a": "1", "b": "2"}, "active")]
    cases += [({"a": "2"}, "skipped"), ({}, "active")]
    for kickoff, expected in cases:
        workflow = fake.run_workflow(template, kickoff=kickoff)
        assert workflow.tasks[0].status == expected, kickoff


@pytest.mark.parametrize(
    ("kind", "operator", "value", "stored", "expected"),
    [
        ("string", "contains", "ell", "hello", True),
        ("string", "not_contains", "ell", "hello", False),
        ("string", "not_contains", "x", None, False),  # empty field: not_contains is false
        ("string", "not_equals", "x", None, True),
        ("checkbox", "contains", "B", ["A", "B"], False),  # " B" after the split (quirk)
        ("checkbox", "contains", "A", ["A", "B"], True),
        ("checkbox", "not_contains", "A", None, True),
        ("checkbox", "equals", "A", ["A"], True),
        ("number", "more_than", "5", 7, True),
        ("number", "less_than", "5", 7, False),
        ("number", "exists", None, 0, True),
        ("date", "more_than", "100", 200, True),
        ("date", "more_than", "100", 200.5, False),  # float dates compare as missing
        ("date", "not_exists", None, None, True),
    ],
)
def test_predicate_operators(
    fake: FakePneumatic, kind: str, operator: str, value: str | None, stored: Any, expected: bool
) -> None:
    selections = {"selections": ["A", "B"]} if kind == "checkbox" else {}
    skip = {
        "action": "skip_task",
        "rules": [
            {
                "predicates": [
                    {"field_type": kind, "operator": operator, "field": "f", "value": value}
                ]
            }
        ],
    }
    template = fake.add_template(
        name="Op",
        kickoff={"fields": [field("f", kind, **selections)]},
        tasks=[task(1, conditions=[skip])],
    )
    kickoff = {} if stored is None else {"f": stored}
    workflow = fake.run_workflow(template, kickoff=kickoff)
    assert (workflow.tasks[0].status == "skipped") is expected


def test_only_the_last_start_condition_counts(fake: FakePneumatic) -> None:
    conditions = [*after("step-2"), {**after("step-1")[0], "order": 2}]
    template = fake.add_template(
        name="Quirk", tasks=[task(1), task(2, start_after="step-1"), task(3, conditions=conditions)]
    )
    workflow = fake.run_workflow(template)
    complete(fake, workflow, "step-1")
    assert status_of(workflow)["step-3"] == "active"  # step-2 is not completed yet


# -- performers and completion ---------------------------------------------------------------------


def test_user_field_performer(fake: FakePneumatic) -> None:
    other = fake.add_user("ann@example.com", "Ann", "Smith")
    template = fake.add_template(
        name="Assign",
        kickoff={"fields": [field("who", "user")]},
        tasks=[task(1, performers=[{"type": "field", "source_id": "who"}])],
    )
    workflow = fake.run_workflow(template, kickoff={"who": "ANN@example.com"})
    assert [(p.type, p.source_id) for p in workflow.tasks[0].performers] == [("user", other.id)]
    group = fake.add_group("Reviewers", [other])
    workflow = fake.run_workflow(template, kickoff={"who": "reviewers"})
    assert [(p.type, p.source_id) for p in workflow.tasks[0].performers] == [("group", group.id)]


def test_manager_performer(fake: FakePneumatic) -> None:
    boss = fake.add_user("boss@example.com", "Big", "Boss")
    worker = fake.add_user("w@example.com", "Wo", "Rker", manager=boss)
    template = fake.add_template(
        name="Escalate",
        tasks=[
            task(1, performers=[{"type": "user", "source_id": worker.id}]),
            task(2, performers=[{"type": "manager", "source_id": "step-1"}], start_after="step-1"),
        ],
    )
    workflow = fake.run_workflow(template)
    fake.engine.complete(workflow.tasks[0], worker, {})
    assert [(p.type, p.source_id) for p in workflow.tasks[1].performers] == [("user", boss.id)]


def test_require_completion_by_all(fake: FakePneumatic) -> None:
    ann = fake.add_user("ann@example.com", "Ann", "A")
    bob = fake.add_user("bob@example.com", "Bob", "B")
    performers = [{"type": "user", "source_id": ann.id}, {"type": "user", "source_id": bob.id}]
    template = fake.add_template(
        name="All", tasks=[task(1, performers=performers, require_completion_by_all=True)]
    )
    workflow = fake.run_workflow(template)
    first = workflow.tasks[0]
    fake.engine.complete(first, ann, {})
    assert first.status == "active"
    assert task_object(fake.state, first, ann)["is_completed"] is True
    assert task_object(fake.state, first, bob)["is_completed"] is False
    with pytest.raises(ApiError) as excinfo:
        fake.engine.complete(first, ann, {})
    assert error_message(excinfo) == "You have already completed this task."
    fake.engine.complete(first, bob, {})
    assert first.status == "completed"
    assert workflow.status == 1


def test_group_member_completes_a_group_task(fake: FakePneumatic) -> None:
    ann = fake.add_user("ann@example.com", "Ann", "A")
    outsider = fake.add_user("out@example.com", "Out", "Sider")
    group = fake.add_group("Team", [ann])
    template = fake.add_template(
        name="Group", tasks=[task(1, performers=[{"type": "group", "source_id": group.id}])]
    )
    workflow = fake.run_workflow(template)
    with pytest.raises(ApiError) as excinfo:
        fake.engine.complete(workflow.tasks[0], outsider, {})
    assert "added to the task as a performer" in error_message(excinfo)
    fake.engine.complete(workflow.tasks[0], ann, {})
    assert workflow.tasks[0].status == "completed"


def test_account_owner_force_completes(fake: FakePneumatic) -> None:
    ann = fake.add_user("ann@example.com", "Ann", "A")
    ann_performer = [{"type": "user", "source_id": ann.id}]
    template = fake.add_template(
        name="Force", tasks=[task(1, performers=ann_performer, require_completion_by_all=True)]
    )
    workflow = fake.run_workflow(template)
    fake.engine.complete(workflow.tasks[0], fake.owner, {})
    assert workflow.tasks[0].status == "completed"
    assert workflow.tasks[0].performers[0].is_completed is True


def test_skip_for_starter(fake: FakePneumatic) -> None:
    template = fake.add_template(name="Skip me", tasks=[task(1, skip_for_starter=True), task(2)])
    workflow = fake.run_workflow(template)
    assert status_of(workflow) == {"step-1": "skipped", "step-2": "active"}


def test_completing_a_task_with_output_stores_values(fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="Out", tasks=[task(1, fields=[field("note"), field("count", "number", order=2)])]
    )
    workflow = fake.run_workflow(template)
    complete(fake, workflow, "step-1", note="**hi**", count=2.5, unknown="ignored")
    values = {
        v.api_name: (v.value, v.markdown_value, v.clear_value) for v in workflow.tasks[0].fields
    }
    assert values == {"note": ("**hi**", "**hi**", "hi"), "count": ("2.5", "2.5", "2.5")}


def test_output_validation_errors_leave_the_task_active(fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="Out", tasks=[task(1, fields=[field("d", "radio", selections=["A"])])]
    )
    workflow = fake.run_workflow(template)
    with pytest.raises(ApiError) as excinfo:
        complete(fake, workflow, "step-1", d="B")
    assert excinfo.value.body["details"] == {
        "reason": "A selection with the given value does not exist.",
        "api_name": "d",
    }
    assert workflow.tasks[0].status == "active"


# -- returning -----------------------------------------------------------------------------------


def test_revert_returns_to_the_parent(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Back", tasks=linear(3)))
    complete(fake, workflow, "step-1")
    with pytest.raises(ApiError) as excinfo:
        fake.engine.revert(workflow.tasks[0], fake.owner)
    assert error_message(excinfo) == "Available only for active tasks."
    fake.engine.revert(workflow.tasks[1], fake.owner)
    assert status_of(workflow) == {"step-1": "active", "step-2": "pending", "step-3": "pending"}
    assert workflow.tasks[0].date_completed is None
    assert workflow.tasks[1].date_started is None


def test_revert_from_the_first_task_is_rejected(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="First", tasks=linear(2)))
    with pytest.raises(ApiError) as excinfo:
        fake.engine.revert(workflow.tasks[0], fake.owner)
    assert error_message(excinfo) == "You can't revert from the first task."


def test_revert_passes_tasks_skipped_by_a_condition(fake: FakePneumatic) -> None:
    # captures 121-125: step-2 was skipped, reverting step-3 re-opens step-1
    workflow = fake.run_workflow(decision_template(fake, "skip_task"))
    complete(fake, workflow, "step-1", decision="No")
    fake.engine.revert(workflow.tasks[2], fake.owner)
    assert status_of(workflow) == {"step-1": "active", "step-2": "pending", "step-3": "pending"}


def test_return_to_reopens_a_completed_workflow(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Again", tasks=linear(2)))
    complete(fake, workflow, "step-1")
    complete(fake, workflow, "step-2")
    assert workflow.status == 1
    fake.engine.return_to(workflow, workflow.tasks[0], fake.owner)
    assert workflow.status == 0
    assert workflow.date_completed is None
    assert status_of(workflow) == {"step-1": "active", "step-2": "pending"}


def test_return_to_a_later_task_is_rejected(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Later", tasks=linear(2)))
    with pytest.raises(ApiError) as excinfo:
        fake.engine.return_to(workflow, workflow.tasks[1], fake.owner)
    assert error_message(excinfo) == "A workflow can't return to a later task."


# -- snooze, delays, finish, urgency -------------------------------------------------------------


def test_snooze_and_resume(fake: FakePneumatic, clock: Clock) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Later", tasks=linear(2)))
    fake.engine.snooze(workflow, clock.now + 3600, fake.owner)
    assert workflow.status == 3
    assert workflow.tasks[0].status == "snoozed"
    with pytest.raises(ApiError) as excinfo:
        complete(fake, workflow, "step-1")
    assert error_message(excinfo) == "You need to resume the workflow before completing the task."
    fake.engine.resume(workflow, fake.owner)
    assert workflow.status == 0
    assert workflow.tasks[0].status == "active"


def test_snooze_ends_by_itself_when_the_date_passes(fake: FakePneumatic, clock: Clock) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Later", tasks=linear(1)))
    fake.engine.snooze(workflow, clock.now + 60, fake.owner)
    clock.now += 59
    fake.advance()
    assert workflow.status == 3
    clock.now += 1
    fake.advance()
    assert workflow.status == 0
    assert workflow.tasks[0].status == "active"


def test_template_delay_snoozes_the_task(fake: FakePneumatic, clock: Clock) -> None:
    template = fake.add_template(
        name="Wait", tasks=[task(1), task(2, start_after="step-1", delay="01:00:00")]
    )
    workflow = fake.run_workflow(template)
    complete(fake, workflow, "step-1")
    delayed = workflow.tasks[1]
    assert (delayed.status, workflow.status) == ("snoozed", 3)
    details = workflow_details(workflow)["tasks"][1]["delay"]
    assert details["duration"] == "01:00:00"
    assert details["estimated_end_date_tsp"] == clock.now + 3600
    clock.now += 3600
    fake.advance()
    assert (delayed.status, workflow.status) == ("active", 0)


def test_finish_needs_a_finalizable_template(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="F", tasks=linear(2), finalizable=True))
    fake.engine.finish(workflow, fake.owner)
    assert workflow.status == 1
    assert workflow.finalizable is True


def test_urgency_propagates_to_started_tasks_and_clears_on_completion(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="U", tasks=linear(2)))
    fake.engine.set_urgent(workflow, True, fake.owner)
    assert [t.is_urgent for t in workflow.tasks] == [True, False]
    complete(fake, workflow, "step-1")
    assert workflow.tasks[1].is_urgent is True  # copied on start
    complete(fake, workflow, "step-2")
    assert workflow.is_urgent is False
    assert not any(t.is_urgent for t in workflow.tasks)


def test_due_date_after_workflow_started(fake: FakePneumatic, clock: Clock) -> None:
    due = {"duration": "1 00:00:00", "rule": "after workflow started", "duration_months": 0}
    workflow = fake.run_workflow(fake.add_template(name="Due", tasks=[task(1, raw_due_date=due)]))
    assert workflow.tasks[0].due_date == clock.now + 86400


# -- names -----------------------------------------------------------------------------------------


def test_variables_in_names_and_truncation(fake: FakePneumatic) -> None:
    template = fake.add_template(
        name="Vars",
        kickoff={"fields": [field("who")]},
        tasks=[task(1, name="Call {{ who }}", description="About {{who}} on {{ date }}")],
    )
    workflow = fake.run_workflow(
        template, kickoff={"who": "Jane"}, name="Run for {{who}} #{{workflow-id}}"
    )
    assert workflow.name == f"Run for Jane #{workflow.id}"
    assert (workflow.tasks[0].name, workflow.tasks[0].description) == (
        "Call Jane",
        "About Jane on {{ date }}",  # only field values are filled in tasks
    )
    long = fake.run_workflow(template, kickoff={"who": "x"}, name="n" * 130)
    assert long.name == "n" * 119 + "…"


def test_default_workflow_name(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Onboarding", tasks=linear(1)))
    assert re.fullmatch(r"[A-Z][a-z]{2} \d\d, \d{4}, \d\d:\d\d[AP]M — Onboarding", workflow.name)


# -- webhooks --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_webhook_events_order(fake: FakePneumatic) -> None:
    received: list[str] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        import json

        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append(json.loads(body)["hook"]["event"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fake.webhooks.mount("http://hooks.test", receiver)
    async with client(fake) as http:
        assert (
            await http.post("/webhooks/subscribe", json={"url": "http://hooks.test/h"})
        ).status_code == 204
        template = fake.add_template(name="Hooks", tasks=linear(2))
        run = await http.post(f"/templates/{template.id}/run", json={})
        first, second = (t["id"] for t in run.json()["tasks"])
        assert (await http.post(f"/v2/tasks/{first}/complete", json={})).status_code == 200
        assert (
            await http.post(f"/v2/tasks/{second}/revert", json={"comment": "again"})
        ).status_code == 204
        await http.post(f"/v2/tasks/{first}/complete", json={})
        await http.post(f"/v2/tasks/{second}/complete", json={})
    await fake.webhooks.flush()
    assert received == [
        "workflow_started",
        "task_completed",
        "task_returned",
        "task_completed",
        "workflow_completed",
        "task_completed",
    ]


def test_no_payload_is_built_without_hooks(
    fake: FakePneumatic, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("payload built although nobody subscribed")

    monkeypatch.setattr("pneumatic_async.testing.serializers.workflow_details", boom)
    workflow = fake.run_workflow(fake.add_template(name="Quiet", tasks=linear(1)))
    complete(fake, workflow, "step-1")
    assert workflow.status == 1
    assert fake.webhooks.pending == 0


@pytest.mark.anyio
async def test_details_via_http_match_engine_state(fake: FakePneumatic) -> None:
    workflow = fake.run_workflow(fake.add_template(name="Http", tasks=linear(2)))
    async with client(fake) as http:
        data = (await http.get(f"/workflows/{workflow.id}")).json()
    assert statuses(data) == {"step-1": "active", "step-2": "pending"}
    assert data["owners"] == [1]
