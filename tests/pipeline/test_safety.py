"""The pipeline's safety rules, over mock transports and real sockets (both transports)."""

from __future__ import annotations

import logging
import pickle
import traceback
import tracemalloc
from collections.abc import Callable
from types import TracebackType
from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.bulk import LaunchItem
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    InternalServerError,
    RateLimitError,
    ResponseTooLargeError,
    ResponseValidationError,
    UnexpectedStatusError,
)
from pneumatic_async.retries import RetryPolicy
from tests.conftest import API_KEY, BASE_URL
from tests.local_server import serve

NO_WAIT = RetryPolicy(initial_backoff=0.0, max_backoff=0.0, max_retry_after=0.0)


def mock_client(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> Pneumatic:
    return Pneumatic(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(handler),
        **{"retry": NO_WAIT, **options},
    )


#: Both transports: httpx's on asyncio and trio, the aiohttp one (asyncio only) on asyncio.
BOTH_TRANSPORTS = pytest.mark.parametrize(
    ("anyio_backend", "kind"), [("asyncio", "httpx"), ("trio", "httpx"), ("asyncio", "aiohttp")]
)


def make_transport(kind: str, backend: str) -> httpx.AsyncBaseTransport:
    if kind == "aiohttp":
        from pneumatic_async._http.aiohttp import AiohttpTransport

        return AiohttpTransport()
    return httpx.AsyncHTTPTransport()


# -- retries: one loop, attempts never multiply ----------------------------------------------


async def test_a_persisting_429_sends_a_launch_at_most_max_attempts_times_through_run_many() -> (
    None
):
    launches = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal launches
        if request.method == "POST":
            launches += 1
            return httpx.Response(429, json={"detail": "slow down"}, headers={"Retry-After": "0"})
        return httpx.Response(200, json=[])

    policy = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0)
    async with mock_client(handler, retry=policy) as client:
        items = [LaunchItem(kickoff={}, name="order 1")]
        results = await client.templates.run_many(7, items, validate=False)
    assert launches == 3
    assert [result.status for result in results] == ["failed"]
    assert isinstance(results[0].error, RateLimitError)


async def test_a_persisting_429_on_a_single_call_sends_max_attempts_times() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"Retry-After": "0"})

    async with mock_client(handler, retry=RetryPolicy(max_attempts=4, initial_backoff=0)) as client:
        with pytest.raises(RateLimitError) as info:
            await client.request("GET", "/templates")
    assert calls == 4
    assert info.value.attempts == 4


# -- statuses the API never sends ------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (302, {"Location": "https://elsewhere.example/x"}, b'{"id": 1}'),
        (304, {}, b""),
        (301, {}, b""),
        (101, {}, b""),
    ],
)
async def test_1xx_and_3xx_are_typed_errors(
    status: int, headers: dict[str, str], body: bytes
) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(status, headers=headers, content=body)

    async with mock_client(handler) as client:
        with pytest.raises(UnexpectedStatusError) as info:
            await client.templates.get(1)
    assert info.value.status_code == status
    assert len(sent) == 1  # never followed, never retried
    if status == 302:
        assert info.value.location == "https://elsewhere.example/x"


# -- bodies that must not crash or exhaust anything ------------------------------------------


async def test_an_error_body_nested_1500_deep_is_a_typed_error() -> None:
    deep = b"[" * 1500 + b"]" * 1500
    async with mock_client(lambda request: httpx.Response(400, content=deep)) as client:
        with pytest.raises(APIStatusError) as info:
            await client.request("GET", "/templates")
    assert info.value.status_code == 400


async def test_a_success_body_nested_too_deep_is_a_typed_error() -> None:
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    async with mock_client(lambda request: httpx.Response(200, content=deep)) as client:
        with pytest.raises(ResponseValidationError):
            await client.request("GET", "/templates")


async def test_garbage_success_body_is_a_typed_error() -> None:
    async with mock_client(
        lambda request: httpx.Response(200, content=b"\xff\x00<html>")
    ) as client:
        with pytest.raises(ResponseValidationError) as info:
            await client.request("GET", "/templates")
    assert info.value.path == "/templates"


def _endless_chunks(chunk: bytes, declared: int | None) -> Callable[[bytes, SocketStream], Any]:
    async def script(head: bytes, stream: SocketStream) -> None:
        if declared is None:
            await stream.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        else:
            await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % declared)
        payload = b"%x\r\n%s\r\n" % (len(chunk), chunk) if declared is None else chunk
        for _ in range(2_000):  # at most 2,000 chunks: the test ends long before
            await stream.send(payload)

    return script


