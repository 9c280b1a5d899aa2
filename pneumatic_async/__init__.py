"""pneumatic-async: a typed async Python SDK for the Pneumatic workflow API.

>>> import anyio
>>> from pneumatic_async import Pneumatic
>>> async def main() -> None:
...     async with Pneumatic() as client:  # PNEUMATIC_API_KEY from the environment
...         workflow = await client.templates.run(42, kickoff={"client-name": "ACME"})
...         print(workflow.id, workflow.name)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Every public name is imported on first use (PEP 562), so that ``import pneumatic_async`` costs
# almost nothing: the HTTP stack, the models, the converter and the webhook events load when a
# program first touches them (``from pneumatic_async import Pneumatic`` loads the client only).
if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient, RawResponse
    from pneumatic_async._flowdash import Flowdash
    from pneumatic_async._options import DEFAULT_TIMEOUT, Timeout
    from pneumatic_async._types import NOT_GIVEN, NotGiven
    from pneumatic_async._version import __version__
    from pneumatic_async.client import Pneumatic
    from pneumatic_async.errors import (
        AmbiguousOutcomeError,
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        ExecutionTimeoutError,
        FieldProblem,
        InternalServerError,
        InvalidValuesError,
        InvalidWebhookPayloadError,
        NotFoundError,
        PermissionDeniedError,
        PneumaticError,
        RateLimitError,
        ResponseTooLargeError,
        ResponseValidationError,
        TaskSelectionError,
        UnexpectedStatusError,
        UnprocessableEntityError,
        UploadError,
    )
    from pneumatic_async.events import WebhookEvent, parse_event
    from pneumatic_async.pagination import Page, Paginator
    from pneumatic_async.resources.files import files_value
    from pneumatic_async.retries import RetryEvent, RetryPolicy

_LAZY: dict[str, str] = {
    "BaseClient": "pneumatic_async._base_client",
    "RawResponse": "pneumatic_async._base_client",
    "Flowdash": "pneumatic_async._flowdash",
    "DEFAULT_TIMEOUT": "pneumatic_async._options",
    "Timeout": "pneumatic_async._options",
    "NOT_GIVEN": "pneumatic_async._types",
    "NotGiven": "pneumatic_async._types",
    "__version__": "pneumatic_async._version",
    "Pneumatic": "pneumatic_async.client",
    "AmbiguousOutcomeError": "pneumatic_async.errors",
    "APIConnectionError": "pneumatic_async.errors",
    "APIStatusError": "pneumatic_async.errors",
    "APITimeoutError": "pneumatic_async.errors",
    "AuthenticationError": "pneumatic_async.errors",
    "BadRequestError": "pneumatic_async.errors",
    "ConfigurationError": "pneumatic_async.errors",
    "ConflictError": "pneumatic_async.errors",
    "FieldProblem": "pneumatic_async.errors",
    "InternalServerError": "pneumatic_async.errors",
    "ExecutionTimeoutError": "pneumatic_async.errors",
    "InvalidValuesError": "pneumatic_async.errors",
    "InvalidWebhookPayloadError": "pneumatic_async.errors",
    "NotFoundError": "pneumatic_async.errors",
    "PermissionDeniedError": "pneumatic_async.errors",
    "PneumaticError": "pneumatic_async.errors",
    "RateLimitError": "pneumatic_async.errors",
    "ResponseTooLargeError": "pneumatic_async.errors",
    "ResponseValidationError": "pneumatic_async.errors",
    "TaskSelectionError": "pneumatic_async.errors",
    "UnexpectedStatusError": "pneumatic_async.errors",
    "UnprocessableEntityError": "pneumatic_async.errors",
    "UploadError": "pneumatic_async.errors",
    "WebhookEvent": "pneumatic_async.events",
    "parse_event": "pneumatic_async.events",
    "Page": "pneumatic_async.pagination",
    "Paginator": "pneumatic_async.pagination",
    "files_value": "pneumatic_async.resources.files",
    "RetryEvent": "pneumatic_async.retries",
    "RetryPolicy": "pneumatic_async.retries",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousOutcomeError",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "ConfigurationError",
    "ConflictError",
    "ExecutionTimeoutError",
    "FieldProblem",
    "Flowdash",
    "InternalServerError",
    "InvalidValuesError",
    "InvalidWebhookPayloadError",
    "NotFoundError",
    "NotGiven",
    "Page",
    "Paginator",
    "PermissionDeniedError",
    "Pneumatic",
    "PneumaticError",
    "RawResponse",
    "RateLimitError",
    "ResponseValidationError",
    "RetryEvent",
    "RetryPolicy",
    "TaskSelectionError",
    "Timeout",
    "ResponseTooLargeError",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "UploadError",
    "WebhookEvent",
    "__version__",
    "files_value",
    "parse_event",
]
