"""``pneumatic demo`` end to end, with a small number of workflows."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from pneumatic_async import Pneumatic
from pneumatic_async.cli.demo import DemoSummary, demo_plan, run_demo
from pneumatic_async.cli.samples import DEMO_FIELD_TYPES
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run


def expected_counts(workflows: int) -> tuple[int, int, int]:
    """(tasks completed, returns, workflows ended by a Reject) as the demo plans them."""
    plans = [demo_plan(i) for i in range(workflows)]
    completed = sum(1 for plan in plans for action, _ in plan if action == "complete")
    returned = sum(1 for plan in plans for action, _ in plan if action == "return")
    rejected = sum(1 for plan in plans if len(plan) == 1)
    return completed, returned, rejected


def check(summary: DemoSummary, workflows: int) -> None:
    completed, returned, rejected = expected_counts(workflows)
    assert summary.workflows_launched == workflows
    assert summary.tasks_completed == completed
    assert summary.completed_via_workflows + summary.completed_via_tasks == completed
    assert summary.completed_via_workflows > 0
    assert summary.completed_via_tasks > 0
    assert summary.tasks_returned == returned
    assert summary.workflows_completed == workflows
    assert summary.workflows_ended_by_condition == rejected
    # Webhooks agree with what was launched and completed, one delivery each.
    assert summary.webhooks == {
        "task_completed": completed,
        "task_returned": returned,
        "workflow_completed": workflows,
        "workflow_started": workflows,
    }
    assert summary.webhooks_failed == 0
    assert summary.webhooks_received == 2 * workflows + completed + returned


def test_plan_covers_every_path() -> None:
    plans = [demo_plan(i) for i in range(40)]
    assert [("complete", "task-review")] in plans  # rejected: ended by condition
    assert any(("complete", "task-finance") in plan for plan in plans)
    assert any(
        ("complete", "task-finance") not in plan and ("complete", "task-onboard") in plan
        for plan in plans
    )  # finance skipped for small contracts
    assert any(("return", "task-finance") in plan for plan in plans)
    assert any(("return", "task-onboard") in plan for plan in plans)


def test_demo_command_json_summary(cli: Run) -> None:
    result = cli("demo", "--workflows", "24", "--json")
    assert result.code == 0, result.err
    data = result.json()
    summary = DemoSummary(**{k: v for k, v in data.items() if k != "webhooks_received"})
    check(summary, 24)
    assert data["webhooks_received"] == summary.webhooks_received
    # the server lists kickoff fields by descending ``order`` (capture 74), not as created
    assert sorted(data["field_types"]) == sorted(DEMO_FIELD_TYPES)
    assert data["tasks_in_template"] == 3
    assert data["launches_per_second"] > 0


def test_demo_command_prints_steps_and_a_summary(cli: Run) -> None:
    result = cli("demo", "--workflows", "12", "--concurrency", "4")
    assert result.code == 0, result.err
    out = result.out
    assert "no API key, no network" in out
    assert "created template 'Demo: client onboarding'" in out
    assert "string, text, number, date, url, dropdown, radio, checkbox, user, file" in out
    assert "launched 12 workflows with the bulk API" in out
    assert "workflows launched" in out
    assert "webhooks: workflow_started" in out
    assert "elapsed" in out


def test_demo_needs_no_key(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PNEUMATIC_BASE_URL", "https://unreachable.invalid")
    result = cli("demo", "--workflows", "3", "--json")
    assert result.code == 0, result.err
    assert result.json()["workflows_launched"] == 3


async def test_run_demo() -> None:
    """The demo function itself, on asyncio and trio, printing its steps to a console."""
    fake = FakePneumatic(seed=1)
    stream = io.StringIO()
    console = Console(file=stream, width=200)
    async with Pneumatic(
        transport=fake.transport(),
        base_url=fake.base_url,
        api_key=fake.api_key,
        file_service_url=fake.file_service_url,
        retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0),
    ) as client:
        summary = await run_demo(client, fake, workflows=30, console=console, concurrency=8)
    check(summary, 30)
    workflows = [w for w in fake.state.workflows.values() if not w.deleted]
    assert len(workflows) == 30
    assert all(w.status == 1 for w in workflows)
    assert "subscribed an in-process webhook receiver to every event" in stream.getvalue()
    template = fake.state.templates[summary.template_id]
    assert sorted(f.type for f in template.kickoff_fields) == sorted(DEMO_FIELD_TYPES)


async def test_run_demo_rejects_zero_workflows() -> None:
    fake = FakePneumatic()
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        with pytest.raises(ValueError, match="at least 1"):
            await run_demo(client, fake, workflows=0)
