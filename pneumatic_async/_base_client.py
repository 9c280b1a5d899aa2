"""The client core: settings, lifecycle and the verbs every resource is built on.

:class:`BaseClient` turns a verb's arguments into a :class:`~pneumatic_async._pipeline.send.Call`
(URL, constant headers, JSON body, retry policy) and hands it to the shared
:class:`~pneumatic_async._pipeline.send.Pipeline`; the answer comes back as JSON data, a model
(``cast_to``) or a :class:`RawResponse`. Resources call only these verbs: :meth:`get`,
:meth:`post`, :meth:`put`, :meth:`patch`, :meth:`delete`, :meth:`paginate` and :meth:`send`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterable, Callable, Mapping
from contextlib import AbstractContextManager, suppress
from functools import cached_property
from typing import Any, ClassVar, TypeVar, overload

from pneumatic_async import _json
from pneumatic_async._cache import ClientCache
from pneumatic_async._http import httpx
from pneumatic_async._logging import install_redaction
from pneumatic_async._options import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    make_timeout,
    origin_of,
    resolve_base_url,
)
from pneumatic_async._pacer import Pacer
from pneumatic_async._pipeline.exchange import Answer
from pneumatic_async._pipeline.raw import CAPTURED, RawResponse, capturing, raw_response
from pneumatic_async._pipeline.send import DEFAULT_MAX_RESPONSE_BYTES, Call, Pipeline
from pneumatic_async._protocol.requests import request_url, target_path
from pneumatic_async._protocol.responses import decode_json, structure
from pneumatic_async._secret import ApiKey
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async._version import user_agent
from pneumatic_async.errors import ConfigurationError
from pneumatic_async.pagination import DEFAULT_PAGE_SIZE, Paginator
from pneumatic_async.retries import IDEMPOTENT_METHODS, RetryEvent, RetryPolicy

__all__ = ["BaseClient", "RawResponse"]

T = TypeVar("T")
C = TypeVar("C", bound="BaseClient")

_USER_AGENT = user_agent()
_SERVER_COOKIES = ("file_service_auth", "sessionid")
#: A request body: bytes, or a factory of a fresh async byte stream per attempt.
Content = bytes | Callable[[], AsyncIterable[bytes]] | None


class BaseClient:
    """The core shared by :class:`~pneumatic_async.Pneumatic` and ``Flowdash``.

    Subclasses set the environment variable names and the default base URL.
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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._api_key = ApiKey(
            api_key if api_key is not None else os.environ.get(self._env_api_key),
            source="api_key",
            env=self._env_api_key,
        )
        install_redaction(self._api_key)
        self._base_url = resolve_base_url(
            base_url, env=self._env_base_url, default=self._default_base_url
        )
        if transport is not None and http_client is not None:
            raise ConfigurationError("pass either transport= or http_client=, not both")
        if max_concurrency < 1:
            raise ConfigurationError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if max_response_bytes < 1:
            raise ConfigurationError(f"max_response_bytes must be >= 1, got {max_response_bytes}")
        if retry is not None and max_retries is not None:
            raise ConfigurationError("pass either retry= or max_retries=, not both")
        if max_retries is not None:
            retry = RetryPolicy(max_attempts=max_retries + 1)
        try:
            pacer = Pacer(rate_limit=rate_limit)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._retry = retry or RetryPolicy()
        self._timeout = make_timeout(timeout)
        self._on_retry = on_retry
        self._set_headers(
            {"Accept": "application/json", "User-Agent": _USER_AGENT, **(default_headers or {})}
        )
        self._trusted = {origin_of(self._base_url)}
        self._pipeline = Pipeline(
            transport=transport,
            http_client=http_client,
            max_concurrency=max_concurrency,
            pacer=pacer,
            max_response_bytes=max_response_bytes,
        )
        self._cache = ClientCache()
        self._owner = http_client is None

    # -- configuration --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API base URL requests are sent to."""
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The per-request timeout of this client (or view)."""
        return self._timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy of this client (or view)."""
        return self._retry

    @property
    def cache(self) -> ClientCache:
        """Values this client and its views share (kickoff specs, the caller's user, ...)."""
        return self._cache

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` has run."""
        return self._pipeline.closed

    def _trust_origin(self, url: str) -> None:
        """Allow the API key to be sent to ``url``'s origin (a configured service URL)."""
        self._trusted.add(origin_of(url))

    def with_options(
        self: C,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        retry: RetryPolicy | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven = NOT_GIVEN,
        on_retry: Callable[[RetryEvent], None] | NotGiven | None = NOT_GIVEN,
    ) -> C:
        """A view of this client with other options that shares its pool, limiter and caches.

        Closing the original client closes the view's connections too; the view itself needs no
        closing. Example: ``await client.with_options(timeout=120).files.upload(path)``.
        """
        clone = object.__new__(type(self))
        namespaces = _cached_names(type(self))  # resource namespaces are bound to their client
        clone.__dict__.update({k: v for k, v in self.__dict__.items() if k not in namespaces})
        clone._owner = False
        clone._trusted = set(self._trusted)
        if not isinstance(timeout, NotGiven):
            clone._timeout = make_timeout(timeout)
        if not isinstance(retry, NotGiven):
            clone._retry = retry
        if not isinstance(max_retries, NotGiven):
            clone._retry = RetryPolicy(max_attempts=max_retries + 1)
        if not isinstance(default_headers, NotGiven):
            clone._set_headers({**self._headers, **default_headers})
        if not isinstance(on_retry, NotGiven):
            clone._on_retry = on_retry
        return clone

    def _set_headers(self, headers: dict[str, str]) -> None:
        """The headers of every call to the API, and of every call with a JSON body (built once)."""
        self._headers = headers
        self._json_headers = {**headers, "Content-Type": "application/json"}

    # -- lifecycle ------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (a caller-owned ``http_client`` is left open)."""
        await self._pipeline.aclose()

    async def __aenter__(self: C) -> C:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # Only warn: closing here would run on whatever loop (if any) collects us.
        with suppress(AttributeError):  # construction failed half-way
            if self._owner and not self._pipeline.closed:
                warnings.warn(
                    f"unclosed {type(self).__name__} client: use 'async with' or 'await "
                    "client.aclose()'",
                    ResourceWarning,
                    stacklevel=1,
                    source=self,
                )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={self._api_key!r})"

    # -- verbs ----------------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = NOT_GIVEN,
        content: Content = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> RawResponse:
        """Send a request and return the raw successful answer (errors are raised, typed).

        ``path`` is relative to the base URL, or an absolute URL: the API key is sent only to
        the configured API's origin (and the file service's). ``json`` is encoded as the body;
        ``content`` is a raw body instead (bytes, or a function returning a fresh async byte
        stream per attempt). POSTs and PATCHes are not idempotent unless ``idempotent=True``:
        after an outcome that leaves them in doubt they are not sent again
        (:class:`~pneumatic_async.errors.AmbiguousOutcomeError`).
        """
        method = method.upper()
        call = self._call(
            method,
            path,
            params=params,
            json=json,
            content=content,
            headers=headers,
            idempotent=idempotent,
            timeout=timeout,
        )
        return raw_response(
            self._answered(await self._pipeline.send(call), method, path), method, path
        )

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = NOT_GIVEN,
        content: Content = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Call:
        """The call the pipeline sends for a verb's arguments (body encoded, headers chosen)."""
        if params is None and path[:1] == "/" and "?" not in path:  # the everyday call
            url, target, trusted = self._base_url + path, path, True
        else:
            url = request_url(self._base_url, path, params)
            target = target_path(path)
            trusted = path[:1] == "/" or origin_of(url) in self._trusted
        # Another host (a signed upload URL) gets the call's own headers and nothing of ours.
        call_headers = self._headers if trusted else {}
        if not isinstance(json, NotGiven):
            content = _json.dumps(json)
            if trusted and not headers:
                call_headers = self._json_headers
            else:
                call_headers = {
                    **call_headers,
                    **(headers or {}),
                    "Content-Type": "application/json",
                }
        elif headers:
            call_headers = {**call_headers, **headers}
        return Call(
            method=method,
            url=url,
            path=target,
            headers=call_headers,
            content=content,
            idempotent=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            timeout=self._timeout if isinstance(timeout, NotGiven) else make_timeout(timeout),
            key=self._api_key if trusted else None,
            policy=self._retry,
            on_retry=self._on_retry,
        )

    def _answered(self, answer: Answer, method: str, path: str) -> Answer:
        """``answer`` after the client's own steps: server cookies dropped, capture."""
        if not self._owner and "set-cookie" in answer.headers:
            self._forget_server_cookies()
        captured = CAPTURED.get()
        if captured is not None:
            captured.append(raw_response(answer, method, path))
        return answer

    def capture_responses(self) -> AbstractContextManager[list[RawResponse]]:
        """Collect the raw answer of every call made inside the block, alongside the models.

        ::

            with client.capture_responses() as responses:
                workflow = await client.templates.run(42, kickoff=...)
            raw = responses[-1]  # status_code, headers, content, elapsed, attempts

        The list gets a :class:`RawResponse` per successful HTTP answer (a call that fetches a
        template first shows both), for calls made in this task and in tasks it starts inside
        the block; other tasks' calls are not mixed in. Failed calls raise as usual: their
        answer is on the error (``status_code``, ``headers``, ``body``).
        """
        return capturing()

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
        relative to the base URL (``"/templates/titles"``). POSTs are treated as non-idempotent
        unless ``idempotent=True``.
        """
        method = method.upper()
        call = self._call(
            method, path, params=params, json=json, idempotent=idempotent, timeout=timeout
        )
        answer = self._answered(await self._pipeline.send(call), method, path)
        data = decode_json(answer.content, method=method, path=path)
        if cast_to is None:
            return data
        return structure(data, cast_to, method=method, path=path)

    async def get(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, Any] | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> T:
        """``GET path``, decoded into ``cast_to``."""
        return await self.request("GET", path, params=params, cast_to=cast_to, timeout=timeout)

    async def post(
        self,
        path: str,
        *,
        cast_to: type[T] | None = None,
        json: Any = NOT_GIVEN,
        idempotent: bool = False,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """``POST path`` with a JSON body (``{}`` when none), decoded into ``cast_to``."""
        return await self.request(
            "POST",
            path,
            json={} if isinstance(json, NotGiven) else json,
            cast_to=cast_to,
            idempotent=idempotent,
            timeout=timeout,
        )

    async def put(
        self,
        path: str,
        *,
        cast_to: type[T] | None = None,
        json: Any = NOT_GIVEN,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """``PUT path`` with a JSON body, decoded into ``cast_to``."""
        return await self.request("PUT", path, json=json, cast_to=cast_to, timeout=timeout)

    async def patch(
        self,
        path: str,
        *,
        cast_to: type[T] | None = None,
        json: Any = NOT_GIVEN,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
    ) -> Any:
        """``PATCH path`` with a JSON body, decoded into ``cast_to`` (not idempotent)."""
        return await self.request(
            "PATCH", path, json=json, cast_to=cast_to, idempotent=False, timeout=timeout
        )

    async def delete(
        self, path: str, *, timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    ) -> None:
        """``DELETE path`` (the answer's body, if any, is ignored)."""
        self._answered(
            await self._pipeline.send(self._call("DELETE", path, timeout=timeout)), "DELETE", path
        )

    def paginate(
        self,
        path: str,
        *,
        cast_to: type[T],
        params: Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[T]:
        """Iterate a list endpoint item by item (``async for``), a page at a time."""
        from pneumatic_async._converter import item_decoder

        async def fetch(page_params: Mapping[str, Any]) -> Any:
            return await self.request("GET", path, params=page_params)

        def decode(items: list[Any]) -> list[T]:
            return structure(items, list[cast_to], method="GET", path=path)  # type: ignore[valid-type]

        return Paginator(
            fetch,
            path,
            decode=decode,
            decode_item=item_decoder(cast_to, method="GET", path=path),
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    def _forget_server_cookies(self) -> None:
        """Drop the server's cookies (one holds the raw API key) from a caller-owned jar."""
        http = self._pipeline.http_client
        if http is None:
            return
        jar = http.cookies.jar
        for name in _SERVER_COOKIES:
            for cookie in [c for c in jar if c.name == name]:
                jar.clear(cookie.domain, cookie.path, cookie.name)


def _cached_names(cls: type) -> set[str]:
    return {
        name
        for klass in cls.__mro__
        for name, attr in vars(klass).items()
        if isinstance(attr, cached_property)
    }
