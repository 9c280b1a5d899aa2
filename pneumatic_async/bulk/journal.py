"""The bulk-launch journal: what a run records per item, and the store interface behind it.

States: ``pending`` (never sent) → ``in_flight`` (recorded durably *before* each send: the server
may have it) → ``launched`` (with the workflow id) or ``failed`` (with the error text). A run that
crashed or was cancelled is resumed from the same journal: launched items are not sent again,
items that were ever sent are first looked up by their token.

A journal is bound to the run's template id, item count, a hash of the items and the token field
(:class:`Binding`), written in the same first write that creates it, and it refuses a resume with
other input, or a store that is empty or damaged (:class:`JournalMismatchError`). While a run has
it open, nobody else may (:class:`JournalLockedError`).

A run that checks its items as it goes (``check="as_it_goes"``) reads its source once and cannot
know the item count or the items' hash up front: its binding has ``item_count=None``, the
journal starts with no item rows, and each item's row is added by its first update, carrying the
item's fingerprint (:attr:`JournalUpdate.fingerprint`). A resume compares each recorded item's
fingerprint with the item the source gives at that index, as it reaches it.

Where the journal lives is a :class:`JournalStore`: the SDK ships the SQLite file store
(:class:`~pneumatic_async.bulk.sqlite_journal.SqliteJournalStore`, used for ``journal="run.db"``);
a store on a shared database implements the same five methods. :class:`JournalWriter` is what
the runner talks to: it commits updates of many launch tasks in one write (group commit), and a
task waits until its own update is durable before it sends anything.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol, runtime_checkable

import anyio
import attrs

from pneumatic_async.errors import PneumaticError
from pneumatic_async.stores.base import ItemState  # the states shared batch stores record too

__all__ = [
    "Binding",
    "ItemState",
    "JournalEntry",
    "JournalError",
    "JournalLockedError",
    "JournalMismatchError",
    "JournalStore",
    "JournalUpdate",
    "JournalWriter",
    "AS_IT_GOES_INDEX_WIDTH",
]

#: Digits of the item index in the launch tokens of a run checked as it goes (its item count is
#: unknown; a fixed width keeps every token the same length, and the same across resumes).
AS_IT_GOES_INDEX_WIDTH = 9

logger = logging.getLogger("pneumatic_async.bulk")


class JournalError(PneumaticError):
    """The journal cannot be used (or written to)."""


class JournalMismatchError(JournalError, ValueError):
    """The journal belongs to another run (other template, items or token field), or it is empty,
    damaged or not a journal at all; the message names the journal and what is wrong."""


class JournalLockedError(JournalError):
    """Another run (in this or another process) has the journal open."""


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One item as recorded: token, state, attempts made, workflow id or error text."""

    index: int
    token: str
    state: ItemState
    attempts: int = 0
    workflow_id: int | None = None
    error: str | None = None
    #: The item's fingerprint, in a journal of a run checked as it goes (else ``None``).
    fingerprint: str | None = None


@attrs.frozen(kw_only=True)
class JournalUpdate:
    """A state change to record for one item (``attempts`` ``None``: leave the count as is).

    ``fingerprint`` identifies the item (:func:`~pneumatic_async.bulk.items.item_fingerprint`):
    a journal of a run checked as it goes records it with the item's first update and refuses
    a later update carrying another one; other journals ignore it.
    """

    index: int
    state: ItemState
    attempts: int | None = None
    workflow_id: int | None = None
    error: str | None = None
    fingerprint: str | None = None


@attrs.frozen(kw_only=True)
class Binding:
    """What a journal is bound to; a resume must present the same values.

    ``item_count`` is ``None`` (and ``items_hash`` empty) for a run checked as it goes: the
    items are then identified one by one, by the fingerprint recorded with each.
    """

    template_id: int
    item_count: int | None
    items_hash: str
    token_field: str | None

    @property
    def as_it_goes(self) -> bool:
        """True for the binding of a run checked as it goes (item count unknown)."""
        return self.item_count is None

    def as_meta(self) -> dict[str, str]:
        """The binding as text key/value pairs (how stores record it)."""
        meta = {
            "template_id": str(self.template_id),
            "item_count": str(self.item_count) if self.item_count is not None else "",
            "items_hash": self.items_hash,
            "token_field": self.token_field or "",
        }
        if self.item_count is None:
            meta["check"] = "as_it_goes"
        return meta


