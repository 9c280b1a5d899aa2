"""The converter's rules (timestamps, enums, unknown keys, strict scalars, error paths) and the
JSON helpers, with and without orjson."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import cattrs
import pytest

from pneumatic_async import _json
from pneumatic_async._converter import converter, structure, unstructure
from pneumatic_async.errors import PneumaticError, ResponseValidationError
from pneumatic_async.models import (
    Action,
    AttachmentUpload,
    Execution,
    ExecutionStatus,
    Field,
    FieldType,
    NewTemplate,
    Owner,
    OwnerRole,
    Predicate,
    PublishedAttachment,
    RawPerformer,
    Selection,
    TaskListItem,
    TaskStatus,
    TemplateTask,
    UploadedFile,
    User,
    UserType,
    Workflow,
    WorkflowStatus,
)


def _task(**overrides: Any) -> dict[str, Any]:
    task = {
        "id": 4,
        "name": "Review",
        "api_name": "task-review",
        "description": None,
        "number": 1,
        "delay": None,
        "due_date_tsp": None,
        "date_started_tsp": 1795404343.350657,
        "date_completed_tsp": None,
        "performers": [
            {"is_completed": False, "date_completed_tsp": None, "type": "user", "source_id": 1}
        ],
        "checklists_total": 0,
        "checklists_marked": 0,
        "status": "active",
    }
    task.update(overrides)
    return task


def _workflow(**overrides: Any) -> dict[str, Any]:
    workflow = {
        "id": 8,
        "name": "Research run #1",
        "status": 0,
        "description": "",
        "finalizable": False,
        "is_external": False,
        "is_urgent": False,
        "date_created_tsp": 1795404288.425319,
        "date_completed_tsp": None,
        "workflow_starter": 1,
        "ancestor_task_id": None,
        "is_legacy_template": False,
        "legacy_template_name": None,
        "template": {"id": 1, "name": "T", "is_active": True, "wf_name_template": None},
        "owners": [1],
        "tasks": [_task(), _task(id=5, number=2, status="pending", date_started_tsp=None)],
        "kickoff": {"id": 8, "output": [], "fieldsets": []},
        "due_date_tsp": None,
        "is_read_only_viewer": False,
    }
    workflow.update(overrides)
    return workflow


# --------------------------------------------------------------------------------------------
# The converter object


def test_one_converter_that_tolerates_unknown_keys() -> None:
    assert isinstance(converter, cattrs.Converter)
    assert converter.forbid_extra_keys is False
    workflow = structure(_workflow(brand_new_key={"x": 1}, current_task=None), Workflow)
    assert workflow.id == 8
    assert "brand_new_key" not in unstructure(workflow)


def test_nested_unknown_keys_are_ignored_too() -> None:
    workflow = structure(_workflow(tasks=[_task(surprise=[1, 2])]), Workflow)
    assert workflow.tasks[0].api_name == "task-review"


# --------------------------------------------------------------------------------------------
# Timestamps


def test_epoch_float_becomes_utc_datetime_and_back() -> None:
    workflow = structure(_workflow(date_completed_tsp=1795404312.494981), Workflow)
    assert workflow.date_created_tsp == datetime(2026, 11, 23, 3, 24, 48, 425319, tzinfo=UTC)
    assert workflow.date_created_tsp.tzinfo is UTC
    assert workflow.date_completed_tsp == datetime(2026, 11, 23, 3, 25, 12, 494981, tzinfo=UTC)
    out = unstructure(workflow)
    assert out["date_created_tsp"] == 1795404288.425319
    assert out["date_completed_tsp"] == 1795404312.494981
    assert type(out["date_created_tsp"]) is float
    assert out["due_date_tsp"] is None


def test_integer_epoch_is_accepted_and_comes_back_as_float() -> None:
    item = structure(
        {"id": 1, "name": "n", "api_name": "a", "status": "active", "date_started_tsp": 1796009087},
        TaskListItem,
    )
    assert item.date_started_tsp == datetime(2026, 11, 30, 3, 24, 47, tzinfo=UTC)
    assert unstructure(item)["date_started_tsp"] == 1796009087.0


def test_datetime_with_another_offset_unstructures_to_the_same_instant() -> None:
    moment = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert (
        converter.unstructure(moment, datetime) == datetime(2026, 1, 1, 10, tzinfo=UTC).timestamp()
    )


@pytest.mark.parametrize("bad", ["2026-11-23T03:24:21Z", True, [1], {"t": 1}])
def test_a_timestamp_that_is_not_a_number_is_rejected(bad: Any) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(date_created_tsp=bad), Workflow)
    assert info.value.field_path == "$.date_created_tsp"
    assert "epoch seconds" in str(info.value)


def test_legacy_iso_fields_are_kept_as_strings() -> None:
    delay = {
        "id": 3,
        "duration": "01:00:00",
        "start_date": "2026-11-23T03:24:21.510319Z",
        "start_date_tsp": 1795404261.510319,
        "end_date": None,
        "end_date_tsp": None,
        "estimated_end_date": "2026-11-23T04:24:21.510319Z",
        "estimated_end_date_tsp": 1795407861.510319,
    }
    workflow = structure(_workflow(tasks=[_task(delay=delay, status="snoozed")]), Workflow)
    task_delay = workflow.tasks[0].delay
    assert task_delay is not None
    assert task_delay.start_date == "2026-11-23T03:24:21.510319Z"
    assert task_delay.start_date_tsp == datetime(2026, 11, 23, 3, 24, 21, 510319, tzinfo=UTC)
    assert unstructure(workflow)["tasks"][0]["delay"] == delay


# --------------------------------------------------------------------------------------------
# Enums


def test_known_enum_values_become_members() -> None:
    workflow = structure(_workflow(status=3), Workflow)
    assert workflow.status is WorkflowStatus.SNOOZED
    assert workflow.tasks[0].status is TaskStatus.ACTIVE
    assert workflow.tasks[0].performers[0].type == "user"


def test_unknown_enum_values_are_kept_raw() -> None:
    workflow = structure(_workflow(status=2, tasks=[_task(status="archived")]), Workflow)
    assert workflow.status == 2
    assert type(workflow.status) is int
    assert workflow.tasks[0].status == "archived"
    assert type(workflow.tasks[0].status) is str


def test_enums_unstructure_to_plain_json_values() -> None:
    out = unstructure(structure(_workflow(status=1, tasks=[_task(status="new-thing")]), Workflow))
    assert out["status"] == 1
    assert type(out["status"]) is int
    assert type(out["tasks"][0]["status"]) is str
    assert out["tasks"][0]["status"] == "new-thing"
    assert type(out["tasks"][0]["performers"][0]["type"]) is str


def test_an_enum_field_still_rejects_the_wrong_json_type() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(status="running"), Workflow)
    assert info.value.field_path == "$.status"
    assert "WorkflowStatus" in str(info.value)
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(status=True), Workflow)
    assert info.value.field_path == "$.status"


def test_a_member_passed_in_is_kept() -> None:
    assert structure(_workflow(status=WorkflowStatus.DONE), Workflow).status is WorkflowStatus.DONE


# --------------------------------------------------------------------------------------------
# Errors name the JSON path


def test_error_names_the_path_of_the_bad_field() -> None:
    body = _workflow(tasks=[_task(), _task(id="five")])
    with pytest.raises(ResponseValidationError) as info:
        structure(body, Workflow)
    error = info.value
    assert error.field_path == "$.tasks[1].id"
    assert error.model == "Workflow"
    assert "expected an integer" in error.args[0]
    assert isinstance(error, PneumaticError)


def test_error_names_a_missing_required_key() -> None:
    task = _task()
    del task["api_name"]
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(tasks=[_task(), _task(), task]), Workflow)
    assert info.value.field_path == "$.tasks[2].api_name"
    assert "missing" in info.value.args[0]


def test_error_blames_a_container_of_the_wrong_type() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(template=["not", "an", "object"]), Workflow)
    assert info.value.field_path == "$.template"
    assert info.value.args[0].startswith("expected an object, got an array")

    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(tasks="abc"), Workflow)
    assert info.value.field_path == "$.tasks"
    assert "expected an array" in info.value.args[0]


def test_error_for_a_top_level_of_the_wrong_type() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure([1, 2], Workflow)
    assert info.value.field_path == "$"
    assert info.value.model == "Workflow"


def test_error_path_inside_a_list_of_models() -> None:
    items = [
        {"id": 1, "name": "a", "api_name": "t1", "status": "active"},
        {"id": 2, "name": "b", "api_name": "t2", "status": "active"},
        {"id": 3, "name": "c", "api_name": "t3", "status": None},
    ]
    with pytest.raises(ResponseValidationError) as info:
        structure(items, list[TaskListItem])
    assert info.value.field_path == "$[2].status"
    assert info.value.model == "list[TaskListItem]"


def test_deep_path_through_lists_and_objects() -> None:
    body = _workflow(
        kickoff={
            "id": 8,
            "output": [
                {"id": 1, "api_name": "a", "name": "A", "type": "string", "value": "x"},
                {"id": 2, "api_name": "b", "name": "B", "type": "user", "user_id": "1"},
            ],
            "fieldsets": [],
        }
    )
    with pytest.raises(ResponseValidationError) as info:
        structure(body, Workflow)
    assert info.value.field_path == "$.kickoff.output[1].user_id"


# --------------------------------------------------------------------------------------------
# Scalars are checked, not coerced


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("name", None, "expected a string, got null"),
        ("name", 5, "expected a string, got a number"),
        ("is_urgent", "false", "expected a boolean"),
        ("is_urgent", 0, "expected a boolean"),
        ("id", True, "expected an integer, got a boolean"),
        ("id", 8.0, "expected an integer, got a number"),
        ("owners", "1", "expected an array"),
        ("owners", {"0": 1}, "expected an array"),
        ("workflow_starter", "1", "expected an integer or null"),
        ("description", 3, "expected a string or null"),
    ],
)
def test_scalars_are_not_coerced(key: str, value: Any, expected: str) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure(_workflow(**{key: value}), Workflow)
    assert info.value.field_path == f"$.{key}"
    assert info.value.args[0].startswith(expected)


def test_float_fields_accept_integers() -> None:
    assert structure(3, float) == 3.0
    assert type(structure(3, float)) is float
    with pytest.raises(ResponseValidationError):
        structure("3", float)


# --------------------------------------------------------------------------------------------
# Request models


def test_new_template_body_leaves_out_what_the_server_assigns() -> None:
    template = NewTemplate(
        name="Onboarding",
        owners=[Owner(type="user", source_id="1", role=OwnerRole.OWNER)],
        tasks=[
            TemplateTask(
                name="Paperwork",
                number=1,
                raw_performers=[RawPerformer(type="workflow_starter")],
                fields=[
                    Field(
                        name="Size",
                        type=FieldType.RADIO,
                        order=1,
                        selections=[Selection(value="S"), Selection(value="M")],
                    )
                ],
            )
        ],
    )
    body = unstructure(template)
    assert body["kickoff"] == {"fields": [], "fieldsets": []}
    assert body["is_active"] is True
    assert "description" not in body
    assert "is_public" not in body
    assert body["owners"] == [{"type": "user", "source_id": "1", "role": "owner"}]
    task = body["tasks"][0]
    assert "id" not in task
    assert "api_name" not in task
    assert task["raw_performers"] == [{"type": "workflow_starter", "source_id": None}]
    assert task["fields"][0]["selections"] == [{"value": "S"}, {"value": "M"}]
    assert task["fields"][0]["type"] == "radio"
    json.dumps(body)


def test_predicate_keeps_null_field_and_value() -> None:
    body = unstructure(Predicate(field_type="kickoff", operator="completed"))
    assert body == {"field_type": "kickoff", "operator": "completed", "field": None, "value": None}


def test_an_owner_from_a_draft_without_role_round_trips_without_role() -> None:
    owner = structure({"source_id": "1", "type": "user", "api_name": "owner-ni5z2o"}, Owner)
    assert owner.role is None
    assert unstructure(owner) == {"source_id": "1", "type": "user", "api_name": "owner-ni5z2o"}


# --------------------------------------------------------------------------------------------
# Documented shapes without a capture (file service, signed-URL chain, Flowdash)


def test_uploaded_file_and_markdown_link() -> None:
    uploaded = structure(
        {"public_url": "https://files.example/abc123", "file_id": "abc123"}, UploadedFile
    )
    assert uploaded.markdown_link("report.pdf") == "[report.pdf](https://files.example/abc123)"
    assert uploaded.markdown_link("a [b]\nc") == "[a (b) c](https://files.example/abc123)"


def test_signed_url_attachment_chain_shapes() -> None:
    upload = structure(
        {"id": 7, "file_upload_url": "https://s/u?sig=1", "thumbnail_upload_url": None},
        AttachmentUpload,
    )
    assert (upload.id, upload.thumbnail_upload_url) == (7, None)
    published = structure(
        {"url": "https://s/f", "thumbnail_url": "https://s/t"}, PublishedAttachment
    )
    assert published.thumbnail_url == "https://s/t"


def test_flowdash_shapes() -> None:
    actions = structure([{"id": "edHR10", "name": "Approve"}], list[Action])
    assert actions == [Action(id="edHR10", name="Approve")]
    pending = structure({"id": "091has", "status": "Pending"}, Execution)
    assert pending.status is ExecutionStatus.PENDING
    assert pending.errors == []
    assert not pending.done
    failed = structure({"id": "091has", "status": "Fail", "errors": ["bad email"]}, Execution)
    assert failed.done
    assert failed.errors == ["bad email"]
    odd = structure({"id": "x", "status": "Cancelled"}, Execution)
    assert odd.status == "Cancelled"
    assert not odd.done


# --------------------------------------------------------------------------------------------
# JSON, with and without orjson


@pytest.fixture(params=["orjson", "stdlib"])
def json_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(_json, "_orjson", None)
    else:
        pytest.importorskip("orjson")
        assert _json._orjson is not None
    return str(request.param)


DOCUMENT = {"name": "Café — naïve ✓", "n": [1, 2.5, True, None], "nested": {"k": "v"}}


def test_dumps_is_compact_utf8(json_backend: str) -> None:
    out = _json.dumps(DOCUMENT)
    assert isinstance(out, bytes)
    assert out == ('{"name":"Café — naïve ✓","n":[1,2.5,true,null],"nested":{"k":"v"}}'.encode())


def test_both_backends_write_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("orjson")
    fast = _json.dumps(DOCUMENT)
    monkeypatch.setattr(_json, "_orjson", None)
    assert _json.dumps(DOCUMENT) == fast


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_dumps_refuses_non_finite_floats(json_backend: str, value: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        _json.dumps({"a": [1, {"b": value}]})


def test_dumps_with_null_but_finite_floats_is_fine(json_backend: str) -> None:
    assert _json.dumps({"a": None, "b": 1.5}) == b'{"a":null,"b":1.5}'


def test_dumps_refuses_types_json_lacks(json_backend: str) -> None:
    with pytest.raises(TypeError):
        _json.dumps({"when": datetime(2026, 1, 1, tzinfo=UTC)})


@pytest.mark.parametrize("data", [b'{"a": [1, "\xc3\xa9"]}', '{"a": [1, "é"]}'])
def test_loads_takes_bytes_and_str(json_backend: str, data: bytes | str) -> None:
    assert _json.loads(data) == {"a": [1, "é"]}


@pytest.mark.parametrize("data", [b"NaN", b'{"a": Infinity}', b"{", b"", b"{'a': 1}", b"\xff"])
def test_loads_rejects_what_is_not_strict_json(json_backend: str, data: bytes) -> None:
    with pytest.raises(ValueError):
        _json.loads(data)


def test_loads_reads_ascii_escaped_json(json_backend: str) -> None:
    assert _json.loads(b'{"name": "\\u2014 dash"}') == {"name": "\u2014 dash"}


def test_an_unstructured_model_dumps(json_backend: str) -> None:
    workflow = structure(_workflow(), Workflow)
    assert _json.loads(_json.dumps(unstructure(workflow))) == json.loads(json.dumps(_workflow()))


def test_an_unsupported_type_is_a_programming_error_not_a_bad_body() -> None:
    class Opaque:
        pass

    with pytest.raises(cattrs.errors.StructureHandlerNotFoundError):
        structure({}, Opaque)


def test_active_tasks_replace_the_docs_current_task() -> None:
    workflow = structure(_workflow(), Workflow)
    assert [task.id for task in workflow.active_tasks] == [4]
    assert structure(_workflow(tasks=[_task(status="completed")]), Workflow).active_tasks == []


def test_user_full_name_and_unknown_status() -> None:
    user = structure(
        {
            "id": 1,
            "email": "o@example.com",
            "first_name": "Olga",
            "last_name": "Owner",
            "status": "suspended",
            "type": "user",
        },
        User,
    )
    assert user.full_name == "Olga Owner"
    assert user.status == "suspended"
    assert user.type is UserType.USER
