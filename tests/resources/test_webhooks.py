"""``client.webhooks``: the real server's per-event API (captures 40-61, 161)."""

from __future__ import annotations

import json

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import NotFoundError
from pneumatic_async.testing import FakePneumatic
from tests.captures import body

URL = "http://127.0.0.1:8765/hooks/all"


async def test_list_is_sorted(router: respx.MockRouter, client: Pneumatic) -> None:
    router.get("/webhooks/events").respond(
        200, json=body("49_webhooks_events_list_after_subscribe_all")
    )
    items = await client.webhooks.list()
    assert [str(i.event) for i in items] == sorted(str(i.event) for i in items)
    assert {i.url for i in items} == {URL}


async def test_get_one(router: respx.MockRouter, client: Pneumatic) -> None:
    router.get("/webhooks/events/workflow_started").respond(
        200, json=body("44_webhooks_events_get_workflow_started_after_subscribe")
    )
    item = await client.webhooks.get("workflow_started")
    assert item.event == "workflow_started"
    assert item.url == "http://127.0.0.1:8765/hooks/workflow_started"


async def test_subscribe_sends_json_and_accepts_204(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post("/webhooks/events/task_completed/subscribe").respond(204)
    await client.webhooks.subscribe("task_completed_v2", URL)  # the docs' name is mapped
    request = route.calls[0].request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"url": URL}


async def test_subscribe_is_retried_because_it_is_idempotent(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post("/webhooks/subscribe")
    route.side_effect = [respx.MockResponse(503), respx.MockResponse(204)]
    await client.webhooks.subscribe_all(URL)
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("event", "url", "message"),
    [
        ("task_done", URL, "unknown webhook event"),
        ("task_completed", "not a url", "absolute"),
        ("task_completed", "https://x.example/" + "a" * 300, "at most 255"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    router: respx.MockRouter, client: Pneumatic, event: str, url: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.webhooks.subscribe(event, url)
    assert not router.calls


async def test_unknown_event_from_server_is_not_found(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/webhooks/events/task_returned").respond(
        404, json=body("42_webhooks_events_get_unknown_event")
    )
    with pytest.raises(NotFoundError):
        await client.webhooks.get("task_returned")


async def test_unsubscribe_url_and_all_against_the_fake() -> None:
    fake = FakePneumatic()
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        await client.webhooks.subscribe("workflow_started", "https://a.example/h")
        await client.webhooks.subscribe("task_completed", "https://a.example/h")
        await client.webhooks.subscribe("task_returned", "https://b.example/h")
        removed = await client.webhooks.unsubscribe_url("https://a.example/h")
        assert sorted(removed) == ["task_completed", "workflow_started"]
        urls = {str(i.event): i.url for i in await client.webhooks.list()}
        assert urls["task_returned"] == "https://b.example/h"
        assert urls["workflow_started"] is None
        await client.webhooks.unsubscribe_all()
        assert all(i.url is None for i in await client.webhooks.list())
