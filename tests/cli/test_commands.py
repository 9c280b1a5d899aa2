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