# Stopping httpcore's body part-way leaves its nested async generators to the garbage collector,
# and trio warns about each (httpx users who break out of ``aiter_bytes`` see the same).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@BOTH_TRANSPORTS
@pytest.mark.parametrize("declared", [None, 200 * 1024 * 1024])
async def test_a_body_over_the_cap_stops_with_a_typed_error_and_bounded_memory(
    kind: str, declared: int | None, anyio_backend: str
) -> None:
    cap = 256 * 1024
    transport = make_transport(kind, anyio_backend)
    async with (
        serve(_endless_chunks(b"x" * 65536, declared), keep_alive=False) as base,
        Pneumatic(
            api_key=API_KEY, base_url=base, transport=transport, max_response_bytes=cap
        ) as client,
    ):
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError) as info:
                await client.request("GET", "/templates")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert info.value.limit == cap
    assert peak < 16 * 1024 * 1024


# -- one deadline bounds the whole call ------------------------------------------------------


async def _trickle(head: bytes, stream: SocketStream) -> None:
    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):  # one byte every 20 ms: 20 s in all, far past the deadline
        await stream.send(b" ")
        await anyio.sleep(0.02)


@BOTH_TRANSPORTS
async def test_a_trickling_body_ends_at_the_deadline(kind: str, anyio_backend: str) -> None:
    policy = RetryPolicy(deadline=0.3, initial_backoff=0.0)
    async with (
        serve(_trickle, keep_alive=False) as base,
        Pneumatic(
            api_key=API_KEY,
            base_url=base,
            transport=make_transport(kind, anyio_backend),
            retry=policy,
            timeout=httpx.Timeout(5.0),  # each byte arrives well within the read timeout
        ) as client,
    ):
        with anyio.fail_after(10):  # the guard: without a deadline this takes 20 s
            with pytest.raises(APITimeoutError) as get:
                await client.request("GET", "/templates")
            with pytest.raises(AmbiguousOutcomeError) as post:
                await client.request("POST", "/templates/1/run", json={})
    assert "deadline" in str(get.value)
    assert get.value.may_have_been_sent
    assert isinstance(post.value.cause, APITimeoutError)


# -- the API key stays secret ----------------------------------------------------------------


def test_a_base_url_with_userinfo_is_refused() -> None:
    with pytest.raises(ConfigurationError) as info:
        Pneumatic(api_key=API_KEY, base_url="http://alice:hunter2@api.example.com")
    assert "hunter2" not in str(info.value)
    assert "alice" not in str(info.value)


async def test_an_error_echoing_the_key_never_shows_it() -> None:
    echo = {"detail": f"bad header Authorization: Bearer {API_KEY}", "key": API_KEY}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json=echo,
            headers={"Set-Cookie": f"file_service_auth={API_KEY}", "X-Echo": API_KEY},
        )

    async with mock_client(handler) as client:
        with pytest.raises(APIStatusError) as info:
            await client.request("GET", "/templates")
    error = info.value
    for shown in (str(error), repr(error), repr(error.body), repr(error.headers)):
        assert API_KEY not in shown
    assert API_KEY.encode() not in pickle.dumps(error)
    assert "set-cookie" not in error.headers


def _frames(tb: TracebackType | None) -> list[Any]:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames


