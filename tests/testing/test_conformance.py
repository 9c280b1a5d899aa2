"""Replay every captured real-server request against the fake and compare the answers.

The captures in ``tests/data/real-server/responses`` were made in order against one fresh
account (capture 00 signed up the owner, 01 created the API key with the session token), so
replaying them in the same order against a fresh fake, whose owner matches the signup, makes the
ids line up. For each capture we compare the status, the body kind (JSON / text) and, for JSON,
the key set at every level and the JSON type of every value (list lengths included); text
bodies (the HTML 404 page, empty bodies) must be equal.

Event payloads are compared further, value by value (``value_differences``: every key but times,
generated names and URLs): the workflow and task event lists (``GET .../events``) and every
webhook delivery. The fake's clock follows each capture's time, so that names made from
``{{date}}`` come out as the server's.

The webhook deliveries the real server sent during the run (``webhook-deliveries/``) are compared
the same way with what the fake's dispatcher posts to the same targets: the i-th delivery of each
(event, target path) against the i-th captured one. Captures + deliveries make the 127 pairs.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from tests.captures import DELIVERIES, RESPONSES
from tests.testing._compare import differences, value_differences

pytestmark = pytest.mark.anyio

LISTENER = "http://127.0.0.1:8765"

#: Captures the fake is known not to reproduce, with the reason.
EXPECTED_MISMATCHES: dict[str, str] = {
    "00_auth_signup": "signup (/auth/signup) is not part of the public API the fake serves",
    "58_webhooks_buffer_GET_private": "private endpoint excluded from the public API",
    "133_api_schema_GET": "the OpenAPI schema endpoint is not served by the fake",
}

#: Request bodies the capture did not record (the wiki-style form-encoded subscribe).
FORM_BODIES: dict[str, dict[str, str]] = {
    "165_webhooks_subscribe_form_encoded_like_wiki": {"url": "http://127.0.0.1:8765/hooks/all"},
}


def _load(folder: Path) -> list[dict[str, Any]]:
    files = sorted(folder.glob("*.json"), key=lambda p: int(p.name.split("_", 1)[0]))
    return [{"file": p.stem, **json.loads(p.read_text())} for p in files]


class Listener:
    """The capture run's webhook receiver: records bodies; ``/fail500/...`` answers 500."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append((scope["path"], json.loads(body)))
        status = 500 if scope["path"].startswith("/fail500") else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def delivery_mismatches(listener: Listener) -> tuple[int, dict[str, list[str]]]:
    """Compare captured deliveries with the fake's, per (event, path) in order."""
    ours: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path, body in listener.received:
        ours.setdefault((body["hook"]["event"], path), []).append(body)
    seen: dict[tuple[str, str], int] = {}
    captured = _load(DELIVERIES)
    problems: dict[str, list[str]] = {}
    for delivery in captured:
        body = delivery["body_parsed"]
        key = (body["hook"]["event"], delivery["path"])
        index = seen.get(key, 0)
        seen[key] = index + 1
        candidates = ours.get(key, [])
        if index >= len(candidates):
            problems[delivery["file"]] = [f"the fake sent no delivery #{index + 1} for {key}"]
            continue
        found = differences(body, candidates[index]) + value_differences(body, candidates[index])
        if found:
            problems[delivery["file"]] = found
    return len(captured), problems


