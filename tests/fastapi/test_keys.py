"""Delivery keys: equal for a delivery's retries and copies, new for each new occurrence."""

from __future__ import annotations

import copy
import re

from pneumatic_async.fastapi import delivery_key
from tests.fastapi.helpers import sample


def test_copies_to_other_hooks_share_the_key() -> None:
    payload = sample("real_task_completed")
    other = copy.deepcopy(payload)
    other["hook"] = {"id": 99, "event": "task_completed", "target": "https://other.example/h"}
    assert delivery_key(payload) == delivery_key(other)


def test_key_names_event_and_objects() -> None:
    key = delivery_key(sample("real_task_returned"))
    assert key.startswith("task_returned:task-6:workflow-8:")
    assert delivery_key(sample("real_workflow_started")).startswith("workflow_started:workflow-1:")


def test_a_task_completed_again_gets_a_new_key() -> None:
    first = sample("real_task_completed")
    again = copy.deepcopy(first)
    again["task"]["date_completed_tsp"] += 60.0
    assert delivery_key(first) != delivery_key(again)


def test_a_timestamp_deep_in_the_workflow_changes_the_key() -> None:
    first = sample("real_task_returned")
    again = copy.deepcopy(first)
    again["task"]["workflow"]["tasks"][0]["date_started_tsp"] = 1.0  # returned to again later
    assert delivery_key(first) != delivery_key(again)


def test_old_event_names_key_like_the_new_ones() -> None:
    payload = sample("docs_task_completed_v2")
    renamed = copy.deepcopy(payload)
    renamed["hook"]["event"] = "task_completed"
    assert delivery_key(payload) == delivery_key(renamed)


def test_unknown_events_are_keyed_by_their_body() -> None:
    one = {"hook": {"id": 1, "event": "task_snoozed", "target": "x"}, "thing": {"n": 1}}
    same = {"hook": {"id": 2, "event": "task_snoozed", "target": "y"}, "thing": {"n": 1}}
    other = {"hook": {"id": 1, "event": "task_snoozed", "target": "x"}, "thing": {"n": 2}}
    assert delivery_key(one) == delivery_key(same) != delivery_key(other)
    assert delivery_key(one).startswith("task_snoozed:")


def test_keys_are_safe_for_every_store() -> None:
    hostile = {
        "hook": {"id": 1, "event": "x y\n'; DROP", "target": "t"},
        "task": {"id": "1 OR 1=1" * 20, "workflow": {"id": None}},
    }
    key = delivery_key(hostile)
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,170}", key), key
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,170}", delivery_key(sample("real_task_completed")))
