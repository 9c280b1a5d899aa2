"""The base of every resource namespace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pneumatic_async.pagination import DEFAULT_PAGE_SIZE, Paginator

if TYPE_CHECKING:
    from pneumatic_async._client import BaseClient

__all__ = ["Resource"]

T = TypeVar("T")


class Resource:
    """A group of endpoints bound to one client (``client.templates``, ``client.tasks``, ...)."""

    __slots__ = ("_client",)

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    async def _get(self, path: str, cls: type[T], *, params: dict[str, Any] | None = None) -> T:
        body = await self._client._request("GET", path, params=params)
        return self._client._structure(body, cls, "GET", path)

    async def _post(
        self, path: str, cls: type[T], *, json: Any = None, idempotent: bool | None = None
    ) -> T:
        body = await self._client._request(
            "POST", path, json={} if json is None else json, idempotent=idempotent
        )
        return self._client._structure(body, cls, "POST", path)

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
        client = self._client

        def decode(items: list[Any]) -> list[T]:
            return client._structure(items, list[cls], "GET", path)  # type: ignore[valid-type]

        return Paginator(
            client,
            path,
            decode=decode,
            params=params,
            page_size=page_size,
            max_items=max_items,
            offset=offset,
        )