class CaptureClock:
    """The fake's clock during the replay: the time each capture was made."""

    def __init__(self) -> None:
        self.now = time.time()

    def at(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

    def __call__(self) -> float:
        return self.now


def headers_for(capture: dict[str, Any], fake: FakePneumatic) -> dict[str, str]:
    headers = dict(capture["request"]["headers"])
    auth = headers.get("Authorization")
    if auth is not None:
        token = auth.removeprefix("Bearer ").removesuffix("...(redacted)")
        if token == "pn-":
            token = fake.api_key
        elif token == "EXAMPLE-SESSION-TOKEN":
            token = fake.session_token
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def replay(
    http: httpx.AsyncClient, fake: FakePneumatic, capture: dict[str, Any]
) -> tuple[httpx.Response, list[str]]:
    request = capture["request"]
    url = urlsplit(request["url"])
    target = url.path + (f"?{url.query}" if url.query else "")
    kwargs: dict[str, Any] = {"headers": headers_for(capture, fake)}
    if capture["file"] in FORM_BODIES:
        kwargs["data"] = FORM_BODIES[capture["file"]]
    elif request.get("json") is not None:
        kwargs["json"] = request["json"]
    response = await http.request(request["method"], target, **kwargs)
    expected = capture["response"]
    problems = []
    if response.status_code != expected["status"]:
        problems.append(f"status {expected['status']} != {response.status_code}")
    if expected["body_kind"] == "json":
        try:
            body = response.json()
        except ValueError:
            return response, [*problems, f"body is not JSON: {response.text[:80]!r}"]
        problems.extend(differences(expected["body"], body))
        if url.path.endswith("/events") and not url.path.startswith("/webhooks"):
            # workflow and task events: every value, key by key
            problems.extend(value_differences(expected["body"], body))
    elif response.text != expected["body"]:
        problems.append(f"text body {expected['body'][:40]!r} != {response.text[:40]!r}")
    return response, problems


async def test_every_capture_replays_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    captures = _load(RESPONSES)
    clock = CaptureClock()
    fake = FakePneumatic(base_url="http://127.0.0.1:8001", clock=clock)
    # The capture run had no API key until capture 01 created one with the session token.
    fake.revoke_api_key(fake.state.api_keys_by_token[fake.api_key])
    listener = Listener()
    fake.webhooks.mount(LISTENER, listener)
    fake.webhooks.retry_delays = (0.0, 0.0)
    mismatches: dict[str, list[str]] = {}
    async with httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url) as http:
        for capture in captures:
            clock.at(capture["captured_at"])  # names with {{date}} come out as the server's
            response, problems = await replay(http, fake, capture)
            await fake.webhooks.flush()
            if capture["file"].startswith("01_") and response.status_code == 201:
                fake.api_key = response.json()["token"]  # the key every later capture used
            if problems:
                mismatches[capture["file"]] = problems
    delivered, delivery_problems = delivery_mismatches(listener)
    mismatches.update(delivery_problems)
    total = len(captures) + delivered
    matching = total - len(mismatches)
    with capsys.disabled():
        print(f"\nconformance: {matching}/{total} captures match")
        for name, problems in mismatches.items():
            print(f"  {name}: {EXPECTED_MISMATCHES.get(name, 'UNEXPECTED')}: {problems[:3]}")
    unexpected = {k: v for k, v in mismatches.items() if k not in EXPECTED_MISMATCHES}
    assert not unexpected, unexpected
    stale = sorted(set(EXPECTED_MISMATCHES) - set(mismatches))
    assert not stale, f"listed as mismatches but now match: {stale}"
    assert total == 127
    event_lists = [c for c in captures if urlsplit(c["request"]["url"]).path.endswith("/events")]
    assert [c["file"] for c in event_lists if "webhooks" not in c["file"]] == [
        "103_workflows_events"
    ]
    assert delivered == 11  # every captured webhook payload compared value by value


def test_structural_comparison_catches_differences() -> None:
    assert differences({"a": 1, "b": [1.5]}, {"a": 2, "b": [2.5]}) == []
    assert differences({"a": 1}, {"a": 1.0}) == ["$.a: integer != float"]
    assert differences({"a": None}, {"a": "x"}) == ["$.a: null != string"]
    assert differences({"a": {"b": 1}}, {"a": {"c": 1}}) == ["$.a: keys missing ['b'], extra ['c']"]
    assert differences([1, 2], [1]) == ["$: 2 items != 1"]


def test_value_comparison_skips_only_volatile_keys() -> None:
    expected = {"type": 2, "created_tsp": 1.0, "task": {"name": "A", "api_name": "x"}}
    assert value_differences(expected, {**expected, "created_tsp": 2.0}) == []
    assert value_differences(expected, {**expected, "task": {"name": "A", "api_name": "y"}}) == []
    assert value_differences(expected, {**expected, "type": 3}) == ["$.type: 2 != 3"]
    assert value_differences([{"text": None}], [{"text": ""}]) == ["$[0].text: None != ''"]
