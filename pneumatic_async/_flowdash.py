"""The Flowdash Actions API client: a second service on the same core as :class:`Pneumatic`."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from pneumatic_async._base_client import BaseClient

if TYPE_CHECKING:
    from pneumatic_async.resources.flowdash import Actions

__all__ = ["Flowdash"]


class Flowdash(BaseClient):
    """The async Flowdash Actions API client (doc 004).

    >>> async with Flowdash() as flowdash:  # FLOWDASH_API_KEY from the environment
    ...     actions = await flowdash.actions.list("abc123", "678")
    ...     execution = await flowdash.actions.execute("abc123", "678", actions[0].id)
    ...     done = await flowdash.actions.wait("abc123", execution.id)

    Keyword arguments are those of :class:`~pneumatic_async.Pneumatic`'s core: ``api_key``
    (else ``FLOWDASH_API_KEY``), ``base_url`` (else ``FLOWDASH_BASE_URL``, default
    ``https://app.flowdash.com/api/v1``), ``transport``, ``http_client``, ``timeout``,
    ``retry``, ``max_concurrency``, ``rate_limit``, ``on_retry``.
    """

    _env_api_key: ClassVar[str] = "FLOWDASH_API_KEY"
    _env_base_url: ClassVar[str] = "FLOWDASH_BASE_URL"
    _default_base_url: ClassVar[str] = "https://app.flowdash.com/api/v1"

    @cached_property
    def actions(self) -> Actions:
        """Task actions and action executions."""
        from pneumatic_async.resources.flowdash import Actions

        return Actions(self)
