"""The Pneumatic API client: the core's verbs plus the resource namespaces.

The top of the SDK's layers: it composes the resources (and the bulk launcher's
``templates.run_many``) over :class:`~pneumatic_async._base_client.BaseClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from pneumatic_async._base_client import BaseClient
from pneumatic_async._http import httpx
from pneumatic_async._options import DEFAULT_TIMEOUT, resolve_base_url
from pneumatic_async._pipeline.send import DEFAULT_MAX_RESPONSE_BYTES
from pneumatic_async.errors import ConfigurationError
from pneumatic_async.retries import RetryEvent, RetryPolicy

if TYPE_CHECKING:
    from pneumatic_async.bulk.templates import Templates
    from pneumatic_async.resources.files import Files
    from pneumatic_async.resources.tasks import Tasks
    from pneumatic_async.resources.users import Users
    from pneumatic_async.resources.webhooks import Webhooks
    from pneumatic_async.resources.workflows import Workflows

__all__ = ["Pneumatic"]


class Pneumatic(BaseClient):
    """The async Pneumatic API client.

    >>> async with Pneumatic() as client:  # PNEUMATIC_API_KEY from the environment
    ...     async for template in client.templates.list():
    ...         print(template.id, template.name)

    Keyword arguments:

    * ``api_key``: else ``PNEUMATIC_API_KEY``; missing, empty or containing whitespace is a
      :class:`~pneumatic_async.errors.ConfigurationError` here, not a 401 later.
    * ``base_url``: else ``PNEUMATIC_BASE_URL``, default ``https://api.pneumatic.app``.
    * ``transport``: any ``httpx.AsyncBaseTransport`` (an ASGI app, a mock, ...); default: aiohttp
      under asyncio when the ``fast`` extra is installed, else httpx's own.
    * ``http_client``: a caller-owned ``httpx.AsyncClient``; the SDK never closes it.
    * ``timeout``: seconds or a ``Timeout``; default connect 5 s, read 30 s, write 30 s, pool 10 s.
    * ``retry`` / ``max_retries``: the :class:`~pneumatic_async.retries.RetryPolicy`; its
      ``deadline`` bounds each whole call (retries, waits and slow bodies included).
    * ``max_concurrency``: requests in flight at once; more wait inside the SDK.
    * ``max_response_bytes``: the largest response body read (default 64 MiB); a larger one stops
      with :class:`~pneumatic_async.errors.ResponseTooLargeError` while reading.
    * ``rate_limit``: optional cap in requests per second.
    * ``on_retry``: called with a :class:`~pneumatic_async.retries.RetryEvent` before each retry.
    * ``file_service_url``: the file service for uploads (else ``PNEUMATIC_FILE_SERVICE_URL``,
      default ``<base_url>/files``); the API key is sent there too.
    * ``upload_strategy``: ``"file_service"`` (the real server's) or ``"signed_url"`` (the
      documented create/PUT/publish attachment chain).

    A client belongs to the event loop it first sends a request in.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = 64,
        rate_limit: float | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        file_service_url: str | None = None,
        upload_strategy: str = "file_service",
    ) -> None:
        if upload_strategy not in ("file_service", "signed_url"):
            raise ConfigurationError(
                f"upload_strategy must be 'file_service' or 'signed_url', got {upload_strategy!r}"
            )
        self.upload_strategy = upload_strategy
        self._file_service_url_arg = file_service_url
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            transport=transport,
            http_client=http_client,
            timeout=timeout,
            retry=retry,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            on_retry=on_retry,
            default_headers=default_headers,
            max_response_bytes=max_response_bytes,
        )
        self.file_service_url = resolve_base_url(
            file_service_url,
            env="PNEUMATIC_FILE_SERVICE_URL",
            default=self._base_url + "/files",
        )
        self._trust_origin(self.file_service_url)

    @cached_property
    def templates(self) -> Templates:
        """Templates: list, get, create, update, delete, run, run_many."""
        from pneumatic_async.bulk.templates import Templates

        return Templates(self)

    @cached_property
    def workflows(self) -> Workflows:
        """Workflow runs: list, get, fields, update, delete, complete_current_task, ..."""
        from pneumatic_async.resources.workflows import Workflows

        return Workflows(self)

    @cached_property
    def tasks(self) -> Tasks:
        """Tasks: list, get, complete, revert, comment, due dates."""
        from pneumatic_async.resources.tasks import Tasks

        return Tasks(self)

    @cached_property
    def users(self) -> Users:
        """Users of the account and the caller's own user."""
        from pneumatic_async.resources.users import Users

        return Users(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        """Webhook event subscriptions."""
        from pneumatic_async.resources.webhooks import Webhooks

        return Webhooks(self)

    @cached_property
    def files(self) -> Files:
        """File uploads (the file service, or the documented signed-URL chain)."""
        from pneumatic_async.resources.files import Files

        return Files(self, file_service_url=self.file_service_url, strategy=self.upload_strategy)
