"""Cost that grows only with what is kept: slim results, a plan built as it goes, re-readable
file sources that are never held in memory. (Peak memory and CPU per item at 10k-1M items are
measured in ``benchmarks/bulk_scale.py``, not here.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any, cast

import pytest

from pneumatic_async.bulk import LaunchItem, StreamedItems, run_many, stream_items, stream_run
from pneumatic_async.errors import InvalidValuesError
from tests.bulk.fakes import FakeClient


class CountingSource:
    """A re-readable source that records how far each pass got."""

    reiterable = True

    def __init__(self, n: int) -> None:
        self.n = n
        self.passes: list[int] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.passes.append(0)
        for i in range(self.n):
            self.passes[-1] += 1
            yield {"client": f"Client {i}"}


async def test_launch_payloads_are_built_as_launches_go_not_up_front() -> None:
    source = CountingSource(1000)
    client = FakeClient()
    seen = 0
    stream = stream_run(cast("Any", client), 7, source, concurrency=2, validate=False)
    async with aclosing(stream) as results:
        async for result in results:
            assert result.ok
            seen += 1
            if seen == 5:
                break
    assert source.passes[0] == 1000  # the check pass read everything (keeping only problems)
    assert len(source.passes) == 2
    assert source.passes[1] < 50  # the launch pass stopped near where the consumer did
    assert len(client.server.workflows) < 50


async def test_one_shot_iterators_are_still_accepted() -> None:
    client = FakeClient()
    results = await run_many(
        cast("Any", client), 7, ({"client": str(i)} for i in range(30)), validate=False
    )
    assert [r.status for r in results] == ["launched"] * 30


async def test_results_are_slim_unless_asked() -> None:
    client = FakeClient()
    slim = await run_many(
        cast("Any", client), 7, [LaunchItem({"a": "1"}, name="x")], validate=False
    )
    full = await run_many(
        cast("Any", client),
        7,
        [LaunchItem({"a": "1"}, name="y")],
        validate=False,
        keep_workflows=True,
    )
    assert slim[0].workflow is None
    assert slim[0].workflow_id is not None
    assert full[0].workflow is not None
    assert full[0].workflow.id == full[0].workflow_id


def test_stream_items_reads_the_file_again_on_every_pass(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("client,_name\nA,First\nB,Second\n")
    source = stream_items(path)
    assert isinstance(source, StreamedItems)
    assert [i.name for i in source] == ["First", "Second"]
    path.write_text("client,_name\nC,Third\n")  # really re-read, nothing cached
    assert [i.kickoff for i in source] == [{"client": "C"}]
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text('{"client": "A"}\n\n{"client": "B", "_name": "Bee"}\n')
    assert [(i.kickoff, i.name) for i in stream_items(jsonl)] == [
        ({"client": "A"}, None),
        ({"client": "B"}, "Bee"),
    ]


def test_stream_items_names_the_row_of_a_bad_reserved_value(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("client,_is_urgent\nA,yes\nB,maybe\n")
    with pytest.raises(InvalidValuesError, match="row 3"):
        list(stream_items(path))


async def test_a_run_over_a_streamed_file_checks_everything_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("client,_name\n" + "".join(f"C{i},Launch {i}\n" for i in range(40)) + "D,\n")
    client = FakeClient()
    results = await run_many(cast("Any", client), 7, stream_items(path), validate=False)
    assert len(results) == 41
    assert {r.status for r in results} == {"launched"}
    assert len(client.server.workflows) == 41
