"""The send pipeline: one call through a short chain of steps, each with one concern.

::

    Pipeline.send            closed client? one deadline over the whole call
      └ _send_with_retries   the retry loop (RetryLoop): attempts, backoff, Retry-After
          └ _send_once       a concurrency slot; the exchange; status into data or typed error
              └ exchange     the transport: Authorization added here; body read under the cap

A :class:`Pipeline` is shared by a client and its ``with_options`` views (the connection pool,
the limiter, the pacer); what differs per view (retry policy, timeout, ``on_retry``) comes with
each :class:`Call`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import anyio

from pneumatic_async._http import httpx
from pneumatic_async._logging import logger, redact
from pneumatic_async._pacer import Pacer
from pneumatic_async._pipeline.attempts import DeadlinePassed, RetryLoop
from pneumatic_async._pipeline.exchange import (
    Answer,
    Body,
    Exchange,
    HttpxExchange,
    connection_error,
)
from pneumatic_async._pipeline.limiter import Limiter
from pneumatic_async._protocol.responses import error_from_response
from pneumatic_async._secret import ApiKey
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APITimeoutError,
    PneumaticError,
)
from pneumatic_async.retries import RetryEvent, RetryPolicy

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "Call", "ClientClosedError", "Pipeline"]

#: The default cap on a response body: 64 MiB.
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class ClientClosedError(PneumaticError):
    """A request was made on a client that has been closed."""


class Call:
    """One call as the pipeline sends it (built by the client from a verb's arguments)."""

    __slots__ = (
        "attempts",
        "content",
        "headers",
        "idempotent",
        "in_flight",
        "key",
        "method",
        "on_retry",
        "path",
        "policy",
        "timeout",
        "url",
    )

    def __init__(
        self,
        *,
        method: str,
        url: str,
        path: str,
        headers: dict[str, str],
        content: Body,
        idempotent: bool,
        timeout: httpx.Timeout,
        key: ApiKey | None,
        policy: RetryPolicy,
        on_retry: Callable[[RetryEvent], None] | None,
    ) -> None:
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.content = content
        self.idempotent = idempotent
        self.timeout = timeout
        self.key = key
        self.policy = policy
        self.on_retry = on_retry
        #: What the deadline step needs to know about the call it interrupted: the attempts
        #: started, and whether one was in flight (its request may have reached the server).
        self.attempts = 0
        self.in_flight = False


class Pipeline:
    """The pool, the limiter and the pacer of one client, and the chain that uses them."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None,
        http_client: httpx.AsyncClient | None,
        max_concurrency: int,
        pacer: Pacer,
        max_response_bytes: int,
    ) -> None:
        from pneumatic_async._http import DEFAULT_LIMITS
        from pneumatic_async._http.auto import AutoTransport

        self.http_client = http_client
        self.transport: httpx.AsyncBaseTransport | None = None
        #: Whether an exchange may wait for a pooled connection. Not on a pool of our own: it
        #: holds at least as many connections as the limiter lets exchanges run at once.
        self._pool_wait = transport is not None
        if http_client is None:
            self.transport = transport or AutoTransport(
                limits=httpx.Limits(
                    max_connections=max(DEFAULT_LIMITS.max_connections or 0, max_concurrency),
                    max_keepalive_connections=DEFAULT_LIMITS.max_keepalive_connections,
                    keepalive_expiry=DEFAULT_LIMITS.keepalive_expiry,
                )
            )
        self.limiter = Limiter(max_concurrency)
        self.pacer = pacer
        self.max_response_bytes = max_response_bytes
        self.closed = False
        self._exchange: Exchange | None = None
        self._fast: Any = None  # the aiohttp transport, when the cheap path applies
        self._on_asyncio = False

    # -- set-up ---------------------------------------------------------------------------------

    def _choose_exchange(self) -> Exchange:
        """Pick the exchange on the first request, inside the event loop that will run it."""
        from pneumatic_async._http.auto import running_under_asyncio

        self._on_asyncio = self.limiter.on_asyncio = running_under_asyncio()
        if self.http_client is not None:
            return HttpxExchange.for_client(self.http_client)
        transport = self.transport
        assert transport is not None
        from pneumatic_async._http.auto import AutoTransport

        if isinstance(transport, AutoTransport):
            transport = transport.resolve()
        if self._on_asyncio and hasattr(transport, "exchange"):
            self._fast = transport
        return HttpxExchange.for_transport(transport)

    async def aclose(self) -> None:
        """Close the pool (a caller-owned ``http_client`` is left open)."""
        if self.closed:
            return
        self.closed = True
        if self.transport is not None:
            await self.transport.aclose()

    # -- the chain ------------------------------------------------------------------------------

    async def send(self, call: Call) -> Answer:
        """Send ``call``: its answer when it succeeded (2xx), else its typed error."""
        if self.closed:
            raise ClientClosedError("this client is closed")
        if self._exchange is None:
            self._exchange = self._choose_exchange()
        deadline = call.policy.deadline
        started = time.monotonic()
        try:
            if deadline is None or (self._fast is not None and not callable(call.content)):
                # The cheap path (aiohttp, a bytes body) bounds each wait and each exchange by the
                # time left (the exchange's one timer): a cancel scope would cost more than all
                # the rest of the pipeline.
                answer = await self._send_with_retries(call)
                answer.elapsed = time.monotonic() - started
                return answer
            with anyio.move_on_after(deadline):
                answer = await self._send_with_retries(call)
                answer.elapsed = time.monotonic() - started
                return answer
        except DeadlinePassed:
            pass
        assert deadline is not None
        raise _deadline_error(call, deadline)

    async def _send_with_retries(self, call: Call) -> Answer:
        loop = RetryLoop(
            call.policy,
            idempotent=call.idempotent,
            method=call.method,
            path=call.path,
            pacer=self.pacer,
            on_retry=call.on_retry,
        )
        async for attempt in loop:
            with attempt:
                call.attempts = attempt.number
                answer = await self._send_once(call, loop.remaining())
                answer.attempts = attempt.number
                return answer
        raise AssertionError("unreachable: the retry loop ends by returning or raising")

    async def _send_once(self, call: Call, remaining: float | None) -> Answer:
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("%s %s (attempt %d)", call.method, redact(call.path), call.attempts)
        limiter = self.limiter
        if not limiter.try_acquire() and not await limiter.acquire(remaining):
            raise DeadlinePassed
        call.in_flight = True  # stays set if the deadline interrupts the exchange
        try:
            answer = await self._exchange_once(call, remaining)
        except PneumaticError:
            call.in_flight = False
            raise
        finally:
            limiter.release()
        call.in_flight = False
        status = answer.status
        if debug:
            logger.debug("%s %s -> %d", call.method, redact(call.path), status)
        if 200 <= status < 300:
            return answer
        raise error_from_response(
            method=call.method,
            path=call.path,
            status_code=status,
            headers=answer.headers,
            content=answer.content,
            attempts=call.attempts,
            secrets=() if call.key is None else (call.key.reveal(),),
        )

    async def _exchange_once(self, call: Call, remaining: float | None) -> Answer:
        fast = self._fast
        if fast is not None and not callable(call.content):
            if remaining is not None and remaining <= 0:
                raise DeadlinePassed
            started = time.monotonic()
            try:
                status, headers, content = await fast.exchange(
                    call.method,
                    call.url,
                    path=call.path,
                    headers=call.headers,
                    key=call.key,
                    content=call.content,
                    timeout=call.timeout,
                    total=remaining,
                    max_bytes=self.max_response_bytes,
                    pool_wait=self._pool_wait,
                )
            except httpx.TimeoutException as exc:
                if remaining is not None and time.monotonic() - started >= remaining * 0.999:
                    raise DeadlinePassed from None  # the exchange's timer: our deadline
                raise connection_error(exc, method=call.method, path=call.path, key=call.key)  # noqa: B904
            except httpx.TransportError as exc:
                raise connection_error(exc, method=call.method, path=call.path, key=call.key)  # noqa: B904
            return Answer(status, headers, content)
        assert self._exchange is not None
        return await self._exchange(
            call.method,
            call.url,
            path=call.path,
            headers=call.headers,
            content=call.content,
            timeout=call.timeout,
            key=call.key,
            max_bytes=self.max_response_bytes,
        )


def _deadline_error(call: Call, deadline: float) -> PneumaticError:
    """The error for a call stopped by its deadline (ambiguous if a launch was in flight)."""
    timeout = APITimeoutError(
        f"the call's deadline of {deadline:g} s passed",
        method=call.method,
        path=call.path,
        attempts=call.attempts,
        may_have_been_sent=call.in_flight,
    )
    if call.in_flight and not call.idempotent:
        return AmbiguousOutcomeError(
            "outcome unknown",
            method=call.method,
            path=call.path,
            attempts=call.attempts,
            cause=timeout,
        )
    return timeout
