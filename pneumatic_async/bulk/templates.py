"""``client.templates`` with the bulk launches: :meth:`Templates.run_many` and ``stream_run``.

The resource layer knows nothing of bulk launches; this subclass, in the bulk layer above it, adds
them, and :class:`~pneumatic_async.Pneumatic` composes it as ``client.templates``.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from typing import Any

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.bulk.journal import JournalStore
from pneumatic_async.bulk.options import DEFAULT_OUTAGE_TIMEOUT, CheckMode
from pneumatic_async.bulk.results import LaunchResult, Progress
from pneumatic_async.bulk.runner import run_many, stream_run
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.resources.templates import Templates as _Templates

__all__ = ["Templates"]


class Templates(_Templates):
    """Templates: list, get, create, update, delete, run, and bulk ``run_many``/``stream_run``."""

    __slots__ = ()

    async def run_many(
        self,
        template_id: int,
        items: Iterable[LaunchItem | Mapping[str, Any]],
        *,
        concurrency: int = 20,
        token_field: str | None = None,
        journal: str | os.PathLike[str] | JournalStore | SharedBatch | None = None,
        skip_invalid: bool = False,
        rate_limit: float | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        validate: bool = True,
        lookup_delay: float | None = None,
        outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        keep_workflows: bool = False,
        check: CheckMode = "upfront",
    ) -> builtins.list[LaunchResult]:
        """Launch one workflow per item, each exactly once; results in input order.

        Items are kickoff mappings or :class:`~pneumatic_async.bulk.LaunchItem` (kickoff plus
        name, urgency, due date). Every item is validated before the first launch (all problems
        in one :class:`~pneumatic_async.errors.InvalidValuesError`, unless ``skip_invalid``).
        Up to ``concurrency`` launches run at once; a 429 pauses the whole batch. Each launch
        carries a token (in its name, or in the ``token_field`` kickoff field) so that an
        ambiguous failure is resolved by looking the workflow up before sending again.
        ``journal`` (a SQLite file) makes the run resumable; a
        :class:`~pneumatic_async.bulk.SharedBatch` lets several worker processes run one batch
        together (``docs/exactly-once.md``); ``on_progress`` receives
        :class:`~pneumatic_async.bulk.Progress`. ``check="as_it_goes"`` reads the items once and
        checks each when its turn comes (bounded memory for any iterator; invalid items get
        ``invalid`` results instead of refusing the batch). See :mod:`pneumatic_async.bulk`.
        """
        return await run_many(
            self._client,  # type: ignore[arg-type]
            template_id,
            items,
            concurrency=concurrency,
            token_field=token_field,
            journal=journal,
            skip_invalid=skip_invalid,
            rate_limit=rate_limit,
            on_progress=on_progress,
            validate=validate,
            lookup_delay=lookup_delay,
            outage_timeout=outage_timeout,
            keep_workflows=keep_workflows,
            check=check,
        )

    def stream_run(
        self,
        template_id: int,
        items: Iterable[LaunchItem | Mapping[str, Any]],
        *,
        concurrency: int = 20,
        token_field: str | None = None,
        journal: str | os.PathLike[str] | JournalStore | SharedBatch | None = None,
        skip_invalid: bool = False,
        rate_limit: float | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        validate: bool = True,
        lookup_delay: float | None = None,
        outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
        keep_workflows: bool = False,
        check: CheckMode = "upfront",
    ) -> AsyncGenerator[LaunchResult, None]:
        """Like :meth:`run_many`, yielding results as they complete.

        Use ``async with contextlib.aclosing(client.templates.stream_run(...)) as results:`` so
        that leaving the loop early cancels the launches still in flight cleanly. With
        ``check="as_it_goes"`` a generator of any length runs in bounded memory.
        """
        return stream_run(
            self._client,  # type: ignore[arg-type]
            template_id,
            items,
            concurrency=concurrency,
            token_field=token_field,
            journal=journal,
            skip_invalid=skip_invalid,
            rate_limit=rate_limit,
            on_progress=on_progress,
            validate=validate,
            lookup_delay=lookup_delay,
            outage_timeout=outage_timeout,
            keep_workflows=keep_workflows,
            check=check,
        )
