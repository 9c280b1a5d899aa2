"""SDK errors as HTTP answers: :func:`install_error_handlers` (opt-in).

* ``InvalidValuesError`` -> 422, ``problems``: ``[{"field", "message", "item"}]``;
* ``NotFoundError`` -> 404 with the server's message;
* ``RateLimitError`` -> 503 with ``Retry-After`` (seconds, at least 1);
* ``AmbiguousOutcomeError`` -> 502, saying the action may have happened
  (``"may_have_happened": true``);
* ``APIConnectionError`` (timeouts included) -> 504;
* ``AuthenticationError`` and ``PermissionDeniedError`` -> 502.

Every body is JSON with a ``detail`` text, as FastAPI's own errors. A 401/403 from Pneumatic is
about the app's API key, not the caller's credentials, hence 502 (a bad upstream). Other SDK
errors are left to the app (FastAPI answers them 500).
"""

from __future__ import annotations

import logging
import math
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    AuthenticationError,
    InvalidValuesError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = ["install_error_handlers"]

logger: Final = logging.getLogger("pneumatic_async.fastapi")


def _answer(status: int, detail: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


async def _invalid_values(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidValuesError)
    problems = [
        {"field": problem.field, "message": problem.message, "item": problem.item}
        for problem in exc.problems
    ]
    return _answer(422, str(exc), problems=problems)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFoundError)
    return _answer(404, exc.message or "Not found.")


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitError)
    retry_after = max(1, math.ceil(exc.retry_after or 1))
    return _answer(
        503,
        "Pneumatic is rate limiting this service; try again later.",
        headers={"Retry-After": str(retry_after)},
    )


async def _ambiguous(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AmbiguousOutcomeError)
    logger.warning(
        "ambiguous Pneumatic outcome in %s %s: %s", request.method, request.url.path, exc
    )
    return _answer(
        502,
        "The request to Pneumatic failed after it was sent: the action may have happened. "
        "Check its result before trying again.",
        may_have_happened=True,
    )


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("Pneumatic unreachable in %s %s: %s", request.method, request.url.path, exc)
    return _answer(504, "Pneumatic did not answer in time.")


async def _refused_key(request: Request, exc: Exception) -> JSONResponse:
    logger.error("Pneumatic refused this service's API key: %s", exc)
    return _answer(502, "This service's Pneumatic credentials were refused.")


_HANDLERS: Final = (
    (InvalidValuesError, _invalid_values),
    (NotFoundError, _not_found),
    (RateLimitError, _rate_limited),
    (AmbiguousOutcomeError, _ambiguous),
    (APIConnectionError, _unreachable),
    (AuthenticationError, _refused_key),
    (PermissionDeniedError, _refused_key),
)


def install_error_handlers(app: FastAPI) -> None:
    """Answer the SDK errors of the module's table with their HTTP status instead of a 500."""
    for error, handler in _HANDLERS:
        app.add_exception_handler(error, handler)
