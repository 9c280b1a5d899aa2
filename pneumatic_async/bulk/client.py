"""What the bulk launcher needs of a client: the resources it launches and looks up with.

A protocol over the resource layer (below bulk), so bulk never imports the client that composes
it; :class:`~pneumatic_async.Pneumatic` satisfies it.
"""

from __future__ import annotations

from typing import Any, Protocol

from pneumatic_async.resources.templates import Templates
from pneumatic_async.resources.users import Users
from pneumatic_async.resources.workflows import Workflows
from pneumatic_async.retries import RetryPolicy

__all__ = ["BulkClient"]


class BulkClient(Protocol):
    """A client with templates, workflows and users, and per-call retry options."""

    @property
    def templates(self) -> Templates: ...

    @property
    def workflows(self) -> Workflows: ...

    @property
    def users(self) -> Users: ...

    @property
    def retry_policy(self) -> RetryPolicy: ...

    def with_options(self, *, retry: RetryPolicy) -> Any: ...
