"""A bulk run killed with SIGKILL mid-run (a child process, over a real socket), then resumed
from its journal: every item exists exactly once.

Launches are slowed by the fake so several are in flight at the kill: the server creates those
workflows *after* the client died, and only the journal's durable ``in_flight`` marks (written
before each send) make the resumed run look them up instead of sending them again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.bulk import run_many
from pneumatic_async.retries import RetryPolicy
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.server import serve
from tests.bulk.served import Watched
from tests.bulk.test_integration import TEMPLATE, tokens_in_names, workflows_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn (the socket server) is asyncio
async def test_kill_9_mid_run_then_resume_ends_with_exactly_n_workflows(
    anyio_backend: str, tmp_path: Path
) -> None:
    fake = FakePneumatic(seed=5)
    template = fake.add_template(TEMPLATE)
    watched = Watched(fake, launch_delay=0.15)
    journal = tmp_path / "crash.db"
    total = 120
    async with serve(watched) as url:
        env = {**os.environ, "PNEUMATIC_API_KEY": fake.api_key}
        child = subprocess.Popen(  # noqa: ASYNC220 - killed below; waited for without blocking
            [
                sys.executable,
                "-m",
                "tests.bulk._child_run",
                url,
                str(template.id),
                str(total),
                str(journal),
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            with anyio.fail_after(60):
                await watched.wait_launches(40)
        finally:
            child.send_signal(signal.SIGKILL)
            await anyio.to_thread.run_sync(child.wait)
        assert child.returncode == -signal.SIGKILL
        with anyio.fail_after(30):
            await watched.wait_idle()  # the launches the dead client left behind are applied
        created_before = len(workflows_of(fake, template.id))
        assert 0 < created_before < total

        async with Pneumatic(
            base_url=url,
            api_key=fake.api_key,
            retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05),
        ) as client:
            results = await run_many(
                client,
                template.id,
                [{"client": f"Client {i}"} for i in range(total)],
                concurrency=8,
                journal=journal,
            )

    names = tokens_in_names(fake, template.id)
    assert len(workflows_of(fake, template.id)) == total
    assert len(names) == total
    assert max(names.values()) == 1
    assert all(r.ok for r in results)
    statuses = Counter(r.status for r in results)
    # the ones in flight at the kill were found, not sent again
    assert statuses["reconciled"] >= 1
    assert statuses["resumed"] + statuses["reconciled"] == created_before
    assert statuses["launched"] == total - created_before


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # uvicorn (the socket server) is asyncio
async def test_a_launch_committed_seconds_after_the_connection_dropped_is_not_sent_twice(
    anyio_backend: str,
) -> None:
    fake = FakePneumatic(seed=6)
    template = fake.add_template(TEMPLATE)
    watched = Watched(fake)
    watched.late_commits, watched.commit_after = 1, 1.5
    async with anyio.create_task_group() as tg:
        watched.start(tg)
        async with (
            serve(watched) as url,
            Pneumatic(
                base_url=url,
                api_key=fake.api_key,
                retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05),
                timeout=3.0,  # lookup_delay defaults to the read timeout: 3 s > 1.5 s
            ) as client,
        ):
            [result] = await run_many(client, template.id, [{"client": "Late"}], concurrency=1)
    assert (result.status, result.lookups, result.resent) == ("reconciled", 2, 0)
    assert len(workflows_of(fake, template.id)) == 1
    assert watched.launches == 1
