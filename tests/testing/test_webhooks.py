"""Fake webhook management routes, replayed against the real server's captures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.handlers.webhooks import EVENTS, hooks_for
from tests.captures import body, capture

pytestmark = pytest.mark.anyio

HTML_404 = "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"


@pytest.fixture
def fake() -> FakePneumatic:
    return FakePneumatic()


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {fake.api_key}", "Accept": "application/json"}
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=fake.base_url, headers=headers
    ) as client:
        yield client


async def replay(http: httpx.AsyncClient, name: str) -> httpx.Response:
    """Send a capture's request to the fake and check status and body against the real answer."""
    real = capture(name)
    request = real["request"]
    path = urlsplit(request["url"]).path
    response = await http.request(request["method"], path, json=request["json"])
    expected = real["response"]
    assert response.status_code == expected["status"], name
    if expected["body_kind"] == "json":
        assert response.json() == expected["body"], name
        assert response.headers["content-type"] == "application/json"
    else:
        assert response.text == expected["body"], name
        if expected["headers"].get("content-type") == "text/html":
            assert response.headers["content-type"].startswith("text/html")
    return response


async def test_replays_the_real_session_40_to_61(http: httpx.AsyncClient) -> None:
    names = [
        "40_webhooks_events_list_initial",
        "41_webhooks_events_get_workflow_started",
        "42_webhooks_events_get_unknown_event",
        "43_webhooks_events_subscribe_workflow_started",
        "44_webhooks_events_get_workflow_started_after_subscribe",
        "45_webhooks_events_subscribe_bad_url",
        "46_webhooks_events_subscribe_unknown_event",
        "47_webhooks_events_unsubscribe_workflow_started",
        "48_webhooks_subscribe_all",
        "49_webhooks_events_list_after_subscribe_all",
        "50_webhooks_unsubscribe_all",
        "51_webhooks_events_list_after_unsubscribe_all",
        "52_webhooks_list_GET_webhooks",
        "53_webhooks_create_POST_webhooks",
        "54_webhooks_delete_DELETE_webhooks_1",
        "55_webhooks_subscribe_missing_url",
        "59_webhooks_subscribe_all_final",
        "60_webhooks_events_subscribe_workflow_completed_to_500",
        "61_webhooks_events_list_final",
        "161_webhooks_events_get_task_completed_v2",
        "162_webhooks_events_get_task_completed",
    ]
    for name in names:
        await replay(http, name)


async def test_subscribe_answers_204_with_an_empty_body(http: httpx.AsyncClient) -> None:
    response = await replay(http, "43_webhooks_events_subscribe_workflow_started")
    assert response.content == b""
    assert "content-type" not in response.headers


async def test_form_encoded_subscribe_like_the_wiki(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    target = "http://127.0.0.1:8765/hooks/returned"
    response = await http.post("/webhooks/events/task_returned/subscribe", data={"url": target})
    assert response.status_code == 204
    assert (await http.get("/webhooks/events/task_returned")).json() == {"url": target}
    assert [hook["target"] for hook in hooks_for(fake, "task_returned")] == [target]


async def test_url_is_validated_before_the_event(http: httpx.AsyncClient) -> None:
    bad = await http.post("/webhooks/events/no_such_event/subscribe", json={"url": "nope"})
    assert bad.status_code == 400
    assert bad.json()["details"] == {"name": "url", "reason": "Enter a valid URL."}
    unknown = await http.post(
        "/webhooks/events/task_completed_v2/subscribe", json={"url": "https://example.com/h"}
    )
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "This field is required."),
        ({"url": None}, "This field may not be null."),
        ({"url": "  "}, "This field may not be blank."),
        ({"url": ["https://example.com"]}, "Not a valid string."),
        ({"url": "ftp//example.com"}, "Enter a valid URL."),
        ({"url": "http://localhost"}, None),
        ({"url": "https://hooks.example.com:8443/a/b?x=1"}, None),
        ({"url": "http://[::1]:8000/h"}, None),
        ({"url": "http://intranet/h"}, "Enter a valid URL."),
    ],
)
async def test_url_validation(
    http: httpx.AsyncClient, payload: dict[str, Any], reason: str | None
) -> None:
    response = await http.post("/webhooks/subscribe", json=payload)
    if reason is None:
        assert response.status_code == 204
    else:
        assert response.status_code == 400
        assert response.json() == {
            "message": reason,
            "code": "validation_error",
            "details": {"name": "url", "reason": reason},
        }


async def test_url_longer_than_the_db_column_is_a_500(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/webhooks/subscribe", json={"url": "https://example.com/" + "a" * 300}
    )
    assert response.status_code == 500
    assert response.text == "<h1>Server Error (500)</h1>"


