"""The async clients: :class:`BaseClient` (the request pipeline) and :class:`Pneumatic`.

One request goes: resolve URL and headers (the API key only for the configured API origins),
wait for the client-wide pacer (shared ``Retry-After`` pause, optional rate limit), take a slot of
the client-wide concurrency limiter, send through ``httpx``, read the body, then either decode
JSON or build a typed error and ask the retry policy (:mod:`pneumatic_async.retries`) what next.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import AsyncIterable, Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

import anyio

from pneumatic_async import _json
from pneumatic_async._http import SendFailure, build_client, classify, httpx, is_timeout
from pneumatic_async._logging import logger, redact
from pneumatic_async._options import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    make_timeout,
    origin_of,
    resolve_base_url,
)
from pneumatic_async._pacer import Pacer
from pneumatic_async._secret import ApiKey
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async._version import user_agent
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    PneumaticError,
    RateLimitError,
    ResponseValidationError,
    error_from_response,
)
from pneumatic_async.resources._base import Resource
from pneumatic_async.retries import (
    IDEMPOTENT_METHODS,
    Action,
    Outcome,
    OutcomeKind,
    RetryEvent,
    RetryPolicy,
    decide,
)

if TYPE_CHECKING:
    from pneumatic_async.resources.files import Files
    from pneumatic_async.resources.tasks import Tasks
    from pneumatic_async.resources.templates import Templates
    from pneumatic_async.resources.users import Users
    from pneumatic_async.resources.webhooks import Webhooks
    from pneumatic_async.resources.workflows import Workflows

__all__ = ["BaseClient", "Pneumatic"]

T = TypeVar("T")

_USER_AGENT = user_agent()
_OUTCOME_KINDS = {
    SendFailure.NOT_SENT: OutcomeKind.NOT_SENT,
    SendFailure.MAYBE_SENT: OutcomeKind.MAYBE_SENT,
    SendFailure.FATAL: OutcomeKind.FATAL,
}
#: Cookies the real server sets on API-key requests (one holds the raw key).
_SERVER_COOKIES = ("file_service_auth", "sessionid")

Body = bytes | Callable[[], AsyncIterable[bytes]] | None


class _Shared:
    """State a client shares with its ``with_options`` views: the pool, limiter, pacer, caches."""

    __slots__ = ("cache", "closed", "http", "limiter", "owns_http", "pacer")

    def __init__(
        self, http: httpx.AsyncClient, *, owns_http: bool, max_concurrency: int, pacer: Pacer
    ) -> None:
        self.http = http
        self.owns_http = owns_http
        self.limiter = anyio.CapacityLimiter(max_concurrency)
        self.pacer = pacer
        self.closed = False
        self.cache: dict[str, Any] = {}


class BaseClient:
    """The request pipeline shared by :class:`Pneumatic` and ``Flowdash``.

    Subclasses set the environment variable names and default base URL.
    """

    _env_api_key: ClassVar[str] = "PNEUMATIC_API_KEY"
    _env_base_url: ClassVar[str] = "PNEUMATIC_BASE_URL"
    _default_base_url: ClassVar[str] = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 64,
        rate_limit: float | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        default_headers: Mapping[str, str] | None = None,
        log_bodies: bool = False,
    ) -> None:
        import os

        self._api_key = ApiKey(
            api_key if api_key is not None else os.environ.get(self._env_api_key),
            source="api_key",
            env=self._env_api_key,
        )
        self._base_url = resolve_base_url(
            base_url, env=self._env_base_url, default=self._default_base_url
        )
        if transport is not None and http_client is not None:
            raise ConfigurationError("pass either transport= or http_client=, not both")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if retry is not None and max_retries is not None:
            raise ConfigurationError("pass either retry= or max_retries=, not both")
        if max_retries is not None:
            retry = RetryPolicy(max_attempts=max_retries + 1)
        self._retry = retry or RetryPolicy()
        self._timeout = make_timeout(timeout)
        self._on_retry = on_retry
        self._log_bodies = log_bodies
        self._default_headers = dict(default_headers or {})
        self._trusted = {origin_of(self._base_url)}
        owns = http_client is None
        http = http_client or build_client(transport=transport, timeout=self._timeout)
        self._shared = _Shared(
            http,
            owns_http=owns,
            max_concurrency=max_concurrency,
            pacer=Pacer(rate_limit=rate_limit),
        )
        self._owner = owns

    # -- configuration ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API base URL requests are sent to."""
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The default timeout of this client (or view)."""
        return self._timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client (or view)."""
        return self._retry

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` has run."""
        return self._shared.closed

    def _trust_origin(self, url: str) -> None:
        """Allow the API key to be sent to ``url``'s origin (a configured service URL)."""
        self._trusted.add(origin_of(url))

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        on_retry: Callable[[RetryEvent], None] | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """A view of this client with other options that shares its pool, limiter and caches.

        Closing the original client closes the view's connections too; the view itself needs no
        closing. Example: ``await client.with_options(timeout=120).files.upload(path)``.
        """
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._owner = False
        clone._trusted = set(self._trusted)
        if not isinstance(timeout, NotGiven):
            clone._timeout = make_timeout(timeout)
        if not isinstance(retry, NotGiven):
            clone._retry = retry
        if not isinstance(max_retries, NotGiven):
            clone._retry = RetryPolicy(max_attempts=max_retries + 1)
        if not isinstance(default_headers, NotGiven):
            clone._default_headers = {**self._default_headers, **default_headers}
        if not isinstance(on_retry, NotGiven):
            clone._on_retry = on_retry
        for name, value in list(clone.__dict__.items()):
            if isinstance(value, Resource):  # namespaces are bound to their client: rebuild
                del clone.__dict__[name]
        return clone

    # -- lifecycle ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (unless it belongs to a caller-owned ``http_client``)."""
        shared = self._shared
        if shared.closed:
            return
        shared.closed = True
        if shared.owns_http:
            await shared.http.aclose()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # Only warn: closing here would run on whatever loop (if any) collects us.
        try:
            if self._owner and self._shared.owns_http and not self._shared.closed:
                warnings.warn(
                    f"unclosed {type(self).__name__} client: use 'async with' or 'await "
                    "client.aclose()'",
                    ResourceWarning,
                    stacklevel=1,
                    source=self,
                )
        except AttributeError:  # construction failed half-way
            pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={self._api_key!r})"

    # -- requests -----------------------------------------------------------------------------

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        cast_to: type[T],
        idempotent: bool | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
    ) -> T: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        cast_to: None = ...,
        idempotent: bool | None = ...,
        timeout: float | httpx.Timeout | NotGiven | None = ...,
    ) -> Any: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = NOT_GIVEN,
        cast_to: type[T] | None = None,
        idempotent: bool | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """Call any endpoint with the client's auth, retries and typed errors.

        The escape hatch for endpoints the SDK does not wrap: returns the decoded JSON body
        (``None`` for an empty body), or an instance of ``cast_to`` when given. ``path`` is
        relative to the base URL (``"/templates/titles-by-owners"``). POSTs are treated as
        non-idempotent unless ``idempotent=True``.
        """
        body = await self._request(
            method, path, params=params, json=json, idempotent=idempotent, timeout=timeout
        )
        if cast_to is None:
            return body
        return self._structure(body, cast_to, method, path)

    @staticmethod
    def _structure(body: Any, cls: type[T], method: str, path: str) -> T:
        from pneumatic_async._converter import structure

        try:
            return structure(body, cls)
        except ResponseValidationError as exc:
            exc.method, exc.path = method.upper(), path
            raise

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = NOT_GIVEN,
        content: Body = None,
        headers: Mapping[str, str] | None = None,
        url: str | None = None,
        idempotent: bool | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """Send a request and return its decoded JSON body (``None`` when empty).

        ``url`` overrides ``base_url + path`` (for a configured service such as the file
        service); the API key is only attached when the URL's origin is a configured one.
        """
        method = method.upper()
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        all_headers = {
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
            **self._default_headers,
            **(headers or {}),
        }
        target = url or self._base_url + path
        if origin_of(target) in self._trusted:
            all_headers["Authorization"] = self._api_key.authorization()
        if not isinstance(json, NotGiven):
            content = _json.dumps(json)
            all_headers["Content-Type"] = "application/json"
        data = await self._send(
            method,
            target,
            path,
            params=params,
            headers=all_headers,
            content=content,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            timeout=self._timeout if isinstance(timeout, NotGiven) else make_timeout(timeout),
        )
        if not data:
            return None
        try:
            return _json.loads(data)
        except ValueError as exc:
            raise ResponseValidationError(
                "the response body is not JSON",
                field_path="$",
                model="JSON",
                method=method,
                path=path,
            ) from exc

    async def _send_unauthenticated(
        self,
        method: str,
        url: str,
        *,
        content: Body,
        headers: Mapping[str, str],
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> bytes:
        """Send to a foreign URL (a signed upload URL): only ``headers``, never the API key."""
        from urllib.parse import urlsplit

        return await self._send(
            method.upper(),
            url,
            urlsplit(url).path,
            params=None,
            headers=dict(headers),
            content=content,
            idempotent=method.upper() in IDEMPOTENT_METHODS,
            timeout=self._timeout if isinstance(timeout, NotGiven) else make_timeout(timeout),
        )

    async def _send(
        self,
        method: str,
        url: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        content: Body,
        idempotent: bool,
        timeout: httpx.Timeout,
    ) -> bytes:
        shared = self._shared
        if shared.closed:
            raise PneumaticError(f"this {type(self).__name__} client is closed")
        policy = self._retry
        extensions = {"timeout": timeout.as_dict()}
        query = {k: v for k, v in params.items() if v is not None} if params else None
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            await shared.pacer.wait()
            error: PneumaticError
            try:
                async with shared.limiter:
                    body = content() if callable(content) else content
                    request = httpx.Request(
                        method,
                        url,
                        params=query,
                        headers=headers,
                        content=body,
                        extensions=extensions,
                    )
                    if debug:
                        logger.debug("%s %s (attempt %d)", method, redact(path), attempt)
                    response = await shared.http.send(request)
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                message = redact(f"{type(exc).__name__}: {exc}", self._api_key.reveal())
                cls = APITimeoutError if is_timeout(exc) else APIConnectionError
                error = cls(message, method=method, path=path, attempts=attempt)
                outcome = Outcome(kind=_OUTCOME_KINDS[failure])
                cause: BaseException = exc
            else:
                if not shared.owns_http and "set-cookie" in response.headers:
                    self._forget_server_cookies()
                status = response.status_code
                if debug:
                    logger.debug("%s %s -> %d", method, redact(path), status)
                if status < 400:
                    return response.content
                error = error_from_response(
                    method=method,
                    path=path,
                    status_code=status,
                    headers=response.headers,
                    content=response.content,
                    attempts=attempt,
                )
                retry_after = error.retry_after if isinstance(error, RateLimitError) else None
                if retry_after is not None:
                    shared.pacer.pause(min(retry_after, policy.max_retry_after))
                outcome = Outcome.status(status, retry_after)
                cause = error
            decision = decide(
                policy,
                idempotent=idempotent,
                outcome=outcome,
                attempt=attempt,
                elapsed=time.monotonic() - started,
            )
            if decision.action is Action.RETRY:
                event = RetryEvent(
                    method=method,
                    path=path,
                    attempt=attempt,
                    delay=decision.delay,
                    reason=decision.reason,
                )
                logger.info(
                    "retrying %s %s in %.2fs after attempt %d: %s",
                    method,
                    redact(path),
                    decision.delay,
                    attempt,
                    decision.reason,
                )
                if self._on_retry is not None:
                    self._on_retry(event)
                await anyio.sleep(decision.delay)
                continue
            if decision.action is Action.AMBIGUOUS:
                raise AmbiguousOutcomeError(
                    "outcome unknown", method=method, path=path, attempts=attempt, cause=error
                ) from cause
            raise error from (cause if cause is not error else None)

    def _forget_server_cookies(self) -> None:
        """Drop the server's cookies (one holds the raw API key) from a caller-owned jar."""
        jar = self._shared.http.cookies
        for name in _SERVER_COOKIES:
            for cookie in [c for c in jar.jar if c.name == name]:
                jar.jar.clear(cookie.domain, cookie.path, cookie.name)


class Pneumatic(BaseClient):
    """The async Pneumatic API client.

    >>> async with Pneumatic() as client:  # PNEUMATIC_API_KEY from the environment
    ...     async for template in client.templates.list():
    ...         print(template.id, template.name)

    Keyword arguments:

    * ``api_key``: else ``PNEUMATIC_API_KEY``; missing, empty or containing whitespace is a
      :class:`~pneumatic_async.errors.ConfigurationError` here, not a 401 later.
    * ``base_url``: else ``PNEUMATIC_BASE_URL``, default ``https://api.pneumatic.app``.
    * ``transport``: any ``httpx.AsyncBaseTransport`` (an ASGI app, a mock, ...); default: aiohttp
      under asyncio when the ``fast`` extra is installed, else httpx's own.
    * ``http_client``: a caller-owned ``httpx.AsyncClient``; the SDK never closes it.
    * ``timeout``: seconds or a ``Timeout``; default connect 5 s, read 30 s, write 30 s, pool 10 s.
    * ``retry`` / ``max_retries``: the :class:`~pneumatic_async.retries.RetryPolicy`.
    * ``max_concurrency``: requests in flight at once; more wait inside the SDK.
    * ``rate_limit``: optional cap in requests per second.
    * ``on_retry``: called with a :class:`~pneumatic_async.retries.RetryEvent` before each retry.
    * ``file_service_url``: the file service for uploads (else ``PNEUMATIC_FILE_SERVICE_URL``,
      default ``<base_url>/files``); the API key is sent there too.
    * ``upload_strategy``: ``"file_service"`` (the real server's) or ``"signed_url"`` (the
      documented create/PUT/publish attachment chain).

    A client belongs to the event loop it first sends a request in.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 64,
        rate_limit: float | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        default_headers: Mapping[str, str] | None = None,
        log_bodies: bool = False,
        file_service_url: str | None = None,
        upload_strategy: str = "file_service",
    ) -> None:
        if upload_strategy not in ("file_service", "signed_url"):
            raise ConfigurationError(
                f"upload_strategy must be 'file_service' or 'signed_url', got {upload_strategy!r}"
            )
        self.upload_strategy = upload_strategy
        self._file_service_url_arg = file_service_url
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            transport=transport,
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            on_retry=on_retry,
            default_headers=default_headers,
            log_bodies=log_bodies,
        )
        self.file_service_url = resolve_base_url(
            file_service_url,
            env="PNEUMATIC_FILE_SERVICE_URL",
            default=self._base_url + "/files",
        )
        self._trust_origin(self.file_service_url)

    @cached_property
    def templates(self) -> Templates:
        """Templates: list, get, create, update, delete, run, run_many."""
        from pneumatic_async.resources.templates import Templates

        return Templates(self)

    @cached_property
    def workflows(self) -> Workflows:
        """Workflow runs: list, get, fields, update, delete, complete_current_task, ..."""
        from pneumatic_async.resources.workflows import Workflows

        return Workflows(self)

    @cached_property
    def tasks(self) -> Tasks:
        """Tasks: list, get, complete, revert, comment, due dates."""
        from pneumatic_async.resources.tasks import Tasks

        return Tasks(self)

    @cached_property
    def users(self) -> Users:
        """Users of the account and the caller's own user."""
        from pneumatic_async.resources.users import Users

        return Users(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        """Webhook event subscriptions."""
        from pneumatic_async.resources.webhooks import Webhooks

        return Webhooks(self)

    @cached_property
    def files(self) -> Files:
        """File uploads (the file service, or the documented signed-URL chain)."""
        from pneumatic_async.resources.files import Files

        return Files(self)
