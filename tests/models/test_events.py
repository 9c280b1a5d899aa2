"""Webhook payloads: every delivery the real server POSTed parses to its typed event."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pneumatic_async._converter import unstructure
from pneumatic_async.errors import InvalidWebhookPayloadError, PneumaticError
from pneumatic_async.events import (
    Hook,
    TaskCompletedEvent,
    TaskReturnedEvent,
    UnknownEvent,
    WorkflowCompletedEvent,
    WorkflowStartedEvent,
    parse_event,
)
from pneumatic_async.models import TaskStatus, WebhookEventType, WebhookTask, Workflow
from tests.captures import deliveries

EXPECTED = {
    "workflow_started": WorkflowStartedEvent,
    "workflow_completed": WorkflowCompletedEvent,
    "task_completed": TaskCompletedEvent,
    "task_returned": TaskReturnedEvent,
}


DELIVERED = deliveries()


def _delivery(event: str) -> dict[str, Any]:
    payloads = (d["body_parsed"] for d in DELIVERED)
    return copy.deepcopy(next(p for p in payloads if p["hook"]["event"] == event))


def test_all_four_events_were_captured() -> None:
    assert len(DELIVERED) == 11
    assert {d["body_parsed"]["hook"]["event"] for d in DELIVERED} == set(EXPECTED)


@pytest.mark.parametrize("delivery", DELIVERED, ids=lambda d: f"{d['ts']}")
def test_every_delivery_parses_to_its_event_class(delivery: dict[str, Any]) -> None:
    parsed = delivery["body_parsed"]
    event = parse_event(delivery["body"].encode("utf-8"))
    assert type(event) is EXPECTED[parsed["hook"]["event"]]
    assert event.hook == Hook(
        id=parsed["hook"]["id"],
        event=WebhookEventType(parsed["hook"]["event"]),
        target=parsed["hook"]["target"],
    )
    if isinstance(event, WorkflowStartedEvent | WorkflowCompletedEvent):
        assert isinstance(event.workflow, Workflow)
        assert event.workflow.id == parsed["workflow"]["id"]
        assert len(event.workflow.tasks) == len(parsed["workflow"]["tasks"])
    else:
        assert isinstance(event, TaskCompletedEvent | TaskReturnedEvent)
        assert isinstance(event.task, WebhookTask)
        assert isinstance(event.task.workflow, Workflow)
        assert event.task.workflow.id == parsed["task"]["workflow"]["id"]
        assert event.task.workflow.kickoff is not None


@pytest.mark.parametrize("delivery", DELIVERED, ids=lambda d: f"{d['ts']}")
def test_delivery_round_trips_to_the_same_json(delivery: dict[str, Any]) -> None:
    event = parse_event(delivery["body"])
    assert json.loads(json.dumps(unstructure(event))) == delivery["body_parsed"]


def test_str_bytes_and_mapping_bodies_give_the_same_event() -> None:
    delivery = DELIVERED[0]
    from_bytes = parse_event(delivery["body"].encode())
    assert parse_event(delivery["body"]) == from_bytes
    assert parse_event(delivery["body_parsed"]) == from_bytes
    assert parse_event(bytearray(delivery["body"].encode())) == from_bytes


def test_ascii_escaped_body_decodes_non_ascii_text() -> None:
    escaped = [d for d in DELIVERED if "\\u" in d["body"]]
    assert escaped, "the captures include an ASCII-escaped (ensure_ascii) body"
    for delivery in escaped:
        assert parse_event(delivery["body"].encode("ascii")) == parse_event(delivery["body_parsed"])


def test_task_completed_carries_the_completed_task() -> None:
    event = parse_event(_delivery("task_completed"))
    assert isinstance(event, TaskCompletedEvent)
    assert event.task.status is TaskStatus.COMPLETED
    assert event.task.date_completed_tsp is not None


def test_task_completed_v2_is_read_as_task_completed() -> None:
    payload = _delivery("task_completed")
    payload["hook"]["event"] = "task_completed_v2"
    event = parse_event(json.dumps(payload))
    assert type(event) is TaskCompletedEvent
    assert event.hook.event == "task_completed_v2"


def test_unknown_event_keeps_the_raw_payload() -> None:
    payload = _delivery("workflow_started")
    payload["hook"]["event"] = "workflow_archived"
    payload["extra"] = {"x": 1}
    event = parse_event(json.dumps(payload).encode())
    assert type(event) is UnknownEvent
    assert event.event == "workflow_archived"
    assert event.raw == payload
    assert event.hook.id == payload["hook"]["id"]


def test_unknown_event_needs_no_captures() -> None:
    body = b'{"hook": {"id": 1, "event": "task_snoozed", "target": "https://x"}, "p": [1]}'
    event = parse_event(body)
    assert isinstance(event, UnknownEvent)
    assert event.raw == {
        "hook": {"id": 1, "event": "task_snoozed", "target": "https://x"},
        "p": [1],
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object, got an array"),
        (b'"workflow_started"', "must be a JSON object, got str"),
        (b"null", "must be a JSON object"),
        (b"{}", "no 'hook' object"),
        (b'{"hook": "workflow_started"}', "no 'hook' object"),
        (b'{"hook": {"id": 1, "target": "https://x"}}', "no 'hook' object"),
        (b'{"hook": {"id": 1, "event": 5, "target": "https://x"}}', "no 'hook' object"),
    ],
)
def test_bad_bodies_raise_a_typed_error(body: bytes, message: str) -> None:
    with pytest.raises(InvalidWebhookPayloadError, match=message) as info:
        parse_event(body)
    assert isinstance(info.value, PneumaticError)
    assert isinstance(info.value, ValueError)


def test_known_event_with_the_wrong_shape_names_the_path() -> None:
    body = {"hook": {"id": 1, "event": "workflow_started", "target": "https://x"}, "workflow": []}
    with pytest.raises(InvalidWebhookPayloadError, match=r"\$\.workflow: expected an object"):
        parse_event(body)
    body = {"hook": {"id": 1, "event": "task_returned", "target": "https://x"}}
    with pytest.raises(InvalidWebhookPayloadError, match=r"\$\.task"):
        parse_event(body)


def test_unknown_event_with_a_bad_hook_names_the_hook_path() -> None:
    body = {"hook": {"id": "1", "event": "something", "target": "https://x"}}
    with pytest.raises(InvalidWebhookPayloadError, match=r"\$\.hook\.id"):
        parse_event(body)
