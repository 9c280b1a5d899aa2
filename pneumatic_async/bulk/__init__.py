"""Bulk workflow launches that never launch a workflow twice and never drop one.

>>> async def launch(client, rows):
...     results = await client.templates.run_many(42, rows, concurrency=20, journal="run.db")
...     return [r.workflow_id for r in results if r.ok]

See :func:`~pneumatic_async.bulk.runner.run_many` (results in input order) and
:func:`~pneumatic_async.bulk.runner.stream_run` (results as they complete);
:mod:`~pneumatic_async.bulk.tokens` explains how launches are found again after an ambiguous
answer, :mod:`~pneumatic_async.bulk.journal` how a run resumes, and
:mod:`~pneumatic_async.bulk.sources` how CSV / JSON Lines files become items, and
:mod:`~pneumatic_async.bulk.as_it_goes` how ``check="as_it_goes"`` runs a one-shot source (a
generator of any length) in bounded memory.
"""

from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.bulk.journal import (
    JournalError,
    JournalLockedError,
    JournalMismatchError,
    JournalStore,
)
from pneumatic_async.bulk.outage import ServerUnreachableError
from pneumatic_async.bulk.results import (
    BatchSummary,
    LaunchResult,
    LaunchStatus,
    NotLaunchedError,
    Progress,
    UnresolvedLaunchError,
)
from pneumatic_async.bulk.runner import run_many, stream_run
from pneumatic_async.bulk.shared import LeaseLostError
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.bulk.sources import (
    ItemSource,
    SourceFormatError,
    StreamedItems,
    read_items,
    stream_items,
)
from pneumatic_async.bulk.sqlite_journal import SqliteJournalStore

__all__ = [
    "BatchSummary",
    "NotLaunchedError",
    "ServerUnreachableError",
    "ItemSource",
    "JournalError",
    "JournalLockedError",
    "JournalMismatchError",
    "JournalStore",
    "LaunchItem",
    "LaunchResult",
    "LaunchStatus",
    "LeaseLostError",
    "Progress",
    "SharedBatch",
    "SourceFormatError",
    "SqliteJournalStore",
    "UnresolvedLaunchError",
    "StreamedItems",
    "read_items",
    "stream_items",
    "run_many",
    "stream_run",
]
