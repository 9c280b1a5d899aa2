"""A bulk run checked as it goes (``check="as_it_goes"``): the source is read once, item by item.

For sources too large to hold and that cannot be read twice (a generator over a database cursor,
a queue, a network stream). Nothing reads the whole source ahead: each item is read, checked and
turned into its launch when the launcher has room for it, so memory stays bounded by the
concurrency (plus the user emails resolved, one per distinct user id), not by the batch.

What changes compared to checking up front (:mod:`~pneumatic_async.bulk.plan`):

* **Invalid items do not refuse the batch.** They cannot: items before them may be launched by
  the time they are read. An invalid item gets an ``invalid`` result (with its
  :class:`~pneumatic_async.errors.InvalidValuesError`, ``FieldProblem.item`` being its index),
  as with ``skip_invalid=True``, and the others launch. A problem of the whole batch (a bad
  option, an unknown ``token_field``, the template's kickoff specs that cannot be read) still
  stops it before anything is sent.
* **The journal identifies items one by one.** The item count and the items' hash are unknown up
  front, so the journal's :class:`~pneumatic_async.bulk.journal.Binding` has ``item_count=None``,
  tokens have a fixed index width
  (:data:`~pneumatic_async.bulk.journal.AS_IT_GOES_INDEX_WIDTH`), and each item's first journal
  update records its fingerprint. A resume reads the recorded items in index order alongside the
  source and compares each fingerprint with the item the source gives at that index, as it
  reaches it: a different item raises :class:`~pneumatic_async.bulk.journal.JournalMismatchError`
  naming the index, and the run stops sending (launches in flight finish and are recorded). So
  nothing recorded is ever launched twice; items the earlier run never reached are launched
  as new.
* **User ids** in ``user`` fields are resolved to emails as they come (each distinct id once).
* **Progress** ``total`` counts the items read so far.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from pneumatic_async import values
from pneumatic_async.bulk.items import LaunchItem, as_item, item_fingerprint
from pneumatic_async.bulk.journal import (
    AS_IT_GOES_INDEX_WIDTH,
    Binding,
    ItemState,
    JournalEntry,
    JournalError,
    JournalMismatchError,
    JournalStore,
    JournalWriter,
)
from pneumatic_async.bulk.options import BatchOptions
from pneumatic_async.bulk.results import LaunchResult
from pneumatic_async.bulk.sources import StreamedItems
from pneumatic_async.bulk.tokens import new_run_id
from pneumatic_async.bulk.units import (
    ItemInput,
    Launch,
    PlanBase,
    check_token_field,
    close_on_failure,
    default_name,
    item_problems,
    journal_store,
    running,
)
from pneumatic_async.errors import FieldProblem, InvalidValuesError

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = ["AsItGoesPlan", "prepared_as_it_goes"]


@attrs.define(kw_only=True)
class AsItGoesPlan(PlanBase):
    """A batch read once and checked item by item while launching."""

    client: BulkClient
    template_id: int
    source: Iterable[ItemInput]
    validate: bool
    store: JournalStore | None = None
    #: The journal existed: its recorded items are read alongside the source.
    resumed: bool = False
    #: User ids asked for already (resolved or not an account user).
    asked_users: set[int] = attrs.Factory(set)
    user_fields: bool = False

    async def launches(self) -> AsyncIterator[LaunchResult | Launch]:
        """Each item in input order: a result known now (resumed, invalid) or a :class:`Launch`.

        Raises :class:`JournalMismatchError` when a recorded item differs from the source's.
        """
        cursor = self.store.recorded() if self.store is not None and self.resumed else None
        entry: JournalEntry | None = None
        exhausted = cursor is None
        try:
            for index, (raw, read_problems) in enumerate(_with_problems(self.source)):
                self.count = index + 1
                # Recorded items come in index order; this run's own rows (of items read
                # already) may show up too and are passed over.
                while (
                    cursor is not None and not exhausted and (entry is None or entry.index < index)
                ):
                    entry, exhausted = await _next(cursor)
                recorded = entry if entry is not None and entry.index == index else None
                yield await self._unit(index, raw, recorded, read_problems)
            while True:  # the source has ended: the journal must not know items beyond it
                if entry is not None and entry.index >= self.count:
                    raise JournalMismatchError(
                        f"the journal {self._description} records item {entry.index}, but the "
                        f"items ended after {self.count}: this is not the source of the run "
                        "that wrote it"
                    )
                if cursor is None or exhausted:
                    break
                entry, exhausted = await _next(cursor)
        finally:
            if isinstance(cursor, AsyncGenerator):
                await cursor.aclose()

    @property
    def _description(self) -> str:
        return self.store.description if self.store is not None else "(none)"

    async def _unit(
        self,
        index: int,
        raw: ItemInput,
        entry: JournalEntry | None,
        read_problems: list[FieldProblem],
    ) -> LaunchResult | Launch:
        problems = read_problems
        try:
            item = as_item(raw, index)
        except TypeError as exc:  # not an item: reported like any invalid item
            item = LaunchItem()
            problems.append(FieldProblem(field="(item)", message=str(exc), item=index))
        token = self.token(index)
        fp = item_fingerprint(item) if self.store is not None else None
        if entry is not None:
            self._verify(entry, fp)
            if entry.state is ItemState.LAUNCHED:
                return LaunchResult(
                    index=index,
                    item=item,
                    status="resumed",
                    token=token,
                    workflow_id=entry.workflow_id,
                )
        attempted = entry is not None and entry.attempts > 0
        previous = entry.attempts if entry is not None else 0
        payload = None
        if not problems:
            problems = item_problems(item, index, self.token_field, validate=self.validate)
        if not problems:
            try:
                await self._prepare(item)
                payload = self.payload(item, token, index)
            except InvalidValuesError as exc:
                problems = list(exc.problems)
        if payload is not None:
            return Launch(
                index=index,
                item=item,
                token=token,
                payload=payload,
                reconcile_first=attempted,
                previous_attempts=previous,
                fingerprint=fp,
            )
        invalid = LaunchResult(
            index=index,
            item=item,
            status="invalid",
            token=token,
            error=InvalidValuesError(problems),
        )
        if not attempted:
            return invalid
        # Invalid now, but an earlier run may have sent it: launched only if lookups say no.
        return Launch(
            index=index,
            item=item,
            token=token,
            payload=None,
            reconcile_first=True,
            previous_attempts=previous,
            invalid=invalid,
            fingerprint=fp,
        )

    def _verify(self, entry: JournalEntry, fp: str | None) -> None:
        if entry.fingerprint is None:
            raise JournalError(
                f"the journal {self._description} does not record item fingerprints: it cannot "
                "be resumed by a run with check='as_it_goes'"
            )
        if entry.fingerprint != fp:
            raise JournalMismatchError(
                f"the journal {self._description} records another item at index {entry.index} "
                f"(state {entry.state.value}) than the one the items give now: resume with the "
                "same items in the same order, or use a new journal path for a new run"
            )

    async def _prepare(self, item: LaunchItem) -> None:
        """Resolve what the item's payload needs: the emails of its user ids, the name to stamp."""
        if self.user_fields and self.specs is not None:
            new = values.user_ids_in(self.specs, item.kickoff) - self.asked_users
            if new:
                self.user_emails.update(await self.client.users.emails_by_id(new))
                self.asked_users.update(new)
        if item.name is None and self.token_field is None and self.default_name is None:
            self.default_name = await default_name(self.client, self.template_id)


