"""The client core: configuration, auth, retries, errors, cookies, secrets, lifecycle."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    PneumaticError,
    RateLimitError,
    ResponseValidationError,
)
from pneumatic_async.retries import RetryEvent, RetryPolicy
from tests.conftest import API_KEY, BASE_URL

FAST = RetryPolicy(initial_backoff=0.0, max_backoff=0.0)
Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **kwargs: Any) -> Pneumatic:
    if "max_retries" in kwargs:
        attempts = kwargs.pop("max_retries") + 1
        kwargs["retry"] = RetryPolicy(max_attempts=attempts, initial_backoff=0.0, max_backoff=0.0)
    kwargs.setdefault("retry", FAST)
    return Pneumatic(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(handler), **kwargs
    )


class Recorder:
    """A mock server handler answering from a script and recording every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   ", "pn-abc def", "pn-abc\n", "\tpn-abc"])
def test_bad_api_key_is_a_configuration_error(key: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Pneumatic(api_key=key)
    assert key.strip() == "" or key not in str(info.value)


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PNEUMATIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="PNEUMATIC_API_KEY"):
        Pneumatic()


async def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PNEUMATIC_API_KEY", API_KEY)
    monkeypatch.setenv("PNEUMATIC_BASE_URL", "https://pneumatic.example.com/api/")
    seen = Recorder(httpx.Response(200, json=[]))
    async with Pneumatic(transport=httpx.MockTransport(seen)) as client:
        assert client.base_url == "https://pneumatic.example.com/api"
        await client.request("GET", "/templates")
    assert str(seen.requests[0].url) == "https://pneumatic.example.com/api/templates"
    assert seen.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PNEUMATIC_BASE_URL", raising=False)
    client = Pneumatic(api_key=API_KEY, transport=httpx.MockTransport(Recorder()))
    assert client.base_url == "https://api.pneumatic.app"
    client._pipeline.closed = True  # never used: nothing to close


@pytest.mark.parametrize("url", ["api.pneumatic.app", "ftp://x", "https://x/?a=1", "/relative"])
def test_bad_base_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Pneumatic(api_key=API_KEY, base_url=url)


def test_transport_and_http_client_are_exclusive() -> None:
    with pytest.raises(ConfigurationError, match="either"):
        Pneumatic(
            api_key=API_KEY,
            transport=httpx.MockTransport(Recorder()),
            http_client=httpx.AsyncClient(),
        )


def test_repr_hides_the_key() -> None:
    client = make_client(Recorder())
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(client._api_key)
    assert "redacted" in repr(client)
    client._pipeline.closed = True


# -- requests, errors and retries -------------------------------------------------------------


async def test_request_sends_auth_and_json() -> None:
    seen = Recorder(httpx.Response(200, json={"ok": True}))
    async with make_client(seen) as client:
        body = await client.request("POST", "/things", json={"a": 1}, params={"x": 1, "y": None})
    assert body == {"ok": True}
    request = seen.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/things"
    assert dict(request.url.params) == {"x": "1"}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.content == b'{"a":1}'


async def test_empty_body_is_none() -> None:
    async with make_client(Recorder(httpx.Response(204))) as client:
        assert await client.request("POST", "/webhooks/unsubscribe", idempotent=True) is None


async def test_non_json_success_is_a_validation_error() -> None:
    async with make_client(Recorder(httpx.Response(200, content=b"<html>"))) as client:
        with pytest.raises(ResponseValidationError) as info:
            await client.request("GET", "/templates")
    assert info.value.path == "/templates"
    assert info.value.field_path == "$"


async def test_status_error_is_typed_with_attempts() -> None:
    seen = Recorder(httpx.Response(404, json={"detail": "Not found."}))
    async with make_client(seen) as client:
        with pytest.raises(NotFoundError) as info:
            await client.request("GET", "/templates/9")
    assert info.value.attempts == 1
    assert info.value.message == "Not found."
    assert len(seen.requests) == 1


async def test_get_retries_503_then_succeeds() -> None:
    events: list[RetryEvent] = []
    seen = Recorder(httpx.Response(503), httpx.Response(503), httpx.Response(200, json=[]))
    async with make_client(seen, on_retry=events.append) as client:
        assert await client.request("GET", "/templates") == []
    assert len(seen.requests) == 3
    assert [e.attempt for e in events] == [1, 2]
    assert events[0].reason == "HTTP 503"


async def test_get_gives_up_with_attempt_count() -> None:
    seen = Recorder(httpx.Response(502, text="Bad gateway"))
    async with make_client(seen, max_retries=2) as client:
        with pytest.raises(InternalServerError) as info:
            await client.request("GET", "/templates")
    assert len(seen.requests) == 3
    assert info.value.attempts == 3


