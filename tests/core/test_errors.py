"""Error parsing: every body shape the real server sends maps to the right typed error."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from pneumatic_async import errors
from pneumatic_async._protocol.responses import error_from_response, parse_retry_after
from tests.captures import all_captures

KEY = "pn-SECRETsecretSECRETsecret000001"

EXPECTED_CLASS = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    403: errors.PermissionDeniedError,
    404: errors.NotFoundError,
    405: errors.APIStatusError,
}


def _error_captures() -> list[dict[str, Any]]:
    return [c for c in all_captures() if c["response"]["status"] >= 400]


def _raw_body(capture: dict[str, Any]) -> bytes:
    import json

    body = capture["response"]["body"]
    if capture["response"]["body_kind"] == "json":
        return json.dumps(body).encode()
    return (body or "").encode()


@pytest.mark.parametrize("capture", _error_captures(), ids=lambda c: c["name"])
def test_every_captured_error_maps_to_its_class(capture: dict[str, Any]) -> None:
    response = capture["response"]
    path = urlsplit(capture["request"]["url"]).path
    error = error_from_response(
        method=capture["request"]["method"],
        path=path,
        status_code=response["status"],
        headers={k.lower(): v for k, v in response["headers"].items()},
        content=_raw_body(capture),
    )
    assert type(error) is EXPECTED_CLASS[response["status"]]
    assert error.status_code == response["status"]
    assert error.path == path
    assert error.method == capture["request"]["method"]
    body = response["body"]
    if isinstance(body, dict):
        expected = body.get("message") or body.get("detail")
        assert error.message == expected
        details = body.get("details") or {}
        assert error.field == (details.get("name") or details.get("api_name"))
        assert error.code == body.get("code")
    elif body:  # the Django HTML 404 page
        assert error.message == "Not Found"
    else:  # an empty 404 (webhook-example before any workflow exists)
        assert error.message == "HTTP 404"
    assert KEY not in str(error)


def test_error_captures_cover_every_shape() -> None:
    kinds = {c["response"]["body_kind"] for c in _error_captures()}
    statuses = {c["response"]["status"] for c in _error_captures()}
    assert {"json", "text"} <= kinds
    assert {400, 401, 403, 404} <= statuses


def _error(status: int, content: bytes, **headers: str) -> errors.APIStatusError:
    return error_from_response(
        method="POST", path="/x", status_code=status, headers=headers, content=content
    )


@pytest.mark.parametrize(
    ("status", "content", "cls", "message", "field", "errs"),
    [
        (
            400,
            b'{"code":"validation_error","message":"Bad","details":{"name":"url","reason":"Bad"}}',
            errors.BadRequestError,
            "Bad",
            "url",
            [],
        ),
        (
            400,
            b'{"code":"validation_error","message":"M","details":{"api_name":"f-1","reason":"M"}}',
            errors.BadRequestError,
            "M",
            "f-1",
            [],
        ),
        (
            400,
            b'{"code":"validation_error","message":"No details"}',
            errors.BadRequestError,
            "No details",
            None,
            [],
        ),
        (
            400,
            b'{"code":"validation_error","message":"E","details":{}}',
            errors.BadRequestError,
            "E",
            None,
            [],
        ),
        (
            400,
            b"[\"'x' is an invalid value for the filter\"]",
            errors.BadRequestError,
            "'x' is an invalid value for the filter",
            None,
            ["'x' is an invalid value for the filter"],
        ),
        (
            400,
            b'{"ordering": ["Select a valid choice. X is not one of the available choices."]}',
            errors.BadRequestError,
            "ordering: Select a valid choice. X is not one of the available choices.",
            "ordering",
            ["ordering: Select a valid choice. X is not one of the available choices."],
        ),
        (
            400,
            b'{"detail": "JSON parse error - Expecting value"}',
            errors.BadRequestError,
            "JSON parse error - Expecting value",
            None,
            [],
        ),
        (409, b'{"detail": "conflict"}', errors.ConflictError, "conflict", None, []),
        (
            413,
            b'{"error_code": "file_too_large", "message": "Too big", "error_type": "validation"}',
            errors.APIStatusError,
            "Too big",
            None,
            [],
        ),
        (
            422,
            b'{"status": "Fail", "errors": ["Name is required", "Must be assigned"]}',
            errors.UnprocessableEntityError,
            "Name is required; Must be assigned",
            None,
            ["Name is required", "Must be assigned"],
        ),
        (
            500,
            b"<!doctype html><html><head><title>Server Error (500)</title></head></html>",
            errors.InternalServerError,
            "Server Error (500)",
            None,
            [],
        ),
        (
            500,
            b"Internal Server Error",
            errors.InternalServerError,
            "Internal Server Error",
            None,
            [],
        ),
        (502, b"", errors.InternalServerError, "HTTP 502", None, []),
        (418, b"\xff\xfe not utf-8", errors.APIStatusError, "\ufffd\ufffd not utf-8", None, []),
    ],
)
def test_body_shapes(
    status: int,
    content: bytes,
    cls: type[errors.APIStatusError],
    message: str,
    field: str | None,
    errs: list[str],
) -> None:
    error = _error(status, content)
    assert type(error) is cls
    assert error.message == message
    assert error.field == field
    assert error.errors == errs


def test_rate_limit_reads_retry_after_header_and_body() -> None:
    header = _error(429, b'{"detail": "Request was throttled."}', **{"retry-after": "7"})
    assert isinstance(header, errors.RateLimitError)
    assert header.retry_after == 7.0
    body = _error(429, b'{"detail": "Rate limit exceeded", "retry_after": 60}')
    assert isinstance(body, errors.RateLimitError)
    assert body.retry_after == 60.0
    missing = _error(429, b"")
    assert isinstance(missing, errors.RateLimitError)
    assert missing.retry_after is None


def test_request_id_is_kept() -> None:
    error = _error(404, b'{"detail": "Not found."}', **{"x-request-id": "abc-123"})
    assert error.request_id == "abc-123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0", 0.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("Mon, 23 Nov 2026 10:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 09:59:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


def _all_errors() -> list[errors.PneumaticError]:
    status = _error(400, b'{"code":"validation_error","message":"m","details":{"name":"n"}}')
    return [
        status,
        _error(429, b"{}", **{"retry-after": "3"}),
        errors.ConfigurationError("bad"),
        errors.APIConnectionError("refused", method="GET", path="/t", attempts=2),
        errors.APITimeoutError("slow", method="GET", path="/t"),
        errors.AmbiguousOutcomeError(
            "outcome unknown", method="POST", path="/templates/1/run", attempts=1, cause=status
        ),
        errors.ResponseValidationError("bad", field_path="$.id", model="Workflow"),
        errors.InvalidValuesError([errors.FieldProblem(field="a", message="b", item=3)]),
        errors.TaskSelectionError("none", workflow_id=1, active_task_ids=[]),
        errors.UploadError("boom", stage="put"),
        errors.InvalidWebhookPayloadError("not json"),
    ]


@pytest.mark.parametrize("error", _all_errors(), ids=lambda e: type(e).__name__)
def test_errors_pickle(error: errors.PneumaticError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert clone.__dict__.keys() == error.__dict__.keys()


def test_ambiguous_outcome_names_the_cause() -> None:
    cause = _error(500, b"Internal Server Error")
    error = errors.AmbiguousOutcomeError(
        "outcome unknown", method="POST", path="/templates/1/run", attempts=1, cause=cause
    )
    assert error.status_code == 500
    assert "may or may not have been applied" in str(error)
    assert "POST /templates/1/run" in str(error)


def test_invalid_values_lists_every_problem() -> None:
    error = errors.InvalidValuesError(
        [
            errors.FieldProblem(field="priority", message="not a choice"),
            errors.FieldProblem(field="due", message="not a date", item=4),
        ]
    )
    assert "2 invalid value(s)" in str(error)
    assert "priority: not a choice" in str(error)
    assert "item 4: due: not a date" in str(error)
