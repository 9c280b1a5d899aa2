"""``mypy --strict`` on user scripts: correct use of the sync client passes, misuse is caught."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

GOOD = """
from pneumatic_async.bulk import LaunchResult, Progress
from pneumatic_async.models.users import User
from pneumatic_async.models.workflows import Workflow, WorkflowListItem
from pneumatic_async.sync import Pneumatic, SyncPaginator


def report(progress: Progress) -> None:
    print(progress.done, progress.total)


def main() -> None:
    with Pneumatic(timeout=10, backend="trio") as client:
        workflow: Workflow = client.templates.run(1, kickoff={"client": "ACME"})
        running: SyncPaginator[WorkflowListItem] = client.workflows.list(status="running")
        names: list[str] = [item.name for item in running]
        results: list[LaunchResult] = client.templates.run_many(1, [{}], on_progress=report)
        with client.templates.stream_run(1, [{"client": "x"}]) as stream:
            indexes: list[int] = [result.index for result in stream]
        me: User = client.users.me()
        cast: Workflow = client.request("GET", "/workflows/1", cast_to=Workflow)
        slow = client.with_options(timeout=120)
        slow.files.upload("report.pdf")
        print(workflow.id, names, results, indexes, me.email, cast.id)
"""

BAD = """
from pneumatic_async.sync import Pneumatic


async def main() -> None:
    client = Pneumatic(api_keyy="x")  # E1
    client.templates.run("1")  # E2
    client.workflows.list(status="bogus")  # E3
    number: int = client.templates.get(1)  # E4
    client.templates.runn(1)  # E5
    await client.users.me()  # E6
    for item in client.workflows.list():
        item.nonexistent  # E7
    client.with_options(timeoutt=1)  # E8
"""


def test_mypy_strict_passes_correct_use_and_catches_misuse(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    stdout, stderr, _ = api.run(
        [
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            str(tmp_path / "good.py"),
            str(tmp_path / "bad.py"),
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if "good.py" in e], stdout + stderr
    bad_lines = BAD.splitlines()
    flagged = {
        re.search(r"# (E\d)", bad_lines[int(line.split(":")[1]) - 1]).group(1)  # type: ignore[union-attr]
        for line in errors
        if "bad.py" in line
    }
    assert flagged == {f"E{n}" for n in range(1, 9)}, stdout
