"""``parse_event`` accepts the docs' sample payloads and older event names; real ones stay typed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pneumatic_async.errors import InvalidWebhookPayloadError
from pneumatic_async.events import (
    TaskCompletedEvent,
    TaskReturnedEvent,
    WorkflowCompletedEvent,
    WorkflowStartedEvent,
    parse_event,
)
from pneumatic_async.models import TaskStatus, WorkflowStatus
from tests.fastapi.helpers import sample


def test_docs_workflow_started_sample_is_parsed() -> None:
    event = parse_event(sample("docs_workflow_started"))
    assert isinstance(event, WorkflowStartedEvent)
    workflow = event.workflow
    assert workflow.date_created_tsp == datetime(2020, 10, 12, 16, 12, 10, 99000, tzinfo=UTC)
    assert workflow.status == WorkflowStatus.DONE
    assert workflow.template is not None
    assert workflow.template.name == "Template name"
    assert workflow.kickoff is not None
    label = workflow.kickoff.output[1]
    assert (label.api_name, label.value) == ("field-asdsfd", "")
    assert label.selections == ["First Selection", "Second Selection"]
    (current,) = workflow.tasks  # the sample's current_task
    assert (current.id, current.name, current.status) == (2, "Second task", TaskStatus.COMPLETED)
    assert current.performers[0].source_id == 2


def test_docs_task_completed_v2_sample_is_parsed() -> None:
    event = parse_event(sample("docs_task_completed_v2"))
    assert isinstance(event, TaskCompletedEvent)
    task = event.task
    assert task.api_name == ""  # not in the sample: defaulted
    assert task.status == TaskStatus.COMPLETED
    assert task.date_completed_tsp == datetime(2020, 10, 12, 16, 25, 58, 675000, tzinfo=UTC)
    assert [p.source_id for p in task.performers] == [1]
    assert task.workflow.id == 1
    assert task.workflow.tasks[0].name == "Second task"


@pytest.mark.parametrize(
    ("old", "cls"),
    [("process_started", WorkflowStartedEvent), ("process_completed", WorkflowCompletedEvent)],
)
def test_001_revision_process_events_are_workflow_events(old: str, cls: type[object]) -> None:
    payload = sample("real_workflow_started")
    payload["hook"]["event"] = old
    assert isinstance(parse_event(payload), cls)
    docs = sample("docs_workflow_started")
    docs["hook"]["event"] = old
    docs["process"] = docs.pop("workflow")  # the oldest revision's name for a workflow
    assert isinstance(parse_event(docs), cls)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("real_workflow_started", WorkflowStartedEvent),
        ("real_workflow_completed", WorkflowCompletedEvent),
        ("real_task_completed", TaskCompletedEvent),
        ("real_task_returned", TaskReturnedEvent),
    ],
)
def test_real_deliveries_keep_their_own_values(name: str, cls: type[object]) -> None:
    payload = sample(name)
    event = parse_event(payload)
    assert isinstance(event, cls)
    if isinstance(event, TaskCompletedEvent | TaskReturnedEvent):
        assert event.task.api_name == payload["task"]["api_name"] != ""
        assert event.task.status == payload["task"]["status"]
    elif isinstance(event, WorkflowStartedEvent | WorkflowCompletedEvent):
        raw = payload["workflow"]["date_created_tsp"]
        assert event.workflow.date_created_tsp.timestamp() == pytest.approx(raw)


def test_a_payload_fitting_neither_shape_names_the_real_problem() -> None:
    payload = sample("real_task_completed")
    del payload["task"]["id"]
    with pytest.raises(InvalidWebhookPayloadError, match=r"\$\.task\.id"):
        parse_event(payload)


def test_a_wrongly_typed_sample_is_still_refused() -> None:
    payload = sample("docs_workflow_started")
    payload["workflow"]["date_created"] = "not a date"
    with pytest.raises(InvalidWebhookPayloadError, match="date_created_tsp"):
        parse_event(payload)
