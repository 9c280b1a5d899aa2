"""The last step of the pipeline: one HTTP exchange through the transport seam.

An :class:`Exchange` sends one request and reads its whole body, bounded by ``max_bytes`` while
reading (a ``Content-Length`` over the cap stops before reading anything). It is also where the
``Authorization`` header is added, from the :class:`~pneumatic_async._secret.ApiKey` itself, so
no frame of the SDK holds the raw key in a local variable. Transport failures become
:class:`~pneumatic_async.errors.APIConnectionError` (or ``APITimeoutError``) saying whether the
request may have reached the server; the transport's own exception is kept as the cause with its
traceback cleared (library frames' locals hold the request headers).

Two implementations behind one interface:

* :class:`HttpxExchange` - any ``httpx.AsyncBaseTransport`` (``transport=``), or a caller-owned
  ``httpx.AsyncClient`` (``http_client=``, through its ``send``);
* the default asyncio path: when the transport is the SDK's aiohttp transport, its
  :meth:`~pneumatic_async._http.aiohttp.AiohttpTransport.exchange` is called directly, without
  building ``httpx.Request``/``Response`` objects (the same seam, a cheaper call).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Protocol

from pneumatic_async._http import SendFailure, classify, httpx, is_timeout
from pneumatic_async._logging import redact
from pneumatic_async._secret import ApiKey
from pneumatic_async.errors import APIConnectionError, APITimeoutError, ResponseTooLargeError

__all__ = ["Answer", "Body", "Exchange", "HttpxExchange", "connection_error"]

#: A request body: bytes, a factory of a fresh byte stream per attempt, or nothing.
Body = bytes | Callable[[], AsyncIterable[bytes]] | None


class Answer:
    """A response read in full: status, headers (case-insensitive ``get``) and body bytes."""

    __slots__ = ("attempts", "content", "elapsed", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        #: The attempts the call took and its seconds in all (set by the send step).
        self.attempts = 1
        self.elapsed = 0.0


class Exchange(Protocol):
    """Sends one request and reads its answer (the pipeline's only I/O)."""

    async def __call__(
        self,
        method: str,
        url: str,
        *,
        path: str,
        headers: dict[str, str],
        content: Body,
        timeout: httpx.Timeout,
        key: ApiKey | None,
        max_bytes: int,
    ) -> Answer: ...


def _scrubbed(exc: BaseException) -> BaseException:
    """``exc`` with the tracebacks of it and its causes cleared (their frames hold headers)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return exc


def connection_error(
    exc: BaseException, *, method: str, path: str, key: ApiKey | None
) -> APIConnectionError:
    """The typed error for a transport exception (``TypeError`` when it is not one)."""
    failure = classify(exc)
    if failure is None:
        raise TypeError(f"not a transport error: {type(exc).__name__}")
    message = f"{type(exc).__name__}: {exc}"
    message = redact(message, key.reveal()) if key is not None else redact(message)
    cls = APITimeoutError if is_timeout(exc) else APIConnectionError
    error = cls(
        message,
        method=method,
        path=path,
        may_have_been_sent=failure is not SendFailure.NOT_SENT,
    )
    error.__cause__ = _scrubbed(exc)
    error.__suppress_context__ = True
    return error


def too_large(limit: int, method: str, path: str, status: int) -> ResponseTooLargeError:
    """The error for a body over ``limit`` bytes."""
    return ResponseTooLargeError(limit=limit, method=method, path=path, status_code=status)


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` a response declared, when it is a valid number."""
    value = headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class HttpxExchange:
    """An exchange through an ``httpx`` transport or a caller-owned ``httpx.AsyncClient``."""

    __slots__ = ("_send",)

    def __init__(self, send: Callable[[httpx.Request], Awaitable[httpx.Response]]) -> None:
        self._send = send

    @classmethod
    def for_transport(cls, transport: httpx.AsyncBaseTransport) -> HttpxExchange:
        """Call the transport directly (the SDK owns it: no hooks, auth or cookies to honour)."""
        return cls(transport.handle_async_request)

    @classmethod
    def for_client(cls, client: httpx.AsyncClient) -> HttpxExchange:
        """Go through a caller-owned client's ``send`` (its hooks and settings apply)."""

        async def send(request: httpx.Request) -> httpx.Response:
            return await client.send(request, stream=True)

        return cls(send)

    async def __call__(
        self,
        method: str,
        url: str,
        *,
        path: str,
        headers: dict[str, str],
        content: Body,
        timeout: httpx.Timeout,
        key: ApiKey | None,
        max_bytes: int,
    ) -> Answer:
        request = httpx.Request(
            method,
            url,
            headers=headers,
            content=content() if callable(content) else content,
            extensions={"timeout": timeout.as_dict()},
        )
        if key is not None:
            request.headers["Authorization"] = key.authorization()
        try:
            response = await self._send(request)
            try:
                length = declared_length(response.headers)
                if length is not None and length > max_bytes:
                    raise too_large(max_bytes, method, path, response.status_code)
                body = await _read_capped(response, max_bytes, method, path)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise connection_error(exc, method=method, path=path, key=key)  # noqa: B904
        return Answer(response.status_code, response.headers, body)


async def _read_capped(response: httpx.Response, max_bytes: int, method: str, path: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes, method, path, response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)
