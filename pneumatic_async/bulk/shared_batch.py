"""The ``journal=SharedBatch(store, batch_id)`` option: a batch run by several workers together."""

from __future__ import annotations

from typing import Any

import attrs

from pneumatic_async.errors import ConfigurationError
from pneumatic_async.stores.base import DEFAULT_LEASE, BatchStore, check_lease, check_name

__all__ = ["SharedBatch"]


def _check_store(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, BatchStore):
        raise ConfigurationError(f"store must be a BatchStore, got {type(value).__name__}")


def _check_batch_id(_instance: Any, _attribute: Any, value: Any) -> None:
    check_name("batch_id", value)


def _check_lease(_instance: Any, _attribute: Any, value: Any) -> None:
    check_lease(value)


def _check_poll(_instance: Any, _attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigurationError(f"poll must be a positive number of seconds, got {value!r}")


@attrs.frozen(kw_only=True)
class SharedBatch:
    """A bulk batch shared by every worker that runs it with the same ``store`` and ``batch_id``.

    Pass it as ``run_many(..., journal=SharedBatch(store=store, batch_id="import-42"))`` in each
    worker process, with the same template, items (same order) and options. Each item is claimed
    by one worker at a time under a ``lease`` (seconds, renewed while the worker lives); a dead
    worker's items are taken over when their leases expire, looked up by their token first.
    ``poll``: seconds between looks at the batch while other workers hold the remaining items.
    """

    store: BatchStore = attrs.field(validator=_check_store)
    batch_id: str = attrs.field(validator=_check_batch_id)
    lease: float = attrs.field(default=DEFAULT_LEASE, validator=_check_lease)
    poll: float = attrs.field(default=0.5, validator=_check_poll)
