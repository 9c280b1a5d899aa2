"""Preparing a bulk run checked up front: check every item, open the journal, then build each
launch as it goes.

Nothing is sent before :func:`prepared` has checked every item (all problems of all items are
raised together as one :class:`~pneumatic_async.errors.InvalidValuesError`, ``FieldProblem.item``
being the index, unless ``skip_invalid``) and the journal (if any) is open and checked.

Memory stays bounded by what is kept, not by the batch: the check streams over the items keeping
only the problems (and the user ids to resolve), and the launch payloads (encoded kickoff, stamped
name, token) are built one item at a time while launching (:meth:`Plan.units`). That needs a
source that can be read more than once: a sequence, or a re-readable file source
(:func:`~pneumatic_async.bulk.sources.stream_items`). A one-shot iterator (a generator) is read
into a list first: the up-front promise (nothing sent while any item is invalid) needs every
item before the first launch. ``check="as_it_goes"`` (:mod:`~pneumatic_async.bulk.as_it_goes`)
reads the source once instead, checking each item when its turn comes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs

from pneumatic_async import values
from pneumatic_async.bulk.as_it_goes import prepared_as_it_goes
from pneumatic_async.bulk.items import LaunchItem, as_item, fingerprint
from pneumatic_async.bulk.journal import Binding, ItemState, JournalEntry, JournalWriter
from pneumatic_async.bulk.options import BatchOptions
from pneumatic_async.bulk.results import LaunchResult
from pneumatic_async.bulk.tokens import index_width, new_run_id
from pneumatic_async.bulk.units import (
    PLACEHOLDER,
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

logger = logging.getLogger("pneumatic_async.bulk")

__all__ = ["ItemInput", "Launch", "Plan", "PlanBase", "prepared", "reiterable"]


@attrs.define(kw_only=True)
class Plan(PlanBase):
    """A batch checked up front: everything needed to build each launch when its turn comes."""

    source: Iterable[ItemInput]
    problems: dict[int, list[FieldProblem]]
    recorded: dict[int, JournalEntry]

    async def launches(self) -> AsyncIterator[LaunchResult | Launch]:
        """:meth:`units`, for the runner."""
        for unit in self.units():
            yield unit

    def units(self) -> Iterator[LaunchResult | Launch]:
        """Each item in input order: a result known now (resumed, invalid) or a :class:`Launch`."""
        for index, raw in enumerate(self.source):
            item = as_item(raw, index)
            token = self.token(index)
            entry = self.recorded.get(index)
            if entry is not None and entry.state is ItemState.LAUNCHED:
                yield LaunchResult(
                    index=index,
                    item=item,
                    status="resumed",
                    token=token,
                    workflow_id=entry.workflow_id,
                )
                continue
            attempted = entry is not None and entry.attempts > 0
            previous = entry.attempts if entry is not None else 0
            found = self.problems.get(index)
            if found is not None:
                invalid = LaunchResult(
                    index=index,
                    item=item,
                    status="invalid",
                    token=token,
                    error=InvalidValuesError(found),
                )
                if not attempted:
                    yield invalid
                    continue
                yield Launch(
                    index=index,
                    item=item,
                    token=token,
                    payload=None,
                    reconcile_first=True,
                    previous_attempts=previous,
                    invalid=invalid,
                )
                continue
            yield Launch(
                index=index,
                item=item,
                token=token,
                payload=self.payload(item, token, index),
                reconcile_first=attempted,
                previous_attempts=previous,
            )


def reiterable(items: Iterable[ItemInput]) -> Iterable[ItemInput]:
    """``items`` if it can be read again (a sequence, a re-readable source), else a list of it."""
    if isinstance(items, Mapping | str | bytes):
        raise TypeError(
            "items must be an iterable of LaunchItem or kickoff mappings, not a single "
            f"{type(items).__name__}"
        )
    if isinstance(items, Sequence) or getattr(items, "reiterable", False) is True:
        return items
    materialised = list(items)
    logger.info(
        "bulk run: the items (a one-shot %s) were read into a list of %d to check every item up "
        "front; check='as_it_goes' reads them once, in bounded memory",
        type(items).__name__,
        len(materialised),
    )
    return materialised


@attrs.define(kw_only=True)
class _Survey:
    """What one streaming pass over the items found."""

    count: int = 0
    digest: str = ""
    problems: dict[int, list[FieldProblem]] = attrs.Factory(dict)
    user_ids: set[int] = attrs.Factory(set)
    needs_default_name: bool = False


@asynccontextmanager
async def prepared(
    client: BulkClient, template_id: int, options: BatchOptions, items: Iterable[ItemInput]
) -> AsyncIterator[PlanBase]:
    """Check ``items`` (up front, or as it goes with ``check="as_it_goes"``), open the journal,
    and yield the plan (closing the journal after)."""
    if options.check_mode == "as_it_goes":
        if isinstance(items, Mapping | str | bytes):
            reiterable(items)  # the same TypeError
        async with prepared_as_it_goes(client, template_id, options, items) as streamed:
            yield streamed
        return
    async with _prepared_upfront(client, template_id, options, items) as plan:
        yield plan


@asynccontextmanager
async def _prepared_upfront(
    client: BulkClient, template_id: int, options: BatchOptions, items: Iterable[ItemInput]
) -> AsyncIterator[Plan]:
    """Check ``items``, open the journal, and yield the plan (closing the journal after)."""
    source = reiterable(items)
    survey = _survey(source, options)
    binding = Binding(
        template_id=template_id,
        item_count=survey.count,
        items_hash=survey.digest,
        token_field=options.token_field,
    )
    store = journal_store(options.journal) if options.journal is not None else None
    run_id: str | None = None
    opened = False
    try:
        recorded: dict[int, JournalEntry] = {}
        if store is not None:
            # Refuse a mismatching, damaged or locked journal before any validation request.
            run_id = await store.open(binding, create=False)
            opened = run_id is not None
            if opened:
                recorded = {entry.index: entry async for entry in store.recorded()}
        # Items an earlier run launched are not checked again (a due date may have passed).
        launched = {i for i, entry in recorded.items() if entry.state is ItemState.LAUNCHED}
        attempted = {i for i, entry in recorded.items() if entry.attempts > 0}
        problems = {i: p for i, p in survey.problems.items() if i not in launched}
        specs: values.SpecIndex | None = None
        emails: dict[int, str] = {}
        if options.validate:
            specs = values.SpecIndex(await client.templates.kickoff_specs(template_id))
            if options.token_field is not None:
                check_token_field(specs, options.token_field)
            user_ids = _user_ids(source, specs, launched)
            emails = await client.users.emails_by_id(user_ids) if user_ids else {}
            _check_values(source, specs, emails, options, launched, problems)
        # Problems of items an earlier run may have sent do not block the run: they are
        # looked up first and reported invalid only if the server does not have them.
        blocking = [p for i, found in problems.items() if i not in attempted for p in found]
        if blocking and not options.skip_invalid:
            raise InvalidValuesError(blocking)
        if store is not None and not opened:
            run_id = await store.open(binding, create=True)
            opened = True
        name = await default_name(client, template_id) if survey.needs_default_name else None
        plan = Plan(
            source=source,
            count=survey.count,
            run_id=run_id or new_run_id(),
            width=index_width(survey.count),
            problems=problems,
            recorded=recorded,
            specs=specs,
            user_emails=emails,
            default_name=name,
            token_field=options.token_field,
            writer=JournalWriter(store) if store is not None else None,
        )
    except BaseException:
        await close_on_failure(store, opened)
        raise
    async with running(plan):
        yield plan


def _survey(source: Iterable[ItemInput], options: BatchOptions) -> _Survey:
    """Count and hash the items and check their run options, keeping only the problems."""
    survey = _Survey()
    token_field = options.token_field

    def checked() -> Iterator[LaunchItem]:
        for index, raw in enumerate(source):
            item = as_item(raw, index)
            found = item_problems(item, index, token_field, validate=options.validate)
            if found:
                survey.problems[index] = found
            if item.name is None and token_field is None:
                survey.needs_default_name = True
            survey.count += 1
            yield item

    survey.digest = fingerprint(checked())
    return survey


def _user_ids(source: Iterable[ItemInput], specs: values.SpecIndex, skip: set[int]) -> set[int]:
    if not any(spec.type == "user" for spec in specs):
        return set()
    found: set[int] = set()
    for index, raw in enumerate(source):
        if index not in skip:
            found.update(values.user_ids_in(specs, as_item(raw, index).kickoff))
    return found


def _check_values(
    source: Iterable[ItemInput],
    specs: values.SpecIndex,
    emails: dict[int, str],
    options: BatchOptions,
    skip: set[int],
    problems: dict[int, list[FieldProblem]],
) -> None:
    """Encode every item's kickoff once (the encoded values are not kept), recording problems."""
    token_field = options.token_field
    for index, raw in enumerate(source):
        if index in skip:
            continue
        kickoff = dict(as_item(raw, index).kickoff)
        if token_field is not None:
            kickoff[token_field] = PLACEHOLDER  # the real token replaces it after encoding
        try:
            values.encode_values(
                specs, kickoff, check_required=True, user_emails=emails, item=index
            )
        except InvalidValuesError as exc:
            problems.setdefault(index, []).extend(exc.problems)
