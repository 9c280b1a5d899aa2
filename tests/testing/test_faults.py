"""Fault injection: every kind, seeded determinism, per-route vs global rules, applied-then-drop."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.faults import (
    ConnectionDropped,
    FaultInjector,
    FaultMiddleware,
    RoutePattern,
)

pytestmark = pytest.mark.anyio

BASE = "http://pneumatic.test"


class DroppingTransport(httpx.AsyncBaseTransport):
    """What the fake's in-process transport does: ConnectionDropped → RemoteProtocolError."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc


class MiniServer:
    """A two-route app standing in for the fake: ``POST /templates/{id}/run`` creates workflows."""

    def __init__(self, seed: int = 0) -> None:
        self.workflows: list[int] = []
        self.faults = FaultInjector(seed=seed)

        async def run(request: Request) -> Response:
            self.workflows.append(len(self.workflows) + 1)
            return JSONResponse({"id": self.workflows[-1], "name": "Onboarding run"})

        async def templates(request: Request) -> Response:
            return JSONResponse([])

        routes = [
            Route("/templates/{id}/run", run, methods=["POST"]),
            Route("/templates", templates, methods=["GET"]),
        ]
        self.app = FaultMiddleware(Starlette(routes=routes), self.faults)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=DroppingTransport(self.app), base_url=BASE)


# -- route patterns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "method", "path", "expected"),
    [
        ("POST /templates/{id}/run", "POST", "/templates/12/run", True),
        ("POST /templates/{id}/run", "post", "/templates/12/run", True),
        ("POST /templates/{id}/run", "GET", "/templates/12/run", False),
        ("POST /templates/{id}/run", "POST", "/templates/12/run/x", False),
        ("POST /templates/{id}/run", "POST", "/templates//run", False),
        ("/templates/{id}/run", "GET", "/templates/1/run", True),
        ("GET /v2/tasks/*", "GET", "/v2/tasks/1/events", True),
        ("GET /templates", "GET", "/templates", True),
        ("GET /templates", "GET", "/templates/1", False),
    ],
)
def test_route_pattern(pattern: str, method: str, path: str, expected: bool) -> None:
    assert RoutePattern(pattern).matches(method, path) is expected


def test_add_rejects_bad_arguments() -> None:
    faults = FaultInjector()
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.add("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        faults.add("drop", rate=1.5)
    with pytest.raises(ValueError, match="error status"):
        faults.add("status", status=200)
    with pytest.raises(ValueError, match="path"):
        faults.add("drop", route="POST templates")


# -- each kind ---------------------------------------------------------------------------------


async def test_status_500_is_djangos_html_page_and_not_applied() -> None:
    server = MiniServer()
    server.faults.add("status", route="POST /templates/{id}/run", status=500)
    async with server.client() as client:
        response = await client.post("/templates/1/run")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<h1>Server Error (500)</h1>"
    assert server.workflows == []
    assert server.faults.injected["status"] == 1


async def test_status_500_asgi_style_is_plain_text() -> None:
    server = MiniServer()
    server.faults.add("status", status=500, style="asgi")
    async with server.client() as client:
        response = await client.post("/templates/1/run")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Internal Server Error"


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (403, "You do not have permission to perform this action."),
        (404, "Not found."),
        (405, 'Method "POST" not allowed.'),
        (409, "Conflict."),
    ],
)
async def test_non_5xx_status_has_a_drf_json_body(status: int, detail: str) -> None:
    server = MiniServer()
    server.faults.add("status", status=status)
    async with server.client() as client:
        response = await client.post("/templates/1/run")
    assert response.status_code == status
    assert response.json() == {"detail": detail}


async def test_status_503_with_retry_after() -> None:
    server = MiniServer()
    server.faults.add("status", status=503, retry_after=7)
    async with server.client() as client:
        response = await client.get("/templates")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.text == "<h1>Server Error (503)</h1>"


@pytest.mark.parametrize(("retry_after", "unit"), [(None, "1 second"), (2.2, "3 seconds")])
async def test_rate_limit_is_drfs_throttle_answer(retry_after: float | None, unit: str) -> None:
    server = MiniServer()
    server.faults.add("rate_limit", retry_after=retry_after)
    async with server.client() as client:
        response = await client.post("/templates/1/run")
    assert response.status_code == 429
    assert response.json() == {"detail": f"Request was throttled. Expected available in {unit}."}
    assert response.headers["retry-after"] == unit.split()[0]
    assert server.workflows == []


async def test_latency_sleeps_then_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    from pneumatic_async.testing import faults as faults_module

    monkeypatch.setattr(faults_module, "_sleep", fake_sleep)
    server = MiniServer()
    server.faults.add("latency", latency=0.25)
    server.faults.add("latency", latency=0.5, route="POST /templates/{id}/run")
    async with server.client() as client:
        response = await client.post("/templates/1/run")
    assert response.status_code == 200
    assert slept == [0.75]
    assert server.faults.injected["latency"] == 2


async def test_latency_combines_with_a_terminal_fault() -> None:
    server = MiniServer()
    server.faults.add("latency", latency=0.001)
    server.faults.add("status", status=502)
    async with server.client() as client:
        response = await client.get("/templates")
    assert response.status_code == 502
    assert server.faults.injected == {"latency": 1, "status": 1}


async def test_drop_happens_before_the_request_is_applied() -> None:
    server = MiniServer()
    server.faults.add("drop", route="POST /templates/{id}/run", times=1)
    async with server.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/templates/1/run")
        assert server.workflows == []
        response = await client.post("/templates/1/run")  # times=1: the next one goes through
    assert response.status_code == 200
    assert server.workflows == [1]


