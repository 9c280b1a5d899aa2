"""Fake account routes: ``/accounts/users``, ``/accounts/users/<id>``, ``/accounts/user``,
``/accounts/groups[/<id>]`` and ``/accounts/api-keys[/<id>]``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pneumatic_async.testing import serializers
from pneumatic_async.testing.errors import (
    choice_error,
    field_error,
    filter_list_error,
    not_found,
)
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    current_user,
    dict_body,
    empty,
    fake_of,
    ok,
    parse_id,
    require_admin,
    server_error_500,
)
from pneumatic_async.testing.pagination import paginate, plain_limit
from pneumatic_async.testing.state import StoredUser

__all__ = ["ROUTES"]

USER_STATUSES: Final = ("active", "inactive", "invited")
USER_TYPES: Final = ("user", "guest")
ORDER_FIELDS: Final = ("first_name", "last_name", "status")


async def list_users(request: Request) -> Response:
    """``GET /accounts/users``."""
    fake = fake_of(request)
    state = fake.state

    current_user(request)
    params = request.query_params
    statuses = _csv(params.get("status"), USER_STATUSES)
    types = _csv(params.get("type"), USER_TYPES)
    groups = params.get("groups")
    group_ids: list[int] | None = None
    if groups:
        try:
            group_ids = [int(part) for part in groups.split(",")]
        except ValueError:
            return server_error_500()
    ordering = params.get("ordering") or "last_name"
    keys = [part.strip() for part in ordering.split(",") if part.strip()]
    for key in keys:
        if key.lstrip("-") not in ORDER_FIELDS:
            raise choice_error("ordering", ordering)
    users = [
        u
        for u in state.users.values()
        if (statuses is None or u.status in statuses)
        and (types is None or u.type in types)
        and (
            group_ids is None
            or any(u.id in state.groups[g].user_ids for g in group_ids if g in state.groups)
        )
    ]
    users.sort(key=lambda u: u.id)
    for key in reversed(keys):
        users.sort(key=_sort_key(key.lstrip("-")), reverse=key.startswith("-"))
    limit = plain_limit(request, strict=False)
    return ok(paginate(request, users, lambda u: serializers.user_item(state, u), limit))


async def get_user(request: Request) -> Response:
    """``GET /accounts/users/{id}``."""
    fake = fake_of(request)
    state = fake.state

    require_admin(current_user(request))
    user_id = parse_id(request.path_params["id"])
    user = state.users.get(user_id) if user_id is not None else None
    if user is None:
        raise not_found()
    return ok(serializers.user_item(state, user))


async def me(request: Request) -> Response:
    """``GET /accounts/user``."""
    fake = fake_of(request)
    state = fake.state

    return ok(serializers.user_item(state, current_user(request)))


async def list_groups(request: Request) -> Response:
    """``GET /accounts/groups``."""
    fake = fake_of(request)
    state = fake.state

    current_user(request)
    return ok([serializers.group_item(g) for g in state.groups.values()])


async def get_group(request: Request) -> Response:
    """``GET /accounts/groups/{id}``."""
    fake = fake_of(request)
    state = fake.state

    require_admin(current_user(request))
    group_id = parse_id(request.path_params["id"])
    group = state.groups.get(group_id) if group_id is not None else None
    if group is None:
        raise not_found()
    return ok(serializers.group_item(group))


async def list_keys(request: Request) -> Response:
    """``GET /accounts/api-keys``."""
    fake = fake_of(request)
    state = fake.state

    user = current_user(request)
    require_admin(user)
    keys = [k for k in state.api_keys.values() if k.user_id == user.id and k.is_active]
    return ok([serializers.api_key_item(k, with_token=False) for k in keys])


async def create_key(request: Request) -> Response:
    """``POST /accounts/api-keys``."""
    fake = fake_of(request)
    user = current_user(request)
    require_admin(user)
    data = await dict_body(request)
    name = data.get("name", "")
    if name is None:
        raise field_error("name", "This field may not be null.")
    if not isinstance(name, str):
        raise field_error("name", "Not a valid string.")
    key = fake.add_api_key(user, name=name)
    return ok(serializers.api_key_item(key, with_token=True), status=201)


async def revoke_key(request: Request) -> Response:
    """``DELETE /accounts/api-keys/{id}``."""
    fake = fake_of(request)
    state = fake.state

    user = current_user(request)
    require_admin(user)
    key_id = parse_id(request.path_params["id"])
    key = state.api_keys.get(key_id) if key_id is not None else None
    if key is None or key.user_id != user.id or not key.is_active:
        raise not_found()
    fake.revoke_api_key(key)
    return empty()


def _csv(raw: str | None, allowed: tuple[str, ...]) -> set[str] | None:
    if not raw:
        return None
    values = [part.strip() for part in raw.split(",")]
    for value in values:
        if value not in allowed:
            raise filter_list_error(value)
    return set(values)


def _sort_key(name: str) -> Callable[[StoredUser], str]:
    def key(user: StoredUser) -> str:
        return str(getattr(user, name)).lower()

    return key


#: The account routes.
ROUTES: tuple[BaseRoute, ...] = (
    ApiRoute("/accounts/users", list_users, methods=["GET"]),
    ApiRoute("/accounts/users/{id}", get_user, methods=["GET"]),
    ApiRoute("/accounts/user", me, methods=["GET"]),
    ApiRoute("/accounts/groups", list_groups, methods=["GET"]),
    ApiRoute("/accounts/groups/{id}", get_group, methods=["GET"], unmapped="admin"),
    ApiRoute("/accounts/api-keys", list_keys, methods=["GET"], unmapped="admin"),
    ApiRoute("/accounts/api-keys", create_key, methods=["POST"], unmapped="admin"),
    ApiRoute("/accounts/api-keys/{id}", revoke_key, methods=["DELETE"], unmapped="admin"),
)
