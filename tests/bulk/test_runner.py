"""The bulk engine against a scripted client: exactly-once decisions, isolation, order, progress,
cancellation and resuming. (Integration against the fake server: ``test_integration.py``.)"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anyio
import pytest

from pneumatic_async.bulk import (
    JournalLockedError,
    JournalMismatchError,
    LaunchItem,
    LaunchResult,
    Progress,
    UnresolvedLaunchError,
    run_many,
    stream_run,
)
from pneumatic_async.bulk import launcher as launcher_module
from pneumatic_async.bulk import runner as runner_module
from pneumatic_async.bulk.journal import Binding, ItemState
from pneumatic_async.bulk.results import NotLaunchedError
from pneumatic_async.bulk.sqlite_journal import Journal
from pneumatic_async.bulk.tokens import NAME_LIMIT
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    BadRequestError,
    ConfigurationError,
    InvalidValuesError,
    PneumaticError,
    RateLimitError,
)
from pneumatic_async.retries import RetryPolicy
from tests.bulk.fakes import FakeClient, FakeServer, Outcome

if TYPE_CHECKING:
    from pneumatic_async import Pneumatic

TOKEN = re.compile(r"^[bcdfghjkmnpqrstvwxz]{8}\d+$")


async def launch(
    client: FakeClient, batch: Iterable[Any], *, template_id: int = 7, **options: Any
) -> list[LaunchResult]:
    """``run_many`` with the scripted client (no kickoff validation: no specs in the fake)."""
    options.setdefault("validate", False)
    return await run_many(cast("Pneumatic", client), template_id, batch, **options)


def launch_stream(
    client: FakeClient, batch: Iterable[Any], **options: Any
) -> AsyncGenerator[LaunchResult, None]:
    options.setdefault("validate", False)
    return stream_run(cast("Pneumatic", client), 7, batch, **options)


def items(n: int) -> list[LaunchItem]:
    return [LaunchItem({"client": f"Client {i}"}, name=f"Launch {i}") for i in range(n)]


def tokens_of(server: FakeServer) -> Counter[str]:
    found: Counter[str] = Counter()
    for workflow in server.workflows:
        found.update(re.findall(r"\[([a-z]+\d+)\]", workflow.name))
    return found


async def test_results_in_input_order_with_tokens_in_names() -> None:
    client = FakeClient()
    results = await launch(client, items(40), concurrency=6, keep_workflows=True)
    assert [r.index for r in results] == list(range(40))
    assert all(r.status == "launched" and r.attempts == 1 for r in results)
    assert len(client.server.workflows) == 40
    assert len({r.token for r in results}) == 40
    for result in results:
        assert TOKEN.match(result.token)
        assert result.workflow is not None
        assert result.workflow_id == result.workflow.id
        assert result.workflow.name == f"Launch {result.index} [{result.token}]"
        assert result.item.kickoff == {"client": f"Client {result.index}"}
    # one run id for the whole batch, the index as the numeric tail
    assert len({r.token.rstrip("0123456789") for r in results}) == 1
    assert [int(r.token[8:]) for r in results] == list(range(40))


async def test_plain_mappings_are_kickoff_values_and_get_the_default_name() -> None:
    server = FakeServer(wf_name_template="{{client}} onboarding")
    client = FakeClient(server)
    results = await launch(client, [{"client": "A"}, {"client": "B"}])
    assert [r.status for r in results] == ["launched", "launched"]
    assert server.template_gets == 1
    body = server.launches[0]
    assert body["kickoff"] == {"client": "A"}
    # a name with variables gets the token in front, where the server's truncation can't reach
    assert body["name"] == f"[{results[0].token}] {{{{client}}}} onboarding"


async def test_default_name_for_a_starter_comes_from_the_template_list() -> None:
    server = FakeServer(wf_name_template="{{client}} run")
    server.detail_forbidden = True  # only admin template owners may read the detail
    client = FakeClient(server)
    [result] = await launch(client, [{"client": "A"}])
    assert client.server.launches[0]["name"] == f"[{result.token}] {{{{client}}}} run"


async def test_default_name_without_a_name_template_is_the_servers_default() -> None:
    client = FakeClient(FakeServer(wf_name_template=None))
    [result] = await launch(client, [{"client": "A"}])
    assert (
        client.server.launches[0]["name"]
        == f"[{result.token}] {{{{date}}}} — {{{{template-name}}}}"
    )


async def test_token_survives_a_long_name() -> None:
    client = FakeClient()
    long_name = "Quarterly review for " + "x" * 200
    [result] = await launch(client, [LaunchItem({}, name=long_name)])
    name = client.server.launches[0]["name"]
    assert len(name) == NAME_LIMIT
    assert name.endswith(f"… [{result.token}]")
    assert name.startswith("Quarterly review for xxx")


async def test_ambiguous_answer_after_creation_is_reconciled_not_resent() -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (True, "ambiguous") if item == 3 else (True, "ok")
    results = await launch(client, items(6), concurrency=3, keep_workflows=True)
    assert [r.status for r in results] == ["launched"] * 3 + ["reconciled"] + ["launched"] * 2
    assert len(client.server.workflows) == 6
    assert len(client.server.launches) == 6  # item 3 was not sent twice
    assert client.server.lookups == [results[3].token]
    reconciled = results[3]
    assert reconciled.workflow_id is not None
    assert reconciled.workflow is not None
    assert reconciled.token in reconciled.workflow.name
    assert reconciled.error is None
    assert reconciled.attempts == 1


@pytest.mark.parametrize("answer", ["ambiguous", "drop", "undecodable", "not_sent"])
async def test_unknown_outcome_not_applied_is_sent_again_after_a_lookup(answer: str) -> None:
    client = FakeClient()

    def script(item: int, attempt: int) -> Outcome:
        if item == 1 and attempt == 1:
            return False, answer
        return True, "ok"

    client.server.script = script
    results = await launch(client, items(3))
    assert [r.status for r in results] == ["launched"] * 3
    assert tokens_of(client.server) == Counter({r.token: 1 for r in results})
    assert len(client.server.launches) == 4
    if answer == "not_sent":  # the request never left: nothing to look up, no attempt spent
        assert (results[1].attempts, results[1].lookups, results[1].resent) == (1, 0, 0)
        assert client.server.lookups == []
    else:  # looked up twice, then sent again: counted as a re-send, not a clean launch
        assert (results[1].attempts, results[1].lookups, results[1].resent) == (2, 2, 1)
        assert client.server.lookups == [results[1].token] * 2
    assert all((r.lookups, r.resent) == (0, 0) for r in (results[0], results[2]))


@pytest.mark.parametrize("answer", ["drop", "undecodable"])
async def test_applied_then_unreadable_is_reconciled(answer: str) -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (True, answer if attempt == 1 else "ok")
    results = await launch(client, items(4))
    assert {r.status for r in results} == {"reconciled"}
    assert len(client.server.workflows) == 4
    assert len(client.server.launches) == 4


async def test_a_rejected_item_fails_alone() -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (False, "reject") if item == 2 else (True, "ok")
    results = await launch(client, items(5))
    assert [r.status for r in results] == ["launched", "launched", "failed", "launched", "launched"]
    failed = results[2]
    assert isinstance(failed.error, BadRequestError)
    assert failed.workflow is None
    assert failed.workflow_id is None
    assert failed.attempts == 1
    assert client.server.lookups == []  # a 400 is a clear "not created"
    assert len(client.server.workflows) == 4


async def test_rate_limit_outlasting_client_retries_is_sent_again_without_lookup() -> None:
    client = FakeClient()
    client.server.script = lambda item, attempt: (
        (False, "rate_limited") if attempt == 1 else (True, "ok")
    )
    results = await launch(client, items(3))
    assert [r.attempts for r in results] == [2, 2, 2]
    assert client.server.lookups == []
    assert len(client.server.workflows) == 3


async def test_attempts_are_bounded_by_the_clients_retry_policy() -> None:
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)
    client = FakeClient(retry_policy=policy)
    client.server.script = lambda item, attempt: (False, "ambiguous")
    [result] = await launch(client, items(1))
    assert result.status == "failed"
    assert isinstance(result.error, NotLaunchedError)
    assert isinstance(result.error.last_error, AmbiguousOutcomeError)
    assert "AmbiguousOutcomeError" in str(result.error)  # the failure's class is named
    assert (result.attempts, result.lookups, result.resent) == (3, 6, 2)
    assert len(client.server.launches) == 3
    assert len(client.server.lookups) == 6  # two lookups before every re-send and at the end
    assert client.server.workflows == []

    client = FakeClient(retry_policy=policy)
    client.server.script = lambda item, attempt: (False, "rate_limited")
    [result] = await launch(client, items(1))
    assert isinstance(result.error, RateLimitError)
    assert result.attempts == 3
    assert client.server.lookups == []  # a 429 is not applied: nothing to look up


async def test_failed_lookup_leaves_the_item_unresolved_and_a_resume_settles_it(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "run.db"
    client = FakeClient()
    client.server.script = lambda item, attempt: (True, "ambiguous") if item == 1 else (True, "ok")
    client.server.lookup_error = PneumaticError("search is down")
    results = await launch(client, items(3), journal=journal)
    assert [r.status for r in results] == ["launched", "failed", "launched"]
    error = results[1].error
    assert isinstance(error, UnresolvedLaunchError)
    assert isinstance(error.launch_error, AmbiguousOutcomeError)
    assert str(error.lookup_error) == "search is down"
    assert results[1].token in str(error)

    # the journal still has it in flight; resuming looks it up and finds it: not sent again
    client.server.lookup_error = None
    client.server.script = lambda item, attempt: (True, "ok")
    again = await launch(client, items(3), journal=journal)
    assert [r.status for r in again] == ["resumed", "reconciled", "resumed"]
    assert again[0].workflow_id == results[0].workflow_id
    assert len(client.server.workflows) == 3
    assert len(client.server.launches) == 3


async def test_unexpected_exception_is_that_items_failure() -> None:
    client = FakeClient()

    def script(item: int, attempt: int) -> Outcome:
        if item == 0:
            raise KeyError("boom")
        return True, "ok"

    client.server.script = script
    results = await launch(client, items(3))
    assert [r.status for r in results] == ["failed", "launched", "launched"]
    assert isinstance(results[0].error, PneumaticError)
    assert "KeyError" in str(results[0].error)
    assert isinstance(results[0].error.__cause__, KeyError)


async def test_invalid_items_raise_one_error_before_anything_is_sent() -> None:
    client = FakeClient()
    batch = items(5)
    batch[1] = LaunchItem({"client": "x"}, name="   ")
    batch[3] = LaunchItem({"client": "y"}, due_date=1.0, is_urgent="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidValuesError) as caught:
        await launch(client, batch)
    problems = {(p.item, p.field) for p in caught.value.problems}
    assert problems == {(1, "name"), (3, "due_date"), (3, "is_urgent")}
    assert client.server.launches == []


async def test_skip_invalid_launches_the_others() -> None:
    client = FakeClient()
    batch = items(4)
    batch[2] = LaunchItem({"client": "x"}, name="")
    results = await launch(client, batch, skip_invalid=True)
    assert [r.status for r in results] == ["launched", "launched", "invalid", "launched"]
    invalid = results[2]
    assert isinstance(invalid.error, InvalidValuesError)
    assert [(p.item, p.field) for p in invalid.error.problems] == [(2, "name")]
    assert invalid.attempts == 0
    assert not invalid.ok
    assert len(client.server.launches) == 3


async def test_token_field_carries_the_token_and_lookups_check_it() -> None:
    client = FakeClient(token_field="ref")
    client.server.script = lambda item, attempt: (
        True,
        "drop" if attempt == 1 and item == 0 else "ok",
    )
    batch = [LaunchItem({"client": "A"}), LaunchItem({"client": "B"}, name="Named")]
    results = await launch(client, batch, token_field="ref")
    assert [r.status for r in results] == ["reconciled", "launched"]
    first, second = client.server.launches
    assert first["kickoff"] == {"client": "A", "ref": results[0].token}
    assert isinstance(first["name"], type(second["is_urgent"]))  # NOT_GIVEN: the server names it
    assert second["name"] == "Named"  # the name is left alone
    assert client.server.template_gets == 0


async def test_token_field_may_not_be_given_by_the_item() -> None:
    client = FakeClient(token_field="ref")
    with pytest.raises(InvalidValuesError) as caught:
        await launch(client, [{"ref": "mine"}], token_field="ref")
    assert [(p.item, p.field) for p in caught.value.problems] == [(0, "ref")]


async def test_progress_is_reported_with_a_final_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "PROGRESS_INTERVAL", 0.005)
    client = FakeClient()
    client.server.latency = 0.002
    client.server.script = lambda item, attempt: (
        (False, "reject") if item % 10 == 0 else (True, "ok")
    )
    seen: list[Progress] = []
    await launch(client, items(100), concurrency=5, on_progress=seen.append)
    assert len(seen) >= 3  # periodic reports (the run takes ~40 ms) and the final one
    final = seen[-1]
    assert (final.total, final.done, final.failed, final.in_flight) == (100, 90, 10, 0)
    assert final.finished
    assert final.pending == 0
    assert final.rate_per_s > 0
    assert all(p.in_flight <= 5 for p in seen)
    assert [p.elapsed_s for p in seen] == sorted(p.elapsed_s for p in seen)


async def test_concurrency_bounds_launches_in_flight() -> None:
    client = FakeClient()
    in_flight = 0
    peak = 0
    original = client.templates.run

    async def run(*args: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await anyio.sleep(0.001)
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    client.templates.run = run  # type: ignore[method-assign]
    await launch(client, items(60), concurrency=4)
    assert peak == 4


async def test_rate_limit_paces_launches(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float | None] = []

    class RecordingPacer:
        def __init__(self, *, rate_limit: float | None) -> None:
            waits.append(rate_limit)

        async def wait(self) -> None:
            waits.append(None)

    monkeypatch.setattr(launcher_module, "Pacer", RecordingPacer)
    await launch(FakeClient(), items(5), rate_limit=12.5)
    assert waits[0] == 12.5
    assert len(waits) == 1 + 5  # one wait per launch


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"rate_limit": 0}, {"rate_limit": -1.0}, {"token_field": ""}],
)
async def test_bad_options_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    client = FakeClient()
    with pytest.raises(ConfigurationError):
        await launch(client, items(1), **kwargs)
    assert client.server.launches == []


async def test_non_items_are_type_errors() -> None:
    with pytest.raises(TypeError, match="item 1"):
        await launch(FakeClient(), [{"a": 1}, 5])


# -- streaming ----------------------------------------------------------------------------------


async def test_stream_run_yields_every_result_as_completed() -> None:
    client = FakeClient()
    batch = items(20)
    batch[4] = LaunchItem({}, name="")
    seen: list[LaunchResult] = []
    async with aclosing(launch_stream(client, batch, skip_invalid=True)) as stream:
        async for result in stream:
            seen.append(result)
    # known without sending: reported when its turn comes, before any later item
    assert [(r.index, r.status) for r in seen if not r.ok] == [(4, "invalid")]
    assert sorted(r.index for r in seen) == list(range(20))
    assert len(client.server.workflows) == 19


async def test_stream_run_stops_cleanly_when_the_consumer_stops_early(tmp_path: Path) -> None:
    journal = tmp_path / "early.db"
    client = FakeClient()
    client.server.latency = 0.001
    got = 0
    async with aclosing(
        launch_stream(client, items(200), concurrency=4, journal=journal)
    ) as stream:
        async for _result in stream:
            got += 1
            if got == 5:
                break
    launched_at_close = len(client.server.launches)
    await anyio.sleep(0.02)
    assert len(client.server.launches) == launched_at_close  # nothing runs on in the background
    assert launched_at_close < 200
    # the journal was closed (unlocked) and can be resumed to completion
    results = await launch(client, items(200), concurrency=8, journal=journal)
    assert all(r.ok for r in results)
    assert tokens_of(client.server) == Counter({r.token: 1 for r in results})


async def test_stream_run_raises_validation_errors_on_first_iteration() -> None:
    results = launch_stream(FakeClient(), [LaunchItem({}, name="")])
    async with aclosing(results):
        with pytest.raises(InvalidValuesError):
            await results.__anext__()


# -- cancellation and resuming -------------------------------------------------------------------


async def test_cancellation_propagates_and_stops_every_launch() -> None:
    client = FakeClient()
    client.server.latency = 0.001
    with anyio.CancelScope() as scope:

        def script(item: int, attempt: int) -> Outcome:
            if len(client.server.workflows) >= 20:
                scope.cancel()
            return True, "ok"

        client.server.script = script
        await launch(client, items(500), concurrency=10)
        pytest.fail("the run returned although its caller was cancelled")
    assert scope.cancelled_caught
    sent = len(client.server.launches)
    await anyio.sleep(0.02)
    assert len(client.server.launches) == sent  # no orphan task goes on launching
    assert sent < 40


async def test_cancelled_run_resumes_to_exactly_the_requested_workflows(tmp_path: Path) -> None:
    journal = tmp_path / "resume.db"
    client = FakeClient()
    client.server.latency = 0.001
    # some answers are ambiguous, so in-flight items exist at the moment of cancellation
    client.server.script = lambda item, attempt: (
        (True, "drop") if item % 7 == 0 and attempt == 1 else (True, "ok")
    )
    received = 0
    with anyio.CancelScope() as scope:
        async with aclosing(
            launch_stream(client, items(150), concurrency=12, journal=journal)
        ) as stream:
            async for _ in stream:
                received += 1
                if received == 60:
                    scope.cancel()
    assert scope.cancelled_caught
    first_run = len(client.server.workflows)
    assert 60 <= first_run < 150

    opened = Journal.open(journal, _binding(journal), create=False)
    states = Counter(entry.state for entry in opened.entries())
    opened.close()
    assert states[ItemState.LAUNCHED] >= 60
    assert states[ItemState.PENDING] > 0

    results = await launch(client, items(150), concurrency=12, journal=journal)
    assert len(client.server.workflows) == 150
    assert tokens_of(client.server) == Counter({r.token: 1 for r in results})
    statuses = Counter(r.status for r in results)
    assert statuses["resumed"] == states[ItemState.LAUNCHED]
    assert statuses["resumed"] + statuses["launched"] + statuses["reconciled"] == 150


def _binding(journal: Path) -> Binding:
    import sqlite3

    with sqlite3.connect(journal) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    return Binding(
        template_id=int(meta["template_id"]),
        item_count=int(meta["item_count"]),
        items_hash=meta["items_hash"],
        token_field=meta["token_field"] or None,
    )


async def test_completed_journal_resumes_without_sending(tmp_path: Path) -> None:
    journal = tmp_path / "done.db"
    client = FakeClient()
    first = await launch(client, items(10), journal=journal)
    again = await launch(client, items(10), journal=journal)
    assert {r.status for r in again} == {"resumed"}
    assert [r.workflow_id for r in again] == [r.workflow_id for r in first]
    assert [r.token for r in again] == [r.token for r in first]  # tokens come from the journal
    assert len(client.server.launches) == 10


async def test_journal_refuses_other_items_or_template(tmp_path: Path) -> None:
    journal = tmp_path / "bound.db"
    client = FakeClient()
    await launch(client, items(3), journal=journal)
    with pytest.raises(JournalMismatchError, match="item_count"):
        await launch(client, items(4), journal=journal)
    changed = items(3)
    changed[1] = LaunchItem({"client": "other"}, name="Launch 1")
    with pytest.raises(JournalMismatchError, match="items_hash"):
        await launch(client, changed, journal=journal)
    other = FakeClient(FakeServer(template_id=8))
    with pytest.raises(JournalMismatchError, match="template_id"):
        await launch(other, items(3), journal=journal, template_id=8)
    assert len(client.server.launches) == 3
    assert other.server.launches == []


async def test_journal_in_use_is_refused(tmp_path: Path) -> None:
    journal = tmp_path / "busy.db"
    client = FakeClient()
    sending, release = anyio.Event(), anyio.Event()
    client.server.gate = (sending, release)  # the first run holds its journal until released
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: launch(client, items(30), concurrency=2, journal=journal))
        await sending.wait()
        with pytest.raises(JournalLockedError):
            await launch(FakeClient(), items(30), journal=journal)
        release.set()
    assert len(client.server.workflows) == 30


async def test_journal_is_not_created_when_validation_fails(tmp_path: Path) -> None:
    journal = tmp_path / "never.db"
    with pytest.raises(InvalidValuesError):
        await launch(FakeClient(), [LaunchItem({}, name="")], journal=journal)
    assert not journal.exists()


async def test_resume_after_due_dates_passed_settles_without_relaunching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from pneumatic_async._protocol import launch as launch_module

    journal = tmp_path / "late.db"
    now = 1_900_000_000.0
    monkeypatch.setattr(launch_module, "time", SimpleNamespace(time=lambda: now))
    batch = [LaunchItem({"client": str(i)}, name=f"L{i}", due_date=now + 1000) for i in range(4)]
    client = FakeClient()
    outcomes = {1: (True, "ambiguous"), 2: (False, "ambiguous")}
    client.server.script = lambda item, attempt: outcomes.get(item, (True, "ok"))
    client.server.lookup_error = PneumaticError("search is down")
    first = await launch(client, batch, journal=journal)
    assert [r.status for r in first] == ["launched", "failed", "failed", "launched"]

    # later: every due date has passed; items 1 and 2 are unresolved in the journal
    now += 5000
    client.server.lookup_error = None
    second = await launch(client, batch, journal=journal)
    assert [r.status for r in second] == ["resumed", "reconciled", "invalid", "resumed"]
    assert second[1].workflow_id == client.server.workflows[1].id
    assert isinstance(second[2].error, InvalidValuesError)
    assert [p.field for p in second[2].error.problems] == ["due_date"]
    assert len(client.server.launches) == 4  # nothing sent again
    assert len(client.server.workflows) == 3
    # looked up (failing) in the first run, twice on resume (not found: invalid now), never re-sent
    assert client.server.lookups.count(first[2].token) == 3

    # never-attempted invalid items still block the run
    fresh = tmp_path / "fresh.db"
    with pytest.raises(InvalidValuesError):
        await launch(client, batch, journal=fresh)


# -- validation against kickoff specs ------------------------------------------------------------


def spec_client(**kwargs: Any) -> FakeClient:
    from pneumatic_async.models.templates import Selection
    from pneumatic_async.values import FieldSpec

    client = FakeClient(**kwargs)
    client.server.specs = [
        FieldSpec(api_name="client", name="Client", type="string", is_required=True),
        FieldSpec(api_name="amount", name="Amount", type="number", is_required=False),
        FieldSpec(
            api_name="tier",
            name="Tier",
            type="dropdown",
            is_required=False,
            selections=(Selection(value="Gold", api_name="sel-gold"),),
        ),
        FieldSpec(api_name="ref", name="Reference", type="string", is_required=False),
        FieldSpec(api_name="due", name="Due", type="date", is_required=False),
    ]
    return client


async def test_every_bad_item_is_reported_at_once_before_any_launch() -> None:
    client = spec_client()
    batch = [
        {"client": "A", "tier": "sel-gold"},
        {"client": "B", "amount": "lots", "colour": "red"},
        {"amount": 3},
        LaunchItem({"client": "D", "tier": "Bronze"}, name=""),
    ]
    with pytest.raises(InvalidValuesError) as caught:
        await launch(client, batch, validate=True)
    found = sorted((p.item or 0, p.field) for p in caught.value.problems)
    assert found == [(1, "amount"), (1, "colour"), (2, "client"), (3, "name"), (3, "tier")]
    assert client.server.spec_fetches == 1
    assert client.server.launches == []


async def test_values_are_encoded_once_validated() -> None:
    client = spec_client()
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    results = await launch(
        client, [{"client": "A", "tier": "sel-gold", "due": moment}], validate=True
    )
    assert results[0].status == "launched"
    assert client.server.launches[0]["kickoff"] == {
        "client": "A",
        "tier": "Gold",  # the selection's api_name became its value text
        "due": int(moment.timestamp()),
    }


async def test_a_required_token_field_is_satisfied_by_the_token() -> None:
    client = spec_client(token_field="client")
    results = await launch(
        client, [{"amount": 1}, {"amount": 2}], token_field="client", validate=True
    )
    assert [r.status for r in results] == ["launched", "launched"]
    assert [b["kickoff"]["client"] for b in client.server.launches] == [r.token for r in results]


@pytest.mark.parametrize(
    ("field", "message"), [("nope", "not a kickoff field"), ("amount", "'number' field")]
)
async def test_token_field_must_be_a_string_or_text_field(field: str, message: str) -> None:
    client = spec_client()
    with pytest.raises(ConfigurationError, match=message):
        await launch(client, [{"client": "A"}], token_field=field, validate=True)
    assert client.server.launches == []


async def test_a_failing_journal_stops_the_run_with_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pneumatic_async.bulk.journal import JournalError

    client = FakeClient()
    client.server.latency = 0.001
    original = Journal.write
    calls = 0

    def failing_write(self: Journal, updates: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise JournalError("cannot write to the journal: disk I/O error")
        original(self, updates)

    monkeypatch.setattr(Journal, "write", failing_write)
    with pytest.raises(JournalError, match="disk I/O error"):  # itself, not an exception group
        await launch(client, items(100), concurrency=5, journal=tmp_path / "j.db")
    assert len(client.server.launches) < 100
