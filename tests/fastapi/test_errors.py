"""SDK errors raised in endpoints come back as the mapped HTTP answers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from pneumatic_async import Pneumatic
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    InternalServerError,
    PermissionDeniedError,
    PneumaticError,
    RateLimitError,
)
from pneumatic_async.fastapi import PneumaticClient, install_error_handlers, pneumatic_lifespan
from tests.fastapi.helpers import TEMPLATE, client_factory, make_fake, running

API_KEY_HINT = "pn-"


def _status_error(cls: type[PneumaticError], status: int, **extra: object) -> PneumaticError:
    return cls(  # type: ignore[call-arg]
        "refused", status_code=status, method="GET", path="/workflows/1", **extra
    )


ERRORS: dict[str, PneumaticError] = {
    "rate": _status_error(RateLimitError, 429, retry_after=2.5),
    "rate-unknown": _status_error(RateLimitError, 429),
    "ambiguous": AmbiguousOutcomeError(
        "launch failed",
        method="POST",
        path="/templates/1/run",
        attempts=1,
        cause=_status_error(InternalServerError, 500),
    ),
    "connect": APIConnectionError("refused", method="GET", path="/x"),
    "timeout": APITimeoutError("read timeout", method="GET", path="/x"),
    "auth": _status_error(AuthenticationError, 401),
    "permission": _status_error(PermissionDeniedError, 403),
    "other": _status_error(InternalServerError, 500),
}


def build() -> tuple[FastAPI, object]:
    fake = make_fake()
    template = fake.add_template(TEMPLATE)
    app = FastAPI(lifespan=pneumatic_lifespan(client=client_factory(fake)))
    install_error_handlers(app)

    @app.get("/raise/{name}")
    async def raise_(name: str) -> None:
        raise ERRORS[name]

    @app.get("/workflows/{workflow_id}")
    async def workflow(workflow_id: int, client: PneumaticClient) -> dict[str, str]:
        return {"name": (await client.workflows.get(workflow_id)).name}

    @app.post("/launch")
    async def launch(kickoff: dict[str, object], client: PneumaticClient) -> dict[str, int]:
        return {"id": (await client.templates.run(template.id, kickoff=kickoff)).id}

    return app, template


async def test_invalid_values_are_422_with_every_problem() -> None:
    app, _ = build()
    async with running(app) as http:
        response = await http.post("/launch", json={"item": 5, "nope": "x"})
        assert response.status_code == 422
        problems = response.json()["problems"]
        assert {p["field"] for p in problems} == {"item", "nope"}
        assert all(p["message"] and p["item"] is None for p in problems)
        assert (await http.post("/launch", json={"item": "Laptop"})).status_code == 200


async def test_not_found_upstream_is_404() -> None:
    app, _ = build()
    async with running(app) as http:
        response = await http.get("/workflows/424242")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("name", "status", "retry_after"),
    [
        ("rate", 503, "3"),
        ("rate-unknown", 503, "1"),
        ("ambiguous", 502, None),
        ("connect", 504, None),
        ("timeout", 504, None),
        ("auth", 502, None),
        ("permission", 502, None),
    ],
)
async def test_mapped_statuses(name: str, status: int, retry_after: str | None) -> None:
    app, _ = build()
    async with running(app) as http:
        response = await http.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert response.json()["detail"]
    if name == "ambiguous":
        assert response.json()["may_have_happened"] is True
        assert "may have happened" in response.json()["detail"]


async def test_other_sdk_errors_are_left_to_the_app() -> None:
    app, _ = build()
    async with running(app) as http:
        with pytest.raises(InternalServerError):  # httpx's ASGITransport re-raises app errors
            await http.get("/raise/other")


async def test_the_client_is_the_same_across_requests() -> None:
    app = FastAPI(lifespan=pneumatic_lifespan(client=client_factory(make_fake())))
    seen: list[Pneumatic] = []

    @app.get("/who")
    async def who(client: PneumaticClient) -> dict[str, str]:
        seen.append(client)
        return {"email": (await client.users.me()).email}

    async with running(app) as http:
        assert (await http.get("/who")).json() == {"email": "owner@example.com"}
        await http.get("/who")
    assert len(seen) == 2
    assert seen[0] is seen[1]