async def test_get_500_is_not_retried() -> None:
    seen = Recorder(httpx.Response(500, text="<h1>Server Error (500)</h1>"))
    async with make_client(seen) as client:
        with pytest.raises(InternalServerError, match="Server Error"):
            await client.request("GET", "/templates")
    assert len(seen.requests) == 1


async def test_get_retries_read_timeouts_then_raises_timeout_error() -> None:
    seen = Recorder(httpx.ReadTimeout("slow"))
    async with make_client(seen, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.request("GET", "/templates")
    assert len(seen.requests) == 2
    assert info.value.attempts == 2


async def test_post_dropped_after_send_is_ambiguous_and_sent_once() -> None:
    seen = Recorder(httpx.RemoteProtocolError("Server disconnected"))
    async with make_client(seen) as client:
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.request("POST", "/templates/1/run", json={})
    assert len(seen.requests) == 1
    assert isinstance(info.value.cause, APIConnectionError)
    assert info.value.path == "/templates/1/run"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_5xx_is_ambiguous_and_sent_once(status: int) -> None:
    seen = Recorder(httpx.Response(status, text="Internal Server Error"))
    async with make_client(seen) as client:
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.request("POST", "/templates/1/run", json={})
    assert len(seen.requests) == 1
    assert info.value.status_code == status
    assert isinstance(info.value.cause, InternalServerError)


async def test_post_read_timeout_is_ambiguous() -> None:
    seen = Recorder(httpx.ReadTimeout("slow"))
    async with make_client(seen) as client:
        with pytest.raises(AmbiguousOutcomeError) as info:
            await client.request("POST", "/templates/1/run", json={})
    assert isinstance(info.value.cause, APITimeoutError)
    assert len(seen.requests) == 1


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("t"), httpx.PoolTimeout("p")]
)
async def test_post_not_sent_is_retried(failure: Exception) -> None:
    seen = Recorder(failure, httpx.Response(200, json={"id": 1}))
    async with make_client(seen) as client:
        assert await client.request("POST", "/templates/1/run", json={}) == {"id": 1}
    assert len(seen.requests) == 2


async def test_post_429_is_retried_after_retry_after() -> None:
    seen = Recorder(
        httpx.Response(429, json={"detail": "throttled"}, headers={"Retry-After": "0.01"}),
        httpx.Response(200, json={"id": 1}),
    )
    async with make_client(seen) as client:
        started = anyio.current_time()
        assert await client.request("POST", "/templates/1/run", json={}) == {"id": 1}
        assert anyio.current_time() - started >= 0.009
    assert len(seen.requests) == 2


async def test_429_pauses_the_whole_client() -> None:
    async with make_client(Recorder(httpx.Response(200, json=[]))) as client:
        client._pipeline.pacer.pause(0.02)
        started = anyio.current_time()
        await client.request("GET", "/templates")
        assert anyio.current_time() - started >= 0.015


async def test_429_exhausted_raises_rate_limit_error() -> None:
    seen = Recorder(httpx.Response(429, json={"detail": "throttled"}, headers={"Retry-After": "0"}))
    async with make_client(seen, max_retries=1) as client:
        with pytest.raises(RateLimitError) as info:
            await client.request("GET", "/templates")
    assert info.value.retry_after == 0.0
    assert len(seen.requests) == 2


async def test_idempotent_post_is_retried_on_5xx() -> None:
    seen = Recorder(httpx.Response(503), httpx.Response(204))
    async with make_client(seen) as client:
        await client.request("POST", "/webhooks/subscribe", json={"url": "u"}, idempotent=True)
    assert len(seen.requests) == 2


async def test_authentication_error_from_real_body() -> None:
    body = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
    async with make_client(Recorder(httpx.Response(401, json=body))) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.request("GET", "/templates")
    assert info.value.code == "token_not_valid"


async def test_unexpected_exceptions_propagate() -> None:
    async with make_client(Recorder(KeyError("bug"))) as client:
        with pytest.raises(KeyError):
            await client.request("GET", "/templates")


async def test_cancellation_is_not_swallowed() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(10)
        return httpx.Response(200)

    async with Pneumatic(
        api_key=API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(slow)
    ) as client:
        with anyio.move_on_after(0.01) as scope:
            await client.request("GET", "/templates")
        assert scope.cancelled_caught


# -- cookies and secrets ----------------------------------------------------------------------


async def test_set_cookie_is_never_sent_back() -> None:
    cookie = f"file_service_auth={API_KEY}; Path=/; HttpOnly, sessionid=abc; Path=/"
    seen = Recorder(httpx.Response(200, json=[], headers={"Set-Cookie": cookie}))
    async with make_client(seen) as client:
        await client.request("GET", "/templates")
        await client.request("GET", "/templates")
    assert "cookie" not in seen.requests[1].headers