async def test_malformed_json_is_a_drf_parse_error(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/webhooks/subscribe", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


async def test_state_shape_and_subscribe_all_replaces_every_hook(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    await http.post("/webhooks/events/task_completed/subscribe", json={"url": "https://a.test/1"})
    await http.post("/webhooks/events/task_completed/subscribe", json={"url": "https://a.test/2"})
    [hook] = fake.state.webhooks["task_completed"]  # update-or-create per (event, user)
    assert set(hook) == {"id", "event", "target", "user_id"}
    assert (hook["event"], hook["target"]) == ("task_completed", "https://a.test/2")

    await http.post("/webhooks/subscribe", json={"url": "https://b.test/all"})
    hooks = hooks_for(fake)
    assert sorted(h["event"] for h in hooks) == sorted(EVENTS)
    assert {h["target"] for h in hooks} == {"https://b.test/all"}
    assert len({h["id"] for h in hooks}) == 4
    assert hook["id"] not in {h["id"] for h in hooks}  # ids are never reused

    assert (await http.post("/webhooks/events/task_completed/unsubscribe")).status_code == 204
    assert hooks_for(fake, "task_completed") == []
    listing = (await http.get("/webhooks/events")).json()
    assert {item["event"]: item["url"] for item in listing} == {
        "task_completed": None,
        "workflow_started": "https://b.test/all",
        "workflow_completed": "https://b.test/all",
        "task_returned": "https://b.test/all",
    }
    assert (await http.post("/webhooks/unsubscribe")).status_code == 204
    assert hooks_for(fake) == []


async def test_unsubscribing_an_unknown_event_is_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/webhooks/events/task_completed_v2/unsubscribe")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("DELETE", "/webhooks/1"),
        ("DELETE", "/webhooks/target"),
        ("GET", "/webhooks/events/"),
    ],
)
async def test_old_crud_routes_are_html_404(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path)
    assert response.status_code == 404
    assert response.text == HTML_404


def test_capture_bodies_are_what_the_tests_expect() -> None:
    # guards the replay above against edited captures
    assert body("42_webhooks_events_get_unknown_event") == {"detail": "Not found."}
    assert [item["event"] for item in body("40_webhooks_events_list_initial")] == list(EVENTS)


# -- permissions and several users -----------------------------------------------------------------


def client_as(fake: FakePneumatic, key: str) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url, headers=headers)


async def test_management_needs_an_admin(fake: FakePneumatic) -> None:
    member = fake.add_user("member@example.com", "Mem", "Ber")
    async with client_as(fake, fake.add_api_key(member).token) as http:
        listing = await http.get("/webhooks/events")
        subscribe = await http.post("/webhooks/subscribe", json={"url": "https://a.test/h"})
        unmapped = await http.get("/webhooks/subscribe")
    assert listing.status_code == subscribe.status_code == unmapped.status_code == 403
    assert listing.json() == {"detail": "You do not have permission to perform this action."}
    assert fake.state.webhooks == {}


async def test_unmapped_method_is_405_for_an_admin(http: httpx.AsyncClient) -> None:
    response = await http.get("/webhooks/subscribe")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


async def test_two_admins_subscribing_one_event_make_two_hooks(fake: FakePneumatic) -> None:
    admin = fake.add_user("admin@example.com", "Ad", "Min", is_admin=True)
    async with client_as(fake, fake.api_key) as owner_http:
        await owner_http.post(
            "/webhooks/events/task_completed/subscribe", json={"url": "https://owner.test/h"}
        )
    async with client_as(fake, fake.add_api_key(admin).token) as admin_http:
        await admin_http.post(
            "/webhooks/events/task_completed/subscribe", json={"url": "https://admin.test/h"}
        )
        shown = (await admin_http.get("/webhooks/events/task_completed")).json()
    hooks = hooks_for(fake, "task_completed")
    assert [(h["user_id"], h["target"]) for h in hooks] == [
        (fake.owner.id, "https://owner.test/h"),
        (admin.id, "https://admin.test/h"),
    ]
    assert shown == {"url": "https://owner.test/h"}  # GET shows the first hook


async def test_unauthenticated_is_401(fake: FakePneumatic) -> None:
    async with httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url) as http:
        response = await http.get("/webhooks/events")
    assert response.status_code == 401


# -- end to end: subscribe, run, deliver ---------------------------------------------------------


async def test_a_run_is_delivered_to_the_subscribed_target(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    received: list[dict[str, Any]] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append({"path": scope["path"], "body": body})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fake.webhooks.mount("http://hooks.test", receiver)
    fake.webhooks.retry_delays = (0, 0)
    target = "http://hooks.test/pneumatic"
    assert (await http.post("/webhooks/subscribe", json={"url": target})).status_code == 204
    performer = {"type": "user", "source_id": str(fake.owner.id)}
    template = fake.add_template(
        name="Onboarding", tasks=[{"name": "Review", "number": 1, "raw_performers": [performer]}]
    )
    run = await http.post(f"/templates/{template.id}/run", json={"name": "Hooked"})
    assert run.status_code == 200

    await fake.webhooks.flush()

    [record] = fake.webhooks.deliveries
    assert (record.event, record.target, record.status, record.attempts) == (
        "workflow_started",
        target,
        200,
        1,
    )
    [hook] = hooks_for(fake, "workflow_started")
    payload = record.payload
    assert payload["hook"] == {"id": hook["id"], "event": "workflow_started", "target": target}
    assert payload["workflow"]["id"] == run.json()["id"]
    assert payload["workflow"]["name"] == "Hooked"
    assert received[0]["path"] == "/pneumatic"
