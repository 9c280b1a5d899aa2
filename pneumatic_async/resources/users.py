"""``client.users``: the account's users and the caller's own user (``contract.md`` §9).

The real server lists every user of the account (active, inactive and invited; users and
guests) unless filtered: there is no default ``status=active`` filter, whatever the docs say.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pneumatic_async._ids import object_id
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.models.users import Group, User
from pneumatic_async.resources._base import Resource

if TYPE_CHECKING:
    from pneumatic_async._client import Pneumatic
    from pneumatic_async.pagination import Paginator

__all__ = ["Users"]


def _csv(value: str | int | Sequence[str] | Sequence[int] | NotGiven) -> str | None:
    if isinstance(value, NotGiven):
        return None
    if isinstance(value, str | int):
        return str(value)
    return ",".join(str(item) for item in value)


class Users(Resource):
    """Users: ``client.users``."""

    __slots__ = ()

    _client: Pneumatic

    def __init__(self, client: Pneumatic) -> None:
        super().__init__(client)

    def list(
        self,
        *,
        status: str | Sequence[str] | NotGiven = NOT_GIVEN,
        type: str | Sequence[str] | NotGiven = NOT_GIVEN,
        groups: int | Sequence[int] | NotGiven = NOT_GIVEN,
        ordering: str | Sequence[str] | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[User]:
        """Iterate the account's users (``GET /accounts/users``).

        ``status``: ``active``, ``inactive``, ``invited`` (one or several); ``type``: ``user``,
        ``guest``; ``groups``: group ids; ``ordering``: ``first_name``, ``last_name``,
        ``status`` with an optional ``-`` (default ``last_name``).
        """
        params: dict[str, Any] = {
            "status": _csv(status),
            "type": _csv(type),
            "groups": _csv(groups),
            "ordering": _csv(ordering),
        }
        return self._paginate(
            "/accounts/users",
            User,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )

    async def get(self, user_id: int) -> User:
        """Fetch one user (``GET /accounts/users/<id>``; admins and the account owner)."""
        user_id = object_id(user_id, "user_id")
        return await self._get(f"/accounts/users/{user_id}", User)

    async def me(self) -> User:
        """The user the API key acts as (``GET /accounts/user``)."""
        return await self._get("/accounts/user", User)

    async def groups(self) -> builtins.list[Group]:
        """The account's user groups (``GET /accounts/groups``)."""
        return await self._get("/accounts/groups", builtins.list[Group])
