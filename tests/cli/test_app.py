"""The command's frame: parsing, global options, configuration and the exit codes of errors."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from pneumatic_async.bulk.journal import JournalLockedError, JournalMismatchError
from pneumatic_async.bulk.sources import SourceFormatError
from pneumatic_async.cli.errors import CliError, ExitCode, InputError, exit_code_for, message_for
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    ConfigurationError,
    FieldProblem,
    InternalServerError,
    InvalidValuesError,
    NotFoundError,
)
from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run


def test_help_lists_every_command_and_exits_0(cli: Run) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in ("templates", "workflows", "tasks", "files", "webhooks", "run", "bulk-run"):
        assert command in result.out
    assert "demo" in result.out
    assert "exit codes: 0 ok, 1 API error" in result.out


def test_version(cli: Run) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"pneumatic-async {version('pneumatic-async')}"


def test_no_command_is_a_usage_error(cli: Run) -> None:
    result = cli()
    assert result.code == 2
    line = result.error_line()
    assert "COMMAND" in line
    assert "(see 'pneumatic --help')" in line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["templates", "show", "abc"], "argument TEMPLATE_ID: an id is a number, got 'abc'"),
        (["templates", "show", "0"], "an id is a positive number, got 0"),
        (["workflows", "list", "--status", "finished"], "invalid choice: 'finished'"),
        (["bulk-run", "1", "--from", "x.csv", "--concurrency", "0"], "must be at least 1, got 0"),
        (["templates", "list", "--bogus"], "unrecognized arguments: --bogus"),
        (["webhooks", "subscribe", "task_completed_v2", "https://x"], "invalid choice"),
        (["templates"], "required: ACTION"),
        (["demo", "--workflows", "100000"], "at most 20000"),
    ],
)
def test_bad_usage_exits_2_with_one_line(cli: Run, argv: list[str], expected: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert expected in result.error_line()
    assert result.out == ""


def test_usage_error_names_the_subcommand_help(cli: Run) -> None:
    line = cli("templates", "show", "abc").error_line()
    assert line.endswith("(see 'pneumatic templates show --help')")


def test_missing_key_exits_3_naming_the_variable(cli: Run) -> None:
    result = cli("templates", "list")
    assert result.code == 3
    line = result.error_line()
    assert "PNEUMATIC_API_KEY" in line
    assert "--api-key" in line
    assert "--sandbox" in line


def test_blank_key_in_the_environment_is_missing(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PNEUMATIC_API_KEY", "   ")
    result = cli("workflows", "list")
    assert result.code == 3
    assert "PNEUMATIC_API_KEY" in result.error_line()


def test_malformed_key_is_a_configuration_error(cli: Run) -> None:
    result = cli("--api-key", "pn-two words", "templates", "list")
    assert result.code == 3
    assert "whitespace" in result.error_line()
    assert "pn-two" not in result.err  # the key is never echoed


def test_malformed_base_url_is_a_configuration_error(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PNEUMATIC_API_KEY", "pn-abc")
    result = cli("--base-url", "ftp://example.com", "templates", "list")
    assert result.code == 3
    assert "base_url must be an absolute http(s) URL" in result.error_line()


def test_api_error_exits_1_with_the_servers_message(cli: Run) -> None:
    result = cli("--sandbox", "templates", "show", "999")
    assert result.code == 1
    line = result.error_line()
    assert "404 on GET /templates/999" in line
    assert result.out == ""


def test_global_options_work_after_the_command(cli: Run) -> None:
    before = cli("--sandbox", "--json", "templates", "list")
    after = cli("templates", "list", "--sandbox", "--json")
    assert before.code == after.code == 0
    assert before.json() == after.json()
    assert [t["name"] for t in after.json()] == ["Client onboarding"]


def test_unexpected_errors_are_one_line_and_debug_shows_the_traceback(
    cli: Run, monkeypatch: pytest.MonkeyPatch, sandbox: FakePneumatic
) -> None:
    from pneumatic_async.cli.commands import templates

    async def broken(ctx: object, args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(templates, "list_templates", broken)
    result = cli("--sandbox", "templates", "list")
    assert result.code == 1
    assert "pneumatic: error: unexpected error: RuntimeError: boom" in result.err
    assert "Traceback" not in result.err
    with pytest.raises(RuntimeError, match="boom"):
        cli("--sandbox", "--debug", "templates", "list")


def test_an_interrupt_exits_130(
    cli: Run, monkeypatch: pytest.MonkeyPatch, sandbox: FakePneumatic
) -> None:
    from pneumatic_async.cli.commands import workflows

    async def interrupted(ctx: object, args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(workflows, "list_workflows", interrupted)
    result = cli("--sandbox", "workflows", "list")
    assert result.code == 130
    assert result.error_line() == "pneumatic: error: interrupted"


# -- the mapping itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigurationError("no key"), ExitCode.CONFIG),
        (InvalidValuesError([FieldProblem(field="a", message="bad")]), ExitCode.USAGE),
        (SourceFormatError("x.csv row 2: 3 cells"), ExitCode.USAGE),
        (JournalMismatchError("other run"), ExitCode.USAGE),
        (JournalLockedError("in use"), ExitCode.FAILED),
        (FileNotFoundError(2, "No such file or directory", "items.csv"), ExitCode.USAGE),
        (InputError("bad"), ExitCode.USAGE),
        (CliError("no key", ExitCode.CONFIG), ExitCode.CONFIG),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
        (ValueError("webhook url must be an absolute http(s) URL"), ExitCode.USAGE),
        (
            NotFoundError("Not found.", status_code=404, method="GET", path="/templates/9"),
            ExitCode.FAILED,
        ),
        (
            AmbiguousOutcomeError(
                "outcome unknown",
                method="POST",
                path="/templates/1/run",
                attempts=1,
                cause=InternalServerError(
                    "Server Error (500)", status_code=500, method="POST", path="/templates/1/run"
                ),
            ),
            ExitCode.FAILED,
        ),
    ],
)
def test_exit_code_for(error: BaseException, code: ExitCode) -> None:
    assert exit_code_for(error) is code


def test_message_for_a_missing_file_names_it() -> None:
    error = FileNotFoundError(2, "No such file or directory", "items.csv")
    assert message_for(error) == "items.csv: No such file or directory"


def test_message_for_an_api_error_is_its_str() -> None:
    error = NotFoundError("Not found.", status_code=404, method="GET", path="/templates/9")
    assert message_for(error) == "404 on GET /templates/9: Not found."