@runtime_checkable
class JournalStore(Protocol):
    """Where a bulk run's journal lives (a SQLite file, or a shared database).

    The runner calls :meth:`open` once, then :meth:`recorded` (on a resume) and :meth:`write`
    many times, and :meth:`close` at the end, from one task at a time. A store must:

    * create the journal with its identity (``binding``, a fresh run id) and every item
      ``pending`` **in one atomic first write**, so that no partial journal can exist;
    * refuse an existing journal that is empty, damaged or bound to something else with
      :class:`JournalMismatchError` naming it and what is wrong, and one another run holds with
      :class:`JournalLockedError`;
    * validate everything it reads (a state outside :class:`ItemState`, a missing row or a token
      that does not match the run id are :class:`JournalMismatchError`, never a ``ValueError``);
    * make :meth:`write` durable before it returns (it announces a launch about to be sent);
    * for a binding checked as it goes (``binding.as_it_goes``): create the journal with no item
      rows, add an item's row (with its fingerprint) on its first update, refuse an update whose
      fingerprint differs from the recorded one, and return the fingerprints in
      :meth:`recorded`; a store that cannot should raise :class:`JournalError` from :meth:`open`.
    """

    #: A human-readable name of the journal, for messages (a path, a key).
    description: str

    async def open(self, binding: Binding, *, create: bool) -> str | None:
        """Open (or with ``create``, create) the journal for ``binding``; return its run id.

        ``None`` when it does not exist and ``create`` is false. Holds the journal until
        :meth:`close`.
        """
        ...

    @property
    def resumed(self) -> bool:
        """True when :meth:`open` found an existing journal."""
        ...

    def recorded(self) -> AsyncIterator[JournalEntry]:
        """Every item whose state is not ``pending``, validated, in index order."""
        ...

    async def write(self, updates: Sequence[JournalUpdate]) -> None:
        """Record ``updates`` atomically and durably (:class:`JournalError` when it cannot)."""
        ...

    async def close(self) -> None:
        """Release the journal."""
        ...


class _Group:
    __slots__ = ("done", "updates")

    def __init__(self) -> None:
        self.updates: list[JournalUpdate] = []
        self.done = False


class JournalWriter:
    """Async, grouped writes to an open :class:`JournalStore`.

    :meth:`record` returns once the update is committed. While one write runs, updates of other
    tasks gather in the next group, written by whichever of them gets the lock first: one
    transaction (and one fsync) per group instead of per update.
    """

    def __init__(self, store: JournalStore) -> None:
        self.store = store
        self._lock = anyio.Lock()
        self._group = _Group()
        #: Number of writes committed (for measurements).
        self.commits = 0

    async def record(self, update: JournalUpdate) -> None:
        """Add ``update`` to the next commit and wait until it is durable."""
        group = self._group
        group.updates.append(update)
        async with self._lock:
            if not group.done:
                await self._commit()

    async def _commit(self) -> None:
        group, self._group = self._group, _Group()
        try:
            await self.store.write(group.updates)
        except BaseException:
            # Put the updates back in front of the next group so a later commit retries them.
            self._group.updates[:0] = group.updates
            raise
        group.done = True
        self.commits += 1

    async def flush(self) -> None:
        """Commit whatever is pending (updates of tasks cancelled while waiting included)."""
        async with self._lock:
            if self._group.updates:
                await self._commit()

    async def aclose(self, *, quiet: bool = False) -> None:
        """Flush (even when the caller is being cancelled) and close the store.

        ``quiet``: log a failing flush instead of raising it (used while another exception, a
        cancellation say, is already propagating).
        """
        with anyio.CancelScope(shield=True):
            try:
                await self.flush()
            except JournalError:
                if not quiet:
                    raise
                logger.exception("the last journal updates could not be written")
            finally:
                await self.store.close()
