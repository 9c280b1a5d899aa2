"""pneumatic-async: a typed async Python SDK for the Pneumatic workflow API.

>>> import anyio
>>> from pneumatic_async import Pneumatic
>>> async def main() -> None:
...     async with Pneumatic() as client:  # PNEUMATIC_API_KEY from the environment
...         workflow = await client.templates.run(42, kickoff={"client-name": "ACME"})
...         print(workflow.id, workflow.name)
"""

from __future__ import annotations

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
