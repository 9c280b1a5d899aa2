"""Every script in ``examples/`` runs as documented against the demo-seeded fake server.

Each script runs in a subprocess (``python examples/<name>.py ...``) with the environment naming
the served fake (``PNEUMATIC_*`` and ``FLOWDASH_*``), in a scratch directory holding
``clients.csv`` and ``contract.pdf``; its exit code, output and effect on the fake are checked.
The FastAPI example (``examples/fastapi_app.py``) is run by ``tests/fastapi``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from anyio.from_thread import BlockingPortal

from pneumatic_async.testing import FakePneumatic
from tests.docs.blocks import ROOT

EXAMPLES = ROOT / "examples"
#: Examples run by other tests.
RUN_ELSEWHERE = {"fastapi_app.py"}


def run_example(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        check=False,
    )


def test_every_example_is_tested_here_or_elsewhere() -> None:
    tested = {"bulk_launch_csv.py", "upload_into_kickoff.py", "flowdash_approval.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested | RUN_ELSEWHERE


def test_bulk_launch_from_csv_launches_each_row_once(
    served: tuple[BlockingPortal, FakePneumatic], tmp_path: Path
) -> None:
    _, fake = served
    before = len(fake.state.workflows)
    done = run_example("bulk_launch_csv.py", "clients.csv", "1", "--journal", "launch.sqlite")
    assert done.returncode == 0, done.stderr
    assert "2 of 2 launched" in done.stdout
    names = sorted(w.name for w in list(fake.state.workflows.values())[before:])
    assert len(names) == 2
    assert names[0].endswith("Onboarding ACME")  # after the launch token run_many adds
    assert names[1].endswith("Onboarding Initech")
    again = run_example("bulk_launch_csv.py", "clients.csv", "1", "--journal", "launch.sqlite")
    assert again.returncode == 0, again.stderr
    assert len(fake.state.workflows) == before + 2  # the journal: nothing launched twice
    (tmp_path / "bad.csv").write_text("client,plan\nACME,Platinum\n")
    bad = run_example("bulk_launch_csv.py", "bad.csv", "1")
    assert bad.returncode == 2
    assert '"Platinum" is not one of' in bad.stdout
    assert len(fake.state.workflows) == before + 2


def test_upload_into_kickoff_links_the_file(served: tuple[BlockingPortal, FakePneumatic]) -> None:
    _, fake = served
    done = run_example("upload_into_kickoff.py", "contract.pdf", "1", "--client", "Globex")
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines())
    url = lines["uploaded contract.pdf"]
    assert url.startswith(fake.base_url + "/files/")
    assert url in lines["contract"]  # the kickoff's file field links the upload
    workflow = max(fake.state.workflows.values(), key=lambda w: w.id)
    assert workflow.name == "Onboarding Globex"


def test_flowdash_approval_waits_for_success(served: tuple[BlockingPortal, FakePneumatic]) -> None:
    _, fake = served
    done = run_example("flowdash_approval.py", "abc123", "678", "--performed-by", "max@example.com")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("Approve: Success")
    [execution] = fake.flowdash.executions.values()
    assert execution.performed_by == "max@example.com"
    missing = run_example("flowdash_approval.py", "abc123", "678", "--action", "Escalate")
    assert missing.returncode == 2
    assert "offers: Approve, Reject" in missing.stdout
