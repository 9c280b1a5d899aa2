"""An aiohttp-backed ``httpx`` transport for asyncio (the ``fast`` extra).

Why our own and not ``httpx-aiohttp``: that package maps every
``aiohttp.ClientConnectionError`` - including ``ServerDisconnectedError``, a connection dropped
*after* the request was sent - to ``httpx.ConnectTimeout``, which says "never reached the server".
A retry policy that trusts that would re-send a workflow launch and duplicate it. Here each
aiohttp failure maps to the httpx exception that tells the truth about whether the request may
have reached the server:

=========================================  ===========================  ==================
aiohttp                                    httpx                        outcome
=========================================  ===========================  ==================
``ClientConnectorError`` (refused, DNS)    ``ConnectError``             not sent
``ConnectionTimeoutError`` (pool/connect)  ``ConnectTimeout``           not sent
``SocketTimeoutError`` / other timeouts    ``ReadTimeout``              maybe sent
``ServerDisconnectedError``                ``RemoteProtocolError``      maybe sent
``ClientPayloadError``, ``ClientOSError``  ``ReadError``                maybe sent
invalid URL                                ``UnsupportedProtocol``      local error
=========================================  ===========================  ==================
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx

from pneumatic_async._http.deadlines import Deadlines
from pneumatic_async.errors import ResponseTooLargeError

if TYPE_CHECKING:
    from pneumatic_async._secret import ApiKey

__all__ = ["WRITER_STOP_TIMEOUT", "AiohttpTransport"]

#: Seconds to wait for aiohttp's request-body writer to stop once the response is closed.
WRITER_STOP_TIMEOUT = 5.0
#: A request body larger than this may take a while to write: the answer's wait adds ``write``.
_LARGE_BODY = 64 * 1024


def _mapped(exc: BaseException, request: httpx.Request | None) -> BaseException:
    """The ``httpx`` exception telling the truth about an aiohttp failure (table above)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(exc), request=request)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(str(exc) or "connect timed out", request=request)
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(str(exc) or "read timed out", request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a complete response.", request=request
        )
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(str(exc), request=request)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(str(exc), request=request)
    return httpx.RemoteProtocolError(str(exc), request=request)


@contextlib.contextmanager
def _mapped_errors(request: httpx.Request | None) -> Iterator[None]:
    try:
        yield
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise _mapped(exc, request) from exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors(self._request):
            async for chunk in self._response.content.iter_chunked(64 * 1024):
                yield chunk

    async def aclose(self) -> None:
        # A server may answer before it read the whole request body (S3 does for an expired
        # signature). aiohttp's body writer task is then still iterating the request stream;
        # releasing the response cancels that task but does not wait for it. Wait (bounded), so
        # the caller may close the stream's generators: closing one that the writer task is
        # still running raises "aclose(): asynchronous generator is already running".
        writer = getattr(self._response, "_writer", None)
        self._response.release()
        if isinstance(writer, asyncio.Future) and not writer.done():
            await asyncio.wait({writer}, timeout=WRITER_STOP_TIMEOUT)


def _client_timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    timeout: dict[str, float | None] = request.extensions.get("timeout", {})
    connect, pool = timeout.get("connect"), timeout.get("pool")
    # aiohttp's ``connect`` covers waiting for a pooled connection plus connecting.
    acquire = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(
        total=None, connect=acquire, sock_connect=connect, sock_read=timeout.get("read")
    )