def _with_problems(source: Iterable[ItemInput]) -> Iterator[tuple[ItemInput, list[FieldProblem]]]:
    """Each input with the problems its source found reading it (a file row whose reserved
    values cannot be read: :meth:`~pneumatic_async.bulk.sources.StreamedItems.each`)."""
    if isinstance(source, StreamedItems):
        yield from source.each()
        return
    for raw in source:
        yield raw, []


async def _next(cursor: AsyncIterator[JournalEntry]) -> tuple[JournalEntry | None, bool]:
    """The next recorded entry and whether the cursor is exhausted."""
    try:
        return await cursor.__anext__(), False
    except StopAsyncIteration:
        return None, True


@asynccontextmanager
async def prepared_as_it_goes(
    client: BulkClient, template_id: int, options: BatchOptions, items: Iterable[ItemInput]
) -> AsyncIterator[AsItGoesPlan]:
    """Open the journal, fetch the kickoff specs, and yield the plan (closing the journal after).

    Nothing of ``items`` is read here: the plan reads it while launching.
    """
    binding = Binding(
        template_id=template_id,
        item_count=None,
        items_hash="",
        token_field=options.token_field,
    )
    store = journal_store(options.journal) if options.journal is not None else None
    run_id: str | None = None
    opened = resumed = False
    try:
        if store is not None:
            # Refuse a mismatching, damaged or locked journal before any request.
            run_id = await store.open(binding, create=False)
            opened = resumed = run_id is not None
        specs: values.SpecIndex | None = None
        if options.validate:
            specs = values.SpecIndex(await client.templates.kickoff_specs(template_id))
            if options.token_field is not None:
                check_token_field(specs, options.token_field)
        if store is not None and not opened:
            run_id = await store.open(binding, create=True)
            opened = True
        plan = AsItGoesPlan(
            count=0,
            run_id=run_id or new_run_id(),
            width=AS_IT_GOES_INDEX_WIDTH,
            specs=specs,
            user_emails={},
            default_name=None,
            token_field=options.token_field,
            writer=JournalWriter(store) if store is not None else None,
            client=client,
            template_id=template_id,
            source=items,
            validate=options.validate,
            store=store,
            resumed=resumed,
            user_fields=specs is not None and bool(specs.user_fields),
        )
    except BaseException:
        await close_on_failure(store, opened)
        raise
    async with running(plan):
        yield plan
