"""``pneumatic bulk-run``: validation before launching, launches, summary, failed-items file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from pneumatic_async.bulk import LaunchItem, LaunchResult, Progress
from pneumatic_async.cli.commands.bulk import default_failed_path, failed_record
from pneumatic_async.cli.progress import BulkProgress
from pneumatic_async.errors import BadRequestError, FieldProblem, InvalidValuesError
from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run

TOKEN = re.compile(r"\[[a-z]+\d+\] ")

GOOD_CSV = """client,amount,plan,start-date,_name
ACME,100,Growth,2027-01-05,
Globex,2500,Enterprise,,Globex renewal
Initech,7,Starter,2027-02-01,
"""

BAD_CSV = """client,amount,plan
ACME,100,Growth
Globex,abc,Gold
,5,Starter
Initech,7,Starter
"""


def launched_clients(fake: FakePneumatic) -> list[str]:
    """Kickoff ``client`` values of the workflows launched after the sandbox's three."""
    clients = []
    for workflow in fake.state.workflows.values():
        if workflow.id > 3 and not workflow.deleted:
            values = {f.api_name: f.value for f in workflow.kickoff_fields}
            clients.append(values["client"])
    return sorted(clients)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_launches_every_row_and_summarises(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", GOOD_CSV)
    result = cli("--sandbox", "bulk-run", "1", "--from", str(items), "--concurrency", "2")
    assert result.code == 0, result.err
    assert launched_clients(sandbox) == ["ACME", "Globex", "Initech"]
    assert "launched │     3" in result.out
    assert "3 item(s) in" in result.out
    assert "launches/s" in result.out
    assert not default_failed_path(str(items)).endswith(".csv")
    assert not Path(default_failed_path(str(items))).exists()  # nothing failed: no file
    names = sorted(w.name for w in sandbox.state.workflows.values() if w.id > 3)
    assert any(name.startswith("Globex renewal [") for name in names)  # _name + launch token


def test_json_summary_maps_rows_to_workflows(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", GOOD_CSV)
    result = cli("--sandbox", "--json", "bulk-run", "1", "--from", str(items))
    assert result.code == 0, result.err
    data = result.json()
    assert data["total"] == 3
    assert data["launched"] == 3
    assert data["failed"] == data["invalid"] == 0
    assert data["failed_out"] is None
    assert [r["row"] for r in data["results"]] == [2, 3, 4]
    for row in data["results"]:
        workflow = sandbox.workflow(row["workflow_id"])
        assert row["token"] in workflow.name
        assert row["status"] == "launched"


def test_bad_rows_are_reported_with_row_and_field_before_launching(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", BAD_CSV)
    result = cli("--sandbox", "bulk-run", "1", "--from", str(items))
    assert result.code == 2
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert lines == [
        f"pneumatic: error: {items} row 3, field 'amount': \"abc\" is not a number",
        f'pneumatic: error: {items} row 3, field \'plan\': "Gold" is not one of "Starter", '
        '"Growth", "Enterprise"',
        f"pneumatic: error: {items} row 4, field 'client': required field \"Client\" (string) "
        "is missing",
        f"pneumatic: error: 3 invalid value(s) in 2 item(s) of {items}; nothing was launched "
        "(fix them, or pass --skip-invalid to launch the valid rows)",
    ]
    assert launched_clients(sandbox) == []  # nothing launched


def test_skip_invalid_launches_the_rest_and_writes_the_failed_items(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", BAD_CSV)
    result = cli("--sandbox", "bulk-run", "1", "--from", str(items), "--skip-invalid")
    assert result.code == 1  # some items failed
    assert launched_clients(sandbox) == ["ACME", "Initech"]
    failed_path = tmp_path / "items.failed.jsonl"
    assert f"Failed items written to {failed_path}" in result.out
    assert "row 3: invalid: field 'amount': \"abc\" is not a number" in result.out
    records = [json.loads(line) for line in failed_path.read_text().splitlines()]
    assert [(r["row"], r["status"], r["error_type"]) for r in records] == [
        (3, "invalid", "InvalidValuesError"),
        (4, "invalid", "InvalidValuesError"),
    ]
    assert records[0]["item"] == {"client": "Globex", "amount": "abc", "plan": "Gold"}
    assert [p["field"] for p in records[0]["problems"]] == ["amount", "plan"]
    assert records[1]["problems"] == [
        {"field": "client", "message": 'required field "Client" (string) is missing'}
    ]


def test_unreadable_reserved_columns_block_the_run(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", "client,_is_urgent\nACME,yes\nGlobex,maybe\n")
    result = cli("--sandbox", "bulk-run", "1", "--from", str(items))
    assert result.code == 2
    assert (
        f"pneumatic: error: {items} row 3, field '_is_urgent': expected true or false, got 'maybe'"
    ) in result.err.splitlines()
    assert launched_clients(sandbox) == []


def test_unreadable_reserved_columns_with_skip_invalid(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", "client,_is_urgent\nACME,yes\nGlobex,maybe\nHooli,no\n")
    out = tmp_path / "failed.jsonl"
    result = cli(
        "--sandbox", "--json", "bulk-run", "1", "--from", str(items), "--skip-invalid",
        "--failed-out", str(out),
    )  # fmt: skip
    assert result.code == 1
    data = result.json()
    assert [(r["row"], r["status"]) for r in data["results"]] == [
        (2, "launched"),
        (3, "invalid"),
        (4, "launched"),
    ]
    assert launched_clients(sandbox) == ["ACME", "Hooli"]
    urgent = {
        TOKEN.sub("", w.name): w.is_urgent for w in sandbox.state.workflows.values() if w.id > 3
    }
    assert urgent == {"Onboarding ACME": True, "Onboarding Hooli": False}
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["row"] == 3
    assert record["item"] == {"client": "Globex"}
    assert "_is_urgent" in record["error"]


def test_jsonl_items(cli: Run, tmp_path: Path, sandbox: FakePneumatic) -> None:
    items = write(
        tmp_path,
        "items.jsonl",
        '{"client": "ACME", "amount": 5}\n\n{"client": "Globex", "plan": "Growth"}\n',
    )
    result = cli("--sandbox", "--json", "bulk-run", "1", "--from", str(items))
    assert result.code == 0, result.err
    assert [r["row"] for r in result.json()["results"]] == [1, 3]  # line numbers
    assert launched_clients(sandbox) == ["ACME", "Globex"]


def test_journal_resume_launches_nothing_twice(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    items = write(tmp_path, "items.csv", GOOD_CSV)
    journal = str(tmp_path / "run.db")
    first = cli("--sandbox", "--json", "bulk-run", "1", "--from", str(items), "--journal", journal)
    assert first.code == 0, first.err
    again = cli("--sandbox", "--json", "bulk-run", "1", "--from", str(items), "--journal", journal)
    assert again.code == 0, again.err
    assert again.json()["resumed"] == 3
    assert launched_clients(sandbox) == ["ACME", "Globex", "Initech"]  # still three


def test_journal_of_other_items_is_refused(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    journal = str(tmp_path / "run.db")
    items = write(tmp_path, "items.csv", GOOD_CSV)
    assert cli("--sandbox", "bulk-run", "1", "--from", str(items), "--journal", journal).code == 0
    other = write(tmp_path, "other.csv", "client\nUmbrella\n")
    result = cli("--sandbox", "bulk-run", "1", "--from", str(other), "--journal", journal)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert result.err.startswith("pneumatic: error: ")
    assert "Umbrella" not in launched_clients(sandbox)


def test_api_failures_are_written_and_exit_1(
    cli: Run, tmp_path: Path, sandbox: FakePneumatic
) -> None:
    sandbox.faults.add("status", route="POST /templates/{id}/run", status=400, rate=1.0)
    items = write(tmp_path, "items.csv", "client\nACME\n")
    result = cli("--sandbox", "bulk-run", "1", "--from", str(items))
    assert result.code == 1
    assert "row 2: failed: 400 on POST /templates/1/run" in result.out
    [record] = [
        json.loads(line) for line in (tmp_path / "items.failed.jsonl").read_text().splitlines()
    ]
    assert record["status"] == "failed"
    assert record["error_type"] == "BadRequestError"
    assert record["attempts"] == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--from", "missing.csv"], "missing.csv: no such file"),
        (["--from", "ITEMS", "--token-field", "amount"], "token_field 'amount' is a 'number'"),
        (["--from", "ITEMS", "--rate-limit", "0"], "--rate-limit must be a positive number"),
    ],
)
def test_bad_options_exit_2(cli: Run, tmp_path: Path, argv: list[str], expected: str) -> None:
    items = write(tmp_path, "items.csv", GOOD_CSV)
    argv = [str(items) if a == "ITEMS" else a for a in argv]
    result = cli("--sandbox", "bulk-run", "1", *argv)
    assert result.code == 2
    assert expected in result.error_line()


def test_bad_file_formats_exit_2(cli: Run, tmp_path: Path) -> None:
    empty = write(tmp_path, "items.csv", "")
    assert "empty file" in cli("--sandbox", "bulk-run", "1", "--from", str(empty)).error_line()
    header_only = write(tmp_path, "head.csv", "client\n")
    assert "no items" in cli("--sandbox", "bulk-run", "1", "--from", str(header_only)).error_line()
    xlsx = write(tmp_path, "items.xlsx", "x")
    result = cli("--sandbox", "bulk-run", "1", "--from", str(xlsx))
    assert result.code == 2
    assert "unknown item file type '.xlsx'" in result.error_line()


def test_token_field_carries_the_token(cli: Run, tmp_path: Path, sandbox: FakePneumatic) -> None:
    items = write(tmp_path, "items.csv", "client\nACME\n")
    result = cli(
        "--sandbox", "--json", "bulk-run", "1", "--from", str(items), "--token-field", "reference"
    )
    assert result.code == 0, result.err
    [row] = result.json()["results"]
    workflow = sandbox.workflow(row["workflow_id"])
    values = {f.api_name: f.value for f in workflow.kickoff_fields}
    assert values["reference"] == row["token"]
    assert workflow.name == "Onboarding ACME"  # the name is left alone


# -- pieces ------------------------------------------------------------------------------------


def test_default_failed_path() -> None:
    assert default_failed_path("data/items.csv") == "data/items.failed.jsonl"
    assert default_failed_path("items.jsonl") == "items.failed.jsonl"


def test_failed_record_of_an_api_error() -> None:
    error = BadRequestError(
        "Due date should be greater than current.",
        status_code=400,
        method="POST",
        path="/templates/1/run",
        details={"name": "due_date"},
    )
    result = LaunchResult(
        index=4,
        item=LaunchItem({"client": "ACME"}, name="Deal", is_urgent=True, due_date=1.0),
        status="failed",
        token="bcdfghjk4",
        error=error,
        attempts=1,
    )
    record = failed_record(result, 6)
    assert record == {
        "row": 6,
        "index": 4,
        "status": "failed",
        "error": "400 on POST /templates/1/run [due_date]: Due date should be greater than "
        "current.",
        "error_type": "BadRequestError",
        "token": "bcdfghjk4",
        "attempts": 1,
        "item": {"client": "ACME", "_name": "Deal", "_is_urgent": True, "_due_date": 1.0},
    }


def test_failed_record_of_invalid_values_lists_the_problems() -> None:
    error = InvalidValuesError([FieldProblem(field="amount", message="not a number", item=0)])
    result = LaunchResult(
        index=0, item=LaunchItem({"amount": "x"}), status="invalid", token="t", error=error
    )
    record = failed_record(result, 2)
    assert record["error"] == "field 'amount': not a number"
    assert record["problems"] == [{"field": "amount", "message": "not a number"}]


def test_progress_bar_shows_done_failed_and_rate() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=160, color_system=None)
    bar = BulkProgress(10, console=console, enabled=True)
    with bar:
        bar.update(
            Progress(total=10, done=6, failed=1, in_flight=3, rate_per_s=35.0, elapsed_s=0.2)
        )
    text = stream.getvalue()
    assert "7/10" in text
    assert "1 failed" in text
    assert "3 in flight" in text
    assert "35/s" in text
    assert "ETA" in text
    assert bar.last is not None
    assert bar.last.done == 6


def test_progress_disabled_draws_nothing_but_keeps_the_last_snapshot() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True)
    bar = BulkProgress(2, console=console, enabled=False)
    snapshot = Progress(total=2, done=2, failed=0, in_flight=0, rate_per_s=1.0, elapsed_s=2.0)
    with bar:
        bar.update(snapshot)
    assert stream.getvalue() == ""
    assert bar.last == snapshot
    assert not bar.enabled
