"""CLI consistency: bad input exits 2 everywhere, ``--json`` errors are JSON, the
``--failed-out`` default is what its help says, shell completion."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from pneumatic_async.cli.app import build_parser
from pneumatic_async.cli.commands.bulk import default_failed_path
from pneumatic_async.cli.completion import bash_script, command_words
from pneumatic_async.testing import FakePneumatic
from tests.cli.conftest import Run

BAD_INPUT = [
    ("webhooks", "subscribe", "task_completed", "not-a-url"),
    ("webhooks", "subscribe", "no_such_event", "https://example.com/h"),
    ("templates", "show", "abc"),
    ("templates", "show", "-3"),
    ("workflows", "list", "--status", "sleeping"),
    ("tasks", "complete", "x"),
    ("run", "1", "not-a-pair"),
    ("bulk-run", "1", "--from", "missing.csv"),
    ("flowdash", "execute", "a", "b", "c", "--timeout", "0"),
    ("no-such-command",),
    (),
]


@pytest.mark.parametrize("argv", BAD_INPUT, ids=lambda a: " ".join(a) or "(nothing)")
def test_bad_input_exits_2_with_one_line(
    cli: Run, sandbox: FakePneumatic, argv: tuple[str, ...]
) -> None:
    result = cli("--sandbox", *argv)
    assert result.code == 2, result.err
    assert result.error_line()


@pytest.mark.parametrize("argv", BAD_INPUT, ids=lambda a: " ".join(a) or "(nothing)")
def test_bad_input_with_json_is_a_json_error(
    cli: Run, sandbox: FakePneumatic, argv: tuple[str, ...]
) -> None:
    result = cli("--sandbox", "--json", *argv)
    assert result.code == 2
    assert result.out == ""
    [line] = result.err.splitlines()
    error = json.loads(line)["error"]
    assert error["exit_code"] == 2
    assert error["message"]
    assert error["type"]


def test_api_errors_with_json_are_json(cli: Run, sandbox: FakePneumatic) -> None:
    result = cli("--sandbox", "templates", "show", "999", "--json")
    assert result.code == 1
    error = json.loads(result.err)["error"]
    assert error == {
        "message": "404 on GET /templates/999: Not found.",
        "type": "NotFoundError",
        "exit_code": 1,
    }


def test_missing_key_with_json_is_json(cli: Run) -> None:
    result = cli("--json", "templates", "list")
    assert result.code == 3
    assert json.loads(result.err)["error"]["exit_code"] == 3


def test_failed_out_default_is_what_the_help_says(capsys: pytest.CaptureFixture[str]) -> None:
    bulk = build_parser()._subparsers._group_actions[0].choices["bulk-run"]  # type: ignore[union-attr]
    help_text = " ".join(bulk.format_help().split())
    assert "items.csv -> items.failed.jsonl" in help_text
    assert default_failed_path("items.csv") == "items.failed.jsonl"
    assert default_failed_path("data/run.jsonl") == "data/run.failed.jsonl"


def test_completion_lists_every_command_and_option() -> None:
    words = command_words(build_parser())
    commands, options = words[""]
    assert {"templates", "workflows", "flowdash", "bulk-run", "completion"} <= set(commands)
    assert {"--json", "--sandbox", "--api-key"} <= set(options)
    assert words["flowdash execute"][1] == sorted(words["flowdash execute"][1])
    assert "--wait" in words["flowdash execute"][1]
    script = bash_script(build_parser())
    assert "complete -o default -F _pneumatic pneumatic" in script


def _complete(line: list[str]) -> list[str]:
    script = bash_script(build_parser())
    words = " ".join(f"'{w}'" for w in line)
    program = (
        f"{script}\nCOMP_WORDS=({words}); COMP_CWORD={len(line) - 1}; _pneumatic; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, "--norc", "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout.split()


def test_bash_completes_commands_actions_and_options() -> None:
    assert _complete(["pneumatic", "temp"]) == ["templates"]
    assert _complete(["pneumatic", "--sandbox", "flowdash", ""]) == ["actions", "execute", "--help"]
    assert _complete(["pneumatic", "flowdash", "execute", "--w"]) == ["--wait"]


def test_completion_command_prints_the_script(cli: Run) -> None:
    result = cli("completion", "bash")
    assert result.code == 0
    assert result.out == bash_script(build_parser())
    assert cli("completion", "tcsh").code == 2
