"""Error classes and error-body parsing at their edges: every attribute, default and message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pneumatic_async import errors
from pneumatic_async._protocol.responses import error_from_response, parse_retry_after
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    FieldProblem,
    InternalServerError,
    InvalidValuesError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    TaskSelectionError,
    UploadError,
)

NOW = datetime(2015, 10, 21, 7, 27, tzinfo=UTC)


def _error(status: int, content: bytes, **headers: str) -> APIStatusError:
    return error_from_response(
        method="POST",
        path="/templates/1/run",
        status_code=status,
        headers=headers,
        content=content,
        now=NOW,
    )


# --------------------------------------------------------------------------------------------
# The classes


def test_connection_error_attributes_and_message() -> None:
    error = APIConnectionError("connection refused", method="GET", path="/templates")
    assert error.args == ("connection refused",)
    assert (error.method, error.path, error.attempts) == ("GET", "/templates", 1)
    assert str(error) == "connection refused (GET /templates, 1 attempt(s))"
    timeout = APITimeoutError("read timeout", method="POST", path="/x", attempts=3)
    assert str(timeout) == "read timeout (POST /x, 3 attempt(s))"
    assert isinstance(timeout, APIConnectionError)


def test_ambiguous_outcome_attributes_and_message() -> None:
    cause = InternalServerError("boom", status_code=502, method="POST", path="/templates/1/run")
    error = AmbiguousOutcomeError(
        "launch outcome unknown", method="POST", path="/templates/1/run", attempts=2, cause=cause
    )
    assert error.args == ("launch outcome unknown",)
    assert (error.method, error.path, error.attempts) == ("POST", "/templates/1/run", 2)
    assert error.cause is cause
    assert error.status_code == 502
    assert str(error) == (
        "launch outcome unknown: POST /templates/1/run may or may not have been applied "
        "(502 on POST /templates/1/run: boom); look it up before sending it again"
    )
    dropped = APIConnectionError("dropped", method="POST", path="/x")
    unknown = AmbiguousOutcomeError("?", method="POST", path="/x", attempts=1, cause=dropped)
    assert unknown.status_code is None


def test_status_error_defaults_and_message() -> None:
    error = APIStatusError("nope", status_code=418, method="GET", path="/teapot")
    assert error.args == ("nope",)
    assert (error.message, error.status_code, error.method, error.path) == (
        "nope",
        418,
        "GET",
        "/teapot",
    )
    assert error.body is None
    assert error.code is None
    assert error.details == {}
    assert error.errors == []
    assert error.request_id is None
    assert error.attempts == 1
    assert error.field is None
    assert error.reason is None
    assert str(error) == "418 on GET /teapot: nope"


def test_status_error_field_and_reason() -> None:
    error = errors.BadRequestError(
        "Invalid value",
        status_code=400,
        method="POST",
        path="/templates/1/run",
        body={"code": "validation_error"},
        code="validation_error",
        details={"api_name": "priority", "reason": "not a choice"},
        errors=["a", "b"],
        request_id="req-1",
        attempts=2,
    )
    assert error.body == {"code": "validation_error"}
    assert error.field == "priority"
    assert error.reason == "not a choice"
    assert error.errors == ["a", "b"]
    assert (error.request_id, error.attempts) == ("req-1", 2)
    assert str(error) == "400 on POST /templates/1/run [priority]: Invalid value"
    by_name = APIStatusError("x", status_code=400, method="GET", path="/", details={"name": 7})
    assert by_name.field == "7"
    assert APIStatusError(
        "x", status_code=400, method="GET", path="/", details={"reason": 0}
    ).reason == ("0")


def test_rate_limit_error_keeps_message_and_retry_after() -> None:
    error = RateLimitError("slow down", retry_after=2.5, status_code=429, method="GET", path="/")
    assert error.args == ("slow down",)
    assert error.message == "slow down"
    assert error.retry_after == 2.5
    assert RateLimitError("x", status_code=429, method="GET", path="/").retry_after is None


def test_response_validation_error_attributes_and_message() -> None:
    error = ResponseValidationError(
        "expected int", field_path="$.id", model="Workflow", method="GET", path="/workflows/1"
    )
    assert error.args == ("expected int",)
    assert (error.field_path, error.model, error.method, error.path) == (
        "$.id",
        "Workflow",
        "GET",
        "/workflows/1",
    )
    assert str(error) == "cannot decode Workflow from GET /workflows/1: $.id: expected int"
    bare = ResponseValidationError("bad", field_path="$", model="Page")
    assert (bare.method, bare.path) == (None, None)
    assert str(bare) == "cannot decode Page: $: bad"


def test_field_problem_and_invalid_values_message() -> None:
    problems = [
        FieldProblem(field="tier", message="not a choice"),
        FieldProblem(field="due", message="not a date", item=3),
    ]
    error = InvalidValuesError(problems)
    assert error.problems == problems
    assert str(error) == "2 invalid value(s): tier: not a choice; item 3: due: not a date"
    assert problems[0].item is None
    assert str(FieldProblem(field="a", message="b", item=0)) == "item 0: a: b"


def test_task_selection_and_upload_errors() -> None:
    selection = TaskSelectionError("2 active tasks", workflow_id=9, active_task_ids=(4, 5))
    assert selection.args == ("2 active tasks",)
    assert (selection.workflow_id, selection.active_task_ids) == (9, [4, 5])
    cause = OSError("disk")
    upload = UploadError("PUT failed", stage="put", cause=cause)
    assert upload.args == ("PUT failed",)
    assert (upload.stage, upload.cause) == ("put", cause)
    assert str(upload) == "upload failed at stage 'put': PUT failed"
    assert UploadError("x", stage="create").cause is None


# --------------------------------------------------------------------------------------------
# Parsing error bodies


def test_html_page_without_title_is_stripped_to_text() -> None:
    error = _error(502, b"<html><body><p>Bad</p><p>gateway</p>\n  <b>nginx</b></body></html>")
    assert isinstance(error, InternalServerError)
    assert error.message == "Bad gateway nginx"
    assert error.body == "<html><body><p>Bad</p><p>gateway</p>\n  <b>nginx</b></body></html>"


def test_html_title_wins_and_entities_are_unescaped() -> None:
    page = b"<html><head><title>Server &amp; Error (500)</title></head><body>x</body></html>"
    assert _error(500, page).message == "Server & Error (500)"


@pytest.mark.parametrize(("length", "suffix"), [(199, ""), (200, ""), (201, "…")])
def test_long_text_bodies_are_cut_at_200_characters(length: int, suffix: str) -> None:
    error = _error(503, b"x" * length)
    assert error.message == "x" * min(length, 200) + suffix


def test_undecodable_text_is_replaced_not_raised() -> None:
    error = _error(500, b"caf\xe9 down")
    assert error.body == "caf\ufffd down"
    assert error.message == "caf\ufffd down"


def test_json_scalar_body_is_the_message() -> None:
    error = _error(500, b'"Service unavailable"')
    assert error.body == "Service unavailable"
    assert error.message == "Service unavailable"
    assert _error(500, b"42").message == "42"
    null = _error(404, b"null")
    assert (null.body, null.message) == (None, "HTTP 404")
    assert str(null) == "404 on POST /templates/1/run: HTTP 404"


def test_bare_array_body() -> None:
    error = _error(400, b'["first", "second"]')
    assert error.errors == ["first", "second"]
    assert error.message == "first; second"
    assert error.code is None


def test_file_service_error_code_and_missing_code() -> None:
    error = _error(400, b'{"error_code": "file_too_large", "message": "Too big"}')
    assert error.code == "file_too_large"
    assert error.message == "Too big"
    assert _error(400, b'{"message": "x"}').code is None
    assert _error(400, b'{"code": 7, "message": "x"}').code == "7"


def test_form_errors_with_several_keys_and_scalar_values() -> None:
    error = _error(400, b'{"ordering": ["Select a valid choice.", "Again."], "limit": "bad"}')
    assert error.message == "ordering: Select a valid choice.; Again.; limit: bad"
    assert error.errors == ["ordering: Select a valid choice.; Again.", "limit: bad"]
    assert error.field == "ordering"


def test_flowdash_errors_list_is_the_message() -> None:
    error = _error(422, b'{"status": "Fail", "errors": ["one", 2]}')
    assert error.errors == ["one", "2"]
    assert error.message == "one; 2"


def test_request_id_from_either_header() -> None:
    assert _error(400, b"{}", **{"request-id": "r-2"}).request_id == "r-2"
    assert _error(400, b"{}", **{"x-request-id": "r-1", "request-id": "r-2"}).request_id == "r-1"


def test_rate_limit_retry_after_sources() -> None:
    dated = _error(429, b"", **{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert isinstance(dated, RateLimitError)
    assert dated.retry_after == 60.0
    assert dated.message == "HTTP 429"
    assert _error(429, b'{"detail": "slow", "retry_after": 5}').retry_after == 5.0
    assert _error(429, b'{"detail": "slow", "retry_after": "5"}').retry_after is None
    assert _error(429, b'{"detail": "slow"}').message == "slow"


def test_not_found_keeps_attempts() -> None:
    error = error_from_response(
        method="GET", path="/x", status_code=404, headers={}, content=b"", attempts=3
    )
    assert isinstance(error, NotFoundError)
    assert error.attempts == 3
    assert error_from_response(
        method="GET", path="/x", status_code=404, headers={}, content=b""
    ).attempts == (1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  120  ", 120.0),
        ("\t2.5\n", 2.5),
        ("  Wed, 21 Oct 2015 07:28:00 GMT  ", 60.0),
        # a date without a zone (or "-0000") is taken as UTC
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),
        ("Wed, 21 Oct 2015 07:28:00", 60.0),
        ("Wed, 21 Oct 2015 09:28:00 +0200", 60.0),
        ("Wed, 21 Oct 2015 07:26:00 GMT", 0.0),
        ("nan", None),
        ("-5", 0.0),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_forms(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_date_against_the_clock() -> None:
    seconds = parse_retry_after("Fri, 01 Jan 2100 00:00:00 GMT")
    assert seconds is not None
    assert seconds > 365 * 24 * 3600
    naive = parse_retry_after("Fri, 01 Jan 2100 00:00:00")
    assert naive is not None
    assert abs(naive - seconds) < 60


def test_connection_error_may_have_been_sent_by_default() -> None:
    assert APIConnectionError("x", method="GET", path="/").may_have_been_sent is True
    refused = APIConnectionError("x", method="GET", path="/", may_have_been_sent=False)
    assert refused.may_have_been_sent is False


def test_status_error_headers() -> None:
    assert APIStatusError("x", status_code=400, method="GET", path="/").headers == {}
    error = APIStatusError(
        "x", status_code=400, method="GET", path="/", headers={"retry-after": "1"}
    )
    assert error.headers == {"retry-after": "1"}


def test_response_too_large_error() -> None:
    error = errors.ResponseTooLargeError(
        limit=1024, method="GET", path="/workflows", status_code=200
    )
    assert error.args == ("the response body is larger than 1024 bytes",)
    assert (error.limit, error.method, error.path, error.status_code) == (
        1024,
        "GET",
        "/workflows",
        200,
    )
    assert str(error) == "the response body is larger than 1024 bytes (200 on GET /workflows)"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (100, errors.UnexpectedStatusError),
        (199, errors.UnexpectedStatusError),
        (200, APIStatusError),
        (299, APIStatusError),
        (300, errors.UnexpectedStatusError),
        (301, errors.UnexpectedStatusError),
        (304, errors.UnexpectedStatusError),
        (399, errors.UnexpectedStatusError),
        (400, errors.BadRequestError),
        (418, APIStatusError),
        (499, APIStatusError),
        (500, InternalServerError),
        (599, InternalServerError),
    ],
)
def test_status_classes_at_their_boundaries(status: int, cls: type[APIStatusError]) -> None:
    error = _error(status, b'{"message": "m"}')
    assert type(error) is cls
    if cls is errors.UnexpectedStatusError:
        assert error.message == (
            f"unexpected HTTP {status} (the API never redirects; not followed)"
        )
    else:
        assert error.message == "m"


def test_cookies_and_credentials_are_never_kept_whatever_their_case() -> None:
    error = _error(
        400,
        b"{}",
        **{"Set-Cookie": "k=v", "AUTHORIZATION": "Bearer x", "Cookie": "c", "X-Other": "Y"},
    )
    assert error.headers == {"x-other": "Y"}


def test_secrets_are_redacted_from_body_and_headers() -> None:
    key = "pn-SECRETsecretSECRETsecret000001"
    error = error_from_response(
        method="GET",
        path="/x",
        status_code=400,
        headers={"X-Echo": f"Bearer {key}"},
        content=b'{"message": "bad key ' + key.encode() + b'"}',
        secrets=("", key),
    )
    assert error.message == "bad key [REDACTED]"
    assert error.body == {"message": "bad key [REDACTED]"}
    assert error.headers == {"x-echo": "Bearer [REDACTED]"}
    untouched = error_from_response(
        method="GET",
        path="/x",
        status_code=400,
        headers={},
        content=b'{"message": "plain"}',
        secrets=("",),
    )
    assert untouched.body == {"message": "plain"}


def test_decode_json_error_names_the_request() -> None:
    from pneumatic_async._protocol.responses import decode_json

    assert decode_json(b"", method="GET", path="/x") is None
    assert decode_json(b'{"a": 1}', method="GET", path="/x") == {"a": 1}
    with pytest.raises(ResponseValidationError) as caught:
        decode_json(b"<html>", method="POST", path="/templates/1/run")
    error = caught.value
    assert (error.field_path, error.model, error.method, error.path) == (
        "$",
        "JSON",
        "POST",
        "/templates/1/run",
    )
    assert str(error).startswith(
        "cannot decode JSON from POST /templates/1/run: $: the response body is not JSON ("
    )


def test_execution_timeout_error_attributes() -> None:
    last_state: Any = object()  # the last polled Execution; any object is kept as given
    error = errors.ExecutionTimeoutError(
        "still running",
        execution=last_state,
        workflow_id="wf",
        execution_id="ex",
        timeout=2.5,
        polls=3,
    )
    assert error.args == ("still running",)
    assert error.execution is last_state
    assert (error.workflow_id, error.execution_id) == ("wf", "ex")
    assert (error.timeout, error.polls) == (2.5, 3)
    assert isinstance(error, TimeoutError)
    assert isinstance(error, errors.PneumaticError)
