"""Every command against the sandbox (the seeded fake server), tables and ``--json``.

The sandbox holds the template "Client onboarding" (#1) and three of its workflows: ACME (#1),
Globex (#2, first task completed) and Initech (#3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run

# -- templates ---------------------------------------------------------------------------------


def test_templates_list_table(cli: Run) -> None:
    result = cli("--sandbox", "templates", "list")
    assert result.code == 0, result.err
    assert "Client onboarding" in result.out
    assert "client, amount, plan, start-date, reference" in result.out  # in form order


def test_templates_list_json(cli: Run) -> None:
    result = cli("--sandbox", "--json", "templates", "list")
    assert result.code == 0
    [template] = result.json()
    assert template["id"] == 1
    assert template["is_active"] is True
    assert template["tasks_count"] == 2
    assert {f["api_name"] for f in template["kickoff"]["fields"]} == {
        "client",
        "amount",
        "plan",
        "start-date",
        "reference",
    }


def test_templates_list_filters(cli: Run, sandbox: FakePneumatic) -> None:
    sandbox.add_template(
        name="Draft", is_active=False, tasks=[{"number": 1, "name": "t", "api_name": "t-1"}]
    )
    drafts = cli("--sandbox", "--json", "templates", "list", "--drafts").json()
    assert [t["name"] for t in drafts] == ["Draft"]
    active = cli("--sandbox", "--json", "templates", "list", "--active").json()
    assert [t["name"] for t in active] == ["Client onboarding"]
    none = cli("--sandbox", "templates", "list", "--search", "zzzz")
    assert none.code == 0
    assert "no templates" in none.out


def test_templates_show(cli: Run) -> None:
    result = cli("--sandbox", "templates", "show", "1")
    assert result.code == 0, result.err
    out = result.out
    assert "Client onboarding" in out
    assert "Starter, Growth, Enterprise" in out
    assert "task-welcome" in out
    assert "start_task: task-welcome completed" in out
    assert "account-id (string)" in out


def test_templates_show_json(cli: Run) -> None:
    data = cli("--sandbox", "--json", "templates", "show", "1").json()
    assert data["name"] == "Client onboarding"
    assert [t["api_name"] for t in data["tasks"]] == ["task-welcome", "task-setup"]
    assert isinstance(data["date_updated_tsp"], float)  # epoch seconds, as the server sends


# -- workflows ---------------------------------------------------------------------------------


def test_workflows_list_table(cli: Run) -> None:
    result = cli("--sandbox", "workflows", "list")
    assert result.code == 0, result.err
    lines = [line for line in result.out.splitlines() if "Onboarding" in line]
    assert [line.split("│")[1].strip() for line in lines] == [
        "Onboarding Initech",
        "Onboarding Globex",
        "Onboarding ACME",
    ]  # newest first
    assert "Set up the account (#4)" in result.out  # Globex's active task


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ([], ["Onboarding Initech", "Onboarding Globex", "Onboarding ACME"]),
        (["--search", "Globex"], ["Onboarding Globex"]),
        (["--template-id", "1", "--limit", "2"], ["Onboarding Initech", "Onboarding Globex"]),
        (["--status", "done"], []),
        (["--status", "running", "--limit", "0"], ["Onboarding Initech", "Onboarding Globex",
                                                   "Onboarding ACME"]),
    ],
)  # fmt: skip
def test_workflows_list_filters(cli: Run, filters: list[str], names: list[str]) -> None:
    result = cli("--sandbox", "--json", "workflows", "list", *filters)
    assert result.code == 0, result.err
    assert [w["name"] for w in result.json()] == names


def test_workflows_list_empty(cli: Run) -> None:
    result = cli("--sandbox", "workflows", "list", "--status", "snoozed")
    assert result.code == 0
    assert "no workflows" in result.out


def test_workflows_show(cli: Run) -> None:
    result = cli("--sandbox", "workflows", "show", "2")
    assert result.code == 0, result.err
    out = result.out
    assert "Onboarding Globex" in out
    for value in ("Globex", "4200", "Growth", "completed", "active"):
        assert value in out


def test_workflows_show_json(cli: Run) -> None:
    data = cli("--sandbox", "--json", "workflows", "show", "2").json()
    assert data["id"] == 2
    assert data["status"] == 0
    assert [(t["api_name"], t["status"]) for t in data["tasks"]] == [
        ("task-welcome", "completed"),
        ("task-setup", "active"),
    ]


def test_workflows_show_missing(cli: Run) -> None:
    result = cli("--sandbox", "workflows", "show", "77")
    assert result.code == 1
    assert "404 on GET /workflows/77" in result.error_line()


# -- run ---------------------------------------------------------------------------------------


def test_run_with_key_values(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli(
        "--sandbox", "run", "1", "client=Umbrella", "amount=1500", "plan=Growth",
        "start-date=2027-01-01", "--name", "Umbrella deal",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "Umbrella deal" in result.out
    assert "2027-01-01 00:00 UTC" in result.out  # the date field, shown as a date
    workflow = sandbox.workflow(4)
    assert workflow.name == "Umbrella deal"
    values = {f.api_name: f.value for f in workflow.kickoff_fields}
    assert values["client"] == "Umbrella"
    assert values["amount"] == "1500"
    assert values["plan"] == "Growth"
    assert values["start-date"] == "1798761600"  # midnight UTC, epoch seconds


def test_run_values_may_follow_options_and_json_values(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "--json", "run", "1", "--urgent", "client=Hooli", "amount:=12.5")
    assert result.code == 0, result.err
    data = result.json()
    assert data["is_urgent"] is True
    assert data["name"] == "Onboarding Hooli"
    values = {f.api_name: f.value for f in sandbox.workflow(data["id"]).kickoff_fields}
    assert values["amount"] == "12.5"


def test_run_with_a_kickoff_file(cli: Run, tmp_path: Path, sandbox: FakePneumatic) -> None:
    kickoff = tmp_path / "kickoff.json"
    kickoff.write_text('{"client": "Soylent", "plan": "Starter", "amount": 3}')
    result = cli("--sandbox", "--json", "run", "1", "--kickoff", str(kickoff), "plan=Enterprise")
    assert result.code == 0, result.err
    values = {f.api_name: f.value for f in sandbox.workflow(result.json()["id"]).kickoff_fields}
    assert values["client"] == "Soylent"
    assert values["plan"] == "Enterprise"  # arguments win over the file


def test_run_bad_values_exit_2_before_anything_is_sent(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "run", "1", "clent=Foo", "plan=Gold")
    assert result.code == 2
    line = result.error_line()
    assert "clent: no field has this api_name" in line
    assert 'did you mean "client"' in line
    assert '"Gold" is not one of "Starter", "Growth", "Enterprise"' in line
    assert len(sandbox.state.workflows) == 3  # nothing launched


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["client"], "expected key=value, got 'client'"),
        (["amount:={oops"], "the value after ':=' is not JSON"),
        (["=x"], "the field api_name before '=' is empty"),
        (["client=@nofile.txt"], "'@' uploads a file, but 'client' is a string field"),
    ],
)
def test_run_malformed_arguments(cli: Run, argv: list[str], expected: str) -> None:
    result = cli("--sandbox", "run", "1", *argv)
    assert result.code == 2
    assert expected in result.error_line()


def test_run_kickoff_file_problems(cli: Run, tmp_path: Path) -> None:
    missing = cli("--sandbox", "run", "1", "--kickoff", str(tmp_path / "none.json"))
    assert missing.code == 2
    assert "none.json" in missing.error_line()
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = cli("--sandbox", "run", "1", "--kickoff", str(bad))
    assert result.code == 2
    assert "expected a JSON object" in result.error_line()


def test_run_missing_template(cli: Run) -> None:
    result = cli("--sandbox", "run", "42", "client=x")
    assert result.code == 1
    assert "/templates/42" in result.error_line()


# -- files -------------------------------------------------------------------------------------


def test_files_upload(cli: Run, tmp_path: Path, sandbox: FakePneumatic) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 demo")
    result = cli("--sandbox", "files", "upload", str(path))
    assert result.code == 0, result.err
    assert "Uploaded report.pdf" in result.out
    assert "[report.pdf](" in result.out  # the file field value to paste


def test_files_upload_json_and_name(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 demo")
    data = cli("--sandbox", "--json", "files", "upload", str(path), "--name", "Q3.pdf").json()
    assert data["filename"] == "Q3.pdf"
    assert data["file_id"]
    assert data["public_url"].startswith("http")


def test_files_upload_missing_file(cli: Run, tmp_path: Path) -> None:
    result = cli("--sandbox", "files", "upload", str(tmp_path / "nope.pdf"))
    assert result.code == 2
    assert "nope.pdf: no such file" in result.error_line()


# -- tasks -------------------------------------------------------------------------------------


def test_tasks_list_active(cli: Run) -> None:
    result = cli("--sandbox", "tasks", "list")
    assert result.code == 0, result.err
    assert "Welcome ACME" in result.out
    assert "Set up the account" in result.out
    assert "Welcome Initech" in result.out
    assert "Welcome Globex" not in result.out  # completed


def test_tasks_list_completed_json(cli: Run) -> None:
    result = cli("--sandbox", "--json", "tasks", "list", "--completed")
    assert result.code == 0, result.err
    assert [(t["id"], t["name"], t["status"]) for t in result.json()] == [
        (3, "Welcome Globex", "completed")
    ]


def test_tasks_list_limit(cli: Run) -> None:
    assert len(cli("--sandbox", "--json", "tasks", "list", "--limit", "2").json()) == 2


def test_tasks_complete_with_key_values(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "tasks", "complete", "1", "--output", "note=Called them")
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "Completed task #1 'Welcome ACME' of workflow 'Onboarding ACME' (#1)"
    )
    workflow = sandbox.workflow(1)
    assert [(t.api_name, t.status) for t in workflow.tasks] == [
        ("task-welcome", "completed"),
        ("task-setup", "active"),
    ]
    note = workflow.field_value("note")
    assert note is not None
    assert note.value == "Called them"


def test_tasks_complete_with_a_json_object(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli(
        "--sandbox", "--json", "tasks", "complete", "4", "--output", '{"account-id": "A-7"}'
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["id"] == 4
    assert data["status"] == "completed"
    assert sandbox.workflow(2).status == 1  # the last task: the workflow is done


def test_tasks_complete_without_output(cli: Run, sandbox: FakePneumatic) -> None:
    assert cli("--sandbox", "tasks", "complete", "5").code == 0
    assert sandbox.workflow(3).tasks[0].status == "completed"


def test_tasks_complete_bad_output_exits_2_before_sending(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "tasks", "complete", "1", "--output", "nte=hi")
    assert result.code == 2
    assert 'did you mean "note"' in result.error_line()
    assert sandbox.workflow(1).tasks[0].status == "active"
    bad_json = cli("--sandbox", "tasks", "complete", "1", "--output", "{oops")
    assert bad_json.code == 2
    assert "not a JSON object" in bad_json.error_line()


def test_tasks_complete_a_completed_task_is_an_api_error(cli: Run) -> None:
    result = cli("--sandbox", "tasks", "complete", "3")
    assert result.code == 1
    assert result.error_line() == (
        "pneumatic: error: 400 on POST /v2/tasks/3/complete: Available only for active tasks."
    )


# -- webhooks ----------------------------------------------------------------------------------


def test_webhooks_list(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "webhooks", "list")
    assert result.code == 0, result.err
    events = ["task_completed", "task_returned", "workflow_completed", "workflow_started"]
    lines = [line for line in result.out.splitlines() if "(not subscribed)" in line]
    assert [line.split("│")[0].strip() for line in lines] == events


def test_webhooks_subscribe_and_unsubscribe(cli: Run, sandbox: FakePneumatic) -> None:
    url = "https://example.com/hooks"
    result = cli("--sandbox", "webhooks", "subscribe", "all", url)
    assert result.code == 0, result.err
    assert result.out.strip() == f"Subscribed all to {url}"
    subscribed = cli("--sandbox", "--json", "webhooks", "list").json()
    assert {s["event"]: s["url"] for s in subscribed} == {
        "task_completed": url,
        "task_returned": url,
        "workflow_completed": url,
        "workflow_started": url,
    }
    result = cli("--sandbox", "--json", "webhooks", "unsubscribe", "workflow_started")
    assert result.json() == {"event": "workflow_started", "subscribed": False}
    after = {s["event"]: s["url"] for s in cli("--sandbox", "--json", "webhooks", "list").json()}
    assert after["workflow_started"] is None
    assert after["task_completed"] == url
    assert cli("--sandbox", "webhooks", "unsubscribe", "all").code == 0
    final = cli("--sandbox", "--json", "webhooks", "list").json()
    assert all(s["url"] is None for s in final)


def test_webhooks_subscribe_one_event(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "--json", "webhooks", "subscribe", "task_completed", "https://x.io/h")
    assert result.json() == {"event": "task_completed", "url": "https://x.io/h", "subscribed": True}
    listed = {s["event"]: s["url"] for s in cli("--sandbox", "--json", "webhooks", "list").json()}
    assert listed["task_completed"] == "https://x.io/h"
    assert listed["workflow_started"] is None


def test_webhooks_subscribe_bad_url_exits_2(cli: Run) -> None:
    result = cli("--sandbox", "webhooks", "subscribe", "task_completed", "notaurl")
    assert result.code == 2
    assert "notaurl" in result.error_line()
