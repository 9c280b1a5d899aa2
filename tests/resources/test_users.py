"""``client.users`` against the captured real responses and the fake server."""

from __future__ import annotations

import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async.errors import BadRequestError
from pneumatic_async.testing import FakePneumatic
from tests.captures import body


async def test_list_with_csv_filters(router: respx.MockRouter, client: Pneumatic) -> None:
    route = router.get("/accounts/users").respond(200, json=body("21_accounts_users_get_limit1"))
    users = await client.users.list(
        status=["active", "invited"], type="user", groups=[3, 4]
    ).collect(max_items=10)
    params = route.calls[0].request.url.params
    assert params["status"] == "active,invited"
    assert params["type"] == "user"
    assert params["groups"] == "3,4"
    assert "limit" in params
    assert users[0].email == "owner@example.com"


async def test_bad_filter_is_a_bare_array_error(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.get("/accounts/users").respond(400, json=["'x' is an invalid value for the filter"])
    with pytest.raises(BadRequestError) as info:
        await client.users.list(status="x").first_page()
    assert info.value.errors == ["'x' is an invalid value for the filter"]


async def test_me(router: respx.MockRouter, client: Pneumatic) -> None:
    router.get("/accounts/user").respond(200, json=body("22_accounts_user_get"))
    me = await client.users.me()
    assert me.id == 1
    assert me.is_account_owner is True


async def test_against_the_fake() -> None:
    fake = FakePneumatic()
    fake.add_user("ann@example.com", "Ann", "Lee")
    async with Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key
    ) as client:
        emails = sorted([u.email async for u in client.users.list()])
        me = await client.users.me()
    assert emails == ["ann@example.com", "owner@example.com"]
    assert me.email == "owner@example.com"
