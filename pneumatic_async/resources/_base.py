"""The base of every resource namespace: shorthands over the client's public verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pneumatic_async.pagination import DEFAULT_PAGE_SIZE, Paginator

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient

__all__ = ["Resource"]

T = TypeVar("T")


class Resource:
    """A group of endpoints bound to one client (``client.templates``, ``client.tasks``, ...).

    Endpoints reach the server only through the client's public verbs (``get``, ``post``,
    ``put``, ``patch``, ``delete``, ``paginate``, ``request``, ``send``); the shorthands below
    put the model first, as endpoints read best.
    """

    __slots__ = ("_client",)

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    async def _get(self, path: str, cls: type[T], *, params: dict[str, Any] | None = None) -> T:
        return await self._client.get(path, cast_to=cls, params=params)

    async def _post(
        self, path: str, cls: type[T], *, json: Any = None, idempotent: bool = False
    ) -> T:
        result: T = await self._client.request(
            "POST", path, json={} if json is None else json, cast_to=cls, idempotent=idempotent
        )
        return result

    def _paginate(
        self,
        path: str,
        cls: type[T],
        *,
        params: dict[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[T]:
        return self._client.paginate(
            path,
            cast_to=cls,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )
