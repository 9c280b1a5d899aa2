"""A start ``offset`` on every list: resume a listing part-way."""

from __future__ import annotations

from typing import Any

import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.pagination import Paginator
from pneumatic_async.testing import FakePneumatic
from tests.core.test_client import make_client
from tests.core.test_pagination import Pages


def paginate(client: Any, **kwargs: Any) -> Paginator[dict[str, Any]]:
    async def fetch(params: Any) -> Any:
        return await client.request("GET", "/workflows", params=params)

    return Paginator(fetch, "/workflows", decode=list, **kwargs)


async def test_iteration_starts_at_the_offset_and_advances_from_it() -> None:
    server = Pages(25)
    async with make_client(server) as client:
        items = [i async for i in paginate(client, page_size=10, offset=7)]
    assert [i["id"] for i in items] == list(range(7, 25))
    assert [r.url.params["offset"] for r in server.requests] == ["7", "17"]


async def test_pages_and_first_page_start_at_the_offset() -> None:
    server = Pages(25)
    async with make_client(server) as client:
        pages = [p async for p in paginate(client, page_size=10, offset=20).pages()]
        first = await paginate(client, page_size=3, offset=5).first_page()
    assert [p.offset for p in pages] == [20]
    assert [i["id"] for i in pages[0].items] == [20, 21, 22, 23, 24]
    assert first.offset == 5
    assert [i["id"] for i in first.items] == [5, 6, 7]
    assert first.count == 25


async def test_offset_with_max_items_bounds_from_the_offset() -> None:
    server = Pages(100)
    async with make_client(server) as client:
        pager = paginate(client, page_size=10, offset=50, max_items=12)
        assert pager.offset == 50
        items = await pager.collect()
    assert [i["id"] for i in items] == list(range(50, 62))


async def test_offset_past_the_end_is_empty() -> None:
    server = Pages(5)
    async with make_client(server) as client:
        assert [i async for i in paginate(client, offset=10)] == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("offset", [-1, 1.5, True, "3"])
def test_offset_must_be_a_non_negative_int(offset: Any) -> None:
    with pytest.raises(ValueError, match="offset"):
        Paginator(object(), "/x", decode=list, offset=offset)  # type: ignore[arg-type]


async def test_every_list_method_accepts_offset(
    pneumatic_client: Pneumatic, fake_pneumatic: FakePneumatic
) -> None:
    for n in range(3):
        template = fake_pneumatic.add_template(
            name=f"T{n}",
            tasks=[
                {
                    "number": 1,
                    "name": "Step",
                    "api_name": f"step-{n}",
                    "raw_performers": [{"type": "workflow_starter", "source_id": None}],
                }
            ],
        )
        fake_pneumatic.run_workflow(template, name=f"W{n}")
    fake_pneumatic.add_user("a@example.com")
    fake_pneumatic.add_user("b@example.com")
    client = pneumatic_client
    workflows = [w.id async for w in client.workflows.list(ordering="date")]
    assert [w.id async for w in client.workflows.list(ordering="date", offset=1)] == workflows[1:]
    templates = [t.id async for t in client.templates.list()]
    assert [t.id async for t in client.templates.list(offset=2)] == templates[2:]
    tasks = [t.id async for t in client.tasks.list()]
    assert len(tasks) == 3
    assert [t.id async for t in client.tasks.list(offset=1)] == tasks[1:]
    users = [u.id async for u in client.users.list()]
    assert len(users) >= 3
    assert [u.id async for u in client.users.list(offset=1)] == users[1:]
    workflow = await client.workflows.get(workflows[0])
    for text in ("one", "two"):
        await client.tasks.comment(workflow.tasks[0].id, text)
    events = [e.id async for e in client.workflows.events(workflow.id)]
    assert len(events) >= 3
    assert [e.id async for e in client.workflows.events(workflows[0], offset=1)] == events[1:]
    task_id = workflow.tasks[0].id
    task_events = [e.id async for e in client.tasks.events(task_id)]
    assert len(task_events) >= 2
    assert [e.id async for e in client.tasks.events(task_id, offset=1)] == task_events[1:]
    fields = [f.id async for f in client.workflows.fields()]
    assert len(fields) == 3
    assert [f.id async for f in client.workflows.fields(offset=1)] == fields[1:]
    assert [a async for a in client.files.list_attachments(offset=5)] == []
