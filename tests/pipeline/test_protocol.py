"""The pure protocol pieces: request URLs and queries, the launch body and its checks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pneumatic_async._protocol.launch import (
    checked_kickoff,
    due_date_seconds,
    launch_body,
    run_option_problems,
)
from pneumatic_async._protocol.requests import encode_query, request_url, target_path
from pneumatic_async._protocol.responses import decode_json
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.errors import InvalidValuesError, ResponseValidationError
from pneumatic_async.values import FieldSpec, SpecIndex

BASE = "https://api.example.com/v1"
NOW = 1_900_000_000.0


@pytest.mark.parametrize(
    ("params", "query"),
    [
        (None, ""),
        ({}, ""),
        ({"a": None}, ""),
        ({"a": 1, "b": None, "c": "x y"}, "a=1&c=x%20y"),
        ({"flag": True, "off": False}, "flag=true&off=false"),
        ({"id": [1, 2], "t": ("a", None, "b")}, "id=1&id=2&t=a&t=b"),
        ({"q": "a&b=c/d"}, "q=a%26b%3Dc%2Fd"),
        ({"naïve": "é"}, "na%C3%AFve=%C3%A9"),
    ],
)
def test_encode_query(params: dict[str, object] | None, query: str) -> None:
    assert encode_query(params) == query


def test_request_url_joins_the_base_and_keeps_the_host() -> None:
    assert request_url(BASE, "/templates") == BASE + "/templates"
    assert request_url(BASE, "/t", {"limit": 5}) == BASE + "/t?limit=5"
    # a path that looks like a host stays a path on the configured host
    assert request_url(BASE, "//evil.example.com/x") == BASE + "//evil.example.com/x"
    assert request_url(BASE, "https://s.example.com/f?sig=1", {"a": 1}) == (
        "https://s.example.com/f?sig=1&a=1"
    )
    with pytest.raises(ValueError, match="must start with '/'"):
        request_url(BASE, "templates")


def test_target_path_never_shows_a_query() -> None:
    assert target_path("/templates?secret=1") == "/templates"
    assert target_path("https://s.example.com/f/x?X-Amz-Signature=abc") == "/f/x"
    assert target_path("https://s.example.com") == "/"


def test_decode_json() -> None:
    assert decode_json(b"", method="GET", path="/x") is None
    assert decode_json(b'{"a": [1]}', method="GET", path="/x") == {"a": [1]}
    with pytest.raises(ResponseValidationError) as info:
        decode_json(b"NaN", method="GET", path="/x")
    assert info.value.path == "/x"
    assert info.value.method == "GET"


def test_run_option_problems_none_for_good_or_absent_options() -> None:
    assert run_option_problems(now=NOW) == []
    assert run_option_problems(name=NOT_GIVEN, is_urgent=NOT_GIVEN, due_date=NOT_GIVEN) == []
    assert run_option_problems(name="x", is_urgent=False, due_date=NOW + 1, now=NOW) == []


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"name": ""}, "name", "may not be blank"),
        ({"name": 3}, "name", "must be a string"),
        ({"is_urgent": "yes"}, "is_urgent", "true or false"),
        ({"is_urgent": 1}, "is_urgent", "true or false"),
        ({"due_date": NOW}, "due_date", "greater than current"),
        ({"due_date": "2030-01-01"}, "due_date", "datetime or epoch"),
        ({"due_date": True}, "due_date", "datetime or epoch"),
        ({"due_date": float("nan")}, "due_date", "finite"),
        ({"due_date": date(2000, 1, 1)}, "due_date", "greater than current"),
    ],
)
def test_run_option_problems(options: dict[str, object], field: str, message: str) -> None:
    [problem] = run_option_problems(**options, now=NOW, item=3)  # type: ignore[arg-type]
    assert problem.field == field
    assert message in problem.message
    assert problem.item == 3


def test_due_date_seconds() -> None:
    assert due_date_seconds(datetime(2030, 1, 1, tzinfo=UTC)) == 1893456000
    assert due_date_seconds(datetime(2030, 1, 1)) == 1893456000  # naive is UTC
    assert due_date_seconds(date(2030, 1, 1)) == 1893456000
    assert due_date_seconds(1.5) == 1.5


def test_launch_body() -> None:
    assert launch_body(kickoff=None, name=NOT_GIVEN, is_urgent=NOT_GIVEN, due_date=NOT_GIVEN) == {}
    body = launch_body(
        kickoff={"a": 1},
        name="n",
        is_urgent=True,
        due_date=date(2030, 1, 1),
        ancestor_task_id=9,
    )
    assert body == {
        "kickoff": {"a": 1},
        "name": "n",
        "is_urgent": True,
        "due_date_tsp": 1893456000,
        "ancestor_task_id": 9,
    }
    assert launch_body(kickoff={}, name=None, is_urgent=None, due_date=None) == {
        "kickoff": {},
        "due_date_tsp": None,
    }


_FIELDS = SpecIndex(
    [
        FieldSpec(api_name="who", name="Who", type="user", is_required=True),
        FieldSpec(api_name="note", name="Note", type="string", is_required=False),
    ]
)


def test_a_checked_kickoff_is_encoded_with_user_ids_resolved() -> None:
    encoded = checked_kickoff(
        _FIELDS, {"who": 7, "note": "hi"}, {7: "a@x.io"}, name="Run", is_urgent=False, due_date=None
    )
    assert encoded == {"who": "a@x.io", "note": "hi"}


def test_a_checked_kickoff_reports_run_options_and_fields_together() -> None:
    with pytest.raises(InvalidValuesError) as info:
        checked_kickoff(_FIELDS, {"note": 5}, {}, name=" ", is_urgent="yes", due_date=NOT_GIVEN)
    assert [p.field for p in info.value.problems] == ["name", "is_urgent", "note", "who"]
