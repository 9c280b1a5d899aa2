"""The cache a client shares with its ``with_options`` views (kickoff specs, user emails...).

A hit is a dictionary look-up with nothing awaited; concurrent misses of one key load it once
(the first loads, the others wait for it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

__all__ = ["ClientCache"]

T = TypeVar("T")
_MISSING: Any = object()


class ClientCache:
    """Named values shared by a client and its views; resources own their key names."""

    __slots__ = ("_data", "_loading")

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._loading: dict[str, anyio.Event] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, else ``default``."""
        return self._data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``."""
        self._data[key] = value

    def pop(self, key: str) -> None:
        """Forget ``key`` (nothing happens when it is absent)."""
        self._data.pop(key, None)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    async def get_or_load(self, key: str, load: Callable[[], Awaitable[T]]) -> T:
        """The value under ``key``, loading it with ``load()`` once when absent.

        A hit awaits nothing. Callers that miss while a load of the same key is under way wait
        for it; if it fails, the next caller loads again.
        """
        value = self._data.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]
        while (pending := self._loading.get(key)) is not None:
            await pending.wait()
            value = self._data.get(key, _MISSING)
            if value is not _MISSING:
                return value  # type: ignore[no-any-return]
        done = self._loading[key] = anyio.Event()
        try:
            loaded = await load()
            self._data[key] = loaded
            return loaded
        finally:
            del self._loading[key]
            done.set()
