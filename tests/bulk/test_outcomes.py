"""What results say: explicit counts, the failure's class, untrusted answers, the lookup race
and outage mode, against the scripted client (both event loops)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, cast

import anyio
import pytest

from pneumatic_async.bulk import BatchSummary, LaunchItem, Progress, run_many
from pneumatic_async.bulk import outage as outage_module
from pneumatic_async.bulk.launcher import UntrustedAnswerError
from pneumatic_async.bulk.outage import ServerUnreachableError
from pneumatic_async.bulk.results import NotLaunchedError, UnresolvedLaunchError
from pneumatic_async.errors import APIConnectionError, PneumaticError
from tests.bulk.fakes import FakeClient, Outcome
from tests.bulk.test_runner import tokens_of


def items(n: int) -> list[LaunchItem]:
    return [LaunchItem({"client": f"Client {i}"}, name=f"Launch {i}") for i in range(n)]


async def launch(client: FakeClient, n: int, **options: Any) -> list[Any]:
    options.setdefault("validate", False)
    return await run_many(cast("Any", client), 7, items(n), **options)


# -- (2) results that say what happened -----------------------------------------------------------


async def test_summary_and_results_count_launched_reconciled_resent_failed() -> None:
    client = FakeClient()

    def script(item: int, attempt: int) -> Outcome:
        if item == 1:
            return True, "ambiguous"  # created, answered 500: found by lookup
        if item == 2 and attempt == 1:
            return False, "drop"  # not created: looked up twice, sent again
        if item == 3:
            return False, "reject"  # 400: failed
        return True, "ok"

    client.server.script = script
    progress: list[Progress] = []
    results = await launch(client, 5, on_progress=progress.append)
    summary = BatchSummary.of(results)
    assert (summary.launched, summary.reconciled, summary.resent, summary.failed) == (3, 1, 1, 1)
    assert str(summary).startswith("5 items: 3 launched, 1 reconciled (found by lookup), 1 re-sent")
    assert (results[2].status, results[2].attempts, results[2].resent) == ("launched", 2, 1)
    assert (results[0].resent, results[4].resent) == (0, 0)
    assert (progress[-1].reconciled, progress[-1].resent) == (1, 1)
    assert len(client.server.workflows) == 4
    assert tokens_of(client.server) == Counter({r.token: 1 for r in results if r.ok})


async def test_a_refused_connection_is_reported_as_not_sent() -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (False, "not_sent")
    [result] = await launch(client, 1, outage_timeout=0)
    assert result.status == "failed"
    assert client.server.lookups == []  # nothing was sent: nothing to look up
    assert "may have been applied" not in str(result.error)
    assert isinstance(result.error, (APIConnectionError, NotLaunchedError))
    if isinstance(result.error, APIConnectionError):
        assert result.error.may_have_been_sent is False
    else:
        assert "not sent" in str(result.error)


async def test_unresolved_messages_name_both_failure_classes() -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (True, "drop")
    client.server.lookup_error = PneumaticError("search is down")
    [result] = await launch(client, 1)
    assert isinstance(result.error, UnresolvedLaunchError)
    message = str(result.error)
    assert "AmbiguousOutcomeError" in message
    assert "PneumaticError: search is down" in message


# -- (3) trust no answer blindly ------------------------------------------------------------------


@pytest.mark.parametrize("applied", [True, False])
async def test_an_answer_without_the_token_is_settled_by_lookup(applied: bool) -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (
        (applied, "untrusted") if attempt == 1 else (True, "ok")
    )
    [result] = await launch(client, 1)
    assert len(client.server.workflows) == 1
    assert client.server.lookups  # the 200 was not taken at its word
    if applied:
        assert (result.status, result.attempts, result.resent) == ("reconciled", 1, 0)
    else:
        assert (result.status, result.attempts, result.resent) == ("launched", 2, 1)
    assert result.workflow_id == client.server.workflows[0].id


async def test_token_field_answers_are_checked_in_the_kickoff() -> None:
    client = FakeClient(token_field="ref")
    client.server.script = lambda item, attempt: (True, "ok")
    results = await launch(client, 3, token_field="ref")
    assert {r.status for r in results} == {"launched"}
    assert client.server.lookups == []


def test_untrusted_answer_error_is_a_pneumatic_error() -> None:
    assert issubclass(UntrustedAnswerError, PneumaticError)


# -- (4) the lookup race --------------------------------------------------------------------------


async def test_a_launch_committed_after_the_first_lookup_is_found_by_the_second() -> None:
    client = FakeClient()
    client.server.commit_delay = 0.2  # the server commits 0.2 s after dropping the connection
    client.server.script = lambda item, attempt: (
        (False, "drop_commit_later") if attempt == 1 else (True, "ok")
    )
    [result] = await launch(client, 1, lookup_delay=0.5)
    assert (result.status, result.lookups, result.resent) == ("reconciled", 2, 0)
    assert len(client.server.launches) == 1
    assert len(client.server.workflows) == 1


async def test_without_the_wait_the_race_makes_a_duplicate() -> None:
    """The documented residual risk: a commit later than ``lookup_delay`` is sent again."""
    client = FakeClient()
    client.server.commit_delay = 0.3
    client.server.script = lambda item, attempt: (
        (False, "drop_commit_later") if attempt == 1 else (True, "ok")
    )
    [result] = await launch(client, 1, lookup_delay=0)
    assert (result.status, result.resent) == ("launched", 1)
    await anyio.sleep(0.35)
    client.server.commit_due()
    assert len(client.server.workflows) == 2


# -- (1) outage mode ------------------------------------------------------------------------------


@pytest.fixture
def fast_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outage_module, "PROBE_INITIAL", 0.01)
    monkeypatch.setattr(outage_module, "PROBE_MAX", 0.05)


async def test_an_outage_pauses_the_batch_and_every_item_launches_once(
    fast_probes: None, tmp_path: Path
) -> None:
    client = FakeClient()
    client.server.latency = 0.002
    progress: list[Progress] = []

    went_down = anyio.Event()

    def script(item: int, attempt: int) -> Outcome:
        if item == 10 and attempt == 1:
            client.server.down = True  # the server goes away (the launch was applied)
            went_down.set()
            return True, "drop"
        return True, "ok"

    client.server.script = script

    async def come_back() -> None:
        await went_down.wait()
        await anyio.sleep(0.4)  # the outage lasts this long
        client.server.down = False

    async with anyio.create_task_group() as tg:
        tg.start_soon(come_back)
        results = await launch(
            client,
            40,
            concurrency=4,
            outage_timeout=30,
            on_progress=progress.append,
            journal=tmp_path / "j.db",
        )
    assert all(r.ok for r in results), Counter(str(r.error) for r in results if not r.ok)
    assert len(client.server.workflows) == 40
    assert tokens_of(client.server) == Counter({r.token: 1 for r in results})
    assert results[10].status == "reconciled"  # settled by lookup after recovery, not re-sent
    assert client.server.probes >= 1
    assert any(p.status.startswith("server unreachable, waiting (") for p in progress)


async def test_past_outage_timeout_items_fail_with_the_truth(fast_probes: None) -> None:
    client = FakeClient()

    def script(item: int, attempt: int) -> Outcome:
        if item == 2:
            client.server.down = True
            return True, "drop"  # may have been applied: must not be called "not sent"
        return True, "ok"

    client.server.script = script
    results = await launch(client, 8, concurrency=1, outage_timeout=0.3)
    assert [r.status for r in results[:2]] == ["launched", "launched"]
    assert isinstance(results[2].error, UnresolvedLaunchError)
    assert isinstance(results[2].error.lookup_error, ServerUnreachableError)
    for result in results[3:]:
        assert isinstance(result.error, NotLaunchedError)
        assert str(result.error).startswith("not sent: server unreachable")
    assert len(client.server.workflows) == 3
