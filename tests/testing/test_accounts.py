"""The fake's authentication, app-level behaviour and ``/accounts/...`` routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from tests.testing._core_fixtures import client

TOKEN_NOT_VALID = {
    "detail": "Given token not valid for any token type",
    "code": "token_not_valid",
    "messages": [
        {
            "token_class": "AccessToken",
            "token_type": "access",
            "message": "Token is invalid or expired",
        },
        {
            "token_class": "GuestToken",
            "token_type": "Guest",
            "message": "Token is invalid or expired",
        },
    ],
}


@pytest.fixture
def fake() -> FakePneumatic:
    return FakePneumatic()


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    async with client(fake) as http:
        yield http


# -- authentication --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "body"),
    [
        (None, {"detail": "Authentication credentials were not provided."}),
        ("Token abc", {"detail": "Authentication credentials were not provided."}),
        ("Bearer", {"detail": "Invalid token header. No credentials provided."}),
        ("Bearer a b", {"detail": "Invalid token header. Token string should not contain spaces."}),
        ("Bearer pn-wrong", TOKEN_NOT_VALID),
        ("Bearer not-a-key", TOKEN_NOT_VALID),
    ],
)
async def test_401_bodies(fake: FakePneumatic, authorization: str | None, body: object) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with client(fake, key="") as http:
        response = await http.get("/templates", headers=headers)
    assert response.status_code == 401
    assert response.json() == body
    assert response.headers["www-authenticate"] == 'Token realm="api"'
    assert response.headers["content-type"] == "application/json"
    assert response.headers["set-cookie"].startswith("sessionid=")


async def test_authenticated_responses_set_cookies(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    response = await http.get("/accounts/user")
    cookies = response.headers.get_list("set-cookie")
    assert cookies[0].startswith(f"file_service_auth={fake.api_key}; Domain=.pneumatic.test;")
    assert "HttpOnly; Max-Age=86400; Path=/; SameSite=Lax; Secure" in cookies[0]
    assert cookies[1].startswith("sessionid=")
    assert response.content.startswith(b'{"id":1,"type":"user"')  # compact JSON


async def test_session_token_and_revoked_key(fake: FakePneumatic) -> None:
    async with client(fake, fake.session_token) as http:
        assert (await http.get("/accounts/user")).status_code == 200
    key = fake.add_api_key(fake.owner)
    async with client(fake, key.token) as http:
        assert (await http.get("/accounts/user")).status_code == 200
        fake.revoke_api_key(key)
        response = await http.get("/accounts/user")
    assert (response.status_code, response.json()) == (401, TOKEN_NOT_VALID)


async def test_inactive_user_cannot_authenticate(fake: FakePneumatic) -> None:
    user = fake.add_user("gone@example.com", "Gone", "User", status="inactive")
    async with client(fake, fake.add_api_key(user).token) as http:
        assert (await http.get("/accounts/user")).status_code == 401


async def test_unrouted_paths_are_html_404_before_auth(fake: FakePneumatic) -> None:
    async with client(fake, key="") as http:
        response = await http.get("/webhooks")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers


async def test_dropped_connection_becomes_remote_protocol_error(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    fake.faults.add("applied_then_drop", route="POST /accounts/api-keys", times=1)
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected"):
        await http.post("/accounts/api-keys", json={"name": "x"})
    assert len(fake.state.api_keys) == 2  # applied: the key exists
    assert (await http.get("/accounts/api-keys")).status_code == 200


# -- users -----------------------------------------------------------------------------------------


async def test_users_list(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    fake.add_user("zed@example.com", "Zed", "Adams")
    fake.add_user("inv@example.com", "In", "Vited", status="invited")
    fake.add_user("guest@example.com", "Gu", "Est", type="guest")
    listing = (await http.get("/accounts/users")).json()
    assert [u["last_name"] for u in listing] == ["Adams", "Est", "Owner", "Vited"]
    assert listing[3]["invite"]["invited_from"] == "email"
    by_first = (await http.get("/accounts/users?ordering=-first_name")).json()
    assert [u["first_name"] for u in by_first] == ["Zed", "Olga", "In", "Gu"]
    invited = (await http.get("/accounts/users?status=invited")).json()
    assert [u["email"] for u in invited] == ["inv@example.com"]
    guests = (await http.get("/accounts/users?type=guest")).json()
    assert [u["type"] for u in guests] == ["guest"]
    page = (await http.get("/accounts/users?limit=2")).json()
    assert (page["count"], len(page["results"])) == (4, 2)
    assert isinstance((await http.get("/accounts/users?limit=x")).json(), list)


async def test_users_list_errors(http: httpx.AsyncClient) -> None:
    bad_status = await http.get("/accounts/users?status=gone")
    assert (bad_status.status_code, bad_status.json()) == (
        400,
        ["'gone' is an invalid value for the filter"],
    )
    bad_ordering = await http.get("/accounts/users?ordering=email")
    assert bad_ordering.json() == {
        "ordering": ["Select a valid choice. email is not one of the available choices."]
    }
    bad_groups = await http.get("/accounts/users?groups=x")
    assert bad_groups.status_code == 500
    assert bad_groups.headers["content-type"].startswith("text/html")


async def test_user_detail_and_me(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    boss = fake.add_user("boss@example.com", "Bo", "Ss")
    worker = fake.add_user("w@example.com", "Wo", "Rker", manager=boss)
    group = fake.add_group("Team", [worker])
    detail = (await http.get(f"/accounts/users/{worker.id}")).json()
    assert (detail["manager_id"], detail["groups"]) == (boss.id, [group.id])
    assert (await http.get(f"/accounts/users/{boss.id}")).json()["subordinates_ids"] == [worker.id]
    assert (await http.get("/accounts/users/999")).status_code == 404
    me = (await http.get("/accounts/user")).json()
    assert (me["id"], me["is_account_owner"], me["is_admin"]) == (1, True, True)
    async with client(fake, fake.add_api_key(worker).token) as other:
        assert (await other.get(f"/accounts/users/{boss.id}")).status_code == 403
        assert (await other.get("/accounts/user")).json()["email"] == "w@example.com"


async def test_groups(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    group = fake.add_group("Team", [1])
    assert (await http.get("/accounts/groups")).json() == [
        {"id": group.id, "name": "Team", "photo": "", "users": [1], "type": "regular"}
    ]
    assert (await http.get(f"/accounts/groups/{group.id}")).json()["name"] == "Team"


# -- api keys --------------------------------------------------------------------------------------


async def test_api_keys(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    created = await http.post("/accounts/api-keys", json={"name": "ci"})
    assert created.status_code == 201
    key = created.json()
    assert key["token"].startswith("pn-")
    assert len(key["token"]) == 35
    assert key["prefix"] == key["token"][:16]
    listing = (await http.get("/accounts/api-keys")).json()
    assert [k["name"] for k in listing] == ["", "ci"]
    assert all("token" not in k for k in listing)
    async with client(fake, key["token"]) as other:
        assert (await other.get("/accounts/user")).status_code == 200
        assert (await http.delete(f"/accounts/api-keys/{key['id']}")).status_code == 204
        assert (await other.get("/accounts/user")).status_code == 401
    assert (await http.delete(f"/accounts/api-keys/{key['id']}")).status_code == 404


async def test_api_keys_need_an_admin(fake: FakePneumatic) -> None:
    user = fake.add_user("u@example.com", "U", "Ser")
    async with client(fake, fake.add_api_key(user).token) as http:
        assert (await http.get("/accounts/api-keys")).status_code == 403
        assert (await http.post("/accounts/api-keys", json={})).status_code == 403
        assert (await http.put("/accounts/api-keys")).status_code == 403
    async with client(fake) as http:
        not_allowed = await http.put("/accounts/api-keys")
    assert (not_allowed.status_code, not_allowed.headers["allow"]) == (
        405,
        "GET, POST, HEAD, OPTIONS",
    )
