"""Errors raised by pneumatic-async.

Every error the SDK raises derives from :class:`PneumaticError`::

    PneumaticError
    ├── ConfigurationError            bad client settings (missing or malformed API key, base URL)
    ├── APIConnectionError            no HTTP response was received
    │   └── APITimeoutError           ... because a timeout expired
    ├── AmbiguousOutcomeError         a non-idempotent request (e.g. a launch) may or may not
    │                                 have been applied: 5xx, read timeout, dropped connection
    ├── APIStatusError                the server answered with an error status
    │   ├── BadRequestError           400: the server's ``validation_error`` and other 400 shapes
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── UnprocessableEntityError  422 (Flowdash: unmet action requirements)
    │   ├── RateLimitError            429, with ``retry_after``
    │   └── InternalServerError       5xx
    ├── ResponseValidationError       a 2xx body does not fit its model (names the field path)
    ├── InvalidValuesError            kickoff/output values rejected before sending, per field
    ├── TaskSelectionError            no active task, or several, for ``complete_current_task``
    ├── UploadError                   a file upload failed; ``stage`` names the failing step
    └── InvalidWebhookPayloadError    a webhook body is not a Pneumatic event

Status errors carry the request's method and path (never its query string, which may hold a
signed URL's signature), the status, the parsed body, the request id when the server sent one and
the number of attempts made. Every error pickles. Messages never contain the API key.

The classes only: building an error from a status, headers and body bytes is
:func:`pneumatic_async._protocol.responses.error_from_response` (pure, tested without a network).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pneumatic_async.models.flowdash import Execution

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousOutcomeError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ExecutionTimeoutError",
    "FieldProblem",
    "InternalServerError",
    "InvalidValuesError",
    "InvalidWebhookPayloadError",
    "NotFoundError",
    "PermissionDeniedError",
    "PneumaticError",
    "RateLimitError",
    "ResponseValidationError",
    "TaskSelectionError",
    "ResponseTooLargeError",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UploadError",
]


def _restore(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    exc = cls.__new__(cls)
    BaseException.__init__(exc, *args)
    return exc


class PneumaticError(Exception):
    """Base class of every error raised by pneumatic-async."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors don't survive the default Exception pickling.
        return (_restore, (type(self), self.args), dict(self.__dict__))


class ConfigurationError(PneumaticError, ValueError):
    """The client was configured with a missing or malformed setting."""


class APIConnectionError(PneumaticError):
    """No HTTP response was received (connection refused, DNS failure, dropped connection).

    ``may_have_been_sent`` tells whether the request may have reached the server (a dropped
    connection or a read timeout) or provably did not (connection refused, connect timeout).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        attempts: int = 1,
        may_have_been_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.attempts = attempts
        self.may_have_been_sent = may_have_been_sent

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.method} {self.path}, {self.attempts} attempt(s))"


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout expired before a response arrived."""


class AmbiguousOutcomeError(PneumaticError):
    """A non-idempotent request may or may not have been applied by the server.

    Raised instead of retrying a POST after a 5xx answer, a read timeout or a connection dropped
    after the request was sent: a real Pneumatic server answered launches with 500 *after*
    creating the workflow, so sending again could launch a second one. ``cause`` is the error
    that made the outcome unknown. Reconcile by looking the object up (the bulk launcher does
    this with launch tokens) before deciding to send again.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        attempts: int,
        cause: PneumaticError,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.attempts = attempts
        self.cause = cause

    @property
    def status_code(self) -> int | None:
        """The status of the ambiguous answer, when there was one (5xx)."""
        return self.cause.status_code if isinstance(self.cause, APIStatusError) else None

    def __str__(self) -> str:
        return (
            f"{self.args[0]}: {self.method} {self.path} may or may not have been applied "
            f"({self.cause}); look it up before sending it again"
        )


class APIStatusError(PneumaticError):
    """The server answered with an error status (4xx/5xx).

    Attributes: ``status_code``, ``method``, ``path``, ``body`` (parsed JSON, or the text of a
    non-JSON body), ``code`` and ``message`` (the server's ``validation_error`` shape, or DRF's
    ``detail``), ``details`` (a dict, possibly empty), ``field`` (``details.name`` or
    ``details.api_name``: the input the server rejected), ``errors`` (a list of messages, from a
    bare JSON array or a Flowdash ``errors`` list), ``request_id`` and ``attempts``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str,
        path: str,
        body: Any = None,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
        errors: Sequence[str] = (),
        request_id: str | None = None,
        attempts: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.headers: dict[str, str] = dict(headers or {})
        self.message = message
        self.status_code = status_code
        self.method = method
        self.path = path
        self.body = body
        self.code = code
        self.details: dict[str, Any] = dict(details or {})
        self.errors = list(errors)
        self.request_id = request_id
        self.attempts = attempts

    @property
    def field(self) -> str | None:
        """The field or entity the server named as invalid (``details.name``/``api_name``)."""
        name = self.details.get("name") or self.details.get("api_name")
        return str(name) if name is not None else None

    @property
    def reason(self) -> str | None:
        """``details.reason`` when the server gave one."""
        reason = self.details.get("reason")
        return str(reason) if reason is not None else None

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.status_code} on {self.method} {self.path}{where}: {self.message}"


