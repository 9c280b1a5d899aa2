"""``client.users``: the account's users and the caller's own user (``contract.md`` §9).

The real server lists every user of the account (active, inactive and invited; users and
guests) unless filtered: there is no default ``status=active`` filter, whatever the docs say.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

from pneumatic_async import _legacy_forms
from pneumatic_async._ids import object_id
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async.models.users import Group, User, UserStatus
from pneumatic_async.pagination import MAX_PAGE_SIZE
from pneumatic_async.resources._base import Resource

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient
    from pneumatic_async.pagination import Paginator

__all__ = ["USER_EMAILS_CACHE_KEY", "Users"]

#: Client-cache key of ``{user id: email}`` for the account's users.
USER_EMAILS_CACHE_KEY: Final = "users.emails_by_id"


def _csv(value: str | int | Sequence[str] | Sequence[int] | NotGiven) -> str | None:
    if isinstance(value, NotGiven):
        return None
    if isinstance(value, str | int):
        return str(value)
    return ",".join(str(item) for item in value)


class Users(Resource):
    """Users: ``client.users``."""

    __slots__ = ()

    _client: BaseClient

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)

    def list(
        self,
        *,
        status: str | Sequence[str] | NotGiven = NOT_GIVEN,
        type: str | Sequence[str] | NotGiven = NOT_GIVEN,
        groups: int | Sequence[int] | NotGiven = NOT_GIVEN,
        ordering: str | Sequence[str] | NotGiven = NOT_GIVEN,
        order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN,
        page_size: int = 100,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[User]:
        """Iterate the account's users (``GET /accounts/users``).

        ``status``: ``active``, ``inactive``, ``invited`` (one or several); ``type``: ``user``,
        ``guest``; ``groups``: group ids; ``ordering``: ``first_name``, ``last_name``,
        ``status`` with an optional ``-`` (default ``last_name``). The older documents'
        ``order="asc"|"desc"`` is taken as ``ordering="last_name"|"-last_name"``.
        """
        if not isinstance(order, NotGiven):
            if not isinstance(ordering, NotGiven):
                raise ValueError("pass ordering= or the documents' order=, not both")
            ordering = _legacy_forms.users_ordering(order)
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

    async def emails_by_id(self, ids: Iterable[int]) -> dict[int, str]:
        """``{id: email}`` for the given user ids that are (active or invited) account users.

        Lists the account's users (every page) once per client and keeps the map in the client's
        cache; it is listed again only when an id is not in it (a user added since). Deactivated
        users are left out: the server refuses them in user fields. Used to encode ``user``
        field values given as ids.
        """
        wanted = set(ids)
        if not wanted:
            return {}
        known: dict[int, str] | None = self._client.cache.get(USER_EMAILS_CACHE_KEY)
        if known is None or not wanted <= known.keys():
            known = {}
            async for user in self.list(page_size=MAX_PAGE_SIZE):
                if user.status != UserStatus.INACTIVE:
                    known[user.id] = user.email
            self._client.cache.set(USER_EMAILS_CACHE_KEY, known)
        return {user_id: known[user_id] for user_id in wanted if user_id in known}

    async def groups(self) -> builtins.list[Group]:
        """The account's user groups (``GET /accounts/groups``)."""
        return await self._get("/accounts/groups", builtins.list[Group])
