"""Raw answers: :class:`RawResponse`, and the collection behind ``client.capture_responses()``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs

from pneumatic_async._pipeline.exchange import Answer
from pneumatic_async._protocol.requests import target_path
from pneumatic_async._protocol.responses import decode_json

__all__ = ["CAPTURED", "RawResponse", "capturing", "raw_response"]


@attrs.frozen(kw_only=True)
class RawResponse:
    """A successful answer as the server sent it, with what the call took.

    ``headers`` are the response headers (cookies left out: the server's hold the API key),
    ``content`` the body bytes, ``elapsed`` the seconds the whole call took (retries included) and
    ``attempts`` how many tries it needed.
    """

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    elapsed: float
    attempts: int
    method: str
    path: str

    def json(self) -> Any:
        """The body decoded as JSON (``None`` when empty)."""
        return decode_json(self.content, method=self.method, path=self.path)


CAPTURED: ContextVar[list[RawResponse] | None] = ContextVar(
    "pneumatic_async_captured_responses", default=None
)


@contextmanager
def capturing() -> Iterator[list[RawResponse]]:
    captured: list[RawResponse] = []
    token = CAPTURED.set(captured)
    try:
        yield captured
    finally:
        CAPTURED.reset(token)


def raw_response(answer: Answer, method: str, path: str) -> RawResponse:
    return RawResponse(
        status_code=answer.status,
        headers={
            str(name).lower(): str(value)
            for name, value in answer.headers.items()
            if str(name).lower() != "set-cookie"
        },
        content=answer.content,
        elapsed=answer.elapsed,
        attempts=answer.attempts,
        method=method,
        path=target_path(path),
    )