class BadRequestError(APIStatusError):
    """400: the request was rejected (``code == "validation_error"`` for most endpoints)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, unknown, revoked or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the key's user may not do this (or the object is not visible to it)."""


class NotFoundError(APIStatusError):
    """404: the object does not exist, or the route does not exist on this server."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the object's current state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but cannot be carried out (see ``errors``)."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the server's requested delay in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the server failed (its body is often an HTML or plain-text page)."""


class UnexpectedStatusError(APIStatusError):
    """1xx or 3xx: an answer the API never gives (it does not redirect; nothing follows one)."""

    @property
    def location(self) -> str | None:
        """Where a 3xx answer pointed (never followed), when the server said."""
        value = self.headers.get("location")
        return str(value) if value is not None else None


class ResponseTooLargeError(PneumaticError):
    """A response body was larger than the client's ``max_response_bytes``; reading stopped.

    The request itself was answered (so a POST was applied); only its body was refused.
    """

    def __init__(self, *, limit: int, method: str, path: str, status_code: int) -> None:
        super().__init__(f"the response body is larger than {limit} bytes")
        self.limit = limit
        self.method = method
        self.path = path
        self.status_code = status_code

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.status_code} on {self.method} {self.path})"


class ResponseValidationError(PneumaticError):
    """A successful response body does not fit the SDK's model.

    ``field_path`` names the offending JSON path (e.g. ``$.tasks[0].id``), ``model`` the model
    being decoded; ``method``/``path`` the request, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        field_path: str,
        model: str,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.field_path = field_path
        self.model = model
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" from {self.method} {self.path}" if self.method else ""
        return f"cannot decode {self.model}{where}: {self.field_path}: {self.args[0]}"


@attrs.frozen(kw_only=True)
class FieldProblem:
    """One rejected kickoff/output value: the field's api_name and what is wrong with it.

    ``item`` is the position of the input item in a bulk launch (``None`` for a single launch).
    """

    field: str
    message: str
    item: int | None = None

    def __str__(self) -> str:
        prefix = f"item {self.item}: " if self.item is not None else ""
        return f"{prefix}{self.field}: {self.message}"


class InvalidValuesError(PneumaticError, ValueError):
    """Kickoff or task output values were rejected before any request was sent.

    ``problems`` holds one :class:`FieldProblem` per bad field (all of them, not just the first,
    unlike the server, which reports one at a time).
    """

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(f"{len(self.problems)} invalid value(s): {lines}")


class ExecutionTimeoutError(PneumaticError, TimeoutError):
    """A Flowdash action execution was still unfinished when ``actions.wait()`` timed out.

    ``execution`` is the last state polled (``None`` when no poll answered in time); also
    ``workflow_id``, ``execution_id``, ``timeout`` (seconds) and ``polls`` (how many were made).
    A ``TimeoutError`` too.
    """

    def __init__(
        self,
        message: str,
        *,
        execution: Execution | None,
        workflow_id: str,
        execution_id: str,
        timeout: float,
        polls: int,
    ) -> None:
        super().__init__(message)
        self.execution = execution
        self.workflow_id = workflow_id
        self.execution_id = execution_id
        self.timeout = timeout
        self.polls = polls


class TaskSelectionError(PneumaticError):
    """``complete_current_task`` found no active task, or several, in the workflow."""

    def __init__(self, message: str, *, workflow_id: int, active_task_ids: Sequence[int]) -> None:
        super().__init__(message)
        self.workflow_id = workflow_id
        self.active_task_ids = list(active_task_ids)


class UploadError(PneumaticError):
    """A file upload failed; ``stage`` names the failing step (``"create"``, ``"put"``...)."""

    def __init__(self, message: str, *, stage: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.cause = cause

    def __str__(self) -> str:
        return f"upload failed at stage {self.stage!r}: {self.args[0]}"


class InvalidWebhookPayloadError(PneumaticError, ValueError):
    """A webhook request body is not a Pneumatic event (not JSON, not an object, no hook)."""