def _holds(value: Any, secret: str, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(value, str):
        return secret in value
    if isinstance(value, bytes | bytearray):
        return secret.encode() in value
    if isinstance(value, dict):
        return any(
            _holds(k, secret, depth + 1) or _holds(v, secret, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds(item, secret, depth + 1) for item in value)
    if isinstance(value, httpx.Headers):
        return any(secret in v for v in value.values())
    return False


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _assert_no_key_in_traceback(error: BaseException) -> None:
    rendered = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert API_KEY not in rendered
    for exc in _chain(error):
        for frame in _frames(exc.__traceback__):
            for name, value in frame.f_locals.items():
                assert not _holds(value, API_KEY), f"{frame.f_code.co_name}: local {name!r}"


async def _server_error(head: bytes, stream: SocketStream) -> None:
    body = b'{"detail": "boom"}'
    await stream.send(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )


@BOTH_TRANSPORTS
async def test_no_frame_local_of_a_failed_call_holds_the_key(kind: str, anyio_backend: str) -> None:
    async with (
        serve(_server_error) as base,
        Pneumatic(
            api_key=API_KEY,
            base_url=base,
            transport=make_transport(kind, anyio_backend),
            retry=RetryPolicy.never(),
        ) as client,
    ):
        with pytest.raises(InternalServerError) as status:
            await client.request("GET", "/templates")
        with pytest.raises(AmbiguousOutcomeError) as ambiguous:
            await client.templates.run(1, kickoff={}, validate=False)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()
    async with Pneumatic(
        api_key=API_KEY,
        base_url=f"http://127.0.0.1:{port}",
        transport=make_transport(kind, anyio_backend),
        retry=RetryPolicy.never(),
    ) as client:
        with pytest.raises(APIConnectionError) as refused:
            await client.request("GET", "/templates")
    for error in (status.value, ambiguous.value, refused.value):
        _assert_no_key_in_traceback(error)


async def _too_big(head: bytes, stream: SocketStream) -> None:
    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b" " * 5000)


@pytest.mark.parametrize(
    ("anyio_backend", "kind"),
    [("asyncio", "default"), ("trio", "default"), ("asyncio", "httpx"), ("asyncio", "aiohttp")],
)
async def test_no_frame_local_holds_the_key_when_the_body_is_over_the_cap(
    kind: str, anyio_backend: str
) -> None:
    # Raised inside the exchange itself (not a transport error, whose frames are cleared).
    transport = None if kind == "default" else make_transport(kind, anyio_backend)
    async with (
        serve(_too_big) as base,
        Pneumatic(
            api_key=API_KEY, base_url=base, transport=transport, max_response_bytes=100
        ) as client,
    ):
        with pytest.raises(ResponseTooLargeError) as info:
            await client.request("GET", "/templates")
    _assert_no_key_in_traceback(info.value)


async def _set_cookie(head: bytes, stream: SocketStream) -> None:
    body = b"[]"
    await stream.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Set-Cookie: file_service_auth=" + API_KEY.encode() + b"; Path=/; HttpOnly\r\n"
        b"Set-Cookie: sessionid=abc; Path=/\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()} {record.args!r}")


@BOTH_TRANSPORTS
async def test_no_debug_record_of_any_logger_holds_the_key(kind: str, anyio_backend: str) -> None:
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        async with (
            serve(_set_cookie) as base,
            Pneumatic(
                api_key=API_KEY, base_url=base, transport=make_transport(kind, anyio_backend)
            ) as client,
        ):
            await client.request("GET", "/templates")
            await client.request("GET", "/templates")
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
    assert capture.messages  # the libraries did log at DEBUG
    assert not [message for message in capture.messages if API_KEY in message]
    if kind == "httpx":
        assert any(message.startswith("httpcore") for message in capture.messages)


async def test_the_key_goes_only_to_the_configured_api() -> None:
    seen: dict[str, httpx.Headers] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers
        return httpx.Response(200, json={})

    async with mock_client(handler) as client:
        await client.send("PUT", "https://storage.example.com/f?sig=1", content=b"x")
        await client.request("GET", "/templates")
    assert "authorization" not in seen["storage.example.com"]
    assert "user-agent" not in seen["storage.example.com"]  # nothing of ours goes elsewhere
    assert seen["api.pneumatic.test"]["authorization"] == f"Bearer {API_KEY}"


async def _slow_ok(head: bytes, stream: SocketStream) -> None:
    await anyio.sleep(2)  # bounded: the test's own deadline ends long before
    await stream.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")


@BOTH_TRANSPORTS
async def test_the_deadline_bounds_the_wait_for_a_concurrency_slot(
    kind: str, anyio_backend: str
) -> None:
    async with (
        serve(_slow_ok) as base,
        Pneumatic(
            api_key=API_KEY,
            base_url=base,
            transport=make_transport(kind, anyio_backend),
            max_concurrency=1,
            retry=RetryPolicy(deadline=0.3, initial_backoff=0.0),
        ) as client,
    ):
        slow = client.with_options(retry=RetryPolicy(deadline=None))
        errors: list[BaseException] = []

        async def second() -> None:
            try:
                await client.request("POST", "/templates/1/run", json={})
            except APITimeoutError as exc:
                errors.append(exc)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(slow.request, "GET", "/templates")
                await anyio.wait_all_tasks_blocked()
                tg.start_soon(second)
    [error] = errors
    assert not error.may_have_been_sent  # never left: a launch, yet not ambiguous


@BOTH_TRANSPORTS
async def test_the_deadline_bounds_a_shared_rate_limit_pause(kind: str, anyio_backend: str) -> None:
    async with (
        serve() as base,
        Pneumatic(
            api_key=API_KEY,
            base_url=base,
            transport=make_transport(kind, anyio_backend),
            retry=RetryPolicy(deadline=0.5),
        ) as client,
    ):
        client._pipeline.pacer.pause(60.0)  # another request's 429 asked everyone to wait
        with anyio.fail_after(10), pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/templates")
    assert "deadline" in str(info.value)
