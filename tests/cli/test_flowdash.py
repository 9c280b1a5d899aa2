"""``pneumatic flowdash actions|execute [--wait]`` against the sandbox's fake Flowdash."""

from __future__ import annotations

import pytest

from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run


def _actions(cli: Run) -> dict[str, str]:
    result = cli("--sandbox", "--json", "flowdash", "actions", "abc123", "678")
    assert result.code == 0, result.err
    return {a["name"]: a["id"] for a in result.json()}


def test_actions_lists_the_tasks_actions(cli: Run, sandbox: FakePneumatic) -> None:
    assert set(_actions(cli)) == {"Approve", "Reject"}
    table = cli("--sandbox", "flowdash", "actions", "abc123", "678")
    assert table.code == 0
    assert "Approve" in table.out
    assert "Reject" in table.out


def test_execute_with_wait_prints_the_outcome(cli: Run, sandbox: FakePneumatic) -> None:
    approve = _actions(cli)["Approve"]
    result = cli("--sandbox", "--json", "flowdash", "execute", "abc123", "678", approve, "--wait")
    assert result.code == 0, result.err
    assert result.json()["status"] == "Success"
    [execution] = sandbox.flowdash.executions.values()
    assert execution.polls >= 1


def test_execute_without_wait_prints_the_pending_execution(
    cli: Run, sandbox: FakePneumatic
) -> None:
    approve = _actions(cli)["Approve"]
    result = cli(
        "--sandbox", "flowdash", "execute", "abc123", "678", approve, "--performed-by", "a@b.c"
    )
    assert result.code == 0, result.err
    assert "Pending" in result.out
    [execution] = sandbox.flowdash.executions.values()
    assert (execution.performed_by, execution.polls) == ("a@b.c", 0)


def test_a_failed_action_exits_1(cli: Run, sandbox: FakePneumatic) -> None:
    task = sandbox.flowdash.add_task(
        "wf-9", "t-9", actions=[{"name": "Ship", "fail": ["No stock"]}]
    )
    action = task.actions[0].id
    result = cli("--sandbox", "flowdash", "execute", "wf-9", "t-9", action, "--wait")
    assert result.code == 1
    assert "No stock" in result.out


def test_unmet_requirements_exit_1_with_one_error_line(cli: Run, sandbox: FakePneumatic) -> None:
    sandbox.flowdash.add_task("wf-8", "t-8", actions=["Go"], requirements=["Name is required"])
    action = sandbox.flowdash.tasks[("wf-8", "t-8")].actions[0].id
    result = cli("--sandbox", "flowdash", "execute", "wf-8", "t-8", action)
    assert result.code == 1
    assert "422" in result.error_line()


def test_wait_timeout_exits_1(cli: Run, sandbox: FakePneumatic) -> None:
    sandbox.flowdash.polls_pending = 1_000_000
    approve = _actions(cli)["Approve"]
    result = cli(
        "--sandbox", "flowdash", "execute", "abc123", "678", approve, "--wait", "--timeout", "0.2"
    )
    assert result.code == 1
    assert "did not finish within 0.2 s" in result.error_line()


@pytest.mark.parametrize("timeout", ["0", "-1", "soon", "inf"])
def test_a_bad_timeout_is_a_usage_error(cli: Run, timeout: str) -> None:
    result = cli("--sandbox", "flowdash", "execute", "a", "b", "c", "--wait", "--timeout", timeout)
    assert result.code == 2
    assert "--timeout" in result.error_line()


def test_no_key_is_a_configuration_error(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWDASH_API_KEY", raising=False)
    result = cli("flowdash", "actions", "abc123", "678")
    assert result.code == 3
    assert "FLOWDASH_API_KEY" in result.error_line()