async def _body(stream: httpx.AsyncByteStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield chunk


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send ``httpx`` requests through one ``aiohttp.ClientSession`` (asyncio only)."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits()
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | bool | None, ...], aiohttp.ClientTimeout] = {}
        self._deadlines: Deadlines | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                keepalive_timeout=self._limits.keepalive_expiry or 5.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # httpx decodes content-encoding itself
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._get_session()
        data: Any
        headers = request.headers.multi_items()
        if isinstance(request.stream, httpx.ByteStream):
            data = request.content or None
        else:
            data = _body(request.stream)  # type: ignore[arg-type]
            # aiohttp chunks a stream of unknown length itself and refuses the header
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        with _mapped_errors(request):
            response = await session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=data,
                allow_redirects=False,
                timeout=_client_timeout(request),
                compress=False,
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    async def aclose(self) -> None:
        deadlines, self._deadlines = self._deadlines, None
        if deadlines is not None:
            deadlines.close()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        path: str,
        headers: dict[str, str],
        key: ApiKey | None,
        content: bytes | None,
        timeout: httpx.Timeout,
        total: float | None,
        max_bytes: int,
        pool_wait: bool = True,
    ) -> tuple[int, Any, bytes]:
        """Send one request with a bytes body and read its answer: ``(status, headers, body)``.

        The pipeline's cheap path under asyncio: no ``httpx.Request``/``Response`` objects, and
        one deadline per exchange, watched by the transport's one timer (:mod:`.deadlines`). It
        bounds the wait for the answer by ``connect + read``
        (plus ``write`` for a body over 64 KiB) from the start, then each pause between body
        chunks by ``read``, and everything by ``total`` (the call's remaining deadline). aiohttp
        itself bounds a new connection's connect (``connect``) and, when ``pool_wait`` (the pool
        may be full), the wait for a pooled connection too (``pool + connect``). The body is read
        up to ``max_bytes`` (``ResponseTooLargeError`` past it); failures are the same ``httpx``
        exceptions as :meth:`handle_async_request` raises (our timer's: ``ReadTimeout``).
        ``key`` adds the ``Authorization`` header inside the call to aiohttp, so that no local
        of this frame holds it (a ``ResponseTooLargeError`` raised here keeps this frame).
        """
        session = self._session
        if session is None or session.closed:
            session = self._get_session()
        settings = (timeout.connect, timeout.pool, pool_wait)
        client_timeout = self._timeouts.get(settings)
        if client_timeout is None:
            connect, pool = timeout.connect, timeout.pool
            acquire = None if not pool_wait or connect is None or pool is None else connect + pool
            client_timeout = self._timeouts[settings] = aiohttp.ClientTimeout(
                total=None, connect=acquire, sock_connect=connect
            )
        deadlines = self._deadlines
        loop = asyncio.get_running_loop()
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = Deadlines(loop)
        now = deadlines.now()
        read = timeout.read
        deadline = None if total is None else now + total
        when = deadline
        if read is not None:
            wait = read + (timeout.connect or 0.0)
            if content is not None and len(content) > _LARGE_BODY and timeout.write is not None:
                wait += timeout.write
            if when is None or now + wait < when:
                when = now + wait
        watch = None if when is None else deadlines.watch(when)
        try:
            try:
                async with session.request(
                    method,
                    url,
                    headers=headers if key is None else key.authorized(headers),
                    data=content,
                    allow_redirects=False,
                    timeout=client_timeout,
                    compress=False,
                ) as response:
                    status = response.status
                    length = response.content_length
                    if length is not None and length > max_bytes:
                        raise ResponseTooLargeError(
                            limit=max_bytes, method=method, path=path, status_code=status
                        )
                    stream = response.content
                    if stream.is_eof() and length is not None:  # the whole body has arrived
                        return status, response.headers, await response.read()
                    chunks: list[bytes] = []
                    size = 0
                    while True:
                        if watch is not None and read is not None:
                            until = deadlines.now() + read
                            deadlines.moved(
                                watch, until if deadline is None else min(until, deadline)
                            )
                        chunk = await stream.readany()
                        if not chunk:
                            break
                        size += len(chunk)
                        if size > max_bytes:
                            raise ResponseTooLargeError(
                                limit=max_bytes, method=method, path=path, status_code=status
                            )
                        chunks.append(chunk)
                    return status, response.headers, b"".join(chunks)
            except asyncio.CancelledError:
                if watch is not None and watch.expired_error():
                    raise TimeoutError("no answer in time") from None
                raise
            finally:
                if watch is not None:
                    deadlines.unwatch(watch)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _mapped(exc, None) from exc