async def test_applied_then_drop_really_applies() -> None:
    server = MiniServer()
    server.faults.add("applied_then_drop", route="POST /templates/{id}/run", times=1)
    async with server.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/templates/1/run")
        assert server.workflows == [1]  # created, although the client saw no answer
        response = await client.post("/templates/1/run")
    assert response.json()["id"] == 2
    assert server.faults.injected["applied_then_drop"] == 1


async def test_truncated_applies_and_cuts_the_body() -> None:
    server = MiniServer()
    server.faults.add("truncated", route="POST /templates/{id}/run")
    sent: list[dict[str, Any]] = []

    async def record(message: Any) -> None:
        sent.append(dict(message))

    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/templates/1/run"}
    scope["headers"] = []
    scope |= {"query_string": b"", "root_path": "", "scheme": "http", "server": ("x", 80)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(ConnectionDropped):
        await server.app(scope, receive, record)
    assert server.workflows == [1]
    start, body = sent
    declared = int(dict(start["headers"])[b"content-length"])
    assert 0 < len(body["body"]) < declared
    assert body["more_body"] is True
    async with server.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/templates/1/run")
    assert server.workflows == [1, 2]


async def test_malformed_is_a_200_that_is_not_json() -> None:
    server = MiniServer()
    server.faults.add("malformed", route="GET /templates")
    async with server.client() as client:
        response = await client.get("/templates")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


# -- selection: routes, times, rates, determinism ---------------------------------------------


async def test_per_route_fault_leaves_other_routes_alone() -> None:
    server = MiniServer()
    server.faults.add("status", route="POST /templates/{id}/run", status=500)
    async with server.client() as client:
        assert (await client.get("/templates")).status_code == 200
        assert (await client.post("/templates/5/run")).status_code == 500


async def test_global_fault_hits_every_route_and_times_limits_it() -> None:
    server = MiniServer()
    fault = server.faults.add("status", status=503, times=2)
    async with server.client() as client:
        statuses = [
            (await client.get("/templates")).status_code,
            (await client.post("/templates/1/run")).status_code,
            (await client.get("/templates")).status_code,
        ]
    assert statuses == [503, 503, 200]
    assert fault.injected == 2
    assert fault.exhausted


async def test_first_matching_rule_wins_and_clear_removes_rules() -> None:
    server = MiniServer()
    server.faults.add("status", status=500, route="POST /templates/{id}/run")
    server.faults.add("status", status=502)
    async with server.client() as client:
        assert (await client.post("/templates/1/run")).status_code == 500
        assert (await client.get("/templates")).status_code == 502
        server.faults.clear()
        assert (await client.get("/templates")).status_code == 200
    assert server.faults.injected["status"] == 2  # the history survives clear()


async def _statuses(seed: int, count: int = 40) -> list[int]:
    server = MiniServer(seed=seed)
    server.faults.add("status", status=500, rate=0.3)
    async with server.client() as client:
        return [(await client.get("/templates")).status_code for _ in range(count)]


async def test_rate_is_deterministic_for_a_seed() -> None:
    first, again, other = await _statuses(1), await _statuses(1), await _statuses(2)
    assert first == again
    assert first != other
    assert 0 < first.count(500) < 40


def test_decide_sequence_is_reproducible() -> None:
    def run(seed: int) -> list[str | None]:
        faults = FaultInjector(seed=seed)
        faults.add("drop", rate=0.2, route="POST /templates/{id}/run")
        faults.add("rate_limit", rate=0.2)
        decisions = [faults.decide("POST", f"/templates/{i}/run").fault for i in range(50)]
        return [d.kind if d else None for d in decisions]

    assert run(7) == run(7)
    assert {"drop", "rate_limit", None} <= set(run(7))


async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    faults = FaultInjector()
    faults.add("drop")

    async def nothing(*args: Any) -> None:
        raise AssertionError("not used")

    await FaultMiddleware(app, faults)({"type": "lifespan"}, nothing, nothing)
    assert seen == ["lifespan"]
    assert not faults.injected


# -- with the real fake ----------------------------------------------------------------------------


def _fake_with_template() -> tuple[FakePneumatic, int]:
    fake = FakePneumatic()
    performer = {"type": "user", "source_id": str(fake.owner.id)}
    template = fake.add_template(
        name="Onboarding", tasks=[{"name": "Review", "number": 1, "raw_performers": [performer]}]
    )
    return fake, template.id


def _fake_client(fake: FakePneumatic) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    return httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url, headers=headers)


async def test_applied_then_drop_really_creates_the_workflow_in_the_fake() -> None:
    fake, template_id = _fake_with_template()
    fake.faults.add("applied_then_drop", route="POST /templates/{id}/run", times=1)
    async with _fake_client(fake) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"/templates/{template_id}/run", json={"name": "exactly once"})
        [workflow] = fake.state.workflows.values()
        assert workflow.name == "exactly once"
        listed = await client.get("/workflows", params={"search": "exactly"})
    assert listed.json()["count"] == 1  # the lookup an SDK does before retrying


async def test_drop_and_status_faults_leave_the_fake_untouched() -> None:
    fake, template_id = _fake_with_template()
    fake.faults.add("drop", route="POST /templates/{id}/run", times=1)
    fake.faults.add("status", route="POST /templates/{id}/run", status=500, times=1)
    fake.faults.add("rate_limit", route="POST /templates/{id}/run", times=1, retry_after=2)
    async with _fake_client(fake) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(f"/templates/{template_id}/run")
        assert (await client.post(f"/templates/{template_id}/run")).status_code == 500
        assert (await client.post(f"/templates/{template_id}/run")).status_code == 429
        assert not fake.state.workflows
        assert (await client.post(f"/templates/{template_id}/run")).status_code == 200
    assert len(fake.state.workflows) == 1
    assert fake.faults.injected == {"drop": 1, "status": 1, "rate_limit": 1}