async def test_caller_owned_client_keeps_no_server_cookie() -> None:
    seen = Recorder(httpx.Response(200, json=[], headers={"Set-Cookie": "sessionid=abc; Path=/"}))
    async with httpx.AsyncClient(transport=httpx.MockTransport(seen)) as http:
        async with Pneumatic(api_key=API_KEY, base_url=BASE_URL, http_client=http) as client:
            await client.request("GET", "/templates")
            await client.request("GET", "/templates")
        assert "sessionid" not in http.cookies
        assert not http.is_closed  # the SDK never closes a caller-owned client
    assert "cookie" not in seen.requests[1].headers


async def test_key_is_not_sent_to_other_hosts() -> None:
    seen = Recorder(httpx.Response(200, json={}))
    async with make_client(seen) as client:
        await client.send("POST", "https://evil.example.com/x", json={})
        await client.send("PUT", "https://storage.example.com/f?sig=1", content=b"x")
        await client.send("POST", client.file_service_url + "/upload")
    assert "authorization" not in seen.requests[0].headers
    assert "authorization" not in seen.requests[1].headers
    assert "user-agent" not in seen.requests[1].headers
    assert seen.requests[2].headers["authorization"] == f"Bearer {API_KEY}"


async def test_key_absent_from_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pneumatic_async")
    seen = Recorder(
        httpx.ConnectError(f"boom Bearer {API_KEY}"),
        httpx.Response(503),
        httpx.Response(400, json={"code": "validation_error", "message": f"bad {API_KEY}"}),
    )
    async with make_client(seen) as client:
        with pytest.raises(PneumaticError) as info:
            await client.request("GET", "/templates", params={"api_key": API_KEY})
    assert caplog.records, "the SDK logs requests at DEBUG"
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
    assert "/templates" in caplog.text
    assert API_KEY not in str(info.value) or info.value.args[0].startswith("bad")


async def test_connection_error_message_is_redacted() -> None:
    seen = Recorder(httpx.ConnectError(f"cannot connect with Bearer {API_KEY}"))
    async with make_client(seen, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.request("GET", "/templates")
    assert API_KEY not in str(info.value)


# -- concurrency, options and lifecycle -------------------------------------------------------


async def test_concurrency_limit_queues_inside_the_sdk() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.lowlevel.checkpoint()
        await anyio.lowlevel.checkpoint()
        in_flight -= 1
        return httpx.Response(200, json=[])

    async with (
        Pneumatic(
            api_key=API_KEY,
            base_url=BASE_URL,
            transport=httpx.MockTransport(handler),
            max_concurrency=5,
        ) as client,
        anyio.create_task_group() as tg,
    ):
        for _ in range(200):
            tg.start_soon(client.request, "GET", "/templates")
    assert peak == 5


async def test_with_options_shares_the_pool_and_changes_options() -> None:
    seen = Recorder(httpx.Response(200, json=[]))
    async with make_client(seen) as client:
        view = client.with_options(timeout=3.0, default_headers={"X-Trace": "1"})
        assert view._pipeline is client._pipeline
        assert view.timeout.read == 3.0
        assert client.timeout.read == 30.0
        await view.request("GET", "/templates")
        assert seen.requests[0].extensions["timeout"]["read"] == 3.0
        assert seen.requests[0].headers["x-trace"] == "1"
        assert view.templates is not client.templates
        assert view.templates._client is view
    assert view.is_closed


async def test_per_call_timeout() -> None:
    seen = Recorder(httpx.Response(200, json=[]))
    async with make_client(seen) as client:
        await client.request("GET", "/templates", timeout=1.5)
    assert seen.requests[0].extensions["timeout"] == {
        "connect": 1.5,
        "read": 1.5,
        "write": 1.5,
        "pool": 1.5,
    }


def test_default_timeouts() -> None:
    client = make_client(Recorder())
    assert client.timeout.as_dict() == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 10.0}
    client._pipeline.closed = True


async def test_closed_client_refuses_requests() -> None:
    client = make_client(Recorder(httpx.Response(200, json=[])))
    await client.aclose()
    await client.aclose()  # idempotent
    with pytest.raises(PneumaticError, match="closed"):
        await client.request("GET", "/templates")


def test_unclosed_client_warns_on_collection() -> None:
    client = make_client(Recorder())
    with pytest.warns(ResourceWarning, match="unclosed Pneumatic"):  # noqa: PT031
        del client
        gc.collect()


def test_views_and_closed_clients_do_not_warn(recwarn: pytest.WarningsRecorder) -> None:
    client = make_client(Recorder())
    view = client.with_options(timeout=1)
    del view
    client._pipeline.closed = True
    del client
    gc.collect()
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]
