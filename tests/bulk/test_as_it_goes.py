"""Runs checked as they go (``check="as_it_goes"``): a one-shot source read once, lazily, in
bounded memory; invalid items reported, not refusing the batch; a journal that recognises the
same items on a resume and refuses different ones. Against the in-process fake server."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import pytest

from pneumatic_async.bulk import (
    JournalMismatchError,
    LaunchResult,
    Progress,
    SharedBatch,
    run_many,
    stream_items,
    stream_run,
)
from pneumatic_async.errors import ConfigurationError, InvalidValuesError
from pneumatic_async.stores import MemoryStore
from pneumatic_async.testing import FakePneumatic
from tests.bulk.test_integration import (
    RUN_ROUTE,
    TEMPLATE,
    make_client,
    rows,
    tokens_in_names,
    workflows_of,
)


class Source:
    """A generator over items that records, as each item is read, how many workflows exist."""

    def __init__(self, fake: FakePneumatic, template_id: int, items: list[dict[str, Any]]):
        self.fake = fake
        self.template_id = template_id
        self.items = items
        #: ``index - workflows existing`` when item ``index`` was read.
        self.ahead: list[int] = []

    def __call__(self) -> Iterator[dict[str, Any]]:
        for index, item in enumerate(self.items):
            self.ahead.append(index - len(workflows_of(self.fake, self.template_id)))
            yield item

    @property
    def read(self) -> int:
        return len(self.ahead)


def bad_rows(n: int, bad: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    items = rows(n)
    for index, item in bad.items():
        items[index] = item
    return items


async def test_a_generator_launches_each_item_once_and_reports_invalid_ones_by_index() -> None:
    fake = FakePneumatic(seed=31)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", rate=0.05, route=RUN_ROUTE)  # some found by lookup
    invalid = {3: {"client": "C3", "amount": "ten"}, 17: {"amount": 5}, 40: "not an item"}
    items = bad_rows(60, invalid)  # type: ignore[dict-item]
    source = Source(fake, template.id, items)
    progress: list[Progress] = []
    async with make_client(fake) as client:
        results = await run_many(
            client,
            template.id,
            source(),
            concurrency=5,
            check="as_it_goes",
            on_progress=progress.append,
        )
    assert [r.index for r in results] == list(range(60))
    assert sorted(r.index for r in results if r.status == "invalid") == [3, 17, 40]
    for result in results:
        if result.status == "invalid":
            assert isinstance(result.error, InvalidValuesError)
            assert {p.item for p in result.error.problems} == {result.index}
    fields = {
        r.index: sorted(p.field for p in r.error.problems)
        for r in results
        if isinstance(r.error, InvalidValuesError)
    }
    assert fields == {3: ["amount"], 17: ["client"], 40: ["(item)"]}
    assert Counter(r.status for r in results if r.ok).total() == 57
    names = tokens_in_names(fake, template.id)
    assert len(workflows_of(fake, template.id)) == 57
    assert set(names.values()) == {1}  # no token twice
    assert names.keys() == {r.token for r in results if r.ok}
    assert progress[-1].total == 60
    assert progress[-1].done == 57
    assert progress[-1].failed == 3


async def test_the_generator_is_read_lazily_as_launches_go() -> None:
    fake = FakePneumatic(seed=32)
    template = fake.add_template(TEMPLATE)
    source = Source(fake, template.id, rows(300))
    concurrency = 4
    async with make_client(fake) as client:
        stream = stream_run(
            client, template.id, source(), concurrency=concurrency, check="as_it_goes"
        )
        async with aclosing(stream) as results:
            seen = 0
            async for _ in results:
                seen += 1
                if seen == 20:
                    break
    # When item i is read, at most `concurrency` earlier items are still being launched.
    assert max(source.ahead) <= concurrency
    # Stopping early: the rest of the source was never read.
    assert source.read <= seen + 2 * concurrency
    assert len(workflows_of(fake, template.id)) <= seen + concurrency


async def test_a_one_shot_iterator_without_the_option_is_read_whole_and_checked_up_front(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="pneumatic_async.bulk")
    fake = FakePneumatic(seed=33)
    template = fake.add_template(TEMPLATE)
    source = Source(fake, template.id, bad_rows(50, {45: {"client": "C", "amount": "x"}}))
    async with make_client(fake) as client:
        with pytest.raises(InvalidValuesError) as caught:
            await run_many(client, template.id, source())
        assert [p.item for p in caught.value.problems] == [45]
        assert source.read == 50  # read whole before anything was sent...
        assert len(workflows_of(fake, template.id)) == 0  # ...and nothing was
        assert "read into a list of 50" in caplog.text  # and the log says so
        again = Source(fake, template.id, rows(20))
        results = await run_many(client, template.id, again(), concurrency=4)
    assert all(r.ok for r in results)
    assert again.ahead == list(range(20))  # every item read while no workflow existed yet


async def test_resume_from_the_journal_with_the_same_generator_launches_nothing_twice(
    tmp_path: Path,
) -> None:
    fake = FakePneumatic(seed=34)
    template = fake.add_template(TEMPLATE)
    fake.faults.add("applied_then_drop", rate=0.05, route=RUN_ROUTE)
    fake.faults.add("status", status=500, style="asgi", rate=0.05, route=RUN_ROUTE)
    journal = tmp_path / "run.db"
    items = bad_rows(200, {7: {"client": "C7", "amount": "seven"}})
    received: list[LaunchResult] = []
    async with make_client(fake) as client:
        with anyio.CancelScope() as scope:
            stream = stream_run(
                client, template.id, iter(items), concurrency=8, journal=journal, check="as_it_goes"
            )
            async with aclosing(stream) as results:
                async for result in results:
                    received.append(result)
                    if len(received) == 70:
                        scope.cancel()
        assert scope.cancelled_caught
        first = len(workflows_of(fake, template.id))
        assert 60 <= first < 199
        results2 = await run_many(
            client, template.id, iter(items), concurrency=8, journal=journal, check="as_it_goes"
        )
    assert len(results2) == 200
    assert [r.index for r in results2 if not r.ok] == [7]
    names = tokens_in_names(fake, template.id)
    assert len(workflows_of(fake, template.id)) == 199
    assert set(names.values()) == {1}  # every token exactly once
    assert names.keys() == {r.token for r in results2 if r.ok}
    statuses = Counter(r.status for r in results2)
    assert statuses["resumed"] >= 60
    first_ids = {r.index: r.workflow_id for r in received if r.ok}
    assert all(results2[i].workflow_id == wid for i, wid in first_ids.items())


async def test_a_different_source_on_resume_is_refused_at_the_first_different_item(
    tmp_path: Path,
) -> None:
    fake = FakePneumatic(seed=35)
    template = fake.add_template(TEMPLATE)
    journal = tmp_path / "run.db"
    async with make_client(fake) as client:
        await run_many(
            client, template.id, iter(rows(10)), concurrency=3, journal=journal, check="as_it_goes"
        )
        assert len(workflows_of(fake, template.id)) == 10
        changed = rows(12)
        changed[5] = {**changed[5], "client": "Someone else"}
        with pytest.raises(JournalMismatchError, match=r"index 5 \(state launched\)"):
            await run_many(
                client,
                template.id,
                iter(changed),
                concurrency=3,
                journal=journal,
                check="as_it_goes",
            )
        assert len(workflows_of(fake, template.id)) == 10  # nothing sent
        with pytest.raises(JournalMismatchError, match="records item 8, but the items ended"):
            await run_many(
                client,
                template.id,
                iter(rows(8)),
                concurrency=3,
                journal=journal,
                check="as_it_goes",
            )
        # The same items (and more) resume: the first 10 resumed, the 2 new ones launched.
        results = await run_many(
            client, template.id, iter(rows(12)), concurrency=3, journal=journal, check="as_it_goes"
        )
    assert Counter(r.status for r in results) == {"resumed": 10, "launched": 2}
    assert len(workflows_of(fake, template.id)) == 12


async def test_a_journal_is_resumed_only_with_the_check_it_was_written_with(
    tmp_path: Path,
) -> None:
    fake = FakePneumatic(seed=36)
    template = fake.add_template(TEMPLATE)
    upfront, as_it_goes = tmp_path / "upfront.db", tmp_path / "goes.db"
    async with make_client(fake) as client:
        await run_many(client, template.id, rows(3), journal=upfront)
        await run_many(client, template.id, rows(3), journal=as_it_goes, check="as_it_goes")
        with pytest.raises(JournalMismatchError, match="check='upfront'"):
            await run_many(client, template.id, rows(3), journal=upfront, check="as_it_goes")
        with pytest.raises(JournalMismatchError, match="check='as_it_goes'"):
            await run_many(client, template.id, rows(3), journal=as_it_goes)
    assert len(workflows_of(fake, template.id)) == 6


async def test_user_ids_are_resolved_as_they_come() -> None:
    fake = FakePneumatic(seed=37)
    ann = fake.add_user("ann@example.com", "Ann", "Lee")
    bob = fake.add_user("bob@example.com", "Bob", "Ray")
    manager = {
        "order": 5,
        "name": "Manager",
        "type": "user",
        "api_name": "manager",
        "is_required": True,
    }
    template = fake.add_template(
        {**TEMPLATE, "kickoff": {"fields": [*TEMPLATE["kickoff"]["fields"], manager]}}
    )
    listings = fake.faults.add("latency", route="GET /accounts/users", latency=0.0)  # a counter
    people = [ann.id, bob.id, 999]

    def items() -> Iterator[dict[str, Any]]:
        for i in range(30):
            yield {"client": str(i), "manager": people[i % 3]}

    async with make_client(fake) as client:
        results = await run_many(client, template.id, items(), check="as_it_goes")
    assert [r.index for r in results if r.status == "invalid"] == list(range(2, 30, 3))
    assert listings.injected == 2  # the users are listed once, and once more for the unknown id
    for result in results:
        if result.ok:
            stored = fake.workflow(result.workflow_id or 0)
            value = next(v for v in stored.kickoff_fields if v.api_name == "manager")
            assert value.user_id == people[result.index % 3]


async def test_bad_options_are_refused_before_anything_is_read() -> None:
    fake = FakePneumatic(seed=38)
    template = fake.add_template(TEMPLATE)
    source = Source(fake, template.id, rows(5))
    batch = SharedBatch(store=MemoryStore(), batch_id="b")
    async with make_client(fake) as client:
        with pytest.raises(ConfigurationError, match="SharedBatch"):
            await run_many(client, template.id, source(), journal=batch, check="as_it_goes")
        with pytest.raises(ConfigurationError, match="check must be"):
            await run_many(client, template.id, source(), check="later")  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="token_field"):
            await run_many(client, template.id, source(), token_field="amount", check="as_it_goes")
    assert source.read == 0
    assert len(workflows_of(fake, template.id)) == 0


async def test_a_source_failing_mid_run_stops_sending_and_raises_after_the_launches_in_flight(
    tmp_path: Path,
) -> None:
    fake = FakePneumatic(seed=39)
    template = fake.add_template(TEMPLATE)

    def items() -> Iterator[dict[str, Any]]:
        yield from rows(10)
        raise OSError("the cursor went away")

    received: list[LaunchResult] = []
    async with make_client(fake) as client:
        stream = stream_run(
            client,
            template.id,
            items(),
            concurrency=4,
            journal=tmp_path / "run.db",
            check="as_it_goes",
        )

        async def consume() -> None:
            async with aclosing(stream) as results:
                async for result in results:
                    received.append(result)

        with pytest.raises(OSError, match="the cursor went away"):
            await consume()
        # Every item read was launched and reported; the journal resumes them all.
        assert sorted(r.index for r in received) == list(range(10))
        assert all(r.status == "launched" for r in received)
        again = await run_many(
            client, template.id, iter(rows(10)), journal=tmp_path / "run.db", check="as_it_goes"
        )
    assert {r.status for r in again} == {"resumed"}
    assert len(workflows_of(fake, template.id)) == 10


async def test_an_unreadable_row_of_a_streamed_file_is_one_invalid_result(tmp_path: Path) -> None:
    fake = FakePneumatic(seed=40)
    template = fake.add_template(TEMPLATE)
    path = tmp_path / "items.csv"
    path.write_text(
        "client,amount,_is_urgent\nA,1,yes\nB,2,perhaps\nC,3,\n",
        encoding="utf-8",
    )
    async with make_client(fake) as client:
        results = await run_many(client, template.id, stream_items(path), check="as_it_goes")
        with pytest.raises(InvalidValuesError, match="row 3"):  # up front: refused whole
            await run_many(client, template.id, stream_items(path))
    assert [r.status for r in results] == ["launched", "invalid", "launched"]
    error = results[1].error
    assert isinstance(error, InvalidValuesError)
    assert [(p.item, p.field) for p in error.problems] == [(1, "_is_urgent")]
    assert "items.csv row 3" in error.problems[0].message
    assert len(workflows_of(fake, template.id)) == 2
