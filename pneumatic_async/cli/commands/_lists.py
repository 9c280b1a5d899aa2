"""Reading a list for display: bounded by ``--limit`` (0: the whole list, streamed)."""

from __future__ import annotations

from typing import TypeVar

from pneumatic_async.pagination import Paginator

__all__ = ["take"]

T = TypeVar("T")


async def take(paginator: Paginator[T], limit: int) -> list[T]:
    """The first ``limit`` items of ``paginator`` (every item when ``limit`` is 0)."""
    if limit:
        return await paginator.collect(max_items=limit)
    return [item async for item in paginator]
